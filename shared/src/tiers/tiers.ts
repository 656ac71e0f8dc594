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

function lowestFirst(tiers: readonly TierDefinition[]): TierDefinition[] {
  if (tiers.length === 0) throw new Error('a tier ladder needs at least one tier');
  return [...tiers].sort((a, b) => a.minSpendFen - b.minSpendFen);
}

function rankOf(ladder: readonly TierDefinition[], code: string, spendFen: number): number {
  const rank = ladder.findIndex((tier) => tier.code === code);
  return rank >= 0 ? rank : ladder.indexOf(tierForSpend(ladder, spendFen));
}
