import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectId } from 'bson';
import { Query } from 'mingo';
import { Durability } from '../src/durability';
import { Storage } from '../src/storage';
import { Doc, idKeyOf } from '../src/values';

// Recovery loads the documents first and builds each index once at the end (not per document): what it builds
// must be what keeping the indexes in step with every write would have built.

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const write = (storage: Storage, doc: Doc | null, id: unknown) =>
  storage.commit([{ db: 'app', coll: 'members', id: idKeyOf(id), doc, idValue: id }]);

async function settle(durability: Durability): Promise<void> {
  await durability.flushed(durability.mark());
}

/** What the indexes answer for a filter, against a plain scan of every document. */
function answers(storage: Storage, filter: Doc, sort?: [string, 1 | -1][]): { indexed: unknown[]; scanned: unknown[] } {
  const coll = storage.collection('app', 'members')!;
  const indexed = [...storage.scan('app', 'members', filter, { sort }).docs].map((m) => m.doc._id).sort();
  const query = new Query(filter, {});
  const scanned = [...coll.docs.values()].map((r) => r.doc).filter((d) => query.test(d)).map((d) => d._id).sort();
  return { indexed, scanned };
}

test('indexes built once after recovery answer as the ones kept in step, and unique indexes still refuse duplicates', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-recovery-'));
  dirs.push(dir);
  const first = new Storage();
  let durability = await Durability.open(dir, first);
  const members = first.ensureCollection('app', 'members');
  first.createIndex(members, { v: 2, key: { cardNo: 1 }, name: 'cardNo_1', unique: true });
  first.createIndex(members, { v: 2, key: { storeId: 1, joinedAt: -1 }, name: 'store_joined' });
  first.createIndex(members, { v: 2, key: { tags: 1 }, name: 'tags_1' });
  first.createIndex(members, { v: 2, key: { phone: 1 }, name: 'phone_1', unique: true, partialFilterExpression: { phone: { $type: 'string' } } });
  const ids = Array.from({ length: 300 }, () => new ObjectId());
  ids.forEach((_id, i) =>
    write(first, { _id, cardNo: `C${i}`, storeId: `S${i % 3}`, joinedAt: new Date(1_700_000_000_000 + i * 1000), tags: i % 4 ? [`t${i % 5}`, 'all'] : [], ...(i % 2 ? { phone: `138${i}` } : {}) }, _id),
  );
  await durability.snapshot(); // the first 300 documents go into the snapshot, what follows into the journal
  for (let i = 0; i < 300; i += 7) write(first, null, ids[i]);
  for (let i = 1; i < 300; i += 5) write(first, { _id: ids[i], cardNo: `C${i}x`, storeId: 'S9', joinedAt: new Date(1_600_000_000_000 + i), tags: ['moved'] }, ids[i]);
  first.createIndex(members, { v: 2, key: { storeId: 1 }, name: 'storeId_1' }); // an index created after the snapshot
  await settle(durability);
  // no close: the next open replays the journal over the snapshot, as after a crash

  const second = new Storage();
  durability = await Durability.open(dir, second);
  const recovered = second.collection('app', 'members')!;
  expect(recovered.docs.size).toBe(first.collection('app', 'members')!.docs.size);
  expect(recovered.indexes.map((i) => i.spec.name)).toEqual(members.indexes.map((i) => i.spec.name));
  for (const [k, index] of recovered.indexes.entries()) if (k > 0) expect(index.entries.size).toBe(members.indexes[k].entries.size);
  expect(recovered.indexes.find((i) => i.spec.name === 'tags_1')!.multikey).toBe(true);
  for (const [filter, sort] of [
    [{ cardNo: 'C10' }],
    [{ cardNo: 'C11x' }],
    [{ storeId: 'S1', joinedAt: { $gte: new Date(1_700_000_100_000) } }, [['joinedAt', -1]]],
    [{ storeId: 'S9' }],
    [{ tags: 'all' }],
    [{ tags: { $in: ['moved', 't3'] } }],
    [{ phone: '13833' }],
  ] as [Doc, [string, 1 | -1][]?][]) {
    const { indexed, scanned } = answers(second, filter, sort);
    expect(scanned.length).toBeGreaterThan(0);
    expect(indexed).toEqual(scanned);
  }
  // the rebuilt unique indexes hold every key: a duplicate is refused, and nothing changes
  const fresh = new ObjectId();
  expect(() => write(second, { _id: fresh, cardNo: 'C2', storeId: 'S0', joinedAt: new Date(), tags: [] }, fresh)).toThrow(/E11000.*cardNo_1/);
  expect(() => write(second, { _id: fresh, cardNo: 'new', phone: '1383', storeId: 'S0', joinedAt: new Date(), tags: [] }, fresh)).toThrow(/E11000.*phone_1/);
  expect(recovered.docs.has(idKeyOf(fresh))).toBe(false);
  // and later writes keep the indexes in step again
  write(second, { _id: fresh, cardNo: 'new', storeId: 'S1', joinedAt: new Date(1_800_000_000_000), tags: ['all'] }, fresh);
  expect(answers(second, { storeId: 'S1', joinedAt: { $gte: new Date(1_799_000_000_000) } }).indexed).toEqual([fresh]);
  await durability.close();
});
