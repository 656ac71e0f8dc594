import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, MAX_FEN } from '../common';
import { CouponTypeSchema } from '../coupons/schema';
import { MaskedMemberSchema } from '../members/schema';
import { OrderNoSchema } from '../points/schema';
import { CouponRefusalCodeSchema } from '../pos/refusals';
import { CounterStoredValueSchema } from '../stored-value/charge';
import { TierRefSchema } from '../tiers/schema';

// Wire shapes of the counter's one-scan checkout: the member panel a scan opens, and the one confirmation.

export const CounterPanelBodySchema = z
  .strictObject({
    code: z.string().min(1).max(64).describe('The member’s code (QR or 18 digits), or one of their coupon codes.'),
    amountFen: z.number().int().min(1).max(MAX_FEN).optional().describe('The order amount, when known: decides minimum spends.'),
  })
  .meta({ id: 'CounterPanelBody' });
export type CounterPanelBody = z.infer<typeof CounterPanelBodySchema>;

export const CounterCouponSchema = z
  .object({
    id: IdSchema,
    title: z.string(),
    type: CouponTypeSchema,
    validUntil: IsoDateTimeSchema,
    minSpendFen: FenSchema.optional(),
    amountOffFen: FenSchema.optional(),
    percentOff: z.number().int().optional(),
    maxOffFen: FenSchema.optional(),
    giftName: z.string().optional(),
    refusal: CouponRefusalCodeSchema.nullable().describe(
      'Why it cannot be used at this store now whatever the amount (WRONG_STORE, COUPON_EXPIRED, COUPON_NOT_APPLICABLE), or null.',
    ),
    savingFen: FenSchema.describe('What it takes off the panel’s amountFen on its own (0 without an amount).'),
    scanned: z.boolean().describe('The coupon whose code was scanned to open the panel.'),
  })
  .meta({ id: 'CounterCoupon', description: 'One of the member’s issued coupons with its terms and whether this store may take it.' });
export type CounterCoupon = z.infer<typeof CounterCouponSchema>;

export const CounterEarningSchema = z
  .object({ baseRate: z.number(), tierMultiplier: z.number(), campaignMultiplier: z.number() })
  .meta({ id: 'CounterEarning', description: 'The factors of shared earnPoints for this member at this store now.' });

export const CounterPanelSchema = z
  .object({
    member: MaskedMemberSchema,
    ticket: z.string().describe('Proof that this store scanned the member’s code; send it with the checkout.'),
    ticketExpiresAt: IsoDateTimeSchema,
    earning: CounterEarningSchema,
    coupons: z.array(CounterCouponSchema).describe('Usable ones first (biggest saving first), then the others with their refusal.'),
    storedValue: CounterStoredValueSchema.optional().describe('The member’s stored-value balance (储值余额) and what a charge of it needs.'),
    topMember: z
      .object({ brand: z.boolean(), store: z.boolean() })
      .optional()
      .describe('Among the top 20% by 12-month spend, brand-wide and of their home store (the daily top-members job): serve them first.'),
  })
  .meta({ id: 'CounterPanel' });
export type CounterPanel = z.infer<typeof CounterPanelSchema>;

export const CounterCheckoutBodySchema = z
  .strictObject({
    ticket: z.string().min(1).max(200),
    orderNo: OrderNoSchema.describe('The number printed on the till’s receipt; the idempotency key of the checkout.'),
    amountFen: z.number().int().min(1).max(MAX_FEN).describe('The order amount before coupons.'),
    couponIds: z.array(IdSchema).max(5).default([]).describe('Applied in this order, each to what the previous ones left.'),
  })
  .meta({ id: 'CounterCheckoutBody' });
export type CounterCheckoutBody = z.infer<typeof CounterCheckoutBodySchema>;

export const CounterCheckoutAnswerSchema = z
  .object({
    orderNo: OrderNoSchema,
    memberId: IdSchema,
    amountFen: FenSchema,
    discountFen: FenSchema,
    netFen: FenSchema.describe('What the member paid: points are earned on it.'),
    pointsEarned: z.number().int().min(0),
    pointsBalance: z.number().int().min(0),
    tier: TierRefSchema,
    coupons: z.array(z.object({ couponId: IdSchema, redemptionId: IdSchema, title: z.string(), savingFen: FenSchema })),
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'CounterCheckoutAnswer' });
export type CounterCheckoutAnswer = z.infer<typeof CounterCheckoutAnswerSchema>;
