import { Db, MongoServerError } from 'mongodb';
import { freshDbName, openTarget, Target } from './helpers';

// $out and $merge as MongoDB documents them, in the shape of the product's rollups (daily sales per store
// folded into a running total).

let target: Target;
let db: Db;

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('output'));
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

const sales = () => db.collection('sales');
const totals = () => db.collection('totals');

beforeEach(async () => {
  await sales().deleteMany({});
  await totals().drop().catch(() => undefined);
  await sales().insertMany([
    { store: 'SH01', day: 1, fen: 100 },
    { store: 'SH01', day: 1, fen: 250 },
    { store: 'BJ01', day: 1, fen: 40 },
    { store: 'BJ01', day: 2, fen: 60 },
  ]);
});

const byStore = (day: number) => [{ $match: { day } }, { $group: { _id: '$store', fen: { $sum: '$fen' }, n: { $sum: 1 } } }];
const sorted = () => totals().find({}).sort({ _id: 1 }).toArray();

describe('$out', () => {
  test('replaces the collection with the results, keeping its indexes; the reply is an empty cursor', async () => {
    await totals().insertOne({ _id: 'stale' as never, fen: 1 });
    await totals().createIndex({ fen: 1 });
    const reply = await db.command({ aggregate: 'sales', pipeline: [...byStore(1), { $out: 'totals' }], cursor: {} });
    expect(reply.cursor.firstBatch).toEqual([]);
    expect(await sorted()).toEqual([{ _id: 'BJ01', fen: 40, n: 1 }, { _id: 'SH01', fen: 350, n: 2 }]);
    expect((await totals().indexes()).map((i) => i.name)).toEqual(['_id_', 'fen_1']);
    // results without _id get one
    await sales().aggregate([{ $project: { _id: 0, store: 1 } }, { $out: { db: db.databaseName, coll: 'totals' } }]).toArray();
    expect(await totals().countDocuments()).toBe(4);
  });

  test('a duplicate key leaves the collection as it was', async () => {
    await totals().insertOne({ _id: 'keep' as never, fen: 1 });
    await totals().createIndex({ fen: 1 }, { unique: true });
    const err = (await sales().aggregate([{ $project: { fen: { $literal: 5 } } }, { $out: 'totals' }]).toArray().catch((e) => e)) as MongoServerError;
    expect(err.code).toBe(11000);
    expect(await sorted()).toEqual([{ _id: 'keep', fen: 1 }]);
  });

  test('only as the last stage, and not in a transaction', async () => {
    await expect(sales().aggregate([{ $out: 'totals' }, { $match: {} }]).toArray()).rejects.toMatchObject({ code: 40601 });
    const session = target.client.startSession();
    try {
      session.startTransaction();
      await expect(sales().aggregate([{ $out: 'totals' }], { session }).toArray()).rejects.toMatchObject({ code: 263 });
    } finally {
      await session.endSession();
    }
  });
});

