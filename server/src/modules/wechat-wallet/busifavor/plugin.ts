import { createHmac } from 'node:crypto';

// The mini-program send-coupon plugin (发券插件): its parameters and their API v2 signature (docs/wechat-busifavor.md §4).

export interface SendCouponParam {
  stock_id: string;
  out_request_no: string;
  coupon_code?: string;
}

/**
 * HMAC-SHA256 with the merchant's API v2 key over the parameters in dictionary order, each array item's fields
 * suffixed with its index (`out_request_no0=…&send_coupon_merchant=…&stock_id0=…`), then `&key=<v2 key>`;
 * upper-case hex as every v2 HMAC-SHA256 signature.
 */
export function pluginSign(params: SendCouponParam[], sendCouponMerchant: string, apiV2Key: string): string {
  const fields: Array<[string, string]> = [['send_coupon_merchant', sendCouponMerchant]];
  params.forEach((param, index) => {
    for (const [name, value] of Object.entries(param)) if (value !== undefined && value !== '') fields.push([`${name}${index}`, String(value)]);
  });
  fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const message = `${fields.map(([name, value]) => `${name}=${value}`).join('&')}&key=${apiV2Key}`;
  return createHmac('sha256', apiV2Key).update(message, 'utf8').digest('hex').toUpperCase();
}

/**
 * Why WeChat would not put the coupon into the wallet, as the member reads it (our coupon stands either way).
 * The codes are the emulator's (assumption in the doc, §4); an unknown code shows the plugin's own message.
 */
export const REFUSAL_REASONS: Record<string, string> = {
  NOT_ENOUGH: '微信卡包中这批券已发完，这张券仍可在小程序中使用',
  USER_LIMIT: '您在微信卡包领取这批券已达上限，这张券仍可在小程序中使用',
  STOCK_NOT_ACTIVE: '这批券暂未在微信卡包开放，这张券仍可在小程序中使用',
};

export function refusalReason(code: string, message?: string): string {
  return REFUSAL_REASONS[code] ?? `微信未能放入卡包（${(message || code).slice(0, 40)}），这张券仍可在小程序中使用`;
}
