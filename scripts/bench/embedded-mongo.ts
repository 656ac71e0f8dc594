/**
 * Benchmark of the embedded MongoDB-compatible server through the real driver over TCP.
 * Run: npx tsx scripts/bench/embedded-mongo.ts   (takes about two minutes; needs ~1.5 GB of RAM for the 1M-document step)
 *      npx tsx scripts/bench/embedded-mongo.ts updates   (only the update throughput, on 10k documents, three rounds)
 *      npx tsx scripts/bench/embedded-mongo.ts queries   (only the campaign-shaped queries, memory and transactional inserts)
 * EMBEDDED_MONGO_SRC=/path/to/other/embedded-mongo/src runs the same figures against another copy of the
 * server (e.g. the previous commit, checked out elsewhere), so before/after come from the same script.
 */
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MongoClient, ObjectId } from 'mongodb';
import type { startServer as StartServer } from '../../embedded-mongo/src';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const now = () => performance.now();
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const smallDoc = (i: number) => ({ k: i, name: `member-${i}`, tier: i % 5, active: true });

async function fill(client: MongoClient, coll: string, count: number, batch: number): Promise<number> {
  const c = client.db('bench').collection(coll);
  await c.createIndex({ k: 1 });
  const start = now();
  for (let i = 0; i < count; i += batch) await c.insertMany(Array.from({ length: Math.min(batch, count - i) }, (_, j) => smallDoc(i + j)));
  return (count / (now() - start)) * 1000;
}

async function findOneLatencyMicros(client: MongoClient, coll: string, size: number, lookups: number): Promise<number> {
  const c = client.db('bench').collection(coll);
  for (let i = 0; i < 3000; i++) await c.findOne({ k: Math.floor(Math.random() * size) }); // warm-up (JIT)
  const start = now();
  for (let i = 0; i < lookups; i++) {
    const doc = await c.findOne({ k: Math.floor(Math.random() * size) });
    if (!doc) throw new Error('lookup missed');
  }
  return ((now() - start) / lookups) * 1000;
}

async function updateThroughput(client: MongoClient, coll: string): Promise<number> {
  const target = client.db('bench').collection(coll);
  const ids = (await target.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
  const updates = 20_000;
  const concurrency = 8;
  const start = now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = w; i < updates; i += concurrency) await target.updateOne({ _id: ids[i % ids.length] }, { $inc: { tier: 1 } });
    }),
  );
  return (updates / (now() - start)) * 1000;
}

/** Documents shaped like membercard's members and coupons (the campaign push works on these). */
const memberDoc = (i: number) => ({
  _id: new ObjectId(),
  status: i % 10 === 0 ? 'prospect' : 'active',
  openid: `openid-${i}`,
  cardNo: `C${String(i).padStart(9, '0')}`,
  homeStoreId: `store-${i % 20}`,
  name: `Member ${i}`,
  phone: `138${String(i).padStart(8, '0')}`,
  birthdayMonth: (i % 12) + 1,
  profileComplete: i % 3 === 0,
  tier: ['bronze', 'silver', 'gold'][i % 3],
  pointsBalance: i % 5000,
  spend12mFen: (i * 37) % 100_000,
  tags: i % 7 === 0 ? ['vip'] : [],
  joinedAt: new Date(1_700_000_000_000 + i * 60_000),
  createdAt: new Date(1_700_000_000_000 + i * 60_000),
});

const couponDoc = (memberId: ObjectId, i: number) => ({
  _id: new ObjectId(),
  templateId: TEMPLATE_ID,
  memberId,
  status: 'issued',
  validFrom: new Date(1_700_000_000_000),
  validUntil: new Date(1_800_000_000_000),
  channel: 'campaign',
  channelRef: `campaign-${i % 4}`,
  issuedAt: new Date(1_700_000_000_000 + i * 1000),
  redeemedAt: null,
  redemptionId: null,
  expiredAt: null,
});
const TEMPLATE_ID = new ObjectId();

async function timeEach(rounds: number, run: (round: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(rounds, 20); i++) await run(i); // warm-up (JIT)
  const start = now();
  for (let i = 0; i < rounds; i++) await run(i);
  return (now() - start) / rounds;
}

async function fillMembers(client: MongoClient, coll: string, count: number): Promise<ObjectId[]> {
  const c = client.db('bench').collection(coll);
  await c.createIndex({ cardNo: 1 }, { unique: true, partialFilterExpression: { cardNo: { $type: 'string' } } });
  await c.createIndex({ status: 1, tier: 1, homeStoreId: 1 });
  await c.createIndex({ status: 1, joinedAt: 1 });
  const ids: ObjectId[] = [];
  for (let i = 0; i < count; i += 5000) {
    const docs = Array.from({ length: Math.min(5000, count - i) }, (_, j) => memberDoc(i + j));
    await c.insertMany(docs);
    for (const d of docs) ids.push(d._id);
  }
  return ids;
}

