import { chinaCalendarDate, endOfChinaMonth, DAY_MS } from '../common/china-time';

/**
 * A lot is what is left of one earning: points are spent and expire lot by lot, so that
 * balance = Σ ledger deltas = Σ remaining of the lots. Expiry months are counted in China Standard Time.
 */
export interface PointsLot {
  id: string;
  remaining: number;
  expiresAt: Date;
}

export interface LotDraw {
  lotId: string;
  amount: number;
}

export type SpendPlan =
  | { ok: true; draws: LotDraw[] }
  | { ok: false; reason: 'INSUFFICIENT_POINTS'; available: number; shortfall: number };

/** Points earned at `earnedAt` expire at the last millisecond (China time) of the 12th month after the month earned. */
export function lotExpiry(earnedAt: Date): Date {
  const { year, month } = chinaCalendarDate(earnedAt);
  return endOfChinaMonth(year, month + 12);
}

/**
 * Which lots to draw `amount` points from: soonest-expiring first (ties keep the given order).
 * Lots past their expiry still count until the expiry job books them, so the balance and the lots agree.
 */
export function planSpend(lots: readonly PointsLot[], amount: number): SpendPlan {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error('a spend is a positive whole number of points');
  const available = lots.reduce((sum, lot) => sum + Math.max(0, lot.remaining), 0);
  if (available < amount) return { ok: false, reason: 'INSUFFICIENT_POINTS', available, shortfall: amount - available };
  const draws: LotDraw[] = [];
  let left = amount;
  for (const lot of soonestExpiringFirst(lots)) {
    if (left === 0) break;
    const drawn = Math.min(lot.remaining, left);
    draws.push({ lotId: lot.id, amount: drawn });
    left -= drawn;
  }
  return { ok: true, draws };
}

/** What the expiry job books at `now`: every lot whose expiry has passed, with what is left of it. */
export function planExpiry(lots: readonly PointsLot[], now: Date): { draws: LotDraw[]; total: number } {
  const draws = soonestExpiringFirst(lots)
    .filter((lot) => lot.expiresAt.getTime() <= now.getTime())
    .map((lot) => ({ lotId: lot.id, amount: lot.remaining }));
  return { draws, total: draws.reduce((sum, draw) => sum + draw.amount, 0) };
}

/**
 * The points that expire at the soonest expiry instant within the next `days` days, for the card's warning
 * ("300 points expire on 31 March"), or null when nothing expires in that window.
 */
export function pointsExpiringSoon(lots: readonly PointsLot[], now: Date, days = 30): { amount: number; at: Date } | null {
  const windowEnd = now.getTime() + days * DAY_MS;
  const due = soonestExpiringFirst(lots).filter(
    (lot) => lot.expiresAt.getTime() > now.getTime() && lot.expiresAt.getTime() <= windowEnd,
  );
  const first = due[0];
  if (!first) return null;
  const at = first.expiresAt.getTime();
  const amount = due.filter((lot) => lot.expiresAt.getTime() === at).reduce((sum, lot) => sum + lot.remaining, 0);
  return { amount, at: new Date(at) };
}

function soonestExpiringFirst(lots: readonly PointsLot[]): PointsLot[] {
  // Array.prototype.sort is stable, so equal expiries keep their given (usually earned) order.
  return lots.filter((lot) => lot.remaining > 0).sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
}
