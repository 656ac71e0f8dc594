import { Card, DatePicker, Select, Space, Statistic, Table, Tag } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { api } from '../api';
import { useCan } from '../auth/session';
import { CursorTable } from '../components/CursorTable';
import { ReversalCell, ReversalModal } from '../components/member/MemberReversals';
import { PageTitle } from '../components/PageTitle';
import { AsyncView } from '../components/states';
import { useT } from '../i18n';
import { fenToYuanText, formatInt } from '../lib/format';
import { useAsync, useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { chinaIsoText, chinaToday, type CounterEvent, type ShiftSummary } from '../shared';

// 门店日报: a store's day at the counter for HQ — the shift summary by clerk and kind, and every purchase,
// redemption and check-in of the day, each reversible by an HQ admin within its 24 hours.

const kindTags: Record<CounterEvent['kind'], [string, string, string]> = {
  purchase: ['消费', 'Purchase', 'blue'],
  redemption: ['核销', 'Redemption', 'orange'],
  checkin: ['签到', 'Check-in', 'default'],
};

export default function StoreDayPage() {
  const t = useT();
  const reference = useReference();
  const canReverse = useCan('admin');
  const [storeId, setStoreId] = useState<string | null>(null);
  const today = chinaToday(new Date());
  const [date, setDate] = useState(today);
  const [reversing, setReversing] = useState<CounterEvent | null>(null);
  const store = storeId ?? reference.stores[0]?.id ?? null;
  const summary = useAsync((signal) => (store ? api.get<ShiftSummary>(`/admin/stores/${store}/shift/summary`, { date }, signal) : Promise.resolve(null)), [store, date]);
  const list = useCursorList<CounterEvent>(
    (cursor, signal) => (store ? api.list<CounterEvent>(`/admin/stores/${store}/shift/events`, { cursor, date, limit: 20 }, signal) : Promise.resolve({ items: [], nextCursor: null })),
    [store, date],
  );

  return (
    <>
      <PageTitle title={t('门店日报', 'Store day')} />
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <Card>
          <Space wrap>
            <Select style={{ width: 220 }} value={store ?? undefined} onChange={setStoreId} options={reference.stores.map((s) => ({ value: s.id, label: s.name }))} data-testid="store-day-store" />
            <DatePicker value={dayjs(date)} allowClear={false} disabledDate={(d) => d.format('YYYY-MM-DD') > today} onChange={(d) => d && setDate(d.format('YYYY-MM-DD'))} />
            <Tag>{t('北京时间 00:00–24:00', 'China time, 00:00–24:00')}</Tag>
          </Space>
        </Card>
        <AsyncView state={summary}>
          {(day) =>
            day ? (
              <Card title={t(`${day.storeName} · ${day.date} 合计`, `${day.storeName} · ${day.date} totals`)} data-testid="store-day-summary">
                <div className="mc-card-grid" style={{ marginBottom: 16 }}>
                  <Statistic title={t(`消费 ${day.totals.purchases.count} 笔`, `${day.totals.purchases.count} purchases`)} value={fenToYuanText(day.totals.purchases.amountFen)} />
                  <Statistic title={t(`核销 ${day.totals.redemptions.count} 张 · 面值`, `${day.totals.redemptions.count} redemptions · face value`)} value={fenToYuanText(day.totals.redemptions.faceValueFen)} />
                  <Statistic title={t('签到人次', 'Check-ins')} value={day.totals.checkins.count} />
                  <Statistic title={t('发放积分', 'Points issued')} value={formatInt(day.totals.pointsIssued)} />
                  <Statistic title={t(`已撤销 ${day.totals.purchaseReversals.count + day.totals.redemptionReversals.count} 笔`, `${day.totals.purchaseReversals.count + day.totals.redemptionReversals.count} reversed`)} value={fenToYuanText(day.totals.purchaseReversals.amountFen)} />
                </div>
                <Table
                  size="small"
                  rowKey="staffId"
                  pagination={false}
                  dataSource={day.byClerk}
                  columns={[
                    { title: t('店员', 'Clerk'), dataIndex: 'staffName' },
                    { title: t('消费笔数', 'Purchases'), align: 'right', render: (_: unknown, c: ShiftSummary['byClerk'][number]) => formatInt(c.totals.purchases.count) },
                    { title: t('消费金额', 'Amount'), align: 'right', render: (_: unknown, c: ShiftSummary['byClerk'][number]) => fenToYuanText(c.totals.purchases.amountFen) },
                    { title: t('核销张数', 'Redemptions'), align: 'right', render: (_: unknown, c: ShiftSummary['byClerk'][number]) => formatInt(c.totals.redemptions.count) },
                    { title: t('券面值', 'Face value'), align: 'right', render: (_: unknown, c: ShiftSummary['byClerk'][number]) => fenToYuanText(c.totals.redemptions.faceValueFen) },
                    { title: t('签到', 'Check-ins'), align: 'right', render: (_: unknown, c: ShiftSummary['byClerk'][number]) => formatInt(c.totals.checkins.count) },
                    { title: t('发放积分', 'Points'), align: 'right', render: (_: unknown, c: ShiftSummary['byClerk'][number]) => formatInt(c.totals.pointsIssued) },
                    { title: t('已撤销', 'Reversed'), align: 'right', render: (_: unknown, c: ShiftSummary['byClerk'][number]) => formatInt(c.totals.purchaseReversals.count + c.totals.redemptionReversals.count) },
                  ]}
                />
              </Card>
            ) : null
          }
        </AsyncView>
        <Card title={t('流水', 'Entries')}>
          <CursorTable<CounterEvent>
            list={list}
            rowKey="id"
            size="small"
            testId="store-day-events"
            empty={t('这一天没有流水', 'Nothing on this day')}
            columns={[
              { title: t('时间', 'When'), dataIndex: 'at', render: (iso: string) => chinaIsoText(iso) },
              { title: t('类型', 'Kind'), dataIndex: 'kind', render: (kind: CounterEvent['kind']) => <Tag color={kindTags[kind][2]}>{t(kindTags[kind][0], kindTags[kind][1])}</Tag> },
              { title: t('内容', 'What'), render: (_: unknown, e: CounterEvent) => (e.kind === 'purchase' ? fenToYuanText(e.amountFen ?? 0) : e.kind === 'redemption' ? `${e.coupon?.title ?? ''}${e.coupon?.faceValueFen ? ` · ${t('面值', 'face')} ${fenToYuanText(e.coupon.faceValueFen)}` : ''}` : (e.activityTitle ?? '')) },
              { title: t('会员', 'Member'), render: (_: unknown, e: CounterEvent) => (e.member ? `${e.member.maskedName ?? t('未填姓名', 'No name')} · ${t('尾号', 'card …')}${e.member.cardNoTail}` : '—') },
              { title: t('积分', 'Points'), dataIndex: 'points', align: 'right', render: (value: number, e: CounterEvent) => (e.kind === 'redemption' ? '—' : `+${formatInt(value)}`) },
              { title: t('店员', 'Clerk'), dataIndex: 'staffName' },
              { title: t('单号', 'Order no.'), dataIndex: 'orderNo', render: (value: string | null) => value ?? '—' },
              { title: t('撤销', 'Reversal'), render: (_: unknown, e: CounterEvent) => <ReversalCell event={e} canReverse={canReverse} onReverse={() => setReversing(e)} /> },
            ]}
          />
        </Card>
      </Space>
      {reversing ? (
        <ReversalModal
          event={reversing}
          onClose={() => setReversing(null)}
          onDone={() => {
            setReversing(null);
            list.reload();
            summary.reload();
          }}
        />
      ) : null}
    </>
  );
}
