/**
 * The push half of scripts/bench/campaigns.ts, in a process of its own so its memory is the worker's alone (the
 * benchmark's process seeds 200k members and runs the baseline). Launches the campaign BENCH_CAMPAIGN on
 * BENCH_MONGODB_URI through the campaign service, which starts this process's pusher, and waits for the push to
 * end. Prints progress lines, then one line `RESULT {json}`: seconds, progress, heap figures, and with PROFILE=1
 * the push's commands by name and collection (count, total ms).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { startMembercard } from '../../server/src/bootstrap';
import type { Actor } from '../../server/src/lib/requestContext';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const uri = process.env.BENCH_MONGODB_URI!;
  const campaignId = process.env.BENCH_CAMPAIGN!;
  const app = await startMembercard({
    config: {
      env: 'test', port: 0, host: '127.0.0.1', logLevel: 'silent', demo: false, mongodbUri: uri + (process.env.PROFILE ? (uri.includes('?') ? '&' : '?') + 'monitorCommands=true' : ''), dataDir: '/nonexistent',
      jwtSecret: 'bench-secret-bench-secret-bench-secret', wechat: { appId: 'wxbench', appSecret: 'x' }, wechatPay: { mchId: '1900000001' },
    },
    logger: pino({ level: 'silent' }),
    emulator: true, // the payment client needs its keys even when no payment is made
    jobs: false,
  } as Parameters<typeof startMembercard>[0]);
  const { services } = app;
  if (process.env.PUSH_BATCH_SIZE) services.campaigns.pusher.batchSize = Number(process.env.PUSH_BATCH_SIZE);
  if (process.env.PUSH_IN_FLIGHT) services.campaigns.pusher.inFlight = Number(process.env.PUSH_IN_FLIGHT);
  const hq: Actor = { type: 'admin', staffId: 'bench', role: 'hq', hqRole: 'admin', sessionId: 'bench' };

  const profile = new Map<string, { n: number; ms: number }>();
  if (process.env.PROFILE) {
    const client = app.connection.getClient();
    const names = new Map<number, string>();
    client.on('commandStarted', (e) => names.set(e.requestId, `${e.commandName} ${String(e.commandName === 'getMore' ? e.command.collection : e.command[e.commandName])}`));
    client.on('commandSucceeded', (e) => {
      const k = names.get(e.requestId) ?? e.commandName;
      names.delete(e.requestId);
      const p = profile.get(k) ?? { n: 0, ms: 0 };
      p.n += 1;
      p.ms += e.duration;
      profile.set(k, p);
    });
  }

  collectGarbage();
  const heapStart = process.memoryUsage().heapUsed;
  let peakHeap = heapStart;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 100);
  const started = performance.now();
  await services.campaigns.launch(hq, 'bench', campaignId);
  const { progress: { targeted } } = (await services.models.campaigns.findById(campaignId, { progress: 1 }).lean<{ progress: { targeted: number } }>())!;
  let reported = 0;
  let current: { progress: { issued: number }; status: string };
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    // The stored progress only: the campaign view's stats run a $lookup into members, which the embedded server
    // answers by reading and hashing the whole members collection (seconds at 200k), and would slow the push.
    current = (await services.models.campaigns.findById(campaignId, { progress: 1, status: 1 }).lean<typeof current>())!;
    if (current.progress.issued - reported >= targeted / 10) {
      reported = current.progress.issued;
      console.log(`  ${reported.toLocaleString()} issued, worker heap ${mb(process.memoryUsage().heapUsed)} RSS ${mb(process.memoryUsage().rss)}`);
    }
    if (current.status !== 'running') break;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  const done = await services.campaigns.get(campaignId);
  console.log(`RESULT ${JSON.stringify({ seconds, status: done.status, progress: done.progress, heapStart, peakHeap, heapAfter, profile: [...profile] })}`);
  await app.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
