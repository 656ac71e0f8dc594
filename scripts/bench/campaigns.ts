/**
 * Campaign push benchmark: seeds N active members, pushes one coupon to all of them through the real campaign
 * worker (the pusher's pipelined batches, CouponIssuer.issueBatch each), and compares coupons/s with a raw
 * insertMany of the same coupon documents in the same run. The push runs in its own worker process
 * (campaign-push-worker.ts), whose peak RSS and heap are reported; the database runs out of both processes (the
 * embedded server as a child process, or MONGODB_URI), and its RSS and CPU are reported beside them.
 * The baseline inserts the same documents in the push's batch size into a scratch collection with the coupons'
 * indexes, timing only the insertMany calls, once before the push and once after it; the ratio uses their mean.
 * Run: [PUSH_BATCH_SIZE=n] [PUSH_IN_FLIGHT=n] [PROFILE=1] npx tsx scripts/bench/campaigns.ts [members=200000]
 * PROFILE=1 turns on the worker's command monitoring and prints the push's commands by name and collection, count
 * and total time (durations overlap when batches are in flight together).
 *
 * Figures (2 cores, nothing else running; the raw rate swings between runs, so several runs are listed):
 *   Before cb3407e the baseline's time included reading the documents back, which flattered the ratio (reported
 *   0.60–0.71×; 0.35× against insertMany alone). Since: no per-member reads in the batch path, settle by
 *   arithmetic, a cheap launch (ordered-walk race and count fast path in embedded-mongo), per-member limits in the
 *   coupons' own slots instead of a counter collection, two batches in flight, the next batch's reservation let in
 *   between the previous batch's insert chunks:
 *   40k, three runs:  0.67×, 0.69×, 0.68× (push 22.3–23.3k coupons/s, raw 33.3–34.1k/s); worker RSS 190–200 MB
 *   200k, eight runs: 0.69×, 0.69×, 0.70×, 0.71×, 0.72×, 0.74×, 0.79×, 0.86× (median 0.72×; push 21.0–23.0k
 *                     coupons/s, raw mean 25.6–31.6k/s: 25–37k before the push, 24–27k after); worker heap 44 MB at
 *                     launch → peak ~175–180 MB (garbage V8 lets build up before a full collection) → 46 MB after the push
 *                     and a full GC (nothing retained); worker RSS peak 285–293 MB; database RSS 1.3–1.7 GB.
 *   Insert chunks of 500 instead of 250 (two commands fewer per batch), current:
 *   200k, eight runs: 0.70× (0.697), 0.72×, 0.74×, 0.74×, 0.76×, 0.79×, 0.79×, 0.84× (median 0.75×; push
 *                     21.2–24.9k/s, raw mean 29.0–31.6k/s); worker RSS peak 284–293 MB, heap peak 175–184 MB → 46 MB
 *                     after a full GC
 *   40k, two runs:    0.68×, 0.74× (push 23.2k, 24.8k/s); worker RSS 187–191 MB
 *   Where the time goes at 200k (embedded-mongo CPU profile of the push): the database's event loop is 96–97% busy;
 *   GC 28%, inserting coupons (six indexes) 40%, parsing messages 11%, the audience getMores 4%, the small
 *   commands (reservation, settle, progress) 6%. The push is database-bound; what is left to gain is in those last
 *   two (and in the database's cost per document, which the baseline shares).
 *   Tried and not kept: batches of 2000 (push and raw both faster, ratio the same, worker RSS over 300 MB at 200k);
 *   three or four batches in flight (no faster; more contention on the template); a larger young generation for
 *   the database (--max-semi-space-size=64: 0.67×, the baseline gained as much).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Types } from 'mongoose';
import pino from 'pino';
import { startMembercard, withDatabase } from '../../server/src/bootstrap';
import { PUSH_BATCH_SIZE, PUSH_IN_FLIGHT } from '../../server/src/modules/campaigns/pusher';
import { couponDocument } from '../../server/src/modules/coupons/issuer';
import type { CouponTemplateDoc } from '../../server/src/modules/coupons/model';
import type { Actor } from '../../server/src/lib/requestContext';
import { startDatabaseProcess } from './support';

const count = Number(process.argv[2] ?? 200_000);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** The embedded database as a child process, unless MONGODB_URI is set. */
async function startDatabase(): Promise<{ uri: string; child: ChildProcess | null }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, child: null };
  return startDatabaseProcess(process.env.DB_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.DB_CPU_PROF] : []);
}

