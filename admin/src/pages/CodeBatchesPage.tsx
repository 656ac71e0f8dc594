import { DownloadOutlined, PlusOutlined, StopOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Form, Input, InputNumber, Modal, Radio, Select, Space, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { RedemptionCodeBatch } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { clearErrorsOnEdit, checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { useCan } from '../auth/session';
import { useLang, useT } from '../i18n';
import { compact } from '../lib/forms';
import { saveBlob } from '../lib/download';
import { formatDate, formatDateTime, formatInt } from '../lib/format';
import { useAsync, useCursorList } from '../lib/hooks';
import { CODE_BATCH_STATUS_LABELS, RedemptionCodeBatchBodySchema, labelOf, type CouponTemplate } from '../shared';

interface BatchForm {
  name?: string;
  purpose?: string;
  reward: 'coupon' | 'points';
  templateId?: string;
  points?: number | null;
  count?: number | null;
  expiresAt?: Dayjs | null;
}

export default function CodeBatchesPage() {
  const t = useT();
  // Viewers read; writing needs the HQ role the server asks for (RouteSpec.hq).
  const canWrite = useCan('marketing');
  const { lang } = useLang();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<BatchForm>();
  const reward = Form.useWatch('reward', form);
  const list = useCursorList<RedemptionCodeBatch>((cursor, signal) => api.list<RedemptionCodeBatch>('/admin/redemption-code-batches', { cursor }, signal), []);
  const templates = useAsync((signal) => api.list<CouponTemplate>('/admin/coupon-templates', { status: 'active', limit: 100 }, signal), []);
  const templateTitle = (id?: string) => templates.data?.items.find((template) => template.id === id)?.title ?? t('优惠券', 'Coupon');
  const [voiding, setVoiding] = useState<RedemptionCodeBatch | null>(null);
  const [voidReason, setVoidReason] = useState('');
  const [voidError, setVoidError] = useState<string | null>(null);
  const [voidSaving, setVoidSaving] = useState(false);

  const confirmVoid = async () => {
    if (!voiding) return;
    if (voidReason.trim().length < 2) return setVoidError(t('请填写作废原因（至少 2 个字）', 'Give a reason (at least 2 characters)'));
    setVoidSaving(true);
    setVoidError(null);
    try {
      const voided = await api.post<RedemptionCodeBatch>(`/admin/redemption-code-batches/${voiding.id}/void`, { reason: voidReason.trim() });
      message.success(t(`已作废「${voided.name}」，已兑换 ${voided.claimedCount} 个`, `Voided “${voided.name}”; ${voided.claimedCount} were claimed`));
      setVoiding(null);
      list.reload();
    } catch (cause) {
      setVoidError(readableErrorMessage(cause, lang));
    } finally {
      setVoidSaving(false);
    }
  };

  const download = async (batch: RedemptionCodeBatch) => {
    try {
      const blob = await api.download(`/admin/redemption-code-batches/${batch.id}/codes.csv`);
      saveBlob(blob, `redemption-codes-${batch.id}.csv`);
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  const create = async () => {
    setError(null);
    const values = form.getFieldsValue(true) as BatchForm;
    if (!values.name?.trim()) return void form.setFields([{ name: 'name', errors: [t('请填写批次名称', 'Name the batch')] }]);
    const body = compact({
      name: values.name?.trim(),
      purpose: values.purpose?.trim() || undefined,
      templateId: values.reward === 'coupon' ? values.templateId : undefined,
      points: values.reward === 'points' ? (values.points ?? undefined) : undefined,
      count: values.count ?? undefined,
      expiresAt: values.expiresAt ? values.expiresAt.endOf('day').toISOString() : undefined,
    });
    const checked = checkWith(RedemptionCodeBatchBodySchema, body, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    try {
      const created = await api.post<{ id: string; count: number }>('/admin/redemption-code-batches', checked.data);
      message.success(t(`已生成 ${created.count} 个兑换码`, `${created.count} codes generated`));
      setOpen(false);
      form.resetFields();
      list.reload();
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const createButton = (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="new-batch">
      {t('生成兑换码', 'Generate codes')}
    </Button>
  );
  return (
    <>
      <PageTitle title={t('兑换码', 'Redemption codes')} sub={t('印刷在卡片或包装上的一次性兑换码', 'One-time codes printed on cards or packaging')} extra={canWrite ? createButton : null} />
      <Card>
        <CursorTable<RedemptionCodeBatch>
          list={list}
          rowKey="id"
          empty={t('还没有兑换码批次', 'No code batches yet')}
          emptyAction={canWrite ? createButton : undefined}
          columns={[
            {
              title: t('批次', 'Batch'),
              render: (_: unknown, batch) => (
                <Space direction="vertical" size={0}>
                  <Typography.Text strong>{batch.name}</Typography.Text>
                  {batch.purpose ? <Typography.Text type="secondary" style={{ fontSize: 12 }}>{batch.purpose}</Typography.Text> : null}
                </Space>
              ),
            },
            { title: t('奖励', 'Reward'), render: (_: unknown, batch) => (batch.templateId ? templateTitle(batch.templateId) : t(`${batch.points} 积分`, `${batch.points} points`)) },
            { title: t('数量', 'Count'), dataIndex: 'count', align: 'right', render: formatInt },
            { title: t('已兑换', 'Claimed'), dataIndex: 'claimedCount', align: 'right', render: formatInt },
            {
              title: t('状态', 'Status'),
              dataIndex: 'status',
              render: (value: string, batch) => {
                const tag = <Tag color={value === 'ready' ? 'green' : value === 'voided' ? 'default' : 'processing'}>{labelOf(CODE_BATCH_STATUS_LABELS, value, lang)}</Tag>;
                return batch.voidReason ? <span title={batch.voidReason}>{tag}<Typography.Text type="secondary" style={{ fontSize: 12 }}>{batch.voidReason}</Typography.Text></span> : tag;
              },
            },
            { title: t('过期', 'Expires'), dataIndex: 'expiresAt', render: formatDate },
            { title: t('创建', 'Created'), dataIndex: 'createdAt', render: formatDateTime },
            {
              title: '',
              render: (_: unknown, batch) => (
                <Space>
                  <Button size="small" icon={<DownloadOutlined />} disabled={batch.status === 'generating' || !canWrite} onClick={() => download(batch)}>CSV</Button>
                  {canWrite && batch.status === 'ready' ? (
                    <Button size="small" danger icon={<StopOutlined />} onClick={() => { setVoiding(batch); setVoidReason(''); setVoidError(null); }} data-testid={`void-${batch.id}`}>
                      {t('作废', 'Void')}
                    </Button>
                  ) : null}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <Modal title={t('生成兑换码', 'Generate codes')} open={open} onCancel={() => setOpen(false)} onOk={create} confirmLoading={saving} destroyOnHidden>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form<BatchForm> form={form} layout="vertical" onValuesChange={clearErrorsOnEdit(form)} initialValues={{ reward: 'coupon', count: 100, expiresAt: dayjs().add(90, 'day') }}>
          <Form.Item name="name" label={t('批次名称', 'Name')} required>
            <Input maxLength={40} placeholder={t('如：春节礼盒内卡', 'e.g. Spring gift box cards')} data-testid="batch-name" />
          </Form.Item>
          <Form.Item name="purpose" label={t('用途', 'Purpose')}>
            <Input.TextArea maxLength={200} rows={2} placeholder={t('印在哪里、发给谁', 'Where it is printed, who gets it')} />
          </Form.Item>
          <Form.Item name="reward" label={t('兑换内容', 'Reward')}>
            <Radio.Group options={[{ label: t('优惠券', 'Coupon'), value: 'coupon' }, { label: t('积分', 'Points'), value: 'points' }]} />
          </Form.Item>
          {reward === 'points' ? (
            <Form.Item name="points" label={t('每个码的积分', 'Points per code')}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          ) : (
            <Form.Item name="templateId" label={t('优惠券模板', 'Coupon template')}>
              <Select loading={templates.loading} options={(templates.data?.items ?? []).map((template) => ({ label: template.title, value: template.id }))} />
            </Form.Item>
          )}
          <Form.Item name="count" label={t('数量', 'How many')}>
            <InputNumber min={1} max={100000} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="expiresAt" label={t('过期日期', 'Expires on')}>
            <DatePicker style={{ width: '100%' }} />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        title={voiding ? t(`作废「${voiding.name}」`, `Void “${voiding.name}”`) : ''}
        open={voiding !== null}
        onCancel={() => setVoiding(null)}
        onOk={confirmVoid}
        okText={t('确认作废', 'Void')}
        okButtonProps={{ danger: true, 'data-testid': 'confirm-void' } as never}
        confirmLoading={voidSaving}
        destroyOnHidden
      >
        <Typography.Paragraph>
          {t('作废后，未兑换的兑换码将无法再兑换（已兑换的不受影响）。此操作不可撤销，并记入操作日志。', 'Unclaimed codes will refuse claims from now on (claimed ones are kept). This cannot be undone and is recorded in the audit log.')}
        </Typography.Paragraph>
        {voidError ? <Alert type="error" showIcon title={voidError} style={{ marginBottom: 12 }} /> : null}
        <Input.TextArea rows={3} maxLength={200} value={voidReason} onChange={(e) => setVoidReason(e.target.value)} placeholder={t('作废原因（必填）', 'Reason (required)')} data-testid="void-reason" />
      </Modal>
    </>
  );
}
