import { View } from '@tarojs/components';
import { couponCentre } from '../api/couponCentre';
import { useAsync } from '../hooks/useAsync';
import { couponCondition, couponFace } from '../lib/couponText';
import { chinaDate } from '../lib/format';

/** The join page's 入会礼: what joining gives (points and coupons), shown before the shopper joins; nothing when HQ offers none. */
export function JoinGiftPack() {
  const gift = useAsync(() => couponCentre.joinGift());
  const coupons = gift.data?.coupons ?? [];
  const points = gift.data?.points ?? 0;
  if (coupons.length === 0 && points === 0) return null;
  return (
    <View className='section' data-testid='join-gift'>
      <View className='section__title'>入会礼 · 开卡即送</View>
      {points > 0 ? (
        <View className='coupon' data-testid='join-gift-points'>
          <View className='coupon__value'>
            <View className='coupon__amount'>{points}</View>
            <View className='coupon__cond'>积分</View>
          </View>
          <View className='coupon__body'>
            <View className='coupon__title'>开卡送 {points} 积分</View>
            <View className='muted mt'>开卡后立即到账，可在积分商城兑换</View>
          </View>
        </View>
      ) : null}
      {coupons.map((coupon) => (
        <View key={coupon.id} className='coupon'>
          <View className='coupon__value'>
            <View className='coupon__amount'>{couponFace(coupon)}</View>
            <View className='coupon__cond'>{couponCondition(coupon)}</View>
          </View>
          <View className='coupon__body'>
            <View className='coupon__title'>{coupon.title}</View>
            <View className='muted mt'>{coupon.validDays ? `开卡后 ${coupon.validDays} 天内有效` : coupon.validUntil ? `${chinaDate(coupon.validUntil)} 前有效` : ''}</View>
          </View>
        </View>
      ))}
    </View>
  );
}
