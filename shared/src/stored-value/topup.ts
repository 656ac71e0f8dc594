import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, MAX_FEN, STORE_CODE_PATTERN, humanText } from '../common';
import { WechatPaymentParamsSchema } from '../activities/schema';
import { TierCodeSchema } from '../tiers/schema';
import { StoredValueBalanceSchema } from './schema';

// Top-up rules (充值方案) HQ offers, the shopper's top-up orders paid through WeChat Pay, and refunds of
// unspent principal.

const StoreCodeSchema = z.string().regex(STORE_CODE_PATTERN);

const topupRuleFields = {
  title: humanText({ max: 40 }).describe('What the shopper reads, e.g. 充500送50.'),
  kind: z.enum(['fixed', 'range']).describe('fixed: one amount (amountFen); range: the shopper types an amount between minFen and maxFen.'),
  amountFen: FenSchema.min(1).nullable().default(null),
  minFen: FenSchema.min(1).nullable().default(null),
  maxFen: FenSchema.min(1).nullable().default(null),
  bonusFen: FenSchema.default(0).describe('Bonus stored value added with the top-up.'),
  bonusPoints: z.number().int().min(0).max(1_000_000).default(0),
  couponTemplateId: IdSchema.nullable().default(null).describe('A coupon issued with the top-up.'),
  validFrom: IsoDateTimeSchema.nullable().default(null),
  validUntil: IsoDateTimeSchema.nullable().default(null),
  storeIds: z.array(StoreCodeSchema).max(200).default([]).describe('Stores whose shoppers see it; empty: all.'),
  tiers: z.array(TierCodeSchema).max(20).default([]).describe('Tiers that see it; empty: all.'),
  active: z.boolean().default(true),
};

function checkRule(rule: { kind: 'fixed' | 'range'; amountFen: number | null; minFen: number | null; maxFen: number | null; validFrom: string | null; validUntil: string | null }, ctx: z.RefinementCtx) {
  if (rule.kind === 'fixed' && rule.amountFen === null) ctx.addIssue({ code: 'custom', path: ['amountFen'], message: 'A fixed rule needs amountFen' });
  if (rule.kind === 'range') {
    if (rule.minFen === null) ctx.addIssue({ code: 'custom', path: ['minFen'], message: 'A range rule needs minFen' });
    if (rule.maxFen === null) ctx.addIssue({ code: 'custom', path: ['maxFen'], message: 'A range rule needs maxFen' });
    if (rule.minFen !== null && rule.maxFen !== null && rule.minFen > rule.maxFen) ctx.addIssue({ code: 'custom', path: ['maxFen'], message: 'maxFen must not be below minFen' });
  }
  if (rule.validFrom && rule.validUntil && Date.parse(rule.validFrom) >= Date.parse(rule.validUntil)) {
    ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'validUntil must be after validFrom' });
  }
}

export const TopupRuleBodySchema = z
  .strictObject(topupRuleFields)
  .superRefine(checkRule)
  .meta({ id: 'TopupRuleBody', description: 'A top-up rule as HQ writes it.' });
export type TopupRuleBody = z.infer<typeof TopupRuleBodySchema>;

export const TopupRuleSchema = z
  .object({ id: IdSchema, ...topupRuleFields, createdAt: IsoDateTimeSchema, updatedAt: IsoDateTimeSchema })
  .meta({ id: 'TopupRule', description: 'A top-up rule (充值方案).' });
export type TopupRule = z.infer<typeof TopupRuleSchema>;

export const TopupRuleListSchema = z.object({ items: z.array(TopupRuleSchema) }).meta({ id: 'TopupRuleList' });

/** A rule as the shopper is offered it. */
export const TopupOfferSchema = z
  .object({
    id: IdSchema,
    title: z.string(),
    kind: z.enum(['fixed', 'range']),
    amountFen: FenSchema.nullable(),
    minFen: FenSchema.nullable(),
    maxFen: FenSchema.nullable(),
    bonusFen: FenSchema,
    bonusPoints: z.number().int().min(0),
    couponTitle: z.string().nullable(),
    validUntil: IsoDateTimeSchema.nullable(),
  })
  .meta({ id: 'TopupOffer' });
export type TopupOffer = z.infer<typeof TopupOfferSchema>;

export const TopupStatusSchema = z.enum(['pending', 'paid', 'closed']).meta({ id: 'TopupStatus', description: 'pending: awaiting payment; paid: credited; closed: never paid.' });

