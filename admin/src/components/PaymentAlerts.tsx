import { Alert, App, Button, Card, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api';
import { useCan } from '../auth/session';
import { useLang, useT } from '../i18n';
import { AlertsLoadError } from './AlertsLoadError';
import { fenToYuanText, formatDateTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { PAYMENT_ALERT_KIND_LABELS, labelOf, type PaymentAlert, type PaymentAlertList } from '../shared';

/**
 * Refunds WeChat Pay could not complete (REFUND.ABNORMAL / REFUND.CLOSED): the member is still owed the
 * money, so HQ refunds by hand in the WeChat Pay merchant platform and then marks the alert handled.
 * Shows nothing while there are none.
 */
export function PaymentAlerts() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canResolve = useCan('admin');
  const state = useAsync((signal) => api.get<PaymentAlertList>('/admin/payments/alerts', undefined, signal), []);
  const [resolving, setResolving] = useState<PaymentAlert | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const alerts = state.data?.items ?? [];
  // A failed load is said, not shown as a blank: "no alerts" must mean there are none.
  if (state.error) return <AlertsLoadError title={t('支付提醒', 'Payment alerts')} error={state.error} onRetry={state.reload} testId="payment-alerts-error" />;
  if (alerts.length === 0) return null;

  const kindText = (kind: PaymentAlert['kind']) => labelOf(PAYMENT_ALERT_KIND_LABELS, kind, lang);

  async function resolve() {
    if (!resolving) return;
    setBusy(true);
    try {
      await api.post(`/admin/payments/alerts/${resolving.id}/resolve`, { note: note.trim() });
      message.success(t('已标记为处理完成', 'Marked as handled'));
      setResolving(null);
      setNote('');
      state.reload();
    } catch {
      message.error(t('操作失败，请稍后再试', 'Could not save, please try again'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card data-testid="payment-alerts" style={{ marginBottom: 16 }} title={t(`支付提醒：${alerts.length} 笔退款需要人工处理`, `Payment alerts: ${alerts.length} refunds need HQ`)}>
      <Alert
        type="error"
        showIcon
        style={{ marginBottom: 12 }}
        message={t(
          '微信支付未能完成以下退款，会员仍待退款。请登录微信支付商户平台（交易中心 → 退款管理）处理：退款异常的改为退至用户银行卡或商户转账；退款关闭的重新发起退款。处理后在此标记完成。',
          'WeChat Pay could not complete these refunds; the members are still owed the money. In the WeChat Pay merchant platform (Transactions → Refunds), send an abnormal refund to the bank card or pay it by transfer, and start a closed refund again; then mark it handled here.',
        )}
      />
      <Table<PaymentAlert>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={alerts}
        columns={[
          { title: t('发生时间', 'Raised'), dataIndex: 'raisedAt', render: (value: string) => formatDateTime(value) },
          { title: t('类型', 'Kind'), dataIndex: 'kind', render: (kind: PaymentAlert['kind']) => <Tag color="red">{kindText(kind)}</Tag> },
          { title: t('订单', 'Order'), dataIndex: 'description' },
          { title: t('金额', 'Amount'), dataIndex: 'amountFen', align: 'right', render: (fen: number) => fenToYuanText(fen) },
          {
            title: t('商户单号', 'Merchant numbers'),
            render: (_: unknown, row) => (
              <Space direction="vertical" size={0}>
                <Typography.Text copyable style={{ fontSize: 12 }}>{row.outTradeNo}</Typography.Text>
                <Typography.Text copyable type="secondary" style={{ fontSize: 12 }}>{row.outRefundNo}</Typography.Text>
              </Space>
            ),
          },
          ...(canResolve
            ? [{ title: '', render: (_: unknown, row: PaymentAlert) => <Button size="small" onClick={() => setResolving(row)}>{t('标记已处理', 'Mark handled')}</Button> }]
            : []),
        ]}
      />
      <Modal
        open={resolving !== null}
        title={t('标记退款已人工处理', 'Mark the refund handled')}
        okText={t('确认', 'Confirm')}
        cancelText={t('取消', 'Cancel')}
        okButtonProps={{ disabled: !note.trim(), loading: busy }}
        onOk={() => void resolve()}
        onCancel={() => setResolving(null)}
      >
        <Typography.Paragraph type="secondary">
          {resolving ? t(`${resolving.description}，${fenToYuanText(resolving.amountFen)}`, `${resolving.description}, ${fenToYuanText(resolving.amountFen)}`) : null}
        </Typography.Paragraph>
        <Input.TextArea
          data-testid="payment-alert-note"
          rows={3}
          maxLength={200}
          value={note}
          onChange={(event) => setNote(event.target.value)}
          placeholder={t('处理方式，例如：已在商户平台退至用户银行卡', 'How it was settled, e.g. refunded to the bank card in the merchant platform')}
        />
      </Modal>
    </Card>
  );
}
