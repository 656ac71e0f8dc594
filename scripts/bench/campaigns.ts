/**
 * Campaign push benchmark: seeds N active members, pushes one coupon to all of them through the real
 * campaign worker (CouponIssuer.issueBatch per batch of the pusher), and compares coupons/s with a raw
 * insertMany of the same coupon documents in the same run; samples the worker's peak heap and RSS while the
 * push runs, and the database process's RSS beside it.
 * Run: [PUSH_BATCH_SIZE=n] [PROFILE=1] npx tsx scripts/bench/campaigns.ts [members=200000]
 * PUSH_BATCH_SIZE sets the pusher's batch size (default PUSH_BATCH_SIZE); PROFILE=1 turns on the driver's command
 * monitoring and prints the push's commands by name and collection, count and total time.
 * The database runs OUT of this process (the embedded server as a child process, or MONGODB_URI), so the
 * worker's RSS is the worker's alone.
 *
 * Figures (2 shared cores, other work running; the raw insertMany rate swings 7k–20k/s between runs, so compare
 * coupons/s too):
 *   before 5108bd1, 200k: push 1,899 coupons/s (105 s), raw 9,377/s, 0.20×; worker peak heap 83 MB, RSS 196 MB
 *                   40k: push 3,847/s, raw 7,362/s, 0.52× (0.34× in a second run)
 *   after  5108bd1, 200k: push 9,323 coupons/s (21.5 s), raw 17,744/s, 0.53×; worker peak heap 82 MB, RSS 199 MB
 *                   40k: push 8,975/s, raw 20,019/s, 0.45× (0.64× in a second run); database RSS 1.7 GB at 200k
 * Direct projections, sparse-index plans and the insert _id check (embedded-mongo), 40k, two runs each:
 *   before: push 6,527/s, raw 13,176/s, 0.50×; push 7,735/s, raw 16,336/s, 0.47×
 *   after:  push 10,338/s, raw 19,385/s, 0.53×; push 10,047/s, raw 20,798/s, 0.48× (the raw insertMany
 *           gains from the cheaper _id check too, so the ratio moves less than coupons/s)
 * Batch size (pusher option, default 400 → 1000), 40k, two runs each (push/s, raw/s, ratio; worker peak RSS):
 *   400:  10,735 / 21,285 0.50×; 11,243 / 22,312 0.50× (240, 231 MB)
 *   800:  12,005 / 22,256 0.54×; 11,929 / 21,310 0.56× (239, 233 MB)
 *   1000: 12,241 / 19,754 0.62×; 11,644 / 19,385 0.60× (238, 239 MB)   ← default
 *   2000: 11,369 / 19,438 0.59×; 12,084 / 20,433 0.59× (252, 259 MB)
 *   1000 at 200k (one run): push 10,876/s (18.4 s), raw 15,435/s, 0.71×; worker peak heap 135 MB, RSS 250 MB;
 *   database RSS 1.5 GB (400 at 200k before: 0.53×, RSS 199 MB)
 *   Reading the next batch while one is issued gained nothing measurable (0.61×, 0.58×): the database process
 *   is the bottleneck, so overlapping its work does not shorten it; not kept. Skipping the issuer's active-member
 *   $in (the audience cursor already pins status: 'active') gave 0.63×, 0.61×: within noise, so the check stays.
 * PROFILE at 1000, 40k (3.4 s push; ms summed over 40 batches): insert coupons 917, find members 459 (active
 * check + cursor), find coupons 233 (held check), the benchmark's own progress polls 216, getMore 175, count
 * coupons (settle) 162, insert counters 127, everything else (reservation transaction, progress) < 60 each.
 * Per batch ~10 round trips: getMore, find held coupons ($in), find active members ($in), find
 * template, reservation transaction (batch read, conditional $inc, batch insert, commit), counters insertMany,
 * coupons insertMany, settle count + update, progress findOneAndUpdate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Types } from 'mongoose';
import pino from 'pino';
import { startMembercard, withDatabase } from '../../server/src/bootstrap';
import type { Actor } from '../../server/src/lib/requestContext';

const count = Number(process.argv[2] ?? 200_000);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** The embedded database as a child process (its first stdout line is its URI), unless MONGODB_URI is set. */
async function startDatabase(): Promise<{ uri: string; child: ChildProcess | null }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, child: null };
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, [...(process.env.DB_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.DB_CPU_PROF] : []), '--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('mongodb://'));
      if (line) resolve(line.trim());
    });
    child.on('exit', (code) => reject(new Error(`embedded-mongo exited with ${code}`)));
  });
  return { uri, child };
}

