import { createHash, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

/** Everything the emulated WeChat Pay and the merchant (our server) need to sign, verify and encrypt. */
export interface WechatPayKeys {
  merchantPrivateKeyPem: string;
  /** Self-signed stand-in for apiclient_cert.pem. */
  merchantCertPem: string;
  /** Upper-case hex, as WeChat Pay prints it; the serial_no of the merchant's Authorization header. */
  merchantSerialNo: string;
  platformPrivateKeyPem: string;
  platformCertPem: string;
  /** The Wechatpay-Serial of everything the emulator signs in certificate mode. */
  platformSerialNo: string;
  /**
   * The private half of the "WeChat Pay public key" (a key pair of its own, as WeChat Pay issues it, so a
   * message verified with the wrong one of the two fails as it would for real during a switch).
   */
  publicKeyPrivateKeyPem: string;
  /** The WeChat Pay public key (wechatpay_public_key.pem of a merchant in public-key mode). */
  platformPublicKeyPem: string;
  /** The Wechatpay-Serial in "WeChat Pay public key" mode. */
  platformPublicKeyId: string;
  /** 32 ASCII characters, used as the AES-256-GCM key as WeChat Pay does. */
  apiV3Key: string;
}

/** File names inside the key directory (the merchant files carry WeChat Pay's own names). */
export const WECHATPAY_KEY_FILES = {
  merchantPrivateKey: 'apiclient_key.pem',
  merchantCert: 'apiclient_cert.pem',
  platformPrivateKey: 'wechatpay_platform_key.pem',
  platformCert: 'wechatpay_platform_cert.pem',
  apiV3Key: 'apiv3_key.txt',
} as const;

/** The emulator's private half of its WeChat Pay public key (added later, so generated on its own if missing). */
export const PUBLIC_KEY_SIGNING_KEY_FILE = 'wechatpay_public_key_private.pem';

/**
 * Loads the emulator's WeChat Pay keys from `dir`, generating them on first use; without a dir (tests)
 * fresh keys live in memory only.
 */
export function ensureWechatPayKeys(dir?: string): WechatPayKeys {
  if (dir) {
    const files = Object.values(WECHATPAY_KEY_FILES).map((name) => path.join(dir, name));
    if (files.every((file) => existsSync(file))) {
      const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
      const publicKeyFile = path.join(dir, PUBLIC_KEY_SIGNING_KEY_FILE);
      if (!existsSync(publicKeyFile)) writeFileSync(publicKeyFile, generateRsaKey(), { mode: 0o600 });
      return describeKeys(
        read(WECHATPAY_KEY_FILES.merchantPrivateKey),
        read(WECHATPAY_KEY_FILES.merchantCert),
        read(WECHATPAY_KEY_FILES.platformPrivateKey),
        read(WECHATPAY_KEY_FILES.platformCert),
        read(WECHATPAY_KEY_FILES.apiV3Key).trim(),
        read(PUBLIC_KEY_SIGNING_KEY_FILE),
      );
    }
  }
  const merchant = generateIdentity('1900000001_emulated_merchant');
  const platform = generateIdentity('Tenpay.com Root CA (emulated WeChat Pay platform)');
  const apiV3Key = randomAlphanumeric(32);
  const publicKeyPrivateKeyPem = generateRsaKey();
  if (dir) {
    mkdirSync(dir, { recursive: true });
    const write = (name: string, content: string) => writeFileSync(path.join(dir, name), content, { mode: 0o600 });
    write(WECHATPAY_KEY_FILES.merchantPrivateKey, merchant.privateKeyPem);
    write(WECHATPAY_KEY_FILES.merchantCert, merchant.certPem);
    write(WECHATPAY_KEY_FILES.platformPrivateKey, platform.privateKeyPem);
    write(WECHATPAY_KEY_FILES.platformCert, platform.certPem);
    write(WECHATPAY_KEY_FILES.apiV3Key, `${apiV3Key}\n`);
    write(PUBLIC_KEY_SIGNING_KEY_FILE, publicKeyPrivateKeyPem);
  }
  return describeKeys(merchant.privateKeyPem, merchant.certPem, platform.privateKeyPem, platform.certPem, apiV3Key, publicKeyPrivateKeyPem);
}

function describeKeys(
  merchantPrivateKeyPem: string,
  merchantCertPem: string,
  platformPrivateKeyPem: string,
  platformCertPem: string,
  apiV3Key: string,
  publicKeyPrivateKeyPem: string,
): WechatPayKeys {
  const platformCert = new X509Certificate(platformCertPem);
  const platformPublicKeyPem = createPublicKey(publicKeyPrivateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  // Real ids look like PUB_KEY_ID_0114232134912410000000000000; derive a stable one from the key.
  const keyDigits = BigInt(`0x${createHash('sha256').update(platformPublicKeyPem).digest('hex').slice(0, 20)}`).toString().padStart(24, '0');
  return {
    merchantPrivateKeyPem,
    merchantCertPem,
    merchantSerialNo: new X509Certificate(merchantCertPem).serialNumber.toUpperCase(),
    platformPrivateKeyPem,
    platformCertPem,
    platformSerialNo: platformCert.serialNumber.toUpperCase(),
    publicKeyPrivateKeyPem,
    platformPublicKeyPem,
    platformPublicKeyId: `PUB_KEY_ID_01${keyDigits.slice(0, 24)}`,
    apiV3Key,
  };
}

/** RSA-2048 from Node (fast, native); node-forge only builds the self-signed X.509 certificate around it. */
function generateIdentity(commonName: string): { privateKeyPem: string; certPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // 20 random bytes with the top bit clear, so the DER integer stays positive (40 hex digits, like WeChat's).
  const serial = randomBytes(20);
  serial[0] = (serial[0]! & 0x7f) | 0x10;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
  const subject = [
    { shortName: 'C', value: 'CN' },
    { shortName: 'O', value: 'membercard emulator' },
    { name: 'commonName', value: commonName },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { privateKeyPem: privateKey, certPem: forge.pki.certificateToPem(cert) };
}

function generateRsaKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function randomAlphanumeric(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}
