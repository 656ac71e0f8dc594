/**
 * Personalised-offer run benchmark: seeds N active members (category history over the default categories, 2–8
 * purchases each in the last 12 months, a quarter of them cold start), an offer pool of 20 category and 5 threshold
 * offers, then times one selection run through the real runner (plan each chunk, issue through
 * CouponIssuer.issueBatch per template, record) and prints members/s, coupons/s and the worker's heap through the
 * run (sampled at each tenth of the members, after a full GC at the start and the end) to show it stays flat: the
 * run holds one chunk at a time. The database is the embedded server in a child process (or MONGODB_URI).
 * Run: [OFFER_CHUNK=n] npx tsx scripts/bench/offers.ts [members=100000]  (not part of jest)
 */
import type { ChildProcess } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_CATEGORIES } from '@membercard/shared';
import { Types } from 'mongoose';
import pino from 'pino';
import { startMembercard, withDatabase } from '../../server/src/bootstrap';
import { fmt, startDatabaseProcess } from './support';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const count = Number(process.argv[2] ?? 100_000);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const DAY = 86_400_000;

/** The embedded database as a child process, unless MONGODB_URI is set. */
async function startDatabase(): Promise<{ uri: string; child: ChildProcess | null }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, child: null };
  return startDatabaseProcess();
}

