import { ObjectId } from 'bson';
import { Query } from 'mingo';
import { Collection } from '../src/collection';
import { compileFilter, Storage } from '../src/storage';

// Unit test of the embedded query planner: indexed lookups must not visit the whole collection.

const idsOf = (coll: Collection, filter: Record<string, unknown>) => {
  const plan = coll.plan(filter);
  return plan.fullScan ? undefined : [...plan.ids];
};

describe('index-backed candidate selection', () => {
  const coll = new Collection('db', 'people');
  coll.addIndex({ v: 2, key: { age: 1 }, name: 'age_1' });
  coll.addIndex({ v: 2, key: { city: 1, age: -1 }, name: 'city_1_age_-1' });
  for (let i = 0; i < 2000; i++) coll.put(`n${i}`, { _id: i, age: i % 100, city: i % 2 ? 'Oslo' : 'Rome', note: `n${i}` }, 1, false);

  test('equality on an indexed field yields only the matching ids', () => {
    expect(idsOf(coll, { age: 42 })).toHaveLength(20);
  });

  test('ranges and $in scan only their part of the index', () => {
    expect(idsOf(coll, { age: { $gte: 10, $lt: 12 } })).toHaveLength(40); // $lt: the walk stops before 12
    expect(idsOf(coll, { age: { $in: [1, 2, 3] } })).toHaveLength(60);
    expect(idsOf(coll, { age: { $in: [3, 1, 3, 2, 1] } })).toHaveLength(60); // repeated values are walked once
  });

  test('compound prefix equality plus a range on the next field', () => {
    const ids = idsOf(coll, { city: 'Oslo', age: { $gt: 97 } })!;
    expect(ids.length).toBeLessThanOrEqual(40);
    expect(ids.length).toBeGreaterThan(0);
  });

  test('_id equality and $in use the document map; unindexed filters need a scan', () => {
    expect(idsOf(coll, { _id: 5 })).toEqual(['n5']);
    expect(idsOf(coll, { _id: { $in: [5, 7, 5, 7.0] } })).toEqual(['n5', 'n7']);
    expect(idsOf(coll, { note: 'n5' })).toBeUndefined();
  });

  test('a one-sided range stays within its type bracket', () => {
    const mixed = new Collection('db', 'mixed');
    mixed.addIndex({ v: 2, key: { v: 1 }, name: 'v_1' });
    for (let i = 0; i < 100; i++) mixed.put(`n${i}`, { _id: i, v: i % 2 ? i : `s${i}` }, 1, false);
    expect(idsOf(mixed, { v: { $gt: 90 } })).toHaveLength(5); // 91..99 odd; the 50 strings sort after numbers and are not visited
    expect(idsOf(mixed, { v: { $lt: 5 } })).toHaveLength(2); // 1 and 3: $lt leaves the bound out
  });
});

describe('index walks in sort order', () => {
  const coll = new Collection('db', 'coupons');
  coll.addIndex({ v: 2, key: { memberId: 1, createdAt: -1, _id: -1 }, name: 'member_created' });
  for (let i = 0; i < 5000; i++) coll.put(`n${String(i).padStart(5, '0')}`, { _id: i, memberId: i % 10, createdAt: new Date(1e12 + (i % 1000) * 1000) }, 1, false);

  test('a range on _id sorted by _id walks the _id order from the bound', () => {
    const plan = coll.plan({ _id: { $gt: 100, $lte: 4000 } }, [['_id', 1]]);
    expect(plan.ordered).toBe(true);
    const first = [];
    for (const id of plan.ids) if (first.push(id) === 3) break;
    expect(first).toEqual(['n00101', 'n00102', 'n00103']); // after the bound: $gt leaves 100 out
    const backwards = coll.plan({ _id: { $lte: 9 } }, [['_id', -1]]);
    expect([...backwards.ids]).toEqual(['n00009', 'n00008', 'n00007', 'n00006', 'n00005', 'n00004', 'n00003', 'n00002', 'n00001', 'n00000']);
  });

  test('equality prefix then sort on the next fields of a compound index (the paged-list shape)', () => {
    const plan = coll.plan({ memberId: 3 }, [['createdAt', -1], ['_id', -1]]);
    expect(plan.ordered).toBe(true);
    const reversed = coll.plan({ memberId: 3 }, [['createdAt', 1], ['_id', 1]]);
    expect(reversed.ordered).toBe(true);
    const walked = [...plan.ids];
    expect(walked).toHaveLength(500);
    expect([...reversed.ids]).toEqual([...walked].reverse());
    // a sort the index cannot give is not claimed as ordered
    expect(coll.plan({ memberId: 3 }, [['createdAt', -1], ['_id', 1]]).ordered).toBe(false);
  });

  test('a walk paused while the index changes resumes after the last id it gave', () => {
    const plan = coll.plan({ memberId: 4 }, [['createdAt', -1], ['_id', -1]]);
    const it = plan.ids[Symbol.iterator]();
    const seen = [it.next().value, it.next().value];
    coll.put('n99999', { _id: 99999, memberId: 4, createdAt: new Date(0) }, 2, false); // lands at the end of this walk
    coll.put(seen[0], null, 2, false);
    const rest: string[] = [];
    for (let r = it.next(); !r.done; r = it.next()) rest.push(r.value);
    expect(new Set([...seen, ...rest]).size).toBe(seen.length + rest.length);
    expect(rest).toHaveLength(499);
    expect(rest[rest.length - 1]).toBe('n99999');
  });
});

