import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startServer as startEmbeddedMongo } from '@membercard/embedded-mongo';
import mongoose from 'mongoose';
import pino, { type Logger } from 'pino';
import { createApp, createStartingApp } from './app';
import { ConfigError, type Config } from './config';
import { createEmulator, EMULATOR_PREFIX, type EmulatorOptions, type WeChatEmulator } from './emulator';
import { readMiniProgramPages } from './emulator/pages';
import { DEMO_SUBSCRIBE_TEMPLATES, emulatorTemplates } from './modules/messaging/templates';
import { createWeChatPayClient } from './modules/payments/client';
import { busifavorMerchant } from './modules/wechat-wallet/busifavor/merchant';
import { seedDemoData } from './demo/seed';
import { seedDemoOffersOnce } from './demo/brand/offers';
import { Readiness } from './lib/readiness';
import { startScheduler } from './jobs/scheduler';
import { createServices, type Clock, type Services } from './services';
import { MongoAccessTokenCache, WeChatClient } from './wechat';

// Starts the whole product in one process: database connection (the embedded one in demo mode), the
// WeChat emulator (demo mode only), services and the HTTP server. main.ts calls it for `npm start`;
// integration and browser tests call it with port 0 and their own clock. The port answers from the moment
// it is bound (503 NOT_READY until start-up is done, see lib/readiness.ts); the returned promise resolves
// once the instance is ready.

const REPO_ROOT = path.resolve(__dirname, '../..');
export const DEMO_APP_SECRET = 'demo-app-secret-not-for-production';

export interface StartOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  /** Code window for member/coupon/sign-up codes, seconds. */
  codeStepSeconds?: number;
  /** Mount the WeChat emulator and point the WeChat clients at it (default: in demo mode). Tests set it. */
  emulator?: boolean;
  /** Emulator behaviour (WeChat Pay signing mode, time scale, duplicate and probe rates…); tests set it. */
  emulatorOptions?: Partial<EmulatorOptions>;
  /** Run the background jobs on their schedules (default: on, except when NODE_ENV is test). */
  jobs?: boolean;
  /** Seed the demo data before declaring ready (main.ts in demo mode). */
  seedDemo?: boolean;
}

export interface RunningMembercard {
  url: string;
  port: number;
  services: Services;
  connection: mongoose.Connection;
  emulator: WeChatEmulator | null;
  readiness: Readiness;
  /** Stops accepting, lets in-flight requests finish, then closes the database and the emulator. */
  close(): Promise<void>;
}

export async function startMembercard(options: StartOptions): Promise<RunningMembercard> {
  // A start that fails half-way closes what it had opened (port, database, emulator) before reporting.
  const cleanups: Array<() => Promise<void>> = [];
  try {
    return await start(options, cleanups);
  } catch (err) {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw err;
  }
}

