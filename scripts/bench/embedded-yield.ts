/**
 * Point reads while long aggregations run on another connection (what an HQ report or campaign result does to
 * the counter): 100,000 member-sized documents, one connection running $match + $group over all of them in a
 * loop, another doing indexed findOne one after another; prints the reads' p50/p99/worst and the aggregations'
 * time. Before/after with EMBEDDED_MONGO_SRC pointing at another copy of the server.
 * Run: npx tsx scripts/bench/embedded-yield.ts [documents=100000] [seconds=20]
 *
 * Figures, 100,000 documents, 20 s, back to back on the shared machine:
 *   before (aggregations read in one go): 13 point reads in 20 s; p50 1,296 ms, p99 2,532 ms
 *   after (yield every 500 documents read): 704 point reads; p50 13.7 ms, p99 193 ms, worst 1,750 ms (the
 *   pipeline's own stages, $group here, still run in one go after the scan); aggregations 1.3 s → 2.8 s median,
 *   as they now share the process with the reads.
 */
import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { startServer as StartServer } from '../../embedded-mongo/src';

const count = Number(process.argv[2] ?? 100_000);
const seconds = Number(process.argv[3] ?? 20);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const src = process.env.EMBEDDED_MONGO_SRC ?? path.resolve(__dirname, '../../embedded-mongo/src');
  const { startServer } = (await import(src)) as { startServer: typeof StartServer };
  const server = await startServer({ port: 0 });
  const analyst = await MongoClient.connect(server.uri);
  const counter = await MongoClient.connect(server.uri);
  try {
    const members = analyst.db('bench').collection('members');
    await members.createIndex({ cardNo: 1 }, { unique: true });
    for (let i = 0; i < count; i += 5000)
      await members.insertMany(
        Array.from({ length: Math.min(5000, count - i) }, (_, k) => ({ cardNo: `8${String(i + k).padStart(11, '0')}`, store: `S${(i + k) % 7}`, spend: (i + k) % 997, note: 'x'.repeat(300) })),
      );
    const until = performance.now() + seconds * 1000;
    const aggregations: number[] = [];
    const reads: number[] = [];
    const analystLoop = (async () => {
      while (performance.now() < until) {
        const started = performance.now();
        await members.aggregate([{ $match: { spend: { $gte: 0 } } }, { $group: { _id: '$store', spend: { $sum: '$spend' } } }]).toArray();
        aggregations.push(performance.now() - started);
      }
    })();
    const counterMembers = counter.db('bench').collection('members');
    while (performance.now() < until) {
      const started = performance.now();
      await counterMembers.findOne({ cardNo: `8${String(Math.floor(Math.random() * count)).padStart(11, '0')}` });
      reads.push(performance.now() - started);
    }
    await analystLoop;
    const sorted = [...reads].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
    const aggMedian = [...aggregations].sort((a, b) => a - b)[Math.floor(aggregations.length / 2)]!;
    console.log(
      `${fmt(count)} documents, ${seconds} s: ${aggregations.length} aggregations (median ${fmt(aggMedian)} ms); ` +
        `${fmt(reads.length)} point reads meanwhile: p50 ${fmt(q(0.5), 1)} ms, p99 ${fmt(q(0.99), 1)} ms, worst ${fmt(sorted.at(-1)!, 0)} ms`,
    );
  } finally {
    await analyst.close();
    await counter.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
