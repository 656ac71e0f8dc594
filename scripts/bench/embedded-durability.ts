/**
 * The embedded server with a data directory, loaded with member-sized documents while a reader keeps asking
 * for one document at a time: how long the reader waited at worst (and how often more than 1 s) while the
 * server journaled and snapshotted, what the heap holds per document, and how long a restart takes before the
 * first answer. Compared with the same run against the insert rate of a server without a data directory.
 * Run: npx tsx scripts/bench/embedded-durability.ts [documents=200000]
 * EMBEDDED_MONGO_SRC=/path/to/embedded-mongo/src runs it against another copy of the server (before/after).
 *
 * Figures, 100,000 documents (before = the code before background snapshots, fd1922d, run back to back):
 *   before: load 4,960/s; point reads p99 11.6 ms, worst 2,414 ms, 3 waits over 1 s; restart 8.6 s
 *   after:  load 8,185/s; point reads p99 4.8 ms, worst 386 ms, no wait over 1 s; restart 3.3 s
 *   heap per document ≈ 2.2 KB in both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MongoClient, ObjectId } from 'mongodb';
import type { startServer as StartServer } from '../../embedded-mongo/src';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const count = Number(process.argv[2] ?? 200_000);
const BATCH = 1000;

/** About what a member document weighs (profile, RFM fields, tags). */
const memberDoc = (i: number) => ({
  _id: new ObjectId(),
  cardNo: `8${String(i).padStart(11, '0')}`,
  status: 'active',
  name: `会员${i}`,
  phone: `138${String(i).padStart(8, '0')}`,
  homeStoreId: ['SH01', 'BJ01', 'GZ01'][i % 3],
  tier: ['silver', 'gold', 'platinum'][i % 3],
  pointsBalance: i % 5000,
  spend12mFen: (i * 7919) % 2_000_000,
  lastPurchaseAt: new Date(Date.now() - (i % 365) * 86_400_000),
  joinedAt: new Date(Date.now() - (i % 365) * 86_400_000),
  createdAt: new Date(),
  birthday: '1990-01-01',
  tags: ['demo', `t${i % 10}`],
  consent: { privacyPolicyVersion: '2026-01', acceptedAt: new Date() },
  note: 'x'.repeat(400),
});

async function main(): Promise<void> {
  const src = process.env.EMBEDDED_MONGO_SRC ?? path.resolve(__dirname, '../../embedded-mongo/src');
  const { startServer } = (await import(src)) as { startServer: typeof StartServer };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-durability-'));
  try {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let server = await startServer({ port: 0, dataDir });
    let client = await MongoClient.connect(server.uri);
    const members = client.db('bench').collection('members');
    await members.createIndex({ cardNo: 1 }, { unique: true });
    await members.createIndex({ status: 1, homeStoreId: 1, tier: 1 });

    // The reader: one point read after another for the whole load; its worst waits are the server's stalls.
    let loading = true;
    const waits: number[] = [];
    const reader = (async () => {
      const readerClient = await MongoClient.connect(server.uri);
      const coll = readerClient.db('bench').collection('members');
      while (loading) {
        const started = performance.now();
        await coll.findOne({ cardNo: `8${String(Math.floor(Math.random() * 1000)).padStart(11, '0')}` });
        waits.push(performance.now() - started);
      }
      await readerClient.close();
    })();
    const loadStarted = performance.now();
    for (let i = 0; i < count; i += BATCH) await members.insertMany(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => memberDoc(i + j)));
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    // then a minute of light writes, as the demo's jobs do, still reading
    const idleStarted = performance.now();
    while (performance.now() - idleStarted < 65_000) {
      await members.updateOne({ cardNo: '800000000001' }, { $inc: { pointsBalance: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    loading = false;
    await reader;
    gc();
    const heapPerDoc = (process.memoryUsage().heapUsed - heapBefore) / count;
    const sorted = [...waits].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
    console.log(`${fmt(count)} member-sized documents loaded in ${fmt(loadSeconds, 1)} s (${fmt(count / loadSeconds)}/s), then 65 s of one write a second`);
    console.log(
      `point reads meanwhile: ${fmt(waits.length)}; median ${fmt(p(0.5), 1)} ms, p99 ${fmt(p(0.99), 1)} ms, worst ${fmt(sorted.at(-1)!, 0)} ms; ` +
        `waits over 1 s: ${sorted.filter((w) => w > 1000).length}`,
    );
    console.log(`heap per document (server and driver in one process): ${fmt(heapPerDoc)} bytes`);
    const files = fs.readdirSync(dataDir).map((name) => `${name} ${fmt(fs.statSync(path.join(dataDir, name)).size / 1024 / 1024, 1)} MB`);
    console.log(`data directory: ${files.join(', ')}`);

    await client.close();
    const stopStarted = performance.now();
    await server.stop();
    console.log(`clean stop: ${fmt((performance.now() - stopStarted) / 1000, 1)} s`);
    const restartStarted = performance.now();
    server = await startServer({ port: 0, dataDir });
    client = await MongoClient.connect(server.uri);
    const found = await client.db('bench').collection('members').countDocuments();
    console.log(`restart to first answer: ${fmt((performance.now() - restartStarted) / 1000, 1)} s (${fmt(found)} documents)`);
    await client.close();
    await server.stop();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
