import { EarnCampaignSchema, EarnRulesSchema, PointsAdjustmentBodySchema, PurchaseBodySchema, type EarnCampaign } from './schema';
import { lotExpiry, planExpiry, planSpend, pointsExpiringSoon, type PointsLot } from './lots';
import { activeCampaignMultiplier, earnPoints } from './earning';

const lot = (id: string, remaining: number, expiresAt: string): PointsLot => ({ id, remaining, expiresAt: new Date(expiresAt) });

describe('lotExpiry', () => {
  it('given points earned mid-March 2024, then they expire at the end of March 2025, China time', () => {
    expect(lotExpiry(new Date('2024-03-15T04:00:00Z')).toISOString()).toBe('2025-03-31T15:59:59.999Z');
  });

  it('given points earned at 01:00 on 1 April in China (still 31 March in UTC), then the April lot rule applies', () => {
    expect(lotExpiry(new Date('2024-03-31T17:00:00Z')).toISOString()).toBe('2025-04-30T15:59:59.999Z');
  });

  it('given points earned in February 2023, then they expire on 29 February 2024 (leap year)', () => {
    expect(lotExpiry(new Date('2023-02-10T00:00:00Z')).toISOString()).toBe('2024-02-29T15:59:59.999Z');
  });

  it('given points earned in December, then they expire at the end of December next year', () => {
    expect(lotExpiry(new Date('2024-12-31T15:59:59.999Z')).toISOString()).toBe('2025-12-31T15:59:59.999Z');
  });
});

describe('planSpend', () => {
  const lots = [lot('late', 100, '2026-01-31T15:59:59.999Z'), lot('soon', 50, '2025-06-30T15:59:59.999Z'), lot('empty', 0, '2025-01-31T15:59:59.999Z')];

  it('given lots, when spending less than the soonest lot, then only that lot is drawn', () => {
    expect(planSpend(lots, 30)).toEqual({ ok: true, draws: [{ lotId: 'soon', amount: 30 }] });
  });

  it('given lots, when spending across lots, then the soonest-expiring lot is used up first', () => {
    expect(planSpend(lots, 120)).toEqual({ ok: true, draws: [{ lotId: 'soon', amount: 50 }, { lotId: 'late', amount: 70 }] });
  });

  it('given lots, when spending exactly the balance, then every lot is emptied', () => {
    expect(planSpend(lots, 150)).toEqual({ ok: true, draws: [{ lotId: 'soon', amount: 50 }, { lotId: 'late', amount: 100 }] });
  });

  it('given lots, when spending more than the balance, then it is refused with the shortfall', () => {
    expect(planSpend(lots, 151)).toEqual({ ok: false, reason: 'INSUFFICIENT_POINTS', available: 150, shortfall: 1 });
  });

  it('given no lots, when spending, then it is refused', () => {
    expect(planSpend([], 1)).toEqual({ ok: false, reason: 'INSUFFICIENT_POINTS', available: 0, shortfall: 1 });
  });

  it('given a zero or fractional amount, then it throws', () => {
    expect(() => planSpend(lots, 0)).toThrow();
    expect(() => planSpend(lots, 1.5)).toThrow();
  });
});

describe('planExpiry', () => {
  const lots = [lot('due', 40, '2025-03-31T15:59:59.999Z'), lot('later', 60, '2025-04-30T15:59:59.999Z'), lot('spent', 0, '2025-01-31T15:59:59.999Z')];

  it('given a lot whose expiry has passed, then what is left of it expires', () => {
    expect(planExpiry(lots, new Date('2025-04-01T00:00:00Z'))).toEqual({ draws: [{ lotId: 'due', amount: 40 }], total: 40 });
  });

  it('given the last millisecond before expiry, then nothing expires yet', () => {
    expect(planExpiry(lots, new Date('2025-03-31T15:59:59.998Z'))).toEqual({ draws: [], total: 0 });
  });
});

