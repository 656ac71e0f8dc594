import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config';
import { WECHATPAY_KEY_FILES, type WechatPayKeys, type WechatPaySigningMode } from '../../emulator';
import { WeChatPayClient } from '../../wechat';

/**
 * Optional files in WECHATPAY_KEY_DIR for the "WeChat Pay public key" mode. With them every request carries
 * `Wechatpay-Serial: PUB_KEY_ID_…` and nothing is downloaded from /v3/certificates; with the platform
 * certificate as well (a switch in progress), notifications signed with either verify.
 */
export const WECHATPAY_PUBLIC_KEY_FILES = { pem: 'wechatpay_public_key.pem', id: 'wechatpay_public_key_id.txt' } as const;

export const NOTIFY_PATH = '/api/v1/payments/wechat/notify';

/**
 * The one way the server (bootstrap) and scripts build the WeChat Pay client. With the emulator: its keys
 * and base URL, notifications to this process. Otherwise: the merchant files in WECHATPAY_KEY_DIR
 * (apiclient_key.pem, apiclient_cert.pem, apiv3_key.txt, and the platform certificate
 * wechatpay_platform_cert.pem or a WeChat Pay public key; without either, platform certificates are
 * downloaded on first use) and notifications to PUBLIC_BASE_URL.
 */
export function createWeChatPayClient(
  config: Config,
  target: { emulator: { keys: WechatPayKeys; baseUrl: string; localUrl: string; signingMode: WechatPaySigningMode } } | { emulator: null },
): WeChatPayClient {
  if (target.emulator) {
    const { keys, baseUrl, localUrl, signingMode } = target.emulator;
    // The merchant holds what the emulated WeChat Pay gave it: a platform certificate, a public key, or both mid-switch.
    return new WeChatPayClient({
      baseUrl: config.wechatPay.baseUrl ?? baseUrl,
      appId: config.wechat.appId,
      mchId: config.wechatPay.mchId,
      merchantPrivateKeyPem: keys.merchantPrivateKeyPem,
      merchantCertPem: keys.merchantCertPem,
      apiV3Key: keys.apiV3Key,
      ...(signingMode !== 'publicKey' ? { platformCertificates: { [keys.platformSerialNo]: keys.platformCertPem } } : {}),
      ...(signingMode !== 'certificate' ? { platformPublicKey: { id: keys.platformPublicKeyId, pem: keys.platformPublicKeyPem } } : {}),
      // The emulator runs in this process, so it notifies this process directly.
      notifyUrl: `${localUrl}${NOTIFY_PATH}`,
    });
  }
  const dir = config.wechatPay.keyDir;
  if (!dir || !config.publicBaseUrl) throw new Error('WECHATPAY_KEY_DIR and PUBLIC_BASE_URL are required for WeChat Pay');
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const exists = (name: string) => fs.existsSync(path.join(dir, name));
  const platformCertPem = exists(WECHATPAY_KEY_FILES.platformCert) ? read(WECHATPAY_KEY_FILES.platformCert) : null;
  return new WeChatPayClient({
    baseUrl: config.wechatPay.baseUrl ?? 'https://api.mch.weixin.qq.com',
    appId: config.wechat.appId,
    mchId: config.wechatPay.mchId,
    merchantPrivateKeyPem: read(WECHATPAY_KEY_FILES.merchantPrivateKey),
    merchantCertPem: read(WECHATPAY_KEY_FILES.merchantCert),
    apiV3Key: read(WECHATPAY_KEY_FILES.apiV3Key).trim(),
    ...(platformCertPem ? { platformCertificates: { [certificateSerial(platformCertPem)]: platformCertPem } } : {}),
    ...(exists(WECHATPAY_PUBLIC_KEY_FILES.pem)
      ? { platformPublicKey: { id: read(WECHATPAY_PUBLIC_KEY_FILES.id).trim(), pem: read(WECHATPAY_PUBLIC_KEY_FILES.pem) } }
      : {}),
    notifyUrl: `${config.publicBaseUrl.replace(/\/+$/, '')}${NOTIFY_PATH}`,
  });
}

function certificateSerial(pem: string): string {
  return new X509Certificate(pem).serialNumber.toUpperCase();
}
