import { DAY_MS, chinaIsoDate } from '../common/china-time';
import type { ReversalBlock, ShiftTotals } from './schema';

// Pure rules of the counter's day: which instants a China day spans, who may reverse what and why not,
// and the words the screens show for it.

const CHINA_OFFSET_MS = 8 * 3600_000;
/** A manager reverses within this long of the purchase or redemption (domain: 24 hours). */
export const REVERSAL_WINDOW_MS = 24 * 3600_000;

/** Whether `text` is a real calendar date written YYYY-MM-DD. */
export function isChinaIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const at = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === text;
}

/** The instants a China day spans: [from, to), from 00:00 to the next 00:00 in China (UTC+8). */
export function chinaDayRange(date: string): { from: Date; to: Date } {
  const from = new Date(Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS);
  return { from, to: new Date(from.getTime() + DAY_MS) };
}

/** Today in China as YYYY-MM-DD (re-exported here so the counter's screens take one import). */
export const chinaToday = (now: Date): string => chinaIsoDate(now);

/**
 * Why this caller may not reverse an entry now, or null when they may: a check-in is never reversed, a
 * reversed one is done, only a manager (or HQ) reverses, and only within 24 hours of when it happened.
 */
export function reversalBlock(entry: { kind: 'purchase' | 'redemption' | 'checkin'; reversed: boolean; at: Date }, caller: { mayReverse: boolean }, now: Date): ReversalBlock | null {
  if (entry.kind === 'checkin') return 'NOT_REVERSIBLE';
  if (entry.reversed) return 'REVERSED';
  if (!caller.mayReverse) return 'NOT_MANAGER';
  if (now.getTime() - entry.at.getTime() > REVERSAL_WINDOW_MS) return 'WINDOW_CLOSED';
  return null;
}

/** What a disabled reversal button says, in Chinese and English. */
export const REVERSAL_BLOCK_TEXT: Record<ReversalBlock, { zh: string; en: string }> = {
  NOT_MANAGER: { zh: '只有店长可以撤销', en: 'Only a manager can reverse' },
  WINDOW_CLOSED: { zh: '已超过24小时，不能撤销', en: 'Past 24 hours; cannot be reversed' },
  REVERSED: { zh: '已撤销', en: 'Reversed' },
  NOT_REVERSIBLE: { zh: '签到不可撤销', en: 'Check-ins are not reversed' },
};

/** The reasons a manager picks from most often; any other reason may be typed. */
export const COMMON_REVERSAL_REASONS: ReadonlyArray<{ zh: string; en: string }> = [
  { zh: '顾客退货退款', en: 'Customer returned the goods' },
  { zh: '金额录入错误', en: 'Wrong amount entered' },
  { zh: '扫错会员', en: 'Wrong member scanned' },
  { zh: '重复录入', en: 'Entered twice' },
  { zh: '券核销错误', en: 'Wrong coupon redeemed' },
];

/** Totals of nothing: the start of every sum. */
export function emptyShiftTotals(): ShiftTotals {
  return {
    purchases: { count: 0, amountFen: 0, points: 0 },
    purchaseReversals: { count: 0, amountFen: 0, points: 0 },
    redemptions: { count: 0, faceValueFen: 0, orderAmountFen: 0 },
    redemptionReversals: { count: 0, faceValueFen: 0, orderAmountFen: 0 },
    checkins: { count: 0, points: 0 },
    pointsIssued: 0,
  };
}
