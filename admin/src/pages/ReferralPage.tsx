import { App, Button, Card, Col, Form, InputNumber, Row, Segmented, Select, Space, Statistic, Switch, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api';
import { useCan } from '../auth/session';
import { checkWith, clearErrorsOnEdit, failedSaveMessage, showFieldErrors } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { ErrorState } from '../components/states';
import { useLang, useT } from '../i18n';
import { fenToYuanText, formatDateTime, formatInt, formatPercent, fenToYuan, yuanToFen } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { REFERRAL_REFUSAL_TEXT, ReferralTermsBodySchema, type CouponTemplate, type ReferralReport, type ReferralTermsView } from '../shared';

// 邀请有礼 (referral): HQ sets what a friend's first purchase earns both sides, and sees the invitations, joins,
// conversions, refusals and what the rewards cost. The rules are in shared/src/referral; the server's in
// server/src/modules/referral.

interface FormValues {
  enabled: boolean;
  inviterPoints: number;
  inviterTemplateId?: string | null;
  inviteePoints: number;
  inviteeTemplateId?: string | null;
  minPurchaseYuan?: number | null;
  windowDays: number;
}

/** Server field paths → this form's fields. */
const RENAME: Record<string, string> = {
  'inviter.points': 'inviterPoints',
  'inviter.templateId': 'inviterTemplateId',
  'invitee.points': 'inviteePoints',
  'invitee.templateId': 'inviteeTemplateId',
  minPurchaseFen: 'minPurchaseYuan',
};

const STATUS_LABELS: Record<ReferralReport['recent'][number]['status'], { zh: string; en: string; color: string }> = {
  joined: { zh: '待首单', en: 'Awaiting first purchase', color: 'orange' },
  qualified: { zh: '发放中', en: 'Granting', color: 'blue' },
  rewarded: { zh: '已奖励', en: 'Rewarded', color: 'green' },
  refused: { zh: '不计奖励', en: 'Refused', color: 'default' },
  expired: { zh: '已过期', en: 'Expired', color: 'default' },
};

export default function ReferralPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canEdit = useCan('marketing');
  const [days, setDays] = useState(30);
  const terms = useAsync((signal) => api.get<ReferralTermsView>('/admin/referral/terms', undefined, signal), []);
  const report = useAsync((signal) => api.get<ReferralReport>('/admin/reports/referral', { days }, signal), [days]);
  const templates = useAsync((signal) => api.list<CouponTemplate>('/admin/coupon-templates', { status: 'active', limit: 100 }, signal), []);
  const [form] = Form.useForm<FormValues>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const current = terms.data;
    if (!current) return;
    form.setFieldsValue({
      enabled: current.enabled,
      inviterPoints: current.inviter.points,
      inviterTemplateId: current.inviter.templateId,
      inviteePoints: current.invitee.points,
      inviteeTemplateId: current.invitee.templateId,
      minPurchaseYuan: fenToYuan(current.minPurchaseFen),
      windowDays: current.windowDays,
    });
  }, [terms.data, form]);

  const save = async () => {
    const v = form.getFieldsValue();
    const body = {
      enabled: Boolean(v.enabled),
      inviter: { points: v.inviterPoints ?? 0, templateId: v.inviterTemplateId ?? null },
      invitee: { points: v.inviteePoints ?? 0, templateId: v.inviteeTemplateId ?? null },
      minPurchaseFen: yuanToFen(v.minPurchaseYuan ?? 0) ?? 0,
      windowDays: v.windowDays,
    };
    const checked = checkWith(ReferralTermsBodySchema, body, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors, RENAME);
    setSaving(true);
    setError(null);
    try {
      terms.setData(await api.put<ReferralTermsView>('/admin/referral/terms', checked.data));
      message.success(t('邀请有礼规则已保存，之后完成首单的好友按新规则奖励', 'Referral terms saved; friends who qualify from now on earn the new reward'));
      report.reload();
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang, RENAME));
    } finally {
      setSaving(false);
    }
  };

  const templateOptions = (templates.data?.items ?? []).map((template) => ({ label: template.title, value: template.id }));
  const r = report.data;
  return (
    <>
      <PageTitle
        title={t('邀请有礼', 'Referral')}
        sub={t(
          '会员分享邀请，好友通过邀请开卡并完成首单后，双方各得奖励；每位好友仅奖励一次。自我邀请、注销后重新开卡、同一设备开卡不计奖励',
          'A member shares an invitation; a friend who joins through it and makes a first purchase earns both sides the reward, once per friend. Self-invitations, erased-and-rejoined accounts and joins on the inviter’s device earn nothing',
        )}
      />
      <Card title={t('奖励规则', 'Reward')} style={{ marginBottom: 16 }} data-testid="referral-terms">
        {terms.error ? <ErrorState error={terms.error} onRetry={terms.reload} compact /> : null}
        <Form form={form} layout="vertical" disabled={!canEdit} onValuesChange={clearErrorsOnEdit(form)}>
          <Form.Item name="enabled" label={t('启用邀请有礼', 'Referral enabled')} valuePropName="checked">
            <Switch data-testid="referral-enabled" />
          </Form.Item>
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Typography.Title level={5}>{t('邀请人得', 'The inviter gets')}</Typography.Title>
              <Form.Item name="inviterPoints" label={t('积分', 'Points')}>
                <InputNumber min={0} max={100000} precision={0} style={{ width: '100%' }} data-testid="referral-inviter-points" />
              </Form.Item>
              <Form.Item name="inviterTemplateId" label={t('优惠券（可选）', 'Coupon (optional)')}>
                <Select allowClear options={templateOptions} placeholder={t('不送券', 'No coupon')} data-testid="referral-inviter-coupon" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Typography.Title level={5}>{t('好友得', 'The friend gets')}</Typography.Title>
              <Form.Item name="inviteePoints" label={t('积分', 'Points')}>
                <InputNumber min={0} max={100000} precision={0} style={{ width: '100%' }} data-testid="referral-invitee-points" />
              </Form.Item>
              <Form.Item name="inviteeTemplateId" label={t('优惠券（可选）', 'Coupon (optional)')}>
                <Select allowClear options={templateOptions} placeholder={t('不送券', 'No coupon')} data-testid="referral-invitee-coupon" />
              </Form.Item>
            </Col>
          </Row>
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item name="minPurchaseYuan" label={t('首单最低金额（元，0 为不限）', 'First purchase at least (yuan, 0: any)')}>
                <InputNumber min={0} precision={2} prefix="¥" style={{ width: '100%' }} data-testid="referral-min-purchase" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name="windowDays" label={t('开卡后几天内首单有效', 'Days after joining the first purchase counts')}>
                <InputNumber min={1} max={365} precision={0} addonAfter={t('天', 'days')} style={{ width: '100%' }} data-testid="referral-window-days" />
              </Form.Item>
            </Col>
          </Row>
          {error ? <Typography.Text type="danger">{error}</Typography.Text> : null}
          {canEdit ? (
            <div>
              <Button type="primary" loading={saving} onClick={() => void save()} data-testid="referral-save">
                {t('保存规则', 'Save')}
              </Button>
            </div>
          ) : null}
        </Form>
      </Card>

      <Card
        title={t('邀请效果', 'Results')}
        extra={
          <Segmented
            value={days}
            onChange={(value) => setDays(Number(value))}
            options={[7, 30, 90].map((d) => ({ label: t(`近 ${d} 天`, `Last ${d} days`), value: d }))}
          />
        }
        data-testid="referral-report"
      >
        {report.error ? <ErrorState error={report.error} onRetry={report.reload} compact /> : null}
        {r ? (
          <Space direction="vertical" size="large" style={{ width: '100%' }}>
            <Row gutter={[16, 16]}>
              <Col xs={12} md={4}><Statistic title={t('分享邀请的会员', 'Inviting members')} value={formatInt(r.totals.inviters)} /></Col>
              <Col xs={12} md={4}><Statistic title={t('打开邀请', 'Invitation opens')} value={formatInt(r.totals.views)} /></Col>
              <Col xs={12} md={4}><Statistic title={t('受邀开卡', 'Friends joined')} value={formatInt(r.totals.joined)} /></Col>
              <Col xs={12} md={4}><Statistic title={t('首单转化', 'Converted')} value={formatInt(r.totals.converted)} suffix={<span style={{ fontSize: 14 }}>{formatPercent(r.totals.conversionRate)}</span>} /></Col>
              <Col xs={12} md={4}><Statistic title={t('不计奖励', 'Refused')} value={formatInt(r.totals.refused)} /></Col>
              <Col xs={12} md={4}><Statistic title={t('奖励成本', 'Reward cost')} value={`${formatInt(r.cost.points)} ${t('积分', 'pts')}`} /></Col>
            </Row>
            <div>
              <Typography.Text type="secondary">{t('发券', 'Coupons given')}：</Typography.Text>
              {t(`${r.cost.coupons} 张，面值合计 ${fenToYuanText(r.cost.couponFaceFen)}`, `${r.cost.coupons}, face value ${fenToYuanText(r.cost.couponFaceFen)}`)}
              <span style={{ marginLeft: 24 }}>
                <Typography.Text type="secondary">{t('不计奖励原因', 'Refusals')}：</Typography.Text>
                {(Object.keys(REFERRAL_REFUSAL_TEXT) as Array<keyof typeof REFERRAL_REFUSAL_TEXT>).map((key) => (
                  <Tag key={key}>{`${REFERRAL_REFUSAL_TEXT[key][lang]} ${r.refusals[key] ?? 0}`}</Tag>
                ))}
              </span>
            </div>
            <Table
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={r.recent}
              data-testid="referral-recent"
              locale={{ emptyText: t('还没有好友通过邀请开卡', 'No friend has joined through an invitation yet') }}
              columns={[
                { title: t('邀请人', 'Inviter'), render: (_: unknown, row) => <a href={`#/members/${row.inviter.id}`}>{row.inviter.cardNo ?? row.inviter.id}</a> },
                { title: t('好友', 'Friend'), render: (_: unknown, row) => <a href={`#/members/${row.invitee.id}`}>{row.invitee.cardNo ?? row.invitee.id}</a> },
                {
                  title: t('状态', 'Status'),
                  render: (_: unknown, row) => (
                    <>
                      <Tag color={STATUS_LABELS[row.status].color}>{STATUS_LABELS[row.status][lang]}</Tag>
                      {row.refusal ? <Typography.Text type="secondary">{REFERRAL_REFUSAL_TEXT[row.refusal][lang]}</Typography.Text> : null}
                    </>
                  ),
                },
                { title: t('开卡时间', 'Joined'), dataIndex: 'joinedAt', render: formatDateTime },
                { title: t('奖励时间', 'Rewarded'), dataIndex: 'rewardedAt', render: (value: string | null) => (value ? formatDateTime(value) : '—') },
                { title: t('积分', 'Points'), dataIndex: 'points', align: 'right', render: (value: number) => formatInt(value) },
                { title: t('券', 'Coupons'), dataIndex: 'coupons', align: 'right' },
              ]}
            />
          </Space>
        ) : null}
      </Card>
    </>
  );
}