async function start(options: StartOptions, cleanups: Array<() => Promise<void>>): Promise<RunningMembercard> {
  const { config } = options;
  const logger = options.logger ?? pino({ level: config.logLevel });

  let mongoUri = config.mongodbUri;
  if (!mongoUri) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const db = await startEmbeddedMongo({ port: 0, dataDir: path.join(config.dataDir, 'db') });
    cleanups.unshift(() => db.stop());
    mongoUri = withDatabase(db.uri, 'membercard');
  }
  const connection = await mongoose.createConnection(mongoUri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  cleanups.unshift(() => connection.close());

  const runJobs = options.jobs ?? config.env !== 'test';
  const readiness = new Readiness(['indexes', ...(options.seedDemo ? ['demoData'] : []), ...(runJobs ? ['jobs'] : [])]);
  // The HTTP server listens first so the emulator's base URL (same port) is known before clients exist;
  // a handler is attached before it binds, so a request in the gap gets 503 NOT_READY instead of hanging.
  const server = http.createServer();
  server.keepAliveTimeout = 5_000;
  let handle = createStartingApp({ config, logger, connection, readiness }).callback();
  server.on('request', (req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  let serverClosed: Promise<void> | null = null;
  const closeServer = () =>
    (serverClosed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }));
  cleanups.unshift(closeServer);
  const port = (server.address() as AddressInfo).port;
  const localUrl = `http://127.0.0.1:${port}`;

  const useEmulator = options.emulator ?? config.demo;
  // Subscribe templates are the brand's configuration; only where the emulator plays WeChat do the demo samples stand in.
  const subscribeTemplates = config.subscribeTemplates ?? (useEmulator ? DEMO_SUBSCRIBE_TEMPLATES : null);
  if (!subscribeTemplates) throw new ConfigError('Invalid configuration: SUBSCRIBE_TEMPLATES (or SUBSCRIBE_TEMPLATES_FILE) is required without the WeChat emulator');
  let emulator: WeChatEmulator | null = null;
  if (useEmulator) {
    emulator = await createEmulator({
      appId: config.wechat.appId,
      appSecret: DEMO_APP_SECRET,
      mchId: config.wechatPay.mchId,
      subscribeTemplates: emulatorTemplates(subscribeTemplates),
      // The published pages are the mini-program's app config; subscribe messages to other pages answer 41030.
      pages: readMiniProgramPages(path.join(REPO_ROOT, 'miniprogram/src/app.config.ts')),
      dataDir: config.demo ? path.join(config.dataDir, 'wechat-emulator') : undefined,
      ...options.emulatorOptions,
    });
    const running = emulator;
    cleanups.unshift(() => running.close());
  }

  if (!config.jwtSecret && !config.demo) throw new Error('JWT_SECRET is required outside demo mode');
  const jwtSecret = config.jwtSecret ?? demoSecret(config.dataDir);
  const wechat = new WeChatClient({
    baseUrl: config.wechat.apiBaseUrl ?? (useEmulator ? `${localUrl}${EMULATOR_PREFIX}` : 'https://api.weixin.qq.com'),
    appId: config.wechat.appId,
    appSecret: config.wechat.appSecret ?? DEMO_APP_SECRET,
    accessTokens: new MongoAccessTokenCache(connection),
  });
  const wechatPayClient = createWeChatPayClient(
    config,
    emulator
      ? { emulator: { keys: emulator.keys, baseUrl: `${localUrl}${EMULATOR_PREFIX}`, localUrl, signingMode: emulator.signingMode } }
      : { emulator: null },
  );
  const services = createServices({
    connection,
    config: { jwtSecret, identityHashSecret: config.identityHashSecret },
    wechat,
    subscribeTemplates,
    activityReminderLeadMinutes: config.activityReminderLeadMinutes,
    clock: options.clock,
    codeStepSeconds: options.codeStepSeconds,
    // Demo and test receivers run on this machine; production sends over https only.
    webhookUrls: { httpsOnly: config.env === 'production', allowPrivate: config.demo || config.env === 'test' || config.webhookAllowPrivateUrls === true },
    // Poster QR codes point here; register this prefix for 扫普通链接二维码打开小程序 in the mini-program console.
    entryUrlBase: `${config.publicBaseUrl ?? localUrl}/mp/entry`,
    wechatPay: {
      client: wechatPayClient, appId: config.wechat.appId, mchId: config.wechatPay.mchId,
      busifavor: busifavorMerchant(config, emulator ? { keys: emulator.keys, localUrl } : null),
    },
  });
  const { app } = createApp({
    config,
    logger,
    connection,
    services,
    readiness,
    extraRouters: emulator ? [emulator.router] : [],
    openDuringStart: emulator ? [EMULATOR_PREFIX] : [],
    sites: [
      { prefix: '/admin/', root: path.join(REPO_ROOT, 'admin/dist'), title: 'membercard HQ console' },
      { prefix: '/h5/', root: path.join(REPO_ROOT, 'miniprogram/dist/h5'), title: 'membercard H5' },
    ],
  });
  handle = app.callback();

  await ensureIndexes(services);
  await services.categories.seedDefaults();
  readiness.done('indexes');
  // Campaign pushes left running by a stopped instance continue now (the scheduled job also picks them up).
  services.campaigns.pusher.kick();
  cleanups.unshift(() => services.campaigns.pusher.stop());
  // Webhook sends kicked after commits finish before the database closes.
  cleanups.unshift(() => services.webhooks.stop());
  if (emulator) {
    // Demo mode: a member's accepted subscriptions also become quota on the emulator's side, as a real tap would.
    const grants = `${localUrl}${EMULATOR_PREFIX}/subscriptions`;
    services.messaging.onSubscriptionsAccepted = async (openid, templateIds) => {
      await fetch(grants, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ openid, templateIds }) });
    };
  }
  if (options.seedDemo) {
    await seedDemoData(services, logger, { scale: config.demoSeed ?? 'brand' });
    if ((config.demoSeed ?? 'brand') === 'brand') await seedDemoOffersOnce(services, logger);
    readiness.done('demoData');
  }
  if (runJobs) {
    const scheduler = await startScheduler({ services, connection, logger });
    cleanups.unshift(() => scheduler.stop());
    readiness.done('jobs');
  }
  logger.info({ port }, 'ready');

  let closing: Promise<void> | null = null;
  return {
    url: localUrl,
    port,
    services,
    connection,
    emulator,
    readiness,
    close() {
      closing ??= (async () => {
        readiness.stop();
        await closeServer();
        for (const cleanup of cleanups) await cleanup();
      })();
      return closing;
    },
  };
}

/** Creates every model's indexes before serving: the unique ones are what make writes exactly-once. */
async function ensureIndexes(services: Services): Promise<void> {
  for (const model of Object.values(services.models)) await model.createIndexes();
}

/** In demo mode the token secret is generated once and kept with the data, so restarts keep sessions. */
function demoSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}
