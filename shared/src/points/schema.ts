import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, MAX_FEN, humanText, pageOf } from '../common';
import { TierCodeSchema, TierRefSchema } from '../tiers/schema';
import { MultiplierSchema } from './multiplier';

export const LedgerSourceSchema = z
  .enum(['purchase', 'redemption', 'exchange', 'bonus', 'adjustment', 'expiry', 'reversal', 'attendance', 'code'])
  .meta({ id: 'LedgerSource', description: 'What caused a points change.' });
export type LedgerSource = z.infer<typeof LedgerSourceSchema>;

/** What a ledger entry was for, as the member's statement reads it: like a receipt line, not an order number. */
export const LedgerDescriptionSchema = z
  .object({
    title: z.string().describe('The headline in Chinese: 消费 · 徐汇店, 积分兑换「满100减20」, 活动签到「…」, 积分过期, 积分调整, 撤销消费 · 徐汇店.'),
    storeName: z.string().optional(),
    amountFen: FenSchema.optional().describe('Purchases and reversed purchases: the order amount.'),
    lines: z.array(z.object({ name: z.string(), qty: z.number() })).optional().describe('Purchases: the items, where the POS sent them.'),
    note: z.string().optional().describe('Adjustments: HQ’s reason; reversals: why.'),
  })
  .meta({ id: 'LedgerDescription' });
export type LedgerDescription = z.infer<typeof LedgerDescriptionSchema>;

export const LedgerEntrySchema = z
  .object({
    id: IdSchema,
    delta: z.number().int(),
    balanceAfter: z.number().int().min(0),
    reason: z.string(),
    source: LedgerSourceSchema,
    createdAt: IsoDateTimeSchema,
    expiresAt: IsoDateTimeSchema.optional().describe('For earnings: when what is left of this lot expires.'),
    shortfall: z.number().int().min(0).optional().describe('For reversals: the points the balance could not cover.'),
    description: LedgerDescriptionSchema.optional().describe('The member’s statement line, resolved from what caused the entry (member ledger only).'),
  })
  .meta({ id: 'LedgerEntry', description: 'One append-only points ledger entry.' });
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

export const LedgerPageSchema = pageOf(LedgerEntrySchema).meta({ id: 'LedgerPage' });

export const PointsAdjustmentBodySchema = z
  .strictObject({
    delta: z
      .number()
      .int()
      .min(-100_000_000)
      .max(100_000_000)
      .refine((delta) => delta !== 0, 'must not be 0'),
    reason: humanText({ max: 200 }),
  })
  .meta({ id: 'PointsAdjustmentBody', description: 'An HQ correction of a balance; needs an Idempotency-Key header.' });
export type PointsAdjustmentBody = z.infer<typeof PointsAdjustmentBodySchema>;

export const OrderNoSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).meta({ id: 'OrderNo', description: 'The till’s order number; the idempotency key of a purchase.' });

export const PurchaseLineSchema = z
  .strictObject({
    sku: z.string().min(1).max(64),
    name: humanText({ max: 100 }),
    category: humanText({ max: 64 }),
    qty: z.number().int().min(1).max(10_000),
    amountFen: FenSchema,
  })
  .meta({ id: 'PurchaseLine' });
export type PurchaseLine = z.infer<typeof PurchaseLineSchema>;

export const PurchaseBodySchema = z
  .strictObject({
    memberCode: z.string().min(1).max(64),
    orderNo: OrderNoSchema,
    amountFen: z.number().int().min(1).max(MAX_FEN),
    lines: z.array(PurchaseLineSchema).max(500).optional(),
  })
  .meta({ id: 'PurchaseBody', description: 'A clerk records a purchase against the member code shown.' });
export type PurchaseBody = z.infer<typeof PurchaseBodySchema>;

export const PurchaseAnswerSchema = z
  .object({ pointsEarned: z.number().int().min(0), pointsBalance: z.number().int().min(0), tier: TierRefSchema })
  .meta({ id: 'PurchaseAnswer' });
export type PurchaseAnswer = z.infer<typeof PurchaseAnswerSchema>;

export const PurchaseStatusSchema = z.enum(['booked', 'reversed']).meta({ id: 'PurchaseStatus' });

