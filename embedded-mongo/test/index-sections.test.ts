import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Decimal128, deserialize, Long, ObjectId, serialize } from 'bson';
import { Query } from 'mingo';
import { Collection } from '../src/collection';
import { Durability } from '../src/durability';
import { SortedEntries } from '../src/sortedEntries';
import { Storage } from '../src/storage';
import { Doc, idKeyOf } from '../src/values';

// A snapshot carries each secondary index's entries in order after the collection's documents, and recovery takes
// them as they are instead of sorting entries built from decoded documents. What it recovers must be exactly what
// the running server held; an older snapshot (documents only) or a damaged section is built from the documents.

jest.setTimeout(60_000); // comparing every entry of several indexes, on a shared machine

const dirs: string[] = [];
const dataDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-sections-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const put = (storage: Storage, doc: Doc) => storage.commit([{ db: 'app', coll: 'members', id: idKeyOf(doc._id), doc, idValue: doc._id }]);
const remove = (storage: Storage, id: unknown) => storage.commit([{ db: 'app', coll: 'members', id: idKeyOf(id), doc: null, idValue: id }]);
const journaled = (durability: Durability) => durability.flushed(durability.mark());

async function open(dir: string): Promise<{ storage: Storage; durability: Durability; members: Collection }> {
  const storage = new Storage();
  const durability = await Durability.open(dir, storage);
  return { storage, durability, members: storage.collection('app', 'members')! };
}

/** Every secondary index as it stands: name, multikey flag and every entry in order (keys and id). */
const indexState = (coll: Collection) =>
  coll.secondaryIndexes.map((index) => ({ name: index.spec.name, multikey: index.multikey, entries: [...index.entries.from(() => false)] }));

/** The snapshot file's records, decoded. */
function snapshotRecords(dir: string): Doc[] {
  const bytes = fs.readFileSync(path.join(dir, 'snapshot.bson'));
  const records: Doc[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt32LE(at);
    records.push(deserialize(bytes.subarray(at + 8, at + 8 + length)));
    at += 8 + length;
  }
  return records;
}

function writeSnapshot(dir: string, records: Doc[]): void {
  const frames = records.map((record) => {
    const body = serialize(record);
    const header = Buffer.alloc(8);
    header.writeUInt32LE(body.length, 0);
    header.writeUInt32LE(zlib.crc32(body), 4);
    return Buffer.concat([header, body]);
  });
  fs.writeFileSync(path.join(dir, 'snapshot.bson'), Buffer.concat(frames));
}

/** Documents whose keys take every form the sections encode: repeated and distinct values of each type, arrays, missing fields. */
function memberDoc(i: number): Doc {
  const values: unknown[] = [`s${i % 7}`, i % 3 ? i : -0, i / 8, new Long(BigInt(2) ** BigInt(60) + BigInt(i)), Decimal128.fromString(`${i}.25`), true, false, null, { nested: i % 2 }, new ObjectId(), new Date(1_700_000_000_000 + (i % 5) * 1000)];
  return {
    _id: new ObjectId(),
    cardNo: `C${i}`,
    storeId: new ObjectId(`65a0000000000000000000${(i % 4).toString().padStart(2, '0')}`),
    joinedAt: new Date(1_700_000_000_000 + (i % 9) * 86_400_000),
    mixed: values[i % values.length],
    // equal last 6 bytes, different first 6: recovery's shared ObjectIds are looked up by the last 6 and must tell them apart
    ref: new ObjectId(`${(i % 3).toString(16).padStart(12, '0')}bbbbbbbbbbbb`),
    tags: i % 5 === 0 ? [] : i % 5 === 1 ? [`t${i % 3}`, 'all', `名${i % 2}`] : `t${i % 3}`,
    ...(i % 2 ? { phone: `138${i}` } : {}),
    ...(i % 3 ? { referral: `R${i}` } : {}),
  };
}

