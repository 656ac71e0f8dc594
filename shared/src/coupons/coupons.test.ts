import { CouponTemplateInputSchema, RedemptionCodeBatchBodySchema, RedemptionBodySchema } from './schema';
import { couponApplicability, couponSavingFen, couponValidity, type CouponForRedemption } from './terms';
import {
  REDEMPTION_CODE_ALPHABET,
  formatRedemptionCode,
  isWellFormedRedemptionCode,
  makeRedemptionCode,
  normalizeRedemptionCode,
} from './redemption-codes';

describe('coupon template input', () => {
  const cash = { title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 1000, perMemberLimit: 1 };

  it('given a complete cash template, then it is valid', () => {
    expect(CouponTemplateInputSchema.safeParse(cash).success).toBe(true);
  });

  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ['cash without amountOffFen', { amountOffFen: undefined }, 'amountOffFen'],
    ['cash with percentOff', { percentOff: 10 }, 'percentOff'],
    ['discount without percentOff', { type: 'discount', amountOffFen: undefined }, 'percentOff'],
    ['discount with amountOffFen', { type: 'discount', percentOff: 10 }, 'amountOffFen'],
    ['gift without giftName', { type: 'gift', amountOffFen: undefined }, 'giftName'],
    ['percentOff of 100', { type: 'discount', amountOffFen: undefined, percentOff: 100 }, 'percentOff'],
    ['fixed and relative validity together', { validFrom: '2025-03-01T00:00:00Z', validUntil: '2025-04-01T00:00:00Z' }, 'validDays'],
    ['no validity', { validDays: undefined }, 'validDays'],
    ['validFrom after validUntil', { validDays: undefined, validFrom: '2025-04-01T00:00:00Z', validUntil: '2025-03-01T00:00:00Z' }, 'validUntil'],
    ['only validFrom', { validDays: undefined, validFrom: '2025-04-01T00:00:00Z' }, 'validUntil'],
    ['perMemberLimit above totalQuantity', { perMemberLimit: 1001 }, 'perMemberLimit'],
    ['an unknown field', { color: 'red' }, ''],
  ];
  it.each(refusals)('given %s, then it is refused at that field', (_case, change, field) => {
    const result = CouponTemplateInputSchema.safeParse({ ...cash, ...change });
    expect(result.success).toBe(false);
    if (field) expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(field);
  });

  it('given a discount with a cap and a gift with fixed validity, then both are valid', () => {
    expect(CouponTemplateInputSchema.safeParse({ ...cash, type: 'discount', amountOffFen: undefined, percentOff: 20, maxOffFen: 5_000 }).success).toBe(true);
    expect(
      CouponTemplateInputSchema.safeParse({
        ...cash,
        type: 'gift',
        amountOffFen: undefined,
        giftName: '帆布袋',
        validDays: undefined,
        validFrom: '2025-03-01T00:00:00Z',
        validUntil: '2025-04-01T00:00:00Z',
      }).success,
    ).toBe(true);
  });
});