/** CPU seconds (user + system) another process has used so far (Linux), to tell whether the database is saturated. */
function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
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

interface WorkerResult {
  seconds: number;
  status: string;
  progress: { targeted: number; issued: number; notified: number; failed: number };
  heapStart: number;
  peakHeap: number;
  heapAfter: number;
  profile: Array<[string, { n: number; ms: number }]>;
}

/** The database child, killed however the benchmark ends. */
let database: ChildProcess | null = null;

async function main(): Promise<void> {
  const db = await startDatabase();
  database = db.child;
  const app = await startMembercard({
    config: {
      env: 'test', port: 0, host: '127.0.0.1', logLevel: 'silent', demo: false, mongodbUri: withDatabase(db.uri, 'bench'), dataDir: '/nonexistent',
      jwtSecret: 'bench-secret-bench-secret-bench-secret', wechat: { appId: 'wxbench', appSecret: 'x' }, wechatPay: { mchId: '1900000001' },
    },
    logger: pino({ level: 'silent' }),
    emulator: true,
    jobs: false,
  } as Parameters<typeof startMembercard>[0]);
  if (process.env.MONGODB_URI) await app.connection.dropDatabase(); // a fresh 'bench' database each run
  const { services } = app;
  const hq: Actor = { type: 'admin', staffId: 'bench', role: 'hq', hqRole: 'admin', sessionId: 'bench' };

  const batchSize = Number(process.env.PUSH_BATCH_SIZE ?? PUSH_BATCH_SIZE);
  console.log(`campaign push benchmark: ${count.toLocaleString()} members, batches of ${batchSize}, ${process.env.PUSH_IN_FLIGHT ?? PUSH_IN_FLIGHT} in flight (node ${process.version})`);
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

  // The baseline: the same coupon documents inserted raw, in the push's batch size, into a scratch collection with
  // the coupons' indexes; only the insertMany calls are timed. It runs once before the push (the documents built by
  // the issuer's own couponDocument, as the push builds them) and once after it (the push's documents, read back),
  // and the ratio is taken against the mean: the database holds fewer documents before and more after.
  const templateDoc = (await services.models.couponTemplates.findById(template.id).lean<CouponTemplateDoc>())!;
  const baseline = async (name: string, source: AsyncIterable<Record<string, unknown>>) => {
    const raw = app.connection.db!.collection(name);
    for (const index of await services.models.coupons.collection.indexes()) {
      if (index.name !== '_id_') await raw.createIndex(index.key, { unique: index.unique ?? false, sparse: index.sparse ?? false, ...(index.partialFilterExpression ? { partialFilterExpression: index.partialFilterExpression } : {}) });
    }
    let ms = 0;
    let inserted = 0;
    let batch: Record<string, unknown>[] = [];
    const insert = async () => {
      const started = performance.now();
      await raw.insertMany(batch);
      ms += performance.now() - started;
      inserted += batch.length;
      batch = [];
    };
    for await (const doc of source) {
      batch.push({ ...doc, _id: new Types.ObjectId() });
      if (batch.length === batchSize) await insert();
    }
    if (batch.length) await insert();
    await raw.drop();
    return inserted / (ms / 1000);
  };
  const issuedAt = new Date();
  const rawBefore = await baseline(
    'coupons_raw_before',
    (async function* () {
      for await (const member of services.models.members.collection.find({}, { projection: { _id: 1 } })) {
        yield { ...couponDocument(templateDoc, { templateId: templateDoc._id, channel: 'campaign', channelRef: campaign.id, memberId: member._id }, issuedAt), issueBatchId: 'baseline' };
      }
    })(),
  );

  // The push runs in a worker process of its own (scripts/bench/campaign-push-worker.ts), so its memory is measured
  // alone; this process samples the worker's and the database's RSS and CPU from /proc meanwhile.
  const root = path.resolve(__dirname, '../..');
  const worker = spawn(process.execPath, [...(process.env.WORKER_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.WORKER_CPU_PROF] : []), '--import', 'tsx', 'scripts/bench/campaign-push-worker.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_MONGODB_URI: withDatabase(db.uri, 'bench'), BENCH_CAMPAIGN: campaign.id },
  });
  let peakWorkerRss = 0;
  let peakDbRss = 0;
  let workerCpu = 0; // the last reading before it exits
  const sampler = setInterval(() => {
    peakWorkerRss = Math.max(peakWorkerRss, rssOf(worker.pid));
    workerCpu = Math.max(workerCpu, cpuSecondsOf(worker.pid));
    peakDbRss = Math.max(peakDbRss, rssOf(db.child?.pid));
  }, 50);
  let result: WorkerResult | undefined;
  let output = '';
  worker.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    let newline: number;
    while ((newline = output.indexOf('\n')) >= 0) {
      const line = output.slice(0, newline);
      output = output.slice(newline + 1);
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as WorkerResult;
      else console.log(line);
    }
  });
  const dbCpuBefore = cpuSecondsOf(db.child?.pid);
  const exitCode = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
  clearInterval(sampler);
  const dbCpu = cpuSecondsOf(db.child?.pid) - dbCpuBefore;
  if (exitCode !== 0 || !result) throw new Error(`the push worker exited with ${exitCode}`);
  const done = result;
  const pushSeconds = done.seconds;
  const pushRate = done.progress.issued / pushSeconds;
  if (process.env.PROFILE) console.log(done.profile.sort((a, b) => b[1].ms - a[1].ms).map(([k, p]) => `${k} ${p.n}× ${p.ms.toFixed(0)} ms`).join('\n'));

  const rawAfter = await baseline('coupons_raw_after', services.models.coupons.collection.find({ channelRef: campaign.id }));
  const rawRate = (rawBefore + rawAfter) / 2;

  console.log(`status ${done.status}; progress ${JSON.stringify(done.progress)}`);
  console.log(`push:       ${pushRate.toFixed(0)} coupons/s (${pushSeconds.toFixed(1)} s)`);
  console.log(`insertMany: ${rawRate.toFixed(0)} coupons/s (${rawBefore.toFixed(0)} before the push, ${rawAfter.toFixed(0)} after)`);
  console.log(`ratio:      ${(pushRate / rawRate).toFixed(3)}× (goal ≥ 0.7×)`);
  console.log(`worker:     heap ${mb(done.heapStart)} at the launch → peak ${mb(done.peakHeap)} → ${mb(done.heapAfter)} after the push and a full GC; RSS peak ${mb(peakWorkerRss)} (goal < 300 MB)`);
  if (db.child) console.log(`database:   peak RSS ${mb(peakDbRss)} (embedded-mongo child process, pid ${db.child.pid})`);
  console.log(`CPU:        worker ${workerCpu.toFixed(1)} s${db.child ? `, database ${dbCpu.toFixed(1)} s` : ''} while the worker ran (start-up ~1.5 s, the ${pushSeconds.toFixed(1)} s push, exit; GC threads included)`);
  await app.close();
  if (db.child) {
    const exited = new Promise((r) => db.child!.once('exit', r));
    db.child.kill('SIGTERM');
    await exited;
  }
}

main().catch((err) => {
  console.error(err);
  database?.kill('SIGKILL');
  process.exit(1);
});
