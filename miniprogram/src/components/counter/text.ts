import { parseCode, parseNumericCode, type CodeKind, type CounterCoupon, type CouponRefusal } from '@membercard/shared';
import { yuan } from '../../lib/format';

/** What kind of code the clerk scanned or typed (QR payload or 18 digits), or null when it is neither. */
export function scannedKind(text: string): CodeKind | null {
  return parseNumericCode(text)?.kind ?? parseCode(text.trim())?.kind ?? null;
}

/** Why a coupon cannot be ticked, in the clerk's words. */
export function refusalText(refusal: CouponRefusal, coupon: Pick<CounterCoupon, 'minSpendFen'>, afterEarlierCoupons = false): string {
  switch (refusal) {
    case 'WRONG_STORE':
      return '本店不可用';
    case 'COUPON_EXPIRED':
      return '已过期';
    case 'COUPON_ALREADY_USED':
      return '已使用';
    case 'COUPON_NOT_APPLICABLE':
      return '未到使用时间或会员等级不符';
    case 'MIN_SPEND_NOT_MET':
      return `未满 ${yuan(coupon.minSpendFen ?? 0)}${afterEarlierCoupons ? '（按前面的券减完后的金额算）' : ''}`;
  }
}