describe('what a cash coupon may take off', () => {
  const cash = { title: '满减券', type: 'cash', validDays: 30, totalQuantity: 1000, perMemberLimit: 1 };
  const issuesOf = (body: Record<string, unknown>) => {
    const result = CouponTemplateInputSchema.safeParse({ ...cash, ...body });
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('given ¥100 off a ¥1 minimum spend, when validated, then amountOffFen is refused', () => {
    expect(issuesOf({ minSpendFen: 100, amountOffFen: 10_000 })).toEqual(['amountOffFen: must be less than minSpendFen']);
  });

  it('given an amount off equal to the minimum spend, when validated, then it is refused (the order would be free)', () => {
    expect(issuesOf({ minSpendFen: 10_000, amountOffFen: 10_000 })).toEqual(['amountOffFen: must be less than minSpendFen']);
  });

  it('given ¥99.99 off a ¥100 minimum spend, when validated, then it passes', () => {
    expect(issuesOf({ minSpendFen: 10_000, amountOffFen: 9_999 })).toEqual([]);
  });

  it.each([
    ['a minimum spend of 0', { minSpendFen: 0 }],
    ['no minimum spend', {}],
    ['no minimum spend and the confirmation false', { noMinSpendConfirmed: false }],
  ])('given %s without HQ’s confirmation, when validated, then noMinSpendConfirmed is named', (_, body) => {
    expect(issuesOf({ amountOffFen: 1_000, ...body })).toEqual([
      'noMinSpendConfirmed: a cash coupon without a minimum spend takes its amount off any order: confirm with noMinSpendConfirmed: true',
    ]);
  });

  it('given no minimum spend and HQ’s confirmation, when validated, then it passes', () => {
    expect(issuesOf({ minSpendFen: 0, amountOffFen: 1_000, noMinSpendConfirmed: true })).toEqual([]);
    expect(issuesOf({ amountOffFen: 1_000, noMinSpendConfirmed: true })).toEqual([]);
  });

  it('given a discount or a gift with no minimum spend, when validated, then no confirmation is asked (a discount never exceeds the order)', () => {
    expect(issuesOf({ type: 'discount', percentOff: 20, maxOffFen: 100_000 })).toEqual([]);
    expect(issuesOf({ type: 'gift', giftName: '帆布袋' })).toEqual([]);
  });

  it('given a title made of a zero-width space, when validated, then the title is refused', () => {
    expect(issuesOf({ minSpendFen: 10_000, amountOffFen: 2_000, title: '\u200b' })).toEqual(['title: must contain visible characters']);
  });
});

describe('other coupon bodies', () => {
  it('given a batch with both or neither of templateId and points, then it is refused', () => {
    const batch = { count: 10, expiresAt: '2026-01-01T00:00:00Z' };
    expect(RedemptionCodeBatchBodySchema.safeParse({ ...batch, points: 100 }).success).toBe(true);
    expect(RedemptionCodeBatchBodySchema.safeParse({ ...batch, templateId: 't1' }).success).toBe(true);
    expect(RedemptionCodeBatchBodySchema.safeParse({ ...batch, templateId: 't1', points: 100 }).success).toBe(false);
    expect(RedemptionCodeBatchBodySchema.safeParse(batch).success).toBe(false);
    expect(RedemptionCodeBatchBodySchema.safeParse({ ...batch, points: 100, count: 100_001 }).success).toBe(false);
  });

  it('given a redemption with a negative order amount, then it is refused', () => {
    expect(RedemptionBodySchema.safeParse({ code: 'C1', orderAmountFen: -1 }).success).toBe(false);
  });
});

describe('couponSavingFen', () => {
  const cash = { type: 'cash' as const, minSpendFen: 10_000, amountOffFen: 2_000 };

  it('given a 满100减20 coupon and a ¥150 order, then it saves ¥20', () => {
    expect(couponSavingFen(cash, 15_000)).toEqual({ savingFen: 2_000, gift: false });
  });

  it('given an order exactly at the minimum spend, then it applies; one fen below, it does not', () => {
    expect(couponSavingFen(cash, 10_000).savingFen).toBe(2_000);
    expect(couponSavingFen(cash, 9_999).savingFen).toBe(0);
  });

  it('given a cash coupon without minimum spend larger than the order, then it saves no more than the order', () => {
    expect(couponSavingFen({ type: 'cash', amountOffFen: 2_000 }, 1_500).savingFen).toBe(1_500);
  });

  it('given 15 % off ¥99.99, then it saves 1499 fen (rounded down)', () => {
    expect(couponSavingFen({ type: 'discount', percentOff: 15 }, 9_999).savingFen).toBe(1_499);
  });

  it('given a capped discount, then the saving stops at the cap', () => {
    expect(couponSavingFen({ type: 'discount', percentOff: 50, maxOffFen: 3_000 }, 10_000).savingFen).toBe(3_000);
  });

  it('given a gift coupon, then nothing is taken off but the gift is due once the minimum spend is met', () => {
    expect(couponSavingFen({ type: 'gift', minSpendFen: 5_000 }, 6_000)).toEqual({ savingFen: 0, gift: true });
    expect(couponSavingFen({ type: 'gift', minSpendFen: 5_000 }, 4_000)).toEqual({ savingFen: 0, gift: false });
  });
});

describe('couponApplicability', () => {
  const coupon: CouponForRedemption = {
    status: 'issued',
    validFrom: new Date('2025-03-01T00:00:00Z'),
    validUntil: new Date('2025-04-01T00:00:00Z'),
    minSpendFen: 10_000,
    storeIds: ['SH01'],
    tiers: ['gold'],
  };
  const context = { now: new Date('2025-03-15T00:00:00Z'), storeId: 'SH01', tier: 'gold', orderAmountFen: 12_000 };

  it('given a valid coupon at its store, tier and spend, then it may be redeemed', () => {
    expect(couponApplicability(coupon, context)).toEqual({ ok: true });
  });

  it.each<[string, Partial<CouponForRedemption>, Partial<typeof context>, string]>([
    ['already redeemed', { status: 'redeemed' }, {}, 'COUPON_ALREADY_USED'],
    ['expired by the job', { status: 'expired' }, {}, 'COUPON_EXPIRED'],
    ['revoked', { status: 'revoked' }, {}, 'COUPON_NOT_APPLICABLE'],
    ['past validUntil', {}, { now: new Date('2025-04-01T00:00:00Z') }, 'COUPON_EXPIRED'],
    ['not yet valid', {}, { now: new Date('2025-02-28T23:59:59Z') }, 'COUPON_NOT_APPLICABLE'],
    ['another store', {}, { storeId: 'BJ01' }, 'WRONG_STORE'],
    ['another tier', {}, { tier: 'silver' }, 'COUPON_NOT_APPLICABLE'],
    ['an order below the minimum', {}, { orderAmountFen: 9_999 }, 'MIN_SPEND_NOT_MET'],
    ['no order amount for a minimum spend', {}, { orderAmountFen: undefined }, 'MIN_SPEND_NOT_MET'],
  ])('given %s, then it is refused with %s', (_case, couponChange, contextChange, code) => {
    expect(couponApplicability({ ...coupon, ...couponChange }, { ...context, ...contextChange })).toEqual({ ok: false, code });
  });

  it('given empty store and tier lists, then every store and tier may redeem', () => {
    expect(couponApplicability({ ...coupon, storeIds: [], tiers: [] }, { ...context, storeId: 'BJ01', tier: 'silver' })).toEqual({ ok: true });
  });
});

describe('couponValidity', () => {
  it('given a fixed window, then it is used whatever the issue time', () => {
    const validFrom = new Date('2025-03-01T00:00:00Z');
    const validUntil = new Date('2025-04-01T00:00:00Z');
    expect(couponValidity({ validFrom, validUntil }, new Date('2025-03-10T00:00:00Z'))).toEqual({ validFrom, validUntil });
  });

  it('given validDays 7, then the coupon is valid for 7 × 24 h from issue', () => {
    const issuedAt = new Date('2025-03-10T05:30:00Z');
    expect(couponValidity({ validDays: 7 }, issuedAt)).toEqual({ validFrom: issuedAt, validUntil: new Date('2025-03-17T05:30:00Z') });
  });

  it('given neither, then it throws', () => {
    expect(() => couponValidity({}, new Date())).toThrow();
  });
});

describe('redemption codes', () => {
  const randomness = (seed: number) => Uint8Array.from({ length: 7 }, (_, index) => (seed * 131 + index * 71 + 17) & 255);
  const codes = Array.from({ length: 20 }, (_, seed) => makeRedemptionCode(randomness(seed)));

  it('given 7 random bytes, then the code is 12 symbols of the look-alike-free alphabet and well formed', () => {
    for (const code of codes) {
      expect(code).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{12}$/);
      expect(isWellFormedRedemptionCode(code)).toBe(true);
    }
  });

  it('given all-zero and all-one bytes, then the payload reads the first 55 bits', () => {
    expect(makeRedemptionCode(new Uint8Array(7)).slice(0, 11)).toBe('22222222222');
    expect(makeRedemptionCode(new Uint8Array(7).fill(255)).slice(0, 11)).toBe('ZZZZZZZZZZZ');
  });

  it('given different randomness, then codes differ', () => {
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('given too few random bytes, then it throws', () => {
    expect(() => makeRedemptionCode(new Uint8Array(6))).toThrow();
  });

  it('given any single-symbol error, then the code is caught as mistyped', () => {
    for (const code of codes) {
      for (let position = 0; position < code.length; position++) {
        for (const symbol of REDEMPTION_CODE_ALPHABET) {
          if (symbol === code[position]) continue;
          const typo = code.slice(0, position) + symbol + code.slice(position + 1);
          expect(isWellFormedRedemptionCode(typo)).toBe(false);
        }
      }
    }
  });

  it('given any swap of two adjacent different symbols, then the code is caught as mistyped', () => {
    for (const code of codes) {
      for (let position = 0; position + 1 < code.length; position++) {
        if (code[position] === code[position + 1]) continue;
        const swapped = code.slice(0, position) + code[position + 1] + code[position] + code.slice(position + 2);
        expect(isWellFormedRedemptionCode(swapped)).toBe(false);
      }
    }
  });

  it('given the first and last alphabet symbols swapped (Luhn mod 32’s blind spot), then it is caught', () => {
    const payload = '2Z' + '3'.repeat(9);
    const valid = [...REDEMPTION_CODE_ALPHABET].map((check) => payload + check).find(isWellFormedRedemptionCode)!;
    expect(isWellFormedRedemptionCode('Z2' + valid.slice(2))).toBe(false);
  });

  it('given a code with a look-alike or wrong length, then it is not well formed', () => {
    const code = codes[0]!;
    expect(isWellFormedRedemptionCode(code.slice(0, 11))).toBe(false);
    expect(isWellFormedRedemptionCode('0' + code.slice(1))).toBe(false);
    expect(isWellFormedRedemptionCode('O' + code.slice(1))).toBe(false);
  });

  it('given a code typed in lower case with dashes and spaces, then normalizing recovers it', () => {
    const code = codes[0]!;
    const typed = ` ${formatRedemptionCode(code).toLowerCase().replace('-', ' - ')} `;
    expect(normalizeRedemptionCode(typed)).toBe(code);
  });

  it('given a code, then it prints as XXXX-XXXX-XXXX', () => {
    expect(formatRedemptionCode('ABCDEFGHJKLM')).toBe('ABCD-EFGH-JKLM');
  });
});
