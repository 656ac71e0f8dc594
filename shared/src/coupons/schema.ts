import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, ListQuerySchema, humanText, pageOf } from '../common';
import { TierCodeSchema } from '../tiers/schema';

export const CouponTypeSchema = z.enum(['cash', 'discount', 'gift']).meta({
  id: 'CouponType',
  description: '`cash` 满减 (amount off above a minimum spend), `discount` (percent off, optional cap), `gift` (a free item).',
});
export type CouponType = z.infer<typeof CouponTypeSchema>;

// Kept as a plain shape so the answer can reuse it without the input's cross-field rules.
const couponTemplateFields = {
  title: humanText({ max: 60 }),
  type: CouponTypeSchema,
  minSpendFen: FenSchema.optional(),
  amountOffFen: FenSchema.min(1).optional(),
  percentOff: z.number().int().min(1).max(99).optional().describe('Percent taken off the order (20 = 20% off).'),
  maxOffFen: FenSchema.min(1).optional(),
  giftName: humanText({ max: 60 }).optional(),
  validFrom: IsoDateTimeSchema.optional(),
  validUntil: IsoDateTimeSchema.optional(),
  validDays: z.number().int().min(1).max(3650).optional().describe('Relative validity: days after issue.'),
  totalQuantity: z.number().int().min(1).max(10_000_000),
  perMemberLimit: z.number().int().min(1).max(1000),
  storeIds: z.array(IdSchema).max(1000).optional().describe('Empty or absent: every store.'),
  tiers: z.array(TierCodeSchema).max(10).optional().describe('Empty or absent: every tier.'),
  pointsCost: z.number().int().min(1).max(100_000_000).optional().describe('Points a member pays to exchange for it (积分兑换).'),
  inCouponCentre: z.boolean().optional().describe('Members may claim it for free in the coupon centre (领券中心), up to perMemberLimit each.'),
};

type CouponTemplateFields = z.infer<z.ZodObject<typeof couponTemplateFields>>;

const fieldsByType: Record<CouponType, { required: keyof CouponTemplateFields; forbidden: Array<keyof CouponTemplateFields> }> = {
  cash: { required: 'amountOffFen', forbidden: ['percentOff', 'maxOffFen', 'giftName'] },
  discount: { required: 'percentOff', forbidden: ['amountOffFen', 'giftName'] },
  gift: { required: 'giftName', forbidden: ['amountOffFen', 'percentOff', 'maxOffFen'] },
};

function checkTemplateRules(template: CouponTemplateFields, ctx: z.core.$RefinementCtx<CouponTemplateFields>): void {
  const { required, forbidden } = fieldsByType[template.type];
  if (template[required] === undefined) {
    ctx.addIssue({ code: 'custom', path: [required], message: `required for a ${template.type} coupon` });
  }
  for (const field of forbidden) {
    if (template[field] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `not allowed for a ${template.type} coupon` });
    }
  }
  const fixed = template.validFrom !== undefined || template.validUntil !== undefined;
  if (fixed && template.validDays !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['validDays'], message: 'give either validFrom and validUntil, or validDays, not both' });
  } else if (fixed) {
    if (template.validFrom === undefined || template.validUntil === undefined) {
      ctx.addIssue({ code: 'custom', path: [template.validFrom === undefined ? 'validFrom' : 'validUntil'], message: 'fixed validity needs both validFrom and validUntil' });
    } else if (Date.parse(template.validFrom) >= Date.parse(template.validUntil)) {
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must be after validFrom' });
    }
  } else if (template.validDays === undefined) {
    ctx.addIssue({ code: 'custom', path: ['validDays'], message: 'give either validFrom and validUntil, or validDays' });
  }
  if (template.perMemberLimit > template.totalQuantity) {
    ctx.addIssue({ code: 'custom', path: ['perMemberLimit'], message: 'cannot exceed totalQuantity' });
  }
}

/** The cash-value rule's messages: the API answers with `en`; the console shows `zh`. */
export const CASH_VALUE_MESSAGES = {
  belowMinSpend: { en: 'must be less than minSpendFen', zh: '减免金额必须小于最低消费' },
  confirmNoMinSpend: {
    en: 'a cash coupon without a minimum spend takes its amount off any order: confirm with noMinSpendConfirmed: true',
    zh: '无门槛满减券对任何订单都直接减免，请勾选确认',
  },
} as const;

/**
 * A cash coupon takes less than its minimum spend off (¥100 off a ¥1 minimum is a typo that gives money away).
 * With no minimum spend, a fixed amount comes off any order, which HQ must confirm with `noMinSpendConfirmed`.
 * A discount needs no such rule: at most 99% of the order comes off, whatever `maxOffFen` caps.
 */
