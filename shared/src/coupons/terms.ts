import { DAY_MS } from '../common/china-time';
import type { ErrorCode } from '../common/errors';
import type { CouponStatus, CouponType } from './schema';

/** The money-relevant terms of a template or of a coupon issued from it. */
export interface CouponTerms {
  type: CouponType;
  minSpendFen?: number;
  amountOffFen?: number;
  percentOff?: number;
  maxOffFen?: number;
}

/**
 * What the coupon takes off an order, in whole fen: cash (满减) its amount once the minimum spend is met, never
 * more than the order; discount percent of the order rounded down, capped by maxOffFen; gift nothing off,
 * but `gift` says whether the free item is due. Below the minimum spend nothing applies.
 */
export function couponSavingFen(terms: CouponTerms, orderAmountFen: number): { savingFen: number; gift: boolean } {
  if (!Number.isSafeInteger(orderAmountFen) || orderAmountFen < 0) throw new Error('orderAmountFen must be a non-negative whole number');
  if (orderAmountFen < (terms.minSpendFen ?? 0)) return { savingFen: 0, gift: false };
  switch (terms.type) {
    case 'cash':
      return { savingFen: Math.min(terms.amountOffFen ?? 0, orderAmountFen), gift: false };
    case 'discount': {
      const off = Math.floor((orderAmountFen * (terms.percentOff ?? 0)) / 100);
      return { savingFen: Math.min(off, terms.maxOffFen ?? off), gift: false };
    }
    case 'gift':
      return { savingFen: 0, gift: true };
  }
}

/** A coupon as the redemption rules see it (dates as Date, as stored). */
export interface CouponForRedemption {
  status: CouponStatus;
  validFrom: Date;
  validUntil: Date;
  minSpendFen?: number;
  storeIds?: readonly string[];
  tiers?: readonly string[];
}

export type CouponRefusal = Extract<
  ErrorCode,
  'COUPON_ALREADY_USED' | 'COUPON_EXPIRED' | 'COUPON_NOT_APPLICABLE' | 'WRONG_STORE' | 'MIN_SPEND_NOT_MET'
>;

/**
 * Whether a clerk may redeem the coupon now, checked in the order a member would want explained: state, validity
 * window (not yet valid → COUPON_NOT_APPLICABLE, past validUntil → COUPON_EXPIRED), store, tier, minimum spend.
 * A minimum spend with no order amount given is refused too: it cannot be checked.
 */
export function couponApplicability(
  coupon: CouponForRedemption,
  context: { now: Date; storeId: string; tier: string; orderAmountFen?: number },
): { ok: true } | { ok: false; code: CouponRefusal } {
  const refuse = (code: CouponRefusal) => ({ ok: false as const, code });
  const now = context.now.getTime();
  if (coupon.status === 'redeemed') return refuse('COUPON_ALREADY_USED');
  if (coupon.status === 'expired') return refuse('COUPON_EXPIRED');
  if (coupon.status === 'revoked') return refuse('COUPON_NOT_APPLICABLE');
  if (now >= coupon.validUntil.getTime()) return refuse('COUPON_EXPIRED');
  if (now < coupon.validFrom.getTime()) return refuse('COUPON_NOT_APPLICABLE');
  if (coupon.storeIds?.length && !coupon.storeIds.includes(context.storeId)) return refuse('WRONG_STORE');
  if (coupon.tiers?.length && !coupon.tiers.includes(context.tier)) return refuse('COUPON_NOT_APPLICABLE');
  const minSpend = coupon.minSpendFen ?? 0;
  if (minSpend > 0 && (context.orderAmountFen === undefined || context.orderAmountFen < minSpend)) return refuse('MIN_SPEND_NOT_MET');
  return { ok: true };
}

/**
 * The validity of a coupon issued at `issuedAt`: the template's fixed window, or `validDays` × 24 h from the
 * moment of issue. The window is half-open: valid from validFrom up to, not including, validUntil.
 */
export function couponValidity(
  template: { validFrom?: Date; validUntil?: Date; validDays?: number },
  issuedAt: Date,
): { validFrom: Date; validUntil: Date } {
  if (template.validFrom && template.validUntil) return { validFrom: template.validFrom, validUntil: template.validUntil };
  if (template.validDays !== undefined) {
    return { validFrom: issuedAt, validUntil: new Date(issuedAt.getTime() + template.validDays * DAY_MS) };
  }
  throw new Error('a template needs validFrom and validUntil, or validDays');
}