async function seeded(dir: string, count: number) {
  const opened = await open(dir);
  const { storage } = opened;
  const members = storage.ensureCollection('app', 'members');
  storage.createIndex(members, { v: 2, key: { cardNo: 1 }, name: 'cardNo_1', unique: true });
  storage.createIndex(members, { v: 2, key: { storeId: 1, joinedAt: -1 }, name: 'store_joined' });
  storage.createIndex(members, { v: 2, key: { mixed: 1, cardNo: -1 }, name: 'mixed_cardNo' });
  storage.createIndex(members, { v: 2, key: { tags: 1 }, name: 'tags_1' });
  storage.createIndex(members, { v: 2, key: { ref: 1, storeId: 1 }, name: 'ref_store' });
  storage.createIndex(members, { v: 2, key: { phone: 1 }, name: 'phone_1', unique: true, partialFilterExpression: { phone: { $type: 'string' } } });
  storage.createIndex(members, { v: 2, key: { referral: 1 }, name: 'referral_1', unique: true, sparse: true });
  storage.ensureCollection('app', 'empty'); // a collection without documents or indexes
  const ids: ObjectId[] = [];
  for (let i = 0; i < count; i++) {
    const doc = memberDoc(i);
    ids.push(doc._id as ObjectId);
    put(storage, doc);
  }
  await journaled(opened.durability);
  return { ...opened, members, ids };
}

/** What an index walk answers for a filter, against a plain scan of the documents. */
function answers(storage: Storage, filter: Doc, sort?: [string, 1 | -1][]): { indexed: string[]; scanned: string[] } {
  const coll = storage.collection('app', 'members')!;
  const indexed = [...storage.scan('app', 'members', filter, { sort }).docs].map((m) => m.id).sort();
  const query = new Query(filter, {});
  const scanned = [...coll.docs].filter(([, r]) => query.test(r.doc)).map(([id]) => id).sort();
  return { indexed, scanned };
}

test('a snapshot written by the server holds every index in order, and recovery gives back exactly those entries', async () => {
  const dir = dataDir();
  const { durability, members } = await seeded(dir, 2_000);
  const before = indexState(members);
  expect(before.find((i) => i.name === 'tags_1')!.multikey).toBe(true);
  await durability.close();

  const records = snapshotRecords(dir);
  expect(records[0].snapshot).toMatchObject({ format: 2 });
  const sections = records.filter((r) => r.ix === 'app.members');
  // every secondary index has its section, parts of about 1 MB (here one each), counting all of the index's entries
  for (const index of before) expect(sections.filter((s) => s.name === index.name).map((s) => s.count)).toContain(index.entries.length);
  // each section follows its collection's documents
  const lastDoc = records.map((r) => r.ns).lastIndexOf('app.members');
  expect(records.findIndex((r) => r.ix === 'app.members')).toBeGreaterThan(lastDoc);

  const recovered = await open(dir);
  const after = indexState(recovered.members);
  // same entries, same order, same values (types included: -0, Long, Decimal128, nested documents, undefined of an empty array)
  expect(after).toEqual(before);
  for (const [i, index] of after.entries())
    for (const [k, entry] of index.entries.entries())
      for (const [f, value] of entry.entries()) {
        expect(Object.is(value, before[i].entries[k][f]) || Object.getPrototypeOf(value) === Object.getPrototypeOf(before[i].entries[k][f])).toBe(true);
        if (typeof value === 'number') expect(Object.is(value, before[i].entries[k][f])).toBe(true);
      }
  // equal ObjectIds and dates are one object across the collection's indexes (a store's id in both indexes holding it)
  const storeIds = new Set(after.flatMap((index) => (index.name === 'store_joined' ? index.entries.map((e) => e[0]) : index.name === 'ref_store' ? index.entries.map((e) => e[1]) : [])));
  expect(storeIds.size).toBe(4);
  expect(new Set(after.find((i) => i.name === 'ref_store')!.entries.map((e) => (e[0] as ObjectId).toHexString())).size).toBe(3);
  // an entry's id is the document map's own key (one string per document, not one per entry)
  const keys = new Map([...recovered.members.docs.keys()].map((id) => [id, id]));
  for (const index of after) for (const entry of index.entries) expect(keys.has(entry[entry.length - 1] as string)).toBe(true);
  expect(recovered.storage.collection('app', 'empty')).toBeDefined();
  // the sections are read as they are, not rebuilt from the documents: a key changed in the file (still in order,
  // 'C0' → 'A0') is what the recovered index holds
  const edited = dataDir();
  writeSnapshot(
    edited,
    records.map((r) => {
      if (r.ix !== 'app.members' || r.name !== 'cardNo_1') return r;
      const bytes = Buffer.from((r.entries as { buffer: Uint8Array }).buffer);
      expect(bytes.toString('latin1', 4, 11)).toBe('\x03\x02\x00\x00\x00C0'); // position, then a 2-byte string
      bytes.write('A', 9, 'latin1');
      return { ...r, entries: bytes };
    }),
  );
  const fromEdited = await open(edited);
  expect(indexState(fromEdited.members)[0].entries[0].slice(0, 1)).toEqual(['A0']);
  await fromEdited.durability.close();
  for (const [filter, sort] of [
    [{ cardNo: 'C10' }],
    [{ storeId: new ObjectId('65a000000000000000000002'), joinedAt: { $gte: new Date(1_700_000_000_000 + 3 * 86_400_000) } }, [['joinedAt', -1]]],
    [{ tags: 'all' }],
    [{ tags: { $in: ['t1', '名0'] } }],
    [{ mixed: true }],
    [{ mixed: { $gte: 100, $lt: 1000 } }],
    [{ phone: '13833' }],
    [{ referral: 'R7' }],
  ] as [Doc, [string, 1 | -1][]?][]) {
    const { indexed, scanned } = answers(recovered.storage, filter, sort);
    expect(scanned.length).toBeGreaterThan(0);
    expect(indexed).toEqual(scanned);
  }
  await recovered.durability.close();
});