/** Resident memory of another process (Linux), for the database's figure beside the worker's. */
function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const db = await startDatabase();
  const app = await startMembercard({
    config: {
      env: 'test', port: 0, host: '127.0.0.1', logLevel: 'silent', demo: false, mongodbUri: withDatabase(db.uri, 'bench') + (process.env.PROFILE ? (db.uri.includes('?') ? '&' : '?') + 'monitorCommands=true' : ''), dataDir: '/nonexistent',
      jwtSecret: 'bench-secret-bench-secret-bench-secret', wechat: { appId: 'wxbench', appSecret: 'x' }, wechatPay: { mchId: '1900000001' },
    },
    logger: pino({ level: 'silent' }),
    emulator: true,
    jobs: false,
  } as Parameters<typeof startMembercard>[0]);
  if (process.env.MONGODB_URI) await app.connection.dropDatabase(); // a fresh 'bench' database each run
  const { services } = app;
  if (process.env.PUSH_BATCH_SIZE) services.campaigns.pusher.batchSize = Number(process.env.PUSH_BATCH_SIZE);
  const hq: Actor = { type: 'admin', staffId: 'bench', role: 'hq', sessionId: 'bench' };

  console.log(`campaign push benchmark: ${count.toLocaleString()} members, batches of ${services.campaigns.pusher.batchSize} (node ${process.version})`);
  const seedStart = performance.now();
  const at = new Date();
  for (let i = 0; i < count; i += 5000) {
    const docs = Array.from({ length: Math.min(5000, count - i) }, (_, j) => ({
      _id: new Types.ObjectId(), status: 'active', cardNo: `7${String(i + j).padStart(11, '0')}`, homeStoreId: (i + j) % 3 ? 'SH01' : 'BJ01',
      profileComplete: false, tier: (i + j) % 10 ? 'silver' : 'gold', pointsBalance: 0, spend12mFen: 0, lastPurchaseAt: null, tags: ['bench'], joinedAt: at, createdAt: at,
    }));
    await services.models.members.collection.insertMany(docs);
  }
  console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const template = await services.coupons.createTemplate(hq, 'bench', {
    title: '基准券', type: 'cash', minSpendFen: 0, amountOffFen: 100, validDays: 30, totalQuantity: count, perMemberLimit: 1, storeIds: [], tiers: [],
  } as never);
  const campaign = await services.campaigns.create(hq, 'bench', { name: 'bench', templateId: template.id, segment: { tags: ['bench'] } });

  let peakHeap = 0;
  let peakRss = 0;
  let peakDbRss = 0;
  const baseHeap = process.memoryUsage().heapUsed;
  const baseRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
    peakDbRss = Math.max(peakDbRss, rssOf(db.child?.pid));
  }, 100);
  const profile = new Map<string, { n: number; ms: number }>();
  if (process.env.PROFILE) {
    const client = app.connection.getClient();
    const names = new Map<number, string>();
    client.on('commandStarted', (e) => names.set(e.requestId, `${e.commandName} ${String(e.commandName === 'getMore' ? e.command.collection : e.command[e.commandName])}`));
    const key = (e: { commandName: string; requestId: number }) => {
      const k = names.get(e.requestId) ?? e.commandName;
      names.delete(e.requestId);
      return k;
    };
    client.on('commandSucceeded', (e) => {
      const k = key(e);
      const p = profile.get(k) ?? { n: 0, ms: 0 };
      p.n += 1;
      p.ms += e.duration;
      profile.set(k, p);
    });
  }
  const pushStart = performance.now();
  await services.campaigns.launch(hq, 'bench', campaign.id);
  let last = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    // The stored progress only: the campaign view's stats run a $lookup into members, which the embedded server
    // answers by reading and hashing the whole members collection (seconds at 200k), and would slow the push.
    const now = (await services.models.campaigns.findById(campaign.id, { progress: 1, status: 1 }).lean<{ progress: { issued: number }; status: string }>())!;
    if (now.progress.issued - last >= count / 10) {
      last = now.progress.issued;
      console.log(`  ${now.progress.issued.toLocaleString()} issued, worker heap ${mb(process.memoryUsage().heapUsed)} RSS ${mb(process.memoryUsage().rss)}`);
    }
    if (now.status !== 'running') break;
  }
  const pushSeconds = (performance.now() - pushStart) / 1000;
  clearInterval(sampler);
  const done = await services.campaigns.get(campaign.id);
  const pushRate = done.progress.issued / pushSeconds;
  if (process.env.PROFILE) console.log([...profile].sort((a, b) => b[1].ms - a[1].ms).map(([k, p]) => `${k} ${p.n}× ${p.ms.toFixed(0)} ms`).join('\n'));

  // The same coupon documents, inserted raw in the push's batch size into a scratch collection with the same indexes.
  // Only the insertMany calls are timed: each batch is read and given new ids before its clock starts.
  const raw = app.connection.db!.collection('coupons_raw');
  for (const index of await services.models.coupons.collection.indexes()) {
    if (index.name !== '_id_') await raw.createIndex(index.key, { unique: index.unique ?? false, sparse: index.sparse ?? false, ...(index.partialFilterExpression ? { partialFilterExpression: index.partialFilterExpression } : {}) });
  }
  let rawMs = 0;
  let rawCount = 0;
  let batch: Record<string, unknown>[] = [];
  const insertRaw = async () => {
    const started = performance.now();
    await raw.insertMany(batch);
    rawMs += performance.now() - started;
    rawCount += batch.length;
    batch = [];
  };
  for await (const coupon of services.models.coupons.collection.find({ channelRef: campaign.id })) {
    batch.push({ ...coupon, _id: new Types.ObjectId() });
    if (batch.length === services.campaigns.pusher.batchSize) await insertRaw();
  }
  if (batch.length) await insertRaw();
  const rawRate = rawCount / (rawMs / 1000);

  console.log(`status ${done.status}; progress ${JSON.stringify(done.progress)}`);
  console.log(`push:       ${pushRate.toFixed(0)} coupons/s (${pushSeconds.toFixed(1)} s)`);
  console.log(`insertMany: ${rawRate.toFixed(0)} coupons/s`);
  console.log(`ratio:      ${(pushRate / rawRate).toFixed(3)}× (goal ≥ 0.7×)`);
  console.log(`worker:     heap ${mb(baseHeap)} before → peak ${mb(peakHeap)}; RSS ${mb(baseRss)} before → peak ${mb(peakRss)} (goal < 300 MB)`);
  if (db.child) console.log(`database:   peak RSS ${mb(peakDbRss)} (embedded-mongo child process, pid ${db.child.pid})`);
  await app.close();
  if (db.child) {
    const exited = new Promise((r) => db.child!.once('exit', r));
    db.child.kill('SIGTERM');
    await exited;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
