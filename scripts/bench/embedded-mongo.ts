/**
 * Benchmark of the embedded MongoDB-compatible server through the real driver over TCP.
 * Run: npx tsx scripts/bench/embedded-mongo.ts   (takes about a minute; needs ~1.5 GB of RAM for the 1M-document step)
 *      npx tsx scripts/bench/embedded-mongo.ts updates   (only the update throughput, on 10k documents, three rounds)
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { MongoClient } from 'mongodb';
import { startServer } from '../../embedded-mongo/src';

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

async function main(): Promise<void> {
  const updatesOnly = process.argv[2] === 'updates';
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
