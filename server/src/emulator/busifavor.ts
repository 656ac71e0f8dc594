// WeChat Pay merchant coupons (商家券) as the emulator plays them (docs/wechat-busifavor.md): the v3 API with the
// merchant's signature checked and every answer signed, the send-coupon plugin (its API v2 signature checked),
// the wallet per openid, use by code, and events (COUPON.SEND, COUPON.USE) signed and AES-GCM-encrypted like
// payment notifications, retried on failure, now and then repeated. Tests can make the next calls of an API fail.
//
//   POST  /v3/marketing/busifavor/callbacks            POST /v3/marketing/busifavor/stocks
//   PATCH /v3/marketing/busifavor/stocks/:id            PATCH /v3/marketing/busifavor/stocks/:id/budget
//   POST  /v3/marketing/busifavor/coupons/use           POST /v3/marketing/busifavor/coupons/return
//   POST  /v3/marketing/busifavor/coupons/deactivate    GET  /v3/marketing/busifavor/users/:openid/coupons/:code/appids/:appid
// Not WeChat's API (what the WeChat app or a test does):
//   POST /busifavor/plugin/send {openid, send_coupon_params, send_coupon_merchant, sign}   (the plugin's tap)
//   POST /busifavor/pay {openid, coupon_code}   (pays at a till with the coupon: COUPON.USE follows)
//   POST /busifavor/failures {api, count, status?, code?, message?}   GET /busifavor/wallet?openid=
//   GET  /busifavor/notifications   POST /busifavor/notifications/:id/redeliver
import { createHash, createHmac, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { parseJsonObject, readRawBody, type EmulatorContext } from './context';
import { chinaTime, parseAuthorization, sealResource, signAsWechatpay, verifyMerchantSignature } from './payCrypto';
import type { EmulatorState, NotificationAttempt } from './store';

const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';
/** WeChat retries busifavor events every 60 s, 11 times in all. */
const EVENT_RETRY_DELAYS_MS = Array.from({ length: 10 }, () => 60_000);
const DUPLICATE_AFTER_MS = 5_000;

interface EmulatedStock {
  stock_id: string;
  out_request_no: string;
  stock_name: string;
  stock_type: string;
  coupon_code_mode: string;
  max_coupons: number;
  max_coupons_per_user: number;
  sent: number;
  body: Record<string, unknown>;
}

interface EmulatedWalletCoupon {
  coupon_code: string;
  stock_id: string;
  openid: string;
  out_request_no: string;
  state: 'SENDED' | 'USED' | 'DEACTIVATED' | 'EXPIRED';
  send_time: string;
  use_time?: string;
  use_request_no?: string;
  transaction_id?: string;
}

interface EventDelivery {
  id: string;
  eventType: string;
  couponCode: string;
  envelope: string;
  delivered: boolean;
  attempts: NotificationAttempt[];
}

interface BusifavorState {
  notifyUrl: string | null;
  stocks: Record<string, EmulatedStock>;
  /** By coupon code. */
  coupons: Record<string, EmulatedWalletCoupon>;
  /** out_request_no of the plugin's sends → coupon code (a repeated send answers the first). */
  sends: Record<string, string>;
  events: EventDelivery[];
  /** The next `count` calls of an API answer this failure. */
  failures: Record<string, { count: number; status: number; code: string; message: string }>;
}

type PayContext = Context & { state: { rawBody?: string; signingKey?: { serial: string; privateKeyPem: string } } };

/** The emulated merchant's API v2 key (the server derives the same: modules/wechat-wallet/busifavor/merchant.ts). */
function apiV2KeyOf(apiV3Key: string): string {
  return createHash('sha256').update(`busifavor-apiv2:${apiV3Key}`).digest('hex').slice(0, 32);
}

export function registerBusifavorRoutes(router: Router, emulator: EmulatorContext): void {
  const { options, keys, store } = emulator;
  const state = ((store.state as EmulatorState & { busifavor?: BusifavorState }).busifavor ??= { notifyUrl: null, stocks: {}, coupons: {}, sends: {}, events: [], failures: {} });
  const merchantPublicKey = new X509Certificate(keys.merchantCertPem).publicKey;
  const apiV2Key = apiV2KeyOf(keys.apiV3Key);
  const certificateKey = { serial: keys.platformSerialNo, privateKeyPem: keys.platformPrivateKeyPem };
  const publicKeyKey = { serial: keys.platformPublicKeyId, privateKeyPem: keys.publicKeyPrivateKeyPem };
  const mode = options.signingMode;
  const counters = { duplicates: 0, probes: 0, events: 0 };
  const notificationKey = () => (mode === 'publicKey' ? publicKeyKey : mode === 'certificate' ? certificateKey : ++counters.events % 2 ? publicKeyKey : certificateKey);

  const answer = (ctx: PayContext, status: number, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const key = ctx.state.signingKey ?? (mode === 'publicKey' ? publicKeyKey : certificateKey);
    ctx.status = status;
    ctx.set({ ...signAsWechatpay(text, key.privateKeyPem, key.serial) });
    ctx.set('Request-ID', randomUUID());
    if (body === undefined) ctx.body = null;
    else {
      ctx.type = 'application/json';
      ctx.body = text;
    }
  };
  const fail = (ctx: PayContext, status: number, code: string, message: string) => answer(ctx, status, { code, message });

  /** The merchant's Authorization over the exact bytes received, as for payments (emulator/wechatPay.ts). */
  const requireMerchantSignature = async (ctx: PayContext, next: Next) => {
    emulator.stats.payApiRequests += 1;
    const rawBody = await readRawBody(ctx);
    const requested = ctx.get('Wechatpay-Serial').toUpperCase();
    ctx.state.signingKey = requested === publicKeyKey.serial.toUpperCase() && mode !== 'certificate' ? publicKeyKey : mode === 'publicKey' ? publicKeyKey : certificateKey;
    const auth = parseAuthorization(ctx.get('Authorization'));
    if (!auth) return fail(ctx, 401, 'SIGN_ERROR', 'Authorization header missing or malformed');
    if (auth.mchid !== options.mchId) return fail(ctx, 401, 'SIGN_ERROR', `mchid ${auth.mchid} is not this merchant`);
    if (auth.serial_no.toUpperCase() !== keys.merchantSerialNo) return fail(ctx, 401, 'SIGN_ERROR', `unknown merchant certificate serial_no ${auth.serial_no}`);
    if (!/^\d+$/.test(auth.timestamp) || Math.abs(Date.now() / 1000 - Number(auth.timestamp)) > MAX_CLOCK_SKEW_SECONDS) return fail(ctx, 401, 'SIGN_ERROR', 'timestamp is too far from now');
    const signedPath = ctx.originalUrl.replace(/^.*?\/__emulator(?=\/)/, '');
    if (!verifyMerchantSignature(auth, ctx.method, signedPath, rawBody, merchantPublicKey)) return fail(ctx, 401, 'SIGN_ERROR', 'signature does not verify with the merchant certificate');
    ctx.state.rawBody = rawBody;
    return next();
  };
  /** A failure a test asked for (POST /busifavor/failures), consumed one call at a time. */
  const injected = (api: string) => async (ctx: PayContext, next: Next) => {
    const failure = state.failures[api];
    if (failure && failure.count > 0) {
      failure.count -= 1;
      store.save();
      return fail(ctx, failure.status, failure.code, failure.message);
    }
    return next();
  };
  const bodyOf = (ctx: PayContext) => parseJsonObject(ctx.state.rawBody ?? '');

  const post = async (url: string, envelope: string, headers: Record<string, string>): Promise<NotificationAttempt> => {
    const at = new Date().toISOString();
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: envelope, signal: AbortSignal.timeout(options.notifyTimeoutMs) });
      await response.arrayBuffer();
      return { at, status: response.status };
    } catch (error) {
      return { at, error: (error as Error).message };
    }
  };
  const ok = (attempt: NotificationAttempt) => attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;
  const everyNth = (rate: number, index: number) => rate > 0 && Math.floor((index + 1) * rate + 1e-9) > Math.floor(index * rate + 1e-9);

  /** An event to the merchant's busifavor URL: async, retried on non-2xx, now and then repeated or preceded by a SIGNTEST probe. */
  const deliver = (eventType: 'COUPON.SEND' | 'COUPON.USE', summary: string, resource: Record<string, unknown>, couponCode: string): EventDelivery | null => {
    const url = state.notifyUrl;
    if (!url) return null;
    const id = randomUUID();
    const envelope = JSON.stringify({
      id, create_time: chinaTime(), resource_type: 'encrypt-resource', event_type: eventType, summary,
      resource: { original_type: 'coupon', ...sealResource(JSON.stringify({ event_type: eventType, ...resource }), keys.apiV3Key, 'coupon') },
    });
    const delivery: EventDelivery = { id, eventType, couponCode, envelope, delivered: false, attempts: [] };
    state.events.push(delivery);
    if (state.events.length > 500) state.events.splice(0, state.events.length - 500);
    const key = notificationKey();
    const signed = () => ({ ...signAsWechatpay(envelope, key.privateKeyPem, key.serial) });
    const probeFirst = everyNth(options.signatureProbeRate, counters.probes++);
    const attempt = async (index: number): Promise<void> => {
      emulator.stats.notificationAttempts += 1;
      const result = await post(url, envelope, signed());
      delivery.attempts.push(result);
      if (ok(result)) {
        delivery.delivered = true;
        if (everyNth(options.duplicateRate, counters.duplicates++)) {
          emulator.schedule(DUPLICATE_AFTER_MS, async () => {
            emulator.stats.duplicateNotifications += 1;
            delivery.attempts.push(await post(url, envelope, signed()));
          });
        }
      } else if (index < EVENT_RETRY_DELAYS_MS.length) {
        emulator.schedule(EVENT_RETRY_DELAYS_MS[index]!, () => attempt(index + 1));
      }
      store.save();
    };
    emulator.schedule(options.notifyDelayMs, async () => {
      if (probeFirst) {
        emulator.stats.signatureProbes += 1;
        const probe = await post(url, envelope, { ...signed(), 'Wechatpay-Signature': `${SIGNTEST_PREFIX}${randomBytes(192).toString('base64')}` });
        if (ok(probe)) emulator.stats.signatureProbesAccepted += 1;
      }
      await attempt(0);
    });
    return delivery;
  };

  router.post('/v3/marketing/busifavor/callbacks', requireMerchantSignature, injected('callbacks'), (ctx: PayContext) => {
    const body = bodyOf(ctx);
    if (typeof body?.notify_url !== 'string' || !/^https?:\/\/[^?]+$/.test(body.notify_url)) return fail(ctx, 400, 'PARAM_ERROR', '通知URL地址不合法');
    state.notifyUrl = body.notify_url;
    store.save();
    answer(ctx, 200, { update_time: chinaTime(), notify_url: body.notify_url, mchid: options.mchId });
  });

  router.post('/v3/marketing/busifavor/stocks', requireMerchantSignature, injected('stocks'), (ctx: PayContext) => {
    const body = bodyOf(ctx);
    if (!body) return fail(ctx, 400, 'PARAM_ERROR', 'body is not a JSON object');
    const problem = stockProblem(body, options.mchId);
    if (problem) return fail(ctx, 400, 'PARAM_ERROR', problem);
    if (Object.values(state.stocks).some((s) => s.out_request_no === body.out_request_no)) return fail(ctx, 400, 'RESOURCE_ALREADY_EXISTS', '批次已存在');
    const rule = body.stock_send_rule as { max_coupons: number; max_coupons_per_user: number };
    const stock: EmulatedStock = {
      stock_id: `1${digits(9)}`, out_request_no: body.out_request_no as string, stock_name: body.stock_name as string, stock_type: body.stock_type as string,
      coupon_code_mode: body.coupon_code_mode as string, max_coupons: rule.max_coupons, max_coupons_per_user: rule.max_coupons_per_user, sent: 0, body,
    };
    state.stocks[stock.stock_id] = stock;
    store.save();
    answer(ctx, 200, { stock_id: stock.stock_id, create_time: chinaTime() });
  });

  router.patch('/v3/marketing/busifavor/stocks/:stockId/budget', requireMerchantSignature, injected('budget'), (ctx: PayContext) => {
    const stock = state.stocks[ctx.params.stockId!];
    if (!stock) return fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '批次不存在');
    const body = bodyOf(ctx);
    const target = body?.target_max_coupons;
    if (typeof body?.modify_budget_request_no !== 'string' || typeof target !== 'number' || !Number.isInteger(target) || target < 1) return fail(ctx, 400, 'PARAM_ERROR', 'target_max_coupons and modify_budget_request_no are required');
    if (body.current_max_coupons !== undefined && body.current_max_coupons !== stock.max_coupons) return fail(ctx, 400, 'INVALID_REQUEST', '当前批次最大发放个数与实际不符');
    if (target < stock.sent) return fail(ctx, 400, 'INVALID_REQUEST', '目标批次最大发放个数不能小于已发放个数');
    stock.max_coupons = target;
    store.save();
    answer(ctx, 200, { max_coupons: stock.max_coupons });
  });

  router.patch('/v3/marketing/busifavor/stocks/:stockId', requireMerchantSignature, injected('stock_update'), (ctx: PayContext) => {
    const stock = state.stocks[ctx.params.stockId!];
    if (!stock) return fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '批次不存在');
    const body = bodyOf(ctx);
    if (typeof body?.out_request_no !== 'string') return fail(ctx, 400, 'PARAM_ERROR', 'out_request_no is required');
    if (typeof body.stock_name === 'string') {
      if (Buffer.byteLength(body.stock_name, 'utf8') > 21) return fail(ctx, 400, 'PARAM_ERROR', '批次名称超过21个字节');
      stock.stock_name = body.stock_name;
    }
    store.save();
    answer(ctx, 204);
  });

  /** The coupon named by a use/return/deactivate body, or the failure to answer. */
  const couponFor = (ctx: PayContext): { coupon: EmulatedWalletCoupon; body: Record<string, unknown> } | null => {
    const body = bodyOf(ctx);
    const coupon = typeof body?.coupon_code === 'string' ? state.coupons[body.coupon_code] : undefined;
    if (!body || !coupon) {
      fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '券不存在');
      return null;
    }
    if (body.stock_id !== undefined && body.stock_id !== coupon.stock_id) {
      fail(ctx, 400, 'INVALID_REQUEST', '券与批次不匹配');
      return null;
    }
    return { coupon, body };
  };

  router.post('/v3/marketing/busifavor/coupons/use', requireMerchantSignature, injected('use'), (ctx: PayContext) => {
    const found = couponFor(ctx);
    if (!found) return;
    const { coupon, body } = found;
    if (body.appid !== options.appId) return fail(ctx, 400, 'APPID_MCHID_NOT_MATCH', 'AppID与请求方商户无关联关系');
    if (typeof body.use_request_no !== 'string' || typeof body.use_time !== 'string') return fail(ctx, 400, 'PARAM_ERROR', 'use_request_no and use_time are required');
    if (coupon.state === 'USED') {
      // The same request again is answered as the first time; any other use is refused.
      if (coupon.use_request_no === body.use_request_no) return answer(ctx, 200, { stock_id: coupon.stock_id, openid: coupon.openid, wechatpay_use_time: coupon.use_time });
      return fail(ctx, 400, 'RESOURCE_ALREADY_EXISTS', '券已被其他订单核销');
    }
    if (coupon.state !== 'SENDED') return fail(ctx, 400, 'INVALID_REQUEST', `券状态为${coupon.state}，不可核销`);
    coupon.state = 'USED';
    coupon.use_time = chinaTime();
    coupon.use_request_no = body.use_request_no;
    store.save();
    answer(ctx, 200, { stock_id: coupon.stock_id, openid: coupon.openid, wechatpay_use_time: coupon.use_time });
  });

  router.post('/v3/marketing/busifavor/coupons/return', requireMerchantSignature, injected('return'), (ctx: PayContext) => {
    const found = couponFor(ctx);
    if (!found) return;
    const { coupon, body } = found;
    if (typeof body.return_request_no !== 'string') return fail(ctx, 400, 'PARAM_ERROR', 'return_request_no is required');
    if (coupon.state !== 'USED') return fail(ctx, 400, 'INVALID_REQUEST', '券未核销，不可退券');
    coupon.state = 'SENDED';
    delete coupon.use_time;
    delete coupon.use_request_no;
    store.save();
    answer(ctx, 200, { wechatpay_return_time: chinaTime() });
  });

  router.post('/v3/marketing/busifavor/coupons/deactivate', requireMerchantSignature, injected('deactivate'), (ctx: PayContext) => {
    const found = couponFor(ctx);
    if (!found) return;
    const { coupon, body } = found;
    if (typeof body.deactivate_request_no !== 'string') return fail(ctx, 400, 'PARAM_ERROR', 'deactivate_request_no is required');
    if (coupon.state === 'USED') return fail(ctx, 400, 'INVALID_REQUEST', '券已核销，不可失效');
    coupon.state = 'DEACTIVATED';
    store.save();
    answer(ctx, 200, { wechatpay_deactivate_time: chinaTime() });
  });

  router.get('/v3/marketing/busifavor/users/:openid/coupons/:code/appids/:appid', requireMerchantSignature, (ctx: PayContext) => {
    const coupon = state.coupons[ctx.params.code!];
    if (!coupon || coupon.openid !== ctx.params.openid || ctx.params.appid !== options.appId) return fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '券不存在');
    const stock = state.stocks[coupon.stock_id]!;
    answer(ctx, 200, { belong_merchant: options.mchId, stock_name: stock.stock_name, stock_type: stock.stock_type, coupon_code: coupon.coupon_code, stock_id: coupon.stock_id, coupon_state: coupon.state, receive_time: coupon.send_time, ...(coupon.use_time ? { use_time: coupon.use_time } : {}) });
  });

  // ---- what the WeChat app does ----

  // The send-coupon plugin after the member's tap: checks the merchant's v2 signature as the plugin would, then
  // answers send_coupon_result per coupon; each coupon received is notified (COUPON.SEND).
  router.post('/busifavor/plugin/send', async (ctx) => {
    const body = parseJsonObject((await readRawBody(ctx)) || '{}');
    const params = body?.send_coupon_params;
    if (!body || typeof body.openid !== 'string' || !Array.isArray(params) || params.length === 0 || typeof body.sign !== 'string' || typeof body.send_coupon_merchant !== 'string') {
      ctx.status = 400;
      ctx.body = { errcode: 'PARAM_ERROR', errmsg: 'expected {openid, send_coupon_params: [...], send_coupon_merchant, sign}' };
      return;
    }
    if (body.send_coupon_merchant !== options.mchId || body.sign !== pluginSignature(params as Array<Record<string, string>>, body.send_coupon_merchant, apiV2Key)) {
      ctx.status = 400;
      ctx.body = { errcode: 'SIGN_ERROR', errmsg: '签名错误' };
      return;
    }
    const openid = body.openid;
    const send_coupon_result = (params as Array<Record<string, string>>).map((param) => {
      const base = { stock_id: param.stock_id, out_request_no: param.out_request_no };
      const stock = param.stock_id ? state.stocks[param.stock_id] : undefined;
      if (!stock) return { ...base, code: 'STOCK_NOT_ACTIVE', message: '批次不存在' };
      const earlier = state.sends[`${param.stock_id}:${param.out_request_no}`];
      if (earlier) return { ...base, coupon_code: earlier, code: 'SUCCESS', message: '' };
      if (stock.sent >= stock.max_coupons) return { ...base, code: 'NOT_ENOUGH', message: '批次已发完' };
      const held = Object.values(state.coupons).filter((c) => c.stock_id === stock.stock_id && c.openid === openid).length;
      if (held >= stock.max_coupons_per_user) return { ...base, code: 'USER_LIMIT', message: '用户领取已达上限' };
      const code = stock.coupon_code_mode === 'MERCHANT_API' ? param.coupon_code : digits(22);
      if (!code || state.coupons[code]) return { ...base, code: 'PARAM_ERROR', message: '券code不合法或已存在' };
      const coupon: EmulatedWalletCoupon = { coupon_code: code, stock_id: stock.stock_id, openid, out_request_no: param.out_request_no!, state: 'SENDED', send_time: chinaTime() };
      state.coupons[code] = coupon;
      state.sends[`${param.stock_id}:${param.out_request_no}`] = code;
      stock.sent += 1;
      deliver('COUPON.SEND', '商家券领券通知', { coupon_code: code, stock_id: stock.stock_id, send_time: coupon.send_time, openid, send_channel: 'BIZ_SEND_CHANNEL_MINI_PROGRAM', send_merchant: options.mchId }, code);
      return { ...base, coupon_code: code, code: 'SUCCESS', message: '' };
    });
    store.save();
    ctx.body = { send_coupon_result };
  });

  // The shopper pays at a till with the coupon from the wallet: it is used, and COUPON.USE follows.
  router.post('/busifavor/pay', async (ctx) => {
    const body = parseJsonObject((await readRawBody(ctx)) || '{}');
    const coupon = typeof body?.coupon_code === 'string' ? state.coupons[body.coupon_code] : undefined;
    if (!coupon || coupon.openid !== body?.openid) {
      ctx.status = 404;
      ctx.body = { code: 'RESOURCE_NOT_EXISTS', message: '券不存在' };
      return;
    }
    if (coupon.state !== 'SENDED') {
      ctx.status = 409;
      ctx.body = { code: 'COUPON_STATE_INVALID', message: `券状态为${coupon.state}` };
      return;
    }
    coupon.state = 'USED';
    coupon.use_time = chinaTime();
    coupon.transaction_id = `4200${digits(24)}`;
    store.save();
    const delivery = deliver('COUPON.USE', '商家券核销通知', { coupon_code: coupon.coupon_code, stock_id: coupon.stock_id, openid: coupon.openid, use_time: coupon.use_time, transaction_id: coupon.transaction_id }, coupon.coupon_code);
    ctx.body = { coupon, notificationId: delivery?.id ?? null };
  });

  router.post('/busifavor/failures', async (ctx) => {
    const body = parseJsonObject((await readRawBody(ctx)) || '{}');
    const apis = ['callbacks', 'stocks', 'budget', 'stock_update', 'use', 'return', 'deactivate'];
    if (!body || typeof body.api !== 'string' || !apis.includes(body.api) || typeof body.count !== 'number') {
      ctx.status = 400;
      ctx.body = { code: 'PARAM_ERROR', message: `expected {api: ${apis.join('|')}, count, status?, code?, message?}` };
      return;
    }
    state.failures[body.api] = {
      count: body.count, status: typeof body.status === 'number' ? body.status : 500,
      code: typeof body.code === 'string' ? body.code : 'SYSTEM_ERROR', message: typeof body.message === 'string' ? body.message : '系统错误，请稍后重试',
    };
    store.save();
    ctx.status = 204;
  });

  router.get('/busifavor/wallet', (ctx) => {
    const openid = typeof ctx.query.openid === 'string' ? ctx.query.openid : '';
    ctx.body = { coupons: Object.values(state.coupons).filter((c) => c.openid === openid), stocks: Object.values(state.stocks).map(({ body: _body, ...stock }) => stock) };
  });

  router.get('/busifavor/notifications', (ctx) => {
    ctx.body = { events: state.events.map(({ envelope: _envelope, ...event }) => event) };
  });

  // Sends an event once more, freshly signed (WeChat repeats events after a 2xx): the merchant must apply it once.
  router.post('/busifavor/notifications/:id/redeliver', async (ctx) => {
    const event = state.events.find((e) => e.id === ctx.params.id);
    if (!event || !state.notifyUrl) {
      ctx.status = 404;
      ctx.body = { code: 'RESOURCE_NOT_EXISTS', message: 'no such event' };
      return;
    }
    const key = notificationKey();
    const attempt = await post(state.notifyUrl, event.envelope, { ...signAsWechatpay(event.envelope, key.privateKeyPem, key.serial) });
    event.attempts.push(attempt);
    store.save();
    ctx.body = attempt;
  });
}

