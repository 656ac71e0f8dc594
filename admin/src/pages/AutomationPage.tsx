import { App, Alert, Button, Card, Descriptions, Form, Input, InputNumber, Modal, Select, Switch, Table, Typography } from 'antd';
import { useCan } from '../auth/session';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { AutomationRule, MarketingSettings } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { clearErrorsOnEdit, checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { AsyncView } from '../components/states';
import { useLang, useT } from '../i18n';
import { formatDateTime, formatInt } from '../lib/format';
import { useAsync, useCursorList } from '../lib/hooks';
import { AUTOMATION_RULE_KIND_LABELS, AutomationRulePatchSchema, MarketingSettingsPatchSchema, labelOf, type CouponTemplate } from '../shared';
import { SubscribeTemplatesCard } from './SubscribeTemplatesCard';

/** Rule-specific numbers the server keeps in `params`, named for the people who set them. */
const paramLabels: Record<string, [string, string]> = {
  days: ['天数', 'Days'],
  daysBefore: ['提前天数', 'Days before'],
};

interface RuleForm {
  templateId?: string | null;
  points?: number | null;
  message?: string;
  params?: Record<string, number | null>;
}

/** The frequency cap on marketing messages and the value of a point (used for the points liability). */
function MarketingSettingsCard() {
  const t = useT();
  const canWrite = useCan('marketing'); // viewers read only (RouteSpec.hq on the server)
  const { lang } = useLang();
  const { message } = App.useApp();
  const state = useAsync((signal) => api.get<MarketingSettings>('/admin/marketing-settings', undefined, signal), []);
  const [form] = Form.useForm<MarketingSettings>();
  const [saving, setSaving] = useState(false);

  const save = async () => {
    const checked = checkWith(MarketingSettingsPatchSchema, form.getFieldsValue(true), lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    try {
      state.setData(await api.patch<MarketingSettings>('/admin/marketing-settings', checked.data));
      message.success(t('营销设置已保存', 'Marketing settings saved'));
    } catch (cause) {
      message.error(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card title={t('营销设置', 'Marketing settings')} style={{ marginBottom: 16 }} data-testid="marketing-settings">
      <AsyncView state={state} rows={2}>
        {(settings) => (
          <Form<MarketingSettings> form={form} layout="inline" initialValues={settings} onFinish={save}>
            <Form.Item name={['frequencyCap', 'maxMessages']} label={t('每位会员最多收到营销消息（条）', 'Marketing messages per member, at most')}>
              <InputNumber min={1} max={20} precision={0} />
            </Form.Item>
            <Form.Item name={['frequencyCap', 'windowDays']} label={t('统计周期（天）', 'Within (days)')}>
              <InputNumber min={1} max={90} precision={0} />
            </Form.Item>
            <Form.Item name="fenPerPoint" label={t('每积分价值（分）', 'Value of a point (fen)')} tooltip={t('用于计算积分负债金额', 'Used to value the points liability')}>
              <InputNumber min={0} max={10000} />
            </Form.Item>
            {canWrite ? (
              <Form.Item>
                <Button htmlType="submit" loading={saving}>
                  {t('保存', 'Save')}
                </Button>
              </Form.Item>
            ) : null}
          </Form>
        )}
      </AsyncView>
    </Card>
  );
}

export default function AutomationPage() {
  const t = useT();
  const canWrite = useCan('marketing'); // viewers read only (RouteSpec.hq on the server)
  const { lang } = useLang();
  const { message } = App.useApp();
  // The server answers all rules (one per kind) on one page.
  const list = useCursorList<AutomationRule>((cursor, signal) => api.list<AutomationRule>('/admin/automation-rules', { cursor }, signal), []);
  const templates = useAsync((signal) => api.list<CouponTemplate>('/admin/coupon-templates', { status: 'active', limit: 100 }, signal), []);
  const [editing, setEditing] = useState<AutomationRule | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<RuleForm>();

  const patch = async (rule: AutomationRule, changes: unknown) => {
    const next = await api.patch<AutomationRule>(`/admin/automation-rules/${rule.id}`, changes);
    list.replaceItem((item) => item.id === rule.id, next);
    return next;
  };

  const toggle = async (rule: AutomationRule, enabled: boolean) => {
    try {
      await patch(rule, { enabled });
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  const save = async () => {
    if (!editing) return;
    setError(null);
    const values = form.getFieldsValue(true) as RuleForm;
    const params = Object.fromEntries(Object.entries(values.params ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
    // A cleared coupon or message is sent as null: the rule then sends only the other.
    const checked = checkWith(AutomationRulePatchSchema, { templateId: values.templateId ?? null, ...(editing.kind === 'points_expiry' ? {} : { points: values.points ?? 0 }), message: values.message?.trim() ? values.message.trim() : null, ...(Object.keys(params).length ? { params } : {}) }, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    try {
      await patch(editing, checked.data);
      message.success(t('规则已保存', 'Rule saved'));
      setEditing(null);
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const kindName = (kind: string) => labelOf(AUTOMATION_RULE_KIND_LABELS, kind, lang);
  const templateTitle = (id?: string | null) => (id ? (templates.data?.items.find((template) => template.id === id)?.title ?? id) : '—');
  return (
    <>
      <PageTitle title={t('自动化规则', 'Automation rules')} sub={t('按会员事件自动发券或发消息', 'Coupons and messages sent automatically on member events')} />
      <MarketingSettingsCard />
      <SubscribeTemplatesCard />
      <Card>
        <CursorTable<AutomationRule>
          list={list}
          rowKey="id"
          testId="automation-rules"
          empty={t('还没有自动化规则', 'No automation rules')}
          expandable={{
            rowExpandable: (rule) => rule.recent.length > 0,
            expandedRowRender: (rule) => (
              <Table
                size="small"
                pagination={false}
                rowKey={(row) => `${row.occurrence}-${row.memberId}`}
                dataSource={rule.recent}
                columns={[
                  { title: t('时间', 'When'), dataIndex: 'at', render: formatDateTime },
                  { title: t('会员', 'Member'), dataIndex: 'memberId', render: (value: string) => <a href={`#/members/${value}`}>{value}</a> },
                  { title: t('事件', 'Occurrence'), dataIndex: 'occurrence' },
                  { title: t('发券', 'Coupon'), dataIndex: 'couponIssued', render: (value: boolean) => (value ? '✓' : '—') },
                  { title: t('通知', 'Notified'), dataIndex: 'notified', render: (value: boolean) => (value ? '✓' : '—') },
                ]}
              />
            ),
          }}
          columns={[
            { title: t('规则', 'Rule'), render: (_: unknown, rule) => rule.name || kindName(rule.kind) },
            { title: t('发放的优惠券', 'Coupon'), render: (_: unknown, rule) => templateTitle(rule.templateId) },
            { title: t('赠送积分', 'Points'), dataIndex: 'points', align: 'right', render: (value: number) => (value ? formatInt(value) : '—') },
            { title: t('消息文案', 'Message'), dataIndex: 'message', render: (value: string | null) => value ?? '—' },
            { title: t('已触发', 'Fired'), dataIndex: 'sentCount', align: 'right', render: formatInt },
            { title: t('已发券', 'Coupons issued'), dataIndex: 'couponsIssued', align: 'right', render: formatInt },
            { title: t('已发消息', 'Messages sent'), dataIndex: 'messagesSent', align: 'right', render: formatInt },
            { title: t('最近运行', 'Last run'), dataIndex: 'lastRunAt', render: formatDateTime },
            { title: t('启用', 'On'), dataIndex: 'enabled', render: (value: boolean, rule) => <Switch checked={value} disabled={!canWrite} onChange={(next) => toggle(rule, next)} data-testid={`rule-enabled-${rule.id}`} /> },
            {
              title: '',
              render: (_: unknown, rule) => (canWrite ? (
                <Button
                  size="small"
                  onClick={() => {
                    setError(null);
                    setEditing(rule);
                    form.setFieldsValue({ templateId: rule.templateId ?? undefined, points: rule.points, message: rule.message ?? '', params: rule.params });
                  }}
                >
                  {t('编辑', 'Edit')}
                </Button>
              ) : null),
            },
          ]}
        />
      </Card>
      <Modal title={editing ? `${t('编辑规则', 'Edit rule')} · ${editing.name || kindName(editing.kind)}` : ''} open={!!editing} onCancel={() => setEditing(null)} onOk={save} confirmLoading={saving} forceRender>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        {editing ? (
          <Descriptions size="small" column={3} style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t('已触发', 'Fired')}>{formatInt(editing.sentCount)}</Descriptions.Item>
            <Descriptions.Item label={t('已发券', 'Coupons')}>{formatInt(editing.couponsIssued)}</Descriptions.Item>
            <Descriptions.Item label={t('已发消息', 'Messages')}>{formatInt(editing.messagesSent)}</Descriptions.Item>
          </Descriptions>
        ) : null}
        <Form form={form} layout="vertical" onValuesChange={clearErrorsOnEdit(form)}>
          <Form.Item name="templateId" label={t('发放的优惠券', 'Coupon to issue')} extra={t('不选则只发消息', 'None = message only')}>
            <Select allowClear options={(templates.data?.items ?? []).map((template) => ({ label: template.title, value: template.id }))} />
          </Form.Item>
          {editing?.kind !== 'points_expiry' ? (
            <Form.Item name="points" label={t('赠送积分', 'Points to grant')} extra={t('每位会员每次触发只到账一次；0 表示不送积分', 'Credited once per member and occurrence; 0 = none')}>
              <InputNumber min={0} max={100000} precision={0} style={{ width: '100%' }} data-testid="rule-points" />
            </Form.Item>
          ) : null}
          {Object.keys(editing?.params ?? {}).map((param) => (
            <Form.Item key={param} name={['params', param]} label={paramLabels[param] ? t(...paramLabels[param]!) : param}>
              <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          ))}
          <Form.Item name="message" label={t('消息文案', 'Message text')} extra={t('不填则不发消息；微信订阅消息最多20字', 'Blank = no message; WeChat allows at most 20 characters')}>
            <Input maxLength={20} showCount />
          </Form.Item>
        </Form>
      </Modal>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, fontSize: 12 }}>
        {t('每条规则每位会员每次事件只触发一次；营销消息受上方频次上限约束。', 'Each rule fires once per member and occurrence; marketing messages respect the frequency cap above.')}
      </Typography.Paragraph>
    </>
  );
}
