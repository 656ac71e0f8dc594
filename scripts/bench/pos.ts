/**
 * Benchmark of POS order commits: signed POST /pos/orders with 5 lines and one coupon, per second and in
 * database commands per commit (the driver's command monitoring), against a bare insert of an order-sized
 * document measured in the same run. For comparison, the same sale the counter's way: a coupon redemption and
 * a purchase, two requests and two transactions.
 * Run: npx tsx scripts/bench/pos.ts   (under a minute; embedded database, server and client in one process)
 *   BENCH_ORDERS=400 BENCH_CONCURRENCY=8 to change the load.
 */
import http from 'node:http';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { base32Decode, base32Encode, cardNoFromBody, generateCode, posStringToSign } from '@membercard/shared';
import { reconcilePoints } from '../../server/src/modules/points/reconcile';
import type { Actor } from '../../server/src/lib/requestContext';
import { Types } from 'mongoose';
import type { Services } from '../../server/src/services';
import { fmt, pool, startBenchApp } from './support';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);


const LINES = [
  { sku: 'MILK-1L', name: '鲜牛奶 1L', category: 'DAIRY', qty: 2, unitFen: 1_590, amountFen: 3_180 },
  { sku: 'BREAD', name: '全麦面包', category: 'BAKERY', qty: 1, unitFen: 1_220, amountFen: 1_220 },
  { sku: 'APPLE', name: '富士苹果', category: 'FRUIT', qty: 4, unitFen: 650, amountFen: 2_600 },
  { sku: 'WINE', name: '红酒', category: 'WINE', qty: 1, unitFen: 26_800, amountFen: 26_800 },
  { sku: 'TISSUE', name: '纸巾', category: 'PAPER_GOODS', qty: 3, unitFen: 600, amountFen: 1_800 },
];
const TOTAL = LINES.reduce((sum, l) => sum + l.amountFen, 0);

interface BenchMember {
  id: Types.ObjectId;
  cardNo: string;
  secret: Uint8Array;
  couponId: Types.ObjectId;
}

let cardSeq = 0;

/** Members with one issued 满100减20 coupon each (written directly: setup, not measured). */
async function createMembers(services: Services, count: number, label: string, now: Date): Promise<BenchMember[]> {
  const members: BenchMember[] = [];
  const memberDocs = [];
  const couponDocs = [];
  const templateId = new Types.ObjectId();
  for (let i = 0; i < count; i++) {
    const id = new Types.ObjectId();
    const couponId = new Types.ObjectId();
    const cardNo = cardNoFromBody(String(30_000_000_000 + ++cardSeq));
    const secret = base32Encode(randomBytes(20));
    members.push({ id, cardNo, secret: base32Decode(secret), couponId });
    memberDocs.push({
      _id: id, status: 'active', cardNo, codeSecret: secret, homeStoreId: 'SH01', profileComplete: false, tier: 'silver',
      tierSince: now, pointsBalance: 0, spend12mFen: 0, tags: [], joinedAt: now, createdAt: now,
    });
    couponDocs.push({
      _id: couponId, templateId, memberId: id, status: 'issued', title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000,
      storeIds: [], tiers: [], validFrom: new Date(now.getTime() - 3600_000), validUntil: new Date(now.getTime() + 30 * 86400_000),
      channel: 'grant', channelRef: `bench-${label}-${i}`, issuedAt: now,
    });
  }
  await services.models.members.insertMany(memberDocs);
  await services.models.coupons.collection.insertMany(couponDocs);
  return members;
}

