import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { startMembercard } from '../../src/bootstrap';
import type { Config } from '../../src/config';

// The server as a process of its own, for stored-value-fault.test.ts to kill (SIGKILL) in the middle of a charge:
// the product as the harness starts it, on the test's database (MC_FAULT_DB_URI, whose appName lets the test's fail
// points pick this process's commands). Prints `READY <url>` once it serves.

async function main(): Promise<void> {
  const uri = process.env.MC_FAULT_DB_URI;
  if (!uri) throw new Error('MC_FAULT_DB_URI is required');
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
    trustProxyHops: 1,
  };
  const running = await startMembercard({ config, logger: pino({ level: 'silent' }), emulator: true, emulatorOptions: { timeScale: 0.001 }, jobs: false });
  process.stdout.write(`READY ${running.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