test('writes journaled after the snapshot are in the recovered indexes, and unique indexes still refuse duplicates', async () => {
  const dir = dataDir();
  const { storage, durability, members, ids } = await seeded(dir, 1_000);
  await durability.snapshot();
  // after the snapshot: deletes, updates that move keys, new documents, an index created (built from the documents)
  for (let i = 0; i < 1_000; i += 7) remove(storage, ids[i]);
  for (let i = 1; i < 1_000; i += 5) put(storage, { _id: ids[i], cardNo: `C${i}x`, storeId: new ObjectId('65a000000000000000000009'), joinedAt: new Date(1_600_000_000_000 + i), mixed: 'moved', tags: ['moved', 'all'] });
  for (let i = 0; i < 50; i++) put(storage, { ...memberDoc(5_000 + i), cardNo: `N${i}` });
  storage.createIndex(members, { v: 2, key: { mixed: 1 }, name: 'mixed_1' });
  await journaled(durability);
  const live = indexState(members);
  // no close: the next open reads the snapshot's sections and replays the journal over them, as after a crash

  const recovered = await open(dir);
  expect(recovered.members.docs.size).toBe(members.docs.size);
  expect(indexState(recovered.members)).toEqual(live);
  for (const filter of [{ cardNo: 'C11x' }, { cardNo: 'C13' }, { storeId: new ObjectId('65a000000000000000000009') }, { tags: 'moved' }, { mixed: 'moved' }, { cardNo: 'N3' }]) {
    const { indexed, scanned } = answers(recovered.storage, filter);
    expect(scanned.length).toBeGreaterThan(0);
    expect(indexed).toEqual(scanned);
  }
  expect(answers(recovered.storage, { cardNo: 'C7' })).toEqual({ indexed: [], scanned: [] }); // deleted after the snapshot
  const fresh = new ObjectId();
  expect(() => put(recovered.storage, { _id: fresh, cardNo: 'C2' })).toThrow(/E11000.*cardNo_1/); // from the snapshot's section
  expect(() => put(recovered.storage, { _id: fresh, cardNo: 'N4' })).toThrow(/E11000.*cardNo_1/); // from the journal
  expect(() => put(recovered.storage, { _id: fresh, cardNo: 'new', phone: '1383' })).toThrow(/E11000.*phone_1/);
  expect(() => put(recovered.storage, { _id: fresh, cardNo: 'new', referral: 'R2' })).toThrow(/E11000.*referral_1/);
  expect(recovered.members.docs.has(idKeyOf(fresh))).toBe(false);
  put(recovered.storage, { _id: fresh, cardNo: 'C11' }); // C11 was renamed C11x after the snapshot: free again
  expect(answers(recovered.storage, { cardNo: 'C11' }).indexed).toEqual([idKeyOf(fresh)]);
  await recovered.durability.close();
});

