import { Db, ObjectId } from 'mongodb';
import { freshDbName, openTarget, Target } from './helpers';

let target: Target;
let db: Db;

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('atomic'));
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

describe('single-document atomicity under parallel requests', () => {
  test('a conditional update run 30 times in parallel has exactly one winner', async () => {
    const coupons = db.collection('coupons');
    const { insertedId } = await coupons.insertOne({ status: 'issued' });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => coupons.updateOne({ _id: insertedId, status: 'issued' }, { $set: { status: 'redeemed', by: i } })),
    );
    expect(results.filter((r) => r.modifiedCount === 1)).toHaveLength(1);
    expect(results.reduce((sum, r) => sum + r.matchedCount, 0)).toBe(1);
    expect((await coupons.findOne({ _id: insertedId }))!.status).toBe('redeemed');
  });

  test('findOneAndUpdate claims: 30 parallel claimers, one gets the document', async () => {
    const coupons = db.collection('claims');
    const { insertedId } = await coupons.insertOne({ status: 'issued' });
    const claims = await Promise.all(
      Array.from({ length: 30 }, () => coupons.findOneAndUpdate({ _id: insertedId, status: 'issued' }, { $set: { status: 'redeemed' } })),
    );
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
  });

  test('100 parallel $inc lose nothing', async () => {
    const counters = db.collection<{ _id: string; n: number }>('counters');
    await counters.insertOne({ _id: 'c', n: 0 });
    await Promise.all(Array.from({ length: 100 }, () => counters.updateOne({ _id: 'c' }, { $inc: { n: 1 } })));
    expect((await counters.findOne({ _id: 'c' }))!.n).toBe(100);
  });

  test('parallel upserts of the same key under a unique index create one document', async () => {
    const limits = db.collection('limits');
    await limits.createIndex({ key: 1 }, { unique: true });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => limits.updateOne({ key: 'ip:1' }, { $inc: { points: 1 } }, { upsert: true })),
    );
    // mongod may answer a racing upsert with E11000; whatever succeeded must be counted exactly once
    const succeeded = outcomes.filter((o) => o.status === 'fulfilled').length;
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as { code: number }).code).toBe(11000);
    const docs = await limits.find({ key: 'ip:1' }).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0].points).toBe(succeeded);
    expect(docs[0]._id).toBeInstanceOf(ObjectId);
  });
});