describe('pointsExpiringSoon', () => {
  const lots = [lot('a', 40, '2025-03-31T15:59:59.999Z'), lot('b', 10, '2025-03-31T15:59:59.999Z'), lot('c', 60, '2025-04-30T15:59:59.999Z')];

  it('given lots expiring within 30 days, then the amount due at the soonest instant is reported', () => {
    expect(pointsExpiringSoon(lots, new Date('2025-03-10T00:00:00Z'))).toEqual({ amount: 50, at: new Date('2025-03-31T15:59:59.999Z') });
  });

  it('given nothing expires within 30 days, then it is null', () => {
    expect(pointsExpiringSoon(lots, new Date('2025-02-01T00:00:00Z'))).toBeNull();
  });

  it('given a wider window, then earlier lots still come first', () => {
    expect(pointsExpiringSoon(lots, new Date('2025-02-01T00:00:00Z'), 90)).toEqual({ amount: 50, at: new Date('2025-03-31T15:59:59.999Z') });
  });
});

describe('earnPoints', () => {
  it('given ¥123.45 at the defaults, then 123 points (fen below a yuan earn nothing)', () => {
    expect(earnPoints({ amountFen: 12_345, baseRate: 1, tierMultiplier: 1, campaignMultiplier: 1 })).toBe(123);
  });

  it('given a gold member on member day, then 101 yuan × 1.5 × 2 = 303', () => {
    expect(earnPoints({ amountFen: 10_100, baseRate: 1, tierMultiplier: 1.5, campaignMultiplier: 2 })).toBe(303);
  });

  it('given factors that float arithmetic gets wrong, then the result is exact (100 × 1.15 = 115, not 114)', () => {
    expect(100 * 1.15).toBeLessThan(115); // the trap
    expect(earnPoints({ amountFen: 10_000, baseRate: 1, tierMultiplier: 1.15, campaignMultiplier: 1 })).toBe(115);
    expect(earnPoints({ amountFen: 1_000, baseRate: 1.1, tierMultiplier: 1.1, campaignMultiplier: 1.1 })).toBe(13); // 13.31
  });

  it('given a product that rounds down, then it is rounded once at the end (33 × 1.5 × 1.5 = 74.25 → 74)', () => {
    expect(earnPoints({ amountFen: 3_300, baseRate: 1, tierMultiplier: 1.5, campaignMultiplier: 1.5 })).toBe(74);
  });

  it('given the largest amount and factors, then it stays exact', () => {
    expect(earnPoints({ amountFen: 100_000_000, baseRate: 100, tierMultiplier: 100, campaignMultiplier: 100 })).toBe(1_000_000 * 1_000_000);
  });

  it('given a factor with three decimals, then it throws', () => {
    expect(() => earnPoints({ amountFen: 100, baseRate: 1.005, tierMultiplier: 1, campaignMultiplier: 1 })).toThrow();
  });
});

describe('activeCampaignMultiplier', () => {
  const memberDay: EarnCampaign = { id: 'md', name: '会员日', multiplier: 2, weekdays: [3], enabled: true };
  const springSale: EarnCampaign = {
    id: 'spring',
    name: '春季', multiplier: 3,
    startsAt: '2025-03-01T00:00:00+08:00',
    endsAt: '2025-03-08T00:00:00+08:00',
    storeIds: ['SH01'],
    enabled: true,
  };
  const goldOnly: EarnCampaign = { id: 'gold', name: '金卡周', multiplier: 1.5, weekdays: [1, 2, 3, 4, 5, 6, 7], tiers: ['gold'], enabled: true };
  const wednesdayInChina = new Date('2025-03-04T17:00:00Z'); // Wednesday 01:00 in China, Tuesday in UTC

  it('given no campaigns, then the multiplier is 1', () => {
    expect(activeCampaignMultiplier({ campaigns: [] }, { now: wednesdayInChina, storeId: 'SH01', tier: 'silver' })).toBe(1);
  });

  it('given a Wednesday member day, then it applies on Wednesday in China time', () => {
    expect(activeCampaignMultiplier({ campaigns: [memberDay] }, { now: wednesdayInChina, storeId: 'BJ01', tier: 'silver' })).toBe(2);
    expect(activeCampaignMultiplier({ campaigns: [memberDay] }, { now: new Date('2025-03-04T15:00:00Z'), storeId: 'BJ01', tier: 'silver' })).toBe(1);
  });

  it('given several applicable campaigns, then the highest wins and they do not stack', () => {
    expect(activeCampaignMultiplier({ campaigns: [memberDay, springSale, goldOnly] }, { now: wednesdayInChina, storeId: 'SH01', tier: 'gold' })).toBe(3);
  });

  it('given a store-restricted campaign, then other stores do not get it', () => {
    expect(activeCampaignMultiplier({ campaigns: [springSale] }, { now: wednesdayInChina, storeId: 'BJ01', tier: 'gold' })).toBe(1);
  });

  it('given a tier-restricted campaign, then other tiers do not get it', () => {
    expect(activeCampaignMultiplier({ campaigns: [goldOnly] }, { now: wednesdayInChina, storeId: 'SH01', tier: 'silver' })).toBe(1);
  });

  it('given a date range, then it starts inclusive and ends exclusive', () => {
    const rules = { campaigns: [springSale] };
    expect(activeCampaignMultiplier(rules, { now: new Date('2025-02-28T16:00:00Z'), storeId: 'SH01', tier: 'silver' })).toBe(3);
    expect(activeCampaignMultiplier(rules, { now: new Date('2025-03-07T16:00:00Z'), storeId: 'SH01', tier: 'silver' })).toBe(1);
  });

  it('given a disabled campaign, then it never applies', () => {
    expect(activeCampaignMultiplier({ campaigns: [{ ...memberDay, enabled: false }] }, { now: wednesdayInChina, storeId: 'SH01', tier: 'silver' })).toBe(1);
  });
});