/** The plugin's v2 signature, computed here independently of the server's (modules/wechat-wallet/busifavor/plugin.ts). */
function pluginSignature(params: Array<Record<string, string>>, merchant: string, key: string): string {
  const pairs = [`send_coupon_merchant=${merchant}`];
  params.forEach((param, i) => {
    for (const name of Object.keys(param)) if (param[name]) pairs.push(`${name}${i}=${param[name]}`);
  });
  pairs.sort();
  return createHmac('sha256', key).update(`${pairs.join('&')}&key=${key}`).digest('hex').toUpperCase();
}

function stockProblem(body: Record<string, unknown>, mchId: string): string | null {
  if (typeof body.stock_name !== 'string' || body.stock_name.length === 0 || Buffer.byteLength(body.stock_name, 'utf8') > 21) return 'stock_name 须为1-21个字节';
  if (body.belong_merchant !== mchId) return 'belong_merchant 须为本商户号';
  if (typeof body.goods_name !== 'string' || body.goods_name.length === 0) return 'goods_name 必填';
  if (!['NORMAL', 'DISCOUNT', 'EXCHANGE'].includes(body.stock_type as string)) return 'stock_type 须为 NORMAL|DISCOUNT|EXCHANGE';
  if (!['WECHATPAY_MODE', 'MERCHANT_API', 'MERCHANT_UPLOAD'].includes(body.coupon_code_mode as string)) return 'coupon_code_mode 不合法';
  if (typeof body.out_request_no !== 'string' || body.out_request_no.length === 0) return 'out_request_no 必填';
  const rule = body.coupon_use_rule as Record<string, unknown> | undefined;
  const time = rule?.coupon_available_time as Record<string, unknown> | undefined;
  if (!time || typeof time.available_begin_time !== 'string' || typeof time.available_end_time !== 'string') return 'coupon_available_time 必填';
  const fixed = rule!.fixed_normal_coupon as Record<string, unknown> | undefined;
  if (body.stock_type === 'NORMAL' && (!fixed || !isFen(fixed.discount_amount) || !isFen(fixed.transaction_minimum))) return 'fixed_normal_coupon 须为整数分';
  const send = body.stock_send_rule as Record<string, unknown> | undefined;
  if (!send || !isPositive(send.max_coupons) || !isPositive(send.max_coupons_per_user)) return 'stock_send_rule.max_coupons 与 max_coupons_per_user 须为正整数';
  return null;
}

function isFen(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isPositive(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function digits(count: number): string {
  let out = '';
  while (out.length < count) out += BigInt(`0x${randomBytes(8).toString('hex')}`).toString();
  return out.slice(0, count);
}
