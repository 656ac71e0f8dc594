// Stand-in for shared's couponSavingFen until it lands in @membercard/shared; same rule as the
// redemption: cash needs the minimum spend, discount is rounded down and capped, a gift saves no money.
export interface SavingTerms {
  type: 'cash' | 'discount' | 'gift';
  minSpendFen?: number;
  amountOffFen?: number;
  percentOff?: number;
  maxOffFen?: number;
}

export function couponSavingFen(terms: SavingTerms, orderAmountFen: number): number {
  if (orderAmountFen < (terms.minSpendFen ?? 0)) return 0;
  if (terms.type === 'cash') return Math.min(terms.amountOffFen ?? 0, orderAmountFen);
  if (terms.type === 'discount') {
    const off = Math.floor((orderAmountFen * (terms.percentOff ?? 0)) / 100);
    return terms.maxOffFen === undefined ? off : Math.min(off, terms.maxOffFen);
  }
  return 0;
}
