/**
 * The embedded server at the product's size: restart time and memory per document with the product's own
 * collections and indexes at 100,000 members (≈ 2.3 M documents with their history).
 *
 *   load [members=100000] [dir=/tmp/embedded-restart-<members>]
 *     Builds the data directory once (keep it): the demo brand is seeded through the product's services (so every
 *     collection has the product's indexes and documents), then each member gets the history a year of trading
 *     leaves (DOCS_PER_MEMBER below) as clones of the seeded documents with fresh ids, the member's id, and unique
 *     fields made unique, written as the server's snapshot file.
 *   restart [dir]
 *     Starts the server on the directory in this process, times it to the first answer (a `ping`, then a count
 *     of the members to show the data is there), and prints heap and resident memory per document. With
 *     EMBEDDED_MONGO_SRC=/path/to/other/embedded-mongo/src it also restarts that copy of the server first, in the
 *     same process, and prints the ratios (before/after).
 *   resnapshot [dir]
 *     Has the server open the directory and write its own snapshot (format 2: each index's entries in order after
 *     its collection's documents), as a server that has run leaves it; `load` ends with it. With EMBEDDED_MONGO_SRC
 *     that copy of the server writes it (to time the snapshot writing before/after).
 *   during-snapshot [dir] [seconds=20]
 *     Restarts the server on the directory, then has four tills scan members and record visits back to back, first
 *     for `seconds` without a snapshot, then while the server writes one in the background; prints each phase's
 *     p50/p99/worst and the longest event-loop hold.
 *   kinds [count=20000]
 *     Heap and resident memory per document for each kind of product document, in memory (no data directory).
 *
 * Figures (2 cores shared with other work; before = the code that built every index at restart, after = indexes
 * read from the snapshot's sections; both read the same server-written files, in one process):
 *   10k members, 292,701 documents: restart 8.5 s (load 2.6) → 2.0 s (0.24×, load 3.0), again 2.2 s; heap per
 *   document 1,464 → 1,400 B (0.96×). (Before, from the documents-only file: 10.3 s and 9.7 s, load 3.3–4.2.)
 *   100k members, 2,362,624 documents, 1,239 MB snapshot (992 MB without index sections): restart 101.5 s (load 3.3)
 *   → 19.0 s (0.19×, load 3.1), again 20.0 s (load 3.3), 20.7 s and 23.9 s (load 2.6–3.1); an earlier pair 135.4 →
 *   21.0 s (load 4.5); heap per document 1,442 → 1,375 B (0.95×), process RSS 4.1–4.5 GB. The 30 s goal holds at
 *   100k. Snapshot writing (resnapshot, commands served between steps): 6.0 s documents only (load 2.4) → 22.3 s
 *   with the index sections (load 2.0).
 *   during-snapshot at 100k, three runs (load 1.5–2.1): without a snapshot, member reads p99 14.1–18.3 ms and visit
 *   inserts p99 14.8–19.2 ms; while one is written (21–24 s), p99 22.2–53.1 ms and 61.9–76.9 ms at a quarter of the
 *   rate; the cut holds the event loop 41–43 ms; worst waits up to ~1 s in both phases, after full collections of
 *   the 3–4 GB heap (see embedded-mongo/README.md).
 *
 * Run under the bench lock with a heap that holds the "before" code's 2.3 M documents:
 *   NODE_OPTIONS=--max-old-space-size=12000 flock /tmp/membercard-bench.lock npx tsx scripts/bench/embedded-restart.ts load
 *   NODE_OPTIONS=--max-old-space-size=12000 EMBEDDED_MONGO_SRC=/tmp/embedded-before/embedded-mongo/src \
 *     flock /tmp/membercard-bench.lock npx tsx scripts/bench/embedded-restart.ts restart
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { BSON, MongoClient, ObjectId, type Document } from 'mongodb';
import mongoose from 'mongoose';
import pino from 'pino';
import type { startServer as StartServer } from '../../embedded-mongo/src';
import type { Durability as DurabilityClass } from '../../embedded-mongo/src/durability';
import type { Storage as StorageClass } from '../../embedded-mongo/src/storage';
import { seedDemoData } from '../../server/src/demo/seed';
import { benchServices } from './support';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const DB = 'membercard';

/**
 * What a member leaves behind (23 documents with the member, as the issue counted at 100,000 members), in about
 * the proportions of the seeded demo brand (2,240 members with 12,496 points entries, 11,115 lots, 9,856 purchases,
 * 6,642 coupons, 1,966 redemptions, 11,976 audit lines, 4,705 automation occurrences).
 */