describe('points schemas', () => {
  it('given a zero or fractional adjustment, then it is refused', () => {
    expect(PointsAdjustmentBodySchema.safeParse({ delta: 0, reason: 'x' }).success).toBe(false);
    expect(PointsAdjustmentBodySchema.safeParse({ delta: 1.5, reason: 'x' }).success).toBe(false);
    expect(PointsAdjustmentBodySchema.safeParse({ delta: -20, reason: '补录' }).success).toBe(true);
  });

  it('given purchases, then negative, fractional, zero and absurd amounts are refused', () => {
    const purchase = { memberCode: 'M10000000000812345678', orderNo: 'SH01-20250301-0001' };
    expect(PurchaseBodySchema.safeParse({ ...purchase, amountFen: 9_900 }).success).toBe(true);
    for (const amountFen of [-100, 0, 99.5, 100_000_001]) {
      expect(PurchaseBodySchema.safeParse({ ...purchase, amountFen }).success).toBe(false);
    }
  });

  it('given an order number with other characters or over 64 long, then it is refused', () => {
    const purchase = { memberCode: 'M1', amountFen: 100 };
    expect(PurchaseBodySchema.safeParse({ ...purchase, orderNo: 'A/1' }).success).toBe(false);
    expect(PurchaseBodySchema.safeParse({ ...purchase, orderNo: 'a'.repeat(65) }).success).toBe(false);
    expect(PurchaseBodySchema.safeParse({ ...purchase, orderNo: '' }).success).toBe(false);
  });

  it('given purchase lines with a zero quantity, then they are refused', () => {
    const line = { sku: 'S1', name: '拿铁', category: '饮品', qty: 0, amountFen: 3_000 };
    expect(PurchaseBodySchema.safeParse({ memberCode: 'M1', orderNo: 'o1', amountFen: 3_000, lines: [line] }).success).toBe(false);
  });

  it('given campaigns, then they must be time-boxed with an ordered range and multipliers of two decimals', () => {
    const base = { id: 'c', name: 'x', multiplier: 2, enabled: true };
    expect(EarnCampaignSchema.safeParse(base).success).toBe(false);
    expect(EarnCampaignSchema.safeParse({ ...base, weekdays: [8] }).success).toBe(false);
    expect(EarnCampaignSchema.safeParse({ ...base, startsAt: '2025-03-02T00:00:00Z', endsAt: '2025-03-01T00:00:00Z' }).success).toBe(false);
    expect(EarnCampaignSchema.safeParse({ ...base, startsAt: '2025-03-01T00:00:00Z' }).success).toBe(false);
    expect(EarnCampaignSchema.safeParse({ ...base, weekdays: [3], multiplier: 1.255 }).success).toBe(false);
    expect(EarnRulesSchema.safeParse({ baseRate: 1, campaigns: [{ ...base, weekdays: [3] }] }).success).toBe(true);
  });
});
