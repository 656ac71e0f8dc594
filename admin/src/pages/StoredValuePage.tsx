import { Alert, App, Button, Card, DatePicker, Form, Input, InputNumber, Modal, Radio, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { api } from '../api';
import { readableErrorMessage } from '../api/errors';
import { useCan } from '../auth/session';
import { PageTitle } from '../components/PageTitle';
import { ErrorState, LoadingState } from '../components/states';
import { useLang, useT } from '../i18n';
import { fenToYuan, fenToYuanText, yuanToFen } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';
import type { StoredValueLiability, StoredValueRefundRequest, StoredValueSettings, TopupRule } from '../shared';

// Stored value (储值) for HQ: the brand's outstanding liability per store and the bonus's cost, refund
// requests to approve, the top-up rules shoppers are offered, and the settings (charge order, caps,
// confirmation amount, bonus forfeit rule).

const newKey = () => (globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`);

export default function StoredValuePage() {
  const t = useT();
  return (
    <div data-testid="stored-value-page">
      <PageTitle title={t('储值', 'Stored value')} sub={t('会员充值、余额负债、退款审核与充值方案', 'Top-ups, outstanding balances, refund approvals and top-up offers')} />
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <LiabilityCard />
        <RefundRequestsCard />
        <TopupRulesCard />
        <SettingsCard />
      </Space>
    </div>
  );
}

function LiabilityCard() {
  const t = useT();
  const state = useAsync((signal) => api.get<StoredValueLiability>('/admin/stored-value/liability', undefined, signal), []);
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  if (!state.data) return <LoadingState />;
  const { stores, total, members } = state.data;
  const rows = [...stores.map((s) => ({ key: s.storeId ?? '-', name: s.storeName ?? t('总部', 'HQ'), ...s })), { key: '__total', name: t('合计', 'Total'), storeId: null, ...total }];
  return (
    <Card title={t('储值负债与赠送成本', 'Liability and bonus cost')} extra={<span>{t(`持有余额会员 ${members} 人`, `${members} members hold a balance`)}</span>} data-testid="sv-liability">
      <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
        {t('按门店：在该店充值的金额减去在该店消费和已退款的金额。本金可退，赠送金不可提现。', 'Per store: top-ups taken there less what was spent there and refunded. Principal is refundable; bonus is never paid out.')}
      </Typography.Paragraph>
      <Table
        size="small"
        pagination={false}
        rowKey="key"
        dataSource={rows}
        rowClassName={(row) => (row.key === '__total' ? 'ant-table-row-selected' : '')}
        columns={[
          { title: t('门店', 'Store'), dataIndex: 'name' },
          { title: t('未消费本金', 'Principal held'), dataIndex: 'principalFen', align: 'right', render: (v: number) => fenToYuanText(v) },
          { title: t('未消费赠送金', 'Bonus held'), dataIndex: 'bonusFen', align: 'right', render: (v: number) => fenToYuanText(v) },
          { title: t('累计充值', 'Topped up'), dataIndex: 'toppedUpFen', align: 'right', render: (v: number) => fenToYuanText(v) },
          { title: t('累计赠送', 'Bonus given'), dataIndex: 'bonusGivenFen', align: 'right', render: (v: number) => fenToYuanText(v) },
          { title: t('已消费赠送金（成本）', 'Bonus spent (cost)'), dataIndex: 'bonusSpentFen', align: 'right', render: (v: number) => fenToYuanText(v) },
        ]}
      />
    </Card>
  );
}

const REFUND_STATUS: Record<string, { zh: string; en: string; color: string }> = {
  requested: { zh: '待审核', en: 'Awaiting HQ', color: 'orange' },
  refunding: { zh: '退款中', en: 'Refunding', color: 'blue' },
  refunded: { zh: '已退款', en: 'Refunded', color: 'green' },
  rejected: { zh: '已驳回', en: 'Rejected', color: 'default' },
};

function RefundRequestsCard() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canDecide = useCan('admin');
  const state = useAsync((signal) => api.get<{ items: StoredValueRefundRequest[] }>('/admin/stored-value/refund-requests', undefined, signal), []);
  const [busy, setBusy] = useState<string | null>(null);

  const decide = async (request: StoredValueRefundRequest, decision: 'approve' | 'reject') => {
    setBusy(request.id);
    try {
      await api.post(`/admin/stored-value/refund-requests/${request.id}/${decision}`, {}, decision === 'approve' ? { idempotencyKey: newKey() } : {});
      message.success(decision === 'approve' ? t('已同意，款项原路退回微信支付', 'Approved: the money goes back to WeChat Pay') : t('已驳回', 'Rejected'));
      state.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    } finally {
      setBusy(null);
    }
  };

  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  return (
    <Card title={t('储值退款申请', 'Refund requests')} data-testid="sv-refunds">
      <Table
        size="small"
        pagination={false}
        rowKey="id"
        loading={state.loading}
        dataSource={state.data?.items ?? []}
        locale={{ emptyText: t('暂无退款申请', 'No refund requests') }}
        columns={[
          { title: t('会员卡号', 'Card'), dataIndex: 'cardNo', render: (v: string | null, r) => <a href={`#/members/${r.memberId}`}>{v ?? r.memberId}</a> },
          { title: t('申请时间', 'Requested'), dataIndex: 'requestedAt', render: (v: string) => dayjs(v).format('YYYY-MM-DD HH:mm') },
          { title: t('本金', 'Principal'), dataIndex: 'principalFen', align: 'right', render: (v: number) => fenToYuanText(v) },
          { title: t('作废赠送金', 'Bonus forfeited'), dataIndex: 'bonusForfeitFen', align: 'right', render: (v: number, r) => (r.status === 'requested' ? '—' : fenToYuanText(v)) },
          { title: t('原因', 'Reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '—' },
          { title: t('状态', 'Status'), dataIndex: 'status', render: (v: string) => <Tag color={REFUND_STATUS[v]?.color}>{lang === 'zh' ? REFUND_STATUS[v]?.zh : REFUND_STATUS[v]?.en}</Tag> },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, r) =>
              r.status === 'requested' && canDecide ? (
                <Space>
                  <Button size="small" type="primary" loading={busy === r.id} onClick={() => decide(r, 'approve')} data-testid="sv-approve">
                    {t('同意退款', 'Approve')}
                  </Button>
                  <Button size="small" disabled={busy === r.id} onClick={() => decide(r, 'reject')}>
                    {t('驳回', 'Reject')}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
    </Card>
  );
}

interface RuleForm {
  title: string;
  kind: 'fixed' | 'range';
  amountYuan?: number;
  minYuan?: number;
  maxYuan?: number;
  bonusYuan?: number;
  bonusPoints?: number;
  couponTemplateId?: string;
  window?: [Dayjs | null, Dayjs | null] | null;
  storeIds?: string[];
  tiers?: string[];
  active: boolean;
}

function TopupRulesCard() {
  const t = useT();
  const reference = useReference();
  const canEdit = useCan('admin');
  const state = useAsync((signal) => api.get<{ items: TopupRule[] }>('/admin/stored-value/topup-rules', undefined, signal), []);
  const [editing, setEditing] = useState<TopupRule | 'new' | null>(null);
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  const amountText = (r: TopupRule) => (r.kind === 'fixed' ? fenToYuanText(r.amountFen) : `${fenToYuanText(r.minFen)} – ${fenToYuanText(r.maxFen)}`);
  return (
    <Card
      title={t('充值方案', 'Top-up offers')}
      extra={canEdit ? <Button type="primary" onClick={() => setEditing('new')} data-testid="sv-new-rule">{t('新建方案', 'New offer')}</Button> : null}
      data-testid="sv-rules"
    >
      <Table
        size="small"
        pagination={false}
        rowKey="id"
        loading={state.loading}
        dataSource={state.data?.items ?? []}
        locale={{ emptyText: t('还没有充值方案', 'No offers yet') }}
        onRow={(r) => ({ onClick: () => canEdit && setEditing(r), style: { cursor: canEdit ? 'pointer' : undefined } })}
        columns={[
          { title: t('名称', 'Title'), dataIndex: 'title' },
          { title: t('充值金额', 'Amount'), key: 'amount', render: (_: unknown, r) => amountText(r) },
          {
            title: t('赠送', 'Bonus'),
            key: 'bonus',
            render: (_: unknown, r) =>
              [r.bonusFen ? t(`送 ${fenToYuanText(r.bonusFen)}`, `+${fenToYuanText(r.bonusFen)}`) : null, r.bonusPoints ? t(`送 ${r.bonusPoints} 积分`, `+${r.bonusPoints} points`) : null, r.couponTemplateId ? t('送券', '+coupon') : null]
                .filter(Boolean)
                .join('，') || '—',
          },
          {
            title: t('有效期', 'Valid'),
            key: 'window',
            render: (_: unknown, r) => (r.validFrom || r.validUntil ? `${r.validFrom ? dayjs(r.validFrom).format('YYYY-MM-DD') : '…'} ~ ${r.validUntil ? dayjs(r.validUntil).format('YYYY-MM-DD') : '…'}` : t('长期', 'Always')),
          },
          { title: t('门店', 'Stores'), dataIndex: 'storeIds', render: (v: string[]) => (v.length ? v.map((id) => reference.storeName(id)).join('、') : t('全部', 'All')) },
          { title: t('等级', 'Tiers'), dataIndex: 'tiers', render: (v: string[]) => (v.length ? v.map((c) => reference.tierName(c)).join('、') : t('全部', 'All')) },
          { title: t('状态', 'Status'), dataIndex: 'active', render: (v: boolean) => (v ? <Tag color="green">{t('上架', 'On')}</Tag> : <Tag>{t('下架', 'Off')}</Tag>) },
        ]}
      />
      {editing ? <RuleModal rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); state.reload(); }} /> : null}
    </Card>
  );
}

