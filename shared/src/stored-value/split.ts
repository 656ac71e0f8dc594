// How a stored-value amount divides between principal (the money the shopper paid in, refundable as cash)
// and bonus (what the brand added, spendable but never paid out). Pure integer-fen arithmetic, shared by
// the ledger, the counter charge and the console so they can never disagree.

export interface StoredValueParts {
  principalFen: number;
  bonusFen: number;
}

/**
 * How a charge draws on the two parts (HQ setting):
 * - `principal_first`: principal until it is used up, then bonus;
 * - `ratio`: `bonusPerThousand` fen of every 1000 fen charged come from bonus (rounded down), the rest from
 *   principal; when one part runs out the other covers the remainder, so a balance that covers the total
 *   always pays.
 */
export type ChargePolicy = { mode: 'principal_first' } | { mode: 'ratio'; bonusPerThousand: number };

function assertFen(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer number of fen, got ${value}`);
}

function assertParts(parts: StoredValueParts, name: string): void {
  assertFen(parts.principalFen, `${name}.principalFen`);
  assertFen(parts.bonusFen, `${name}.bonusFen`);
}

/** The principal and bonus a charge of `amountFen` takes from `balance`; null when the balance does not cover it. */
export function splitCharge(balance: StoredValueParts, amountFen: number, policy: ChargePolicy): StoredValueParts | null {
  assertParts(balance, 'balance');
  assertFen(amountFen, 'amountFen');
  if (balance.principalFen + balance.bonusFen < amountFen) return null;
  let bonusFen: number;
  if (policy.mode === 'principal_first') {
    bonusFen = Math.max(0, amountFen - balance.principalFen);
  } else {
    const perThousand = Math.min(1000, Math.max(0, Math.floor(policy.bonusPerThousand)));
    const wanted = Math.floor((amountFen * perThousand) / 1000);
    // Bonus short: principal pays the rest; principal short: bonus does.
    bonusFen = Math.max(Math.min(wanted, balance.bonusFen), amountFen - balance.principalFen);
  }
  return { principalFen: amountFen - bonusFen, bonusFen };
}

/**
 * The principal and bonus to give back for a refund of `refundFen` of a charge that took `charged`, of which
 * `alreadyRefunded` went back before: in the charge's own proportion, counted on the running total so that
 * partial refunds adding up to the whole charge give back exactly what it took, and never more than is left
 * on either part. Null when `refundFen` exceeds what is left of the charge.
 */
export function splitRefund(charged: StoredValueParts, alreadyRefunded: StoredValueParts, refundFen: number): StoredValueParts | null {
  assertParts(charged, 'charged');
  assertParts(alreadyRefunded, 'alreadyRefunded');
  assertFen(refundFen, 'refundFen');
  const leftPrincipal = charged.principalFen - alreadyRefunded.principalFen;
  const leftBonus = charged.bonusFen - alreadyRefunded.bonusFen;
  if (leftPrincipal < 0 || leftBonus < 0) throw new Error('alreadyRefunded exceeds charged');
  if (refundFen > leftPrincipal + leftBonus) return null;
  const chargedTotal = charged.principalFen + charged.bonusFen;
  if (chargedTotal === 0) return { principalFen: 0, bonusFen: 0 };
  const refundedTotal = alreadyRefunded.principalFen + alreadyRefunded.bonusFen;
  // Bonus owed once this refund is done, rounded down (the odd fen goes to principal); the difference
  // from what was already given back is this refund's bonus part.
  const bonusTarget = Math.floor(((refundedTotal + refundFen) * charged.bonusFen) / chargedTotal);
  let bonusFen = Math.min(Math.max(0, bonusTarget - alreadyRefunded.bonusFen), leftBonus, refundFen);
  let principalFen = refundFen - bonusFen;
  if (principalFen > leftPrincipal) {
    principalFen = leftPrincipal;
    bonusFen = refundFen - principalFen;
  }
  return { principalFen, bonusFen };
}

/**
 * What happens to bonus when unspent principal is paid out (HQ setting): `all` forfeits the whole bonus
 * held; `proportional` forfeits the share of bonus matching the share of principal withdrawn.
 */
export type BonusForfeitRule = 'all' | 'proportional';

/**
 * The bonus forfeited when `principalRefundFen` of the principal in `balance` is paid out. Proportional
 * rounds up, so no bonus outlives the principal it came with; withdrawing all principal forfeits all bonus.
 */
export function bonusForfeitFor(balance: StoredValueParts, principalRefundFen: number, rule: BonusForfeitRule): number {
  assertParts(balance, 'balance');
  assertFen(principalRefundFen, 'principalRefundFen');
  if (principalRefundFen > balance.principalFen) throw new Error('refund exceeds principal held');
  if (rule === 'all' || balance.principalFen === 0 || principalRefundFen === balance.principalFen) return balance.bonusFen;
  return Math.min(balance.bonusFen, Math.ceil((principalRefundFen * balance.bonusFen) / balance.principalFen));
}
