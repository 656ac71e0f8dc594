import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { serialize } from 'bson';
import { Durability } from '../src/durability';
import { Storage } from '../src/storage';
import { Doc, idKeyOf } from '../src/values';

// The data directory's snapshot is written in steps with commands served in between, only when the journal has
// grown comparable to the data, and recovery streams its files (no 2 GiB Buffer limit).

const dirs: string[] = [];
const dataDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-snapshot-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const put = (storage: Storage, coll: string, doc: Doc) => storage.commit([{ db: 'app', coll, id: idKeyOf(doc._id), doc, idValue: doc._id }]);
const remove = (storage: Storage, coll: string, id: unknown) => storage.commit([{ db: 'app', coll, id: idKeyOf(id), doc: null, idValue: id }]);
const journaled = (durability: Durability) => durability.flushed(durability.mark());
const files = (dir: string) => fs.readdirSync(dir).sort();

async function reopen(dir: string): Promise<{ storage: Storage; durability: Durability }> {
  const storage = new Storage();
  const durability = await Durability.open(dir, storage);
  return { storage, durability };
}

test('a snapshot lets writes through while it is written, and a restart has both', async () => {
  const dir = dataDir();
  const { storage, durability } = await reopen(dir);
  for (let i = 0; i < 20_000; i++) put(storage, 'members', { _id: i, name: `会员 ${i}`, note: 'x'.repeat(200) });
  await journaled(durability);

  const snapshot = durability.snapshot();
  // Served while the snapshot is being written: one write after the cut, journaled before the file is done.
  let snapshotDone = false;
  void snapshot.then(() => (snapshotDone = true));
  put(storage, 'members', { _id: 'late', name: '写于快照期间' });
  remove(storage, 'members', 7);
  await journaled(durability);
  expect(snapshotDone).toBe(false);
  await snapshot;
  // the snapshot replaced the journals it covers; the later write sits in the newer journal
  expect(files(dir).filter((name) => name.startsWith('journal-'))).toHaveLength(1);

  // a crash now (no clean close): the snapshot plus the newer journal
  const recovered = await reopen(dir);
  const members = recovered.storage.collection('app', 'members')!;
  expect(members.docs.size).toBe(20_000);
  expect(members.docs.get(idKeyOf('late'))?.doc.name).toBe('写于快照期间');
  expect(members.docs.has(idKeyOf(7))).toBe(false);
  expect(members.docs.get(idKeyOf(19_999))?.doc.name).toBe('会员 19999');
  await recovered.durability.close();
  // (the first instance is left as a crash leaves it: never closed)
}, 60_000);

test('idle or lightly written, no snapshot is rewritten; opening writes none either', async () => {
  const dir = dataDir();
  let { storage, durability } = await reopen(dir);
  put(storage, 'members', { _id: 1, name: 'a' });
  await journaled(durability);
  await durability.close();
  const snapshotWritten = fs.statSync(path.join(dir, 'snapshot.bson')).mtimeMs;

  ({ storage, durability } = await reopen(dir));
  // opening reads the snapshot and starts a new journal; it does not rewrite the snapshot
  expect(fs.statSync(path.join(dir, 'snapshot.bson')).mtimeMs).toBe(snapshotWritten);
  for (let i = 2; i < 200; i++) put(storage, 'members', { _id: i, name: 'b' });
  await journaled(durability);
  // a few KB of journal against the 16 MiB floor: still no snapshot after the flushes
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(fs.statSync(path.join(dir, 'snapshot.bson')).mtimeMs).toBe(snapshotWritten);
  expect(storage.collection('app', 'members')!.docs.size).toBe(199);
  await durability.close();
});

test('recovery reads the files in pieces: a journal past 2 GiB opens', async () => {
  const dir = dataDir();
  // A journal as a long-running server leaves it: versions of one 16 MB document, 2.2 GB in all, which the old
  // whole-file read (readFileSync into one Buffer) refused, while the state it describes is one document. On a
  // machine without ~8 GB of free disk the file is 224 MB and recovery reads it 1 MB at a time instead, crossing
  // as many piece boundaries per frame (frames straddle pieces, buffers grow for frames larger than a piece).
  const roomy = fs.statfsSync(dir).bavail * fs.statfsSync(dir).bsize > 8 * 2 ** 30;
  const versions = roomy ? 140 : 14;
  const big = 'y'.repeat(16_000_000);
  const file = fs.openSync(path.join(dir, 'journal-1.log'), 'w');
  for (let version = 0; version < versions; version++) {
    const body = serialize({ w: [{ ns: 'app.blobs', doc: { _id: 'blob', version, big } }] });
    const header = Buffer.alloc(8);
    header.writeUInt32LE(body.length, 0);
    header.writeUInt32LE(zlib.crc32(body), 4);
    fs.writeSync(file, header);
    fs.writeSync(file, body);
  }
  fs.closeSync(file);
  if (roomy) expect(fs.statSync(path.join(dir, 'journal-1.log')).size).toBeGreaterThan(2 ** 31);

  const storage = new Storage();
  const durability = await Durability.open(dir, storage, undefined, roomy ? {} : { readChunkBytes: 1024 * 1024 });
  const blob = storage.collection('app', 'blobs')!.docs.get(idKeyOf('blob'))!.doc;
  expect(blob.version).toBe(versions - 1);
  expect((blob.big as string).length).toBe(16_000_000);
  await durability.close();
  // the clean stop folded it into one snapshot of the one document
  expect(fs.statSync(path.join(dir, 'snapshot.bson')).size).toBeLessThan(17_000_000);
  expect(files(dir).filter((name) => name.startsWith('journal-')).map((name) => fs.statSync(path.join(dir, name)).size)).toEqual([0]);
}, 180_000);
