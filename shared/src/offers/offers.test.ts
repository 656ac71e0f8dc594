import { DEFAULT_SCORING, pickThresholds, reasonText, scoreCategories, selectOffers, thresholdFits, typicalBasketFen, yuanText, type PoolOffer } from './scoring';
import { OfferPoolBodySchema } from './schema';

const now = new Date('2026-12-01T04:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 24 * 3600_000);
const stat = (category: string, lastDaysAgo: number, spend12mFen: number, visits: number) => ({ category, lastAt: daysAgo(lastDaysAgo), spend12mFen, visits });
const categoryOffer = (templateId: string, ...categories: string[]): PoolOffer => ({ templateId, kind: 'category', categories, minSpendFen: null, basketFromFen: null, basketToFen: null });
const threshold = (templateId: string, minSpendFen: number, range: [number | null, number | null] = [null, null]): PoolOffer => ({
  templateId, kind: 'threshold', categories: [], minSpendFen, basketFromFen: range[0], basketToFen: range[1],
});

describe('scoreCategories', () => {
  it('given the same spend and visits, then the more recent category scores higher', () => {
    const [first, second] = scoreCategories([stat('BEER', 90, 20_000, 4), stat('DAIRY', 2, 20_000, 4)], now);
    expect(first!.category).toBe('DAIRY');
    expect(second!.category).toBe('BEER');
  });

  it('given a category bought one half-life ago, then its recency is one half and its spend decays with it', () => {
    const [score] = scoreCategories([stat('FRUIT', DEFAULT_SCORING.halfLifeDays, 10_000, 3)], now);
    expect(score!.recency).toBeCloseTo(0.5, 10);
    expect(score!.frequency).toBeCloseTo(0.5, 10); // 3 / (3 + 3)
    expect(score!.spend).toBeCloseTo(5_000 / 15_000, 10); // ¥100 × 0.5 decayed, against the ¥100 half point
    expect(score!.score).toBeCloseTo(0.4 * 0.5 + 0.3 * 0.5 + 0.3 * (1 / 3), 10);
  });

  it('given equal recency, then more visits and more spend each raise the score', () => {
    const scores = scoreCategories([stat('A_LOW', 5, 5_000, 1), stat('B_FREQ', 5, 5_000, 8), stat('C_SPEND', 5, 80_000, 1)], now);
    const by = new Map(scores.map((s) => [s.category, s.score]));
    expect(by.get('B_FREQ')!).toBeGreaterThan(by.get('A_LOW')!);
    expect(by.get('C_SPEND')!).toBeGreaterThan(by.get('A_LOW')!);
  });

  it('given a category whose spend was all returned or aged out, then it is not scored', () => {
    expect(scoreCategories([stat('GONE', 3, 0, 2), stat('KEPT', 3, 100, 1)], now).map((s) => s.category)).toEqual(['KEPT']);
  });
});

describe('typicalBasketFen', () => {
  it('given an odd or even number of purchases, then the median (rounded to the fen)', () => {
    expect(typicalBasketFen([9_000, 3_000, 100_000])).toBe(9_000);
    expect(typicalBasketFen([3_001, 9_000, 4_000, 100_000])).toBe(6_500);
    expect(typicalBasketFen([1, 2])).toBe(2); // 1.5 rounds up
  });

  it('given no purchase, then null', () => {
    expect(typicalBasketFen([])).toBeNull();
  });
});

describe('threshold sizing', () => {
  const pool = [threshold('t50', 5_000), threshold('t100', 10_000), threshold('t120', 12_000), threshold('t200', 20_000), threshold('t300', 30_000)];

  it('given a ¥86 basket, then the thresholds just above it, nearest first, none beyond 1.6 × the basket', () => {
    expect(pickThresholds(8_600, pool).map((p) => p.templateId)).toEqual(['t100', 't120']);
    expect(pickThresholds(8_600, pool, { thresholdOffers: 5, maxStretch: 1.6 }).map((p) => p.templateId)).toEqual(['t100', 't120']);
  });

  it('given a threshold equal to the basket, then it is not "above" the basket', () => {
    expect(thresholdFits(10_000, { minSpendFen: 10_000, basketFromFen: null, basketToFen: null }, 1.6)).toBe(false);
    expect(thresholdFits(9_999, { minSpendFen: 10_000, basketFromFen: null, basketToFen: null }, 1.6)).toBe(true);
  });

  it('given a basket outside the range HQ gave the offer, then the offer is passed over', () => {
    const ranged = [threshold('small', 10_000, [null, 7_000]), threshold('t120', 12_000)];
    expect(pickThresholds(8_600, ranged).map((p) => p.templateId)).toEqual(['t120']);
  });

  it('given a basket far below every threshold, then none (a ¥300 threshold does not suit a ¥30 basket)', () => {
    expect(pickThresholds(3_000, [threshold('t300', 30_000)])).toEqual([]);
  });

  it('given no purchases, then the lowest thresholds as a starter', () => {
    expect(pickThresholds(null, pool)).toEqual([
      { templateId: 't50', kind: 'threshold', reason: { kind: 'starter', minSpendFen: 5_000 } },
      { templateId: 't100', kind: 'threshold', reason: { kind: 'starter', minSpendFen: 10_000 } },
    ]);
  });
});

describe('selectOffers', () => {
  const pool: PoolOffer[] = [
    categoryOffer('formula', 'INFANT_FORMULA'),
    categoryOffer('nappies', 'DIAPERS'),
    categoryOffer('milk', 'DAIRY'),
    categoryOffer('beer', 'BEER'),
    categoryOffer('fruit-veg', 'FRUIT', 'VEGETABLES'),
    threshold('t100', 10_000),
    threshold('t140', 14_000),
    threshold('t200', 20_000),
  ];
  const parent = {
    categoryStats: [stat('INFANT_FORMULA', 3, 120_000, 9), stat('DIAPERS', 10, 60_000, 6), stat('VEGETABLES', 40, 8_000, 3)],
    basketsFen: [9_000, 8_000, 12_000, 9_500, 7_000],
    excludedTemplateIds: new Set<string>(),
  };

  it('given a young parent, then their own categories best first, each with its reason, and thresholds just above a ¥90 basket', () => {
    const selection = selectOffers(parent, pool, ['DAIRY', 'BEER'], now);
    expect(selection.coldStart).toBe(false);
    expect(selection.typicalBasketFen).toBe(9_000);
    expect(selection.picks).toEqual([
      { templateId: 'formula', kind: 'category', reason: { kind: 'buys', category: 'INFANT_FORMULA' } },
      { templateId: 'nappies', kind: 'category', reason: { kind: 'buys', category: 'DIAPERS' } },
      { templateId: 'fruit-veg', kind: 'category', reason: { kind: 'buys', category: 'VEGETABLES' } },
      { templateId: 't100', kind: 'threshold', reason: { kind: 'basket', basketFen: 9_000, minSpendFen: 10_000 } },
      { templateId: 't140', kind: 'threshold', reason: { kind: 'basket', basketFen: 9_000, minSpendFen: 14_000 } },
    ]); // ¥200 is beyond 1.6 × ¥90
  });

  it('given K = 1 and T = 0, then only the single best category offer', () => {
    const selection = selectOffers(parent, pool, [], now, { ...DEFAULT_SCORING, categoryOffers: 1, thresholdOffers: 0 });
    expect(selection.picks.map((p) => p.templateId)).toEqual(['formula']);
  });

  it('given an offer the member holds or redeemed recently, then it is skipped and the next one takes its place', () => {
    const selection = selectOffers({ ...parent, excludedTemplateIds: new Set(['formula', 't100']) }, pool, [], now);
    expect(selection.picks.map((p) => p.templateId)).toEqual(['nappies', 'fruit-veg', 't140']);
  });

  it('given a member with too few purchases, then the best sellers’ offers in their order (cold start), never their own categories', () => {
    const newcomer = { categoryStats: [stat('BEER', 1, 3_000, 1)], basketsFen: [3_000], excludedTemplateIds: new Set<string>() };
    const selection = selectOffers(newcomer, pool, ['DAIRY', 'FRUIT', 'BEER'], now, { ...DEFAULT_SCORING, categoryOffers: 2 });
    expect(selection.coldStart).toBe(true);
    expect(selection.picks.filter((p) => p.kind === 'category')).toEqual([
      { templateId: 'milk', kind: 'category', reason: { kind: 'bestseller', category: 'DAIRY' } },
      { templateId: 'fruit-veg', kind: 'category', reason: { kind: 'bestseller', category: 'FRUIT' } },
    ]);
  });

  it('given every pick, then at most K + T and never a template twice', () => {
    const many = Array.from({ length: 30 }, (_, i) => categoryOffer(`c${i}`, 'INFANT_FORMULA'));
    const selection = selectOffers(parent, [...many, ...pool], [], now);
    expect(selection.picks.length).toBeLessThanOrEqual(DEFAULT_SCORING.categoryOffers + DEFAULT_SCORING.thresholdOffers);
    expect(new Set(selection.picks.map((p) => p.templateId)).size).toBe(selection.picks.length);
  });
});

describe('reasonText', () => {
  const names = (code: string) => (code === 'INFANT_FORMULA' ? { zh: '奶粉', en: 'Infant formula' } : { zh: code, en: code });

  it('says why in Chinese first, with English under the switch, money as ¥1,731.50', () => {
    expect(reasonText({ kind: 'buys', category: 'INFANT_FORMULA' }, names)).toEqual({ zh: '你常买 奶粉', en: 'You often buy Infant formula' });
    expect(reasonText({ kind: 'basket', basketFen: 173_150, minSpendFen: 200_000 }, names).zh).toBe('你平时每次约 ¥1,731.50，多买一点就能用');
    expect(yuanText(123_456_789)).toBe('¥1,234,567.89');
  });
});

describe('OfferPoolBodySchema', () => {
  it('refuses a category offer without categories and a threshold offer with an upside-down basket range', () => {
    expect(OfferPoolBodySchema.safeParse({ templateId: 'x', kind: 'category' }).success).toBe(false);
    expect(OfferPoolBodySchema.safeParse({ templateId: 'x', kind: 'threshold', basketFromFen: 9_000, basketToFen: 5_000 }).success).toBe(false);
    expect(OfferPoolBodySchema.parse({ templateId: 'x', kind: 'category', categories: ['DAIRY'] })).toEqual({
      templateId: 'x', kind: 'category', categories: ['DAIRY'], basketFromFen: null, basketToFen: null, active: true,
    });
  });
});
