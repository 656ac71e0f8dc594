import { normalizePareto, progressPercent } from './charts';
import { discountZhe, exampleOrderFen, previewCoupon } from './couponPreview';
import { fenToYuanText, signed, yuanToFen } from './format';
import { compact, issuesToFieldErrors, placeFieldErrors } from './forms';
import { describeSegment, segmentFromForm, segmentKey, segmentToForm } from './segment';

const t = (zh: string) => zh;

describe('money formatting', () => {
  it('shows fen as yuan and reads yuan back as whole fen', () => {
    expect(fenToYuanText(2000)).toBe('¥20');
    expect(fenToYuanText(1999)).toBe('¥19.99');
    expect(fenToYuanText(undefined)).toBe('—');
    expect(yuanToFen(19.99)).toBe(1999);
    expect(yuanToFen(0.1 + 0.2)).toBe(30);
    expect(yuanToFen(null)).toBeUndefined();
    expect(signed(5)).toBe('+5');
    expect(signed(-5)).toBe('-5');
  });
});

describe('coupon preview', () => {
  it('draws a cash coupon with its condition and a worked example', () => {
    const preview = previewCoupon({ title: '满200减20', type: 'cash', minSpendFen: 20000, amountOffFen: 2000, validDays: 30 }, 'zh');
    expect(preview.headline).toBe('20');
    expect(preview.condition).toBe('满200元可用');
    expect(preview.validity).toBe('领取后30天内有效');
    expect(preview.example).toEqual({ orderFen: 30000, savingFen: 2000, payFen: 28000 });
  });

  it('shows a discount as 折 in Chinese and caps the saving', () => {
    expect(discountZhe(20)).toBe('8');
    expect(discountZhe(15)).toBe('8.5');
    const preview = previewCoupon({ type: 'discount', percentOff: 20, maxOffFen: 3000, validFrom: '2026-01-01T00:00:00Z', validUntil: '2026-02-01T00:00:00Z' }, 'zh');
    expect(preview.headline).toBe('8');
    expect(preview.example).toEqual({ orderFen: 30000, savingFen: 3000, payFen: 27000 });
    expect(previewCoupon({ type: 'discount', percentOff: 20 }, 'en').headline).toBe('20%');
  });

  it('gives a gift coupon no money example', () => {
    expect(previewCoupon({ type: 'gift', giftName: '帆布袋', validDays: 7 }, 'zh').example).toBeNull();
  });

  it('picks a round example order above the minimum spend', () => {
    expect(exampleOrderFen({ type: 'cash', minSpendFen: 19900 })).toBe(20000);
    expect(exampleOrderFen({ type: 'cash', minSpendFen: 20000 })).toBe(30000);
    expect(exampleOrderFen({ type: 'cash' })).toBe(30000);
  });
});

describe('segment builder values', () => {
  it('keeps only the conditions that are set', () => {
    expect(segmentFromForm({ tiers: [], homeStoreIds: ['SH01'], minSpendYuan12m: 2000, birthdayMonth: null, profileComplete: 'any', tags: [' vip ', ''] })).toEqual({ homeStoreIds: ['SH01'], minSpendFen12m: 200000, tags: ['vip'] });
    expect(segmentFromForm({ profileComplete: 'no', minPointsBalance: 0 })).toEqual({ profileComplete: false, minPointsBalance: 0 });
  });

  it('round-trips through the form', () => {
    const segment = { tiers: ['gold'], minSpendFen12m: 150000, profileComplete: true, purchasedWithinDays: 30 };
    expect(segmentFromForm(segmentToForm(segment))).toEqual(segment);
  });

  it('keys segments independently of key order', () => {
    expect(segmentKey({ tiers: ['gold'], birthdayMonth: 5 })).toBe(segmentKey({ birthdayMonth: 5, tiers: ['gold'] }));
    expect(segmentKey({ tiers: ['gold'] })).not.toBe(segmentKey({ tiers: ['silver'] }));
  });

  it('describes each condition', () => {
    expect(describeSegment({ tiers: ['gold'], birthdayMonth: 5 }, t, { tier: () => '金卡' })).toEqual(['等级: 金卡', '5月生日']);
  });
});

describe('form error placement', () => {
  it('turns zod issues into a path map, first message wins', () => {
    expect(issuesToFieldErrors([{ path: ['a'], message: 'one' }, { path: ['a'], message: 'two' }, { path: ['b', 0], message: 'three' }])).toEqual({ a: 'one', 'b.0': 'three' });
  });

  it('renames wire fields to form fields and reports the rest', () => {
    const placed = placeFieldErrors({ amountOffFen: 'required', title: 'too long', 'storeIds.1': 'unknown store', mystery: 'x' }, ['title', 'amountOffYuan', 'storeIds'], { amountOffFen: 'amountOffYuan' });
    expect(placed.fields).toEqual([
      { name: ['amountOffYuan'], errors: ['required'] },
      { name: ['title'], errors: ['too long'] },
      { name: ['storeIds'], errors: ['unknown store'] },
    ]);
    expect(placed.unplaced).toEqual(['mystery: x']);
  });

  it('compacts empty values away', () => {
    expect(compact({ a: undefined, b: null, c: '', d: [], e: 0, f: 'x', g: NaN })).toEqual({ e: 0, f: 'x' });
  });
});

describe('chart shaping', () => {
  it('anchors and sorts the Pareto curve', () => {
    const curve = normalizePareto([{ memberShare: 0.5, spendShare: 0.9 }, { memberShare: 0.2, spendShare: 0.7 }]);
    expect(curve[0]).toEqual({ memberShare: 0, spendShare: 0 });
    expect(curve[curve.length - 1]).toEqual({ memberShare: 1, spendShare: 1 });
    expect(normalizePareto([])).toEqual([]);
  });

  it('counts issued and failed as done', () => {
    expect(progressPercent({ targeted: 0, issued: 0, failed: 0 })).toBe(0);
    expect(progressPercent({ targeted: 200, issued: 99, failed: 1 })).toBe(50);
    expect(progressPercent({ targeted: 10, issued: 12, failed: 0 })).toBe(100);
  });
});
