import { CampaignCreateBodySchema, SegmentSchema } from './schema';
import { compileSegment } from './segment';

const now = new Date('2025-03-15T00:00:00Z');
const daysBefore = (days: number) => new Date(now.getTime() - days * 24 * 60 * 60 * 1000);

describe('compileSegment', () => {
  it('given an empty segment, then only active members match', () => {
    expect(compileSegment({}, now)).toEqual({ status: 'active' });
  });

  it.each<[string, Parameters<typeof compileSegment>[0], Record<string, unknown>]>([
    ['tiers', { tiers: ['gold', 'platinum'] }, { tier: { $in: ['gold', 'platinum'] } }],
    ['homeStoreIds', { homeStoreIds: ['SH01'] }, { homeStoreId: { $in: ['SH01'] } }],
    ['tags', { tags: ['coffee', 'vip'] }, { tags: { $in: ['coffee', 'vip'] } }],
    ['birthdayMonth', { birthdayMonth: 3 }, { birthdayMonth: 3 }],
    ['profileComplete false', { profileComplete: false }, { profileComplete: false }],
    ['minPointsBalance', { minPointsBalance: 500 }, { pointsBalance: { $gte: 500 } }],
    ['minSpendFen12m', { minSpendFen12m: 200_000 }, { spend12mFen: { $gte: 200_000 } }],
    ['joinedAfter', { joinedAfter: '2025-01-01T00:00:00+08:00' }, { joinedAt: { $gte: new Date('2024-12-31T16:00:00Z') } }],
    ['joinedBefore', { joinedBefore: '2025-02-01T00:00:00Z' }, { joinedAt: { $lt: new Date('2025-02-01T00:00:00Z') } }],
    ['purchasedWithinDays', { purchasedWithinDays: 30 }, { lastPurchaseAt: { $gte: daysBefore(30) } }],
    ['notPurchasedWithinDays', { notPurchasedWithinDays: 90 }, { lastPurchaseAt: { $not: { $gte: daysBefore(90) } } }],
  ])('given %s, then the filter adds exactly that condition on top of active status', (_key, segment, condition) => {
    expect(compileSegment(segment, now)).toEqual({ status: 'active', ...condition });
  });

  it('given a join window, then both bounds land on joinedAt', () => {
    expect(compileSegment({ joinedAfter: '2025-01-01T00:00:00Z', joinedBefore: '2025-02-01T00:00:00Z' }, now)).toEqual({
      status: 'active',
      joinedAt: { $gte: new Date('2025-01-01T00:00:00Z'), $lt: new Date('2025-02-01T00:00:00Z') },
    });
  });

  it('given "bought within 90 days but not within 30", then lastPurchaseAt is one range', () => {
    expect(compileSegment({ purchasedWithinDays: 90, notPurchasedWithinDays: 30 }, now)).toEqual({
      status: 'active',
      lastPurchaseAt: { $gte: daysBefore(90), $lt: daysBefore(30) },
    });
  });

  it('given gold members of SH01 born in March who were lapsing, then every condition is ANDed in one filter', () => {
    const filter = compileSegment({ tiers: ['gold'], homeStoreIds: ['SH01'], birthdayMonth: 3, notPurchasedWithinDays: 60, minPointsBalance: 1 }, now);
    expect(filter).toEqual({
      status: 'active',
      tier: { $in: ['gold'] },
      homeStoreId: { $in: ['SH01'] },
      birthdayMonth: 3,
      pointsBalance: { $gte: 1 },
      lastPurchaseAt: { $not: { $gte: daysBefore(60) } },
    });
  });

  it('given a segment, then the filter does not share arrays with it (callers may mutate either)', () => {
    const segment = { tiers: ['gold'] };
    const filter = compileSegment(segment, now) as { tier: { $in: string[] } };
    filter.tier.$in.push('silver');
    expect(segment.tiers).toEqual(['gold']);
  });
});

describe('segment schema', () => {
  it.each<[string, unknown]>([
    ['an unknown key', { vip: true }],
    ['a wrong type', { tiers: 'gold' }],
    ['birthdayMonth 13', { birthdayMonth: 13 }],
    ['an empty tier list', { tiers: [] }],
    ['a negative balance', { minPointsBalance: -1 }],
    ['joinedBefore before joinedAfter', { joinedAfter: '2025-02-01T00:00:00Z', joinedBefore: '2025-01-01T00:00:00Z' }],
    ['an impossible purchase window', { purchasedWithinDays: 30, notPurchasedWithinDays: 30 }],
    ['an operator smuggled in', { tiers: { $ne: null } }],
  ])('given %s, then the segment is refused', (_case, segment) => {
    expect(SegmentSchema.safeParse(segment).success).toBe(false);
  });

  it('given a campaign with a segment and per-store copy, then it parses', () => {
    const body = { name: '三月金卡回馈', templateId: 't1', segment: { tiers: ['gold'] }, message: { default: '您有一张新券', byHomeStoreId: { BJ01: '北京店新券' } } };
    expect(CampaignCreateBodySchema.parse(body)).toEqual(body);
  });

  it('given a campaign without a segment, then it is refused', () => {
    expect(CampaignCreateBodySchema.safeParse({ name: 'x', templateId: 't1' }).success).toBe(false);
  });
});
