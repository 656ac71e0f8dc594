import { App, Button, Card, Form, Input, InputNumber, Modal, Select, Switch, Tag } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { AutomationRule } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { serverFieldErrors, showFieldErrors } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { useLang, useT } from '../i18n';
import { formatDateTime, formatInt } from '../lib/format';
import { useAsync, useCursorList } from '../lib/hooks';
import type { CouponTemplate } from '../shared';

const kindLabels: Record<string, [string, string]> = {
  birthday: ['生日礼', 'Birthday gift'],
  welcome: ['入会礼', 'Welcome gift'],
  points_expiry: ['积分过期提醒', 'Points expiry reminder'],
  win_back: ['沉睡唤醒', 'Win-back'],
  tier_upgrade: ['升级礼', 'Tier upgrade gift'],
  profile_complete: ['资料完善奖励', 'Profile completion bonus'],
};

export default function AutomationPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const list = useCursorList<AutomationRule>((cursor, signal) => api.list<AutomationRule>('/admin/automation-rules', { cursor }, signal), []);
  const templates = useAsync((signal) => api.list<CouponTemplate>('/admin/coupon-templates', { status: 'active', limit: 100 }, signal), []);
  const [editing, setEditing] = useState<AutomationRule | null>(null);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<{ templateId?: string | null; points?: number | null; message?: string; params?: Record<string, number> }>();

  const patch = async (rule: AutomationRule, changes: Partial<AutomationRule>) => {
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
    const values = form.getFieldsValue();
    setSaving(true);
    try {
      const changes: Partial<AutomationRule> = {};
      if (values.templateId !== undefined) changes.templateId = values.templateId;
      if (values.points !== undefined && values.points !== null) changes.points = values.points;
      if (values.message !== undefined) changes.message = values.message;
      if (values.params) changes.params = values.params;
      await patch(editing, changes);
      message.success(t('规则已保存', 'Rule saved'));
      setEditing(null);
    } catch (cause) {
      const fields = serverFieldErrors(cause);
      if (fields) showFieldErrors(form, fields);
      message.error(readableErrorMessage(cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const templateTitle = (id?: string | null) => (id ? (templates.data?.items.find((template) => template.id === id)?.title ?? id) : '—');
  return (
    <>
      <PageTitle title={t('自动化规则', 'Automation rules')} sub={t('按会员事件自动发券或发消息', 'Coupons and messages sent automatically on member events')} />
      <Card>
        <CursorTable<AutomationRule>
          list={list}
          rowKey="id"
          empty={t('还没有自动化规则', 'No automation rules')}
          columns={[
            { title: t('规则', 'Rule'), render: (_: unknown, rule) => rule.name || (kindLabels[rule.kind] ? t(...kindLabels[rule.kind]!) : rule.kind) },
            { title: t('类型', 'Kind'), dataIndex: 'kind', render: (value: string) => <Tag>{kindLabels[value] ? t(...kindLabels[value]!) : value}</Tag> },
            { title: t('奖励', 'Reward'), render: (_: unknown, rule) => (rule.templateId ? templateTitle(rule.templateId) : rule.points ? t(`${rule.points} 积分`, `${rule.points} points`) : '—') },
            { title: t('已发送', 'Sent'), dataIndex: 'sentCount', align: 'right', render: formatInt },
            { title: t('最近运行', 'Last run'), dataIndex: 'lastRunAt', render: formatDateTime },
            { title: t('启用', 'On'), dataIndex: 'enabled', render: (value: boolean, rule) => <Switch checked={value} onChange={(next) => toggle(rule, next)} /> },
            {
              title: '',
              render: (_: unknown, rule) => (
                <Button size="small" onClick={() => { setEditing(rule); form.setFieldsValue({ templateId: rule.templateId ?? undefined, points: rule.points ?? undefined, message: rule.message ?? '', params: rule.params }); }}>
                  {t('编辑', 'Edit')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
      <Modal title={t('编辑规则', 'Edit rule')} open={!!editing} onCancel={() => setEditing(null)} onOk={save} confirmLoading={saving} destroyOnHidden forceRender>
        <Form form={form} layout="vertical">
          <Form.Item name="templateId" label={t('发放的优惠券', 'Coupon to issue')}>
            <Select allowClear options={(templates.data?.items ?? []).map((template) => ({ label: template.title, value: template.id }))} />
          </Form.Item>
          <Form.Item name="points" label={t('赠送积分', 'Points to award')}>
            <InputNumber min={0} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          {Object.keys(editing?.params ?? {}).map((param) => (
            <Form.Item key={param} name={['params', param]} label={param}>
              <InputNumber precision={0} style={{ width: '100%' }} />
            </Form.Item>
          ))}
          <Form.Item name="message" label={t('消息文案', 'Message text')}>
            <Input.TextArea rows={2} maxLength={100} showCount />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