describe('lazy scans and hashed $in', () => {
  const storage = new Storage();
  const coll = storage.ensureCollection('db', 'members');
  coll.addIndex({ v: 2, key: { memberId: 1, createdAt: -1, _id: -1 }, name: 'member_created' });
  coll.addIndex({ v: 2, key: { code: 1 }, name: 'code_1' });
  storage.commit(Array.from({ length: 3000 }, (_, i) => ({ db: 'db', coll: 'members', id: `n${i}`, idValue: i, doc: { _id: i, memberId: i % 3, createdAt: new Date(i), code: `c${i}` } })));

  test('a sorted, limited read examines only the documents it returns', () => {
    coll.docsExamined = 0;
    const scan = storage.scan('db', 'members', { memberId: 1 }, { sort: [['createdAt', -1], ['_id', -1]] });
    expect(scan.ordered).toBe(true);
    const first: number[] = [];
    for (const m of scan.docs) if (first.push(m.doc._id as number) === 20) break;
    expect(first[0]).toBe(2998);
    expect(coll.docsExamined).toBe(20);
  });

  test('with a limit, an ordered walk races the unordered plan: the first to finish answers', () => {
    // memberId's index narrows to a third of the collection but not in _id order; the _id walk backwards
    // finds the newest match at once.
    coll.docsExamined = 0;
    const newest = storage.scan('db', 'members', { memberId: 1 }, { sort: [['_id', -1]], limit: 1 });
    expect(newest.ordered).toBe(true);
    expect([...newest.docs].map((m) => m.doc._id)).toEqual([2998]);
    expect(coll.docsExamined).toBe(2); // 2999 (memberId 2), then 2998
    // A narrow unordered plan whose candidates run out first wins (the caller sorts its few matches).
    coll.docsExamined = 0;
    const rare = storage.scan('db', 'members', { code: 'c7' }, { sort: [['_id', -1]], limit: 1 });
    expect(rare.ordered).toBe(false);
    expect([...rare.docs].map((m) => m.doc._id)).toEqual([7]);
    expect(coll.docsExamined).toBeLessThan(5);
  });

  test('$in on _id or an indexed field examines one document per listed value', () => {
    coll.docsExamined = 0;
    const wanted = Array.from({ length: 200 }, (_, i) => i * 7);
    expect(storage.visibleDocs('db', 'members', { _id: { $in: wanted } })).toHaveLength(200);
    expect(coll.docsExamined).toBe(200);
    coll.docsExamined = 0;
    expect(storage.visibleDocs('db', 'members', { code: { $in: wanted.map((i) => `c${i}`) }, createdAt: { $gte: new Date(0) } })).toHaveLength(200);
    expect(coll.docsExamined).toBe(200);
  });

  test('the direct range test (string, ObjectId and date bounds) answers as mingo does', () => {
    const id = (n: number) => new ObjectId(`64b0000000000000000000${String(n).padStart(2, '0')}`);
    const docs: Record<string, unknown>[] = [
      {}, { a: null }, { a: 'abc' }, { a: 'b' }, { a: '' }, { a: 5 }, { a: id(3) }, { a: id(7) }, { a: new Date(10) }, { a: new Date(30) },
      { a: ['a', 'zz'] }, { a: [id(1), id(9)] }, { a: [new Date(5), new Date(50)] }, { a: [] }, { a: [null] }, { a: { x: 1 } }, { a: true },
    ];
    const ranges: Record<string, unknown>[] = [
      { $gt: 'abc' }, { $gte: 'abc' }, { $lt: 'b' }, { $lte: 'b', $gt: 'a' }, { $gt: id(3), $lte: id(8) }, { $lt: id(5) },
      { $gte: new Date(10), $lt: new Date(40) }, { $gt: new Date(20) }, { $gt: 'b', $lt: 'y' },
    ];
    for (const range of ranges) {
      const ours = compileFilter({ a: range });
      const theirs = new Query({ a: range }, {});
      for (const doc of docs) expect([range, doc, ours.test(doc)]).toEqual([range, doc, theirs.test(doc)]);
    }
  });

  test('the hashed $in test answers as mingo does', () => {
    const docs: Record<string, unknown>[] = [
      { a: 1 }, { a: 1.0 }, { a: 2 }, { a: null }, {}, { a: [1, 5] }, { a: [] }, { a: [null] }, { a: 'abc' }, { a: 'xbz' },
      { a: new ObjectId('64b000000000000000000001') }, { a: new Date(5) }, { a: { x: 1 } }, { a: true }, { a: '1' },
    ];
    const lists: unknown[][] = [
      [1], [null], [1, null], [/^a/], ['abc', /z$/], [{ x: 1 }], [new ObjectId('64b000000000000000000001')], [new Date(5)], [true, '1'], [],
    ];
    for (const list of lists) {
      const ours = compileFilter({ a: { $in: list } });
      const theirs = new Query({ a: { $in: list } }, {});
      for (const doc of docs) expect([list, doc, ours.test(doc)]).toEqual([list, doc, theirs.test(doc)]);
    }
    // where mingo differs from MongoDB, MongoDB wins: an element of an array value that equals a listed array matches
    expect(compileFilter({ a: { $in: [[1, 5]] } }).test({ a: [[1, 5]] })).toBe(true);
    expect(compileFilter({ a: { $in: [[1, 5]] } }).test({ a: [1, 5] })).toBe(true);
    expect(compileFilter({ a: { $in: [[1, 5]] } }).test({ a: [5, 1] })).toBe(false);
  });
});

