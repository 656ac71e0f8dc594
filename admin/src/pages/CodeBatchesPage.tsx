import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Form, InputNumber, Modal, Radio, Select, Tag } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { RedemptionCodeBatch } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { useCan } from '../auth/session';
import { useLang, useT } from '../i18n';
import { compact } from '../lib/forms';
import { saveBlob } from '../lib/download';
import { formatDate, formatDateTime, formatInt } from '../lib/format';
import { useAsync, useCursorList } from '../lib/hooks';
import { RedemptionCodeBatchBodySchema, type CouponTemplate } from '../shared';

interface BatchForm {
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
  const templateTitle = (id?: string) => templates.data?.items.find((template) => template.id === id)?.title ?? id;

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
    const body = compact({
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
            { title: t('批次', 'Batch'), dataIndex: 'id', render: (value: string) => <span style={{ fontFamily: 'monospace' }}>{value}</span> },
            { title: t('奖励', 'Reward'), render: (_: unknown, batch) => (batch.templateId ? templateTitle(batch.templateId) : t(`${batch.points} 积分`, `${batch.points} points`)) },
            { title: t('数量', 'Count'), dataIndex: 'count', align: 'right', render: formatInt },
            { title: t('已兑换', 'Claimed'), dataIndex: 'claimedCount', align: 'right', render: formatInt },
            { title: t('状态', 'Status'), dataIndex: 'status', render: (value: string) => (value === 'ready' ? <Tag color="green">{t('可兑换', 'Ready')}</Tag> : <Tag color="processing">{t('生成中', 'Generating')}</Tag>) },
            { title: t('过期', 'Expires'), dataIndex: 'expiresAt', render: formatDate },
            { title: t('创建', 'Created'), dataIndex: 'createdAt', render: formatDateTime },
            { title: '', render: (_: unknown, batch) => <Button size="small" icon={<DownloadOutlined />} disabled={batch.status !== 'ready' || !canWrite} onClick={() => download(batch)}>CSV</Button> },
          ]}
        />
      </Card>
      <Modal title={t('生成兑换码', 'Generate codes')} open={open} onCancel={() => setOpen(false)} onOk={create} confirmLoading={saving} destroyOnHidden>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form<BatchForm> form={form} layout="vertical" initialValues={{ reward: 'coupon', count: 100, expiresAt: dayjs().add(90, 'day') }}>
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
    </>
  );
}
