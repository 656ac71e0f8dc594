import { z } from 'zod';
import { IdSchema, IsoDateTimeSchema, humanText, pageOf } from '../common';
import { SegmentSchema } from './schema';

const countSchema = z.number().int().min(0);

/** A segment HQ saved under a name to reuse in campaigns. */
export const SavedSegmentSchema = z
  .object({ id: IdSchema, name: z.string(), segment: SegmentSchema, createdAt: IsoDateTimeSchema })
  .meta({ id: 'SavedSegment' });
export type SavedSegment = z.infer<typeof SavedSegmentSchema>;
export const SavedSegmentPageSchema = pageOf(SavedSegmentSchema).meta({ id: 'SavedSegmentPage' });
export const SavedSegmentBodySchema = z
  .strictObject({ name: humanText({ max: 60 }), segment: SegmentSchema })
  .meta({ id: 'SavedSegmentBody' });
export type SavedSegmentBody = z.infer<typeof SavedSegmentBodySchema>;

/** Marketing knobs HQ can change: the subscribe-message frequency cap and what one point is worth. */
export const MarketingSettingsSchema = z
  .strictObject({
    frequencyCap: z.strictObject({
      maxMessages: z.number().int().min(1).max(20).describe('Marketing messages a member may receive per window.'),
      windowDays: z.number().int().min(1).max(90),
    }),
    fenPerPoint: z.number().min(0).max(10_000).describe('What one outstanding point costs the brand, in fen (points liability).'),
  })
  .meta({ id: 'MarketingSettings' });
export type MarketingSettings = z.infer<typeof MarketingSettingsSchema>;
export const MarketingSettingsPatchSchema = z
  .strictObject({
    frequencyCap: MarketingSettingsSchema.shape.frequencyCap.optional(),
    fenPerPoint: MarketingSettingsSchema.shape.fenPerPoint.optional(),
  })
  .meta({ id: 'MarketingSettingsPatch' });
export type MarketingSettingsPatch = z.infer<typeof MarketingSettingsPatchSchema>;
export const DEFAULT_MARKETING_SETTINGS: MarketingSettings = { frequencyCap: { maxMessages: 2, windowDays: 7 }, fenPerPoint: 1 };

export const AutomationRuleKindSchema = z.enum(['welcome', 'birthday', 'points_expiry', 'win_back', 'tier_upgrade']).meta({ id: 'AutomationRuleKind' });
export type AutomationRuleKind = z.infer<typeof AutomationRuleKindSchema>;

/** Copy of an automation message; a `thing` value holds at most 20 characters. */
const messageCopySchema = humanText({ max: 20 });

export const AutomationRuleSchema = z
  .object({
    id: AutomationRuleKindSchema,
    kind: AutomationRuleKindSchema,
    name: z.string(),
    enabled: z.boolean(),
    templateId: IdSchema.nullable().describe('The coupon template it issues; null = message only.'),
    message: z.string().nullable().describe('Subscribe-message copy; null = no message.'),
    points: countSchema.describe('Points granted with each firing, exactly once per occurrence (the welcome rule: the join gift’s points); 0 = none.'),
    params: z.record(z.string(), z.number()).describe('Rule-specific numbers, e.g. {days: 90} for win-back.'),
    sentCount: countSchema.describe('Occurrences that fired (coupon issued or message sent).'),
    couponsIssued: countSchema,
    messagesSent: countSchema,
    lastRunAt: IsoDateTimeSchema.nullable(),
    recent: z
      .array(z.object({ occurrence: z.string(), memberId: IdSchema, couponIssued: z.boolean(), notified: z.boolean(), at: IsoDateTimeSchema }))
      .describe('The latest occurrences it handled, newest first.'),
  })
  .meta({ id: 'AutomationRule' });
export type AutomationRule = z.infer<typeof AutomationRuleSchema>;
export const AutomationRulePageSchema = pageOf(AutomationRuleSchema).meta({ id: 'AutomationRulePage' });

export const AutomationRulePatchSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    templateId: IdSchema.nullable().optional(),
    message: messageCopySchema.nullable().optional(),
    points: z.number().int().min(0).max(100_000).optional().describe('Points granted with each firing; 0 = none. Not for points_expiry.'),
    params: z.record(z.string().max(32), z.number().int().min(1).max(3650)).optional(),
  })
  .meta({ id: 'AutomationRulePatch' });
export type AutomationRulePatch = z.infer<typeof AutomationRulePatchSchema>;

const shareSchema = z.number().min(0).max(1);

export const DashboardQuerySchema = z.strictObject({ storeId: IdSchema.optional() }).meta({ id: 'DashboardQuery' });

export const DashboardSchema = z
  .object({
    asOf: IsoDateTimeSchema,
    storeId: z.string().nullable().describe('The home store the figures are confined to; null = all stores.'),
    members: z.object({
      total: countSchema,
      newLast30Days: countSchema,
      activeLast30Days: countSchema,
      activeLast90Days: countSchema.describe('Active members: purchased within 90 days.'),
    }),
    growth: z.array(z.object({ month: z.string(), joined: countSchema, total: countSchema })).describe('Last 12 months (China time), oldest first.'),
    pointsLiability: z.object({
      points: countSchema,
      fenPerPoint: z.number(),
      valueFen: countSchema,
      expiringIn30Days: countSchema,
    }),
    tierDistribution: z.array(z.object({ code: z.string(), name: z.string(), count: countSchema })),
    spendPareto: z
      .array(z.object({ memberShare: shareSchema, spendShare: shareSchema }))
      .describe('Members by 12-month spend, top first: cumulative member share → cumulative spend share.'),
    top20SpendShare: shareSchema.describe('Share of 12-month spend held by the top 20% of members.'),
    couponRedemption: z.object({ issued: countSchema, redeemed: countSchema, redemptionRate: shareSchema }),
    campaignRedemption: z.array(
      z.object({ campaignId: IdSchema, name: z.string(), issued: countSchema, redeemed: countSchema, redemptionRate: shareSchema }),
    ),
  })
  .meta({ id: 'Dashboard' });
export type Dashboard = z.infer<typeof DashboardSchema>;
