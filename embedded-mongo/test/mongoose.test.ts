import mongoose, { Connection, Schema } from 'mongoose';
import { freshDbName, openTarget, Target } from './helpers';

let target: Target;
let conn: Connection;

beforeAll(async () => {
  target = await openTarget();
  conn = await mongoose.createConnection(target.uri, { dbName: freshDbName('mg') }).asPromise();
});
afterAll(async () => {
  await conn.dropDatabase();
  await conn.close();
  await target.close();
});

const memberSchema = new Schema({
  email: { type: String, required: true, unique: true },
  points: { type: Number, default: 0 },
  visits: [{ at: Date, store: String }],
});

describe('mongoose', () => {
  test('autoIndex builds the unique index and duplicates reject with code 11000', async () => {
    const Member = conn.model('Member', memberSchema);
    await Member.init();
    const indexes = await Member.listIndexes();
    expect(indexes.map((i) => i.name)).toContain('email_1');
    await Member.create({ email: 'ann@example.com' });
    const err = await Member.create({ email: 'ann@example.com' }).catch((e) => e);
    expect(err.code).toBe(11000);
    expect(err.keyValue).toEqual({ email: 'ann@example.com' });
    const many = await Member.insertMany([{ email: 'x@e' }, { email: 'ann@example.com' }, { email: 'y@e' }], { ordered: false }).catch((e) => e);
    expect(many.code).toBe(11000);
    expect(await Member.countDocuments()).toBe(3);
    await Member.syncIndexes();
    expect((await Member.listIndexes()).map((i) => i.name).sort()).toEqual(['_id_', 'email_1']);
  });

  test('findOneAndUpdate with upsert, $inc, $push and queries with sort/limit/skip/select', async () => {
    const Member = conn.model('Member');
    const created = await Member.findOneAndUpdate(
      { email: 'new@example.com' },
      { $setOnInsert: { email: 'new@example.com' }, $inc: { points: 5 }, $push: { visits: { at: new Date(0), store: 's1' } } },
      { upsert: true, returnDocument: 'after' },
    ).lean<{ points: number; visits: { store: string }[] }>();
    expect(created!.points).toBe(5);
    expect(created!.visits.map((v) => v.store)).toEqual(['s1']);
    const again = await Member.findOneAndUpdate({ email: 'new@example.com' }, { $inc: { points: 1 } }, { returnDocument: 'after' }).lean<{ points: number }>();
    expect(again!.points).toBe(6);
    const page = await Member.find({}).sort({ email: 1 }).skip(1).limit(2).select('email -_id').lean();
    expect(page).toEqual([{ email: 'new@example.com' }, { email: 'x@e' }]);
    const updated = await Member.updateMany({ points: { $lt: 6 } }, { $set: { points: 1 } });
    expect(updated.modifiedCount).toBe(3);
    expect(await Member.estimatedDocumentCount()).toBe(4);
    expect((await Member.distinct('points')).sort()).toEqual([1, 6]);
    const agg = await Member.aggregate([{ $group: { _id: null, total: { $sum: '$points' } } }]);
    expect(agg).toEqual([{ _id: null, total: 9 }]);
    expect((await Member.deleteMany({ points: 1 })).deletedCount).toBe(3);
  });

  test('session.withTransaction commits all writes together', async () => {
    const Member = conn.model('Member');
    const session = await conn.startSession();
    await session.withTransaction(async () => {
      await Member.create([{ email: 'tx1@e' }], { session });
      await Member.updateOne({ email: 'new@example.com' }, { $inc: { points: 100 } }, { session });
    });
    await session.endSession();
    expect(await Member.countDocuments({ email: 'tx1@e' })).toBe(1);
    expect((await Member.findOne({ email: 'new@example.com' }).lean<{ points: number }>())!.points).toBe(106);
    const failing = await conn
      .transaction(async (s) => {
        await Member.create([{ email: 'tx2@e' }], { session: s });
        throw new Error('rollback please');
      })
      .catch((e: Error) => e);
    expect((failing as Error).message).toBe('rollback please');
    expect(await Member.countDocuments({ email: 'tx2@e' })).toBe(0);
  });
});
