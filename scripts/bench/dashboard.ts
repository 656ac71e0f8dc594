/**
 * HQ dashboard benchmark at two member counts: GET /admin/dashboard over HTTP (brand and one store's manager
 * view) against the recount each request used to do (count the members by store, tier, join and visit windows
 * and stream every member's 12-month spend: what dashboard/service.ts ran before the rollups), in the same run.
 * Prints each time, the dashboard/recount ratio, and the large/small ratio (goal: under 300 ms at both sizes and
 * a large/small ratio under 1.5×).
 * Run: npx tsx scripts/bench/dashboard.ts [small=10000] [large=100000]
 *
 * Figures (2 cores shared with other work, so single runs are noisy):
 *   10k:  dashboard 79–143 ms against the recount's 401–1,101 ms; a store manager 51–119 ms (recount 208–399 ms)
 *   100k: dashboard 46 ms against 5,223 ms (0.009×); a store manager 43 ms against 2,416 ms (0.018×)
 *   100k/10k: dashboard 0.32×, manager 0.36× (the recount 4.74×). The first fold of 100k bulk-loaded members into
 *   the rollups took 63 s, once; the job then takes only what changed.
 */
import http from 'node:http';
import { Types } from 'mongoose';
import { fmt, startBenchApp, type BenchApp } from './support';

const sizes = [Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 100_000)];
const DAY = 24 * 3600_000;
const STORES = ['SH01', 'BJ01', 'GZ01'];
const TIERS = ['silver', 'gold', 'platinum'];

function get(bench: BenchApp, path: string, token: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(`${bench.origin}${path}`, { agent: bench.agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${path} answered ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

async function signIn(bench: BenchApp, path: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${bench.origin}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { token: string };
  return body.token;
}

/** What the dashboard computed from the members on every request before the rollups. */
async function recount(bench: BenchApp, storeId: string | null): Promise<number> {
  const members = bench.services.models.members;
  const started = performance.now();
  const base: Record<string, unknown> = { status: 'active', ...(storeId ? { homeStoreId: storeId } : {}) };
  const now = Date.now();
  await Promise.all([
    members.countDocuments(base),
    members.countDocuments({ ...base, joinedAt: { $gte: new Date(now - 30 * DAY) } }),
    members.countDocuments({ ...base, lastPurchaseAt: { $gte: new Date(now - 30 * DAY) } }),
    members.countDocuments({ ...base, lastPurchaseAt: { $gte: new Date(now - 90 * DAY) } }),
    ...Array.from({ length: 13 }, (_, i) => members.countDocuments({ ...base, joinedAt: { $gte: new Date(now - (i + 1) * 30 * DAY), $lt: new Date(now - i * 30 * DAY) } })),
    members.aggregate([{ $match: base }, { $group: { _id: null, points: { $sum: '$pointsBalance' } } }]),
    members.aggregate([{ $match: base }, { $group: { _id: '$tier', count: { $sum: 1 } } }]),
    (async () => {
      for await (const _ of members.find(base, { _id: 0, spend12mFen: 1 }).sort({ spend12mFen: -1 }).lean().cursor({ batchSize: 5000 })) void _;
    })(),
  ]);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(count: number): Promise<{ dashboard: number; manager: number; recount: number; recountStore: number }> {
  const bench = await startBenchApp(`bench_dashboard_${count}`, 4);
  try {
    // Members as a year of trading leaves them: joined over 12 months, Pareto-ish spend, most with a visit.
    const now = Date.now();
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let start = 0; start < count; start += 5000) {
      const docs = Array.from({ length: Math.min(5000, count - start) }, (_, k) => {
        const i = start + k;
        const spend = Math.round(Math.exp(random() * 9) * 100);
        return {
          _id: new Types.ObjectId(), status: 'active', cardNo: `9${String(i).padStart(11, '0')}`, homeStoreId: STORES[i % STORES.length],
          tier: TIERS[Math.min(2, Math.floor(spend / 200_000))], pointsBalance: Math.floor(spend / 100), spend12mFen: spend,
          lastPurchaseAt: random() < 0.9 ? new Date(now - random() * 365 * DAY) : null, joinedAt: new Date(now - random() * 365 * DAY),
          createdAt: new Date(now - 365 * DAY), updatedAt: new Date(now - 365 * DAY), profileComplete: false, tags: [],
        };
      });
      await bench.services.models.members.collection.insertMany(docs, { ordered: false });
    }
    const folded = performance.now();
    await bench.services.memberRollups.catchUp({ settleMs: 0 });
    console.log(`  ${fmt(count)} members: first fold of all of them into the rollups ${fmt((performance.now() - folded) / 1000, 1)} s (once; later runs take only what changed)`);

    const hq = await signIn(bench, '/auth/admin', 'hq', 'hq-demo-pass');
    const manager = await signIn(bench, '/auth/staff', 'sh01-manager', 'staff-demo-pass');
    await get(bench, '/api/v1/admin/dashboard', hq); // warm
    const runs = 5;
    const dashboard: number[] = [];
    const managerRuns: number[] = [];
    const recounts: number[] = [];
    const storeRecounts: number[] = [];
    for (let i = 0; i < runs; i++) {
      dashboard.push(await get(bench, '/api/v1/admin/dashboard', hq));
      managerRuns.push(await get(bench, '/api/v1/admin/dashboard', manager));
      recounts.push(await recount(bench, null));
      storeRecounts.push(await recount(bench, 'SH01'));
    }
    return { dashboard: median(dashboard), manager: median(managerRuns), recount: median(recounts), recountStore: median(storeRecounts) };
  } finally {
    await bench.close();
  }
}

async function main(): Promise<void> {
  const results = [];
  for (const count of sizes) {
    const r = await measure(count);
    results.push(r);
    console.log(
      `${fmt(count).padStart(8)} members: dashboard ${fmt(r.dashboard)} ms (recount ${fmt(r.recount)} ms, ${fmt(r.dashboard / r.recount, 3)}×); ` +
        `store manager ${fmt(r.manager)} ms (recount ${fmt(r.recountStore)} ms, ${fmt(r.manager / r.recountStore, 3)}×)`,
    );
  }
  const [small, large] = results as [typeof results[0], typeof results[0]];
  console.log(
    `${fmt(sizes[1]!)}/${fmt(sizes[0]!)}: dashboard ${fmt(large.dashboard / small.dashboard, 2)}×, manager ${fmt(large.manager / small.manager, 2)}× ` +
      `(recount ${fmt(large.recount / small.recount, 2)}×); goal: under 300 ms and under 1.5×`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