/** The queries a campaign push and the product's paged lists send, at 10k and 200k members. */
async function queryFigures(client: MongoClient): Promise<void> {
  const db = client.db('bench');
  const paged: Record<number, number> = {};
  for (const size of [10_000, 200_000]) {
    const members = db.collection(`members${size}`);
    const ids = await fillMembers(client, `members${size}`, size);
    const pick = (n: number, round: number) => Array.from({ length: n }, (_, j) => ids[(round * 7919 + j * 997) % ids.length]);
    const singles = await timeEach(20, async (r) => {
      for (const id of pick(200, r)) await members.findOne({ _id: id });
    });
    const inIds = await timeEach(50, async (r) => {
      if ((await members.find({ _id: { $in: pick(200, r) } }).toArray()).length !== 200) throw new Error('$in missed');
    });
    const inCards = await timeEach(50, async (r) => {
      const cards = Array.from({ length: 200 }, (_, j) => `C${String((r * 7919 + j * 997) % size).padStart(9, '0')}`);
      if ((await members.find({ cardNo: { $in: cards } }).toArray()).length !== 200) throw new Error('$in missed');
    });
    console.log(
      `[${size / 1000}k members] $in of 200 _ids: ${fmt(inIds, 2)} ms (200 single findOne: ${fmt(singles, 2)} ms, ratio ${fmt(inIds / singles, 2)}x); ` +
        `$in of 200 cardNo (unique partial index): ${fmt(inCards, 2)} ms`,
    );
    // the pusher's page: a window of _ids after a cursor position, in _id order, 200 at a time
    const sorted = [...ids].sort((a, b) => a.toHexString().localeCompare(b.toHexString()));
    paged[size] = await timeEach(50, async (r) => {
      const from = sorted[(r * 104_729) % (sorted.length - 1000)];
      const page = await members.find({ status: 'active', _id: { $gt: from } }).sort({ _id: 1 }).limit(200).toArray();
      if (page.length !== 200) throw new Error('short page');
    });
    const firstPageOfAll = await timeEach(50, async () => {
      await members.find({}).sort({ _id: -1 }).limit(20).toArray();
    });
    console.log(
      `[${size / 1000}k members] paged _id range (status filter, sort _id, limit 200): ${fmt(paged[size], 2)} ms; ` +
        `newest 20 by _id (no filter): ${fmt(firstPageOfAll, 2)} ms`,
    );
    if (size === 200_000) {
      console.log(`paged range 200k / 10k: ${fmt(paged[200_000] / paged[10_000], 2)}x (an index walk stays flat; a scan grows 20x)`);
      // 60k coupons of 200 members (300 each) with the product's wallet index, and a $lookup back to members
      const coupons = db.collection('coupons60k');
      await coupons.createIndex({ memberId: 1, issuedAt: -1, _id: -1 });
      for (let i = 0; i < 60_000; i += 5000)
        await coupons.insertMany(Array.from({ length: 5000 }, (_, j) => couponDoc(ids[(i + j) % 200], i + j)));
      const wallet = await timeEach(200, async (r) => {
        const page = await coupons.find({ memberId: ids[r % 200] }).sort({ issuedAt: -1, _id: -1 }).limit(20).toArray();
        if (page.length !== 20) throw new Error('short wallet page');
      });
      console.log(`[60k coupons, 300 per member] wallet page (memberId + sort issuedAt -1, _id -1, limit 20): ${fmt(wallet, 2)} ms`);
      const lookup = await timeEach(10, async (r) => {
        const rows = await coupons
          .aggregate([
            { $match: { memberId: ids[r % 200] } },
            { $lookup: { from: 'members200000', localField: 'memberId', foreignField: '_id', as: 'member' } },
          ])
          .toArray();
        if (rows.length !== 300 || rows.some((row) => row.member.length !== 1)) throw new Error('lookup missed');
      });
      console.log(`[200k members] $lookup of one member's 300 coupons to members by _id: ${fmt(lookup, 2)} ms`);
    }
    await members.drop();
  }
}

