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
  /** Waits between notification attempts when the merchant answers non-2xx (WeChat's own are 15 s, 15 s, 30 s, 3 min…). */
  notifyRetryDelaysMs?: number[];
  /** WeChat Pay gives the merchant 5 s to answer a notification. */
  notifyTimeoutMs?: number;
  /** A refund stays PROCESSING this long before it succeeds and is notified. */
  refundDelayMs?: number;
  /** Wechatpay-Serial of what the emulator signs: the platform certificate serial or the public key id. */
  signingMode?: 'certificate' | 'publicKey';
}

export interface EmulatorStats {
  code2SessionRequests: number;
  tokenRequests: number;
  stableTokenRequests: number;
  accessTokensIssued: number;
  phoneNumberRequests: number;
  subscribeSendRequests: number;
  payApiRequests: number;
  notificationAttempts: number;
}

export interface EmulatorContext {
  options: Required<Pick<EmulatorOptions, 'appId' | 'appSecret' | 'mchId' | 'accessTokenTtlSeconds' | 'notifyRetryDelaysMs' | 'notifyTimeoutMs' | 'refundDelayMs' | 'signingMode'>> & {
    subscribeTemplates: Map<string, string[]>;
    pages: Set<string> | null;
  };
  keys: WechatPayKeys;
  store: EmulatorStore;
  stats: EmulatorStats;
  /** Background work (refund completion, deliveries) that close() waits for. */
  track(work: Promise<unknown>): void;
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
