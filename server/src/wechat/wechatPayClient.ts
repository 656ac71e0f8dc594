import { createDecipheriv, createPublicKey, createSign, createVerify, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import Pay from 'wechatpay-node-v3';
import { WeChatPayApiError, WeChatPaySignatureError, WeChatTransportError } from './errors';

/** The host wechatpay-node-v3 hard-codes; our request service swaps it for the configured base URL. */
const WECHATPAY_LIBRARY_HOST = 'https://api.mch.weixin.qq.com';
const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';

export interface WeChatPayClientOptions {
  /** `https://api.mch.weixin.qq.com` in production. */
  baseUrl: string;
  appId: string;
  mchId: string;
  merchantPrivateKeyPem: string;
  /** apiclient_cert.pem; its serial number is the merchant serial_no of every Authorization header. */
  merchantCertPem: string;
  /** 32-character APIv3 key (decrypts notification resources and downloaded certificates). */
  apiV3Key: string;
  /** Platform certificates by serial number (Wechatpay-Serial). */
  platformCertificates?: Record<string, string>;
  /**
   * The "WeChat Pay public key" mode (`PUB_KEY_ID_…`, what new merchants get). With it every request
   * carries `Wechatpay-Serial: <id>` so WeChat Pay signs its answers with this key, and /v3/certificates is
   * never asked (it answers 404/403 to such merchants). With platformCertificates too (a merchant mid-switch),
   * notifications signed with either are accepted, the key chosen by their Wechatpay-Serial.
   */
  platformPublicKey?: { id: string; pem: string };
  /** Where WeChat Pay posts payment notifications (https, no query). */
  notifyUrl: string;
  /** Where refund notifications go; defaults to notifyUrl. */
  refundNotifyUrl?: string;
  /** Check Wechatpay-Signature on API answers too (the library does not). Default true. */
  verifyResponseSignatures?: boolean;
  /** Refuse notifications whose Wechatpay-Timestamp is further than this from now (replays). Default 300. */
  maxNotificationAgeSeconds?: number;
  timeoutMs?: number;
}

export interface RequestPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

export interface JsapiPrepayInput {
  outTradeNo: string;
  description: string;
  amountFen: number;
  openid: string;
  /** RFC 3339, e.g. 2024-06-08T10:34:56+08:00. */
  timeExpire?: string;
  attach?: string;
}

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

/** A transaction as WeChat Pay describes it (query answer and TRANSACTION.* notification resource). */
export interface WeChatPayTransaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type?: string;
  trade_state: TradeState;
  trade_state_desc: string;
  bank_type?: string;
  attach?: string;
  success_time?: string;
  payer?: { openid: string };
  amount?: { total?: number; payer_total?: number; currency?: string; payer_currency?: string };
}

export type RefundStatus = 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';

export interface WeChatPayRefund {
  refund_id: string;
  out_refund_no: string;
  transaction_id: string;
  out_trade_no: string;
  channel?: string;
  user_received_account?: string;
  status: RefundStatus;
  create_time?: string;
  success_time?: string;
  amount: { total: number; refund: number; payer_total?: number; payer_refund?: number; currency?: string };
}

/** The resource of a REFUND.* notification. */
export interface WeChatPayRefundNotice {
  mchid: string;
  out_trade_no: string;
  transaction_id: string;
  out_refund_no: string;
  refund_id: string;
  refund_status: RefundStatus;
  success_time?: string;
  user_received_account?: string;
  amount: { total: number; refund: number; payer_total: number; payer_refund: number };
}

export interface WeChatPayNotification<Resource = Record<string, unknown>> {
  id: string;
  createTime: string;
  /** TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED … */
  eventType: string;
  summary: string;
  /** `transaction` or `refund`. */
  originalType: string;
  resource: Resource;
}

type PayRequestService = Parameters<Pay['createHttp']>[0];
type LibraryOutput = Awaited<ReturnType<PayRequestService['get']>>;

interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  associated_data?: string;
  nonce: string;
  original_type?: string;
}

/**
 * WeChat Pay API v3 client on top of wechatpay-node-v3, which builds and signs the requests. The library
 * hard-codes its host, so `createHttp` gets a fetch-based service that sends to the configured base URL
 * (the signature covers only the path, so it stays valid) and verifies the Wechatpay-Signature of every
 * answer. Notifications are verified and decrypted here rather than with the library's verifySign,
 * because that keeps platform keys in a process-wide static map, has no public-key mode and no
 * SIGNTEST handling.
 */
export class WeChatPayClient {
  private readonly pay: Pay;
  private readonly baseUrl: string;
  private readonly platformKeys = new Map<string, KeyObject>();
  private readonly verifyResponseSignatures: boolean;
  private readonly maxNotificationAgeSeconds: number;
  private readonly timeoutMs: number;
  private lastCertificateDownload = 0;

