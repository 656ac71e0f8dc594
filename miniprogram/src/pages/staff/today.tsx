import { Button, Input, Picker, View } from '@tarojs/components';
import Taro, { useDidShow, usePullDownRefresh, useReachBottom } from '@tarojs/taro';
import { chinaToday, COMMON_REVERSAL_REASONS, REVERSAL_BLOCK_TEXT, type CounterEvent } from '@membercard/shared';
import { useEffect, useState } from 'react';
import { readableError } from '../../api/errors';
import { staffApi, STAFF_SIGN_IN_PAGE } from '../../api/session';
import { shift, type ShiftFilter } from '../../api/shift';
import { LoadingMore, Status } from '../../components/Status';
import { useAsync } from '../../hooks/useAsync';
import { useStoreNames } from '../../hooks/useCatalogueNames';
import { usePagedList } from '../../hooks/usePagedList';
import { chinaDateTime, yuan } from '../../lib/format';
import { chinaClock, counterKindText, maskedMemberText, reversalText } from '../../lib/shiftText';
import { currentStaff } from '../../lib/staffSession';

/**
 * 今日流水: the store's purchases, redemptions and check-ins of the day with its totals. Everyone at the
 * counter sees the store's day (they share the till); a manager may pick another day, reverses a purchase
 * or redemption with a reason, and opens the printable shift summary. A clerk sees the reversal button
 * disabled with why.
 */
export default function StaffTodayPage() {
  const staff = currentStaff();
  const storeName = useStoreNames();
  const isManager = staff?.role === 'manager';
  const today = chinaToday(new Date());
  const [date, setDate] = useState(today);
  const [mineOnly, setMineOnly] = useState(false);
  const [reversing, setReversing] = useState<CounterEvent | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const filter: ShiftFilter = { ...(date !== today ? { date } : {}), ...(mineOnly && staff ? { staffId: staff.id } : {}) };
  const key = `${date}|${mineOnly}`;
  const list = usePagedList((cursor) => shift.events(filter, cursor));
  const totals = useAsync(() => shift.summary(filter), [key]);

  useDidShow(() => {
    if (!staffApi.isSignedIn() || !staff) void Taro.redirectTo({ url: STAFF_SIGN_IN_PAGE });
  });
  useEffect(() => {
    void list.restart();
  }, [key]);
  useReachBottom(() => void list.loadMore());
  usePullDownRefresh(async () => {
    await Promise.all([list.restart(), totals.reload()]);
    Taro.stopPullDownRefresh();
  });

  async function reversed(message: string) {
    setReversing(null);
    setDone(message);
    await Promise.all([list.restart(), totals.reload()]);
  }

  const sum = totals.data?.totals;
  return (
    <View className='page'>
      <View className='row' style={{ marginBottom: '12px' }}>
        <View className='muted'>{staff ? `${storeName(staff.storeId)} · ${staff.name}` : ''}</View>
        {isManager ? (
          <Picker mode='date' value={date} end={today} onChange={(e) => setDate(e.detail.value)}>
            <View className='link small' data-testid='pick-date'>
              {date === today ? `今天 ${date}` : date} ▾
            </View>
          </Picker>
        ) : (
          <View className='muted small'>今天 {date}</View>
        )}
      </View>

      <View className='tabs'>
        <View className={`tabs__item ${mineOnly ? '' : 'tabs__item--active'}`} onClick={() => setMineOnly(false)}>
          全店
        </View>
        <View className={`tabs__item ${mineOnly ? 'tabs__item--active' : ''}`} onClick={() => setMineOnly(true)}>
          只看我的
        </View>
      </View>

      <Status loading={totals.loading && !sum} error={totals.error} onRetry={() => void totals.reload()}>
        {sum ? (
          <View className='glance' data-testid='today-totals'>
            <View className='glance__item'>
              <View className='glance__value'>{yuan(sum.purchases.amountFen)}</View>
              <View className='glance__label'>消费 {sum.purchases.count} 笔</View>
            </View>
            <View className='glance__item'>
              <View className='glance__value'>{sum.redemptions.count}</View>
              <View className='glance__label'>核销 · 面值{yuan(sum.redemptions.faceValueFen)}</View>
            </View>
            <View className='glance__item'>
              <View className='glance__value'>{sum.checkins.count}</View>
              <View className='glance__label'>签到</View>
            </View>
            <View className='glance__item'>
              <View className='glance__value'>{sum.pointsIssued}</View>
              <View className='glance__label'>发放积分</View>
            </View>
          </View>
        ) : null}
      </Status>
      {sum && (sum.purchaseReversals.count > 0 || sum.redemptionReversals.count > 0) ? (
        <View className='muted small' style={{ marginTop: '-8px', marginBottom: '12px' }}>
          已撤销：消费 {sum.purchaseReversals.count} 笔 {yuan(sum.purchaseReversals.amountFen)}，核销 {sum.redemptionReversals.count} 张（不计入上方合计）
        </View>
      ) : null}

      {isManager ? (
        <Button className='btn btn--ghost' onClick={() => void Taro.navigateTo({ url: `/pages/staff/shift?date=${date}${mineOnly && staff ? `&staffId=${staff.id}` : ''}` })}>
          交班小结 / 打印
        </Button>
      ) : null}
      {done ? <View className='notice notice--ok mt'>{done}</View> : null}

      <View className='mt'>
        {list.items.map((event) => (
          <EventItem key={`${event.kind}-${event.id}`} event={event} onReverse={() => setReversing(event)} />
        ))}
        <Status error={list.error} onRetry={() => void list.loadMore()} empty={list.finished && list.items.length === 0} emptyText={date === today ? '今天还没有流水' : '这一天没有流水'}>
          <LoadingMore loading={list.loading} finished={list.finished} hasItems={list.items.length > 0} />
        </Status>
      </View>

      {reversing ? <ReversalSheet event={reversing} onCancel={() => setReversing(null)} onDone={reversed} /> : null}
    </View>
  );
}

