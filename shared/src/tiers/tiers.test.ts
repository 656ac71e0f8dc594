import { TierLadderSchema } from './schema';
import { DEFAULT_TIERS, reviewTier, spendWindowStart, tierAfterPurchase, tierForSpend, tierProgress, tierReviewYear } from './tiers';

describe('default tiers', () => {
  it('given the defaults, then they form a valid ladder: silver 0, gold 200000 ×1.5, platinum 1000000 ×2', () => {
    expect(TierLadderSchema.safeParse(DEFAULT_TIERS).success).toBe(true);
    expect(DEFAULT_TIERS.map((tier) => [tier.code, tier.minSpendFen, tier.pointsMultiplier])).toEqual([
      ['silver', 0, 1],
      ['gold', 200_000, 1.5],
      ['platinum', 1_000_000, 2],
    ]);
  });

  it('given ladders that do not start at 0, do not rise or repeat a code, then they are refused', () => {
    const [silver, gold] = DEFAULT_TIERS as [(typeof DEFAULT_TIERS)[0], (typeof DEFAULT_TIERS)[0]];
    expect(TierLadderSchema.safeParse([{ ...silver, minSpendFen: 1 }]).success).toBe(false);
    expect(TierLadderSchema.safeParse([silver, { ...gold, minSpendFen: 0 }]).success).toBe(false);
    expect(TierLadderSchema.safeParse([silver, { ...gold, code: 'silver' }]).success).toBe(false);
  });
});

describe('tierForSpend', () => {
  it.each([
    [0, 'silver'],
    [199_999, 'silver'],
    [200_000, 'gold'],
    [999_999, 'gold'],
    [1_000_000, 'platinum'],
    [50_000_000, 'platinum'],
  ])('given %d fen, then %s', (spendFen, code) => {
    expect(tierForSpend(DEFAULT_TIERS, spendFen).code).toBe(code);
  });

  it('given tiers in any order, then the result is the same', () => {
    expect(tierForSpend([...DEFAULT_TIERS].reverse(), 250_000).code).toBe('gold');
  });
});

describe('tierProgress', () => {
  it('given a silver member with ¥500, then gold is next, ¥1,500 to go, 25 %', () => {
    expect(tierProgress(DEFAULT_TIERS, 'silver', 50_000)).toEqual({ next: { code: 'gold', name: '金卡' }, spendToNextFen: 150_000, percent: 25 });
  });

  it('given a gold member, then platinum is next and percent counts from zero spend', () => {
    expect(tierProgress(DEFAULT_TIERS, 'gold', 333_333)).toEqual({ next: { code: 'platinum', name: '铂金卡' }, spendToNextFen: 666_667, percent: 33 });
  });

  it('given a platinum member, then there is no next tier', () => {
    expect(tierProgress(DEFAULT_TIERS, 'platinum', 10)).toEqual({ next: null, spendToNextFen: 0, percent: 100 });
  });

  it('given spend already past the next threshold, then nothing is left to spend and percent is 100', () => {
    expect(tierProgress(DEFAULT_TIERS, 'silver', 300_000)).toEqual({ next: { code: 'gold', name: '金卡' }, spendToNextFen: 0, percent: 100 });
  });
});

describe('reviewTier', () => {
  it('given a platinum member whose spend fell to nothing, then they drop one tier only, to gold', () => {
    expect(reviewTier(DEFAULT_TIERS, 'platinum', 0).code).toBe('gold');
  });

  it('given a gold member who still qualifies, then they stay gold', () => {
    expect(reviewTier(DEFAULT_TIERS, 'gold', 200_000).code).toBe('gold');
  });

  it('given a silver member whose spend earns platinum, then the review gives what the spend earns', () => {
    expect(reviewTier(DEFAULT_TIERS, 'silver', 1_000_000).code).toBe('platinum');
  });

  it('given a silver member with no spend, then they stay silver', () => {
    expect(reviewTier(DEFAULT_TIERS, 'silver', 0).code).toBe('silver');
  });

  it('given a tier code that no longer exists, then the spend decides', () => {
    expect(reviewTier(DEFAULT_TIERS, 'diamond', 250_000).code).toBe('gold');
  });
});

describe('tierAfterPurchase', () => {
  it('given a purchase that crosses the gold threshold, then the member is gold at once', () => {
    expect(tierAfterPurchase(DEFAULT_TIERS, 'silver', 200_000).code).toBe('gold');
  });
  it('given a purchase that jumps two thresholds, then the member lands on the tier the spend earns', () => {
    expect(tierAfterPurchase(DEFAULT_TIERS, 'silver', 1_200_000).code).toBe('platinum');
  });
  it('given a platinum member whose trailing spend is low, then a purchase never downgrades', () => {
    expect(tierAfterPurchase(DEFAULT_TIERS, 'platinum', 10_000).code).toBe('platinum');
  });
  it('given a tier HQ has since removed, then the spend decides', () => {
    expect(tierAfterPurchase(DEFAULT_TIERS, 'diamond', 10_000).code).toBe('silver');
  });
});

describe('spendWindowStart', () => {
  it('given 20:00 on 15 March 2026 in China, then the window opens at 20:00 on 15 March 2025 in China', () => {
    expect(spendWindowStart(new Date('2026-03-15T12:00:00Z')).toISOString()).toBe('2025-03-15T12:00:00.000Z');
  });
  it('given 01:00 on 1 March in China (still February in UTC), then the China calendar decides', () => {
    expect(spendWindowStart(new Date('2026-02-28T17:00:00Z')).toISOString()).toBe('2025-02-28T17:00:00.000Z');
  });
  it('given 29 February 2028, then it looks back to 28 February 2027 at the same time of day', () => {
    expect(spendWindowStart(new Date('2028-02-29T02:00:00Z')).toISOString()).toBe('2027-02-28T02:00:00.000Z');
  });
});

describe('tierReviewYear', () => {
  it('given 00:30 on 1 January 2027 in China (still 2026 in UTC), then it is review year 2027', () => {
    expect(tierReviewYear(new Date('2026-12-31T16:30:00Z'))).toBe(2027);
  });
});
