import { Input, View } from '@tarojs/components';
import Taro, { useDidShow, usePullDownRefresh, useReachBottom } from '@tarojs/taro';
import { useState } from 'react';
import type { TopupOffer } from '@membercard/shared';
import { readableError } from '../../api/errors';
import { payInEmulator } from '../../api/endpoints';
import { LoadingMore, Status } from '../../components/Status';
import { isH5 } from '../../config';
import { useAsync } from '../../hooks/useAsync';
import { usePagedList } from '../../hooks/usePagedList';
import { chinaDateTime, yuan } from '../../lib/format';
import { prepayIdOf } from '../../lib/payment';
import { storedValue } from './api';
import { entryLine, offerGift } from './text';
import { accentButtonStyle, useTheme } from '../../lib/theme';

// 我的储值: balance (principal and bonus), top-up offers paid through WeChat Pay (the emulator in the H5 demo),
// the statement, and the refund of unspent principal.

export default function StoredValuePage() {
  const theme = useTheme(); // the brand's navigation bar, and its accent on 去支付
  const mine = useAsync(() => storedValue.mine(), [], { immediate: false });
  const entries = usePagedList((cursor) => storedValue.entries(cursor));
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'pending' | 'error'; text: string } | null>(null);
  const [customYuan, setCustomYuan] = useState('');
  useDidShow(() => {
    void mine.reload();
    void entries.restart();
  });
  useReachBottom(() => void entries.loadMore());
  usePullDownRefresh(async () => {
    await Promise.all([mine.reload(), entries.restart()]);
    Taro.stopPullDownRefresh();
  });

  const pay = async (offer: TopupOffer) => {
    const amountFen = offer.kind === 'range' ? Math.round(Number(customYuan) * 100) : undefined;
    if (offer.kind === 'range' && (!amountFen || amountFen < (offer.minFen ?? 1) || amountFen > (offer.maxFen ?? 0))) {
      setNotice({ tone: 'error', text: `请输入 ${yuan(offer.minFen ?? 0)} – ${yuan(offer.maxFen ?? 0)} 之间的金额` });
      return;
    }
    setBusy(offer.id);
    setNotice(null);
    try {
      const order = await storedValue.topUp(offer.id, amountFen);
      if (!order.payment) throw new Error('no payment');
      if (isH5) await payInEmulator(prepayIdOf(order.payment.package));
      else {
        try {
          await Taro.requestPayment({ ...order.payment, signType: 'RSA' });
        } catch {
          setNotice({ tone: 'pending', text: '已取消支付，15 分钟内未支付的订单会自动关闭' });
          return;
        }
      }
      setNotice({ tone: 'pending', text: '支付确认中…' });
      // The balance grows when WeChat Pay's notification arrives: ask a few times, then leave it to the page.
      for (const wait of [500, 1000, 2000, 4000, 4000]) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        const now = await storedValue.topup(order.id).catch(() => null);
        if (now?.status === 'paid') {
          setNotice({ tone: 'ok', text: `充值成功，${yuan(order.amountFen)}${order.bonusFen ? ` 另赠 ${yuan(order.bonusFen)}` : ''} 已到账` });
          await Promise.all([mine.reload(), entries.restart()]);
          return;
        }
      }
      setNotice({ tone: 'pending', text: '支付结果确认中，稍后下拉刷新查看余额' });
    } catch (error) {
      setNotice({ tone: 'error', text: readableError(error) });
    } finally {
      setBusy(null);
    }
  };

  const askRefund = async () => {
    const principal = mine.data?.balance.principalFen ?? 0;
    const bonus = mine.data?.balance.bonusFen ?? 0;
    const confirmed = await Taro.showModal({
      title: '申请退还余额',
      content: `可退本金 ${yuan(principal)}，总部审核后原路退回微信支付。${bonus ? `赠送金额 ${yuan(bonus)} 不退现金，退款后作废。` : ''}`,
      confirmText: '申请退款',
    });
    if (!confirmed.confirm) return;
    setBusy('refund');
    try {
      await storedValue.requestRefund(undefined);
      setNotice({ tone: 'ok', text: '退款申请已提交，总部审核后原路退回' });
      await mine.reload();
    } catch (error) {
      setNotice({ tone: 'error', text: readableError(error) });
    } finally {
      setBusy(null);
    }
  };

  const data = mine.data;
  return (
    <View className='page' data-testid='stored-value-page'>
      <Status loading={mine.loading && !data} error={data ? null : mine.error} onRetry={() => void mine.reload()}>
        {data ? (
          <View>
            <View className='section'>
              <View className='muted'>储值余额</View>
              <View style={{ fontSize: '32px', fontWeight: 700 }} data-testid='sv-total'>{yuan(data.balance.totalFen)}</View>
              <View className='muted small mt'>
                本金 {yuan(data.balance.principalFen)} · 赠送 {yuan(data.balance.bonusFen)} · 实名储值长期有效
              </View>
              {data.refundRequest ? (
                <View className='notice mt'>
                  {data.refundRequest.status === 'requested' ? `退款申请审核中：本金 ${yuan(data.refundRequest.principalFen)}` : `退款处理中：${yuan(data.refundRequest.principalFen)} 正原路退回微信支付`}
                </View>
              ) : null}
              {notice ? <View className={`notice mt ${notice.tone === 'error' ? 'notice--error' : ''}`}>{notice.text}</View> : null}
            </View>
            {data.enabled && data.offers.length ? (
              <View className='section'>
                <View className='section__title'>充值</View>
                {data.offers.map((offer) => (
                  <View key={offer.id} className='field'>
                    <View className='field__value'>
                      <View className='strong'>{offer.kind === 'fixed' ? `充 ${yuan(offer.amountFen ?? 0)}` : offer.title}</View>
                      <View className='small muted'>
                        {offer.kind === 'fixed' ? offer.title : `${yuan(offer.minFen ?? 0)} – ${yuan(offer.maxFen ?? 0)}`} · {offerGift(offer)}
                      </View>
                      {offer.kind === 'range' ? (
                        <Input className='input input--boxed mt' type='digit' placeholder='输入充值金额（元）' value={customYuan} onInput={(e) => setCustomYuan(e.detail.value)} />
                      ) : null}
                    </View>
                    <View className='btn btn--accent btn--small' style={{ ...accentButtonStyle(theme), ...(busy ? { opacity: 0.6 } : {}) }} onClick={() => (busy ? undefined : void pay(offer))}>
                      {busy === offer.id ? '支付中…' : '去支付'}
                    </View>
                  </View>
                ))}
                <View className='muted small mt'>
                  单个会员余额上限 {yuan(data.memberBalanceCapFen)}，每日充值上限 {yuan(data.dailyTopupCapFen)}；当前最多可充 {yuan(data.topupRoomFen)}
                </View>
              </View>
            ) : null}
            <View className='section'>
              <View className='section__title'>储值明细</View>
              {entries.items.map((entry) => {
                const line = entryLine(entry);
                return (
                  <View key={entry.id} className='field ledger-line'>
                    <View className='field__value'>
                      <View>{line.title}</View>
                      {line.detail ? <View className='small ledger-line__detail'>{line.detail}</View> : null}
                      <View className='muted small'>
                        {chinaDateTime(entry.createdAt)} · {line.after}
                      </View>
                    </View>
                    <View className={line.positive ? 'green strong' : 'strong'}>{line.amount}</View>
                  </View>
                );
              })}
              {!entries.loading && entries.items.length === 0 ? <View className='muted'>还没有储值记录</View> : null}
              <LoadingMore loading={entries.loading} finished={entries.finished} hasItems={entries.items.length > 0} />
            </View>
            {data.balance.principalFen > 0 && !data.refundRequest ? (
              <View className='section'>
                <View className='muted small'>未消费的本金可申请原路退回微信支付（赠送金额不退现金）。</View>
                <View className='btn btn--ghost btn--small mt' style={busy ? { opacity: 0.6 } : undefined} onClick={() => (busy ? undefined : void askRefund())}>
                  申请退还余额
                </View>
              </View>
            ) : null}
          </View>
        ) : null}
      </Status>
    </View>
  );
}