const DOCS_PER_MEMBER: Record<string, number> = {
  members: 1,
  points_ledger: 5,
  points_lots: 4,
  purchases: 4,
  coupons: 3,
  coupon_redemptions: 1,
  audit_log: 3,
  automation_occurrences: 2,
};
/** Documents of each kind taken from the seeded brand as patterns (cycled through). */
const PATTERNS = 100;

type StartServerFn = typeof StartServer;
async function loadServer(src?: string): Promise<StartServerFn> {
  const from = src ?? path.resolve(__dirname, '../../embedded-mongo/src');
  return ((await import(from)) as { startServer: StartServerFn }).startServer;
}

/** The demo seeded through the product's services: every collection exists with the product's indexes. */
async function seedProduct(uri: string): Promise<void> {
  const connection = await mongoose.createConnection(`${uri}/${DB}`).asPromise();
  const services = await benchServices(connection);
  await seedDemoData(services, pino({ level: 'silent' }), { scale: 'brand' });
  await connection.close();
}

function setPath(doc: Document, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let at = doc;
  for (const p of parts.slice(0, -1)) {
    if (at[p] === null || typeof at[p] !== 'object') return;
    at = at[p];
  }
  if (parts.at(-1)! in at) at[parts.at(-1)!] = value;
}

function getPath(doc: Document, dotted: string): unknown {
  let at: unknown = doc;
  for (const p of dotted.split('.')) at = at && typeof at === 'object' ? (at as Document)[p] : undefined;
  return at;
}

/** A clone of `pattern` for member `memberId` (the n-th of its kind), its unique index fields made unique. */
function cloneFor(pattern: Document, memberId: ObjectId, n: number, uniqueFields: string[]): Document {
  const doc = BSON.deserialize(BSON.serialize(pattern)); // structuredClone would turn ObjectIds into plain objects
  doc._id = new ObjectId();
  if ('memberId' in doc) doc.memberId = memberId;
  for (const field of uniqueFields) {
    const v = getPath(doc, field);
    if (typeof v === 'string') setPath(doc, field, `${v.slice(0, 24)}~${n.toString(36)}`);
    else if (v instanceof ObjectId) setPath(doc, field, new ObjectId());
    else if (typeof v === 'number') setPath(doc, field, 1e9 + n);
  }
  return doc;
}

/**
 * Frames a record as the server's data files do: [uint32 length][uint32 crc32][BSON]. The data set is written
 * straight into a snapshot file in the server's format (inserting 2.3 M documents through the wire with every
 * index kept in step took hours), so restarting reads exactly what a server's own snapshot would hold.
 */
function frame(record: Document): Buffer {
  const body = BSON.serialize(record, { ignoreUndefined: true });
  const header = Buffer.alloc(8);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(zlib.crc32(body), 4);
  return Buffer.concat([header, body]);
}

