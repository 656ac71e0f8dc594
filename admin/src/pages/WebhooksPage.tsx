import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Checkbox, Form, Input, Modal, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import { clearErrorsOnEdit, checkWith, failedSaveMessage, showFieldErrors } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { ErrorState } from '../components/states';
import { useLang, useT, type Translate } from '../i18n';
import { formatDateTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { WEBHOOK_EVENT_TYPES, WebhookEndpointCreateBodySchema, type WebhookDelivery, type WebhookEndpoint, type WebhookEndpointCreated, type WebhookEventType } from '../shared';

// Webhooks / 事件推送: HQ admins register receivers for member events, see every delivery with its attempts
// and send one again. The signing secret is shown once, when the endpoint is created.

function eventLabel(t: Translate, type: WebhookEventType): string {
  const labels: Record<WebhookEventType, string> = {
    'member.joined': t('会员开卡', 'Member joined'),
    'points.changed': t('积分变动', 'Points changed'),
    'coupon.issued': t('优惠券发放', 'Coupon issued'),
    'coupon.redeemed': t('优惠券核销', 'Coupon redeemed'),
    'order.recorded': t('消费记录', 'Order recorded'),
    'signup.paid': t('活动报名已支付', 'Sign-up paid'),
  };
  return labels[type];
}

/** An attempt's error as the sender records it (HTTP status, timeout, network code, unreadable secret), in the console's language. */
function attemptErrorText(t: Translate, error: string | null): string {
  if (!error) return '—';
  const timeout = /^timed out after (\d+) ms$/.exec(error);
  if (timeout) return t(`超时（${timeout[1]} 毫秒无应答）`, error);
  if (error.startsWith('The endpoint secret cannot be read')) return t('签名密钥无法读取（JWT_SECRET 已更换），请重新创建接收地址', error);
  if (/^HTTP \d+$/.test(error)) return t(`接收方返回 ${error}`, error);
  if (error.startsWith('refused: ')) return t(`未发送：地址不在允许范围（${error.slice(9)}，内网、本机或非 https 地址）`, `Not sent: the URL is not allowed (${error.slice(9)})`);
  const network: Record<string, string> = { ECONNREFUSED: '连接被拒绝', ENOTFOUND: '域名无法解析', ECONNRESET: '连接被重置', ETIMEDOUT: '连接超时', EAI_AGAIN: '域名解析暂时失败', CERT_HAS_EXPIRED: '证书已过期', UND_ERR_CONNECT_TIMEOUT: '连接超时' };
  if (error === 'fetch failed') return t('无法连接接收地址', error);
  return network[error] ? t(`${network[error]}（${error}）`, error) : t(`发送失败（${error}）`, error);
}

function DeliveryStatus({ delivery }: { delivery: WebhookDelivery }) {
  const t = useT();
  if (delivery.status === 'delivered') return <Tag color="green">{t('已送达', 'Delivered')}</Tag>;
  if (delivery.status === 'failed') return <Tag color="red">{t('已放弃', 'Given up')}</Tag>;
  return <Tag color="gold">{delivery.attempts.length ? t('重试中', 'Retrying') : t('待发送', 'Pending')}</Tag>;
}

export default function WebhooksPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const endpoints = useAsync((signal) => api.get<{ items: WebhookEndpoint[] }>('/admin/webhooks/endpoints', undefined, signal), []);
  const [endpointFilter, setEndpointFilter] = useState<string | undefined>();
  const [statusFilter, setStatusFilter] = useState<string | undefined>();
  const deliveries = useAsync(
    (signal) => api.get<{ items: WebhookDelivery[] }>('/admin/webhooks/deliveries', { endpointId: endpointFilter, status: statusFilter, limit: 100 }, signal),
    [endpointFilter, statusFilter],
  );
  const [creating, setCreating] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<WebhookEndpointCreated | null>(null);
  const [redelivering, setRedelivering] = useState<string | null>(null);
  const [form] = Form.useForm<{ url: string; description?: string; events: WebhookEventType[] }>();
  const endpointName = (id: string) => {
    const endpoint = endpoints.data?.items.find((e) => e.id === id);
    return endpoint ? endpoint.description || endpoint.url : id;
  };

  const create = async () => {
    const values = form.getFieldsValue();
    const description = values.description?.trim();
    const checked = checkWith(WebhookEndpointCreateBodySchema, { url: values.url?.trim() ?? '', events: values.events ?? [], ...(description ? { description } : {}) }, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    setError(null);
    try {
      const answer = await api.post<WebhookEndpointCreated>('/admin/webhooks/endpoints', checked.data);
      setCreating(false);
      setCreated(answer);
      endpoints.reload();
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const toggle = async (endpoint: WebhookEndpoint, active: boolean) => {
    try {
      await api.patch<WebhookEndpoint>(`/admin/webhooks/endpoints/${endpoint.id}`, { status: active ? 'active' : 'disabled' });
      endpoints.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  const redeliver = async (delivery: WebhookDelivery) => {
    setRedelivering(delivery.id);
    try {
      await api.post<WebhookDelivery>(`/admin/webhooks/deliveries/${delivery.id}/redelivery`, {});
      message.success(t('已重新推送（事件 id 不变，接收方按 id 去重）', 'Sent again (same event id; receivers de-duplicate on it)'));
      deliveries.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    } finally {
      setRedelivering(null);
    }
  };

  return (
    <>
      <PageTitle
        title={t('事件推送', 'Webhooks')}
        sub={t('会员开卡、积分、优惠券、消费和报名支付等事件，签名后推送到贵方系统；失败按退避重试 24 小时，同一会员的事件按顺序送达', 'Member, points, coupon, order and sign-up events, signed and sent to your systems; failures retried with backoff for 24 hours, each member’s events in order')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => { setError(null); form.setFieldsValue({ url: '', description: '', events: [] }); setCreating(true); }}>
            {t('新增接收地址', 'Add endpoint')}
          </Button>
        }
      />
      <Card title={t('接收地址', 'Endpoints')} style={{ marginBottom: 16 }}>
        {endpoints.error ? <ErrorState error={endpoints.error} onRetry={endpoints.reload} compact /> : null}
        <Table<WebhookEndpoint>
          rowKey="id"
          size="small"
          loading={endpoints.loading}
          pagination={false}
          dataSource={endpoints.data?.items ?? []}
          locale={{ emptyText: t('还没有接收地址', 'No endpoints yet') }}
          columns={[
            { title: t('地址', 'URL'), dataIndex: 'url', render: (url: string, e) => <><Typography.Text code>{url}</Typography.Text>{e.description ? <div style={{ color: '#888', fontSize: 12 }}>{e.description}</div> : null}</> },
            { title: t('订阅事件', 'Events'), dataIndex: 'events', render: (events: WebhookEventType[]) => events.map((type) => <Tag key={type}>{eventLabel(t, type)}</Tag>) },
            { title: t('创建时间', 'Created'), dataIndex: 'createdAt', render: formatDateTime, width: 150 },
            { title: t('启用', 'Active'), dataIndex: 'status', width: 80, render: (status: string, e) => <Switch checked={status === 'active'} onChange={(next) => toggle(e, next)} aria-label={t('启用', 'Active')} /> },
          ]}
        />
      </Card>
      <Card
        title={t('推送记录', 'Delivery log')}
        extra={
          <Space>
            <Select allowClear placeholder={t('全部地址', 'All endpoints')} style={{ width: 240 }} value={endpointFilter} onChange={setEndpointFilter} options={(endpoints.data?.items ?? []).map((e) => ({ label: e.description || e.url, value: e.id }))} />
            <Select
              allowClear
              placeholder={t('全部状态', 'Any status')}
              style={{ width: 120 }}
              value={statusFilter}
              onChange={setStatusFilter}
              options={[
                { label: t('待发送/重试中', 'Pending'), value: 'pending' },
                { label: t('已送达', 'Delivered'), value: 'delivered' },
                { label: t('已放弃', 'Given up'), value: 'failed' },
              ]}
            />
            <Button icon={<ReloadOutlined />} onClick={deliveries.reload}>{t('刷新', 'Refresh')}</Button>
          </Space>
        }
      >
        {deliveries.error ? <ErrorState error={deliveries.error} onRetry={deliveries.reload} compact /> : null}
        <Table<WebhookDelivery>
          rowKey="id"
          size="small"
          loading={deliveries.loading}
          dataSource={deliveries.data?.items ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: t('还没有推送记录', 'Nothing sent yet') }}
          expandable={{
            expandedRowRender: (d) => (
              <Table
                rowKey="n"
                size="small"
                pagination={false}
                dataSource={d.attempts}
                locale={{ emptyText: t('尚未尝试', 'Not tried yet') }}
                columns={[
                  { title: t('第几次', 'Attempt'), dataIndex: 'n', width: 80 },
                  { title: t('时间', 'When'), dataIndex: 'at', render: formatDateTime, width: 160 },
                  { title: t('结果', 'Result'), dataIndex: 'ok', width: 90, render: (ok: boolean) => (ok ? <Tag color="green">{t('成功', 'OK')}</Tag> : <Tag color="red">{t('失败', 'Failed')}</Tag>) },
                  { title: t('HTTP 状态', 'HTTP status'), dataIndex: 'httpStatus', width: 100, render: (v: number | null) => v ?? '—' },
                  { title: t('错误', 'Error'), dataIndex: 'error', render: (v: string | null) => <span title={v ?? undefined}>{attemptErrorText(t, v)}</span> },
                  { title: t('耗时', 'Took'), dataIndex: 'durationMs', width: 90, render: (ms: number) => `${ms} ms` },
                ]}
              />
            ),
          }}
          columns={[
            { title: t('时间', 'When'), dataIndex: 'createdAt', render: formatDateTime, width: 140 },
            { title: t('事件', 'Event'), dataIndex: 'eventType', render: (type: WebhookEventType) => eventLabel(t, type), width: 130 },
            { title: t('事件 id', 'Event id'), dataIndex: 'eventId', width: 170, render: (id: string) => <Typography.Text code copyable={{ text: id }} style={{ whiteSpace: 'nowrap' }}>{`evt_…${id.slice(-10)}`}</Typography.Text> },
            { title: t('会员', 'Member'), dataIndex: 'memberId', render: (id: string) => <a href={`#/members/${id}`}>{id.slice(-8)}</a>, width: 100 },
            { title: t('接收地址', 'Endpoint'), dataIndex: 'endpointId', width: 140, ellipsis: true, render: (id: string) => endpointName(id) },
            { title: t('状态', 'Status'), render: (_: unknown, d) => <DeliveryStatus delivery={d} />, width: 90 },
            { title: t('尝试次数', 'Attempts'), render: (_: unknown, d) => d.attempts.length, width: 80 },
            { title: t('下次重试', 'Next retry'), dataIndex: 'nextAttemptAt', render: (v: string | null) => (v ? formatDateTime(v) : '—'), width: 140 },
            {
              title: '',
              width: 100,
              render: (_: unknown, d) => (
                <Button size="small" loading={redelivering === d.id} onClick={() => redeliver(d)}>
                  {t('重新推送', 'Redeliver')}
                </Button>
              ),
            },
          ]}
        />
      </Card>

      <Modal title={t('新增接收地址', 'Add endpoint')} open={creating} onCancel={() => setCreating(false)} onOk={create} confirmLoading={saving} okText={t('创建', 'Create')} forceRender>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form form={form} layout="vertical" onValuesChange={clearErrorsOnEdit(form)}>
          <Form.Item name="url" label={t('接收地址（https://…）', 'URL (https://…)')}>
            <Input maxLength={500} placeholder="https://erp.example.com/membercard/events" />
          </Form.Item>
          <Form.Item name="description" label={t('备注', 'Description')}>
            <Input maxLength={60} placeholder={t('如：ERP 会员同步', 'e.g. ERP member sync')} />
          </Form.Item>
          <Form.Item name="events" label={t('订阅事件', 'Events')}>
            <Checkbox.Group options={WEBHOOK_EVENT_TYPES.map((type) => ({ label: t(`${eventLabel(t, type)}（${type}）`, `${eventLabel(t, type)} (${type})`), value: type }))} style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 6 }} />
          </Form.Item>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('活动推送批量发放的优惠券不逐张推送「优惠券发放」（coupon.issued）事件。', 'Coupons issued in bulk by campaign pushes send no coupon.issued events.')}
          </Typography.Text>
        </Form>
      </Modal>

      <Modal title={t('签名密钥（只显示这一次）', 'Signing secret (shown this once)')} open={!!created} onCancel={() => setCreated(null)} onOk={() => setCreated(null)} okText={t('我已保存', 'I have saved it')} cancelButtonProps={{ style: { display: 'none' } }}>
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('请立即复制并保存到接收方系统；关闭后无法再次查看。', 'Copy it into the receiving system now; it cannot be shown again.')}
        />
        <Typography.Paragraph code copyable style={{ wordBreak: 'break-all' }}>{created?.secret}</Typography.Paragraph>
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
          {t(
            '接收方校验：HMAC-SHA256(密钥, 时间戳 + "." + 原始请求体) 的十六进制须等于 X-Membercard-Signature；时间戳见 X-Membercard-Timestamp，事件 id 见 X-Membercard-Event-Id（同一事件重试时 id 不变，请按 id 去重）。',
            'Receivers check that hex HMAC-SHA256(secret, timestamp + "." + raw body) equals X-Membercard-Signature, with the timestamp from X-Membercard-Timestamp; X-Membercard-Event-Id stays the same on every retry, so de-duplicate on it.',
          )}
        </Typography.Paragraph>
      </Modal>
    </>
  );
}
