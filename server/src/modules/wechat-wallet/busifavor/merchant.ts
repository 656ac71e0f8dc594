import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../../config';
import type { WechatPayKeys } from '../../../emulator';
import type { BusifavorMerchant } from './service';

/** The merchant's API v2 key file in WECHATPAY_KEY_DIR: the send-coupon plugin still signs with v2 rules. */
export const APIV2_KEY_FILE = 'apiv2_key.txt';

export const BUSIFAVOR_NOTIFY_PATH = '/api/v1/wechat-wallet/busifavor/notify';

/** The emulated merchant's API v2 key: derived from its APIv3 key, so the emulator and the server agree without a file. */
export function emulatedApiV2Key(keys: Pick<WechatPayKeys, 'apiV3Key'>): string {
  return createHash('sha256').update(`busifavor-apiv2:${keys.apiV3Key}`).digest('hex').slice(0, 32);
}

/**
 * What merchant coupons need beyond the v3 client: the v2 key and where WeChat posts busifavor events. With the
 * emulator: its derived key and this process; otherwise WECHATPAY_KEY_DIR/apiv2_key.txt (absent: sending into
 * wallets is refused with a clear error) and PUBLIC_BASE_URL.
 */
export function busifavorMerchant(config: Config, emulator: { keys: WechatPayKeys; localUrl: string } | null): BusifavorMerchant {
  const base = { appId: config.wechat.appId, mchId: config.wechatPay.mchId, merchantName: '会员优惠券' };
  if (emulator) return { ...base, apiV2Key: emulatedApiV2Key(emulator.keys), notifyUrl: `${emulator.localUrl}${BUSIFAVOR_NOTIFY_PATH}` };
  const keyFile = config.wechatPay.keyDir ? path.join(config.wechatPay.keyDir, APIV2_KEY_FILE) : null;
  return {
    ...base,
    apiV2Key: keyFile && fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8').trim() : null,
    notifyUrl: config.publicBaseUrl ? `${config.publicBaseUrl.replace(/\/+$/, '')}${BUSIFAVOR_NOTIFY_PATH}` : null,
  };
}