function RuleModal({ rule, onClose, onSaved }: { rule: TopupRule | null; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const reference = useReference();
  const [form] = Form.useForm<RuleForm>();
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const kind = Form.useWatch('kind', form) ?? rule?.kind ?? 'fixed';
  const templates = useAsync((signal) => api.get<{ items: Array<{ id: string; title: string }> }>('/admin/coupon-templates', { limit: 100 }, signal).catch(() => ({ items: [] })), []);

  const save = async (values: RuleForm) => {
    setSaving(true);
    setError(null);
    const body = {
      title: values.title,
      kind: values.kind,
      amountFen: values.kind === 'fixed' ? (yuanToFen(values.amountYuan) ?? null) : null,
      minFen: values.kind === 'range' ? (yuanToFen(values.minYuan) ?? null) : null,
      maxFen: values.kind === 'range' ? (yuanToFen(values.maxYuan) ?? null) : null,
      bonusFen: yuanToFen(values.bonusYuan) ?? 0,
      bonusPoints: values.bonusPoints ?? 0,
      couponTemplateId: values.couponTemplateId ?? null,
      validFrom: values.window?.[0] ? values.window[0].toISOString() : null,
      validUntil: values.window?.[1] ? values.window[1].toISOString() : null,
      storeIds: values.storeIds ?? [],
      tiers: values.tiers ?? [],
      active: values.active,
    };
    try {
      if (rule) await api.put(`/admin/stored-value/topup-rules/${rule.id}`, body);
      else await api.post('/admin/stored-value/topup-rules', body);
      onSaved();
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal open title={rule ? t('修改充值方案', 'Edit offer') : t('新建充值方案', 'New offer')} onCancel={onClose} onOk={() => form.submit()} confirmLoading={saving} okText={t('保存', 'Save')} destroyOnHidden width={560}>
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
      <Form<RuleForm>
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={{
          title: rule?.title ?? '',
          kind: rule?.kind ?? 'fixed',
          amountYuan: fenToYuan(rule?.amountFen),
          minYuan: fenToYuan(rule?.minFen),
          maxYuan: fenToYuan(rule?.maxFen),
          bonusYuan: fenToYuan(rule?.bonusFen) ?? 0,
          bonusPoints: rule?.bonusPoints ?? 0,
          couponTemplateId: rule?.couponTemplateId ?? undefined,
          window: rule && (rule.validFrom || rule.validUntil) ? [rule.validFrom ? dayjs(rule.validFrom) : null, rule.validUntil ? dayjs(rule.validUntil) : null] : null,
          storeIds: rule?.storeIds ?? [],
          tiers: rule?.tiers ?? [],
          active: rule?.active ?? true,
        }}
      >
        <Form.Item name="title" label={t('名称（会员看到的）', 'Title (shoppers see it)')} rules={[{ required: true, message: t('请填写名称', 'Required') }]}>
          <Input maxLength={40} placeholder={t('例如：充500送50', 'e.g. 充500送50')} data-testid="sv-rule-title" />
        </Form.Item>
        <Form.Item name="kind" label={t('金额', 'Amount')}>
          <Radio.Group options={[{ value: 'fixed', label: t('固定金额', 'Fixed') }, { value: 'range', label: t('会员自选金额', 'Shopper chooses') }]} />
        </Form.Item>
        {kind === 'fixed' ? (
          <Form.Item name="amountYuan" label={t('充值金额（元）', 'Amount (¥)')} rules={[{ required: true, message: t('请填写金额', 'Required') }]}>
            <InputNumber min={0.01} precision={2} style={{ width: '100%' }} data-testid="sv-rule-amount" />
          </Form.Item>
        ) : (
          <Space style={{ width: '100%' }} align="start">
            <Form.Item name="minYuan" label={t('最低（元）', 'Min (¥)')} rules={[{ required: true, message: t('必填', 'Required') }]}>
              <InputNumber min={0.01} precision={2} />
            </Form.Item>
            <Form.Item name="maxYuan" label={t('最高（元）', 'Max (¥)')} rules={[{ required: true, message: t('必填', 'Required') }]}>
              <InputNumber min={0.01} precision={2} />
            </Form.Item>
          </Space>
        )}
        <Space style={{ width: '100%' }} align="start">
          <Form.Item name="bonusYuan" label={t('赠送金额（元）', 'Bonus (¥)')}>
            <InputNumber min={0} precision={2} data-testid="sv-rule-bonus" />
          </Form.Item>
          <Form.Item name="bonusPoints" label={t('赠送积分', 'Bonus points')}>
            <InputNumber min={0} precision={0} />
          </Form.Item>
        </Space>
        <Form.Item name="couponTemplateId" label={t('赠送优惠券', 'Coupon given')}>
          <Select allowClear options={(templates.data?.items ?? []).map((tpl) => ({ value: tpl.id, label: tpl.title }))} placeholder={t('不送券', 'None')} />
        </Form.Item>
        <Form.Item name="window" label={t('有效期（不填为长期）', 'Valid (empty: always)')}>
          <DatePicker.RangePicker allowEmpty={[true, true]} showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="storeIds" label={t('适用门店（不选为全部）', 'Stores (none = all)')}>
          <Select mode="multiple" allowClear options={reference.stores.map((s) => ({ value: s.id, label: s.name }))} />
        </Form.Item>
        <Form.Item name="tiers" label={t('适用等级（不选为全部）', 'Tiers (none = all)')}>
          <Select mode="multiple" allowClear options={reference.tiers.map((tier) => ({ value: tier.code, label: tier.name }))} />
        </Form.Item>
        <Form.Item name="active" label={t('上架', 'Offered')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
    </Modal>
  );
}

interface SettingsForm {
  enabled: boolean;
  mode: 'principal_first' | 'ratio';
  bonusPerThousand?: number;
  memberBalanceCapYuan?: number;
  dailyTopupCapYuan?: number;
  confirmAboveYuan?: number;
  bonusForfeit: 'all' | 'proportional';
}

function SettingsCard() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canEdit = useCan('admin');
  const state = useAsync((signal) => api.get<StoredValueSettings>('/admin/stored-value/settings', undefined, signal), []);
  const [form] = Form.useForm<SettingsForm>();
  const mode = Form.useWatch('mode', form);
  const [saving, setSaving] = useState(false);
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  if (!state.data) return <LoadingState />;
  const s = state.data;

  const save = async (values: SettingsForm) => {
    setSaving(true);
    try {
      const saved = await api.put<StoredValueSettings>('/admin/stored-value/settings', {
        enabled: values.enabled,
        chargePolicy: values.mode === 'ratio' ? { mode: 'ratio', bonusPerThousand: values.bonusPerThousand ?? 0 } : { mode: 'principal_first' },
        memberBalanceCapFen: yuanToFen(values.memberBalanceCapYuan),
        dailyTopupCapFen: yuanToFen(values.dailyTopupCapYuan),
        confirmAboveFen: yuanToFen(values.confirmAboveYuan),
        bonusForfeit: values.bonusForfeit,
      });
      state.setData(saved);
      message.success(t('储值设置已保存', 'Saved'));
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card title={t('储值设置', 'Settings')} data-testid="sv-settings">
      <Form<SettingsForm>
        form={form}
        layout="vertical"
        disabled={!canEdit}
        onFinish={save}
        style={{ maxWidth: 560 }}
        initialValues={{
          enabled: s.enabled,
          mode: s.chargePolicy.mode,
          bonusPerThousand: s.chargePolicy.mode === 'ratio' ? s.chargePolicy.bonusPerThousand : 100,
          memberBalanceCapYuan: fenToYuan(s.memberBalanceCapFen),
          dailyTopupCapYuan: fenToYuan(s.dailyTopupCapFen),
          confirmAboveYuan: fenToYuan(s.confirmAboveFen),
          bonusForfeit: s.bonusForfeit,
        }}
      >
        <Form.Item name="enabled" label={t('开放会员充值', 'Shoppers may top up')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item name="mode" label={t('消费扣款顺序', 'Charge order')}>
          <Radio.Group options={[{ value: 'principal_first', label: t('先扣本金，再扣赠送金', 'Principal first, then bonus') }, { value: 'ratio', label: t('按比例扣赠送金', 'Bonus by ratio') }]} />
        </Form.Item>
        {(mode ?? s.chargePolicy.mode) === 'ratio' ? (
          <Form.Item name="bonusPerThousand" label={t('每消费 ¥10 扣赠送金（分）', 'Bonus fen per ¥10 charged')} extra={t('例如 100 表示消费的 10% 从赠送金扣', 'e.g. 100: 10% of each charge comes from bonus')}>
            <InputNumber min={0} max={1000} precision={0} />
          </Form.Item>
        ) : null}
        <Space style={{ width: '100%' }} align="start" wrap>
          <Form.Item name="memberBalanceCapYuan" label={t('单个会员余额上限（元）', 'Balance cap per member (¥)')} rules={[{ required: true }]}>
            <InputNumber min={0} precision={2} data-testid="sv-balance-cap" />
          </Form.Item>
          <Form.Item name="dailyTopupCapYuan" label={t('每日充值上限（元）', 'Daily top-up cap (¥)')} rules={[{ required: true }]}>
            <InputNumber min={0} precision={2} />
          </Form.Item>
          <Form.Item name="confirmAboveYuan" label={t('超过此金额需会员确认（元）', 'Member confirms above (¥)')} rules={[{ required: true }]}>
            <InputNumber min={0} precision={2} />
          </Form.Item>
        </Space>
        <Form.Item name="bonusForfeit" label={t('退还本金时赠送金', 'Bonus when principal is refunded')}>
          <Radio.Group options={[{ value: 'all', label: t('全部作废', 'All forfeited') }, { value: 'proportional', label: t('按退款比例作废', 'Forfeited pro rata') }]} />
        </Form.Item>
        <Typography.Paragraph type="secondary">{t('实名会员的储值余额长期有效，不设过期。', 'Balances of named members never expire.')}</Typography.Paragraph>
        {canEdit ? (
          <Button type="primary" htmlType="submit" loading={saving} data-testid="sv-save-settings">
            {t('保存设置', 'Save settings')}
          </Button>
        ) : null}
      </Form>
    </Card>
  );
}
