import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, MAX_FEN, STORE_CODE_PATTERN, humanText } from '../common';
import { CouponRefusalCodeSchema } from './refusals';
import { OrderNoSchema, PurchaseLineSchema } from '../points/schema';
import { TierRefSchema } from '../tiers/schema';

// Wire shapes of the POS integration (/api/v1/pos/…, signed by the till) and of HQ's POS credentials.

export const PosKeyIdSchema = z.string().regex(/^pk_[A-Za-z0-9]{1,16}_[a-f0-9]{16}$/).meta({ id: 'PosKeyId', description: 'A POS credential’s key id (pk_<store>_<16 hex>).' });

export const PosCredentialSchema = z
  .object({
    keyId: PosKeyIdSchema,
    storeId: z.string(),
    label: z.string(),
    status: z.enum(['active', 'revoked']),
    createdAt: IsoDateTimeSchema,
    /** Set when a rotation replaced it: it keeps working until then, so the till can switch over. */
    expiresAt: IsoDateTimeSchema.nullable(),
    revokedAt: IsoDateTimeSchema.nullable(),
    lastUsedAt: IsoDateTimeSchema.nullable(),
  })
  .meta({ id: 'PosCredential', description: 'A store till’s credential; the secret is shown only when created or rotated.' });
export type PosCredential = z.infer<typeof PosCredentialSchema>;

export const PosCredentialIssuedSchema = PosCredentialSchema.extend({
  secret: z.string().describe('The HMAC secret (base64url). Shown once, here; store it in the till.'),
}).meta({ id: 'PosCredentialIssued' });
export type PosCredentialIssued = z.infer<typeof PosCredentialIssuedSchema>;

export const PosCredentialListSchema = z.object({ items: z.array(PosCredentialSchema) }).meta({ id: 'PosCredentialList' });

export const PosCredentialCreateBodySchema = z
  .strictObject({ storeId: z.string().regex(STORE_CODE_PATTERN, 'a store code: 2–16 capital letters or digits'), label: humanText({ max: 60 }).optional() })
  .meta({ id: 'PosCredentialCreateBody' });
export type PosCredentialCreateBody = z.infer<typeof PosCredentialCreateBodySchema>;

export const PosCredentialRotateBodySchema = z
  .strictObject({
    graceHours: z.number().int().min(0).max(72).default(24).describe('How long the old secret keeps working (default 24 h; 0 = stop at once).'),
  })
  .meta({ id: 'PosCredentialRotateBody' });
export type PosCredentialRotateBody = z.infer<typeof PosCredentialRotateBodySchema>;

export const PosKeyParamsSchema = z.strictObject({ keyId: PosKeyIdSchema }).meta({ id: 'PosKeyParams' });

export const PosIdentifyBodySchema = z
  .strictObject({
    memberCode: z.string().min(1).max(64).optional().describe('The code the member shows (QR, barcode or typed).'),
    phone: z.string().regex(/^1\d{10}$/).optional().describe('The member’s bound mainland mobile number, 11 digits.'),
  })
  .refine((b) => (b.memberCode === undefined) !== (b.phone === undefined), { message: 'Send exactly one of memberCode and phone.', path: ['memberCode'] })
  .meta({ id: 'PosIdentifyBody' });
export type PosIdentifyBody = z.infer<typeof PosIdentifyBodySchema>;

export const PosMemberSchema = z
  .object({
    memberId: IdSchema.describe('Pass it to quote and orders.'),
    cardNo: z.string(),
    maskedName: z.string().nullable(),
    maskedPhone: z.string().nullable(),
    tier: TierRefSchema,
    pointsBalance: z.number().int().min(0),
  })
  .meta({ id: 'PosMember' });
export type PosMember = z.infer<typeof PosMemberSchema>;

export const PosLineSchema = PurchaseLineSchema.extend({ unitFen: FenSchema.describe('Price of one unit; amountFen must be qty × unitFen.') }).meta({ id: 'PosLine' });
export type PosLine = z.infer<typeof PosLineSchema>;

const linesSchema = z.array(PosLineSchema).min(1).max(200);

export const PosQuoteBodySchema = z.strictObject({ memberId: IdSchema, lines: linesSchema }).meta({ id: 'PosQuoteBody' });
export type PosQuoteBody = z.infer<typeof PosQuoteBodySchema>;

