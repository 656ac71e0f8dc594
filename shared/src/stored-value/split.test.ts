import { bonusForfeitFor, splitCharge, splitRefund, type StoredValueParts } from './split';

const parts = (principalFen: number, bonusFen: number): StoredValueParts => ({ principalFen, bonusFen });

describe('splitCharge', () => {
  it('given principal first, when principal covers the charge, then bonus is untouched', () => {
    expect(splitCharge(parts(50_000, 5_000), 12_000, { mode: 'principal_first' })).toEqual(parts(12_000, 0));
  });

  it('given principal first, when principal runs out, then bonus pays the rest', () => {
    expect(splitCharge(parts(1_000, 5_000), 3_500, { mode: 'principal_first' })).toEqual(parts(1_000, 2_500));
  });

  it('given a 100‰ ratio, when charging ¥100.05, then ¥10.00 (rounded down) comes from bonus', () => {
    expect(splitCharge(parts(50_000, 5_000), 10_005, { mode: 'ratio', bonusPerThousand: 100 })).toEqual(parts(9_005, 1_000));
  });

  it('given a ratio, when bonus is short, then principal covers what bonus cannot', () => {
    expect(splitCharge(parts(50_000, 300), 10_000, { mode: 'ratio', bonusPerThousand: 100 })).toEqual(parts(9_700, 300));
  });

  it('given a ratio, when principal is short, then bonus covers what principal cannot', () => {
    expect(splitCharge(parts(500, 5_000), 2_000, { mode: 'ratio', bonusPerThousand: 100 })).toEqual(parts(500, 1_500));
  });

  it('given a balance short of the charge, then there is no split', () => {
    expect(splitCharge(parts(1_000, 999), 2_000, { mode: 'principal_first' })).toBeNull();
    expect(splitCharge(parts(1_000, 999), 2_000, { mode: 'ratio', bonusPerThousand: 500 })).toBeNull();
  });

  it('given the exact balance, then both parts are emptied under either policy', () => {
    expect(splitCharge(parts(1_000, 999), 1_999, { mode: 'principal_first' })).toEqual(parts(1_000, 999));
    expect(splitCharge(parts(1_000, 999), 1_999, { mode: 'ratio', bonusPerThousand: 10 })).toEqual(parts(1_000, 999));
  });

  it('given a non-integer amount, then it refuses rather than guess', () => {
    expect(() => splitCharge(parts(1_000, 0), 10.5, { mode: 'principal_first' })).toThrow(/integer/);
  });
});

describe('splitRefund', () => {
  const charged = parts(7_001, 2_999);

  it('given a whole refund, then exactly the charged parts go back', () => {
    expect(splitRefund(charged, parts(0, 0), 10_000)).toEqual(charged);
  });

  it('given partial refunds in three steps, then they add up to the charge exactly', () => {
    const first = splitRefund(charged, parts(0, 0), 3_333)!;
    const afterFirst = parts(first.principalFen, first.bonusFen);
    const second = splitRefund(charged, afterFirst, 3_333)!;
    const afterSecond = parts(afterFirst.principalFen + second.principalFen, afterFirst.bonusFen + second.bonusFen);
    const third = splitRefund(charged, afterSecond, 3_334)!;
    expect(first.principalFen + first.bonusFen).toBe(3_333);
    expect(first).toEqual(parts(2_334, 999));
    expect(afterSecond.principalFen + third.principalFen).toBe(7_001);
    expect(afterSecond.bonusFen + third.bonusFen).toBe(2_999);
  });

  it('given every 1-fen refund of a charge, then neither part ever exceeds what was charged', () => {
    const small = parts(3, 4);
    let done = parts(0, 0);
    for (let i = 0; i < 7; i++) {
      const step = splitRefund(small, done, 1)!;
      done = parts(done.principalFen + step.principalFen, done.bonusFen + step.bonusFen);
      expect(done.principalFen).toBeLessThanOrEqual(3);
      expect(done.bonusFen).toBeLessThanOrEqual(4);
    }
    expect(done).toEqual(small);
  });

  it('given a refund above what is left of the charge, then there is no split', () => {
    expect(splitRefund(charged, parts(7_001, 0), 3_000)).toBeNull();
  });

  it('given a charge paid from principal only, then the refund is principal only', () => {
    expect(splitRefund(parts(5_000, 0), parts(0, 0), 1_234)).toEqual(parts(1_234, 0));
  });
});

describe('bonusForfeitFor', () => {
  it('given the rule "all", then any principal refund forfeits the whole bonus', () => {
    expect(bonusForfeitFor(parts(50_000, 5_000), 1_000, 'all')).toBe(5_000);
  });

  it('given the rule "proportional", then the withdrawn share is forfeited, rounded up', () => {
    expect(bonusForfeitFor(parts(30_000, 1_000), 10_000, 'proportional')).toBe(334);
    expect(bonusForfeitFor(parts(30_000, 1_000), 30_000, 'proportional')).toBe(1_000);
  });

  it('given a refund above the principal held, then it refuses', () => {
    expect(() => bonusForfeitFor(parts(100, 0), 101, 'all')).toThrow(/exceeds/);
  });
});
