/**
 * Campaign figures benchmark at two member counts: one campaign's stats (GET /admin/campaigns/:id), its results
 * against the holdout (GET /admin/campaigns/:id/results) and the campaign list (GET /admin/campaigns) over HTTP,
 * read from the outcome rollups (server/src/modules/campaigns/rollups.ts), against the recount each request did
 * before them (walk the campaign's audience, read each slice's purchases in the window through the member/time index,
 * read its redemptions; the list: redemptions by store and by the redeemer's tier through a $lookup of the members),
 * in the same run. Prints each time, the rollup/recount ratio, and the large/small ratio (goal: under 300 ms at both
 * sizes and a large/small ratio under 1.5×).
 * The data: every member in one campaign's audience (30% held out), four more campaigns over a fifth of them each,
 * 1.5 purchases per member in the window, a tenth of the treated redeeming; the first fold of all of it into the
 * rollups is timed once; 300 purchases and 30 redemptions made after it are the unsettled tail readers fold in.
 * Run: [PROFILE=1] npx tsx scripts/bench/campaign-stats.ts [small=10000] [large=100000]
 * PROFILE=1 prints the commands one results request sends, with their times.
 *
 * Figures (2 cores shared with 7 other sessions; medians of 5 requests each):
 *   Quiet (load average under 2):  10k: stats 69 ms (recount 30 ms), results 67 ms (recount 418 ms), list 81 ms
 *                                  (recount 61 ms); 100k: stats 83 ms (233 ms), results 100 ms (4,038 ms), list 90 ms
 *                                  (508 ms); 100k/10k 1.19×, 1.49×, 1.10× (the recount 7.8×, 9.7×, 8.4×);
 *                                  first fold 5.7 s at 10k, 74 s at 100k (once; the job then takes only what changed).
 *   Loaded (load average 9–22):    10k 211–522 ms; 100k stats 251 ms (recount 742 ms), results 286 ms (13.8 s), list
 *                                  292 ms (1.5 s). One loaded run's 100k half ended in a socket hang-up (not seen since).
 *   A request sends ~20 commands, none growing with the members (PROFILE=1); the rest is the 330-change tail.
 */
import http from 'node:http';
import os from 'node:os';
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