export const PosQuoteCouponSchema = z
  .object({
    couponId: IdSchema,
    title: z.string(),
    type: z.enum(['cash', 'discount', 'gift']),
    validUntil: IsoDateTimeSchema,
    applicable: z.boolean(),
    refusal: CouponRefusalCodeSchema.nullable().describe('Why it cannot be used on this order, when it cannot.'),
    savingFen: FenSchema,
    gift: z.string().nullable(),
    pointsToEarn: z.number().int().min(0).describe('Points the order earns with this coupon alone applied.'),
  })
  .meta({ id: 'PosQuoteCoupon' });

export const PosQuoteAnswerSchema = z
  .object({
    member: PosMemberSchema,
    totalFen: FenSchema,
    pointsToEarn: z.number().int().min(0).describe('Points the order earns with no coupon.'),
    tierBenefits: z.array(z.string()),
    pointsMultiplier: z.number(),
    coupons: z.array(PosQuoteCouponSchema).describe('The member’s issued coupons, applicable ones first.'),
  })
  .meta({ id: 'PosQuoteAnswer' });
export type PosQuoteAnswer = z.infer<typeof PosQuoteAnswerSchema>;

export const PosOrderBodySchema = z
  .strictObject({
    orderNo: OrderNoSchema,
    memberId: IdSchema,
    lines: linesSchema,
    totalFen: z.number().int().min(1).max(MAX_FEN).describe('Σ lines’ amountFen, before coupons.'),
    couponIds: z.array(IdSchema).max(5).default([]).describe('Applied in this order, each to what the previous ones left.'),
  })
  .meta({ id: 'PosOrderBody' });
export type PosOrderBody = z.infer<typeof PosOrderBodySchema>;

export const PosOrderSchema = z
  .object({
    orderNo: OrderNoSchema,
    storeId: z.string(),
    memberId: IdSchema,
    totalFen: FenSchema,
    discountFen: FenSchema,
    netFen: FenSchema.describe('What the member paid: points are earned on it.'),
    lines: z.array(PosLineSchema.extend({ returnedQty: z.number().int().min(0) })),
    coupons: z.array(z.object({ couponId: IdSchema, redemptionId: IdSchema, savingFen: FenSchema, restored: z.boolean() })),
    pointsEarned: z.number().int().min(0),
    pointsBalance: z.number().int().min(0).describe('The balance right after the order was booked.'),
    tier: TierRefSchema,
    status: z.enum(['booked', 'partly_returned', 'returned']),
    returnedNetFen: FenSchema,
    pointsTakenBack: z.number().int().min(0),
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'PosOrder' });
export type PosOrder = z.infer<typeof PosOrderSchema>;

export const PosOrderParamsSchema = z.strictObject({ orderNo: OrderNoSchema }).meta({ id: 'PosOrderParams' });

export const PosReturnBodySchema = z
  .strictObject({
    returnNo: OrderNoSchema.describe('The till’s return (refund) number: the idempotency key of the return.'),
    orderNo: OrderNoSchema,
    whole: z.literal(true).optional().describe('Return everything not yet returned; coupons are restored.'),
    lines: z
      .array(z.strictObject({ line: z.number().int().min(0).max(199).describe('Index in the order’s lines, from 0.'), qty: z.number().int().min(1).max(10_000) }))
      .min(1)
      .max(200)
      .optional(),
  })
  .refine((b) => (b.whole === true) !== (b.lines !== undefined), { message: 'Send either whole: true or lines.', path: ['lines'] })
  .meta({ id: 'PosReturnBody' });
export type PosReturnBody = z.infer<typeof PosReturnBodySchema>;

export const PosReturnAnswerSchema = z
  .object({
    returnNo: OrderNoSchema,
    netFen: FenSchema.describe('The paid amount this return gives back (the lines’ share of the net).'),
    pointsTakenBack: z.number().int().min(0),
    shortfall: z.number().int().min(0).describe('Points the balance could not cover; recorded, not dropped.'),
    couponsRestored: z.array(IdSchema),
    pointsBalance: z.number().int().min(0),
    order: PosOrderSchema,
  })
  .meta({ id: 'PosReturnAnswer' });
export type PosReturnAnswer = z.infer<typeof PosReturnAnswerSchema>;