describe('sparse indexes', () => {
  const coll = new Collection('db', 'cards');
  coll.addIndex({ v: 2, key: { code: 1 }, name: 'code_1', sparse: true });
  coll.addIndex({ v: 2, key: { store: 1, code: 1 }, name: 'store_1_code_1', sparse: true });
  for (let i = 0; i < 1000; i++) {
    const doc: Record<string, unknown> = { _id: i, store: `s${i % 10}` };
    if (i % 2) doc.code = `c${i}`;
    else if (i % 4 === 0) doc.code = null;
    coll.put(`n${i}`, doc, 1, false);
  }
  const plannedIds = (filter: Record<string, unknown>, sort?: [string, 1 | -1][]) => {
    const plan = coll.plan(filter, sort);
    return plan.fullScan ? undefined : [...plan.ids];
  };

  test('are used when the filter pins an indexed field to non-null values', () => {
    expect(plannedIds({ code: 'c7' })).toEqual(['n7']);
    expect(plannedIds({ code: { $in: ['c1', 'c3'] } })?.sort()).toEqual(['n1', 'n3']);
    expect(plannedIds({ code: { $gte: 'c99', $lt: 'c991' } })).toHaveLength(1); // c99; $lt leaves c991 out
    // a compound sparse index holds every document with any of its fields
    expect(plannedIds({ store: 's3', code: 'c13' })).toEqual(['n13']);
    expect(plannedIds({ store: 's3' })?.length).toBe(100);
  });

  test('are not used when documents outside them could match', () => {
    expect(plannedIds({ code: null })).toBeUndefined();
    expect(plannedIds({ code: { $in: ['c1', null] } })).toBeUndefined();
    expect(plannedIds({ code: { $exists: false } })).toBeUndefined();
    expect(plannedIds({ other: 1 }, [['code', 1]])).toBeUndefined(); // a sort alone cannot walk a sparse index
  });

  test('answers match a full scan', () => {
    const storage = new Storage();
    const c = storage.ensureCollection('db', 'cards');
    storage.createIndex(c, { v: 2, key: { code: 1 }, name: 'code_1', sparse: true });
    storage.commit([
      { db: 'db', coll: 'cards', id: 'a', doc: { _id: 'a', code: 'x' }, idValue: 'a' },
      { db: 'db', coll: 'cards', id: 'b', doc: { _id: 'b' }, idValue: 'b' },
      { db: 'db', coll: 'cards', id: 'c', doc: { _id: 'c', code: null }, idValue: 'c' },
    ]);
    const ids = (filter: Record<string, unknown>, sort?: [string, 1 | -1][]) => [...storage.scan('db', 'cards', filter, { sort }).docs].map((m) => m.id).sort();
    expect(ids({ code: 'x' })).toEqual(['a']);
    expect(ids({ code: null })).toEqual(['b', 'c']);
    expect(ids({ code: { $gt: 'a' } }, [['code', 1]])).toEqual(['a']);
    expect(ids({}, [['code', 1]])).toEqual(['a', 'b', 'c']);
  });
});
