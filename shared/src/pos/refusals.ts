import { z } from 'zod';

/** Why a coupon cannot be used on an order (the same codes the counter's redemption answers). */
export const CouponRefusalCodeSchema = z
  .enum(['COUPON_ALREADY_USED', 'COUPON_EXPIRED', 'COUPON_NOT_APPLICABLE', 'WRONG_STORE', 'MIN_SPEND_NOT_MET'])
  .meta({ id: 'PosCouponRefusal' });