async function signIn(bench: BenchApp): Promise<string> {
  const res = await fetch(`${bench.origin}/api/v1/auth/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'hq', password: 'hq-demo-pass' }) });
  return ((await res.json()) as { token: string }).token;
}

/** What one campaign's results read before the rollups: its audience in slices, each slice's window purchases, its redemptions. */
async function recountResults(bench: BenchApp, campaignId: Types.ObjectId, from: Date, until: Date): Promise<number> {
  const { campaignAudience, purchases, redemptions } = bench.services.models;
  const started = performance.now();
  let slice: Types.ObjectId[] = [];
  const spendOf = new Map<string, number>();
  const read = async () => {
    const bought = await purchases.collection
      .find({ memberId: { $in: slice }, createdAt: { $gte: from, $lt: until }, status: 'booked' }, { projection: { _id: 0, memberId: 1, amountFen: 1 } })
      .toArray();
    for (const p of bought) spendOf.set(String(p.memberId), (spendOf.get(String(p.memberId)) ?? 0) + (p.amountFen as number));
    slice = [];
  };
  for await (const member of campaignAudience.find({ campaignId }, { memberId: 1, holdout: 1, homeStoreId: 1, tier: 1 }).sort({ memberId: 1 }).lean().cursor({ batchSize: 2000 })) {
    slice.push(member.memberId);
    if (slice.length >= 2000) await read();
  }
  if (slice.length) await read();
  await redemptions.find({ channel: 'campaign', channelRef: String(campaignId), status: 'redeemed' }, { memberId: 1, orderAmountFen: 1, savingFen: 1 }).lean();
  return performance.now() - started;
}

/** What a campaign's stats (and, for a page of them, the list) read before the rollups: two aggregations of its redemptions. */
async function recountStats(bench: BenchApp, campaignIds: string[]): Promise<number> {
  const { redemptions, members } = bench.services.models;
  const started = performance.now();
  const match = { channel: 'campaign', channelRef: campaignIds.length === 1 ? campaignIds[0] : { $in: campaignIds }, status: 'redeemed' };
  await Promise.all([
    redemptions.aggregate([{ $match: match }, { $group: { _id: { campaign: '$channelRef', key: '$storeId' }, redeemed: { $sum: 1 }, orderAmountFen: { $sum: { $ifNull: ['$orderAmountFen', 0] } } } }]),
    redemptions.aggregate([
      { $match: match },
      { $lookup: { from: members.collection.collectionName, localField: 'memberId', foreignField: '_id', as: 'member' } },
      { $group: { _id: { campaign: '$channelRef', key: { $first: '$member.tier' } }, redeemed: { $sum: 1 }, orderAmountFen: { $sum: { $ifNull: ['$orderAmountFen', 0] } } } },
    ]),
  ]);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Figures {
  stats: number; results: number; list: number; recountStats: number; recountResults: number; recountList: number; fold: number; tail: number;
}

async function measure(count: number): Promise<Figures> {
  const bench = await startBenchApp(`bench_campaign_stats_${count}`, 4);
  try {
    const { models } = bench.services;
    const now = Date.now();
    const launchedAt = new Date(now - 20 * DAY);
    const windowEndsAt = new Date(now + 10 * DAY);
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    // Only its type and amount matter here (the coupon cost of a redemption).
    const template = { _id: new Types.ObjectId() };
    await models.couponTemplates.collection.insertOne({
      _id: template._id, title: '基准券', type: 'cash', minSpendFen: 0, amountOffFen: 1_000, validDays: 30, totalQuantity: count * 3, remaining: count * 3, issuedCount: 0,
      perMemberLimit: 1, storeIds: [], tiers: [], status: 'active', createdAt: new Date(now - 30 * DAY),
    });
    // Five launched campaigns: the first over everyone, the others over a fifth each.
    const campaignIds = Array.from({ length: 5 }, () => new Types.ObjectId());
    const issuedBy = campaignIds.map(() => ({ tier: {} as Record<string, number>, homeStore: {} as Record<string, number> }));
    const issued = campaignIds.map(() => 0);
    const memberIds: Types.ObjectId[] = [];
    for (let start = 0; start < count; start += 5000) {
      const members = [];
      const audience = [];
      const purchases = [];
      const redemptions = [];
      for (let i = start; i < Math.min(count, start + 5000); i++) {
        const memberId = new Types.ObjectId();
        memberIds.push(memberId);
        const store = STORES[i % STORES.length]!;
        const tier = TIERS[i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0]!;
        members.push({
          _id: memberId, status: 'active', cardNo: `8${String(i).padStart(11, '0')}`, homeStoreId: store, tier, pointsBalance: 0, spend12mFen: 0,
          lastPurchaseAt: null, joinedAt: new Date(now - 200 * DAY), createdAt: new Date(now - 200 * DAY), updatedAt: new Date(now - 200 * DAY), profileComplete: false, tags: [],
        });
        for (const [c, campaignId] of campaignIds.entries()) {
          if (c > 0 && i % 5 !== c - 1) continue;
          const holdout = random() < 0.3;
          audience.push({ campaignId, memberId, holdout, draw: random(), homeStoreId: store, tier, at: new Date(launchedAt.getTime() + 1000 + Math.floor(i / 500)) }); // stamped per push batch
          if (holdout) continue;
          issued[c]! += 1;
          issuedBy[c]!.tier[tier] = (issuedBy[c]!.tier[tier] ?? 0) + 1;
          issuedBy[c]!.homeStore[store] = (issuedBy[c]!.homeStore[store] ?? 0) + 1;
          if (random() < 0.1) {
            redemptions.push({
              couponId: new Types.ObjectId(), memberId, templateId: template._id, channel: 'campaign', channelRef: String(campaignId), storeId: STORES[Math.floor(random() * 3)]!,
              staffId: 'bench', orderNo: `R${i}-${c}`, orderAmountFen: 5_000 + Math.floor(random() * 20_000), savingFen: 1_000, status: 'redeemed', createdAt: new Date(launchedAt.getTime() + random() * 19 * DAY),
            });
          }
        }
        for (let k = 0; k < (random() < 0.5 ? 1 : 2); k++) {
          purchases.push({
            memberId, storeId: store, orderNo: `P${i}-${k}`, amountFen: 1_000 + Math.floor(random() * 30_000), lines: [], pointsEarned: 0, ledgerEntryId: null, balanceAfter: 0,
            tierBefore: tier, tierAfter: tier, staffId: 'bench', createdAt: new Date(launchedAt.getTime() + random() * 19 * DAY), status: 'booked', inSpendWindow: false, reversal: null,
          });
        }
      }
      await models.members.collection.insertMany(members, { ordered: false });
      await models.campaignAudience.collection.insertMany(audience, { ordered: false });
      await models.purchases.collection.insertMany(purchases, { ordered: false });
      if (redemptions.length) await models.redemptions.collection.insertMany(redemptions, { ordered: false });
    }
    await models.campaigns.collection.insertMany(
      campaignIds.map((_id, c) => ({
        _id, name: `基准活动 ${c + 1}`, templateId: template._id, segment: {}, message: null, status: 'completed', holdoutShare: 0.3, holdoutSeed: 'bench',
        progress: { targeted: c === 0 ? count : Math.ceil(count / 5), holdout: 0, issued: issued[c], notified: 0, failed: 0 }, source: null, launchAt: null, scheduledBy: null,
        windowEndsAt, processed: 0, issuedBy: issuedBy[c], lastTargetId: null, resumeAfter: null, leaseOwner: null, leaseUntil: null, failureReason: null,
        createdAt: new Date(launchedAt.getTime() - 1000 * (c + 1)), launchedAt, completedAt: launchedAt,
      })),
    );
    const folding = performance.now();
    await bench.services.campaignRollups.catchUp({ settleMs: 0 });
    const fold = (performance.now() - folding) / 1000;
    // The unsettled tail: purchases and redemptions since the job's last run, which readers fold in themselves.
    const tail = Array.from({ length: 300 }, (_, k) => ({
      memberId: memberIds[Math.floor(random() * memberIds.length)]!, storeId: 'SH01', orderNo: `T${k}`, amountFen: 8_800, lines: [], pointsEarned: 0, ledgerEntryId: null, balanceAfter: 0,
      tierBefore: 'silver', tierAfter: 'silver', staffId: 'bench', createdAt: new Date(), status: 'booked', inSpendWindow: false, reversal: null,
    }));
    await models.purchases.collection.insertMany(tail);
    await models.redemptions.collection.insertMany(
      tail.slice(0, 30).map((p, k) => ({
        couponId: new Types.ObjectId(), memberId: p.memberId, templateId: template._id, channel: 'campaign', channelRef: String(campaignIds[0]), storeId: 'SH01', staffId: 'bench',
        orderNo: `TR${k}`, orderAmountFen: 8_800, savingFen: 1_000, status: 'redeemed', createdAt: new Date(),
      })),
    );

    const hq = await signIn(bench);
    const id = String(campaignIds[0]);
    await get(bench, `/api/v1/admin/campaigns/${id}/results`, hq); // warm
    if (process.env.PROFILE) {
      // The commands one results request sends, with their times (PROFILE=1).
      const started = new Map<number, { what: string; at: number }>();
      const lines: string[] = [];
      const client = bench.connection.getClient();
      const onStart = (e: { requestId: number; commandName: string; command: Record<string, unknown> }) => started.set(e.requestId, { what: `${e.commandName} ${String(e.command[e.commandName])} ${JSON.stringify(e.command.filter ?? '').slice(0, 120)}`, at: performance.now() });
      const onEnd = (e: { requestId: number }) => {
        const s = started.get(e.requestId);
        if (s) lines.push(`  ${(performance.now() - s.at).toFixed(1).padStart(7)} ms  ${s.what}`);
      };
      client.on('commandStarted', onStart);
      client.on('commandSucceeded', onEnd);
      const ms = await get(bench, `/api/v1/admin/campaigns/${id}/results`, hq);
      client.off('commandStarted', onStart);
      client.off('commandSucceeded', onEnd);
      console.log(`results ${ms.toFixed(0)} ms:\n${lines.join('\n')}`);
      const marks = await bench.services.campaignRollups.models.marks.find({}).lean();
      console.log(JSON.stringify(marks));
      for (const [name, run] of [
        ['purchases', () => models.purchases.find({ createdAt: { $gte: marks.find((m) => m._id === 'purchases')!.time } }, { memberId: 1, createdAt: 1 }).lean()],
        ['reversals', () => models.purchases.find({ 'reversal.at': { $gte: new Date(0) } }, { memberId: 1 }).lean()],
        ['redemptions', () => models.redemptions.find({ createdAt: { $gte: marks.find((m) => m._id === 'redemptions')!.time } }, { memberId: 1 }).lean()],
        ['redemption-reversals', () => models.redemptions.find({ reversedAt: { $gte: new Date(0) } }, { memberId: 1 }).lean()],
      ] as const) {
        const t0 = performance.now();
        const r = await run();
        console.log(`  ${name}: ${Array.isArray(r) ? r.length : JSON.stringify(r).slice(0, 300)} in ${(performance.now() - t0).toFixed(1)} ms`);
      }
    }
    const runs = { stats: [] as number[], results: [] as number[], list: [] as number[], recountStats: [] as number[], recountResults: [] as number[], recountList: [] as number[] };
    for (let i = 0; i < 5; i++) {
      runs.stats.push(await get(bench, `/api/v1/admin/campaigns/${id}`, hq));
      runs.results.push(await get(bench, `/api/v1/admin/campaigns/${id}/results`, hq));
      runs.list.push(await get(bench, '/api/v1/admin/campaigns', hq));
      runs.recountStats.push(await recountStats(bench, [id]));
      runs.recountResults.push(await recountResults(bench, campaignIds[0]!, launchedAt, new Date()));
      runs.recountList.push(await recountStats(bench, campaignIds.map(String)));
    }
    return {
      stats: median(runs.stats), results: median(runs.results), list: median(runs.list),
      recountStats: median(runs.recountStats), recountResults: median(runs.recountResults), recountList: median(runs.recountList), fold, tail: tail.length + 30,
    };
  } finally {
    await bench.close();
  }
}

async function main(): Promise<void> {
  const load = () => os.loadavg().map((n) => n.toFixed(1)).join(' ');
  console.log(`campaign figures benchmark (load average ${load()})`);
  const results: Figures[] = [];
  for (const count of sizes) {
    const r = await measure(count);
    results.push(r);
    console.log(
      `${fmt(count).padStart(8)} members: first fold ${fmt(r.fold, 1)} s (once); with ${r.tail} unsettled changes: ` +
        `stats ${fmt(r.stats)} ms (recount ${fmt(r.recountStats)} ms, ${fmt(r.stats / r.recountStats, 2)}×); ` +
        `results ${fmt(r.results)} ms (recount ${fmt(r.recountResults)} ms, ${fmt(r.results / r.recountResults, 3)}×); ` +
        `list ${fmt(r.list)} ms (recount ${fmt(r.recountList)} ms, ${fmt(r.list / r.recountList, 2)}×)`,
    );
  }
  const [small, large] = results as [Figures, Figures];
  console.log(
    `${fmt(sizes[1]!)}/${fmt(sizes[0]!)}: stats ${fmt(large.stats / small.stats, 2)}×, results ${fmt(large.results / small.results, 2)}×, list ${fmt(large.list / small.list, 2)}× ` +
      `(recount: stats ${fmt(large.recountStats / small.recountStats, 2)}×, results ${fmt(large.recountResults / small.recountResults, 2)}×, list ${fmt(large.recountList / small.recountList, 2)}×); ` +
      `goal: under 300 ms and under 1.5× (load average now ${load()})`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