async function load(members: number, dir: string): Promise<void> {
  if (fs.existsSync(path.join(dir, 'snapshot.bson'))) {
    console.log(`${dir} already holds a data set; remove it to build it again`);
    return;
  }
  const started = performance.now();
  const startServer = await loadServer(process.env.EMBEDDED_MONGO_SRC);
  const server = await startServer({ port: 0, heapCeilingBytes: 0 });
  await seedProduct(server.uri);
  const client = await MongoClient.connect(server.uri);
  const db = client.db(DB);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, 'snapshot.bson.tmp');
  const out = fs.openSync(tmp, 'w');
  let chunk: Buffer[] = [];
  let chunkBytes = 0;
  const put = (record: Document) => {
    const framed = frame(record);
    chunk.push(framed);
    chunkBytes += framed.length;
    if (chunkBytes < 8 * 1024 * 1024) return;
    fs.writeSync(out, Buffer.concat(chunk));
    chunk = [];
    chunkBytes = 0;
  };
  put({ snapshot: { generation: 1 } });
  let total = 0;
  for (const { name } of await db.listCollections().toArray()) {
    const coll = db.collection(name);
    const indexes = (await coll.indexes()).filter((i) => i.name !== '_id_');
    put({ collection: `${DB}.${name}`, indexes });
    const seeded = await coll.find({}).toArray();
    for (const doc of seeded) put({ ns: `${DB}.${name}`, doc });
    total += seeded.length;
    const perMember = DOCS_PER_MEMBER[name];
    if (!perMember) continue;
    const patterns = seeded.slice(0, PATTERNS);
    if (!patterns.length) throw new Error(`the demo seed left no ${name} to copy`);
    const uniqueFields = indexes.filter((i) => i.unique).flatMap((i) => Object.keys(i.key).filter((f) => f !== 'memberId' && f !== '_id'));
    let n = 0;
    for (let m = 0; m < members; m++) {
      // member ids are derived from the member's number, so every kind points at the same members
      const memberId = ObjectId.createFromHexString(`f${m.toString(16).padStart(23, '0')}`);
      for (let k = 0; k < perMember; k++) {
        const doc = cloneFor(patterns[n % patterns.length]!, memberId, n++, uniqueFields);
        if (name === 'members') doc._id = memberId;
        put({ ns: `${DB}.${name}`, doc });
      }
    }
    total += n;
    console.log(`  ${name}: ${fmt(n)} documents (unique fields varied: ${uniqueFields.join(', ') || 'none'}) at ${fmt((performance.now() - started) / 1000)} s`);
  }
  if (chunk.length) fs.writeSync(out, Buffer.concat(chunk));
  fs.fsyncSync(out);
  fs.closeSync(out);
  fs.renameSync(tmp, path.join(dir, 'snapshot.bson'));
  await client.close();
  await server.stop();
  const size = fs.statSync(path.join(dir, 'snapshot.bson')).size;
  console.log(`${fmt(members)} members, ${fmt(total)} documents written in ${fmt((performance.now() - started) / 1000)} s; snapshot ${fmt(size / 1024 / 1024)} MB`);
  await resnapshot(dir);
}

/**
 * Has the server open the data set and write its own snapshot, which holds each index's entries in order after each
 * collection's documents: what a server that has run leaves behind (`load` writes documents only). This checkout's
 * server, or with `src` (EMBEDDED_MONGO_SRC in the `resnapshot` mode) another copy's, to time its snapshot writing.
 */
