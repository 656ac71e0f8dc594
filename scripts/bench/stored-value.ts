/**
 * Benchmark of stored-value charges (储值支付): signed POST /pos/stored-value/charges with a fresh member code, per
 * second and in database commands per charge (the driver's command monitoring), on one hot member (every charge on
 * the same account) and on many members (one charge each), against baselines measured in the same run: a bare
 * conditional $inc on one document (what the hot path cannot beat) and a bare insert.
 * Run: npx tsx scripts/bench/stored-value.ts   (about a minute; embedded database, server and client in one process)
 *   BENCH_CHARGES=400 BENCH_CONCURRENCY=8 to change the load.
 */
import http from 'node:http';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { base32Decode, base32Encode, cardNoFromBody, generateCode, posStringToSign } from '@membercard/shared';
import { Types } from 'mongoose';
import { inTransaction } from '../../server/src/lib/transactions';
import type { Actor } from '../../server/src/lib/requestContext';
import type { Services } from '../../server/src/services';
import { fmt, pool, startBenchApp } from './support';

const CHARGES = Number(process.env.BENCH_CHARGES ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const AMOUNT_FEN = 100;

interface BenchMember {
  id: Types.ObjectId;
  cardNo: string;
  secret: Uint8Array;
}

let cardSeq = 0;

/** Members holding `balanceFen` of stored value, topped up through the ledger (setup, not measured). */
async function createMembers(services: Services, count: number, balanceFen: number): Promise<BenchMember[]> {
  const now = new Date();
  const members: BenchMember[] = [];
  const docs = [];
  for (let i = 0; i < count; i++) {
    const id = new Types.ObjectId();
    const cardNo = cardNoFromBody(String(40_000_000_000 + ++cardSeq));
    const secret = base32Encode(randomBytes(20));
    members.push({ id, cardNo, secret: base32Decode(secret) });
    docs.push({
      _id: id, status: 'active', cardNo, codeSecret: secret, homeStoreId: 'SH01', profileComplete: false, tier: 'silver',
      tierSince: now, pointsBalance: 0, spend12mFen: 0, tags: [], joinedAt: now, createdAt: now,
    });
  }
  await services.models.members.insertMany(docs);
  await pool(count, 8, async (i) => {
    await inTransaction(services.models.members.db, undefined, (session) =>
      services.storedValueLedger.apply(session, { memberId: members[i]!.id, kind: 'topup', principalDelta: balanceFen, bonusDelta: 0, reason: '充值（基准）', idempotencyKey: `bench-topup:${members[i]!.id}`, actor: 'system' }),
    );
  });
  return members;
}

function report(label: string, count: number, run: { total: number; byName: Map<string, number>; ms: number }, baseline: { label: string; rate: number; perOp: number }) {
  const rate = (count / run.ms) * 1000;
  const perOp = run.total / count;
  const parts = [...run.byName.entries()].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${fmt(n / count, 2)}`);
  console.log(
    `${label.padEnd(50)} ${fmt(rate).padStart(6)} /s  (${fmt(rate / baseline.rate, 3)}× ${baseline.label})   ` +
      `${fmt(perOp, 2)} commands each  [${parts.join(', ')}]`,
  );
}

async function main(): Promise<void> {
  const bench = await startBenchApp('bench_stored_value', CONCURRENCY);
  const { connection, services, counter, agent } = bench;

  const hq = await services.models.staff.findOne({ username: 'hq' }).lean<{ _id: Types.ObjectId }>();
  const admin: Actor = { type: 'admin', staffId: String(hq!._id), role: 'hq', hqRole: 'admin', sessionId: 'bench' };
  const key = await services.posCredentials.create(admin, 'bench', { storeId: 'SH01' });

  const answers = new Map<number, number>();
  function charge(member: BenchMember, orderNo: string): Promise<void> {
    const body = { memberCode: generateCode({ kind: 'member', subject: member.cardNo, secret: member.secret, now: new Date() }).code, orderNo, orderTotalFen: AMOUNT_FEN, amountFen: AMOUNT_FEN };
    const path = '/api/v1/pos/stored-value/charges';
    const payload = JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('base64url');
    const bodySha256Hex = createHash('sha256').update(payload).digest('hex');
    const signature = createHmac('sha256', key.secret).update(posStringToSign({ method: 'POST', pathWithQuery: path, timestamp, nonce, bodySha256Hex })).digest('hex');
    return new Promise((resolve, reject) => {
      const req = http.request(`${bench.origin}${path}`, {
        method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'X-POS-Key': key.keyId, 'X-POS-Timestamp': timestamp, 'X-POS-Nonce': nonce, 'X-POS-Signature': signature },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          answers.set(res.statusCode!, (answers.get(res.statusCode!) ?? 0) + 1);
          if (res.statusCode === 201 || res.statusCode === 422) resolve();
          else reject(new Error(`${path} answered ${res.statusCode} ${Buffer.concat(chunks).toString()}`));
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  console.log(`Stored-value benchmark (node ${process.version}; ${CHARGES} charges of ${AMOUNT_FEN} fen per run, ${CONCURRENCY} in flight; embedded database in-process)`);

  // Baselines: a bare conditional $inc on one account-sized document (the hot member's floor), and a bare insert.
  const accounts = connection.collection('bench_baseline_accounts');
  const hotId = new Types.ObjectId();
  await accounts.insertOne({ _id: hotId, principalFen: 1e12, bonusFen: 0 });
  for (let i = 0; i < 200; i++) await accounts.updateOne({ _id: hotId, principalFen: { $gte: AMOUNT_FEN } }, { $inc: { principalFen: -AMOUNT_FEN } });
  const incRun = await counter.measure(() => pool(CHARGES, CONCURRENCY, async () => void (await accounts.updateOne({ _id: hotId, principalFen: { $gte: AMOUNT_FEN } }, { $inc: { principalFen: -AMOUNT_FEN } }))));
  const incBaseline = { label: 'the bare $inc', rate: (CHARGES / incRun.ms) * 1000, perOp: incRun.total / CHARGES };
  report('baseline: bare conditional $inc on one document', CHARGES, incRun, incBaseline);
  const inserts = connection.collection('bench_baseline_entries');
  const insertRun = await counter.measure(() => pool(CHARGES, CONCURRENCY, async () => void (await inserts.insertOne({ memberId: new Types.ObjectId(), delta: -AMOUNT_FEN, createdAt: new Date() }))));
  const insertBaseline = { label: 'the bare insert', rate: (CHARGES / insertRun.ms) * 1000, perOp: insertRun.total / CHARGES };
  report('baseline: bare insert', CHARGES, insertRun, insertBaseline);

  const warm = await createMembers(services, 20, 10_000);
  await pool(warm.length, CONCURRENCY, async (i) => charge(warm[i]!, `warm-${i}`));

  // One hot member: every charge on the same account (the balance covers them all).
  const [hot] = await createMembers(services, 1, CHARGES * AMOUNT_FEN);
  answers.clear();
  const hotRun = await counter.measure(() => pool(CHARGES, CONCURRENCY, async (i) => charge(hot!, `hot-${i}`)));
  report('one hot member: POST /pos/stored-value/charges', CHARGES, hotRun, incBaseline);
  const hotAnswers = new Map(answers);

  // Many members: one charge each.
  const many = await createMembers(services, CHARGES, 10_000);
  answers.clear();
  const manyRun = await counter.measure(() => pool(CHARGES, CONCURRENCY, async (i) => charge(many[i]!, `many-${i}`)));
  report('many members: POST /pos/stored-value/charges', CHARGES, manyRun, insertBaseline);
  const manyAnswers = new Map(answers);

  // A repeat of booked charges: answered from the charge, nothing taken.
  answers.clear();
  const repeatRun = await counter.measure(() => pool(CHARGES, CONCURRENCY, async (i) => charge(many[i]!, `many-${i}`)));
  report('repeat of a booked charge (answered, nothing taken)', CHARGES, repeatRun, insertBaseline);

  // The books: balances never below 0, balance = Σ entries for every member charged, one entry per charge.
  const hotBalance = await services.storedValueLedger.balanceOf(hot!.id);
  const entries = await services.models.storedValueEntries.aggregate<{ _id: Types.ObjectId; principal: number; bonus: number }>([
    { $group: { _id: '$memberId', principal: { $sum: '$principalDelta' }, bonus: { $sum: '$bonusDelta' } } },
  ]);
  let breaks = 0;
  for (const sum of entries) {
    const balance = await services.storedValueLedger.balanceOf(sum._id);
    if (balance.principalFen !== sum.principal || balance.bonusFen !== sum.bonus || balance.principalFen < 0 || balance.bonusFen < 0) breaks++;
  }
  const charges = await services.models.storedValueCharges.countDocuments({});
  const chargeEntries = await services.models.storedValueEntries.countDocuments({ kind: 'charge' });
  const fmtAnswers = (m: Map<number, number>) => [...m.entries()].map(([status, n]) => `${n} × ${status}`).join(', ');
  console.log(`answers: hot ${fmtAnswers(hotAnswers)}; many ${fmtAnswers(manyAnswers)}; the hot member's balance ${hotBalance.totalFen} fen (expected 0)`);
  console.log(`books: ${entries.length} members checked, ${breaks} breaks; ${charges} charges, ${chargeEntries} charge entries`);
  console.log('commands: a charge needs the credential read, the nonce insert, the existing-charge read, the member (code) read, the');
  console.log('  balance pre-check, then in one transaction the entry-key read, the balance read, the conditional account update,');
  console.log('  the entry, the charge and the audit inserts and the commit.');
  await bench.close();
  if (breaks > 0 || hotBalance.totalFen !== 0 || charges !== chargeEntries) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
