/**
 * Benchmark of recording purchases: purchases per second for one hot member and for 1,000 members, and the
 * database round trips each purchase takes, counted with the driver's command monitoring. Both are set
 * against a baseline measured in the same run: a bare insert of a ledger-sized document.
 * Run: npx tsx scripts/bench/points.ts   (about a minute; embedded database, server and client in one process)
 *   BENCH_PURCHASES=600 BENCH_CONCURRENCY=8 to change the load.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { base32Decode, base32Encode, cardNoFromBody, generateCode } from '@membercard/shared';
import { reconcilePoints } from '../../server/src/modules/points/reconcile';
import type { Actor } from '../../server/src/lib/requestContext';
import { Types } from 'mongoose';
import type { Services } from '../../server/src/services';
import { fmt, pool, startBenchApp } from './support';

const PURCHASES = Number(process.env.BENCH_PURCHASES ?? 1_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const MEMBERS = 1_000;


interface BenchMember {
  id: Types.ObjectId;
  cardNo: string;
  secret: Uint8Array;
}

async function createMembers(services: Services, count: number, now: Date): Promise<BenchMember[]> {
  const members: BenchMember[] = [];
  const docs = [];
  for (let i = 0; i < count; i++) {
    const id = new Types.ObjectId();
    const cardNo = cardNoFromBody(String(20_000_000_000 + i));
    const secret = base32Encode(randomBytes(20));
    members.push({ id, cardNo, secret: base32Decode(secret) });
    docs.push({
      _id: id, status: 'active', cardNo, codeSecret: secret, homeStoreId: 'SH01', profileComplete: false, tier: 'silver',
      tierSince: now, pointsBalance: 0, spend12mFen: 0, tags: [], joinedAt: now, createdAt: now,
    });
  }
  await services.models.members.insertMany(docs);
  return members;
}

function codeOf(member: BenchMember): string {
  return generateCode({ kind: 'member', subject: member.cardNo, secret: member.secret, now: new Date() }).code;
}

const orderNo = (() => {
  let seq = 0;
  return (label: string) => `${label}-${++seq}`;
})();

function report(label: string, count: number, run: { total: number; byName: Map<string, number>; ms: number }, baseline: { rate: number }) {
  const rate = (count / run.ms) * 1000;
  const perOp = run.total / count;
  const parts = [...run.byName.entries()].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${fmt(n / count, 2)}`);
  console.log(
    `${label.padEnd(44)} ${fmt(rate).padStart(6)} /s  (${fmt(rate / baseline.rate, 3)}× the bare insert)   ` +
      `${fmt(perOp, 2)} round trips each  [${parts.join(', ')}]`,
  );
}

async function main(): Promise<void> {
  const bench = await startBenchApp('bench_points', CONCURRENCY);
  const { connection, services, counter, agent } = bench;
  const base = `${bench.origin}/api/v1`;

  const clerkDoc = await services.models.staff.findOne({ username: 'sh01-clerk' }).lean<{ _id: Types.ObjectId }>();
  const actor: Actor = { type: 'staff', staffId: String(clerkDoc!._id), role: 'clerk', storeId: 'SH01', sessionId: 'bench' };
  const { token } = await services.tokens.issue({ type: 'staff', staffId: actor.staffId });
  const members = await createMembers(services, MEMBERS + 1, new Date());
  const hot = members[MEMBERS]!;

  function postPurchase(body: unknown): Promise<number> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}/staff/purchases`, {
        method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` },
      }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`purchase answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  console.log(`points benchmark (node ${process.version}; ${PURCHASES} purchases per run, ${CONCURRENCY} in flight; embedded database in-process)`);

  // Baseline: one insert of a document shaped like a ledger entry, the cheapest write a purchase could be.
  const ledgerSized = () => ({
    memberId: new Types.ObjectId(), delta: 123, balanceAfter: 4_567, reason: '消费积分 SH01-20260304-0001', source: 'purchase',
    idempotencyKey: `purchase:SH01:${randomBytes(8).toString('hex')}`, createdAt: new Date(), expiresAt: new Date(), storeId: 'SH01', actorId: String(clerkDoc!._id),
  });
  const baselineColl = connection.collection('bench_baseline');
  await baselineColl.createIndex({ idempotencyKey: 1 }, { unique: true });
  for (let i = 0; i < 200; i++) await baselineColl.insertOne(ledgerSized()); // warm-up
  const baselineRun = await counter.measure(() => pool(PURCHASES, CONCURRENCY, async () => void (await baselineColl.insertOne(ledgerSized()))));
  const baseline = { rate: (PURCHASES / baselineRun.ms) * 1000 };
  report('baseline: bare insert of a ledger-sized doc', PURCHASES, baselineRun, baseline);

  // Warm-up of the purchase path (indexes, JIT, connection pool).
  await pool(100, CONCURRENCY, async (i) => void (await services.purchases.record(actor, 'bench', { memberCode: codeOf(members[i]!), orderNo: orderNo('warm'), amountFen: 1_000 })));

  const serviceSpread = await counter.measure(() =>
    pool(PURCHASES, CONCURRENCY, async (i) => void (await services.purchases.record(actor, 'bench', { memberCode: codeOf(members[i % MEMBERS]!), orderNo: orderNo('svc-spread'), amountFen: 12_345 }))),
  );
  report('service call, 1,000 members', PURCHASES, serviceSpread, baseline);
  const serviceHot = await counter.measure(() =>
    pool(PURCHASES, CONCURRENCY, async () => void (await services.purchases.record(actor, 'bench', { memberCode: codeOf(hot), orderNo: orderNo('svc-hot'), amountFen: 12_345 }))),
  );
  report('service call, one hot member', PURCHASES, serviceHot, baseline);
  // One at a time against a baseline also inserted one at a time (the one above runs CONCURRENCY at once).
  const baselineSequentialRun = await counter.measure(() => pool(PURCHASES / 2, 1, async () => void (await baselineColl.insertOne(ledgerSized()))));
  const baselineSequential = { rate: (PURCHASES / 2 / baselineSequentialRun.ms) * 1000 };
  report('baseline: bare insert, one at a time', PURCHASES / 2, baselineSequentialRun, baselineSequential);
  const serviceSequential = await counter.measure(() =>
    pool(PURCHASES / 2, 1, async (i) => void (await services.purchases.record(actor, 'bench', { memberCode: codeOf(members[i % MEMBERS]!), orderNo: orderNo('svc-seq'), amountFen: 12_345 }))),
  );
  report('service call, 1,000 members, one at a time', PURCHASES / 2, serviceSequential, baselineSequential);

  const httpSpread = await counter.measure(() =>
    pool(PURCHASES, CONCURRENCY, async (i) => void (await postPurchase({ memberCode: codeOf(members[i % MEMBERS]!), orderNo: orderNo('http-spread'), amountFen: 12_345 }))),
  );
  report('HTTP POST /staff/purchases, 1,000 members', PURCHASES, httpSpread, baseline);
  const httpHot = await counter.measure(() =>
    pool(PURCHASES, CONCURRENCY, async () => void (await postPurchase({ memberCode: codeOf(hot), orderNo: orderNo('http-hot'), amountFen: 12_345 }))),
  );
  report('HTTP POST /staff/purchases, one hot member', PURCHASES, httpHot, baseline);

  const books = await reconcilePoints(services.models);
  const hotDoc = await services.models.members.findById(hot.id).lean<{ pointsBalance: number; spend12mFen: number; tier: string }>();
  console.log(`books: ${books.membersChecked} members checked, ${books.breaks.length} breaks; hot member: ${fmt(hotDoc!.pointsBalance)} points, tier ${hotDoc!.tier}`);
  console.log('round trips: a purchase needs the member read (code check), then in one transaction the member update,');
  console.log('  ledger insert, lot insert, purchase insert and commit (settings come from a 1 s cache); HTTP adds the staff');
  console.log('  check and the idempotency claim and completion. Write conflicts on a hot member retry the transaction.');

  await bench.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