describe('$merge', () => {
  test('defaults (on _id, whenMatched merge, whenNotMatched insert) fold new results into existing documents', async () => {
    await totals().insertOne({ _id: 'SH01' as never, fen: 1, region: 'east' });
    await sales().aggregate([...byStore(1), { $merge: 'totals' }]).toArray();
    expect(await sorted()).toEqual([{ _id: 'BJ01', fen: 40, n: 1 }, { _id: 'SH01', fen: 350, n: 2, region: 'east' }]);
  });

  test('a whenMatched pipeline adds each day’s rollup to the running totals through $$new (or let variables)', async () => {
    const rollup = (day: number) =>
      sales().aggregate([...byStore(day), { $merge: { into: 'totals', whenMatched: [{ $set: { fen: { $add: ['$fen', '$$new.fen'] }, n: { $add: ['$n', '$$new.n'] } } }] } }]).toArray();
    await rollup(1);
    await rollup(2);
    expect(await sorted()).toEqual([{ _id: 'BJ01', fen: 100, n: 2 }, { _id: 'SH01', fen: 350, n: 2 }]);
    // let names the variables instead of $$new
    await sales().aggregate([...byStore(2), { $merge: { into: 'totals', let: { extra: '$fen' }, whenMatched: [{ $set: { fen: { $add: ['$fen', '$$extra'] } } }] } }]).toArray();
    expect((await totals().findOne({ _id: 'BJ01' as never }))!.fen).toBe(160);
  });

  test('replace, keepExisting and discard', async () => {
    await totals().insertOne({ _id: 'SH01' as never, fen: 1, region: 'east' });
    await sales().aggregate([...byStore(1), { $merge: { into: 'totals', whenMatched: 'replace', whenNotMatched: 'discard' } }]).toArray();
    expect(await sorted()).toEqual([{ _id: 'SH01', fen: 350, n: 2 }]);
    await sales().aggregate([...byStore(1), { $project: { fen: { $literal: 0 } } }, { $merge: { into: 'totals', whenMatched: 'keepExisting' } }]).toArray();
    expect(await sorted()).toEqual([{ _id: 'BJ01', fen: 0 }, { _id: 'SH01', fen: 350, n: 2 }]);
  });

  test('whenMatched fail and whenNotMatched fail stop at the first such document (11000 / 13113); earlier writes stay', async () => {
    await totals().insertOne({ _id: 'SH01' as never, fen: 1 });
    const matched = (await sales().aggregate([...byStore(1), { $sort: { _id: 1 } }, { $merge: { into: 'totals', whenMatched: 'fail' } }]).toArray().catch((e) => e)) as MongoServerError;
    expect(matched.code).toBe(11000);
    expect(await sorted()).toEqual([{ _id: 'BJ01', fen: 40, n: 1 }, { _id: 'SH01', fen: 1 }]);
    const unmatched = (await sales().aggregate([...byStore(2), { $project: { _id: 'XX01' } }, { $merge: { into: 'totals', whenNotMatched: 'fail' } }]).toArray().catch((e) => e)) as MongoServerError;
    expect(unmatched.code).toBe(13113);
  });

  test("'on' other fields needs a unique index on exactly them; results then match by them and keep the target's _id", async () => {
    await totals().insertOne({ store: 'SH01', day: 1, fen: 1 });
    const refused = (await sales().aggregate([{ $group: { _id: { store: '$store', day: '$day' }, fen: { $sum: '$fen' } } }, { $project: { _id: 0, store: '$_id.store', day: '$_id.day', fen: 1 } }, { $merge: { into: 'totals', on: ['store', 'day'] } }]).toArray().catch((e) => e)) as MongoServerError;
    expect(refused.code).toBe(51183);
    await totals().createIndex({ day: 1, store: 1 }, { unique: true });
    const before = await totals().findOne({ store: 'SH01', day: 1 });
    await sales().aggregate([{ $group: { _id: { store: '$store', day: '$day' }, fen: { $sum: '$fen' } } }, { $project: { _id: 0, store: '$_id.store', day: '$_id.day', fen: 1 } }, { $merge: { into: 'totals', on: ['store', 'day'], whenMatched: 'replace' } }]).toArray();
    const rows = await totals().find({}, { projection: { _id: 0 } }).sort({ store: 1, day: 1 }).toArray();
    expect(rows).toEqual([{ store: 'BJ01', day: 1, fen: 40 }, { store: 'BJ01', day: 2, fen: 60 }, { store: 'SH01', day: 1, fen: 350 }]);
    expect((await totals().findOne({ store: 'SH01', day: 1 }))!._id).toEqual(before!._id);
    // a result without the on fields is refused
    await expect(sales().aggregate([{ $project: { _id: 0, store: 1 } }, { $merge: { into: 'totals', on: ['store', 'day'] } }]).toArray()).rejects.toMatchObject({ code: 51132 });
  });

  test('into the collection being read, and only as the last stage', async () => {
    await sales().aggregate([{ $match: { store: 'BJ01' } }, { $set: { seen: true } }, { $merge: { into: 'sales', whenMatched: 'merge' } }]).toArray();
    expect(await sales().countDocuments({ seen: true })).toBe(2);
    expect(await sales().countDocuments()).toBe(4);
    await expect(sales().aggregate([{ $merge: 'totals' }, { $match: {} }]).toArray()).rejects.toMatchObject({ code: 40601 });
  });
});
