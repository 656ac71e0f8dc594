import { chinaCalendarDate, DAY_MS, endOfChinaMonth } from '../common/china-time';
import type { TierDefinition, TierProgress } from './schema';

/** The programme's tiers until HQ edits them: thresholds are qualifying spend over the trailing 12 months. */
export const DEFAULT_TIERS: readonly TierDefinition[] = [
  { code: 'silver', name: '银卡', minSpendFen: 0, pointsMultiplier: 1, benefits: ['消费每 1 元积 1 分', '生日月专享优惠券'] },
  {
    code: 'gold',
    name: '金卡',
    minSpendFen: 200_000,
    pointsMultiplier: 1.5,
    benefits: ['消费积分 1.5 倍', '生日月专享优惠券', '会员专属活动优先报名'],
  },
  {
    code: 'platinum',
    name: '铂金卡',
    minSpendFen: 1_000_000,
    pointsMultiplier: 2,
    benefits: ['消费积分 2 倍', '生日月专享礼品', '会员专属活动优先报名', '专属客服'],
  },
];

/** The highest tier whose threshold the spend reaches. */
export function tierForSpend(tiers: readonly TierDefinition[], spendFen: number): TierDefinition {
  const ladder = lowestFirst(tiers);
  return ladder.filter((tier) => tier.minSpendFen <= spendFen).at(-1) ?? ladder[0]!;
}

/**
 * Progress from the current tier to the one directly above it: the spend still needed, and the percentage
 * of that tier's threshold already reached (rounded down). At the top tier: next null, 0 to go, 100 %.
 */
export function tierProgress(tiers: readonly TierDefinition[], currentTier: string, spendFen: number): TierProgress {
  const ladder = lowestFirst(tiers);
  const rank = rankOf(ladder, currentTier, spendFen);
  const next = ladder[rank + 1];
  if (!next) return { next: null, spendToNextFen: 0, percent: 100 };
  const reached = Math.min(Math.max(spendFen, 0), next.minSpendFen);
  return {
    next: { code: next.code, name: next.name },
    spendToNextFen: next.minSpendFen - reached,
    percent: Math.floor((reached * 100) / next.minSpendFen),
  };
}

/**
 * The tier after the yearly review: the tier the spend earns if that is not lower than the current one,
 * otherwise one tier down (never more than one at a review).
 */
export function reviewTier(tiers: readonly TierDefinition[], currentTier: string, spendFen: number): TierDefinition {
  const ladder = lowestFirst(tiers);
  const earned = tierForSpend(ladder, spendFen);
  const currentRank = ladder.findIndex((tier) => tier.code === currentTier);
  if (currentRank < 0) return earned; // a tier HQ has since removed: the spend decides
  const earnedRank = ladder.indexOf(earned);
  return earnedRank >= currentRank ? earned : ladder[currentRank - 1]!;
}

/**
 * The tier right after a purchase brought the qualifying spend to `spendFen`: the tier that spend earns when
 * it is above the current one, else the current tier (purchases only ever upgrade; downgrades wait for the
 * yearly review).
 */
export function tierAfterPurchase(tiers: readonly TierDefinition[], currentTier: string, spendFen: number): TierDefinition {
  const ladder = lowestFirst(tiers);
  const earned = tierForSpend(ladder, spendFen);
  const current = ladder.find((tier) => tier.code === currentTier);
  if (!current) return earned;
  return ladder.indexOf(earned) > ladder.indexOf(current) ? earned : current;
}

/**
 * The start of the trailing 12-month window that qualifying spend is counted over: the same moment twelve
 * calendar months earlier, on China's calendar (a purchase at 20:00 on 15 March 2025 counts until 20:00 on
 * 15 March 2026). A day the earlier month lacks is clamped: 29 February 2028 looks back to 28 February 2027.
 */
export function spendWindowStart(now: Date): Date {
  const { year, month, day } = chinaCalendarDate(now);
  const daysInMonth = new Date(Date.UTC(year - 1, month, 0)).getUTCDate();
  const startOfToday = endOfChinaMonth(year, month - 1).getTime() + 1 + (day - 1) * DAY_MS;
  const timeOfDay = now.getTime() - startOfToday;
  const startOfThatDay = endOfChinaMonth(year - 1, month - 1).getTime() + 1 + (Math.min(day, daysInMonth) - 1) * DAY_MS;
  return new Date(startOfThatDay + timeOfDay);
}

/** The yearly tier review runs once per calendar year in China: the year an instant belongs to. */
export function tierReviewYear(now: Date): number {
  return chinaCalendarDate(now).year;
}

function lowestFirst(tiers: readonly TierDefinition[]): TierDefinition[] {
  if (tiers.length === 0) throw new Error('a tier ladder needs at least one tier');
  return [...tiers].sort((a, b) => a.minSpendFen - b.minSpendFen);
}

function rankOf(ladder: readonly TierDefinition[], code: string, spendFen: number): number {
  const rank = ladder.findIndex((tier) => tier.code === code);
  return rank >= 0 ? rank : ladder.indexOf(tierForSpend(ladder, spendFen));
}
