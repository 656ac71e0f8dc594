import type { Coupon, LedgerEntry } from '@membercard/shared';
import { chinaDateTime, yuan } from './format';

// How the points history and the used coupons read: like a receipt (store, amount, items, titles), never
// an order number.

/** One line of the points history: its headline and what it was for under it ("¥1,731.50 · 大杯拿铁 ×2"). */
export function ledgerLine(entry: Pick<LedgerEntry, 'reason' | 'description'>): { title: string; detail: string | null } {
  const description = entry.description;
  if (!description) return { title: entry.reason, detail: null };
  const parts: string[] = [];
  if (description.amountFen !== undefined) parts.push(yuan(description.amountFen));
  if (description.lines?.length) parts.push(description.lines.map((line) => `${line.name} ×${line.qty}`).join('、'));
  if (description.note) parts.push(description.note);
  return { title: description.title, detail: parts.length ? parts.join(' · ') : null };
}

/** "使用于 上海静安店 · 2026-12-03 17:05" (China time), or null for a coupon not used. */
export function usedCouponText(coupon: Pick<Coupon, 'redeemedAt' | 'redeemedStoreName'>): string | null {
  if (!coupon.redeemedAt) return null;
  return ['使用于', [coupon.redeemedStoreName, chinaDateTime(coupon.redeemedAt)].filter(Boolean).join(' · ')].join(' ');
}
