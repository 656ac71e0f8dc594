import type { Context } from 'koa';
import type { WechatPayKeys } from './keys';
import type { EmulatorStore } from './store';

export interface EmulatorOptions {
  appId: string;
  appSecret: string;
  mchId: string;
  /** Subscribe-message templates the emulated account owns: id → its keywords (`thing1`, `time2`…); others answer 40037. */
  subscribeTemplates?: Record<string, string[]>;
  /** Pages of the published mini-program (app.json, sub-packages included); a send naming another page answers 41030. Omitted → any page. */
  pages?: string[];
  /** Keys and state live here (keys under `keys/`, state in `state.json`); omitted → memory only. */
  dataDir?: string;
  /** Use these keys instead of loading or generating them. */
  keys?: WechatPayKeys;
  /** Lifetime of access tokens; WeChat's is 7200. */
  accessTokenTtlSeconds?: number;
  /** Waits between notification attempts when the merchant answers non-2xx; default WeChat's own schedule (WECHAT_NOTIFY_RETRY_SCHEDULE_MS). */
  notifyRetryDelaysMs?: number[];
  /** Multiplies every emulated wait (WeChat Pay's deliveries, retries, duplicates, refund completion; stable_token's 30 s force spacing); tests compress time with e.g. 0.001. */
  timeScale?: number;
  /** A payment notification follows the shopper's pay tap after this long (before timeScale). */
  notifyDelayMs?: number;
  /** Share of notifications answered 2xx that WeChat Pay delivers once more (deterministic: every 1/rate-th). */
  duplicateRate?: number;
  /** Share of notifications preceded by a WECHATPAY/SIGNTEST/ signature probe (deterministic: every 1/rate-th). */
  signatureProbeRate?: number;
  /** WeChat Pay gives the merchant 5 s to answer a notification. */
  notifyTimeoutMs?: number;
  /** A refund stays PROCESSING this long before it succeeds and is notified. */
  refundDelayMs?: number;
  /**
   * Which WeChat Pay keys the merchant has: `certificate` (platform certificate, /v3/certificates),
   * `publicKey` (only the WeChat Pay public key: no /v3/certificates) or `switching` (both: answers signed
   * with the key the request's Wechatpay-Serial names, notifications alternating between the two).
   */
  signingMode?: WechatPaySigningMode;
  /** getwxacodeunlimit calls allowed per minute before 45009 (WeChat's is 5000). */
  wxaCodePerMinute?: number;
}

export type WechatPaySigningMode = 'certificate' | 'publicKey' | 'switching';

/** WeChat Pay's retry schedule for notifications answered non-2xx: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h. */
export const WECHAT_NOTIFY_RETRY_SCHEDULE_MS = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600].map((seconds) => seconds * 1000);

export interface EmulatorStats {
  code2SessionRequests: number;
  tokenRequests: number;
  stableTokenRequests: number;
  stableTokenForceRefreshes: number;
  accessTokensIssued: number;
  phoneNumberRequests: number;
  subscribeSendRequests: number;
  payApiRequests: number;
  notificationAttempts: number;
  /** SIGNTEST probes sent, and how many the merchant wrongly answered 2xx. */
  signatureProbes: number;
  signatureProbesAccepted: number;
  duplicateNotifications: number;
  /** GET /v3/certificates calls, and pay API calls by the Wechatpay-Serial they named ('' for none). */
  certificateRequests: number;
  payRequestSerials: Record<string, number>;
}

export interface EmulatorContext {
  options: Required<Pick<EmulatorOptions, 'appId' | 'appSecret' | 'mchId' | 'accessTokenTtlSeconds' | 'notifyRetryDelaysMs' | 'notifyTimeoutMs' | 'refundDelayMs' | 'signingMode' | 'timeScale' | 'notifyDelayMs' | 'duplicateRate' | 'signatureProbeRate'>> & {
    subscribeTemplates: Map<string, string[]>;
    pages: Set<string> | null;
  };
  keys: WechatPayKeys;
  store: EmulatorStore;
  stats: EmulatorStats;
  /** Background work (refund completion, deliveries) that close() waits for. */
  track(work: Promise<unknown>): void;
  /** Runs `work` after `delayMs` of emulated time (multiplied by options.timeScale); close() cancels it. */
  schedule(delayMs: number, work: () => Promise<unknown>): void;
}

/** The body exactly as sent (signatures cover these bytes), whether or not a body parser ran first. */
export async function readRawBody(ctx: Context, limitBytes = 1024 * 1024): Promise<string> {
  const parsedRaw = (ctx.request as { rawBody?: unknown }).rawBody;
  if (typeof parsedRaw === 'string') return parsedRaw;
  if (ctx.req.readableEnded) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) ctx.throw(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object body; null if it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
