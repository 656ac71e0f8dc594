import type { Coupon } from '@membercard/shared';
import { yuan } from './format';

/** The big figure on a coupon stub: "¥30", "8.5折" or "赠品". */
export function couponFace(coupon: Pick<Coupon, 'type' | 'amountOffFen' | 'percentOff'>): string {
  if (coupon.type === 'cash') return yuan(coupon.amountOffFen ?? 0);
  if (coupon.type === 'discount') return `${(100 - (coupon.percentOff ?? 0)) / 10}折`;
  return '赠品';
}

/** The condition under the figure: "满200可用", "无门槛", or the gift's name. */
export function couponCondition(coupon: Pick<Coupon, 'type' | 'minSpendFen' | 'maxOffFen' | 'giftName'>): string {
  if (coupon.type === 'gift') return coupon.giftName ?? '到店领取';
  const parts = [coupon.minSpendFen ? `满${yuan(coupon.minSpendFen).slice(1)}可用` : '无门槛'];
  if (coupon.type === 'discount' && coupon.maxOffFen) parts.push(`最多减${yuan(coupon.maxOffFen).slice(1)}`);
  return parts.join(' · ');
}

export const couponStatusText: Record<Coupon['status'], string> = {
  issued: '可使用',
  redeemed: '已使用',
  expired: '已过期',
  revoked: '已作废',
};