function EventItem({ event, onReverse }: { event: CounterEvent; onReverse: () => void }) {
  const reversed = event.status === 'reversed';
  return (
    <View className='list-item' data-testid='counter-event' style={reversed ? { opacity: 0.75 } : undefined}>
      <View className='row'>
        <View>
          <View className={`tag ${event.kind === 'redemption' ? 'tag--orange' : event.kind === 'checkin' ? 'tag--grey' : ''}`}>{counterKindText[event.kind]}</View>
          <View className='strong' style={{ display: 'inline', textDecoration: reversed ? 'line-through' : 'none' }}>
            {event.kind === 'purchase' ? yuan(event.amountFen ?? 0) : event.kind === 'redemption' ? event.coupon?.title : event.activityTitle}
          </View>
        </View>
        <View className='muted small'>{chinaClock(event.at)}</View>
      </View>
      <View className='muted small mt'>
        {maskedMemberText(event.member)} · {event.staffName}
        {event.orderNo ? ` · 单号 ${event.orderNo}` : ''}
      </View>
      <View className='small' style={{ marginTop: '4px' }}>
        {event.kind === 'purchase' ? `积分 +${event.points}` : null}
        {event.kind === 'redemption'
          ? `面值 ${event.coupon?.faceValueFen !== null && event.coupon?.faceValueFen !== undefined ? yuan(event.coupon.faceValueFen) : '—'}${event.amountFen !== null ? ` · 订单 ${yuan(event.amountFen)}` : ''}`
          : null}
        {event.kind === 'checkin' ? `到场积分 +${event.points}` : null}
      </View>
      {reversed && event.reversal ? (
        <View className='row mt'>
          <View className='tag tag--grey'>已撤销</View>
          <View className='muted small' style={{ flex: 1 }}>{reversalText(event.reversal)}</View>
        </View>
      ) : event.kind !== 'checkin' ? (
        <View className='row mt'>
          <View className='muted small' style={{ flex: 1 }}>{event.reversalBlock ? REVERSAL_BLOCK_TEXT[event.reversalBlock].zh : `店长可在 ${chinaDateTime(event.reversibleUntil!).slice(5)} 前撤销`}</View>
          <Button className='btn btn--ghost btn--small' disabled={event.reversalBlock !== null} onClick={onReverse}>
            撤销
          </Button>
        </View>
      ) : null}
    </View>
  );
}

function ReversalSheet({ event, onCancel, onDone }: { event: CounterEvent; onCancel: () => void; onDone: (message: string) => Promise<void> }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const what = event.kind === 'purchase' ? `消费 ${yuan(event.amountFen ?? 0)}` : `核销「${event.coupon?.title ?? '优惠券'}」`;

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await shift.reverse(event, reason.trim());
      await onDone(event.kind === 'purchase' ? `已撤销${what}，积分 ${event.points} 已扣回` : `已撤销${what}，券已退回会员`);
    } catch (failure) {
      setError(readableError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View className='sheet-mask' onClick={onCancel}>
      <View className='sheet' onClick={(e) => e.stopPropagation()}>
        <View className='sheet__title'>撤销{what}</View>
        <View className='sheet__body'>
          {event.kind === 'purchase' ? '撤销后扣回本单积分（余额不足时记录差额）。' : '撤销后该券回到会员券包，可再次使用。'}请选择或填写原因（会记入操作日志）：
        </View>
        <View>
          {COMMON_REVERSAL_REASONS.map((common) => (
            <View key={common.zh} className={`tag ${reason === common.zh ? '' : 'tag--grey'}`} style={{ padding: '6px 12px', marginBottom: '8px' }} onClick={() => setReason(common.zh)}>
              {common.zh}
            </View>
          ))}
        </View>
        <Input className='input input--boxed mt' placeholder='其他原因（必填）' value={reason} maxlength={200} onInput={(e) => setReason(e.detail.value)} />
        {error ? <View className='notice notice--error mt'>{error}</View> : null}
        <View className='sheet__actions mt'>
          <Button className='btn btn--ghost' onClick={onCancel}>
            取消
          </Button>
          <Button className='btn btn--primary' disabled={busy || !reason.trim()} loading={busy} onClick={() => void confirm()}>
            确认撤销
          </Button>
        </View>
      </View>
    </View>
  );
}
