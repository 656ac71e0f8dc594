import { planCheckout } from './checkout';

describe('planCheckout', () => {
  const cash = { id: 'cash', type: 'cash' as const, minSpendFen: 10_000, amountOffFen: 2_000, refusal: null };
  const discount = { id: 'pct', type: 'discount' as const, percentOff: 20, refusal: null };

  it('applies each coupon to what the ones before it left', () => {
    expect(planCheckout(11_000, [cash, discount])).toEqual({
      netFen: 7_200,
      discountFen: 3_800,
      applied: [
        { id: 'cash', orderAmountFen: 11_000, savingFen: 2_000, refusal: null },
        { id: 'pct', orderAmountFen: 9_000, savingFen: 1_800, refusal: null },
      ],
    });
  });

  it('refuses a minimum spend the earlier coupons pushed under, and a standing refusal whatever the amount', () => {
    const plan = planCheckout(11_000, [discount, cash, { ...cash, id: 'bj', refusal: 'WRONG_STORE' }]);
    expect(plan.applied.map((step) => [step.id, step.refusal, step.savingFen])).toEqual([
      ['pct', null, 2_200],
      ['cash', 'MIN_SPEND_NOT_MET', 0],
      ['bj', 'WRONG_STORE', 0],
    ]);
    expect(plan.netFen).toBe(8_800);
  });

  it('with no coupon the net is the amount', () => {
    expect(planCheckout(173_150, [])).toEqual({ netFen: 173_150, discountFen: 0, applied: [] });
  });
});