async function resnapshot(dir: string, src = path.resolve(__dirname, '../../embedded-mongo/src')): Promise<void> {
  const { Durability } = (await import(path.join(src, 'durability'))) as { Durability: typeof DurabilityClass };
  const { Storage } = (await import(path.join(src, 'storage'))) as { Storage: typeof StorageClass };
  const started = performance.now();
  const storage = new Storage();
  const durability = await Durability.open(dir, storage);
  const opened = performance.now();
  await durability.snapshot();
  await durability.close();
  const size = fs.statSync(path.join(dir, 'snapshot.bson')).size;
  console.log(
    `snapshot rewritten by the server (${src}): opened in ${fmt((opened - started) / 1000, 1)} s, written in ${fmt((performance.now() - opened) / 1000, 1)} s; ` +
      `${fmt(size / 1024 / 1024)} MB; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
}

interface RestartFigures {
  seconds: number;
  documents: number;
  heapPerDoc: number;
  rssPerDoc: number;
  rss: number;
}

async function restartOnce(startServer: StartServerFn, dir: string, label: string): Promise<RestartFigures> {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const server = await startServer({ port: 0, dataDir: dir, heapCeilingBytes: 0 });
  const client = await MongoClient.connect(server.uri);
  await client.db('admin').command({ ping: 1 });
  const seconds = (performance.now() - started) / 1000;
  let documents = 0;
  const db = client.db(DB);
  for (const c of await db.listCollections().toArray()) documents += await db.collection(c.name).estimatedDocumentCount();
  const members = await db.collection('members').countDocuments({ status: 'active' });
  gc();
  const mem = process.memoryUsage();
  const figures = { seconds, documents, heapPerDoc: (mem.heapUsed - heapBefore) / documents, rssPerDoc: (mem.rss - rssBefore) / documents, rss: mem.rss };
  console.log(
    `${label}: restart to first answer ${fmt(seconds, 1)} s; ${fmt(documents)} documents (${fmt(members)} active members); ` +
      `heap ${fmt(figures.heapPerDoc)} B/doc, resident ${fmt(figures.rssPerDoc)} B/doc (process RSS ${fmt(mem.rss / 1024 / 1024)} MB); load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  await client.close();
  await server.stop();
  return figures;
}

async function restart(dir: string): Promise<void> {
  if (!fs.existsSync(path.join(dir, 'snapshot.bson'))) throw new Error(`no data set in ${dir}: run "load" first`);
  const before = process.env.EMBEDDED_MONGO_SRC ? await restartOnce(await loadServer(process.env.EMBEDDED_MONGO_SRC), dir, 'before') : undefined;
  const after = await restartOnce(await loadServer(), dir, 'after ');
  if (before)
    console.log(
      `after/before: restart ${fmt(after.seconds / before.seconds, 2)}×, heap per document ${fmt(after.heapPerDoc / before.heapPerDoc, 2)}×, ` +
        `resident per document ${fmt(after.rssPerDoc / before.rssPerDoc, 2)}× (goal: restart under 30 s)`,
    );
}

/** p50, p99 and worst of a list of milliseconds. */
function percentiles(ms: number[]): { p50: number; p99: number; worst: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), worst: sorted[sorted.length - 1] ?? 0 };
}

/**
 * What a till waits for while the server writes a snapshot of the whole data set: four tills scan a member (read by
 * card number) and record a visit (an insert, journaled) back to back, first for `seconds` with no snapshot (the
 * baseline), then for as long as a snapshot the server writes in the background takes. Server and tills share this
 * process's event loop, as in the demo; the longest time it was held at once is printed too.
 */
