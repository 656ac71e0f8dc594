import { chinaCalendarDate } from '../common/china-time';
import { hundredthsOf } from './multiplier';
import type { EarnRules } from './schema';

/**
 * floor(floor(amountFen / 100) × baseRate × tierMultiplier × campaignMultiplier), rounded down once at the end.
 * Factors have at most two decimals and are computed as whole hundredths, so no floating-point error creeps in
 * (1.15 × 100 yuan is exactly 115 points, not 114).
 */
export function earnPoints(input: { amountFen: number; baseRate: number; tierMultiplier: number; campaignMultiplier: number }): number {
  const { amountFen } = input;
  if (!Number.isSafeInteger(amountFen) || amountFen < 0) throw new Error('amountFen must be a non-negative whole number');
  const [base, tier, campaign] = [input.baseRate, input.tierMultiplier, input.campaignMultiplier].map(toHundredths) as [number, number, number];
  const yuan = Math.floor(amountFen / 100);
  // yuan × base × tier stays below 2^53 for any valid input; the last factor is split so it does too.
  const scaled = yuan * base * tier;
  const divisor = 100 ** 3;
  const result = Math.floor(scaled / divisor) * campaign + Math.floor(((scaled % divisor) * campaign) / divisor);
  if (!Number.isSafeInteger(scaled) || !Number.isSafeInteger(result)) throw new Error('earning out of range');
  return result;
}

function toHundredths(factor: number): number {
  const hundredths = hundredthsOf(factor);
  if (hundredths === null || hundredths < 0 || hundredths > 10_000) throw new Error(`not a factor with at most two decimals in 0–100: ${factor}`);
  return hundredths;
}

/**
 * The campaign multiplier for a purchase: among enabled campaigns whose weekday (China time), date range,
 * store and tier all match, the highest wins (multipliers do not stack, so HQ can reason about the worst case);
 * 1 when none applies.
 */
export function activeCampaignMultiplier(rules: Pick<EarnRules, 'campaigns'>, context: { now: Date; storeId: string; tier: string }): number {
  const { now, storeId, tier } = context;
  const weekday = chinaCalendarDate(now).isoWeekday;
  return rules.campaigns
    .filter(
      (campaign) =>
        campaign.enabled &&
        (campaign.weekdays === undefined || campaign.weekdays.includes(weekday)) &&
        (campaign.startsAt === undefined || Date.parse(campaign.startsAt) <= now.getTime()) &&
        (campaign.endsAt === undefined || now.getTime() < Date.parse(campaign.endsAt)) &&
        (campaign.storeIds === undefined || campaign.storeIds.includes(storeId)) &&
        (campaign.tiers === undefined || campaign.tiers.includes(tier)),
    )
    .reduce((highest, campaign) => Math.max(highest, campaign.multiplier), 1);
}
