import { Db, Long, MongoServerError, ObjectId } from 'mongodb';

/** Cursor ids come back as numbers or Longs depending on their size. */
interface NumberIdDoc {
  _id: number;
  list?: number[];
  [field: string]: unknown;
}

const isZeroId = (id: number | Long) => (typeof id === 'number' ? id === 0 : id.isZero());
import { freshDbName, openTarget, Target } from './helpers';

let target: Target;
let db: Db;

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('crud'));
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

describe('CRUD commands', () => {
  test('insert and find with filter, sort, skip, limit and projection', async () => {
    const items = db.collection('items');
    const res = await items.insertMany([
      { name: 'a', qty: 5, tags: ['x'] },
      { name: 'b', qty: 1, tags: ['y', 'z'] },
      { name: 'c', qty: 9, tags: [] },
      { name: 'd', qty: 3 },
    ]);
    expect(res.insertedCount).toBe(4);
    expect(res.insertedIds[0]).toBeInstanceOf(ObjectId);
    const found = await items.find({ qty: { $gte: 3 } }, { projection: { _id: 0, name: 1 } }).sort({ qty: -1 }).skip(1).limit(2).toArray();
    expect(found).toEqual([{ name: 'a' }, { name: 'd' }]);
    expect(await items.findOne({ tags: 'z' }, { projection: { name: 1, _id: 0 } })).toEqual({ name: 'b' });
    expect(await items.findOne({ name: 'nope' })).toBeNull();
  });

  test('cursors return 101 documents first, then the rest with getMore; killCursors closes them', async () => {
    const many = db.collection('many');
    await many.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
    const raw = await db.command({ find: 'many', filter: {}, sort: { i: 1 } });
    expect(raw.cursor.firstBatch).toHaveLength(101);
    expect(raw.cursor.ns).toBe(`${db.databaseName}.many`);
    const cursorId = raw.cursor.id as Long;
    expect(isZeroId(cursorId)).toBe(false);
    const more = await db.command({ getMore: cursorId, collection: 'many', batchSize: 100 });
    expect(more.cursor.nextBatch).toHaveLength(100);
    expect(more.cursor.nextBatch[0].i).toBe(101);
    const killed = await db.command({ killCursors: 'many', cursors: [cursorId] });
    expect(killed.cursorsKilled).toHaveLength(1);
    await expect(db.command({ getMore: cursorId, collection: 'many' })).rejects.toMatchObject({ code: 43 });
    const all = await many.find({}).sort({ i: 1 }).toArray();
    expect(all).toHaveLength(250);
    expect(all[249].i).toBe(249);
    const small = await db.command({ find: 'many', filter: { i: { $lt: 5 } } });
    expect(isZeroId(small.cursor.id)).toBe(true);
  });

  test('update: operators, multi, upsert, replacement and reply shapes', async () => {
    const coll = db.collection<NumberIdDoc>('updates');
    await coll.insertMany([{ _id: 1, n: 1, status: 'a' }, { _id: 2, n: 2, status: 'a' }, { _id: 3, n: 3, status: 'b' }]);
    const reply = await db.command({
      update: 'updates',
      updates: [
        { q: { status: 'a' }, u: { $inc: { n: 10 } }, multi: true },
        { q: { _id: 3 }, u: { $set: { n: 3 } } },
        { q: { _id: 9 }, u: { $set: { n: 9 }, $setOnInsert: { created: true } }, upsert: true },
      ],
    });
    expect(reply).toMatchObject({ n: 4, nModified: 2, upserted: [{ index: 2, _id: 9 }], ok: 1 });
    expect(await coll.findOne({ _id: 9 })).toEqual({ _id: 9, n: 9, created: true });
    const replaced = await coll.replaceOne({ _id: 3 }, { only: 'this' });
    expect(replaced.modifiedCount).toBe(1);
    expect(await coll.findOne({ _id: 3 })).toEqual({ _id: 3, only: 'this' });
    await db.command({ update: 'updates', updates: [{ q: { _id: 1 }, u: { $push: { list: { $each: [1, 2, 3] } } } }] });
    await coll.updateOne({ _id: 1 }, { $set: { 'list.$[big]': 0 } }, { arrayFilters: [{ big: { $gte: 2 } }] });
    expect((await coll.findOne({ _id: 1 }))!.list).toEqual([1, 0, 0]);
    await expect(coll.updateOne({ _id: 1 }, { $set: { _id: 5 } })).rejects.toMatchObject({ code: 66 });
    const upsert = await coll.updateOne({ email: 'x@y', 'profile.age': 30 }, { $set: { seen: 1 } }, { upsert: true });
    expect(upsert.upsertedCount).toBe(1);
    expect(await coll.findOne({ _id: upsert.upsertedId! }, { projection: { _id: 0 } })).toEqual({ email: 'x@y', profile: { age: 30 }, seen: 1 });
  });

  test('delete with limit 1 and 0', async () => {
    const coll = db.collection('deletes');
    await coll.insertMany([{ k: 1 }, { k: 1 }, { k: 1 }, { k: 2 }]);
    expect((await coll.deleteOne({ k: 1 })).deletedCount).toBe(1);
    expect((await coll.deleteMany({ k: 1 })).deletedCount).toBe(2);
    expect(await coll.countDocuments()).toBe(1);
  });

  test('findAndModify: sort, new, upsert, fields, remove', async () => {
    const coll = db.collection('fam');
    await coll.insertMany([{ q: 'job', p: 2 }, { q: 'job', p: 1 }]);
    const claimed = await coll.findOneAndUpdate({ q: 'job' }, { $set: { taken: true } }, { sort: { p: 1 }, returnDocument: 'after', projection: { _id: 0 } });
    expect(claimed).toEqual({ q: 'job', p: 1, taken: true });
    const before = await coll.findOneAndUpdate({ q: 'job', taken: { $exists: false } }, { $set: { taken: true } }, { returnDocument: 'before', projection: { _id: 0 } });
    expect(before).toEqual({ q: 'job', p: 2 });
    const raw = await db.command({ findAndModify: 'fam', query: { q: 'new' }, update: { $setOnInsert: { p: 7 } }, upsert: true, new: true });
    expect(raw.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false });
    expect(raw.lastErrorObject.upserted).toBeInstanceOf(ObjectId);
    expect(raw.value).toMatchObject({ q: 'new', p: 7 });
    const existing = await db.command({ findAndModify: 'fam', query: { q: 'new' }, update: { $inc: { p: 1 } } });
    expect(existing.lastErrorObject).toEqual({ n: 1, updatedExisting: true });
    expect(existing.value.p).toBe(7);
    const removed = await coll.findOneAndDelete({ q: 'new' });
    expect(removed!.p).toBe(8);
    const none = await db.command({ findAndModify: 'fam', query: { q: 'missing' }, update: { $set: { a: 1 } } });
    expect(none.value).toBeNull();
    expect(none.lastErrorObject).toEqual({ n: 0, updatedExisting: false });
  });

  test('count, estimatedDocumentCount and distinct', async () => {
    const coll = db.collection('counting');
    await coll.insertMany([{ c: 'r', v: [1, 2] }, { c: 'g', v: 2 }, { c: 'r', v: 3 }]);
    expect(await coll.countDocuments({ c: 'r' })).toBe(2);
    expect(await coll.countDocuments({ c: 'r' }, { skip: 1 })).toBe(1);
    expect(await coll.countDocuments({}, { limit: 2 })).toBe(2);
    expect(await coll.countDocuments({ c: 'none' })).toBe(0);
    // The counting pipeline answers as $group does: one document per constant key, none for no match.
    expect(await coll.aggregate([{ $match: { c: 'r' } }, { $group: { _id: null, total: { $sum: 1 } } }]).toArray()).toEqual([{ _id: null, total: 2 }]);
    expect(await coll.aggregate([{ $match: { c: 'none' } }, { $group: { _id: 1, n: { $sum: 1 } } }]).toArray()).toEqual([]);
    expect(await coll.estimatedDocumentCount()).toBe(3);
    expect((await db.command({ count: 'counting', query: { c: 'r' }, limit: 1 })).n).toBe(1);
    expect(await coll.distinct('v')).toEqual([1, 2, 3]);
    expect(await coll.distinct('c', { v: 2 })).toEqual(['g', 'r']);
  });

  test('aggregate: $match/$group/$sort/$project/$lookup/$facet/$bucket with cursor replies', async () => {
    const orders = db.collection('orders');
    const users = db.collection('users');
    await users.insertMany([{ _id: 'u1' as never, name: 'Ann' }, { _id: 'u2' as never, name: 'Bob' }]);
    await orders.insertMany([{ user: 'u1', total: 10 }, { user: 'u1', total: 5 }, { user: 'u2', total: 7 }]);
    const grouped = await orders
      .aggregate([{ $match: { total: { $gt: 1 } } }, { $group: { _id: '$user', sum: { $sum: '$total' } } }, { $sort: { sum: -1 } }])
      .toArray();
    expect(grouped).toEqual([{ _id: 'u1', sum: 15 }, { _id: 'u2', sum: 7 }]);
    const joined = await orders
      .aggregate([
        { $match: { user: 'u2' } },
        { $lookup: { from: 'users', localField: 'user', foreignField: '_id', as: 'who' } },
        { $project: { _id: 0, name: { $first: '$who.name' } } },
      ])
      .toArray();
    expect(joined).toEqual([{ name: 'Bob' }]);
    const [facets] = await orders
      .aggregate([
        { $facet: { count: [{ $count: 'n' }], buckets: [{ $bucket: { groupBy: '$total', boundaries: [0, 6, 100], default: 'other' } }] } },
      ])
      .toArray();
    expect(facets).toEqual({ count: [{ n: 3 }], buckets: [{ _id: 0, count: 1 }, { _id: 6, count: 2 }] });
    const raw = await db.command({ aggregate: 'orders', pipeline: [{ $match: {} }], cursor: { batchSize: 1 } });
    expect(raw.cursor.firstBatch).toHaveLength(1);
    expect(isZeroId(raw.cursor.id)).toBe(false);
    await db.command({ killCursors: 'orders', cursors: [raw.cursor.id] });
  });

  test('collections and databases: create, listCollections, drop, listDatabases', async () => {
    await db.createCollection('made');
    await expect(db.createCollection('made')).rejects.toMatchObject({ code: 48, codeName: 'NamespaceExists' });
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain('made');
    expect(await db.listCollections({ name: 'made' }).toArray()).toHaveLength(1);
    expect(await db.collection('made').drop()).toBe(true);
    expect((await db.listCollections({ name: 'made' }).toArray()).length).toBe(0);
    const dbs = await target.client.db('admin').admin().listDatabases();
    expect(dbs.databases.map((d) => d.name)).toContain(db.databaseName);
  });

  test('errors: unknown command is CommandNotFound; ping and buildInfo answer', async () => {
    await expect(db.command({ noSuchCommandHere: 1 })).rejects.toMatchObject({ code: 59, codeName: 'CommandNotFound' });
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
    const info = await db.admin().buildInfo();
    expect(typeof info.version).toBe('string');
    const hello = await db.admin().command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: true, ok: 1 });
    expect(typeof hello.setName).toBe('string');
    expect(hello.logicalSessionTimeoutMinutes).toBeGreaterThan(0);
  });

  test('unknown command fields are rejected rather than ignored', async () => {
    const err = await db.command({ find: 'items', filter: {}, notARealOption: true }).catch((e: MongoServerError) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).message).toContain('notARealOption');
  });
});
