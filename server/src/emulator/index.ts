// The local stand-in for api.weixin.qq.com and api.mch.weixin.qq.com, mounted under /__emulator in demo
// mode and tests only. The server's WeChat clients reach it through their configured base URLs.
//
// WeChat's own APIs (real shapes and errcodes):
//   GET  /sns/jscode2session            POST /cgi-bin/stable_token        GET /cgi-bin/token
//   POST /wxa/business/getuserphonenumber   POST /cgi-bin/message/subscribe/send
//   POST /wxa/getwxacodeunlimit (wxacode.ts)
//   the member card's card/... APIs (memberCard.ts; docs/wechat-member-card.md)
//   POST /v3/pay/transactions/jsapi     GET  /v3/pay/transactions/out-trade-no/:no?mchid=
//   POST /v3/pay/transactions/out-trade-no/:no/close
//   the merchant coupons' /v3/marketing/busifavor/... APIs and the send-coupon plugin (busifavor.ts; docs/wechat-busifavor.md)
//   POST /v3/refund/domestic/refunds    GET  /v3/refund/domestic/refunds/:outRefundNo
//   GET  /v3/certificates
// What the shopper's WeChat app or a test does instead of a real person:
//   POST /subscriptions {openid, templateIds}   (taps "accept" in wx.requestSubscribeMessage)
//   POST /subscribe-send-failures {errcodes}    (the next subscribe sends answer these, e.g. -1 system busy)
//   POST /pay/:prepayId[?deliver=false]          (confirms wx.requestPayment; body may carry its params)
//   GET  /messages?openid=   GET /notifications?out_trade_no=   GET /stats   POST /access-tokens/expire
//   POST /access-tokens/revoke   POST /refunds/outcome {out_trade_no, status}   POST /h5/login-code {nickname}
import path from 'node:path';
import Router from '@koa/router';
import { WECHAT_NOTIFY_RETRY_SCHEDULE_MS, type EmulatorContext, type EmulatorOptions, type EmulatorStats, type WechatPaySigningMode } from './context';
import { ensureWechatPayKeys, type WechatPayKeys } from './keys';
import { registerMiniProgramRoutes } from './miniProgram';
import { registerMemberCardRoutes } from './memberCard';
import { EmulatorStore } from './store';
import { registerWechatPayRoutes } from './wechatPay';
import { registerWxaCodeRoutes } from './wxacode';
import { registerBusifavorRoutes } from './busifavor';

export { WECHAT_NOTIFY_RETRY_SCHEDULE_MS, type EmulatorOptions, type EmulatorStats, type WechatPaySigningMode } from './context';
export { ensureWechatPayKeys, WECHATPAY_KEY_FILES, type WechatPayKeys } from './keys';
export { phoneNumberFor } from './miniProgram';
export type { EmulatorState, NotificationDelivery, SentSubscribeMessage } from './store';

export const EMULATOR_PREFIX = '/__emulator';

export interface WeChatEmulator {
  /** All routes, under the /__emulator prefix. */
  router: Router;
  keys: WechatPayKeys;
  /** Which WeChat Pay keys the emulated merchant has; the server's client is configured to match. */
  signingMode: WechatPaySigningMode;
  stats: EmulatorStats;
  store: EmulatorStore;
  /** Stops scheduled refunds and waits for notifications being delivered. */
  close(): Promise<void>;
}

export async function createEmulator(options: EmulatorOptions): Promise<WeChatEmulator> {
  return buildEmulator(options);
}

export function createEmulatorRouter(options: EmulatorOptions): Router {
  return buildEmulator(options).router;
}

function buildEmulator(options: EmulatorOptions): WeChatEmulator {
  const keys = options.keys ?? ensureWechatPayKeys(options.dataDir ? path.join(options.dataDir, 'keys') : undefined);
  const store = new EmulatorStore(options.dataDir ? path.join(options.dataDir, 'state.json') : undefined);
  const stats: EmulatorStats = {
    code2SessionRequests: 0,
    tokenRequests: 0,
    stableTokenRequests: 0,
    stableTokenForceRefreshes: 0,
    accessTokensIssued: 0,
    phoneNumberRequests: 0,
    subscribeSendRequests: 0,
    payApiRequests: 0,
    notificationAttempts: 0,
    signatureProbes: 0,
    signatureProbesAccepted: 0,
    duplicateNotifications: 0,
    certificateRequests: 0,
    payRequestSerials: {},
  };
  const pending = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const track = (work: Promise<unknown>) => {
    const settled = work.catch(() => undefined).finally(() => pending.delete(settled));
    pending.add(settled);
  };
  const context: EmulatorContext = {
    options: {
      appId: options.appId,
      appSecret: options.appSecret,
      mchId: options.mchId,
      subscribeTemplates: new Map(Object.entries(options.subscribeTemplates ?? {})),
      pages: options.pages ? new Set(options.pages) : null,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 7200,
      notifyRetryDelaysMs: options.notifyRetryDelaysMs ?? WECHAT_NOTIFY_RETRY_SCHEDULE_MS,
      notifyTimeoutMs: options.notifyTimeoutMs ?? 5000,
      refundDelayMs: options.refundDelayMs ?? 1000,
      signingMode: options.signingMode ?? 'certificate',
      timeScale: options.timeScale ?? 1,
      notifyDelayMs: options.notifyDelayMs ?? 500,
      duplicateRate: options.duplicateRate ?? 0.1,
      signatureProbeRate: options.signatureProbeRate ?? 0.05,
    },
    keys,
    store,
    stats,
    track,
    schedule(delayMs, work) {
      if (closed) return;
      delayMs *= context.options.timeScale;
      const timer = setTimeout(() => {
        timers.delete(timer);
        track(work());
      }, delayMs);
      timers.add(timer);
    },
  };

  const router = new Router({ prefix: EMULATOR_PREFIX });
  const miniProgram = registerMiniProgramRoutes(router, context);
  registerWechatPayRoutes(router, context);
  registerWxaCodeRoutes(router, context, miniProgram, { perMinute: options.wxaCodePerMinute });
  registerMemberCardRoutes(router, context, miniProgram);
  registerBusifavorRoutes(router, context);
  router.get('/stats', (ctx) => {
    ctx.body = stats;
  });
  // Lets tests and the demo exercise the client's 42001 → refresh → retry path.
  router.post('/access-tokens/expire', (ctx) => {
    miniProgram.expireAllTokens();
    ctx.status = 204;
  });
  // The current stable token is refused (40001) while normal-mode stable_token still hands it out: the
  // case in which the client must spend a force refresh.
  router.post('/access-tokens/revoke', (ctx) => {
    miniProgram.revokeStableToken();
    ctx.status = 204;
  });

  return {
    router,
    keys,
    signingMode: context.options.signingMode,
    stats,
    store,
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(pending);
    },
  };
}