export const TopupSchema = z
  .object({
    id: IdSchema,
    ruleId: IdSchema,
    title: z.string(),
    amountFen: FenSchema,
    bonusFen: FenSchema,
    bonusPoints: z.number().int().min(0),
    storeId: z.string().nullable(),
    status: TopupStatusSchema,
    createdAt: IsoDateTimeSchema,
    paidAt: IsoDateTimeSchema.nullable(),
    payment: WechatPaymentParamsSchema.optional().describe('For wx.requestPayment while pending (the create answer).'),
  })
  .meta({ id: 'Topup', description: 'A top-up order.' });
export type Topup = z.infer<typeof TopupSchema>;

export const TopupCreateBodySchema = z
  .strictObject({
    ruleId: IdSchema,
    amountFen: FenSchema.min(1).max(MAX_FEN).optional().describe('Range rules: the amount the shopper chose.'),
    storeId: StoreCodeSchema.optional().describe('The store the top-up is for (its liability); default the home store.'),
  })
  .meta({ id: 'TopupCreateBody', description: 'Needs an Idempotency-Key header.' });
export type TopupCreateBody = z.infer<typeof TopupCreateBodySchema>;

export const RefundRequestStatusSchema = z
  .enum(['requested', 'rejected', 'refunding', 'refunded'])
  .meta({ id: 'StoredValueRefundStatus', description: 'requested: awaiting HQ; refunding: approved, WeChat Pay is paying it back; refunded: done.' });

export const StoredValueRefundRequestSchema = z
  .object({
    id: IdSchema,
    memberId: IdSchema,
    cardNo: z.string().nullable(),
    status: RefundRequestStatusSchema,
    reason: z.string().nullable(),
    principalFen: FenSchema.describe('Requested: the principal held when asked; once approved: what is paid back.'),
    bonusForfeitFen: FenSchema,
    requestedAt: IsoDateTimeSchema,
    decidedAt: IsoDateTimeSchema.nullable(),
    note: z.string().nullable(),
    parts: z.array(z.object({ outTradeNo: z.string(), amountFen: FenSchema, status: z.string() })),
  })
  .meta({ id: 'StoredValueRefundRequest', description: 'A request to pay unspent principal back to the WeChat Pay payments it came from.' });
export type StoredValueRefundRequest = z.infer<typeof StoredValueRefundRequestSchema>;

export const StoredValueRefundRequestListSchema = z.object({ items: z.array(StoredValueRefundRequestSchema) }).meta({ id: 'StoredValueRefundRequestList' });

export const RefundRequestBodySchema = z.strictObject({ reason: humanText({ max: 200 }).optional() }).meta({ id: 'StoredValueRefundRequestBody' });
export const RefundDecisionBodySchema = z.strictObject({ note: humanText({ max: 200 }).optional() }).meta({ id: 'StoredValueRefundDecisionBody' });

/** The shopper's stored-value page. */
export const MyStoredValueSchema = z
  .object({
    balance: StoredValueBalanceSchema,
    enabled: z.boolean(),
    offers: z.array(TopupOfferSchema),
    topupRoomFen: FenSchema.describe('The most a top-up may be now: the balance cap and today’s top-up cap less what is held and ordered.'),
    memberBalanceCapFen: FenSchema,
    dailyTopupCapFen: FenSchema,
    refundRequest: StoredValueRefundRequestSchema.nullable().describe('The open refund request, if any.'),
  })
  .meta({ id: 'MyStoredValue' });
export type MyStoredValue = z.infer<typeof MyStoredValueSchema>;

/** HQ's liability view: outstanding principal and bonus per store, and the bonus the brand has given. */
export const StoredValueLiabilitySchema = z
  .object({
    stores: z.array(
      z.object({
        storeId: z.string().nullable(),
        storeName: z.string().nullable(),
        principalFen: z.number().int(),
        bonusFen: z.number().int(),
        toppedUpFen: z.number().int(),
        bonusGivenFen: z.number().int(),
        bonusSpentFen: z.number().int(),
      }),
    ),
    total: z.object({ principalFen: z.number().int(), bonusFen: z.number().int(), toppedUpFen: z.number().int(), bonusGivenFen: z.number().int(), bonusSpentFen: z.number().int() }),
    members: z.number().int().describe('Members holding a balance.'),
  })
  .meta({ id: 'StoredValueLiability' });
export type StoredValueLiability = z.infer<typeof StoredValueLiabilitySchema>;

export const MemberStoredValueSchema = z
  .object({ balance: StoredValueBalanceSchema, refundRequest: StoredValueRefundRequestSchema.nullable() })
  .meta({ id: 'MemberStoredValue' });
export type MemberStoredValue = z.infer<typeof MemberStoredValueSchema>;
