import { couponSavingFen, type CouponRefusal, type CouponTerms } from '../coupons/terms';

/** A coupon as the counter's plan takes it: its terms and whether the store may take it at all. */
export interface PlannableCoupon extends CouponTerms {
  id: string;
  /** A refusal that no amount changes (another store, expired, wrong tier…), or null. */
  refusal: CouponRefusal | null;
}

export interface CheckoutPlan {
  netFen: number;
  discountFen: number;
  /** Each chosen coupon in the order applied: what it was applied to, what it took off, or why it cannot be used. */
  applied: Array<{ id: string; orderAmountFen: number; savingFen: number; refusal: CouponRefusal | null }>;
}

/**
 * The chosen coupons applied in order, each to what the ones before it left (so a 满减 whose minimum the
 * earlier discounts pushed the order under is refused with MIN_SPEND_NOT_MET): the screen shows it live and
 * the server's checkout decides the same way.
 */
export function planCheckout(amountFen: number, chosen: readonly PlannableCoupon[]): CheckoutPlan {
  let remaining = amountFen;
  const applied: CheckoutPlan['applied'] = [];
  for (const coupon of chosen) {
    const refusal = coupon.refusal ?? (remaining < (coupon.minSpendFen ?? 0) ? 'MIN_SPEND_NOT_MET' : null);
    const savingFen = refusal ? 0 : couponSavingFen(coupon, remaining).savingFen;
    applied.push({ id: coupon.id, orderAmountFen: remaining, savingFen, refusal });
    remaining -= savingFen;
  }
  return { netFen: remaining, discountFen: amountFen - remaining, applied };
}
