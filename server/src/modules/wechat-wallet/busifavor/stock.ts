import type { CouponTemplateDoc } from '../../coupons/model';

// What WeChat's stock (商家券批次) says for one of our templates: docs/wechat-busifavor.md §1–2.

const YEAR_MS = 365 * 24 * 3600_000;

/** WeChat's RFC 3339 in China time, e.g. 2026-06-08T10:34:56+08:00. */
export function chinaRfc3339(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

/** stock_name is at most 21 bytes of UTF-8: cut on a character boundary. */
export function stockName(title: string): string {
  let out = '';
  for (const ch of title) {
    if (Buffer.byteLength(out + ch, 'utf8') > 21) break;
    out += ch;
  }
  return out || '会员券';
}

export interface StockBranding {
  merchantName: string;
  logoUrl?: string | null;
  /** WeChat's palette name, e.g. Color010. */
  backgroundColor?: string | null;
}

/** The coupon_use_rule for our terms (assumptions in the doc: DISCOUNT's percent is what the shopper pays; a gift is EXCHANGE at 0). */
function useRule(template: CouponTemplateDoc, at: Date) {
  const minimum = template.minSpendFen ?? 0;
  const window =
    template.validFrom && template.validUntil
      ? { available_begin_time: chinaRfc3339(template.validFrom), available_end_time: chinaRfc3339(template.validUntil) }
      : // Relative validity: the stock stays open a year; each coupon lasts validDays from when it is received.
        { available_begin_time: chinaRfc3339(at), available_end_time: chinaRfc3339(new Date(at.getTime() + YEAR_MS)), available_day_after_receive: template.validDays ?? 30 };
  const kind =
    template.type === 'cash'
      ? { stock_type: 'NORMAL', rule: { fixed_normal_coupon: { discount_amount: template.amountOffFen ?? 0, transaction_minimum: minimum } } }
      : template.type === 'discount'
        ? { stock_type: 'DISCOUNT', rule: { discount_coupon: { discount_percent: 100 - (template.percentOff ?? 0), transaction_minimum: minimum } } }
        : { stock_type: 'EXCHANGE', rule: { exchange_coupon: { exchange_price: 0, transaction_minimum: minimum } } };
  return { stockType: kind.stock_type, couponUseRule: { coupon_available_time: window, ...kind.rule, use_method: 'OFF_LINE' } };
}

/** The usage notes WeChat shows under the coupon (Chinese, as everything the shopper reads). */
export function usageNotes(template: CouponTemplateDoc): string {
  const parts: string[] = [];
  if (template.minSpendFen) parts.push(`满¥${(template.minSpendFen / 100).toFixed(2)}可用`);
  if (template.storeIds.length > 0) parts.push(`限${template.storeIds.length}家指定门店使用`);
  else parts.push('全部门店可用');
  if (template.tiers.length > 0) parts.push('限指定会员等级');
  parts.push('可在门店出示券码或微信支付时使用');
  return parts.join('；');
}

/** POST /v3/marketing/busifavor/stocks body. */
export function stockBody(template: CouponTemplateDoc, input: { mchId: string; appId: string; outRequestNo: string; at: Date; branding: StockBranding }) {
  const { stockType, couponUseRule } = useRule(template, input.at);
  return {
    stock_name: stockName(template.title),
    belong_merchant: input.mchId,
    goods_name: template.type === 'gift' && template.giftName ? template.giftName.slice(0, 15) : '全场商品',
    stock_type: stockType,
    coupon_use_rule: couponUseRule,
    stock_send_rule: { max_coupons: template.totalQuantity, max_coupons_per_user: template.perMemberLimit, prevent_api_abuse: false, transferable: false, shareable: false },
    out_request_no: input.outRequestNo,
    display_pattern_info: {
      description: usageNotes(template),
      merchant_name: input.branding.merchantName.slice(0, 16),
      background_color: input.branding.backgroundColor ?? 'Color010',
      ...(input.branding.logoUrl ? { merchant_logo_url: input.branding.logoUrl } : {}),
    },
    // Each coupon's code is our coupon id, named when the plugin sends it (docs §1).
    coupon_code_mode: 'MERCHANT_API',
    notify_config: { notify_appid: input.appId },
  };
}

/** PATCH /v3/marketing/busifavor/stocks/{stock_id}: the basic information HQ can change on a template. */
export function stockUpdateBody(template: CouponTemplateDoc, input: { requestNo: string; branding: StockBranding }) {
  return {
    out_request_no: input.requestNo,
    stock_name: stockName(template.title),
    display_pattern_info: { description: usageNotes(template), merchant_name: input.branding.merchantName.slice(0, 16), background_color: input.branding.backgroundColor ?? 'Color010' },
  };
}
