// Starts the emulator on a real port together with a merchant notify route that verifies notifications
// with the real WeChatPayClient, the way the server's own route will.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { createEmulator, WECHAT_NOTIFY_RETRY_SCHEDULE_MS, type EmulatorOptions, type NotificationDelivery, type WeChatEmulator } from '../../src/emulator';
import { WeChatPayClient, WeChatPaySignatureError, type WeChatPayClientOptions, type WeChatPayNotification } from '../../src/wechat';

export const APP_ID = 'wxemulated0000001';
export const APP_SECRET = 'emulated-app-secret';
export const MCH_ID = '1900000001';
export const TEMPLATE_IDS = ['tmpl-coupon-issued', 'tmpl-activity-reminder'];
/** Each template's keywords, as the WeChat console fixes them: a send must carry exactly these. */
export const TEMPLATE_KEYWORDS: Record<string, string[]> = { 'tmpl-coupon-issued': ['thing1', 'time2'], 'tmpl-activity-reminder': ['thing1', 'time2'] };

export interface ReceivedNotification {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  outcome: WeChatPayNotification<unknown> | WeChatPaySignatureError;
}

export interface Harness {
  origin: string;
  emulatorBaseUrl: string;
  notifyUrl: string;
  emulator: WeChatEmulator;
  payClient: WeChatPayClient;
  received: ReceivedNotification[];
  /** The notify route answers this status to the next N deliveries before accepting (retry tests). */
  failNextDeliveries(count: number): void;
  newPayClient(overrides?: Partial<WeChatPayClientOptions>): WeChatPayClient;
  waitFor<T>(probe: () => T | undefined, timeoutMs?: number): Promise<T>;
  /** Waits until the emulator has finished delivering (2xx, or every retry spent) the order's notification of `eventType`. */
  settledDelivery(outTradeNo: string, eventType?: string): Promise<NotificationDelivery>;
  close(): Promise<void>;
}

/** `parseBodiesFirst` puts a JSON body parser in front of the emulator, as the server's app does. */
/** `merchantClient` configures the client the notify route verifies with (e.g. public-key mode). */
export async function startHarness(
  emulatorOverrides: Partial<EmulatorOptions> = {},
  parseBodiesFirst = false,
  merchantClient: Partial<WeChatPayClientOptions> = {},
): Promise<Harness> {
  const emulator = await createEmulator({
    appId: APP_ID,
    appSecret: APP_SECRET,
    mchId: MCH_ID,
    subscribeTemplates: TEMPLATE_KEYWORDS,
    notifyRetryDelaysMs: [20, 40, 80],
    refundDelayMs: 20,
    notifyDelayMs: 10,
    // Off unless a test asks: the tests that want duplicates and probes set a rate of 1.
    duplicateRate: 0,
    signatureProbeRate: 0,
    ...emulatorOverrides,
  });
  const retryDelays = 'notifyRetryDelaysMs' in emulatorOverrides ? (emulatorOverrides.notifyRetryDelaysMs ?? WECHAT_NOTIFY_RETRY_SCHEDULE_MS) : [20, 40, 80];
  const received: ReceivedNotification[] = [];
  let failuresToAnswer = 0;
  // The notify route exists before the port (and so the client's base URL) is known.
  const merchant: { payClient?: WeChatPayClient } = {};

  const merchantRoutes = new Router();
  merchantRoutes.post('/api/v1/payments/wechat/notify', async (ctx) => {
    let rawBody = (ctx.request as { rawBody?: string }).rawBody;
    if (rawBody === undefined) {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      rawBody = Buffer.concat(chunks).toString('utf8');
    }
    const headers = { ...ctx.headers };
    if (failuresToAnswer > 0) {
      failuresToAnswer -= 1;
      ctx.status = 500;
      ctx.body = { code: 'FAIL', message: 'temporarily unavailable' };
      return;
    }
    try {
      const notification = await merchant.payClient!.verifyAndDecryptNotification(headers, rawBody);
      received.push({ headers, rawBody, outcome: notification });
      ctx.status = 204;
    } catch (error) {
      if (!(error instanceof WeChatPaySignatureError)) throw error;
      received.push({ headers, rawBody, outcome: error });
      ctx.status = 401;
      ctx.body = { code: 'FAIL', message: error.message };
    }
  });

  const app = new Koa();
  if (parseBodiesFirst) app.use(bodyParser({ enableTypes: ['json'] }));
  app.use(emulator.router.routes()).use(emulator.router.allowedMethods());
  app.use(merchantRoutes.routes());
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const emulatorBaseUrl = `${origin}/__emulator`;
  const notifyUrl = `${origin}/api/v1/payments/wechat/notify`;

  const newPayClient = (overrides: Partial<WeChatPayClientOptions> = {}) =>
    new WeChatPayClient({
      baseUrl: emulatorBaseUrl,
      appId: APP_ID,
      mchId: MCH_ID,
      merchantPrivateKeyPem: emulator.keys.merchantPrivateKeyPem,
      merchantCertPem: emulator.keys.merchantCertPem,
      apiV3Key: emulator.keys.apiV3Key,
      platformCertificates: { [emulator.keys.platformSerialNo]: emulator.keys.platformCertPem },
      notifyUrl,
      ...overrides,
    });
  const payClient = newPayClient(merchantClient);
  merchant.payClient = payClient;

  return {
    origin,
    emulatorBaseUrl,
    notifyUrl,
    emulator,
    payClient,
    received,
    failNextDeliveries(count) {
      failuresToAnswer = count;
    },
    newPayClient,
    async waitFor(probe, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async settledDelivery(outTradeNo, eventType = 'TRANSACTION.SUCCESS') {
      const deadline = Date.now() + 5000;
      for (;;) {
        const { deliveries } = (await getJson(`${emulatorBaseUrl}/notifications?out_trade_no=${outTradeNo}`)) as { deliveries: NotificationDelivery[] };
        const delivery = deliveries.find((each) => each.eventType === eventType);
        if (delivery && (delivery.delivered || delivery.attempts.length > retryDelays.length)) return delivery;
        if (Date.now() > deadline) throw new Error(`no settled ${eventType} delivery for ${outTradeNo}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      await emulator.close();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  return response.json();
}
