import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema } from '../common';
import { CategoryCodeSchema } from '../categories/schema';
import { CouponTypeSchema } from '../coupons/schema';
import { DEFAULT_HOLDOUT_SHARE, MAX_HOLDOUT_SHARE } from '../campaigns/holdout';
import { DEFAULT_SCORING } from './scoring';

const countSchema = z.number().int().min(0);

export const OfferKindSchema = z.enum(['category', 'threshold']).meta({
  id: 'OfferKind',
  description: '`category`: a product coupon for the categories it serves; `threshold`: a 满减 coupon sized to the member’s usual basket.',
});

/** HQ's entry for one coupon template in the offer pool (one entry per template). */
export const OfferPoolBodySchema = z
  .strictObject({
    templateId: IdSchema,
    kind: OfferKindSchema,
    categories: z.array(CategoryCodeSchema).max(20).default([]).describe('The categories a category offer serves (at least one).'),
    basketFromFen: FenSchema.nullable().default(null).describe('Threshold offers: the smallest usual basket it suits; null = any.'),
    basketToFen: FenSchema.nullable().default(null).describe('Threshold offers: the largest usual basket it suits; null = any.'),
    active: z.boolean().default(true).describe('Inactive entries stay in the pool but are not picked.'),
  })
  .superRefine((body, ctx) => {
    if (body.kind === 'category' && body.categories.length === 0) ctx.addIssue({ code: 'custom', path: ['categories'], message: 'a category offer serves at least one category' });
    if (body.kind === 'threshold' && body.categories.length > 0) ctx.addIssue({ code: 'custom', path: ['categories'], message: 'a threshold offer serves the whole basket: no categories' });
    if (body.kind === 'category' && (body.basketFromFen !== null || body.basketToFen !== null)) ctx.addIssue({ code: 'custom', path: ['basketFromFen'], message: 'basket sizes are for threshold offers' });
    if (body.basketFromFen !== null && body.basketToFen !== null && body.basketFromFen > body.basketToFen) ctx.addIssue({ code: 'custom', path: ['basketToFen'], message: 'must not be below basketFromFen' });
  })
  .meta({ id: 'OfferPoolBody', description: 'Put a coupon template in the offer pool (or change its entry).' });
export type OfferPoolBody = z.infer<typeof OfferPoolBodySchema>;

export const OfferPoolEntrySchema = z
  .object({
    templateId: IdSchema,
    kind: OfferKindSchema,
    categories: z.array(z.string()),
    basketFromFen: FenSchema.nullable(),
    basketToFen: FenSchema.nullable(),
    active: z.boolean(),
    template: z.object({
      title: z.string(),
      type: CouponTypeSchema,
      minSpendFen: FenSchema.nullable(),
      amountOffFen: FenSchema.nullable(),
      percentOff: z.number().nullable(),
      status: z.enum(['active', 'archived']),
      remaining: countSchema,
    }).nullable().describe('The template’s terms now; null when the template no longer exists.'),
    updatedAt: IsoDateTimeSchema,
  })
  .meta({ id: 'OfferPoolEntry' });
export type OfferPoolEntry = z.infer<typeof OfferPoolEntrySchema>;
export const OfferPoolListSchema = z.object({ items: z.array(OfferPoolEntrySchema) }).meta({ id: 'OfferPoolList' });

export const OfferRunSettingsSchema = z
  .strictObject({
    categoryOffers: z.number().int().min(0).max(20).default(DEFAULT_SCORING.categoryOffers).describe('K: category offers per member.'),
    thresholdOffers: z.number().int().min(0).max(5).default(DEFAULT_SCORING.thresholdOffers).describe('T: threshold offers per member.'),
    minVisits: z.number().int().min(1).max(50).default(DEFAULT_SCORING.minVisits).describe('Fewer 12-month purchases: cold start (best sellers).'),
    halfLifeDays: z.number().int().min(1).max(365).default(DEFAULT_SCORING.halfLifeDays),
    recentRedemptionDays: z.number().int().min(0).max(365).default(56).describe('An offer redeemed within these days is not offered again.'),
    holdoutShare: z.number().min(0).max(MAX_HOLDOUT_SHARE).default(DEFAULT_HOLDOUT_SHARE),
    windowDays: z.number().int().min(1).max(180).default(28).describe('Days after the run its results are measured over.'),
  })
  .meta({ id: 'OfferRunSettings' });
export type OfferRunSettings = z.infer<typeof OfferRunSettingsSchema>;

export const OfferRunLaunchBodySchema = z.strictObject({ settings: OfferRunSettingsSchema.partial().optional() }).meta({ id: 'OfferRunLaunchBody' });
export type OfferRunLaunchBody = z.infer<typeof OfferRunLaunchBodySchema>;

export const OfferRunSchema = z
  .object({
    id: IdSchema,
    trigger: z.enum(['hq', 'schedule']),
    status: z.enum(['running', 'completed', 'failed']),
    settings: OfferRunSettingsSchema,
    progress: z.object({
      members: countSchema.describe('Members the run went through.'),
      treated: countSchema,
      holdout: countSchema,
      coldStart: countSchema,
      issued: countSchema,
      refused: countSchema.describe('Picks the issuer refused (template exhausted, per-member limit).'),
    }),
    bestSellers: z.array(z.string()).describe('The brand’s best-selling categories at the start (cold start offers).'),
    startedAt: IsoDateTimeSchema,
    finishedAt: IsoDateTimeSchema.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'OfferRun', description: 'A personalised selection run.' });
