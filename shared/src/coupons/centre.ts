import { z } from 'zod';
import { IdSchema } from '../common';
import { CouponSchema, CouponTemplateSchema } from './schema';

// The coupon centre (领券中心): templates HQ marks `inCouponCentre`, free to claim up to each one's per-member limit.

export const CouponCentreItemSchema = CouponTemplateSchema.extend({
  remaining: z.number().int().min(0).describe('Coupons of the template still to be claimed by anyone.'),
  claimedByMe: z.number().int().min(0).describe('Coupons of the template the caller holds (any channel, any status).'),
  myAllowance: z.number().int().min(0).describe('How many more the caller may claim: perMemberLimit − claimedByMe, at most remaining.'),
}).meta({ id: 'CouponCentreItem', description: 'A template in the coupon centre with stock left and the caller’s allowance.' });
export type CouponCentreItem = z.infer<typeof CouponCentreItemSchema>;

export const CouponCentreSchema = z
  .object({ items: z.array(CouponCentreItemSchema) })
  .meta({ id: 'CouponCentre', description: 'Every template claimable in the coupon centre, newest first.' });
export type CouponCentre = z.infer<typeof CouponCentreSchema>;

export const CouponCentreClaimParamsSchema = z.strictObject({ templateId: IdSchema }).meta({ id: 'CouponCentreClaimParams' });

export const CouponCentreClaimAnswerSchema = z
  .object({ coupon: CouponSchema, created: z.boolean().describe('False when this Idempotency-Key had already claimed it.') })
  .meta({ id: 'CouponCentreClaimAnswer' });
export type CouponCentreClaimAnswer = z.infer<typeof CouponCentreClaimAnswerSchema>;

/** What joining gives (入会礼): the welcome automation rule's coupon and points, shown on the join page before the shopper joins. */
export const JoinGiftSchema = z
  .object({
    coupons: z
      .array(CouponTemplateSchema.pick({ id: true, title: true, type: true, minSpendFen: true, amountOffFen: true, percentOff: true, maxOffFen: true, giftName: true, validDays: true, validUntil: true }))
      .describe('Empty when the welcome rule is off, has no coupon, or its template is archived or sold out.'),
    points: z.number().int().min(0).describe('Points credited on joining; 0 when the welcome rule is off or gives none.'),
  })
  .meta({ id: 'JoinGift' });
export type JoinGift = z.infer<typeof JoinGiftSchema>;