/** Heap and RSS per document for members and coupons with the product's indexes. */
async function memoryFigures(client: MongoClient, count: number): Promise<void> {
  const db = client.db('bench');
  gc();
  const before = process.memoryUsage();
  const ids = await fillMembers(client, 'memMembers', count);
  gc();
  const afterMembers = process.memoryUsage();
  const coupons = db.collection('memCoupons');
  await coupons.createIndex({ templateId: 1, channel: 1, channelRef: 1, memberId: 1 }, { unique: true });
  await coupons.createIndex({ memberId: 1, status: 1, issuedAt: -1, _id: -1 });
  await coupons.createIndex({ status: 1, validUntil: 1 });
  for (let i = 0; i < count; i += 5000)
    await coupons.insertMany(Array.from({ length: Math.min(5000, count - i) }, (_, j) => couponDoc(ids[i + j], i + j)));
  gc();
  const after = process.memoryUsage();
  const perDoc = (a: number, b: number) => fmt((a - b) / count);
  console.log(
    `memory, ${count / 1000}k members (3 secondary indexes): heap ${perDoc(afterMembers.heapUsed, before.heapUsed)} B/doc, rss ${perDoc(afterMembers.rss, before.rss)} B/doc; ` +
      `+ ${count / 1000}k coupons (3 secondary indexes): heap ${perDoc(after.heapUsed, afterMembers.heapUsed)} B/doc, rss ${perDoc(after.rss, afterMembers.rss)} B/doc`,
  );
  await db.collection('memMembers').drop();
  await coupons.drop();
}

/** insertMany of member documents inside and outside a transaction. */
async function transactionInsertFigures(client: MongoClient): Promise<void> {
  const db = client.db('bench');
  const plain = db.collection('txnPlain');
  const inTxn = db.collection('txnInside');
  for (const c of [plain, inTxn]) await c.createIndex({ cardNo: 1 }, { unique: true, partialFilterExpression: { cardNo: { $type: 'string' } } });
  const total = 20_000;
  let start = now();
  for (let i = 0; i < total; i += 1000) await plain.insertMany(Array.from({ length: 1000 }, (_, j) => memberDoc(i + j)));
  const outside = (total / (now() - start)) * 1000;
  const session = client.startSession();
  start = now();
  for (let i = 0; i < total; i += 1000)
    await session.withTransaction(async () => {
      await inTxn.insertMany(Array.from({ length: 1000 }, (_, j) => memberDoc(i + j)), { session });
    });
  const inside = (total / (now() - start)) * 1000;
  await session.endSession();
  console.log(`insertMany x1000 (unique partial index): outside a transaction ${fmt(outside)} docs/s, inside ${fmt(inside)} docs/s (ratio ${fmt(outside / inside, 2)}x)`);
  await plain.drop();
  await inTxn.drop();
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const source = process.env.EMBEDDED_MONGO_SRC ? path.resolve(process.env.EMBEDDED_MONGO_SRC) : '../../embedded-mongo/src';
  const { startServer } = (await import(source)) as { startServer: typeof StartServer };
  const updatesOnly = mode === 'updates';
  const server = await startServer({ port: 0 });
  const client = await MongoClient.connect(server.uri, { maxPoolSize: 16 });
  console.log(`embedded-mongo benchmark (node ${process.version}, server and client in one process)`);

  if (updatesOnly) {
    await fill(client, 'docs10k', 10_000, 1000);
    // the first round includes JIT warm-up
    for (let round = 1; round <= 3; round++)
      console.log(`round ${round}: updateOne by _id ($inc, 8 concurrent): ${fmt(await updateThroughput(client, 'docs10k'))} ops/s`);
    await client.close();
    await server.stop();
    return;
  }
  if (mode === 'queries' || mode === undefined) {
    await memoryFigures(client, 200_000);
    await transactionInsertFigures(client);
    await queryFigures(client);
    if (mode === 'queries') {
      await client.close();
      await server.stop();
      return;
    }
  }

  gc();
  const heapBefore = process.memoryUsage();
  const insertRate = await fill(client, 'small100k', 100_000, 1000);
  gc();
  const heapAfter = process.memoryUsage();
  console.log(`insert 100k small docs (insertMany x1000): ${fmt(insertRate)} docs/s`);
  console.log(
    `memory per 100k docs (1 secondary index): heap +${fmt((heapAfter.heapUsed - heapBefore.heapUsed) / 2 ** 20, 1)} MiB, ` +
      `rss +${fmt((heapAfter.rss - heapBefore.rss) / 2 ** 20, 1)} MiB`,
  );

  await fill(client, 'docs10k', 10_000, 1000);
  const latency10k = await findOneLatencyMicros(client, 'docs10k', 10_000, 3000);
  console.log(`indexed findOne at 10k docs: ${fmt(latency10k, 1)} µs`);
  const fillRate1M = await fill(client, 'docs1m', 1_000_000, 5000);
  console.log(`(filled 1M docs at ${fmt(fillRate1M)} docs/s)`);
  const latency1M = await findOneLatencyMicros(client, 'docs1m', 1_000_000, 3000);
  console.log(`indexed findOne at 1M docs: ${fmt(latency1M, 1)} µs`);
  console.log(`ratio 1M / 10k: ${fmt(latency1M / latency10k, 2)}x (goal <= 2x)`);

  console.log(`updateOne by _id ($inc, 8 concurrent): ${fmt(await updateThroughput(client, 'docs10k'))} ops/s`);

  await client.close();
  await server.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
