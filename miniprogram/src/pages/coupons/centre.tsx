import { Button, View } from '@tarojs/components';
import Taro, { usePullDownRefresh } from '@tarojs/taro';
import type { CouponCentreItem } from '@membercard/shared';
import { useState } from 'react';
import { couponCentre, walletChanges } from '../../api/couponCentre';
import { ApiError, readableError } from '../../api/errors';
import { Status } from '../../components/Status';
import { useAsync } from '../../hooks/useAsync';
import { couponCondition, couponFace } from '../../lib/couponText';
import { chinaDate } from '../../lib/format';
import { accentButtonStyle, useTheme } from '../../lib/theme';

/** How long a claimed coupon stays valid, as the template states it. */
function validityText(item: CouponCentreItem): string {
  if (item.validDays) return `领取后 ${item.validDays} 天内有效`;
  return item.validUntil ? `${chinaDate(item.validUntil)} 前有效` : '';
}

// 领券中心: coupons HQ lists for members to claim free, one tap each, within each one's per-member limit.
export default function CouponCentrePage() {
  const theme = useTheme(); // the brand's navigation bar, and its accent on 立即领取
  const centre = useAsync(() => couponCentre.list());
  const [claiming, setClaiming] = useState<string | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  usePullDownRefresh(() => void centre.reload().finally(() => Taro.stopPullDownRefresh()));

  async function claim(item: CouponCentreItem) {
    setClaiming(item.id);
    setResult(null);
    try {
      const answer = await couponCentre.claim(item.id);
      walletChanges.stale = true;
      setResult({ ok: true, text: `「${answer.coupon.title}」已放入卡包` });
      void Taro.showToast({ title: '领取成功', icon: 'success' });
    } catch (failure) {
      // A shopper who has not joined yet is taken to the join page: claiming is for members.
      if (failure instanceof ApiError && failure.code === 'NOT_A_MEMBER') {
        void Taro.navigateTo({ url: '/pages/join/index' });
        return;
      }
      setResult({ ok: false, text: readableError(failure) });
    } finally {
      setClaiming(null);
      void centre.reload();
    }
  }

  const items = centre.data?.items ?? [];
  return (
    <View className='page'>
      {result ? (
        <View className={result.ok ? 'notice notice--ok row' : 'notice notice--error'} data-testid='centre-result'>
          <View>{result.text}</View>
          {result.ok ? <View className='link small' onClick={() => void Taro.navigateBack().catch(() => Taro.switchTab({ url: '/pages/coupons/index' }))}>去卡包 ›</View> : null}
        </View>
      ) : null}
      <Status loading={centre.loading && !centre.data} error={centre.error} onRetry={() => void centre.reload()} empty={!!centre.data && items.length === 0} emptyText='暂时没有可领取的优惠券，过几天再来看看'>
        {items.map((item) => (
          <View key={item.id} className='coupon' data-testid='centre-item'>
            <View className='coupon__value'>
              <View className='coupon__amount'>{couponFace(item)}</View>
              <View className='coupon__cond'>{couponCondition(item)}</View>
            </View>
            <View className='coupon__body'>
              <View className='coupon__title'>{item.title}</View>
              <View className='muted mt'>{validityText(item)}</View>
              <View className='muted'>
                剩余 {item.remaining.toLocaleString('zh-CN')} 张 · 每人限领 {item.perMemberLimit} 张{item.claimedByMe ? ` · 已领 ${item.claimedByMe} 张` : ''}
              </View>
              <View className='row mt'>
                {item.myAllowance > 0 ? <View className='tag tag--orange'>可领 {item.myAllowance} 张</View> : <View className='tag tag--grey'>已领完</View>}
                <Button
                  className='btn btn--accent btn--small'
                  style={accentButtonStyle(theme)}
                  disabled={item.myAllowance === 0 || claiming !== null}
                  loading={claiming === item.id}
                  onClick={() => void claim(item)}
                >
                  {item.myAllowance > 0 ? '立即领取' : '已领取'}
                </Button>
              </View>
            </View>
          </View>
        ))}
      </Status>
    </View>
  );
}