async function duringSnapshot(dir: string, seconds: number): Promise<void> {
  if (!fs.existsSync(path.join(dir, 'snapshot.bson'))) throw new Error(`no data set in ${dir}: run "load" first`);
  const startServer = await loadServer(process.env.EMBEDDED_MONGO_SRC);
  const server = await startServer({ port: 0, dataDir: dir, heapCeilingBytes: 0 });
  const client = await MongoClient.connect(server.uri, { maxPoolSize: 8 });
  const db = client.db(DB);
  const cards = (await db.collection('members').find({}, { projection: { cardNo: 1 } }).limit(5_000).toArray()).map((m) => m.cardNo as string);
  const visits = db.collection('bench_visits');
  const tills = 4;
  const phase = async (label: string, running: () => boolean): Promise<void> => {
    const reads: number[] = [];
    const writes: number[] = [];
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: tills }, async (_, till) => {
        for (let i = till; running(); i += tills) {
          const cardNo = cards[(i * 7919) % cards.length]!;
          let at = performance.now();
          const member = await db.collection('members').findOne({ cardNo }, { projection: { _id: 1, tier: 1, pointsBalance: 1 } });
          reads.push(performance.now() - at);
          at = performance.now();
          await visits.insertOne({ memberId: member?._id, till, at: new Date() });
          writes.push(performance.now() - at);
        }
      }),
    );
    loop.disable();
    const r = percentiles(reads);
    const w = percentiles(writes);
    console.log(
      `${label}: ${fmt((performance.now() - started) / 1000, 1)} s, ${fmt(reads.length)} scans; member read p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, ` +
        `worst ${fmt(r.worst, 1)} ms; visit insert p50 ${fmt(w.p50, 1)} ms, p99 ${fmt(w.p99, 1)} ms, worst ${fmt(w.worst, 1)} ms; ` +
        `event loop held at most ${fmt(loop.max / 1e6, 1)} ms; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    );
  };
  try {
    const until = performance.now() + seconds * 1000;
    await phase('no snapshot     ', () => performance.now() < until);
    let writing = true;
    const cutStarted = performance.now();
    const snapshot = server.snapshot().finally(() => (writing = false));
    // the cut (the documents and index leaves listed, the journal switched) is the one synchronous step
    const cutMs = performance.now() - cutStarted;
    await phase('snapshot written', () => writing);
    await snapshot;
    console.log(`snapshot: ${fmt(fs.statSync(path.join(dir, 'snapshot.bson')).size / 1024 / 1024)} MB; its cut held the event loop ${fmt(cutMs, 1)} ms (goal: scans under 50 ms p99 throughout)`);
  } finally {
    await client.close();
    await server.stop();
  }
}

/** Heap and resident bytes per document of each kind, one kind at a time in a fresh in-memory server. */
async function kinds(count: number): Promise<void> {
  const startServer = await loadServer(process.env.EMBEDDED_MONGO_SRC);
  const seeded = await startServer({ port: 0, heapCeilingBytes: 0 });
  await seedProduct(seeded.uri);
  const seedClient = await MongoClient.connect(seeded.uri);
  const patterns: { kind: string; pattern: Document; indexes: Document[] }[] = [];
  for (const kind of Object.keys(DOCS_PER_MEMBER)) {
    const coll = seedClient.db(DB).collection(kind);
    patterns.push({ kind, pattern: (await coll.findOne({}))!, indexes: await coll.indexes() });
  }
  await seedClient.close();
  await seeded.stop();
  for (const { kind, pattern, indexes } of patterns) {
    const server = await startServer({ port: 0, heapCeilingBytes: 0 });
    const client = await MongoClient.connect(server.uri);
    const coll = client.db(DB).collection(kind);
    for (const i of indexes) if (i.name !== '_id_') await coll.createIndex(i.key, { ...i, key: undefined, v: undefined, ns: undefined } as never);
    const uniqueFields = indexes.filter((i) => i.unique && i.name !== '_id_').flatMap((i) => Object.keys(i.key).filter((f) => f !== 'memberId' && f !== '_id'));
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < count; i += 2000)
      await coll.insertMany(Array.from({ length: 2000 }, (_, j) => cloneFor(pattern, new ObjectId(), i + j, uniqueFields)), { ordered: false });
    gc();
    const mem = process.memoryUsage();
    const bsonBytes = JSON.stringify(pattern).length;
    console.log(
      `  ${kind.padEnd(18)} ${String(indexes.length).padStart(2)} indexes: heap ${fmt((mem.heapUsed - heapBefore) / count).padStart(6)} B/doc, ` +
        `resident ${fmt((mem.rss - rssBefore) / count).padStart(6)} B/doc (pattern ≈ ${fmt(bsonBytes)} B as JSON)`,
    );
    await client.close();
    await server.stop();
    gc();
  }
}

async function main(): Promise<void> {
  const [mode = 'restart', a, b] = process.argv.slice(2);
  if (mode === 'load') {
    const members = Number(a ?? 100_000);
    await load(members, b ?? `/tmp/embedded-restart-${members}`);
  } else if (mode === 'restart') await restart(a ?? '/tmp/embedded-restart-100000');
  else if (mode === 'resnapshot') await resnapshot(a ?? '/tmp/embedded-restart-100000', process.env.EMBEDDED_MONGO_SRC);
  else if (mode === 'kinds') await kinds(Number(a ?? 20_000));
  else if (mode === 'during-snapshot') await duringSnapshot(a ?? '/tmp/embedded-restart-100000', Number(b ?? 20));
  else throw new Error(`unknown mode ${mode}: load | resnapshot | restart | during-snapshot | kinds`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
