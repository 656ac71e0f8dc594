import { Card, Descriptions, Table, Tag } from 'antd';
import dayjs from 'dayjs';
import { api } from '../../api';
import { useT } from '../../i18n';
import { fenToYuanText } from '../../lib/format';
import { useAsync, useCursorList } from '../../lib/hooks';
import type { MemberStoredValue, StoredValueEntry } from '../../shared';
import { ErrorState } from '../states';

// The member's stored value on HQ's member page: principal and bonus held, an open refund request, and the
// statement (every top-up, charge and refund with the balance after it).

const KIND_TEXT: Record<string, { zh: string; en: string }> = {
  topup: { zh: '充值', en: 'Top-up' },
  topup_bonus: { zh: '充值赠送', en: 'Top-up bonus' },
  charge: { zh: '储值消费', en: 'Charge' },
  charge_refund: { zh: '消费退回', en: 'Charge refunded' },
  principal_refund: { zh: '退款至微信', en: 'Refund to WeChat Pay' },
  bonus_forfeit: { zh: '赠送金作废', en: 'Bonus forfeited' },
  adjustment: { zh: '调整', en: 'Adjustment' },
};

const signed = (fen: number) => (fen === 0 ? '—' : `${fen > 0 ? '+' : '−'}${fenToYuanText(Math.abs(fen))}`);

export function StoredValuePanel({ memberId }: { memberId: string }) {
  const t = useT();
  const summary = useAsync((signal) => api.get<MemberStoredValue>(`/admin/members/${memberId}/stored-value`, undefined, signal), [memberId]);
  const list = useCursorList<StoredValueEntry>((cursor, signal) => api.list(`/admin/members/${memberId}/stored-value/entries`, { cursor, limit: 20 }, signal), [memberId]);
  if (summary.error) return <ErrorState error={summary.error} onRetry={summary.reload} />;
  const balance = summary.data?.balance;
  const request = summary.data?.refundRequest;
  return (
    <Card title={t('储值', 'Stored value')} data-testid="member-stored-value" loading={summary.loading && !summary.data}>
      <Descriptions size="small" column={3}>
        <Descriptions.Item label={t('余额', 'Balance')}>
          <strong data-testid="sv-member-total">{fenToYuanText(balance?.totalFen ?? 0)}</strong>
        </Descriptions.Item>
        <Descriptions.Item label={t('本金', 'Principal')}>{fenToYuanText(balance?.principalFen ?? 0)}</Descriptions.Item>
        <Descriptions.Item label={t('赠送金', 'Bonus')}>{fenToYuanText(balance?.bonusFen ?? 0)}</Descriptions.Item>
        {request && ['requested', 'refunding'].includes(request.status) ? (
          <Descriptions.Item label={t('退款申请', 'Refund request')} span={3}>
            <Tag color="orange">{request.status === 'requested' ? t('待总部审核', 'Awaiting HQ') : t('退款中', 'Refunding')}</Tag>
            {fenToYuanText(request.principalFen)}
          </Descriptions.Item>
        ) : null}
      </Descriptions>
      <Table<StoredValueEntry>
        size="small"
        rowKey="id"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        locale={{ emptyText: t('还没有储值记录', 'No stored-value entries yet') }}
        columns={[
          { title: t('时间', 'When'), dataIndex: 'createdAt', render: (v: string) => dayjs(v).format('YYYY-MM-DD HH:mm') },
          { title: t('类型', 'Kind'), dataIndex: 'kind', render: (v: string) => t(KIND_TEXT[v]?.zh ?? v, KIND_TEXT[v]?.en ?? v) },
          { title: t('说明', 'What'), dataIndex: 'reason' },
          { title: t('门店', 'Store'), dataIndex: 'storeName', render: (v: string | null) => v ?? '—' },
          { title: t('本金', 'Principal'), dataIndex: 'principalDelta', align: 'right', render: signed },
          { title: t('赠送金', 'Bonus'), dataIndex: 'bonusDelta', align: 'right', render: signed },
          { title: t('余额', 'Balance after'), key: 'after', align: 'right', render: (_: unknown, e) => fenToYuanText(e.principalAfter + e.bonusAfter) },
        ]}
      />
      {list.hasMore ? (
        <div style={{ textAlign: 'center', marginTop: 8 }}>
          <a onClick={list.loadMore}>{t('加载更多', 'Load more')}</a>
        </div>
      ) : null}
    </Card>
  );
}
