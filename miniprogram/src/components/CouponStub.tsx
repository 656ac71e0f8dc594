import { View } from '@tarojs/components';
import type { Coupon } from '@membercard/shared';
import type { ReactNode } from 'react';
import { chinaDate } from '../lib/format';
import { couponCondition, couponFace } from '../lib/couponText';

/** A coupon as a ticket stub: value on the left, title and validity on the right. */
export function CouponStub({ coupon, dim, onClick, extra }: { coupon: Coupon; dim?: boolean; onClick?: () => void; extra?: ReactNode }) {
  return (
    <View className={dim ? 'coupon coupon--dim' : 'coupon'} onClick={onClick}>
      <View className='coupon__value'>
        <View className='coupon__amount'>{couponFace(coupon)}</View>
        <View className='coupon__cond'>{couponCondition(coupon)}</View>
      </View>
      <View className='coupon__body'>
        <View className='coupon__title'>{coupon.title}</View>
        <View className='muted mt'>
          {chinaDate(coupon.validFrom)} 至 {chinaDate(coupon.validUntil)}
        </View>
        {extra}
      </View>
    </View>
  );
}