  constructor(private readonly options: WeChatPayClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.verifyResponseSignatures = options.verifyResponseSignatures ?? true;
    this.maxNotificationAgeSeconds = options.maxNotificationAgeSeconds ?? 300;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    for (const [serial, pem] of Object.entries(options.platformCertificates ?? {})) {
      this.platformKeys.set(serial.toUpperCase(), new X509Certificate(pem).publicKey);
    }
    if (options.platformPublicKey) {
      this.platformKeys.set(options.platformPublicKey.id.toUpperCase(), createPublicKey(options.platformPublicKey.pem));
    }
    this.pay = new Pay({
      appid: options.appId,
      mchid: options.mchId,
      publicKey: Buffer.from(options.merchantCertPem),
      privateKey: Buffer.from(options.merchantPrivateKeyPem),
      serial_no: new X509Certificate(options.merchantCertPem).serialNumber,
      key: options.apiV3Key,
      userAgent: 'membercard-server',
    });
    this.pay.createHttp(this.createRequestService());
  }

  /** Places a JSAPI order and returns the wx.requestPayment parameters with a real RSA paySign. */
  async jsapiPrepay(input: JsapiPrepayInput): Promise<{ prepayId: string; requestPayment: RequestPaymentParams }> {
    const result = await this.pay.transactions_jsapi({
      description: input.description,
      out_trade_no: input.outTradeNo,
      notify_url: this.options.notifyUrl,
      amount: { total: input.amountFen, currency: 'CNY' },
      payer: { openid: input.openid },
      ...(input.timeExpire ? { time_expire: input.timeExpire } : {}),
      ...(input.attach !== undefined ? { attach: input.attach } : {}),
    });
    const data = this.expectStatus<{ prepay_id?: string; package?: string }>(result, 'transactions_jsapi', [200]);
    // The library replaces the answer with its own requestPayment params (prepay_id only inside `package`);
    // we sign our own with a crypto-random nonce either way.
    const prepayId = data.prepay_id ?? data.package?.replace(/^prepay_id=/, '');
    if (!prepayId) throw new WeChatTransportError('jsapi prepay answered without prepay_id', 'transactions_jsapi', result.status);
    return { prepayId, requestPayment: this.buildRequestPayment(prepayId) };
  }

