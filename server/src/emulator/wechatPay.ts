import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { parseJsonObject, readRawBody, type EmulatorContext } from './context';
import { chinaTime, parseAuthorization, sealResource, signAsWechatpay, verifyMerchantSignature, verifyPaySign } from './payCrypto';
import type { EmulatedOrder, EmulatedRefund, NotificationAttempt, NotificationDelivery } from './store';

const OUT_TRADE_NO_PATTERN = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO_PATTERN = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const RFC3339_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';
/** A duplicate follows the accepted delivery after this long (emulated time). */
const DUPLICATE_AFTER_MS = 5_000;

interface SigningKey {
  serial: string;
  privateKeyPem: string;
}

type PayContext = Context & { state: { rawBody?: string; authMchId?: string; signingKey?: SigningKey } };

/** WeChat Pay API v3 (JSAPI orders, query, close, refunds, certificates) and the shopper's "pay" tap. */
export function registerWechatPayRoutes(router: Router, emulator: EmulatorContext): void {
  const { options, keys, store, stats } = emulator;
  const merchantPublicKey = new X509Certificate(keys.merchantCertPem).publicKey;
  const mode = options.signingMode;
  const certificateKey: SigningKey = { serial: keys.platformSerialNo, privateKeyPem: keys.platformPrivateKeyPem };
  const publicKeyKey: SigningKey = { serial: keys.platformPublicKeyId, privateKeyPem: keys.publicKeyPrivateKeyPem };
  /** Deterministic "every 1/rate-th" counters for duplicates, probes and (when switching) the notification key. */
  const counters = { duplicates: 0, probes: 0, notifications: 0 };

  /**
   * The key an API answer is signed with: the one the request's Wechatpay-Serial names (WeChat Pay's rule
   * during a switch); without the header, the platform certificate unless the merchant has only a public
   * key. null when the header names a key this merchant does not have.
   */
  const answerKeyFor = (requested: string | undefined): SigningKey | null => {
    if (!requested) return mode === 'publicKey' ? publicKeyKey : certificateKey;
    const upper = requested.toUpperCase();
    if (upper === publicKeyKey.serial.toUpperCase() && mode !== 'certificate') return publicKeyKey;
    if (upper === certificateKey.serial.toUpperCase() && mode !== 'publicKey') return certificateKey;
    return null;
  };
  /** Notifications: the merchant's one key, or during a switch the two keys in turn (WeChat mixes them for ~7 days). */
  const notificationKey = (): SigningKey => {
    if (mode === 'certificate') return certificateKey;
    if (mode === 'publicKey') return publicKeyKey;
    counters.notifications += 1;
    return counters.notifications % 2 === 1 ? publicKeyKey : certificateKey;
  };

  /** Every v3 answer, errors included, is signed like WeChat Pay's. */
  const answer = (ctx: PayContext, status: number, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const key = ctx.state.signingKey ?? answerKeyFor(undefined)!;
    ctx.status = status;
    ctx.set({ ...signAsWechatpay(text, key.privateKeyPem, key.serial) });
    ctx.set('Request-ID', randomUUID());
    if (body === undefined) {
      ctx.body = null;
    } else {
      ctx.type = 'application/json';
      ctx.body = text;
    }
  };
  const fail = (ctx: PayContext, status: number, code: string, message: string) => answer(ctx, status, { code, message });

  /** Checks the merchant's Authorization header against the exact bytes received. */
  const requireMerchantSignature = async (ctx: PayContext, next: Next) => {
    stats.payApiRequests += 1;
    const rawBody = await readRawBody(ctx);
    const requestedSerial = ctx.get('Wechatpay-Serial') || undefined;
    stats.payRequestSerials[requestedSerial ?? ''] = (stats.payRequestSerials[requestedSerial ?? ''] ?? 0) + 1;
    const signingKey = answerKeyFor(requestedSerial);
    if (!signingKey) return fail(ctx, 400, 'PARAM_ERROR', `Wechatpay-Serial ${requestedSerial} 不是本商户可用的微信支付公钥或平台证书`);
    ctx.state.signingKey = signingKey;
    const auth = parseAuthorization(ctx.get('Authorization'));
    if (!auth) return fail(ctx, 401, 'SIGN_ERROR', 'Authorization header missing or malformed');
    if (auth.mchid !== options.mchId) return fail(ctx, 401, 'SIGN_ERROR', `mchid ${auth.mchid} is not this merchant`);
    if (auth.serial_no.toUpperCase() !== keys.merchantSerialNo) return fail(ctx, 401, 'SIGN_ERROR', `unknown merchant certificate serial_no ${auth.serial_no}`);
    if (!/^\d+$/.test(auth.timestamp) || Math.abs(Date.now() / 1000 - Number(auth.timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
      return fail(ctx, 401, 'SIGN_ERROR', 'timestamp is too far from now');
    }
    // The merchant signed the path as WeChat Pay sees it, without our mount prefix.
    const signedPath = ctx.originalUrl.replace(/^.*?\/__emulator(?=\/)/, '');
    if (!verifyMerchantSignature(auth, ctx.method, signedPath, rawBody, merchantPublicKey)) {
      return fail(ctx, 401, 'SIGN_ERROR', 'signature does not verify with the merchant certificate');
    }
    ctx.state.rawBody = rawBody;
    ctx.state.authMchId = auth.mchid;
    return next();
  };

  const jsonBodyOf = (ctx: PayContext): Record<string, unknown> | null => parseJsonObject(ctx.state.rawBody ?? '');

  const transactionView = (order: EmulatedOrder) => ({
    appid: order.appid,
    mchid: order.mchid,
    out_trade_no: order.out_trade_no,
    ...(order.transaction_id ? { transaction_id: order.transaction_id } : {}),
    trade_type: 'JSAPI',
    trade_state: order.trade_state,
    trade_state_desc: TRADE_STATE_DESC[order.trade_state],
    ...(order.transaction_id ? { bank_type: 'OTHERS' } : {}),
    attach: order.attach ?? '',
    ...(order.success_time ? { success_time: order.success_time } : {}),
    payer: { openid: order.openid },
    amount: order.transaction_id
      ? { total: order.total, payer_total: order.total, currency: 'CNY', payer_currency: 'CNY' }
      : { total: order.total, currency: 'CNY', payer_currency: 'CNY' },
  });

  const refundView = (refund: EmulatedRefund) => ({
    refund_id: refund.refund_id,
    out_refund_no: refund.out_refund_no,
    transaction_id: refund.transaction_id,
    out_trade_no: refund.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    status: refund.status,
    create_time: refund.create_time,
    ...(refund.success_time ? { success_time: refund.success_time } : {}),
    amount: {
      total: refund.total,
      refund: refund.refund,
      payer_total: refund.total,
      payer_refund: refund.refund,
      settlement_refund: refund.refund,
      settlement_total: refund.total,
      discount_refund: 0,
      currency: 'CNY',
      refund_fee: 0,
    },
  });

  /** One POST of a notification body with the given signature headers; never throws. */
  const post = async (url: string, envelope: string, signature: Record<string, string>): Promise<NotificationAttempt> => {
    const at = new Date().toISOString();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/4.0 (emulated WeChat Pay notification)', ...signature },
        body: envelope,
        signal: AbortSignal.timeout(options.notifyTimeoutMs),
      });
      await response.arrayBuffer();
      return { at, status: response.status };
    } catch (error) {
      return { at, error: (error as Error).message };
    }
  };
  const isOk = (attempt: NotificationAttempt) => attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;

  /**
   * Delivers a signed notification with an encrypted resource as WeChat Pay does: asynchronously, after
   * `delayMs`; on a non-2xx answer again on WeChat's retry schedule (each attempt signed afresh, the same
   * notification id); now and then once more after a 2xx; and now and then preceded by a SIGNTEST probe
   * whose signature is deliberately wrong. Returns the delivery record, updated as attempts happen.
   */
  const deliver = (
    url: string,
    eventType: string,
    summary: string,
    originalType: 'transaction' | 'refund',
    resource: object,
    ids: { outTradeNo: string; outRefundNo?: string },
    delayMs: number,
  ): NotificationDelivery => {
    const notificationId = randomUUID();
    const envelope = JSON.stringify({
      id: notificationId,
      create_time: chinaTime(),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: { original_type: originalType, ...sealResource(JSON.stringify(resource), keys.apiV3Key, originalType) },
    });
    const key = notificationKey();
    const delivery: NotificationDelivery = { notificationId, eventType, url, ...ids, serial: key.serial, delivered: false, attempts: [], probes: [], duplicates: [] };
    store.recordDelivery(delivery);
    const signed = () => ({ ...signAsWechatpay(envelope, key.privateKeyPem, key.serial) });
    const probeFirst = everyNth(options.signatureProbeRate, counters.probes++);

    const attempt = async (index: number): Promise<void> => {
      stats.notificationAttempts += 1;
      const result = await post(url, envelope, signed());
      delivery.attempts.push(result);
      if (isOk(result)) {
        delivery.delivered = true;
        if (everyNth(options.duplicateRate, counters.duplicates++)) {
          emulator.schedule(DUPLICATE_AFTER_MS, async () => {
            stats.duplicateNotifications += 1;
            (delivery.duplicates ??= []).push(await post(url, envelope, signed()));
            store.save();
          });
        }
      } else if (index < options.notifyRetryDelaysMs.length) {
        emulator.schedule(options.notifyRetryDelaysMs[index]!, () => attempt(index + 1));
      }
      store.save();
    };

    emulator.schedule(delayMs, async () => {
      if (probeFirst) {
        stats.signatureProbes += 1;
        const probe = await post(url, envelope, { ...signed(), 'Wechatpay-Signature': `${SIGNTEST_PREFIX}${randomBytes(192).toString('base64')}` });
        if (isOk(probe)) stats.signatureProbesAccepted += 1;
        (delivery.probes ??= []).push(probe);
      }
      await attempt(0);
    });
    return delivery;
  };

  router.post('/v3/pay/transactions/jsapi', requireMerchantSignature, (ctx: PayContext) => {
    const body = jsonBodyOf(ctx);
    if (!body) return fail(ctx, 400, 'PARAM_ERROR', 'body is not a JSON object');
    const problem = jsapiOrderProblem(body, options.appId, ctx.state.authMchId!);
    if (problem) return fail(ctx, 400, problem.code, problem.message);
    const amount = body.amount as { total: number };
    const payer = body.payer as { openid: string };
    const outTradeNo = body.out_trade_no as string;
    const existing = store.state.orders[outTradeNo];
    if (existing) {
      if (existing.trade_state === 'SUCCESS' || existing.trade_state === 'REFUND') return fail(ctx, 400, 'ORDERPAID', '该订单已支付');
      if (existing.trade_state === 'CLOSED') return fail(ctx, 400, 'ORDERCLOSED', '订单已关闭');
      const same = existing.total === amount.total && existing.description === body.description && existing.openid === payer.openid;
      if (!same) return fail(ctx, 400, 'INVALID_REQUEST', '201 商户订单号重复');
      // Placing the same order again yields the same prepay_id.
      return answer(ctx, 200, { prepay_id: existing.prepay_id });
    }
    const order: EmulatedOrder = {
      appid: body.appid as string,
      mchid: body.mchid as string,
      description: body.description as string,
      out_trade_no: outTradeNo,
      notify_url: body.notify_url as string,
      total: amount.total,
      openid: payer.openid,
      ...(typeof body.time_expire === 'string' ? { time_expire: body.time_expire } : {}),
      ...(typeof body.attach === 'string' ? { attach: body.attach } : {}),
      prepay_id: `wx${compactChinaTime()}${randomBytes(9).toString('hex')}`.slice(0, 36),
      created_at: chinaTime(),
      trade_state: 'NOTPAY',
      refunded: 0,
    };
    store.state.orders[outTradeNo] = order;
    store.save();
    answer(ctx, 200, { prepay_id: order.prepay_id });
  });

  router.get('/v3/pay/transactions/out-trade-no/:outTradeNo', requireMerchantSignature, (ctx: PayContext) => {
    if (ctx.query.mchid !== options.mchId) return fail(ctx, 400, 'PARAM_ERROR', 'mchid missing or not this merchant');
    const order = store.state.orders[ctx.params.outTradeNo!];
    if (!order) return fail(ctx, 404, 'ORDER_NOT_EXIST', '订单不存在');
    answer(ctx, 200, transactionView(order));
  });

  router.post('/v3/pay/transactions/out-trade-no/:outTradeNo/close', requireMerchantSignature, (ctx: PayContext) => {
    const body = jsonBodyOf(ctx);
    if (!body || body.mchid !== options.mchId) return fail(ctx, 400, 'PARAM_ERROR', 'mchid missing or not this merchant');
    const order = store.state.orders[ctx.params.outTradeNo!];
    if (!order) return fail(ctx, 404, 'ORDER_NOT_EXIST', '订单不存在');
    if (order.trade_state === 'SUCCESS' || order.trade_state === 'REFUND') return fail(ctx, 400, 'ORDERPAID', '该订单已支付');
    order.trade_state = 'CLOSED';
    store.save();
    answer(ctx, 204);
  });

  router.post('/v3/refund/domestic/refunds', requireMerchantSignature, (ctx: PayContext) => {
    const body = jsonBodyOf(ctx);
    if (!body) return fail(ctx, 400, 'PARAM_ERROR', 'body is not a JSON object');
    const amount = body.amount as { refund?: unknown; total?: unknown; currency?: unknown } | undefined;
    if (typeof body.out_refund_no !== 'string' || !OUT_REFUND_NO_PATTERN.test(body.out_refund_no)) {
      return fail(ctx, 400, 'PARAM_ERROR', 'out_refund_no must be 1–64 of [0-9A-Za-z_-|*@]');
    }
    if (!amount || !isPositiveInteger(amount.refund) || !isPositiveInteger(amount.total) || amount.currency !== 'CNY') {
      return fail(ctx, 400, 'PARAM_ERROR', 'amount must be {refund, total} in integer fen with currency CNY');
    }
    if (body.notify_url !== undefined && !isAcceptableNotifyUrl(body.notify_url)) {
      return fail(ctx, 400, 'PARAM_ERROR', 'notify_url must be an https URL without a query');
    }
    const order =
      typeof body.out_trade_no === 'string'
        ? store.state.orders[body.out_trade_no]
        : Object.values(store.state.orders).find((candidate) => candidate.transaction_id === body.transaction_id);
    if (!order) return fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    const existing = store.state.refunds[body.out_refund_no];
    if (existing) {
      if (existing.refund !== amount.refund || existing.out_trade_no !== order.out_trade_no) {
        return fail(ctx, 400, 'INVALID_REQUEST', '退款单号重复，且退款金额或订单与之前请求不一致');
      }
      return answer(ctx, 200, refundView(existing));
    }
    if (!order.transaction_id) return fail(ctx, 400, 'INVALID_REQUEST', '订单未支付，不能退款');
    if (amount.total !== order.total) return fail(ctx, 400, 'INVALID_REQUEST', '订单金额与原订单金额不一致');
    if (order.refunded + (amount.refund as number) > order.total) return fail(ctx, 403, 'NOT_ENOUGH', '申请退款金额超过订单可退金额');
    const refund: EmulatedRefund = {
      refund_id: `5030${digits(25)}`,
      out_refund_no: body.out_refund_no,
      out_trade_no: order.out_trade_no,
      transaction_id: order.transaction_id,
      ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
      notify_url: typeof body.notify_url === 'string' ? body.notify_url : order.notify_url,
      refund: amount.refund as number,
      total: order.total,
      status: 'PROCESSING',
      create_time: chinaTime(),
    };
    order.refunded += refund.refund;
    order.trade_state = 'REFUND';
    store.state.refunds[refund.out_refund_no] = refund;
    // How this refund ends: SUCCESS unless a test asked for ABNORMAL or CLOSED (POST /refunds/outcome).
    refund.outcome = store.state.refundOutcomes?.[order.out_trade_no] ?? 'SUCCESS';
    delete store.state.refundOutcomes?.[order.out_trade_no];
    store.save();
    // Like WeChat Pay: the answer says PROCESSING; the outcome and its notification follow.
    emulator.schedule(options.refundDelayMs, () => finishRefund(refund));
    answer(ctx, 200, refundView(refund));
  });

  /** A refund leaves PROCESSING for its planned outcome, and WeChat Pay notifies the merchant. */
  async function finishRefund(refund: EmulatedRefund): Promise<void> {
    if (refund.status !== 'PROCESSING') return;
    const order = store.state.orders[refund.out_trade_no]!;
    const outcome = refund.outcome ?? 'SUCCESS';
    refund.status = outcome;
    if (outcome === 'SUCCESS') refund.success_time = chinaTime();
    if (outcome === 'CLOSED') {
      // A closed refund never left the merchant's account: the order is refundable again.
      order.refunded -= refund.refund;
      if (order.refunded === 0) order.trade_state = 'SUCCESS';
    }
    store.save();
    deliver(
      refund.notify_url,
      `REFUND.${outcome}`,
      REFUND_SUMMARY[outcome],
      'refund',
      {
        mchid: options.mchId,
        out_trade_no: refund.out_trade_no,
        transaction_id: refund.transaction_id,
        out_refund_no: refund.out_refund_no,
        refund_id: refund.refund_id,
        refund_status: outcome,
        ...(refund.success_time ? { success_time: refund.success_time } : {}),
        user_received_account: '支付用户零钱',
        amount: { total: refund.total, refund: refund.refund, payer_total: refund.total, payer_refund: refund.refund },
      },
      { outTradeNo: refund.out_trade_no, outRefundNo: refund.out_refund_no },
      0,
    );
  }

  // A demo restart drops the timers: refunds it left PROCESSING end as planned after the usual wait (a query
  // would otherwise say PROCESSING for ever, and the merchant's settling job could never finish them).
  for (const refund of Object.values(store.state.refunds)) {
    if (refund.status === 'PROCESSING') emulator.schedule(options.refundDelayMs, () => finishRefund(refund));
  }

  // Not WeChat Pay's API: decides how the next refund of an order ends, so tests can produce REFUND.ABNORMAL
  // (the shopper's bank card refused the money) and REFUND.CLOSED.
  router.post('/refunds/outcome', async (ctx) => {
    const body = parseJsonObject((await readRawBody(ctx)) || '{}');
    const outTradeNo = body?.out_trade_no;
    const status = body?.status;
    if (typeof outTradeNo !== 'string' || !OUT_TRADE_NO_PATTERN.test(outTradeNo) || !['SUCCESS', 'ABNORMAL', 'CLOSED'].includes(status as string)) {
      ctx.status = 400;
      ctx.body = { code: 'PARAM_ERROR', message: 'expected {out_trade_no, status: SUCCESS|ABNORMAL|CLOSED}' };
      return;
    }
    (store.state.refundOutcomes ??= {})[outTradeNo] = status as 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
    store.save();
    ctx.status = 204;
  });

  router.get('/v3/refund/domestic/refunds/:outRefundNo', requireMerchantSignature, (ctx: PayContext) => {
    const refund = store.state.refunds[ctx.params.outRefundNo!];
    if (!refund) return fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    answer(ctx, 200, refundView(refund));
  });

  router.get('/v3/certificates', requireMerchantSignature, (ctx: PayContext) => {
    stats.certificateRequests += 1;
    // A merchant with only a WeChat Pay public key has no platform certificate to download.
    if (mode === 'publicKey') return fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '商户未开通平台证书，请使用微信支付公钥验签');
    const certificate = new X509Certificate(keys.platformCertPem);
    answer(ctx, 200, {
      data: [
        {
          serial_no: keys.platformSerialNo,
          effective_time: chinaTime(new Date(certificate.validFrom)),
          expire_time: chinaTime(new Date(certificate.validTo)),
          encrypt_certificate: sealResource(keys.platformCertPem, keys.apiV3Key, 'certificate'),
        },
      ],
    });
  });

  // The shopper confirms the payment in WeChat. Not part of WeChat Pay's API: this stands in for the
  // wx.requestPayment sheet. It answers at once; the notification follows asynchronously (see deliver).
  // `?deliver=false` pays without notifying (the merchant must then query).
  router.post('/pay/:prepayId', async (ctx) => {
    const order = Object.values(store.state.orders).find((candidate) => candidate.prepay_id === ctx.params.prepayId);
    if (!order) {
      ctx.status = 404;
      ctx.body = { code: 'ORDER_NOT_EXIST', message: 'no order has this prepay_id' };
      return;
    }
    const requestPayment = parseJsonObject((await readRawBody(ctx)) || '{}') ?? {};
    if (typeof requestPayment.paySign === 'string') {
      // When the caller passes the wx.requestPayment params, check them as the WeChat client would.
      const valid =
        requestPayment.package === `prepay_id=${order.prepay_id}` &&
        verifyPaySign(
          {
            appId: order.appid,
            timeStamp: String(requestPayment.timeStamp),
            nonceStr: String(requestPayment.nonceStr),
            package: String(requestPayment.package),
            paySign: requestPayment.paySign,
          },
          merchantPublicKey,
        );
      if (!valid) {
        ctx.status = 400;
        ctx.body = { code: 'SIGN_ERROR', message: 'paySign does not verify' };
        return;
      }
    }
    if (order.trade_state !== 'NOTPAY') {
      ctx.status = 409;
      ctx.body = { code: order.trade_state === 'CLOSED' ? 'ORDERCLOSED' : 'ORDERPAID', message: `order is ${order.trade_state}` };
      return;
    }
    if (order.time_expire && Date.parse(order.time_expire) <= Date.now()) {
      ctx.status = 409;
      ctx.body = { code: 'ORDER_EXPIRED', message: `time_expire ${order.time_expire} has passed` };
      return;
    }
    order.trade_state = 'SUCCESS';
    order.transaction_id = `4200${digits(24)}`;
    order.success_time = chinaTime();
    store.save();
    const transaction = transactionView(order);
    const notification =
      ctx.query.deliver === 'false'
        ? null
        : deliver(order.notify_url, 'TRANSACTION.SUCCESS', '支付成功', 'transaction', transaction, { outTradeNo: order.out_trade_no }, options.notifyDelayMs);
    ctx.body = { transaction, notification };
  });

  router.get('/notifications', (ctx) => {
    const outTradeNo = typeof ctx.query.out_trade_no === 'string' ? ctx.query.out_trade_no : undefined;
    ctx.body = { deliveries: store.state.deliveries.filter((delivery) => !outTradeNo || delivery.outTradeNo === outTradeNo) };
  });
}

