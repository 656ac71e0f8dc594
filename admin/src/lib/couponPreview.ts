import { couponSavingFen } from '../shared';
import type { Lang } from '../api/errors';
import { fenToYuanText } from './format';

// What the member sees on the coupon in the mini-program wallet: a big value, a condition line, a
// validity line, and for the editor an example order showing the saving.

export interface PreviewTerms {
  title?: string;
  type: 'cash' | 'discount' | 'gift';
  minSpendFen?: number;
  amountOffFen?: number;
  percentOff?: number;
  maxOffFen?: number;
  giftName?: string;
  validFrom?: string;
  validUntil?: string;
  validDays?: number;
}

export interface CouponPreview {
  headline: string;
  headlineUnit: string;
  condition: string;
  validity: string;
  example: { orderFen: number; savingFen: number; payFen: number } | null;
}

/** 20% off is shown the Chinese way as 8折 (8.5折 for 15% off). */
export function discountZhe(percentOff: number): string {
  const tenths = (100 - percentOff) / 10;
  return Number.isInteger(tenths) ? String(tenths) : tenths.toFixed(1).replace(/0$/, '');
}

/** A round example order just above the minimum spend (or ¥300 when there is none). */
export function exampleOrderFen(terms: PreviewTerms): number {
  const min = terms.minSpendFen ?? 0;
  if (min <= 0) return 30000;
  return Math.ceil((min + 1) / 10000) * 10000;
}

export function previewCoupon(terms: PreviewTerms, lang: Lang): CouponPreview {
  const t = (zh: string, en: string) => (lang === 'zh' ? zh : en);
  let headline = '';
  let headlineUnit = '';
  if (terms.type === 'cash') {
    headline = terms.amountOffFen ? fenToYuanText(terms.amountOffFen, false) : '—';
    headlineUnit = t('元', 'yuan off');
  } else if (terms.type === 'discount') {
    headline = terms.percentOff ? (lang === 'zh' ? discountZhe(terms.percentOff) : `${terms.percentOff}%`) : '—';
    headlineUnit = t('折', 'off');
  } else {
    headline = t('赠', 'Gift');
    headlineUnit = terms.giftName ?? '';
  }

  const conditionParts: string[] = [];
  if (terms.minSpendFen) conditionParts.push(t(`满${fenToYuanText(terms.minSpendFen, false)}元可用`, `Orders from ${fenToYuanText(terms.minSpendFen)}`));
  else conditionParts.push(t('无门槛', 'No minimum spend'));
  if (terms.type === 'discount' && terms.maxOffFen) conditionParts.push(t(`最高减${fenToYuanText(terms.maxOffFen, false)}元`, `up to ${fenToYuanText(terms.maxOffFen)} off`));

  let validity = t('有效期未设置', 'Validity not set');
  if (terms.validDays) validity = t(`领取后${terms.validDays}天内有效`, `Valid ${terms.validDays} days after issue`);
  else if (terms.validFrom && terms.validUntil) validity = `${terms.validFrom.slice(0, 10)} ~ ${terms.validUntil.slice(0, 10)}`;

  let example: CouponPreview['example'] = null;
  if (terms.type !== 'gift') {
    const orderFen = exampleOrderFen(terms);
    const { savingFen } = couponSavingFen(terms, orderFen);
    example = { orderFen, savingFen, payFen: orderFen - savingFen };
  }
  return { headline, headlineUnit, condition: conditionParts.join(t('，', ', ')), validity, example };
}