export const PurchaseSchema = z
  .object({
    id: IdSchema,
    memberId: IdSchema,
    orderNo: OrderNoSchema,
    storeId: IdSchema,
    amountFen: FenSchema,
    pointsEarned: z.number().int().min(0),
    status: PurchaseStatusSchema,
    // As stored, including lines booked before the input rules tightened.
    lines: z.array(PurchaseLineSchema.extend({ name: z.string(), category: z.string() })),
    createdAt: IsoDateTimeSchema,
    reversal: z
      .object({
        reason: z.string(),
        pointsTakenBack: z.number().int().min(0),
        shortfall: z.number().int().min(0).describe('Points earned by the purchase that the balance could no longer cover.'),
        at: IsoDateTimeSchema,
      })
      .nullable(),
  })
  .meta({ id: 'Purchase', description: 'One recorded purchase with its lines, as kept for the counter view and segments.' });
export type Purchase = z.infer<typeof PurchaseSchema>;
export const PurchasePageSchema = pageOf(PurchaseSchema).meta({ id: 'PurchasePage' });

export const PurchaseReversalBodySchema = z
  .strictObject({ reason: humanText({ max: 200 }) })
  .meta({ id: 'PurchaseReversalBody', description: 'A manager reverses a purchase of their store within 24 hours.' });
export type PurchaseReversalBody = z.infer<typeof PurchaseReversalBodySchema>;

export const PurchaseReversalAnswerSchema = z
  .object({ purchase: PurchaseSchema, pointsTakenBack: z.number().int().min(0), shortfall: z.number().int().min(0), pointsBalance: z.number().int().min(0) })
  .meta({ id: 'PurchaseReversalAnswer' });
export type PurchaseReversalAnswer = z.infer<typeof PurchaseReversalAnswerSchema>;

export const PointsExchangeBodySchema = z
  .strictObject({ templateId: IdSchema })
  .meta({ id: 'PointsExchangeBody', description: 'Exchange points for a coupon with a points cost; needs an Idempotency-Key header.' });
export type PointsExchangeBody = z.infer<typeof PointsExchangeBodySchema>;

// ---- earn rules ----

/** ISO weekday: 1 = Monday … 7 = Sunday, counted in China time. */
export const IsoWeekdaySchema = z.number().int().min(1).max(7).meta({ id: 'IsoWeekday', description: '1 = Monday … 7 = Sunday, China time.' });

export const EarnCampaignSchema = z
  .strictObject({
    id: z.string().min(1).max(64),
    name: humanText({ max: 60 }),
    multiplier: MultiplierSchema,
    weekdays: z.array(IsoWeekdaySchema).min(1).max(7).optional().describe('e.g. [3] for a Wednesday member day.'),
    startsAt: IsoDateTimeSchema.optional(),
    endsAt: IsoDateTimeSchema.optional(),
    storeIds: z.array(IdSchema).min(1).optional().describe('Absent: every store.'),
    tiers: z.array(TierCodeSchema).min(1).optional().describe('Absent: every tier.'),
    enabled: z.boolean(),
  })
  .superRefine((campaign, ctx) => {
    if (campaign.weekdays === undefined && campaign.startsAt === undefined && campaign.endsAt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['weekdays'], message: 'a campaign is time-boxed: give weekdays, a date range, or both' });
    }
    if ((campaign.startsAt === undefined) !== (campaign.endsAt === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'a date range needs both startsAt and endsAt' });
    } else if (campaign.startsAt && campaign.endsAt && Date.parse(campaign.startsAt) >= Date.parse(campaign.endsAt)) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    }
  })
  .meta({ id: 'EarnCampaign', description: 'A time-boxed points multiplier, e.g. member day ×2 on Wednesdays.' });
export type EarnCampaign = z.infer<typeof EarnCampaignSchema>;

/** Tier multipliers are not here: each tier carries its own (TierDefinition.pointsMultiplier). */
export const EarnRulesSchema = z
  .strictObject({
    baseRate: MultiplierSchema.describe('Points per whole yuan before multipliers.'),
    campaigns: z.array(EarnCampaignSchema).max(100),
  })
  .meta({ id: 'EarnRules', description: 'How purchases earn points, editable by HQ.' });
export type EarnRules = z.infer<typeof EarnRulesSchema>;

export const DEFAULT_EARN_RULES: EarnRules = { baseRate: 1, campaigns: [] };
