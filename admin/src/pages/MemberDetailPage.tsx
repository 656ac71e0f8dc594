import { ArrowLeftOutlined, EditOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Form, Input, InputNumber, Modal, Progress, Space, Statistic, Tabs, Tag, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, newIdempotencyKey } from '../api';
import type { AdminSignup, AuditEntry, LedgerEntry, Purchase } from '../api/types';
import { useSession, useCan } from '../auth/session';
import { CursorTable } from '../components/CursorTable';
import { MemberReversals } from '../components/member/MemberReversals';
import { MemberCategories } from '../components/member/MemberCategories';
import { StoredValuePanel } from '../components/member/StoredValuePanel';
import { AuditChanges, AuditWhat, AuditWhen, AuditWho } from '../components/AuditEntryViews';
import { checkWith, clearErrorsOnEdit, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { MemberGrantCoupon } from '../components/member/MemberGrantCoupon';
import { MemberTags } from '../components/member/MemberTags';
import { AsyncView } from '../components/states';
import { useLang, useT } from '../i18n';
import { fenToYuanText, formatDate, formatDateTime, formatInt, signed } from '../lib/format';
import { useAsync, useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { COUPON_STATUS_LABELS, LEDGER_SOURCE_LABELS, PURCHASE_STATUS_LABELS, SIGNUP_STATUS_LABELS, labelOf, maskPhone, PointsAdjustmentBodySchema, type Coupon, type Member } from '../shared';

function MemberList<Item extends { id: string }>({ memberId, path, columns, empty, tableLayout }: { memberId: string; path: string; columns: Parameters<typeof CursorTable<Item>>[0]['columns']; empty: string; tableLayout?: 'fixed' }) {
  const list = useCursorList<Item>((cursor, signal) => api.list<Item>(`/admin/members/${memberId}/${path}`, { cursor }, signal), [memberId, path]);
  return <CursorTable<Item> list={list} rowKey="id" columns={columns} empty={empty} size="small" testId={`member-${path}`} tableLayout={tableLayout} />;
}

function PointsAdjustment({ member, onDone }: { member: Member; onDone: (balanceAfter: number) => void }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ delta: number | null; reason: string }>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // One key per adjustment the user means to make: the same content sent again (a double click, a retry
  // after a timeout) keeps its key and cannot apply twice; changed content, or a retry after the server
  // refused it outright, is a new adjustment with a new key (the old key would replay the refusal).
  const attempt = useRef<{ content: string; key: string } | null>(null);
  const delta = Form.useWatch('delta', form);

  const submit = async () => {
    setError(null);
    const values = form.getFieldsValue();
    const checked = checkWith(PointsAdjustmentBodySchema, { delta: values.delta ?? undefined, reason: values.reason?.trim() ?? '' }, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    const content = JSON.stringify(checked.data);
    if (attempt.current?.content !== content) attempt.current = { content, key: newIdempotencyKey() };
    setSaving(true);
    try {
      const entry = await api.post<LedgerEntry>(`/admin/members/${member.id}/points-adjustments`, checked.data, { idempotencyKey: attempt.current.key });
      message.success(t(`已调整积分，当前余额 ${formatInt(entry.balanceAfter)}`, `Points adjusted; balance now ${formatInt(entry.balanceAfter)}`));
      setOpen(false);
      form.resetFields();
      attempt.current = null;
      onDone(entry.balanceAfter);
    } catch (cause) {
      if (cause instanceof ApiError && cause.status >= 400 && cause.status < 500 && cause.code !== 'IDEMPOTENCY_IN_PROGRESS') attempt.current = null;
      setError(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const after = typeof delta === 'number' ? member.pointsBalance + delta : null;
  return (
    <>
      <Button icon={<EditOutlined />} onClick={() => setOpen(true)} data-testid="adjust-points">
        {t('调整积分', 'Adjust points')}
      </Button>
      <Modal title={t('调整积分', 'Adjust points')} open={open} onCancel={() => setOpen(false)} onOk={submit} confirmLoading={saving} okText={t('确认调整', 'Adjust')} destroyOnHidden>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form
          form={form}
          layout="vertical"
          initialValues={{ delta: null, reason: '' }}
          onValuesChange={(changed: Record<string, unknown>) => {
            clearErrorsOnEdit(form)(changed);
            setError(null);
          }}
        >
          <Form.Item name="delta" label={t('变动积分（负数为扣减）', 'Change (negative to deduct)')} extra={after !== null ? t(`调整后余额：${formatInt(after)}`, `Balance after: ${formatInt(after)}`) : undefined}>
            <InputNumber style={{ width: '100%' }} precision={0} placeholder="+100 / -50" />
          </Form.Item>
          <Form.Item name="reason" label={t('原因（会记入流水和操作日志）', 'Reason (kept in the ledger and audit log)')}>
            <Input.TextArea rows={3} maxLength={200} showCount />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

const couponStatusColors: Record<string, string> = { issued: 'green', redeemed: 'blue', expired: 'default', revoked: 'red' };
const signupStatusColors: Record<string, string> = { confirmed: 'green', waitlisted: 'orange', pending_payment: 'gold', cancelled: 'default', attended: 'blue' };

export default function MemberDetailPage() {
  const { id = '' } = useParams();
  const t = useT();
  const { lang } = useLang();
  // Viewers read; writing needs the HQ role the server asks for (RouteSpec.hq).
  const canAdjust = useCan('admin');
  const navigate = useNavigate();
  const session = useSession();
  const reference = useReference();
  const state = useAsync((signal) => api.get<Member>(`/admin/members/${id}`, undefined, signal), [id]);

  return (
    <>
      <PageTitle
        title={
          <Space>
            <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/members')} aria-label={t('返回', 'Back')} />
            {t('会员详情', 'Member')}
          </Space>
        }
      />
      <AsyncView state={state}>
        {(member) => (
          <Space direction="vertical" size={16} style={{ width: '100%' }}>
            <Card data-testid="member-card">
              <div style={{ display: 'flex', gap: 24, alignItems: 'stretch', flexWrap: 'wrap' }}>
                <div style={{ width: 320, borderRadius: 12, padding: 20, color: '#fff', background: member.tier.code === 'platinum' ? 'linear-gradient(135deg,#4b4b6b,#8c8cae)' : member.tier.code === 'gold' ? 'linear-gradient(135deg,#b8862b,#e2bd5c)' : 'linear-gradient(135deg,#7d8590,#b5bcc6)' }}>
                  <div style={{ fontSize: 13, opacity: 0.85 }}>{t('会员卡', 'Member card')}</div>
                  <div style={{ fontSize: 22, fontWeight: 700, margin: '8px 0' }}>{member.tier.name}</div>
                  <div style={{ fontFamily: 'monospace', fontSize: 18, letterSpacing: 2 }}>{member.cardNo.replace(/(\d{4})(?=\d)/g, '$1 ')}</div>
                  <div style={{ fontSize: 12, marginTop: 12, opacity: 0.85 }}>{t('入会', 'Joined')} {formatDate(member.joinedAt)}</div>
                </div>
                <div style={{ flex: 1, minWidth: 480 }}>
                  <div className="mc-card-grid" style={{ marginBottom: 16 }}>
                    <Statistic title={t('积分余额', 'Points balance')} value={member.pointsBalance} />
                    <Statistic
                      title={t('即将过期', 'Expiring soon')}
                      value={member.pointsExpiringSoon?.amount ?? 0}
                      suffix={member.pointsExpiringSoon ? <Typography.Text type="secondary" style={{ fontSize: 12 }}>{formatDate(member.pointsExpiringSoon.at)}</Typography.Text> : null}
                    />
                    <Statistic title={t('可用优惠券', 'Coupons available')} value={member.couponsAvailable} />
                    <Statistic title={t('近12个月消费', '12-month spend')} value={member.spend12mFen === undefined ? '—' : fenToYuanText(member.spend12mFen)} />
                  </div>
                  <Descriptions size="small" column={3}>
                    <Descriptions.Item label={t('姓名', 'Name')}>{member.name ?? '—'}</Descriptions.Item>
                    <Descriptions.Item label={t('手机', 'Phone')}>{member.phone ? (session?.kind === 'hq' ? member.phone : maskPhone(member.phone)) : '—'}</Descriptions.Item>
                    <Descriptions.Item label={t('归属门店', 'Home store')}>{reference.storeName(member.homeStoreId)}</Descriptions.Item>
                    <Descriptions.Item label={t('生日', 'Birthday')}>{member.birthday ?? '—'}</Descriptions.Item>
                    <Descriptions.Item label={t('城市', 'City')}>{member.city ?? '—'}</Descriptions.Item>
                    <Descriptions.Item label={t('资料完善度', 'Profile')}>
                      <Progress percent={member.profileCompletion} size="small" style={{ width: 120 }} />
                    </Descriptions.Item>
                  </Descriptions>
                  {session?.kind === 'hq' && canAdjust ? <div style={{ marginTop: 12 }}><PointsAdjustment member={member} onDone={(balance) => state.setData({ ...member, pointsBalance: balance })} /></div> : null}
                  <MemberGrantCoupon member={member} onDone={state.reload} />
                  <MemberTags member={member} />
                </div>
              </div>
            </Card>
            {session?.kind === 'hq' ? <MemberReversals memberId={member.id} /> : null}
            <MemberCategories memberId={member.id} />
            <StoredValuePanel memberId={member.id} />
            <Card>
              <Tabs
                items={[
                  {
                    key: 'ledger',
                    label: t('积分流水', 'Points ledger'),
                    children: (
                      <MemberList<LedgerEntry>
                        memberId={member.id}
                        path="ledger"
                        empty={t('暂无积分变动', 'No points activity yet')}
                        columns={[
                          { title: t('时间', 'When'), dataIndex: 'createdAt', render: formatDateTime },
                          { title: t('变动', 'Change'), dataIndex: 'delta', align: 'right', render: (value: number) => <span style={{ color: value >= 0 ? '#389e0d' : '#cf1322' }}>{signed(value)}</span> },
                          { title: t('余额', 'Balance'), dataIndex: 'balanceAfter', align: 'right', render: formatInt },
                          { title: t('来源', 'Source'), dataIndex: 'source', render: (value: string) => <Tag>{labelOf(LEDGER_SOURCE_LABELS, value, lang)}</Tag> },
                          { title: t('原因', 'Reason'), dataIndex: 'reason' },
                          { title: t('过期时间', 'Expires'), dataIndex: 'expiresAt', render: formatDate },
                        ]}
                      />
                    ),
                  },
                  {
                    key: 'coupons',
                    label: t('优惠券', 'Coupons'),
                    children: (
                      <MemberList<Coupon>
                        memberId={member.id}
                        path="coupons"
                        empty={t('没有优惠券', 'No coupons')}
                        columns={[
                          { title: t('券名', 'Title'), dataIndex: 'title' },
                          { title: t('状态', 'Status'), dataIndex: 'status', render: (value: string) => <Tag color={couponStatusColors[value]}>{labelOf(COUPON_STATUS_LABELS, value, lang)}</Tag> },
                          { title: t('有效期', 'Valid'), render: (_: unknown, coupon) => `${formatDate(coupon.validFrom)} ~ ${formatDate(coupon.validUntil)}` },
                          { title: t('领取时间', 'Issued'), dataIndex: 'issuedAt', render: formatDateTime },
                          { title: t('核销时间', 'Redeemed'), dataIndex: 'redeemedAt', render: formatDateTime },
                        ]}
                      />
                    ),
                  },
                  {
                    key: 'purchases',
                    label: t('消费记录', 'Purchases'),
                    children: (
                      <MemberList<Purchase>
                        memberId={member.id}
                        path="purchases"
                        empty={t('没有消费记录', 'No purchases')}
                        columns={[
                          { title: t('时间', 'When'), dataIndex: 'createdAt', render: formatDateTime },
                          { title: t('订单号', 'Order no.'), dataIndex: 'orderNo' },
                          { title: t('金额', 'Amount'), dataIndex: 'amountFen', align: 'right', render: (value: number) => fenToYuanText(value) },
                          { title: t('获得积分', 'Points'), dataIndex: 'pointsEarned', align: 'right', render: formatInt },
                          { title: t('门店', 'Store'), dataIndex: 'storeId', render: reference.storeName },
                          { title: t('状态', 'Status'), dataIndex: 'status', render: (value: string, purchase: Purchase) => <Tag color={value === 'reversed' ? 'red' : 'green'} title={purchase.reversal?.reason}>{labelOf(PURCHASE_STATUS_LABELS, value, lang)}</Tag> },
                        ]}
                      />
                    ),
                  },
                  {
                    key: 'signups',
                    label: t('活动报名', 'Sign-ups'),
                    children: (
                      <MemberList<AdminSignup>
                        memberId={member.id}
                        path="signups"
                        empty={t('没有报名记录', 'No sign-ups')}
                        columns={[
                          { title: t('活动', 'Activity'), render: (_: unknown, signup) => <a href={`#/activities/${signup.activityId}`}>{signup.activityTitle ?? signup.activityId}</a> },
                          { title: t('状态', 'Status'), dataIndex: 'status', render: (value: string, signup) => <Tag color={signupStatusColors[value]}>{labelOf(SIGNUP_STATUS_LABELS, value, lang)}{signup.waitlistPosition ? ` #${signup.waitlistPosition}` : ''}</Tag> },
                          { title: t('报名时间', 'Signed up'), dataIndex: 'createdAt', render: formatDateTime },
                        ]}
                      />
                    ),
                  },
                  {
                    key: 'audit',
                    // Every staff and HQ write concerning this member (purchases, redemptions, grants, adjustments, check-ins).
                    label: t('操作记录', 'Audit trail'),
                    children: (
                      <MemberList<AuditEntry>
                        memberId={member.id}
                        path="audit"
                        empty={t('没有操作记录', 'No recorded actions')}
                        tableLayout="fixed"
                        columns={[
                          { title: t('时间（北京时间）', 'When (China time)'), dataIndex: 'at', width: 150, render: (at: string) => <AuditWhen at={at} /> },
                          { title: t('操作人', 'Who'), width: 180, render: (_: unknown, entry: AuditEntry) => <AuditWho entry={entry} /> },
                          { title: t('操作', 'What'), render: (_: unknown, entry: AuditEntry) => <AuditWhat entry={entry} /> },
                          { title: t('变更', 'Change'), width: '36%', render: (_: unknown, entry: AuditEntry) => <AuditChanges entry={entry} /> },
                        ]}
                      />
                    ),
                  },
                ]}
              />
            </Card>
          </Space>
        )}
      </AsyncView>
    </>
  );
}