const TRADE_STATE_DESC: Record<EmulatedOrder['trade_state'], string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '订单已关闭',
};

function jsapiOrderProblem(body: Record<string, unknown>, appId: string, authMchId: string): { code: string; message: string } | null {
  const param = (message: string) => ({ code: 'PARAM_ERROR', message });
  if (body.appid !== appId || body.mchid !== authMchId) return { code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配' };
  if (typeof body.description !== 'string' || body.description.length === 0 || body.description.length > 127) {
    return param('description must be 1–127 characters');
  }
  if (typeof body.out_trade_no !== 'string' || !OUT_TRADE_NO_PATTERN.test(body.out_trade_no)) {
    return param('out_trade_no must be 6–32 of [0-9A-Za-z_-|*]');
  }
  if (!isAcceptableNotifyUrl(body.notify_url)) return param('notify_url must be an https URL without a query');
  const amount = body.amount as { total?: unknown; currency?: unknown } | undefined;
  if (!amount || !isPositiveInteger(amount.total)) return param('amount.total must be a positive integer number of fen');
  if (amount.currency !== undefined && amount.currency !== 'CNY') return param('amount.currency must be CNY');
  const payer = body.payer as { openid?: unknown } | undefined;
  if (!payer || typeof payer.openid !== 'string' || payer.openid.length === 0) return param('payer.openid is required');
  if (body.time_expire !== undefined && (typeof body.time_expire !== 'string' || !RFC3339_PATTERN.test(body.time_expire))) {
    return param('time_expire must be RFC 3339');
  }
  if (body.attach !== undefined && (typeof body.attach !== 'string' || body.attach.length > 128)) return param('attach must be ≤128 characters');
  return null;
}

/**
 * https without a query, as WeChat Pay requires. Simplification: plain http is accepted for loopback
 * hosts, because the demo and the tests run the server on 127.0.0.1 without TLS.
 */
function isAcceptableNotifyUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.search) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function digits(count: number): string {
  let out = '';
  while (out.length < count) out += BigInt(`0x${randomBytes(8).toString('hex')}`).toString();
  return out.slice(0, count);
}

function compactChinaTime(): string {
  return chinaTime().slice(0, 19).replace(/\D/g, '');
}

/** True for every 1/rate-th index (0-based): deterministic, so tests know which deliveries repeat. */
function everyNth(rate: number, index: number): boolean {
  return rate > 0 && Math.floor((index + 1) * rate + 1e-9) > Math.floor(index * rate + 1e-9);
}

const REFUND_SUMMARY: Record<'SUCCESS' | 'ABNORMAL' | 'CLOSED', string> = {
  SUCCESS: '退款成功',
  ABNORMAL: '退款异常',
  CLOSED: '退款关闭',
};