async function main(): Promise<void> {
  const db = await startDatabase();
  const app = await startMembercard({
    config: {
      env: 'test', port: 0, host: '127.0.0.1', logLevel: 'silent', demo: false, mongodbUri: withDatabase(db.uri, `bench_offers_${Date.now()}`), dataDir: '/nonexistent',
      jwtSecret: 'bench-secret-bench-secret-bench-secret', wechat: { appId: 'wxbench', appSecret: 'x' }, wechatPay: { mchId: '1900000001' },
    },
    logger: pino({ level: 'silent' }),
    emulator: true,
    jobs: false,
  } as Parameters<typeof startMembercard>[0]);
  const { services } = app;
  const { models } = services;
  if (process.env.OFFER_CHUNK) services.offers.runner.chunkSize = Number(process.env.OFFER_CHUNK);
  try {
    // ---- seed ----
    const seeded = performance.now();
    const now = services.clock.now();
    const codes = DEFAULT_CATEGORIES.map((c) => c.code);
    let rnd = 12345;
    const random = () => ((rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let from = 0; from < count; from += 5_000) {
      const members = [];
      const purchases = [];
      for (let i = from; i < Math.min(count, from + 5_000); i++) {
        const id = new Types.ObjectId();
        const cold = i % 4 === 0;
        const visits = cold ? 1 : 2 + Math.floor(random() * 7);
        const bought = cold ? [] : Array.from({ length: 2 + Math.floor(random() * 4) }, () => codes[Math.floor(random() * 12)]!);
        members.push({
          _id: id, status: 'active', openid: null, cardNo: `9${String(i).padStart(11, '0')}`, homeStoreId: 'SH01', profileComplete: false, tier: 'silver', pointsBalance: 0,
          spend12mFen: visits * 9_000, lastPurchaseAt: new Date(now.getTime() - 5 * DAY), tags: [], joinedAt: now, createdAt: now,
          categoryStats: [...new Set(bought)].map((category, j) => ({ category, lastAt: new Date(now.getTime() - (3 + j * 17) * DAY), spend12mFen: 3_000 + Math.floor(random() * 30_000), visits: 1 + Math.floor(random() * visits) })),
        });
        for (let v = 0; v < visits; v++) {
          purchases.push({
            memberId: id, storeId: 'SH01', orderNo: `B${i}-${v}`, amountFen: 4_000 + Math.floor(random() * 12_000), lines: [], pointsEarned: 0, ledgerEntryId: null, balanceAfter: 0,
            tierBefore: 'silver', tierAfter: 'silver', staffId: 'bench', createdAt: new Date(now.getTime() - (1 + v * 30) * DAY), status: 'booked', inSpendWindow: true, categorySpend: [], reversal: null,
          });
        }
      }
      await models.members.collection.insertMany(members, { ordered: false });
      await models.purchases.collection.insertMany(purchases, { ordered: false });
    }
    const template = (title: string, minSpendFen: number, amountOffFen: number) => ({
      _id: new Types.ObjectId(), title, type: 'cash', minSpendFen, amountOffFen, percentOff: null, maxOffFen: null, giftName: null, storeIds: [], tiers: [],
      validFrom: null, validUntil: null, validDays: 30, totalQuantity: 10_000_000, perMemberLimit: 3, pointsCost: null, inCouponCentre: false,
      status: 'active', issuedCount: 0, remaining: 10_000_000, createdAt: now, updatedAt: now,
    });
    const templates = [
      ...codes.slice(0, 20).map((code) => ({ t: template(`${code} 满50减8`, 5_000, 800), kind: 'category' as const, categories: [code] })),
      ...[8_000, 12_000, 18_000, 30_000, 50_000].map((min) => ({ t: template(`满${min / 100}减${min / 1000}`, min, min / 10), kind: 'threshold' as const, categories: [] as string[] })),
    ];
    await models.couponTemplates.collection.insertMany(templates.map((x) => x.t));
    await models.offerPool.collection.insertMany(templates.map((x) => ({ _id: x.t._id, kind: x.kind, categories: x.categories, basketFromFen: null, basketToFen: null, active: true, createdAt: now, updatedAt: now })));
    const purchaseCount = await models.purchases.estimatedDocumentCount();
    process.stdout.write(`seeded ${fmt(count)} members, ${fmt(purchaseCount)} purchases in ${((performance.now() - seeded) / 1000).toFixed(1)} s\n`);

    // ---- the run ----
    collectGarbage();
    const heapStart = process.memoryUsage().heapUsed;
    let peakHeap = heapStart;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 100);
    const started = performance.now();
    const run = await services.offers.launch(null, 'bench', { settings: { holdoutShare: 0.1 } });
    const samples: string[] = [];
    const watcher = setInterval(async () => {
      const doc = await models.offerRuns.findById(run.id, { progress: 1 }).lean<{ progress: { members: number } }>();
      const done = doc?.progress.members ?? 0;
      const tenth = Math.floor((done / count) * 10);
      if (tenth > samples.length && tenth < 10) {
        samples.push(`${tenth * 10}%: ${mb(process.memoryUsage().heapUsed)}`);
        process.stdout.write(`  ${fmt(done)} members, ${fmt(done / ((performance.now() - started) / 1000))}/s, heap ${mb(process.memoryUsage().heapUsed)}\n`);
      }
    }, 500);
    for (;;) {
      await services.offers.runner.runDue();
      const doc = await models.offerRuns.findById(run.id, { status: 1 }).lean<{ status: string }>();
      if (doc?.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(watcher);
    clearInterval(sampler);
    collectGarbage();
    const heapEnd = process.memoryUsage().heapUsed;
    const done = (await models.offerRuns.findById(run.id).lean<{ progress: Record<string, number> }>())!;
    const coupons = await models.coupons.countDocuments({ channel: 'offer', channelRef: run.id });
    process.stdout.write(
      `run: ${fmt(done.progress.members!)} members in ${seconds.toFixed(1)} s = ${fmt(done.progress.members! / seconds)} members/s, ${fmt(coupons)} coupons (${fmt(coupons / seconds)}/s); ` +
        `treated ${fmt(done.progress.treated!)}, holdout ${fmt(done.progress.holdout!)}, cold start ${fmt(done.progress.coldStart!)}\n` +
        `worker heap: ${mb(heapStart)} at launch, peak ${mb(peakHeap)}, ${mb(heapEnd)} after the run and a full GC; by progress ${samples.join(', ')}; RSS peak ${mb(peakRss)}\n`,
    );
  } finally {
    await app.close();
    db.child?.kill();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
