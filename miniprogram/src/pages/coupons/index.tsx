import { Button, Input, View } from '@tarojs/components';
import Taro, { useDidShow, useReachBottom } from '@tarojs/taro';
import type { Coupon } from '@membercard/shared';
import { useEffect, useState } from 'react';
import { daysLeft, walletChanges } from '../../api/couponCentre';
import { shopper, type CouponWalletTab } from '../../api/endpoints';
import { offerReasons } from '../../api/offers';
import { ApiError, readableError } from '../../api/errors';
import { CouponStub } from '../../components/CouponStub';
import { LoadingMore, Status } from '../../components/Status';
import { isH5 } from '../../config';
import { usePagedList } from '../../hooks/usePagedList';
import { keptWallet, rememberCoupon, rememberWalletPage } from '../../lib/couponMemory';
import { accentButtonStyle, useTheme } from '../../lib/theme';
import { couponStatusText } from '../../lib/couponText';
import { usedCouponText } from '../../lib/historyText';
import { askToSubscribe, preloadSubscribeTemplates } from '../../lib/subscribe';

const tabs: Array<{ key: CouponWalletTab; title: string }> = [
  { key: 'available', title: '可使用' },
  { key: 'used', title: '已使用' },
  { key: 'expired', title: '已过期' },
];

export default function CouponsPage() {
  const [tab, setTab] = useState<CouponWalletTab>('available');
  const theme = useTheme(); // the brand's navigation bar, and its accent on 兑换
  // Shown from the phone's copy because the network is down (the card works the same way).
  const [offline, setOffline] = useState(false);
  const wallet = usePagedList(async (cursor) => {
    if (tab !== 'available') return shopper.coupons(tab, cursor);
    try {
      const page = await shopper.coupons(tab, cursor);
      rememberWalletPage(page.items, cursor === null);
      setOffline(false);
      return page;
    } catch (failure) {
      const kept = cursor === null ? keptWallet() : [];
      if (failure instanceof ApiError && failure.code === 'NETWORK' && kept.length) {
        setOffline(true);
        return { items: kept, nextCursor: null };
      }
      throw failure;
    }
  });
  const [claimCode, setClaimCode] = useState('');
  const [claiming, setClaiming] = useState(false);
  const [claimResult, setClaimResult] = useState<{ ok: boolean; text: string } | null>(null);
  // Why a personalised coupon was chosen for this member (你常买 …); the wallet works without it.
  const [reasons, setReasons] = useState<Map<string, string>>(new Map());

  useEffect(() => {
    void wallet.restart();
    offerReasons().then(setReasons, () => undefined);
  }, [tab]);
  useDidShow(() => {
    void preloadSubscribeTemplates();
    // Back from the coupon centre with a new coupon: show it.
    if (walletChanges.stale) {
      walletChanges.stale = false;
      void wallet.restart();
    }
  });
  useReachBottom(() => void wallet.loadMore());

  async function claim() {
    setClaiming(true);
    setClaimResult(null);
    try {
      const answer = await shopper.claimRedemptionCode(claimCode.trim());
      const parts = [answer.coupon ? `「${answer.coupon.title}」已放入卡包` : '', answer.pointsAwarded ? `获得 ${answer.pointsAwarded} 积分` : ''];
      setClaimResult({ ok: true, text: `兑换成功：${parts.filter(Boolean).join('，')}` });
      setClaimCode('');
      if (tab === 'available') void wallet.restart();
    } catch (failure) {
      setClaimResult({ ok: false, text: readableError(failure) });
    } finally {
      setClaiming(false);
    }
  }

  function open(coupon: Coupon) {
    rememberCoupon(coupon);
    void Taro.navigateTo({ url: `/pages/coupons/detail?id=${encodeURIComponent(coupon.id)}` });
  }

  return (
    <View className='page'>
      <View className='section row' onClick={() => void Taro.navigateTo({ url: '/pages/coupons/centre' })} data-testid='coupon-centre-entry'>
        <View className='section__title'>领券中心</View>
        <View className='link small'>免费领券 ›</View>
      </View>
      <View className='section'>
        <View className='section__title'>兑换码领券</View>
        <View className='row row--gap'>
          <Input className='input input--boxed' placeholder='输入纸质券上的兑换码' value={claimCode} maxlength={32} onInput={(e) => setClaimCode(e.detail.value)} />
          <Button className='btn btn--accent btn--small' style={accentButtonStyle(theme)} disabled={!claimCode.trim() || claiming} loading={claiming} onClick={() => void claim()}>
            兑换
          </Button>
        </View>
        {claimResult ? <View className={claimResult.ok ? 'notice notice--ok mt' : 'notice notice--error mt'}>{claimResult.text}</View> : null}
        {claimResult?.ok && !isH5 ? (
          <View className='row mt'>
            <View className='muted'>券到账、即将过期时提醒我</View>
            <Button className='btn btn--ghost btn--small' onClick={() => void askToSubscribe(['couponArrival', 'pointsExpiry'])}>
              订阅提醒
            </Button>
          </View>
        ) : null}
      </View>
      <View className='tabs'>
        {tabs.map((item) => (
          <View key={item.key} className={item.key === tab ? 'tabs__item tabs__item--active' : 'tabs__item'} onClick={() => setTab(item.key)}>
            {item.title}
          </View>
        ))}
      </View>
      {offline && tab === 'available' ? (
        <View className='notice mt' data-testid='wallet-offline'>
          无网络 · 显示上次同步的可用券
        </View>
      ) : null}
      {wallet.items.map((coupon) => (
        <CouponStub
          key={coupon.id}
          coupon={coupon}
          dim={tab !== 'available'}
          onClick={() => open(coupon)}
          extra={
            <View>
              <View className='row mt'>
                <View className={tab === 'available' ? 'tag' : 'tag tag--grey'}>{couponStatusText[coupon.status]}</View>
                {tab === 'available' && daysLeft(coupon.validUntil) !== null ? <View className='tag tag--orange'>即将过期 · 剩 {daysLeft(coupon.validUntil)} 天</View> : null}
                {tab === 'available' ? <View className='link small'>去使用 ›</View> : null}
              </View>
              {reasons.get(coupon.id) ? <View className='muted small mt coupon-reason' data-testid='coupon-reason'>{reasons.get(coupon.id)}</View> : null}
              {tab === 'used' && coupon.redeemedAt ? <View className='muted small mt coupon-used-at'>{usedCouponText(coupon)}</View> : null}
            </View>
          }
        />
      ))}
      <Status error={wallet.error} onRetry={() => void wallet.loadMore()} empty={wallet.finished && wallet.items.length === 0} emptyText='这里还没有优惠券'>
        <LoadingMore loading={wallet.loading} finished={wallet.finished} hasItems={wallet.items.length > 0} />
      </Status>
    </View>
  );
}
