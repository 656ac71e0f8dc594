// WeChat Pay's side of the v3 crypto, written independently of the server's client so that a mistake
// in one is caught by the other instead of cancelling out.
import { createCipheriv, createSign, createVerify, randomBytes, type KeyObject } from 'node:crypto';

export interface MerchantAuthorization {
  mchid: string;
  nonce_str: string;
  signature: string;
  timestamp: string;
  serial_no: string;
}

const AUTHORIZATION_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** Parses `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…`; null if it is not that shape. */
export function parseAuthorization(header: string | undefined): MerchantAuthorization | null {
  if (!header?.startsWith(`${AUTHORIZATION_SCHEME} `)) return null;
  const fields: Record<string, string> = {};
  for (const match of header.slice(AUTHORIZATION_SCHEME.length + 1).matchAll(/(\w+)="([^"]*)"/g)) {
    fields[match[1]!] = match[2]!;
  }
  const { mchid, nonce_str, signature, timestamp, serial_no } = fields;
  if (!mchid || !nonce_str || !signature || !timestamp || !serial_no) return null;
  return { mchid, nonce_str, signature, timestamp, serial_no };
}

/** The merchant signs `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` (an empty body for GET). */
export function verifyMerchantSignature(
  auth: MerchantAuthorization,
  method: string,
  pathAndQuery: string,
  body: string,
  merchantPublicKey: KeyObject,
): boolean {
  const message = `${method}\n${pathAndQuery}\n${auth.timestamp}\n${auth.nonce_str}\n${body}\n`;
  return createVerify('RSA-SHA256').update(message).verify(merchantPublicKey, auth.signature, 'base64');
}

export interface WechatpaySignatureHeaders {
  'Wechatpay-Timestamp': string;
  'Wechatpay-Nonce': string;
  'Wechatpay-Signature': string;
  'Wechatpay-Serial': string;
  'Wechatpay-Signature-Type': string;
}

/** Signs an answer or notification body: SHA256withRSA over `TIMESTAMP\nNONCE\nBODY\n`. */
export function signAsWechatpay(body: string, platformPrivateKeyPem: string, serial: string): WechatpaySignatureHeaders {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex').toUpperCase();
  const signature = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`).sign(platformPrivateKeyPem, 'base64');
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Serial': serial,
    'Wechatpay-Signature-Type': AUTHORIZATION_SCHEME,
  };
}

export interface SealedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
}

/** AEAD_AES_256_GCM with the APIv3 key; the 16-byte tag is appended to the ciphertext before base64. */
export function sealResource(plaintext: string, apiV3Key: string, associatedData: string): SealedResource {
  const nonce = randomBytes(6).toString('hex'); // 12 characters, like WeChat Pay's nonces
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const encrypted = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext: encrypted.toString('base64'), associated_data: associatedData, nonce };
}

/** paySign = SHA256withRSA(`appId\ntimeStamp\nnonceStr\npackage\n`) with the merchant key. */
export function verifyPaySign(
  params: { appId: string; timeStamp: string; nonceStr: string; package: string; paySign: string },
  merchantPublicKey: KeyObject,
): boolean {
  const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
  return createVerify('RSA-SHA256').update(message).verify(merchantPublicKey, params.paySign, 'base64');
}

/** RFC 3339 in China time, the format WeChat Pay uses for every timestamp. */
export function chinaTime(date = new Date()): string {
  return new Date(date.getTime() + 8 * 3600 * 1000).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}