function checkCashValue(template: CouponTemplateFields & { noMinSpendConfirmed?: boolean }, ctx: z.core.$RefinementCtx<CouponTemplateFields>): void {
  if (template.type !== 'cash' || template.amountOffFen === undefined) return;
  const minSpendFen = template.minSpendFen ?? 0;
  if (minSpendFen > 0 && template.amountOffFen >= minSpendFen) {
    ctx.addIssue({ code: 'custom', path: ['amountOffFen'], message: CASH_VALUE_MESSAGES.belowMinSpend.en });
  }
  if (minSpendFen === 0 && template.noMinSpendConfirmed !== true) {
    ctx.addIssue({ code: 'custom', path: ['noMinSpendConfirmed'], message: CASH_VALUE_MESSAGES.confirmNoMinSpend.en });
  }
}

export const CouponTemplateInputSchema = z
  .strictObject({
    ...couponTemplateFields,
    noMinSpendConfirmed: z
      .boolean()
      .optional()
      .describe('HQ confirms a cash coupon with no minimum spend (its amount comes off any order); required then, not stored.'),
  })
  .superRefine(checkTemplateRules)
  .superRefine(checkCashValue)
  .meta({ id: 'CouponTemplateInput', description: 'A coupon template as HQ creates it.' });
export type CouponTemplateInput = z.infer<typeof CouponTemplateInputSchema>;

export const CouponTemplateStatusSchema = z.enum(['active', 'archived']).meta({ id: 'CouponTemplateStatus' });

export const CouponTemplateSchema = z
  .object({
    ...couponTemplateFields,
    // Answers carry what is stored, including text saved before the input rules tightened.
    title: z.string(),
    giftName: z.string().optional(),
    id: IdSchema,
    issuedCount: z.number().int().min(0),
    status: CouponTemplateStatusSchema,
  })
  .meta({ id: 'CouponTemplate', description: 'A coupon template with its issue count.' });
export type CouponTemplate = z.infer<typeof CouponTemplateSchema>;

/** Issued → redeemed | expired | revoked; redeemed → issued again only by a manager's reversal. */
export const CouponStatusSchema = z.enum(['issued', 'redeemed', 'expired', 'revoked']).meta({ id: 'CouponStatus' });
export type CouponStatus = z.infer<typeof CouponStatusSchema>;

export const CouponSchema = z
  .object({
    id: IdSchema,
    templateId: IdSchema,
    title: z.string(),
    type: CouponTypeSchema,
    status: CouponStatusSchema,
    validFrom: IsoDateTimeSchema,
    validUntil: IsoDateTimeSchema,
    minSpendFen: FenSchema.optional(),
    amountOffFen: FenSchema.optional(),
    percentOff: z.number().int().min(1).max(99).optional(),
    maxOffFen: FenSchema.optional(),
    giftName: z.string().optional(),
    storeIds: z.array(IdSchema).optional(),
    tiers: z.array(TierCodeSchema).optional(),
    issuedAt: IsoDateTimeSchema.optional(),
    redeemedAt: IsoDateTimeSchema.optional(),
    redeemedStoreName: z.string().optional().describe('Used coupons in the wallet: the store that redeemed it.'),
  })
  .meta({ id: 'Coupon', description: 'A coupon held by a member, with its terms.' });
export type Coupon = z.infer<typeof CouponSchema>;

/** The wallet tabs: `available` = issued and not past validUntil; `used` = redeemed; `expired` = expired or revoked. */
export const CouponListQuerySchema = ListQuerySchema.extend({
  status: z.enum(['available', 'used', 'expired']).default('available'),
}).meta({ id: 'CouponListQuery' });
export type CouponListQuery = z.infer<typeof CouponListQuerySchema>;

export const CouponPageSchema = pageOf(CouponSchema).meta({ id: 'CouponPage' });

export const RedemptionBodySchema = z
  .strictObject({
    code: z.string().min(1).max(64),
    orderNo: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    orderAmountFen: FenSchema.optional(),
  })
  .meta({ id: 'RedemptionBody', description: 'A clerk redeems the coupon code a member shows.' });
export type RedemptionBody = z.infer<typeof RedemptionBodySchema>;

export const RedemptionSchema = z
  .object({
    id: IdSchema,
    couponId: IdSchema,
    storeId: IdSchema,
    staffId: IdSchema,
    orderNo: z.string().optional(),
    orderAmountFen: FenSchema.optional(),
    status: z.enum(['redeemed', 'reversed']),
    createdAt: IsoDateTimeSchema,
    reversedAt: IsoDateTimeSchema.optional(),
  })
  .meta({ id: 'Redemption', description: 'One in-store redemption of a coupon.' });
export type Redemption = z.infer<typeof RedemptionSchema>;

export const ReversalBodySchema = z
  .strictObject({ reason: humanText({ max: 200 }) })
  .meta({ id: 'ReversalBody', description: 'Why a manager reverses a redemption or purchase.' });
export type ReversalBody = z.infer<typeof ReversalBodySchema>;