  /** paySign = SHA256withRSA(`appId\ntimeStamp\nnonceStr\npackage\n`) with the merchant key. */
  buildRequestPayment(prepayId: string): RequestPaymentParams {
    const timeStamp = String(Math.floor(Date.now() / 1000));
    const nonceStr = randomBytes(16).toString('hex');
    const pkg = `prepay_id=${prepayId}`;
    const paySign = createSign('RSA-SHA256')
      .update(`${this.options.appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`)
      .sign(this.options.merchantPrivateKeyPem, 'base64');
    return { timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
  }

  /** Throws WeChatPayApiError (404, code ORDER_NOT_EXIST) for an order WeChat Pay does not know. */
  async queryByOutTradeNo(outTradeNo: string): Promise<WeChatPayTransaction> {
    const result = await this.pay.query({ out_trade_no: outTradeNo });
    return this.expectStatus<WeChatPayTransaction>(result, 'query', [200]);
  }

  async closeOrder(outTradeNo: string): Promise<void> {
    const result = await this.pay.close(outTradeNo);
    this.expectStatus(result, 'close', [200, 204]);
  }

  async refund(input: { outTradeNo: string; outRefundNo: string; refundFen: number; totalFen: number; reason?: string }): Promise<WeChatPayRefund> {
    const result = await this.pay.refunds({
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      ...(input.reason ? { reason: input.reason } : {}),
      notify_url: this.options.refundNotifyUrl ?? this.options.notifyUrl,
      amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
    });
    return this.expectStatus<WeChatPayRefund>(result as LibraryOutput, 'refunds', [200]);
  }

  /**
   * A v3 call the library has no method for (merchant coupons, …): signed with the library's own
   * getSignature/getAuthorization over the exact JSON sent, sent and answer-verified like every other call.
   * Throws WeChatPayApiError for a non-2xx answer.
   */
  async v3Request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body: Record<string, unknown> | undefined, api: string): Promise<T> {
    const nonce = randomBytes(16).toString('hex');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = this.pay.getSignature(method, nonce, timestamp, path, body ?? '');
    const headers = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'User-Agent': 'membercard-server',
      Authorization: this.pay.getAuthorization(nonce, timestamp, signature),
    };
    const result = await this.send(method, `${WECHATPAY_LIBRARY_HOST}${path}`, headers, body);
    return this.expectStatus<T>(result, api, [200, 204]);
  }

  async queryRefund(outRefundNo: string): Promise<WeChatPayRefund> {
    const result = await this.pay.find_refunds(outRefundNo);
    return this.expectStatus<WeChatPayRefund>(result as LibraryOutput, 'find_refunds', [200]);
  }

  /**
   * Verifies a notification's Wechatpay-* headers against the raw body exactly as received, then
   * decrypts its resource. Throws WeChatPaySignatureError for anything that must be refused.
   */
  async verifyAndDecryptNotification<Resource = Record<string, unknown>>(
    headers: Record<string, string | string[] | undefined>,
    rawBody: string,
  ): Promise<WeChatPayNotification<Resource>> {
    await this.verifySignedMessage(headers, rawBody, 'notification', this.maxNotificationAgeSeconds);
    let envelope: {
      id?: string;
      create_time?: string;
      event_type?: string;
      summary?: string;
      resource_type?: string;
      resource?: EncryptedResource;
    };
    try {
      envelope = JSON.parse(rawBody);
    } catch {
      throw new WeChatPaySignatureError('malformed_body', 'notification body is not JSON');
    }
    if (!envelope.event_type || !envelope.resource || envelope.resource.algorithm !== 'AEAD_AES_256_GCM') {
      throw new WeChatPaySignatureError('malformed_body', 'notification has no AEAD_AES_256_GCM resource');
    }
    const resource = this.decryptResource(envelope.resource) as Resource;
    return {
      id: envelope.id ?? '',
      createTime: envelope.create_time ?? '',
      eventType: envelope.event_type,
      summary: envelope.summary ?? '',
      originalType: envelope.resource.original_type ?? '',
      resource,
    };
  }

  /**
   * Downloads the platform certificates (GET /v3/certificates) and trusts those the answer's own signature
   * proves. Not in public-key mode, where WeChat Pay has no certificates for the merchant.
   */
  async refreshPlatformCertificates(): Promise<string[]> {
    if (this.options.platformPublicKey) throw new Error('public-key mode: WeChat Pay serves no platform certificates to download');
    this.lastCertificateDownload = Date.now();
    const certificates = await this.pay.get_certificates(this.options.apiV3Key);
    return certificates.map((certificate) => certificate.serial_no.toUpperCase());
  }

  private decryptResource(resource: EncryptedResource): unknown {
    try {
      const sealed = Buffer.from(resource.ciphertext, 'base64');
      // AEAD_AES_256_GCM: the last 16 bytes of the ciphertext are the authentication tag.
      const decipher = createDecipheriv('aes-256-gcm', Buffer.from(this.options.apiV3Key, 'utf8'), Buffer.from(resource.nonce, 'utf8'));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
      const plaintext = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString('utf8');
      return JSON.parse(plaintext);
    } catch (error) {
      throw new WeChatPaySignatureError('decrypt_failed', `cannot decrypt resource: ${(error as Error).message}`);
    }
  }

  /** SHA256withRSA over `timestamp\nnonce\nbody\n` with the platform key named by Wechatpay-Serial. */
  private async verifySignedMessage(
    headers: Record<string, string | string[] | undefined>,
    body: string,
    what: string,
    maxAgeSeconds?: number,
    extraKeys?: Map<string, KeyObject>,
  ): Promise<void> {
    const timestamp = headerValue(headers, 'wechatpay-timestamp');
    const nonce = headerValue(headers, 'wechatpay-nonce');
    const signature = headerValue(headers, 'wechatpay-signature');
    const serial = headerValue(headers, 'wechatpay-serial');
    if (!timestamp || !nonce || !signature || !serial) {
      throw new WeChatPaySignatureError('missing_headers', `${what} lacks Wechatpay-* signature headers`);
    }
    // WeChat Pay deliberately sends probes with an invalid signature to check that merchants verify.
    if (signature.startsWith(SIGNTEST_PREFIX)) {
      throw new WeChatPaySignatureError('signtest_probe', `${what} is a WeChat Pay signature probe`);
    }
    // Unix seconds, digits only: Number('') is 0 and Number('1e9') parses, and NaN would slip past the age check.
    if (!/^\d{1,12}$/.test(timestamp)) {
      throw new WeChatPaySignatureError('bad_timestamp', `${what} Wechatpay-Timestamp ${JSON.stringify(timestamp.slice(0, 40))} is not a number`);
    }
    if (maxAgeSeconds !== undefined && Math.abs(Date.now() / 1000 - Number(timestamp)) > maxAgeSeconds) {
      throw new WeChatPaySignatureError('bad_timestamp', `${what} timestamp ${timestamp} is more than ${maxAgeSeconds} s from now`);
    }
    let key = extraKeys?.get(serial.toUpperCase()) ?? this.platformKeys.get(serial.toUpperCase());
    const mayDownloadCertificates = !this.options.platformPublicKey && !serial.startsWith('PUB_KEY_ID_');
    if (!key && !extraKeys && mayDownloadCertificates && Date.now() - this.lastCertificateDownload > 60_000) {
      // A new platform certificate appears during a rotation: download the list once, then look again.
      await this.refreshPlatformCertificates().catch(() => undefined);
      key = this.platformKeys.get(serial.toUpperCase());
    }
    if (!key) throw new WeChatPaySignatureError('unknown_serial', `${what} is signed with unknown serial ${serial}`);
    const valid = createVerify('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`).verify(key, signature, 'base64');
    if (!valid) throw new WeChatPaySignatureError('bad_signature', `${what} signature does not verify`);
  }

  private expectStatus<T>(result: LibraryOutput, api: string, okStatuses: number[]): T {
    if (okStatuses.includes(result.status)) return (result.data ?? {}) as T;
    let code = 'HTTP_ERROR';
    let message = '';
    try {
      const body = JSON.parse(String(result.error ?? '')) as { code?: string; message?: string };
      code = body.code ?? code;
      message = body.message ?? '';
    } catch {
      message = String(result.error ?? '');
    }
    throw new WeChatPayApiError(result.status, code, message, api);
  }

  private createRequestService(): PayRequestService {
    const send = async (method: 'GET' | 'POST', url: string, headers: Record<string, unknown>, body?: Record<string, unknown>) =>
      this.send(method, url, headers, body);
    return {
      get: (url, headers) => send('GET', url, headers),
      post: (url, params, headers) => send('POST', url, headers, params),
      upload: async () => {
        throw new Error('WeChat Pay media upload is not used by this project');
      },
    };
  }

  private async send(
    method: 'GET' | 'POST' | 'PATCH',
    libraryUrl: string,
    libraryHeaders: Record<string, unknown>,
    body?: Record<string, unknown>,
  ): Promise<LibraryOutput> {
    if (!libraryUrl.startsWith(WECHATPAY_LIBRARY_HOST)) throw new Error(`unexpected WeChat Pay URL ${libraryUrl}`);
    const path = libraryUrl.slice(WECHATPAY_LIBRARY_HOST.length);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(libraryHeaders)) {
      // fetch negotiates compression itself.
      if (name.toLowerCase() !== 'accept-encoding') headers[name] = String(value);
    }
    // The library never sends it: in public-key mode it makes WeChat Pay sign its answer with that key.
    if (this.options.platformPublicKey) headers['Wechatpay-Serial'] = this.options.platformPublicKey.id;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        // The library signed JSON.stringify of this same object, so the bytes match the signature.
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new WeChatTransportError(`WeChat Pay ${method} ${path}: ${(error as Error).message}`, path);
    }
    const text = await response.text();
    const responseHeaders = Object.fromEntries(response.headers.entries());
    if (this.verifyResponseSignatures && (response.ok || responseHeaders['wechatpay-signature'])) {
      const certificateKeys = path.startsWith('/v3/certificates') ? this.certificateKeysFrom(text) : undefined;
      await this.verifySignedMessage(responseHeaders, text, `answer to ${method} ${path}`, undefined, certificateKeys);
      // Only once the answer is proven genuine do downloaded certificates become trusted.
      for (const [serial, key] of certificateKeys ?? []) this.platformKeys.set(serial, key);
    }
    if (!response.ok) return { status: response.status, error: text };
    let data: unknown = {};
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        throw new WeChatTransportError(`WeChat Pay ${method} ${path}: answer is not JSON`, path, response.status);
      }
    }
    return { status: response.status, data };
  }

  /** The /v3/certificates answer is signed by one of the certificates it carries. */
  private certificateKeysFrom(text: string): Map<string, KeyObject> {
    const keys = new Map<string, KeyObject>();
    try {
      const body = JSON.parse(text) as { data?: { serial_no: string; encrypt_certificate: EncryptedResource }[] };
      for (const item of body.data ?? []) {
        const sealed = item.encrypt_certificate;
        const decipher = createDecipheriv('aes-256-gcm', Buffer.from(this.options.apiV3Key, 'utf8'), Buffer.from(sealed.nonce, 'utf8'));
        const bytes = Buffer.from(sealed.ciphertext, 'base64');
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        decipher.setAAD(Buffer.from(sealed.associated_data ?? '', 'utf8'));
        const pem = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
        keys.set(item.serial_no.toUpperCase(), new X509Certificate(pem).publicKey);
      }
    } catch (error) {
      throw new WeChatPaySignatureError('decrypt_failed', `cannot read platform certificates: ${(error as Error).message}`);
    }
    return keys;
  }
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
