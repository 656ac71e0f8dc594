import type { TierDefinition } from '@membercard/shared';
import { earnPoints } from '@membercard/shared';

/**
 * A one-character badge for a benefit text HQ typed, by what it is about (drawn as a coloured circle, so it
 * needs no emoji font); a star when nothing matches.
 */
export function benefitIcon(benefit: string): string {
  const rules: Array<[RegExp, string]> = [
    [/积分|倍/, '积'],
    [/生日/, '寿'],
    [/券|折|优惠|减/, '券'],
    [/停车/, '车'],
    [/配送|运费|包邮|快递/, '运'],
    [/客服|专属|顾问|优先/, '尊'],
    [/活动|沙龙|体验|品鉴/, '活'],
    [/礼|赠|送/, '礼'],
  ];
  return rules.find(([pattern]) => pattern.test(benefit))?.[1] ?? '★';
}

/**
 * What moving up changes in earning, by the shared rule (points = whole yuan × base rate × tier multiplier):
 * each ¥100 earns `next / current` times as much. The base rate is HQ's and the same at every tier, so the
 * ratio is exact without it.
 */
export function nextTierEarningText(current: Pick<TierDefinition, 'pointsMultiplier'>, next: Pick<TierDefinition, 'pointsMultiplier' | 'name'>): string {
  // Points for ¥100 at a base rate of 1: the tier's multiplier in hundredths, exactly (150 for ×1.5).
  const per100 = (tierMultiplier: number) => earnPoints({ amountFen: 10_000, baseRate: 1, tierMultiplier, campaignMultiplier: 1 });
  const now = per100(current.pointsMultiplier);
  const then = per100(next.pointsMultiplier);
  const factor = (h: number) => `×${String(h / 100)}`;
  if (then <= now) return `升级${next.name}后，每消费 ¥100 积分倍率 ${factor(then)}（与现在相同）`;
  const more = Math.round(((then - now) * 100) / now);
  return `升级${next.name}后，每消费 ¥100 积分倍率 ${factor(then)}（现在 ${factor(now)}，多得 ${more}%）`;
}

const LAST_SEEN_KEY = 'membercard.lastSeenTier';

export interface SeenTier {
  cardNo: string;
  tierCode: string;
}

/**
 * Whether to celebrate: the member's tier is higher on the ladder than the one this phone last showed them.
 * The first visit (nothing remembered, or another member's card) only remembers, it does not celebrate.
 */
export function movedUpSince(ladder: readonly Pick<TierDefinition, 'code' | 'minSpendFen'>[], lastSeen: SeenTier | null, now: SeenTier): boolean {
  if (!lastSeen || lastSeen.cardNo !== now.cardNo || lastSeen.tierCode === now.tierCode) return false;
  const ordered = [...ladder].sort((a, b) => a.minSpendFen - b.minSpendFen).map((tier) => tier.code);
  const before = ordered.indexOf(lastSeen.tierCode);
  const after = ordered.indexOf(now.tierCode);
  return before >= 0 && after > before;
}

export const lastSeenTierStorage = {
  key: LAST_SEEN_KEY,
  read(get: (key: string) => unknown): SeenTier | null {
    const value = get(LAST_SEEN_KEY) as SeenTier | '' | undefined;
    return value && typeof value === 'object' && typeof value.tierCode === 'string' ? value : null;
  },
};