export const RedemptionCodeBatchBodySchema = z
  .strictObject({
    templateId: IdSchema.optional(),
    points: z.number().int().min(1).max(1_000_000).optional(),
    count: z.number().int().min(1).max(100_000),
    expiresAt: IsoDateTimeSchema,
    name: humanText({ max: 40 }).optional().describe('What HQ calls the batch (absent: 兑换码 and the China date it was made).'),
    purpose: humanText({ max: 200, multiline: true }).optional().describe('What the codes are for, e.g. where they are printed.'),
  })
  .refine((batch) => (batch.templateId === undefined) !== (batch.points === undefined), {
    message: 'give exactly one of templateId or points',
    path: ['templateId'],
  })
  .meta({ id: 'RedemptionCodeBatchBody', description: 'A batch of printed redemption codes (兑换码) for a coupon or for points.' });
export type RedemptionCodeBatchBody = z.infer<typeof RedemptionCodeBatchBodySchema>;

export const RedemptionCodeBatchAnswerSchema = z
  .object({ id: IdSchema, count: z.number().int().min(1) })
  .meta({ id: 'RedemptionCodeBatchAnswer' });
export type RedemptionCodeBatchAnswer = z.infer<typeof RedemptionCodeBatchAnswerSchema>;

export const RedemptionCodeClaimBodySchema = z
  .strictObject({ code: z.string().min(1).max(32).describe('As printed; spaces and dashes are ignored.') })
  .meta({ id: 'RedemptionCodeClaimBody' });
export type RedemptionCodeClaimBody = z.infer<typeof RedemptionCodeClaimBodySchema>;

export const RedemptionCodeClaimAnswerSchema = z
  .object({ coupon: CouponSchema.optional(), pointsAwarded: z.number().int().min(1).optional() })
  .meta({ id: 'RedemptionCodeClaimAnswer' });
export type RedemptionCodeClaimAnswer = z.infer<typeof RedemptionCodeClaimAnswerSchema>;

// ---- HQ lists, grants, batches and the points mall ----

export const CouponTemplateListQuerySchema = ListQuerySchema.extend({
  status: CouponTemplateStatusSchema.optional(),
}).meta({ id: 'CouponTemplateListQuery' });
export type CouponTemplateListQuery = z.infer<typeof CouponTemplateListQuerySchema>;

export const CouponTemplatePageSchema = pageOf(CouponTemplateSchema).meta({ id: 'CouponTemplatePage' });

export const CouponGrantBodySchema = z
  .strictObject({ memberId: IdSchema })
  .meta({ id: 'CouponGrantBody', description: 'HQ gives one coupon of the template to a member; needs an Idempotency-Key header.' });
export type CouponGrantBody = z.infer<typeof CouponGrantBodySchema>;

export const RedemptionPageSchema = pageOf(RedemptionSchema).meta({ id: 'RedemptionPage' });

export const RedemptionCodeBatchSchema = z
  .object({
    id: IdSchema,
    templateId: IdSchema.optional(),
    points: z.number().int().min(1).optional(),
    name: z.string(),
    purpose: z.string().optional(),
    count: z.number().int().min(1),
    claimedCount: z.number().int().min(0),
    status: z
      .enum(['generating', 'ready', 'voided'])
      .describe('`generating` until every code is stored; only `ready` batches can be claimed; `voided` codes refuse claims (CODE_VOIDED).'),
    expiresAt: IsoDateTimeSchema,
    createdAt: IsoDateTimeSchema,
    voidedAt: IsoDateTimeSchema.optional(),
    voidReason: z.string().optional(),
  })
  .meta({ id: 'RedemptionCodeBatch', description: 'A batch of printed redemption codes, as HQ lists them.' });
export type RedemptionCodeBatch = z.infer<typeof RedemptionCodeBatchSchema>;

export const RedemptionCodeBatchPageSchema = pageOf(RedemptionCodeBatchSchema).meta({ id: 'RedemptionCodeBatchPage' });

export const RedemptionCodeBatchVoidBodySchema = z
  .strictObject({ reason: humanText({ min: 2, max: 200 }).describe('Why the codes no longer count (kept in the audit log).') })
  .meta({ id: 'RedemptionCodeBatchVoidBody', description: 'HQ voids a batch: its unclaimed codes refuse claims from then on.' });
export type RedemptionCodeBatchVoidBody = z.infer<typeof RedemptionCodeBatchVoidBodySchema>;

export const PointsExchangeAnswerSchema = z
  .object({ coupon: CouponSchema, pointsSpent: z.number().int().min(1), pointsBalance: z.number().int().min(0) })
  .meta({ id: 'PointsExchangeAnswer', description: 'The coupon bought with points and the balance left.' });
export type PointsExchangeAnswer = z.infer<typeof PointsExchangeAnswerSchema>;

/** HQ's view of one member's coupons: every status unless one is asked for. */
export const AdminCouponListQuerySchema = ListQuerySchema.extend({
  status: z.enum(['available', 'used', 'expired']).optional(),
}).meta({ id: 'AdminCouponListQuery' });
export type AdminCouponListQuery = z.infer<typeof AdminCouponListQuerySchema>;
