import { compileSegment } from '../campaigns/segment';
import { SegmentSchema } from '../campaigns/schema';
import { DEFAULT_CATEGORIES } from './defaults';
import { CategoryCodeSchema, CategoryCreateBodySchema, CategoryPatchBodySchema, LIFE_SITUATIONS } from './schema';

const now = new Date('2026-03-15T00:00:00Z');
const daysBefore = (days: number) => new Date(now.getTime() - days * 24 * 60 * 60 * 1000);

describe('default categories', () => {
  it('given the default retail set, then it has 20–50 categories with unique valid codes, both names and a known life situation', () => {
    expect(DEFAULT_CATEGORIES.length).toBeGreaterThanOrEqual(20);
    expect(DEFAULT_CATEGORIES.length).toBeLessThanOrEqual(50);
    expect(new Set(DEFAULT_CATEGORIES.map((c) => c.code)).size).toBe(DEFAULT_CATEGORIES.length);
    for (const category of DEFAULT_CATEGORIES) {
      expect(CategoryCreateBodySchema.parse(category)).toEqual(category);
      expect(Object.keys(LIFE_SITUATIONS)).toContain(category.situation);
    }
  });

  it('given seed 002’s examples, then formula and nappies point to young parents and fresh produce to healthy living', () => {
    const situation = (code: string) => DEFAULT_CATEGORIES.find((c) => c.code === code)?.situation;
    expect([situation('INFANT_FORMULA'), situation('DIAPERS')]).toEqual(['young_family', 'young_family']);
    expect([situation('FRUIT'), situation('VEGETABLES')]).toEqual(['healthy_living', 'healthy_living']);
  });
});

describe('category input', () => {
  it.each(['dairy', 'D', '1DAIRY', 'DAI RY', '乳品', 'A'.repeat(33), '$gt'])('given the code %p, then it is refused', (code) => {
    expect(CategoryCodeSchema.safeParse(code).success).toBe(false);
  });

  it('given an empty patch, then it is refused; a rename alone parses', () => {
    expect(CategoryPatchBodySchema.safeParse({}).success).toBe(false);
    expect(CategoryPatchBodySchema.parse({ name: '奶制品' })).toEqual({ name: '奶制品' });
  });
});

describe('category segment conditions', () => {
  it('given "bought DIAPERS in the last 30 days", then one element of categoryStats must match both code and date (the code also on its own, for the index prefix)', () => {
    expect(compileSegment({ boughtCategory: { category: 'DIAPERS', withinDays: 30 } }, now)).toEqual({
      status: 'active',
      'categoryStats.category': 'DIAPERS',
      categoryStats: { $elemMatch: { category: 'DIAPERS', lastAt: { $gte: daysBefore(30) } } },
    });
  });

  it('given "spent ≥ ¥500 on WINE", then the element’s 12-month spend is the bound', () => {
    expect(compileSegment({ categorySpend: { category: 'WINE', minFen: 50_000 } }, now)).toEqual({
      status: 'active',
      'categoryStats.category': 'WINE',
      categoryStats: { $elemMatch: { category: 'WINE', spend12mFen: { $gte: 50_000 } } },
    });
  });

  it('given both conditions on one category, then they hold on the same element', () => {
    expect(compileSegment({ boughtCategory: { category: 'FRUIT', withinDays: 7 }, categorySpend: { category: 'FRUIT', minFen: 10_000 } }, now)).toEqual({
      status: 'active',
      'categoryStats.category': 'FRUIT',
      categoryStats: { $elemMatch: { category: 'FRUIT', lastAt: { $gte: daysBefore(7) }, spend12mFen: { $gte: 10_000 } } },
    });
  });

  it('given the conditions on two categories, then each needs its own element (ANDed), beside the other keys', () => {
    expect(compileSegment({ tiers: ['gold'], boughtCategory: { category: 'DIAPERS', withinDays: 30 }, categorySpend: { category: 'WINE', minFen: 50_000 } }, now)).toEqual({
      status: 'active',
      tier: { $in: ['gold'] },
      'categoryStats.category': 'DIAPERS',
      $and: [
        { categoryStats: { $elemMatch: { category: 'DIAPERS', lastAt: { $gte: daysBefore(30) } } } },
        { categoryStats: { $elemMatch: { category: 'WINE', spend12mFen: { $gte: 50_000 } } } },
      ],
    });
  });

  it.each<[string, unknown]>([
    ['a lowercase category', { boughtCategory: { category: 'wine', withinDays: 30 } }],
    ['no days', { boughtCategory: { category: 'WINE' } }],
    ['0 days', { boughtCategory: { category: 'WINE', withinDays: 0 } }],
    ['a zero spend', { categorySpend: { category: 'WINE', minFen: 0 } }],
    ['a fractional spend', { categorySpend: { category: 'WINE', minFen: 1.5 } }],
    ['an operator for the category', { categorySpend: { category: { $ne: null }, minFen: 100 } }],
    ['an extra key', { categorySpend: { category: 'WINE', minFen: 100, $where: '1' } }],
  ])('given %s, then the segment is refused', (_case, segment) => {
    expect(SegmentSchema.safeParse(segment).success).toBe(false);
  });
});
