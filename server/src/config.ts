import fs from 'node:fs';
import path from 'node:path';
import { parseSubscribeTemplates, type SubscribeTemplates } from '@membercard/shared';
import { z } from 'zod';

// Configuration comes only from the environment and is validated once at start-up: a bad value stops
// the process with one line naming the variable, instead of failing later in a request.

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Empty means demo mode: the embedded database, the WeChat emulator and seeded demo data. */
  MONGODB_URI: optionalString,
  MEMBERCARD_DATA_DIR: z.string().default('./.data'),
  /** Where WeChat Pay reaches this server; payment notifications go to `${PUBLIC_BASE_URL}/api/v1/payments/wechat/notify`. */
  PUBLIC_BASE_URL: optionalString.pipe(z.url().optional()),
  JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** Keys the hash that stands for a WeChat account in once-only reward claims; absent: derived from JWT_SECRET. */
  IDENTITY_HASH_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** Demo mode falls back to the emulator's sample appid and mch id; production must name its own. */
  WECHAT_APP_ID: optionalString,
  WECHAT_APP_SECRET: optionalString,
  WECHAT_API_BASE_URL: optionalString.pipe(z.url().optional()),
  WECHATPAY_BASE_URL: optionalString.pipe(z.url().optional()),
  WECHATPAY_MCH_ID: optionalString,
  WECHATPAY_KEY_DIR: optionalString,
  /**
   * Proxies in front of the server that append to X-Forwarded-For (a load balancer: 1). The client address is
   * read that many entries from the right; 0 ignores the header, since anyone can send one.
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * The WeChat subscribe-message template of each purpose, as JSON: `{"couponArrival": {"id": "…", "keywords":
   * {"thing1": "couponName", "time2": "validUntil", "thing3": "note"}}, …}` (README, Production), or a file holding it.
   */
  SUBSCRIBE_TEMPLATES: optionalString,
  SUBSCRIBE_TEMPLATES_FILE: optionalString,
  /** How long before an activity starts the "开始前提醒我" reminder goes out. */
  ACTIVITY_REMINDER_LEAD_MINUTES: z.coerce.number().int().min(5).max(7 * 24 * 60).default(120),
  /** `true`: webhook endpoints may be on private, loopback or link-local addresses (an on-premises receiver). Demo mode and tests always may. */
  WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false'),
  /** Demo mode's seed: `brand` (a brand in business, the default) or `minimal` (stores, accounts, two templates, two activities). */
  DEMO_SEED: z.enum(['brand', 'minimal']).default('brand'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  demo: boolean;
  mongodbUri?: string;
  dataDir: string;
  publicBaseUrl?: string;
  jwtSecret?: string;
  /** IDENTITY_HASH_SECRET: keeps once-only reward claims valid across a JWT_SECRET rotation. */
  identityHashSecret?: string;
  wechat: { appId: string; appSecret?: string; apiBaseUrl?: string };
  wechatPay: { baseUrl?: string; mchId: string; keyDir?: string };
  /** TRUST_PROXY_HOPS; absent means 0 (X-Forwarded-For ignored). */
  trustProxyHops?: number;
  /** SUBSCRIBE_TEMPLATES(_FILE); absent only where the emulator runs, which then owns the demo templates. */
  subscribeTemplates?: SubscribeTemplates;
  /** ACTIVITY_REMINDER_LEAD_MINUTES; absent means 120. */
  activityReminderLeadMinutes?: number;
  /** DEMO_SEED: what demo mode seeds on its first start; absent means the brand. */
  demoSeed?: 'brand' | 'minimal';
  /** WEBHOOK_ALLOW_PRIVATE_URLS: webhook receivers may be on private addresses (always so in demo mode and tests). */
  webhookAllowPrivateUrls?: boolean;
}

export class ConfigError extends Error {}

/** The emulator's sample merchant, used only in demo mode (production refuses to start without its own). */
const DEMO_APP_ID = 'wxdemo0000000001';
const DEMO_MCH_ID = '1900000001';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const demo = !e.MONGODB_URI;
  if (!demo) {
    // Outside demo mode nothing may fall back to a generated secret or an emulator.
    for (const [name, value] of [
      ['JWT_SECRET', e.JWT_SECRET],
      ['WECHAT_APP_ID', e.WECHAT_APP_ID],
      ['WECHAT_APP_SECRET', e.WECHAT_APP_SECRET],
      ['WECHATPAY_MCH_ID', e.WECHATPAY_MCH_ID],
      ['PUBLIC_BASE_URL', e.PUBLIC_BASE_URL],
      ['WECHATPAY_KEY_DIR', e.WECHATPAY_KEY_DIR],
    ] as const) {
      if (!value) throw new ConfigError(`Invalid configuration: ${name} is required when MONGODB_URI is set`);
    }
  }
  const subscribeTemplates = readSubscribeTemplates(e);
  if (!demo && !subscribeTemplates) {
    throw new ConfigError('Invalid configuration: SUBSCRIBE_TEMPLATES (or SUBSCRIBE_TEMPLATES_FILE) is required when MONGODB_URI is set');
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    demo,
    mongodbUri: e.MONGODB_URI,
    dataDir: path.resolve(e.MEMBERCARD_DATA_DIR),
    publicBaseUrl: e.PUBLIC_BASE_URL,
    jwtSecret: e.JWT_SECRET,
    identityHashSecret: e.IDENTITY_HASH_SECRET,
    wechat: { appId: e.WECHAT_APP_ID ?? DEMO_APP_ID, appSecret: e.WECHAT_APP_SECRET, apiBaseUrl: e.WECHAT_API_BASE_URL },
    wechatPay: { baseUrl: e.WECHATPAY_BASE_URL, mchId: e.WECHATPAY_MCH_ID ?? DEMO_MCH_ID, keyDir: e.WECHATPAY_KEY_DIR },
    trustProxyHops: e.TRUST_PROXY_HOPS,
    subscribeTemplates,
    activityReminderLeadMinutes: e.ACTIVITY_REMINDER_LEAD_MINUTES,
    demoSeed: e.DEMO_SEED,
    webhookAllowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS === 'true',
  };
}

/** The configured subscribe templates, every purpose present and every keyword map sound, or a ConfigError naming the first problem. */
function readSubscribeTemplates(e: Env): SubscribeTemplates | undefined {
  if (e.SUBSCRIBE_TEMPLATES && e.SUBSCRIBE_TEMPLATES_FILE) throw new ConfigError('Invalid configuration: set SUBSCRIBE_TEMPLATES or SUBSCRIBE_TEMPLATES_FILE, not both');
  const name = e.SUBSCRIBE_TEMPLATES_FILE ? 'SUBSCRIBE_TEMPLATES_FILE' : 'SUBSCRIBE_TEMPLATES';
  let text = e.SUBSCRIBE_TEMPLATES;
  if (e.SUBSCRIBE_TEMPLATES_FILE) {
    try {
      text = fs.readFileSync(path.resolve(e.SUBSCRIBE_TEMPLATES_FILE), 'utf8');
    } catch (err) {
      throw new ConfigError(`Invalid configuration: SUBSCRIBE_TEMPLATES_FILE: cannot read ${e.SUBSCRIBE_TEMPLATES_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`Invalid configuration: ${name}: not valid JSON`);
  }
  const parsed = parseSubscribeTemplates(json);
  if (!parsed.ok) throw new ConfigError(`Invalid configuration: ${name}: ${parsed.problem}`);
  return parsed.value;
}