test('writes while a snapshot is written change neither what it writes nor the live indexes', async () => {
  const dir = dataDir();
  const { storage, durability, members, ids } = await seeded(dir, 3_000);
  const atCut = indexState(members);
  const snapshot = durability.snapshot();
  // the same leaves the snapshot is writing are changed now: they must be copied, not changed under it
  for (let i = 0; i < 3_000; i += 3) remove(storage, ids[i]);
  for (let i = 0; i < 200; i++) put(storage, { ...memberDoc(9_000 + i), cardNo: `W${i}` });
  await journaled(durability);
  const live = indexState(members);
  await snapshot;
  expect(indexState(members)).toEqual(live);

  // the snapshot alone (its journal set aside) holds the indexes as they were at the cut
  const copy = dataDir();
  fs.copyFileSync(path.join(dir, 'snapshot.bson'), path.join(copy, 'snapshot.bson'));
  const atSnapshot = await open(copy);
  expect(indexState(atSnapshot.members)).toEqual(atCut);
  await atSnapshot.durability.close();
  // with its journal, as they are now
  const recovered = await open(dir);
  expect(indexState(recovered.members)).toEqual(live);
  await recovered.durability.close();
});

test('a snapshot without index sections (an older one) or with a damaged section still recovers, building those indexes', async () => {
  const dir = dataDir();
  const { durability, members } = await seeded(dir, 1_500);
  const live = indexState(members);
  await durability.close();
  const records = snapshotRecords(dir);

  // the format before index sections: the header without a format, documents only
  const old = dataDir();
  writeSnapshot(old, records.filter((r) => !r.ix).map((r) => (r.snapshot ? { snapshot: { generation: (r.snapshot as Doc).generation } } : r)));
  const fromOld = await open(old);
  expect(indexState(fromOld.members)).toEqual(live);
  const fresh = new ObjectId();
  expect(() => put(fromOld.storage, { _id: fresh, cardNo: 'C3' })).toThrow(/E11000.*cardNo_1/);
  await fromOld.durability.close();

  // one index's section cut short (a part missing), another's entries naming a document that is not there
  const damaged = dataDir();
  const tags = records.find((r) => r.ix === 'app.members' && r.name === 'tags_1')!;
  writeSnapshot(
    damaged,
    records
      .filter((r) => r !== tags)
      .map((r) => {
        if (r.ix !== 'app.members' || r.name !== 'cardNo_1') return r;
        const bytes = Buffer.from((r.entries as { buffer: Uint8Array }).buffer);
        bytes.writeUInt32LE(1_000_000, 0); // the first entry's document position
        return { ...r, entries: bytes };
      }),
  );
  const fromDamaged = await open(damaged);
  expect(indexState(fromDamaged.members)).toEqual(live);
  expect(() => put(fromDamaged.storage, { _id: fresh, cardNo: 'C3' })).toThrow(/E11000.*cardNo_1/);
  await fromDamaged.durability.close();
});

test('frozen leaves stay as they were while the set changes, and later changes copy each leaf once', () => {
  const set = new SortedEntries<number>((a, b) => a - b);
  set.loadSorted(Array.from({ length: 5_000 }, (_, i) => i * 2));
  const frozen = set.frozenLeaves();
  const flat = () => frozen.flatMap((leaf) => [...leaf]);
  const atFreeze = flat();
  const model = [...atFreeze];
  for (let i = 0; i < 5_000; i += 3) {
    set.insert(i * 2 + 1);
    model.push(i * 2 + 1);
  }
  for (let v = 0; v < 10_000; v += 5) {
    const found = model.indexOf(v);
    expect(set.remove(v)).toBe(found >= 0);
    if (found >= 0) model.splice(found, 1);
  }
  expect(flat()).toEqual(atFreeze);
  const expected = model.sort((a, b) => a - b);
  expect([...set.from(() => false)]).toEqual(expected);
  expect(set.size).toBe(expected.length);
});
