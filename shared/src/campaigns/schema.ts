import { z } from 'zod';
import { IdSchema, IsoDateTimeSchema, MAX_FEN, humanText, pageOf } from '../common';
import { MemberSchema } from '../members/schema';
import { TierCodeSchema } from '../tiers/schema';
import { CategoryCodeSchema } from '../categories/schema';
import { MAX_HOLDOUT_SHARE } from './holdout';

const daysSchema = z.number().int().min(1).max(3650);

/**
 * A campaign audience. Every key is optional and keys combine with AND; a list matches any of its values.
 * Dates: joinedAfter is inclusive, joinedBefore exclusive.
 */
export const SegmentSchema = z
  .strictObject({
    tiers: z.array(TierCodeSchema).min(1).max(10).optional(),
    homeStoreIds: z.array(IdSchema).min(1).max(1000).optional(),
    joinedAfter: IsoDateTimeSchema.optional(),
    joinedBefore: IsoDateTimeSchema.optional(),
    birthdayMonth: z.number().int().min(1).max(12).optional(),
    minPointsBalance: z.number().int().min(0).optional(),
    minSpendFen12m: z.number().int().min(0).optional(),
    purchasedWithinDays: daysSchema.optional(),
    notPurchasedWithinDays: daysSchema.optional().describe('Includes members who never purchased.'),
    profileComplete: z.boolean().optional(),
    tags: z.array(humanText({ max: 32 })).min(1).max(50).optional(),
    boughtCategory: z
      .strictObject({ category: CategoryCodeSchema, withinDays: daysSchema })
      .optional()
      .describe('Bought something of this category within the last N days.'),
    categorySpend: z
      .strictObject({ category: CategoryCodeSchema, minFen: z.number().int().min(1).max(MAX_FEN) })
      .optional()
      .describe('Spent at least minFen on this category (line amounts) in the last 12 months.'),
  })
  .superRefine((segment, ctx) => {
    if (segment.joinedAfter && segment.joinedBefore && Date.parse(segment.joinedAfter) >= Date.parse(segment.joinedBefore)) {
      ctx.addIssue({ code: 'custom', path: ['joinedBefore'], message: 'must be after joinedAfter' });
    }
    if (
      segment.purchasedWithinDays !== undefined &&
      segment.notPurchasedWithinDays !== undefined &&
      segment.notPurchasedWithinDays >= segment.purchasedWithinDays
    ) {
      ctx.addIssue({ code: 'custom', path: ['notPurchasedWithinDays'], message: 'must be shorter than purchasedWithinDays, or no one matches' });
    }
  })
  .meta({ id: 'Segment', description: 'Which members a campaign targets.' });
export type Segment = z.infer<typeof SegmentSchema>;

/** The subscribe-message copy: one text for everyone, optionally replaced per home store. */
export const CampaignMessageSchema = z
  .strictObject({
    default: humanText({ max: 20 }),
    byHomeStoreId: z.record(IdSchema, humanText({ max: 20 })).optional(),
  })
  .meta({ id: 'CampaignMessage', description: 'Subscribe-message text (WeChat `thing` values hold at most 20 characters).' });
export type CampaignMessage = z.infer<typeof CampaignMessageSchema>;

const holdoutShareSchema = z.number().min(0).max(MAX_HOLDOUT_SHARE);

export const CampaignCreateBodySchema = z
  .strictObject({
    name: humanText({ max: 60 }),
    templateId: IdSchema,
    segment: SegmentSchema.optional().describe('The audience; or give savedSegmentId to copy a saved segment.'),
    savedSegmentId: IdSchema.optional().describe('A saved segment to copy into the campaign (its id and name are recorded as the source).'),
    message: CampaignMessageSchema.optional(),
    holdoutShare: holdoutShareSchema
      .optional()
      .describe('Share of the audience held out at random (gets no coupon and no message), 0–0.5; omitted = 0. The console proposes 0.1.'),
    launchAt: IsoDateTimeSchema.optional().describe('Schedule the launch for this time (in the future); omitted = a draft launched by hand.'),
  })
  .superRefine((body, ctx) => {
    if ((body.segment === undefined) === (body.savedSegmentId === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['segment'], message: 'give either segment or savedSegmentId' });
    }
  })
  .meta({ id: 'CampaignCreateBody' });
