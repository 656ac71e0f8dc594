import path from 'node:path';
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
  WECHAT_APP_ID: z.string().default('wxdemo0000000001'),
  WECHAT_APP_SECRET: optionalString,
  WECHAT_API_BASE_URL: optionalString.pipe(z.url().optional()),
  WECHATPAY_BASE_URL: optionalString.pipe(z.url().optional()),
  WECHATPAY_MCH_ID: z.string().default('1900000001'),
  WECHATPAY_KEY_DIR: optionalString,
  /**
   * Proxies in front of the server that append to X-Forwarded-For (a load balancer: 1). The client address is
   * read that many entries from the right; 0 ignores the header, since anyone can send one.
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
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
  wechat: { appId: string; appSecret?: string; apiBaseUrl?: string };
  wechatPay: { baseUrl?: string; mchId: string; keyDir?: string };
  /** TRUST_PROXY_HOPS; absent means 0 (X-Forwarded-For ignored). */
  trustProxyHops?: number;
}

export class ConfigError extends Error {}

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
      ['WECHAT_APP_SECRET', e.WECHAT_APP_SECRET],
      ['PUBLIC_BASE_URL', e.PUBLIC_BASE_URL],
      ['WECHATPAY_KEY_DIR', e.WECHATPAY_KEY_DIR],
    ] as const) {
      if (!value) throw new ConfigError(`Invalid configuration: ${name} is required when MONGODB_URI is set`);
    }
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
    wechat: { appId: e.WECHAT_APP_ID, appSecret: e.WECHAT_APP_SECRET, apiBaseUrl: e.WECHAT_API_BASE_URL },
    wechatPay: { baseUrl: e.WECHATPAY_BASE_URL, mchId: e.WECHATPAY_MCH_ID, keyDir: e.WECHATPAY_KEY_DIR },
    trustProxyHops: e.TRUST_PROXY_HOPS,
  };
}
