import { ReloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Descriptions, Space, Statistic, Switch, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api, readableErrorMessage } from '../../api';
import { useCan } from '../../auth/session';
import { useLang, useT } from '../../i18n';
import { formatDateTime, formatInt } from '../../lib/format';

// A template's WeChat wallet side (商家券): HQ's "也放入微信卡包" switch, the stock's sync state, how many of its
// coupons are in wallets, used through WeChat Pay or at our counter, refused by WeChat, and the calls to WeChat
// that failed, with a retry. The server's shape: GET /admin/coupon-templates/:id/wechat-wallet.

interface WalletStatus {
  templateId: string;
  enabled: boolean;
  stockId: string | null;
  stockStatus: 'off' | 'pending' | 'synced' | 'failed';
  stockError: string | null;
  offered: number;
  inWallet: number;
  usedViaWechatPay: number;
  usedAtCounter: number;
  refused: number;
  refusals: Array<{ reason: string; count: number }>;
  conflicts: number;
  failures: Array<{ couponId: string; kind: 'use' | 'return' | 'deactivate'; attempts: number; lastError: string | null; at: string }>;
  failureCount: number;
  pendingCount: number;
}

const KIND_TEXT: Record<WalletStatus['failures'][number]['kind'], [string, string]> = {
  use: ['核销同步', 'Mark used'],
  return: ['退券同步', 'Return'],
  deactivate: ['作废同步', 'Deactivate'],
};

export function WalletSyncPanel({ templateId }: { templateId: string }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canWrite = useCan('marketing');
  const [status, setStatus] = useState<WalletStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setStatus(await api.get<WalletStatus>(`/admin/coupon-templates/${templateId}/wechat-wallet`, undefined, signal));
        setError(null);
      } catch (cause) {
        if (!signal?.aborted) setError(readableErrorMessage(cause, lang));
      }
    },
    [templateId, lang],
  );
  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const act = async (work: () => Promise<WalletStatus>, done: string) => {
    setBusy(true);
    try {
      setStatus(await work());
      setError(null);
      message.success(done);
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (enabled: boolean) =>
    act(() => api.put<WalletStatus>(`/admin/coupon-templates/${templateId}/wechat-wallet`, { enabled }), enabled ? t('已放入微信卡包', 'Now offered in WeChat wallets') : t('已停止放入微信卡包', 'No longer offered in WeChat wallets'));
  const retry = () => act(() => api.post<WalletStatus>(`/admin/coupon-templates/${templateId}/wechat-wallet/retry`), t('已重试同步', 'Sync retried'));

  const stockTag = () => {
    if (!status || status.stockStatus === 'off') return <Tag>{t('未开启', 'Off')}</Tag>;
    if (status.stockStatus === 'synced') return <Tag color="green">{t(`已同步 · 批次号 ${status.stockId}`, `In sync · stock ${status.stockId}`)}</Tag>;
    if (status.stockStatus === 'pending') return <Tag color="blue">{t('等待同步', 'Waiting to sync')}</Tag>;
    return <Tag color="red">{t('批次同步失败', 'Stock sync failed')}</Tag>;
  };
  const failing = !!status && (status.failureCount > 0 || status.stockStatus === 'failed');

  return (
    <div data-testid="wallet-sync" style={{ borderTop: '1px solid #f0f0f0', paddingTop: 16, marginTop: 8 }}>
      <Space align="center" wrap style={{ marginBottom: 12 }}>
        <Typography.Text strong>{t('也放入微信卡包', 'Also in the WeChat wallet')}</Typography.Text>
        <Switch checked={status?.enabled ?? false} loading={busy || !status} disabled={!canWrite} onChange={toggle} data-testid="wallet-switch" />
        {stockTag()}
        {failing && canWrite ? (
          <Button size="small" icon={<ReloadOutlined />} loading={busy} onClick={retry} data-testid="wallet-retry">
            {t('重试同步', 'Retry sync')}
          </Button>
        ) : null}
      </Space>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('开启后以微信支付商家券同步此模板；会员可在小程序把券添加到微信卡包，在门店出示券码或微信支付时均可使用，只核销一次。', 'Synced to a WeChat Pay merchant-coupon stock; members can add their coupon to the WeChat wallet and use it once, by showing its code or when paying with WeChat Pay.')}
      </Typography.Paragraph>
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
      {status?.stockError ? <Alert type="warning" showIcon title={t(`微信返回：${status.stockError}`, `WeChat answered: ${status.stockError}`)} style={{ marginBottom: 12 }} data-testid="wallet-stock-error" /> : null}
      {status && (status.enabled || status.offered + status.inWallet + status.usedViaWechatPay + status.usedAtCounter > 0) ? (
        <>
          <Space size={32} wrap style={{ marginBottom: 12 }}>
            <Statistic title={t('在微信卡包中', 'In WeChat wallets')} value={formatInt(status.inWallet)} />
            <Statistic title={t('微信支付核销', 'Used via WeChat Pay')} value={formatInt(status.usedViaWechatPay)} />
            <Statistic title={t('门店核销', 'Used at our counter')} value={formatInt(status.usedAtCounter)} />
            <Statistic title={t('微信未放入', 'Refused by WeChat')} value={formatInt(status.refused)} />
            <Statistic title={t('同步失败', 'Sync failures')} value={formatInt(status.failureCount)} valueStyle={status.failureCount > 0 ? { color: '#cf1322' } : undefined} />
          </Space>
          {status.refusals.length > 0 || status.conflicts > 0 || status.pendingCount > 0 ? (
            <Descriptions size="small" column={1} style={{ marginBottom: 12 }}>
              {status.refusals.map((r) => (
                <Descriptions.Item key={r.reason} label={t('未放入原因', 'Refused because')}>
                  {r.reason} × {formatInt(r.count)}
                </Descriptions.Item>
              ))}
              {status.conflicts > 0 ? <Descriptions.Item label={t('两处同时使用', 'Used in both places')}>{t(`${status.conflicts} 张（账上只核销一次）`, `${status.conflicts} (redeemed once in our ledger)`)}</Descriptions.Item> : null}
              {status.pendingCount > 0 ? <Descriptions.Item label={t('等待同步', 'Waiting to sync')}>{formatInt(status.pendingCount)}</Descriptions.Item> : null}
            </Descriptions>
          ) : null}
          {status.failures.length > 0 ? (
            <Table
              size="small"
              rowKey="couponId"
              pagination={false}
              dataSource={status.failures}
              data-testid="wallet-failures"
              columns={[
                { title: t('券', 'Coupon'), dataIndex: 'couponId', render: (id: string) => <Typography.Text code>{id.slice(-8)}</Typography.Text> },
                { title: t('操作', 'Call'), dataIndex: 'kind', render: (kind: WalletStatus['failures'][number]['kind']) => t(...KIND_TEXT[kind]) },
                { title: t('尝试次数', 'Attempts'), dataIndex: 'attempts' },
                { title: t('微信返回', 'WeChat answered'), dataIndex: 'lastError', render: (text: string | null) => text ?? '—' },
                { title: t('时间', 'When'), dataIndex: 'at', render: (at: string) => formatDateTime(at) },
              ]}
            />
          ) : null}
        </>
      ) : null}
    </div>
  );
}
