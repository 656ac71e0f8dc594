import { Db, MongoBulkWriteError, MongoServerError } from 'mongodb';
import { freshDbName, openTarget, Target } from './helpers';

let target: Target;
let db: Db;

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('idx'));
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

describe('indexes', () => {
  test('unique index: E11000 with keyPattern, keyValue and mongod errmsg', async () => {
    const users = db.collection('users');
    expect(await users.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
    await users.insertOne({ email: 'a@x' });
    const err = (await users.insertOne({ email: 'a@x' }).catch((e) => e)) as MongoServerError;
    expect(err.code).toBe(11000);
    expect(err.keyPattern).toEqual({ email: 1 });
    expect(err.keyValue).toEqual({ email: 'a@x' });
    expect(err.message).toBe(`E11000 duplicate key error collection: ${db.databaseName}.users index: email_1 dup key: { email: "a@x" }`);
    // an update that would collide is refused too, and leaves the document unchanged
    const other = await users.insertOne({ email: 'b@x' });
    await expect(users.updateOne({ _id: other.insertedId }, { $set: { email: 'a@x' } })).rejects.toMatchObject({ code: 11000 });
    expect((await users.findOne({ _id: other.insertedId }))!.email).toBe('b@x');
  });

  test('duplicate _id is E11000 on the _id_ index', async () => {
    const c = db.collection('ids');
    await c.insertOne({ _id: 'k' as never });
    const err = (await c.insertOne({ _id: 'k' as never }).catch((e) => e)) as MongoServerError;
    expect(err.code).toBe(11000);
    expect(err.message).toContain('index: _id_ dup key: { _id: "k" }');
  });

  test('insertMany ordered stops at the first duplicate; unordered reports every writeError', async () => {
    const c = db.collection('bulk');
    await c.createIndex({ k: 1 }, { unique: true });
    const ordered = (await c.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }]).catch((e) => e)) as MongoBulkWriteError;
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    expect(ordered.insertedCount).toBe(1);
    expect(await c.countDocuments()).toBe(1);
    const unordered = (await c.insertMany([{ k: 1 }, { k: 3 }, { k: 3 }, { k: 4 }], { ordered: false }).catch((e) => e)) as MongoBulkWriteError;
    expect(unordered.insertedCount).toBe(2);
    const errors = Array.isArray(unordered.writeErrors) ? unordered.writeErrors : [unordered.writeErrors];
    expect(errors.map((e) => e.index).sort()).toEqual([0, 2]);
    expect(errors.every((e) => e.code === 11000)).toBe(true);
    expect(await c.countDocuments()).toBe(3);
  });

  test('bulkWrite mixes operations and reports counts', async () => {
    const c = db.collection<{ _id: number; v?: number }>('bw');
    const result = await c.bulkWrite([
      { insertOne: { document: { _id: 1, v: 1 } } },
      { updateOne: { filter: { _id: 1 }, update: { $inc: { v: 1 } } } },
      { updateOne: { filter: { _id: 2 }, update: { $set: { v: 5 } }, upsert: true } },
      { deleteOne: { filter: { _id: 1 } } },
    ]);
    expect(result.insertedCount).toBe(1);
    expect(result.modifiedCount).toBe(1);
    expect(result.upsertedCount).toBe(1);
    expect(result.deletedCount).toBe(1);
    expect(await c.find().toArray()).toEqual([{ _id: 2, v: 5 }]);
  });

  test('compound unique index', async () => {
    const c = db.collection('compound');
    await c.createIndex({ a: 1, b: -1 }, { unique: true });
    await c.insertMany([{ a: 1, b: 1 }, { a: 1, b: 2 }]);
    const err = (await c.insertOne({ a: 1, b: 2 }).catch((e) => e)) as MongoServerError;
    expect(err.code).toBe(11000);
    expect(err.keyPattern).toEqual({ a: 1, b: -1 });
    expect(err.keyValue).toEqual({ a: 1, b: 2 });
    expect(await c.find({ a: 1, b: { $gte: 2 } }, { projection: { _id: 0 } }).toArray()).toEqual([{ a: 1, b: 2 }]);
  });

  test('sparse unique index allows many documents without the field', async () => {
    const c = db.collection('sparse');
    await c.createIndex({ code: 1 }, { unique: true, sparse: true });
    await c.insertMany([{ x: 1 }, { x: 2 }, { code: 'A' }]);
    await expect(c.insertOne({ code: 'A' })).rejects.toMatchObject({ code: 11000 });
  });

  test('partialFilterExpression unique index only constrains matching documents', async () => {
    const c = db.collection('partial');
    await c.createIndex({ member: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await c.insertMany([{ member: 'm', active: false }, { member: 'm', active: false }, { member: 'm', active: true }]);
    await expect(c.insertOne({ member: 'm', active: true })).rejects.toMatchObject({ code: 11000 });
    expect(await c.countDocuments({ member: 'm' })).toBe(3);
  });

  test('creating a unique index over existing duplicates fails', async () => {
    const c = db.collection('predup');
    await c.insertMany([{ v: 1 }, { v: 1 }]);
    await expect(c.createIndex({ v: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
  });

  test('listIndexes, idempotent createIndexes, conflicts, dropIndexes', async () => {
    const c = db.collection('listing');
    await c.createIndexes([{ key: { a: 1 } }, { key: { b: -1 }, name: 'bee', unique: true }]);
    await c.createIndex({ a: 1 });
    const indexes = await c.listIndexes().toArray();
    expect(indexes.map((i) => i.name)).toEqual(['_id_', 'a_1', 'bee']);
    expect(indexes[2]).toMatchObject({ key: { b: -1 }, name: 'bee', unique: true, v: 2 });
    await expect(c.createIndex({ a: 1 }, { unique: true })).rejects.toBeInstanceOf(MongoServerError);
    await expect(c.createIndex({ c: 1 }, { name: 'bee' })).rejects.toBeInstanceOf(MongoServerError);
    await c.dropIndex('a_1');
    expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'bee']);
    await c.dropIndexes();
    expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    await expect(c.dropIndex('nope')).rejects.toMatchObject({ code: 27 });
  });

  test('indexed equality, $in and range queries return exactly the matching documents', async () => {
    const c = db.collection('lookups');
    await c.createIndex({ n: 1 });
    await c.createIndex({ tags: 1 });
    await c.insertMany(Array.from({ length: 500 }, (_, i) => ({ n: i, tags: [`t${i % 7}`, 'all'], s: i % 2 ? 'odd' : 'even' })));
    await c.insertOne({ n: 'string-not-number' });
    expect((await c.findOne({ n: 42 }))!.n).toBe(42);
    expect((await c.find({ n: { $in: [3, 1, 2] } }).sort({ n: 1 }).toArray()).map((d) => d.n)).toEqual([1, 2, 3]);
    expect(await c.countDocuments({ n: { $gte: 100, $lt: 110 } })).toBe(10);
    expect(await c.countDocuments({ n: { $gt: 495 } })).toBe(4);
    expect(await c.countDocuments({ tags: 't3', s: 'odd' })).toBe(36);
    expect(await c.countDocuments({ tags: 'all' })).toBe(500);
    expect(await c.countDocuments({ n: { $lte: 2 } })).toBe(3);
  });
});