export type CampaignCreateBody = z.infer<typeof CampaignCreateBodySchema>;

export const CampaignScheduleBodySchema = z
  .strictObject({ launchAt: IsoDateTimeSchema.describe('When the scheduler launches it (in the future).') })
  .meta({ id: 'CampaignScheduleBody' });
export type CampaignScheduleBody = z.infer<typeof CampaignScheduleBodySchema>;

export const CampaignStatusSchema = z.enum(['draft', 'scheduled', 'running', 'paused', 'completed', 'failed']).meta({ id: 'CampaignStatus' });
export type CampaignStatus = z.infer<typeof CampaignStatusSchema>;

const countSchema = z.number().int().min(0);

/** One row of a campaign's split: by redeeming store (key = storeId) or by tier at push time (key = tier code). */
export const CampaignBreakdownRowSchema = z
  .object({ key: z.string(), issued: countSchema, redeemed: countSchema, orderAmountFen: countSchema })
  .meta({ id: 'CampaignBreakdownRow' });
export type CampaignBreakdownRow = z.infer<typeof CampaignBreakdownRowSchema>;

export const CampaignSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    templateId: IdSchema,
    segment: SegmentSchema,
    message: CampaignMessageSchema.optional(),
    status: CampaignStatusSchema,
    progress: z.object({
      targeted: countSchema.describe('The audience at launch, holdout included.'),
      holdout: countSchema.describe('Members held out so far (no coupon, no message).'),
      issued: countSchema,
      notified: countSchema,
      failed: countSchema,
    }),
    holdoutShare: holdoutShareSchema,
    source: z.object({ savedSegmentId: IdSchema, name: z.string() }).optional().describe('The saved segment the audience was copied from.'),
    launchAt: IsoDateTimeSchema.optional().describe('While scheduled: when the scheduler launches it.'),
    stats: z.object({
      redeemed: countSchema,
      redemptionRate: z.number().min(0).max(1).describe('redeemed / issued; 0 while nothing is issued.'),
      orderAmountFen: countSchema.optional().describe('Total order amount of the orders that redeemed a coupon of this campaign.'),
      byStore: z.array(CampaignBreakdownRowSchema).optional().describe('By redeeming store; `issued` is by home store.'),
      byTier: z.array(CampaignBreakdownRowSchema).optional().describe('By the member’s tier when the coupon was pushed.'),
    }),
    failureReason: z.string().optional().describe('Why a push stopped as failed, e.g. TEMPLATE_EXHAUSTED.'),
    createdAt: IsoDateTimeSchema,
    launchedAt: IsoDateTimeSchema.optional(),
    completedAt: IsoDateTimeSchema.optional(),
  })
  .meta({ id: 'Campaign', description: 'An HQ coupon push with its progress and results.' });
export type Campaign = z.infer<typeof CampaignSchema>;

export const CampaignPageSchema = pageOf(CampaignSchema).meta({ id: 'CampaignPage' });

export const CampaignPreviewBodySchema = z.strictObject({ segment: SegmentSchema }).meta({ id: 'CampaignPreviewBody' });
export type CampaignPreviewBody = z.infer<typeof CampaignPreviewBodySchema>;

export const CampaignPreviewAnswerSchema = z
  .object({ count: countSchema, sample: z.array(MemberSchema).max(20) })
  .meta({ id: 'CampaignPreviewAnswer', description: 'The exact audience size and a few of its members.' });
export type CampaignPreviewAnswer = z.infer<typeof CampaignPreviewAnswerSchema>;

export const SubscriptionsBodySchema = z
  .strictObject({ accepted: z.array(z.string().min(1).max(128)).max(10).describe('Template ids wx.requestSubscribeMessage reported as accept.') })
  .meta({ id: 'SubscriptionsBody' });
export type SubscriptionsBody = z.infer<typeof SubscriptionsBodySchema>;
