import { z } from 'zod';
import { IdSchema, IsoDateTimeSchema } from '../common';

const countSchema = z.number().int().min(0);
const IntervalSchema = z.object({ low: z.number(), high: z.number() }).meta({ id: 'Interval', description: 'A 95% interval.' });

/** One row of a campaign's results: the whole campaign, one home store or one tier. */
export const CampaignResultRowSchema = z
  .object({
    key: z.string().nullable().describe('Home store id or tier code at push time; null = the whole campaign, or members with no home store in byStore.'),
    targeted: countSchema.describe('Members the push went through, holdout included.'),
    holdout: countSchema,
    issued: countSchema,
    redeemed: countSchema,
    redemptionRate: z.number().min(0).max(1).describe('redeemed / issued; 0 while nothing is issued.'),
    orderAmountFen: countSchema.describe('Order amount of the orders that redeemed a coupon of this campaign.'),
    couponCostFen: countSchema.describe('What the redeemed coupons gave away: a cash coupon its amount off, a discount coupon what it took off the order.'),
    visitRate: z.object({
      treated: z.number().nullable(),
      holdout: z.number().nullable(),
      diff: z.number().nullable().describe('treated − holdout, as a share (0.032 = 3.2 percentage points).'),
      interval: IntervalSchema.nullable().describe('Newcombe hybrid score interval; null when a group is too small.'),
    }),
    spendPerMember: z.object({
      treatedFen: z.number().nullable(),
      holdoutFen: z.number().nullable(),
      diffFen: z.number().nullable(),
      interval: IntervalSchema.nullable().describe('Welch interval; null when a group is too small.'),
    }),
    tooSmall: z.boolean().describe('A group has fewer members than minGroupForInterval: no interval.'),
  })
  .meta({ id: 'CampaignResultRow' });
export type CampaignResultRow = z.infer<typeof CampaignResultRowSchema>;

export const CampaignResultsSchema = z
  .object({
    campaignId: IdSchema,
    window: z.object({
      from: IsoDateTimeSchema.describe('The launch.'),
      until: IsoDateTimeSchema.describe('The coupon’s expiry, or now while it is still valid.'),
      open: z.boolean().describe('The window is still running (the coupon has not expired yet).'),
    }).nullable().describe('null before the launch.'),
    recorded: z.boolean().describe('Whether the push recorded each member’s group (campaigns launched before holdouts were recorded have no lift).'),
    minGroupForInterval: countSchema,
    total: CampaignResultRowSchema,
    byStore: z.array(CampaignResultRowSchema).describe('By the member’s home store at push time.'),
    byTier: z.array(CampaignResultRowSchema).describe('By the member’s tier at push time.'),
  })
  .meta({ id: 'CampaignResults', description: 'A campaign’s results against its holdout, overall, by home store and by tier.' });
export type CampaignResults = z.infer<typeof CampaignResultsSchema>;
