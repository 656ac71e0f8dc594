// `npm run reconcile:payments`: compares our payments and paid sign-ups with WeChat Pay's order states
// (queryByOutTradeNo) and prints every mismatch; exits 1 if there is any, 2 if it could not run.
//
// With MONGODB_URI it reads that database and asks WeChat Pay (WECHATPAY_* settings). Without it (demo
// mode) it opens the demo's embedded database and emulator state in MEMBERCARD_DATA_DIR; stop the demo
// server first, since the embedded database belongs to one process at a time.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import mongoose from 'mongoose';
import { startServer as startEmbeddedMongo } from '@membercard/embedded-mongo';
import { DEMO_APP_SECRET, SUBSCRIBE_TEMPLATES, withDatabase } from '../server/src/bootstrap';
import { loadConfig } from '../server/src/config';
import { createEmulator, EMULATOR_PREFIX } from '../server/src/emulator';
import { createWeChatPayClient } from '../server/src/modules/payments/client';
import { createServices } from '../server/src/services';
import { MongoAccessTokenCache, WeChatClient } from '../server/src/wechat';

async function main(): Promise<number> {
  const config = loadConfig();
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    let uri = config.mongodbUri;
    if (!uri) {
      const db = await startEmbeddedMongo({ port: 0, dataDir: path.join(config.dataDir, 'db') });
      cleanups.unshift(() => db.stop());
      uri = withDatabase(db.uri, 'membercard');
    }
    const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
    cleanups.unshift(() => connection.close());

    let emulatorTarget: Parameters<typeof createWeChatPayClient>[1] = { emulator: null };
    let wechatBaseUrl = config.wechat.apiBaseUrl ?? 'https://api.weixin.qq.com';
    if (config.demo) {
      // The demo's orders live in the emulator's saved state; serve it on a private port to query it.
      const emulator = await createEmulator({
        appId: config.wechat.appId,
        appSecret: DEMO_APP_SECRET,
        mchId: config.wechatPay.mchId,
        dataDir: path.join(config.dataDir, 'wechat-emulator'),
      });
      const koa = new Koa();
      koa.use(emulator.router.routes());
      const server = http.createServer(koa.callback());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.unshift(async () => {
        await emulator.close();
        await new Promise((resolve) => server.close(resolve));
      });
      const localUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      emulatorTarget = { emulator: { keys: emulator.keys, baseUrl: `${localUrl}${EMULATOR_PREFIX}`, localUrl } };
      wechatBaseUrl = `${localUrl}${EMULATOR_PREFIX}`;
    }
    const payClient = createWeChatPayClient(config, emulatorTarget);
    // The service container wants the mini-program client too; reconciliation never calls it.
    const wechat = new WeChatClient({
      baseUrl: wechatBaseUrl,
      appId: config.wechat.appId,
      appSecret: config.wechat.appSecret ?? DEMO_APP_SECRET,
      accessTokens: new MongoAccessTokenCache(connection),
    });
    const deps = {
      connection,
      config: { jwtSecret: 'reconciliation-does-not-issue-tokens-000000' },
      wechat,
      subscribeTemplates: SUBSCRIBE_TEMPLATES,
      wechatPay: { client: payClient, appId: config.wechat.appId, mchId: config.wechatPay.mchId },
    };
    const services = createServices(deps);

    const mismatches = [...(await services.payments.reconcile()), ...(await services.activities.paidSeatMismatches())];
    const checked = await services.models.payments.countDocuments();
    for (const line of mismatches) process.stdout.write(`MISMATCH ${line}\n`);
    process.stdout.write(`${checked} payments checked, ${mismatches.length} mismatch${mismatches.length === 1 ? '' : 'es'}\n`);
    return mismatches.length > 0 ? 1 : 0;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`reconcile-payments failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
