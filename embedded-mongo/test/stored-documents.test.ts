import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Binary, Decimal128, Long, ObjectId, Timestamp } from 'bson';
import { Durability } from '../src/durability';
import { Storage } from '../src/storage';
import { decodeStored, Doc, encodeStored, idKeyOf, idKeyOfStored } from '../src/values';

// Documents are kept as their BSON bytes and decoded on read: what a reader gets must be what was written, a
// reader's copy must not change when the document is written again, and a snapshot must carry the same bytes.

const sample = (_id: unknown): Doc => ({
  _id,
  name: '会员 Zoë',
  n: 42,
  big: 2 ** 40,
  half: 0.5,
  long: Long.fromString('9007199254740993'),
  dec: Decimal128.fromString('1.10'),
  at: new Date(1_700_000_000_123),
  ts: new Timestamp({ t: 5, i: 1 }),
  bin: new Binary(Buffer.from([1, 2, 3]), 4),
  re: /^a.c$/i,
  nothing: null,
  nested: { tags: ['a', { deep: [1, [2, 3]] }], empty: {} },
  oid: new ObjectId('64b7f0f0f0f0f0f0f0f0f0f0'),
});

test('a stored document decodes to what was written, and its _id key is read from the bytes', () => {
  for (const id of [new ObjectId(), 'card-001', '会员', 7, new Date(5), { a: 1 }]) {
    const stored = encodeStored(sample(id));
    const back = decodeStored(stored);
    // as the driver would decode the same BSON (Long promoted to a number where it is exact, the rest kept)
    expect(back).toEqual({ ...sample(id), long: Long.fromString('9007199254740993') });
    expect(idKeyOfStored(stored)).toBe(idKeyOf(id));
  }
});

test('a reader keeps its copy when the document is written again; transactions see their snapshot', () => {
  const storage = new Storage();
  const id = new ObjectId();
  storage.commit([{ db: 'app', coll: 'm', id: idKeyOf(id), doc: { _id: id, points: 1, tags: ['x'] }, idValue: id }]);
  const coll = storage.collection('app', 'm')!;
  const read = coll.docs.get(idKeyOf(id))!.doc;
  const txn = storage.beginTransaction(1);
  storage.commit([{ db: 'app', coll: 'm', id: idKeyOf(id), doc: { _id: id, points: 2, tags: ['x', 'y'] }, idValue: id }]);
  expect(read).toEqual({ _id: id, points: 1, tags: ['x'] });
  expect(coll.docs.get(idKeyOf(id))!.doc).toEqual({ _id: id, points: 2, tags: ['x', 'y'] });
  expect(storage.visibleDocs('app', 'm', { _id: id }, txn).map((m) => m.doc.points)).toEqual([1]);
  storage.endTransaction(txn, 'aborted');
});

test('a snapshot carries the stored bytes and a restart reads them back unchanged', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-stored-'));
  try {
    const first = new Storage();
    const durability = await Durability.open(dir, first);
    const ids = [new ObjectId(), 'card-9', 12];
    for (const id of ids) first.commit([{ db: 'app', coll: 'm', id: idKeyOf(id), doc: sample(id), idValue: id }]);
    await durability.close(); // a clean stop writes the snapshot
    const second = new Storage();
    const reopened = await Durability.open(dir, second);
    for (const id of ids) expect(second.collection('app', 'm')!.docs.get(idKeyOf(id))!.bson).toBe(first.collection('app', 'm')!.docs.get(idKeyOf(id))!.bson);
    await reopened.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
