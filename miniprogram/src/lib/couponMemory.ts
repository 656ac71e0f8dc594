import type { Coupon } from '@membercard/shared';

// The wallet list already holds every field the detail page shows; it hands the coupon over here
// instead of a second request (the contract has no single-coupon route).
const remembered = new Map<string, Coupon>();

export function rememberCoupon(coupon: Coupon): void {
  remembered.set(coupon.id, coupon);
}

export function recalledCoupon(id: string): Coupon | undefined {
  return remembered.get(id);
}
