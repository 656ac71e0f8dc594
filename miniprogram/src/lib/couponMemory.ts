import Taro from '@tarojs/taro';
import type { Coupon } from '@membercard/shared';
import { lastKnownMember } from './memberCache';

// The wallet list already holds every field the detail page shows; it hands the coupon over here instead of
// a second request (the contract has no single-coupon route). Usable coupons are also kept on the phone, like
// the card (memberCache) and the code key, so a coupon once seen opens and shows its code without signal.
// They are kept under the card's number: once the card is forgotten (erasure) or another card is the phone's,
// they are not read back.
const STORAGE_KEY = 'membercard.coupons';
/** Enough for any real wallet; the oldest-seen go first beyond it. */
const MAX_KEPT = 50;

const remembered = new Map<string, Coupon>();

interface Kept {
  /** Whose coupons these are: they are read back only while the same card is the phone's (see memberCache). */
  cardNo: string;
  coupons: Coupon[];
}

function stored(): Coupon[] {
  const value = Taro.getStorageSync(STORAGE_KEY) as Kept | '' | undefined;
  const owner = lastKnownMember()?.cardNo;
  if (!value || typeof value !== 'object' || !owner || value.cardNo !== owner || !Array.isArray(value.coupons)) return [];
  return value.coupons.filter((coupon) => coupon && typeof coupon.id === 'string');
}

export function rememberCoupon(coupon: Coupon, now = new Date()): void {
  remembered.set(coupon.id, coupon);
  const others = stored().filter((kept) => kept.id !== coupon.id && Date.parse(kept.validUntil) > now.getTime());
  // Only a usable coupon is worth showing offline; a used or expired one drops out.
  const keep = coupon.status === 'issued' && Date.parse(coupon.validUntil) > now.getTime() ? [...others, coupon] : others;
  const owner = lastKnownMember()?.cardNo;
  if (owner) Taro.setStorageSync(STORAGE_KEY, { cardNo: owner, coupons: keep.slice(-MAX_KEPT) } satisfies Kept);
}

/**
 * The wallet's usable coupons as the server just listed them: a first page replaces what is kept (so coupons used
 * or expired since drop out), later pages add to it. The wallet list then opens offline like the card.
 */
export function rememberWalletPage(coupons: Coupon[], firstPage: boolean, now = new Date()): void {
  const owner = lastKnownMember()?.cardNo;
  if (!owner) return;
  for (const coupon of coupons) remembered.set(coupon.id, coupon);
  const usable = (coupon: Coupon) => coupon.status === 'issued' && Date.parse(coupon.validUntil) > now.getTime();
  const fresh = new Set(coupons.map((coupon) => coupon.id));
  const earlier = firstPage ? [] : stored().filter((kept) => !fresh.has(kept.id) && usable(kept));
  Taro.setStorageSync(STORAGE_KEY, { cardNo: owner, coupons: [...earlier, ...coupons.filter(usable)].slice(0, MAX_KEPT) } satisfies Kept);
}

/** The usable coupons kept on the phone for this card, in the wallet's order (none once expired). */
export function keptWallet(now = new Date()): Coupon[] {
  return stored().filter((coupon) => coupon.status === 'issued' && Date.parse(coupon.validUntil) > now.getTime());
}

export function recalledCoupon(id: string): Coupon | undefined {
  return remembered.get(id) ?? stored().find((coupon) => coupon.id === id);
}
