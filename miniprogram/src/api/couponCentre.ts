import { CouponCentreClaimAnswerSchema, CouponCentreSchema, JoinGiftSchema } from '@membercard/shared';
import { newIdempotencyKey } from './client';
import { shopperApi } from './session';

// The coupon centre (领券中心) and the join page's gift pack (入会礼).
export const couponCentre = {
  list: () => shopperApi.get('/coupon-centre', { answer: CouponCentreSchema }),
  /** One tap, one key: a retry of the same tap (lost answer) gets the same coupon back. */
  claim: (templateId: string, idempotencyKey = newIdempotencyKey('centre')) =>
    shopperApi.post(`/coupon-centre/${encodeURIComponent(templateId)}/claim`, { idempotencyKey, answer: CouponCentreClaimAnswerSchema }),
  joinGift: () => shopperApi.get('/join-gift', { answer: JoinGiftSchema, authenticated: false }),
};

/** Set when a claim put a coupon in the wallet, so the wallet page reloads when shown again. */
export const walletChanges = { stale: false };

/** Whole days (rounded up) until an ISO time, or null when more than `withinDays` away or already past. */
export function daysLeft(validUntil: string, now = Date.now(), withinDays = 3): number | null {
  const ms = Date.parse(validUntil) - now;
  if (ms <= 0 || ms > withinDays * 24 * 3600_000) return null;
  return Math.ceil(ms / (24 * 3600_000));
}