function report(label: string, count: number, run: { total: number; byName: Map<string, number>; ms: number }, baseline: { rate: number; perOp: number }) {
  const rate = (count / run.ms) * 1000;
  const perOp = run.total / count;
  const parts = [...run.byName.entries()].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${fmt(n / count, 2)}`);
  console.log(
    `${label.padEnd(52)} ${fmt(rate).padStart(6)} /s  (${fmt(rate / baseline.rate, 3)}× the bare insert)   ` +
      `${fmt(perOp, 2)} commands each (${fmt(perOp / baseline.perOp, 1)}×)  [${parts.join(', ')}]`,
  );
}

async function main(): Promise<void> {
  const bench = await startBenchApp('bench_pos', CONCURRENCY);
  const { connection, services, counter, agent } = bench;
  const base = bench.origin;

  const hq = await services.models.staff.findOne({ username: 'hq' }).lean<{ _id: Types.ObjectId }>();
  const admin: Actor = { type: 'admin', staffId: String(hq!._id), role: 'hq', hqRole: 'admin', sessionId: 'bench' };
  const key = await services.posCredentials.create(admin, 'bench', { storeId: 'SH01' });
  const clerk = await services.models.staff.findOne({ username: 'sh01-clerk' }).lean<{ _id: Types.ObjectId }>();
  const { token } = await services.tokens.issue({ type: 'staff', staffId: String(clerk!._id) });

  function send(method: string, path: string, body: unknown, headers: Record<string, string>, expected: number): Promise<void> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}${path}`, {
        method, agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === expected ? resolve() : reject(new Error(`${path} answered ${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  function commitOrder(member: BenchMember, orderNo: string): Promise<void> {
    const body = { orderNo, memberId: String(member.id), lines: LINES, totalFen: TOTAL, couponIds: [String(member.couponId)] };
    const path = '/api/v1/pos/orders';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('base64url');
    const bodySha256Hex = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const signature = createHmac('sha256', key.secret).update(posStringToSign({ method: 'POST', pathWithQuery: path, timestamp, nonce, bodySha256Hex })).digest('hex');
    return send('POST', path, body, { 'X-POS-Key': key.keyId, 'X-POS-Timestamp': timestamp, 'X-POS-Nonce': nonce, 'X-POS-Signature': signature }, 201);
  }

  async function counterSale(member: BenchMember, orderNo: string): Promise<void> {
    const auth = { authorization: `Bearer ${token}` };
    const couponCode = generateCode({ kind: 'coupon', subject: String(member.couponId), secret: member.secret, now: new Date() }).code;
    await send('POST', '/api/v1/staff/redemptions', { code: couponCode, orderNo, orderAmountFen: TOTAL }, auth, 201);
    const memberCode = generateCode({ kind: 'member', subject: member.cardNo, secret: member.secret, now: new Date() }).code;
    const lines = LINES.map(({ unitFen: _unit, ...line }) => line);
    await send('POST', '/api/v1/staff/purchases', { memberCode, orderNo, amountFen: TOTAL - 2_000, lines: lines.map((l, i) => (i === 3 ? { ...l, amountFen: l.amountFen - 2_000 } : l)) }, auth, 200);
  }

  console.log(`POS benchmark (node ${process.version}; ${ORDERS} orders per run of 5 lines and one coupon, ${CONCURRENCY} in flight; embedded database in-process)`);

  // Baseline: one insert of a document shaped like a POS order with 5 lines, the cheapest write a commit could be.
  const orderSized = () => ({
    storeId: 'SH01', orderNo: `B-${randomBytes(8).toString('hex')}`, memberId: new Types.ObjectId(), purchaseId: new Types.ObjectId(), totalFen: TOTAL,
    discountFen: 2_000, netFen: TOTAL - 2_000, lines: LINES.map((l) => ({ ...l, returnedQty: 0 })), coupons: [{ couponId: new Types.ObjectId(), redemptionId: new Types.ObjectId(), savingFen: 2_000 }],
    pointsEarned: 336, createdAt: new Date(),
  });
  const baselineColl = connection.collection('bench_baseline');
  await baselineColl.createIndex({ storeId: 1, orderNo: 1 }, { unique: true });
  for (let i = 0; i < 200; i++) await baselineColl.insertOne(orderSized()); // warm-up
  const baselineRun = await counter.measure(() => pool(ORDERS, CONCURRENCY, async () => void (await baselineColl.insertOne(orderSized()))));
  const baseline = { rate: (ORDERS / baselineRun.ms) * 1000, perOp: baselineRun.total / ORDERS };
  report('baseline: bare insert of an order-sized doc', ORDERS, baselineRun, baseline);

  const now = new Date();
  const warm = await createMembers(services, 50, 'warm', now);
  await pool(warm.length, CONCURRENCY, async (i) => commitOrder(warm[i]!, `warm-${i}`));

  const posMembers = await createMembers(services, ORDERS, 'pos', now);
  const posRun = await counter.measure(() => pool(ORDERS, CONCURRENCY, async (i) => commitOrder(posMembers[i]!, `pos-${i}`)));
  report('signed POST /pos/orders (5 lines, 1 coupon)', ORDERS, posRun, baseline);

  const posSeqMembers = await createMembers(services, ORDERS / 2, 'pos-seq', now);
  const baselineSeqRun = await counter.measure(() => pool(ORDERS / 2, 1, async () => void (await baselineColl.insertOne(orderSized()))));
  const baselineSeq = { rate: (ORDERS / 2 / baselineSeqRun.ms) * 1000, perOp: baselineSeqRun.total / (ORDERS / 2) };
  report('baseline: bare insert, one at a time', ORDERS / 2, baselineSeqRun, baselineSeq);
  const posSeqRun = await counter.measure(() => pool(ORDERS / 2, 1, async (i) => commitOrder(posSeqMembers[i]!, `pos-seq-${i}`)));
  report('signed POST /pos/orders, one at a time', ORDERS / 2, posSeqRun, baselineSeq);

  const counterMembers = await createMembers(services, ORDERS, 'counter', now);
  const counterRun = await counter.measure(() => pool(ORDERS, CONCURRENCY, async (i) => counterSale(counterMembers[i]!, `ctr-${i}`)));
  report('counter way: redemption + purchase (2 requests)', ORDERS, counterRun, baseline);

  const repeatRun = await counter.measure(() => pool(ORDERS, CONCURRENCY, async (i) => commitOrder(posMembers[i]!, `pos-${i}`)));
  report('repeat of a booked order (answered, nothing booked)', ORDERS, repeatRun, baseline);

  const books = await reconcilePoints(services.models);
  const orders = await services.models.posOrders.countDocuments({ orderNo: /^pos-/ });
  console.log(`books: ${books.membersChecked} members checked, ${books.breaks.length} breaks; ${orders} POS orders booked for ${ORDERS + ORDERS / 2} commits (+${ORDERS} repeats)`);
  console.log('commands: a commit needs the credential read, the nonce insert, the member and coupon reads, the idempotency claim,');
  console.log('  then in one transaction the member update, ledger entry, lot, purchase, audit, coupon update, redemption, its audit,');
  console.log('  the order insert and the commit, and the idempotency record completion.');

  await bench.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
