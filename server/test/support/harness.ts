import { randomBytes } from 'node:crypto';
import { startServer as startEmbeddedMongo } from '@membercard/embedded-mongo';
import pino from 'pino';
import { startMembercard, withDatabase, type RunningMembercard } from '../../src/bootstrap';
import type { Config } from '../../src/config';
import type { EmulatorOptions } from '../../src/emulator';
import { seedDemoData } from '../../src/demo/seed';

// Integration tests start the real product on a free port, against the embedded database (or the real
// MongoDB in MONGODB_URI, in a database of their own), with the WeChat emulator, and call it over HTTP.

/** A clock tests can move; services read it through the injected Clock, as they read the real one. */
export class TestClock {
  private offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  set(at: Date): void {
    this.offsetMs = at.getTime() - Date.now();
  }
}

export interface TestApp extends RunningMembercard {
  clock: TestClock;
  api: ApiClient;
  /** The database this app uses; another app started with `sameDatabaseAs` shares it (restart tests). */
  databaseUri: string;
  stopDatabase(): Promise<void>;
  /** Closes the app (close()) and its database. */
  stop(): Promise<void>;
}

export async function startTestApp(
  options: { seed?: boolean; codeStepSeconds?: number; sameDatabaseAs?: TestApp; /** Members per campaign-push batch (default PUSH_BATCH_SIZE). */ pushBatchSize?: number; /** TRUST_PROXY_HOPS (default 1: tests call as the load balancer would, naming the client in X-Forwarded-For). */ trustProxyHops?: number; /** WeChat emulator behaviour on top of the tests' defaults (WeChat Pay's waits at 1/1000). */ emulator?: Partial<EmulatorOptions>; /** The driver emits command events (tests that count what a request sends). */ monitorCommands?: boolean } = {},
): Promise<TestApp> {
  const dbName = `mc_test_${randomBytes(6).toString('hex')}`;
  let uri: string;
  let stopDb: () => Promise<void> = async () => undefined;
  if (options.sameDatabaseAs) {
    // A second instance on the first one's database (the first closed with close()): this one now owns it.
    uri = options.sameDatabaseAs.databaseUri;
    stopDb = options.sameDatabaseAs.stopDatabase;
  } else if (process.env.MONGODB_URI) {
    uri = withDatabase(process.env.MONGODB_URI, dbName);
  } else {
    const db = await startEmbeddedMongo({ port: 0 });
    uri = withDatabase(db.uri, dbName);
    stopDb = () => db.stop();
  }
  if (options.monitorCommands) {
    const monitored = new URL(uri);
    monitored.searchParams.set('monitorCommands', 'true');
    uri = monitored.toString();
  }
  const config: Config = {
    env: 'test',
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    demo: false,
    mongodbUri: uri,
    dataDir: '/nonexistent',
    jwtSecret: randomBytes(32).toString('hex'),
    wechat: { appId: 'wxtest000000000001', appSecret: 'demo-app-secret-not-for-production' },
    wechatPay: { mchId: '1900000001' },
    trustProxyHops: options.trustProxyHops ?? 1,
  };
  const clock = new TestClock();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const running = await startMembercard({ config, logger, clock, emulator: true, emulatorOptions: { timeScale: 0.001, ...options.emulator }, codeStepSeconds: options.codeStepSeconds });
  if (options.pushBatchSize) running.services.campaigns.pusher.batchSize = options.pushBatchSize;
  if (options.seed !== false) await seedDemoData(running.services, logger);
  return {
    ...running,
    clock,
    api: new ApiClient(running.url),
    databaseUri: uri,
    stopDatabase: stopDb,
    async stop() {
      if (process.env.MONGODB_URI) await running.connection.dropDatabase().catch(() => undefined);
      await running.close();
      await stopDb();
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const url = path.startsWith('/api/') || path.startsWith('/healthz') || path.startsWith('/__') ? path : `/api/v1${path}`;
    const res = await fetch(this.baseUrl + url, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (CSV, HTML): tests read .text
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  get<T = any>(path: string, token?: string) {
    return this.request<T>('GET', path, { token });
  }
  post<T = any>(path: string, body: unknown, token?: string, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { body, token, headers });
  }
  patch<T = any>(path: string, body: unknown, token?: string) {
    return this.request<T>('PATCH', path, { body, token });
  }
  delete<T = any>(path: string, token?: string) {
    return this.request<T>('DELETE', path, { token });
  }
}

/**
 * A fresh single-use wx.login code for the shopper `nickname` (openid emu_<nickname>), from the emulator,
 * as the H5 demo gets one: WeChat's codes work once (a reused one answers 40163).
 */
export async function loginCode(api: ApiClient, nickname: string): Promise<string> {
  const res = await api.post('/__emulator/h5/login-code', { nickname });
  if (res.status !== 200) throw new Error(`login code for ${nickname}: ${res.status} ${res.text}`);
  return res.body.code;
}

/** POST /auth/wechat with a fresh code for `nickname`: the same nickname is the same shopper every time. */
export async function signInShopper(api: ApiClient, nickname: string) {
  return api.post('/auth/wechat', { code: await loginCode(api, nickname) });
}

/** Signs a shopper in through the emulator's jscode2session and joins them at a store. */
export async function joinedMember(api: ApiClient, nickname: string, homeStoreId = 'SH01') {
  const login = await signInShopper(api, nickname);
  if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${login.text}`);
  const joined = await api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId }, login.body.token);
  if (joined.status !== 201) throw new Error(`join failed: ${joined.status} ${joined.text}`);
  return { token: login.body.token as string, member: joined.body };
}

export async function staffToken(api: ApiClient, username: string, password = 'staff-demo-pass'): Promise<string> {
  const res = await api.post('/auth/staff', { username, password });
  if (res.status !== 200) throw new Error(`staff sign-in failed: ${res.status} ${res.text}`);
  return res.body.token;
}

export async function adminToken(api: ApiClient): Promise<string> {
  const res = await api.post('/auth/admin', { username: 'hq', password: 'hq-demo-pass' });
  if (res.status !== 200) throw new Error(`admin sign-in failed: ${res.status} ${res.text}`);
  return res.body.token;
}