export type OfferRun = z.infer<typeof OfferRunSchema>;
export const OfferRunListSchema = z.object({ items: z.array(OfferRunSchema) }).meta({ id: 'OfferRunList' });

export const OfferScheduleSchema = z
  .strictObject({
    enabled: z.boolean(),
    everyWeeks: z.number().int().min(1).max(52).describe('A scheduled run starts this many weeks after the last run.'),
  })
  .meta({ id: 'OfferSchedule' });
export type OfferSchedule = z.infer<typeof OfferScheduleSchema>;

export const OfferReasonTextSchema = z.object({ zh: z.string(), en: z.string() }).meta({ id: 'OfferReasonText' });

/** One member's selection in a run, as HQ reads it. */
export const OfferAssignmentSchema = z
  .object({
    memberId: IdSchema,
    holdout: z.boolean(),
    coldStart: z.boolean(),
    typicalBasketFen: FenSchema.nullable(),
    picks: z.array(z.object({
      templateId: IdSchema,
      title: z.string(),
      kind: OfferKindSchema,
      category: z.string().nullable(),
      reason: OfferReasonTextSchema,
      couponId: IdSchema.nullable().describe('null for the holdout (planned, not issued) or a refused pick.'),
    })),
  })
  .meta({ id: 'OfferAssignment' });
export type OfferAssignment = z.infer<typeof OfferAssignmentSchema>;

/** The wallet's reasons: why each of the member's personalised coupons was chosen. */
export const MemberOfferReasonsSchema = z
  .object({ items: z.array(z.object({ couponId: IdSchema, reason: OfferReasonTextSchema })) })
  .meta({ id: 'MemberOfferReasons' });
export type MemberOfferReasons = z.infer<typeof MemberOfferReasonsSchema>;

const RateSchema = z.number().min(0).max(1);

/** One group of a run's results (the whole run, a category, or a tier). */
export const OfferResultRowSchema = z
  .object({
    key: z.string().nullable().describe('Category code, tier code, or null for the whole run.'),
    name: z.string().nullable(),
    treatedMembers: countSchema,
    holdoutMembers: countSchema,
    issued: countSchema,
    redeemed: countSchema,
    redemptionRate: RateSchema,
    couponCostFen: countSchema,
    visitRate: z.object({ treated: z.number().nullable(), holdout: z.number().nullable(), diff: z.number().nullable() }),
    spendPerMemberFen: z.object({ treated: z.number().nullable(), holdout: z.number().nullable(), diff: z.number().nullable() }).describe('By category: spend on that category only.'),
    incrementalVisits: z.number().nullable().describe('Visit-rate difference × treated members.'),
    incrementalSpendFen: z.number().nullable().describe('Spend difference per member × treated members.'),
    tooSmall: z.boolean(),
  })
  .meta({ id: 'OfferResultRow' });
export type OfferResultRow = z.infer<typeof OfferResultRowSchema>;

export const BroadcastComparisonSchema = z
  .object({
    campaignId: IdSchema,
    name: z.string(),
    launchedAt: IsoDateTimeSchema,
    issued: countSchema,
    redeemed: countSchema,
    redemptionRate: RateSchema,
    couponCostFen: countSchema,
    visitRateDiff: z.number().nullable(),
    spendPerMemberDiffFen: z.number().nullable(),
  })
  .meta({ id: 'BroadcastComparison' });

export const OfferRunResultsSchema = z
  .object({
    runId: IdSchema,
    window: z.object({ from: IsoDateTimeSchema, until: IsoDateTimeSchema, open: z.boolean() }),
    total: OfferResultRowSchema,
    byCategory: z.array(OfferResultRowSchema),
    byTier: z.array(OfferResultRowSchema),
    broadcast: z.array(BroadcastComparisonSchema).describe('The brand’s campaigns (one template to a segment) launched in the same period.'),
  })
  .meta({ id: 'OfferRunResults', description: 'A run against its holdout and against broadcast campaigns of the same period.' });
export type OfferRunResults = z.infer<typeof OfferRunResultsSchema>;

/** The head of the Pareto curve (top 20% by 12-month spend), brand-wide and per store. */
export const TopMembersSummarySchema = z
  .object({
    computedAt: IsoDateTimeSchema.nullable(),
    share: z.number(),
    brand: z.object({ members: countSchema, thresholdFen: FenSchema.nullable(), spendShare: z.number().nullable().describe('Share of all 12-month spend the top members bring.') }),
    stores: z.array(z.object({ storeId: z.string(), members: countSchema, thresholdFen: FenSchema.nullable() })),
    tags: z.object({ brand: z.string(), store: z.string() }).describe('The member tags carrying the flags (segments select on them).'),
  })
  .meta({ id: 'TopMembersSummary' });
export type TopMembersSummary = z.infer<typeof TopMembersSummarySchema>;

/** The member tags the daily top-members job keeps: segments, lists and the counter read them. */
export const TOP_MEMBER_TAGS = { brand: '全品牌前20%', store: '本店前20%' } as const;
/** The head of the curve: this share of members with 12-month spend. */
export const TOP_MEMBER_SHARE = 0.2;

/** Whether a member's tags flag them as a top member, brand-wide and in their home store. */
export function topMemberFlags(tags: readonly string[] | null | undefined): { brand: boolean; store: boolean } {
  return { brand: tags?.includes(TOP_MEMBER_TAGS.brand) ?? false, store: tags?.includes(TOP_MEMBER_TAGS.store) ?? false };
}
