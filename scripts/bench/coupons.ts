/**
 * Coupon benchmark over HTTP against the real product (embedded database, one process):
 *  - redemptions per second (POST /staff/redemptions) beside a same-run baseline: scanning the same kind of
 *    coupon code (POST /staff/scan: the same auth and code verification, no writes);
 *  - database round trips per redemption, counted with the driver's command monitoring, by command;
 *  - generating and storing a batch of 100,000 redemption codes, beside a baseline plain insertMany of
 *    100,000 documents of the same shape through the same driver.
 * Run: npx tsx scripts/bench/coupons.ts
 */
import { randomBytes } from 'node:crypto';
import { startServer as startEmbeddedMongo } from '@membercard/embedded-mongo';
import { base32Decode, generateCode } from '@membercard/shared';
import pino from 'pino';
import { startMembercard, withDatabase } from '../../server/src/bootstrap';
import { seedDemoData } from '../../server/src/demo/seed';
import { ApiClient, adminToken, joinedMember, staffToken } from '../../server/test/support/harness';

const MEMBERS = 20;
const COUPONS_PER_MEMBER = 15;
const CONCURRENCY = 8;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function main(): Promise<void> {
  const db = await startEmbeddedMongo({ port: 0 });
  // monitorCommands in the URI: the product's own connection reports every command it sends.
  const uri = `${withDatabase(db.uri, 'bench_coupons')}?monitorCommands=true`;
  const logger = pino({ level: 'silent' });
  const app = await startMembercard({
    config: {
      env: 'test', port: 0, host: '127.0.0.1', logLevel: 'silent', demo: false, mongodbUri: uri, dataDir: '/nonexistent',
      jwtSecret: randomBytes(32).toString('hex'),
      wechat: { appId: 'wxbench00000000001', appSecret: 'demo-app-secret-not-for-production' },
      wechatPay: { mchId: '1900000001' },
    },
    logger,
    emulator: true,
    codeStepSeconds: 600, // codes are made before the timed phase; a long window keeps them valid through it
  });
  await seedDemoData(app.services, logger);
  const api = new ApiClient(app.url);
  const admin = await adminToken(api);
  const clerk = await staffToken(api, 'sh01-clerk');

  const commands: string[] = [];
  let counting = false;
  app.connection.getClient().on('commandStarted', (event) => {
    if (counting) commands.push(event.commandName);
  });

  // ---- setup: members holding coupons, and a signed code for each ----
  const template = await api.post(
    '/admin/coupon-templates',
    { title: 'bench 满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 100_000, perMemberLimit: 100 },
    admin,
  );
  const codes: string[] = [];
  for (let m = 0; m < MEMBERS; m++) {
    const { token, member } = await joinedMember(api, `bench-${m}`);
    const secret = base32Decode((await api.get('/me/code-key', token)).body.secret);
    for (let c = 0; c < COUPONS_PER_MEMBER; c++) {
      const granted = await api.post(`/admin/coupon-templates/${template.body.id}/grants`, { memberId: member.id }, admin, { 'Idempotency-Key': `bench-${m}-${c}` });
      if (granted.status !== 201) throw new Error(`grant failed: ${granted.status} ${granted.text}`);
      codes.push(generateCode({ kind: 'coupon', subject: granted.body.id, secret, now: new Date(), stepSeconds: 600 }).code);
    }
  }
  console.log(`coupon benchmark (node ${process.version}; product, embedded database and client in one process; ${codes.length} coupons)`);

  // ---- baseline: scans (same auth and code verification, reads only) ----
  for (const code of codes.slice(0, 20)) await api.post('/staff/scan', { code }, clerk); // warm-up
  const scan = await timed(() => inParallel(codes, CONCURRENCY, async (code) => {
    const res = await api.post('/staff/scan', { code }, clerk);
    if (res.status !== 200) throw new Error(`scan failed: ${res.status} ${res.text}`);
  }));
  const scansPerSecond = (codes.length / scan.ms) * 1000;

  // ---- round trips of one redemption, sequentially, by command ----
  const sample = codes.slice(0, 20);
  commands.length = 0;
  counting = true;
  for (const code of sample) {
    const res = await api.post('/staff/redemptions', { code, orderAmountFen: 15_000 }, clerk);
    if (res.status !== 201) throw new Error(`redemption failed: ${res.status} ${res.text}`);
  }
  counting = false;
  const byCommand = new Map<string, number>();
  for (const name of commands) byCommand.set(name, (byCommand.get(name) ?? 0) + 1);
  const writeCommands = new Set(['insert', 'update', 'delete', 'findAndModify', 'commitTransaction']);
  const writes = commands.filter((name) => writeCommands.has(name)).length;

  // ---- throughput: the remaining redemptions in parallel ----
  const rest = codes.slice(sample.length);
  const redeem = await timed(() => inParallel(rest, CONCURRENCY, async (code) => {
    const res = await api.post('/staff/redemptions', { code, orderAmountFen: 15_000 }, clerk);
    if (res.status !== 201) throw new Error(`redemption failed: ${res.status} ${res.text}`);
  }));
  const redemptionsPerSecond = (rest.length / redeem.ms) * 1000;

  console.log(`scans (baseline):  ${fmt(scansPerSecond)} /s  (${codes.length} at concurrency ${CONCURRENCY})`);
  console.log(`redemptions:       ${fmt(redemptionsPerSecond)} /s  (${rest.length} at concurrency ${CONCURRENCY}); ratio to baseline ${fmt(redemptionsPerSecond / scansPerSecond, 2)}x`);
  console.log(
    `round trips per redemption: ${fmt(commands.length / sample.length, 1)} commands, of which ${fmt(writes / sample.length, 1)} writes ` +
      `(${[...byCommand].map(([name, n]) => `${name} ${fmt(n / sample.length, 1)}`).join(', ')})`,
  );
  console.log('  goal: one conditional update + one insert (+ the transaction commit) beyond the reads');

  // ---- 100,000 redemption codes ----
  const batch = await timed(() => api.post('/admin/redemption-code-batches', { templateId: template.body.id, count: 100_000, expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }, admin));
  if (batch.result.status !== 201) throw new Error(`batch failed: ${batch.result.status} ${batch.result.text}`);
  const stored = await app.services.models.redemptionCodes.countDocuments({ batchId: batch.result.body.id });
  const scratch = app.connection.db!.collection('bench_plain_codes');
  await scratch.createIndex({ batchId: 1, _id: 1 });
  const plain = await timed(async () => {
    for (let i = 0; i < 100_000; i += 10_000) {
      await scratch.insertMany(Array.from({ length: 10_000 }, (_, j) => ({ _id: `P${i + j}` as never, batchId: 'baseline', claimedBy: null, claimedAt: null })), { ordered: false });
    }
  });
  const csv = await timed(() => api.get(`/admin/redemption-code-batches/${batch.result.body.id}/codes.csv`, admin));
  console.log(`100,000-code batch: ${fmt(batch.ms / 1000, 1)} s (goal < 60 s; ${fmt(stored)} stored); baseline plain insertMany of 100,000 docs ${fmt(plain.ms / 1000, 1)} s; ratio ${fmt(batch.ms / plain.ms, 2)}x`);
  console.log(`CSV download of the batch: ${fmt(csv.ms / 1000, 1)} s, ${fmt(csv.result.text.length / 2 ** 20, 1)} MiB`);

  await app.close();
  await db.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
