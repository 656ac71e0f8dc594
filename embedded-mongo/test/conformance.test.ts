import { Db, MongoServerError } from 'mongodb';
import { freshDbName, openTarget, Target } from './helpers';

// Behaviours where the embedded server once differed from mongod (issue 19), each written from MongoDB's
// documented behaviour; they run against MONGODB_URI unchanged.

let target: Target;
let db: Db;

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('conformance'));
  await db.createCollection('items');
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

beforeEach(async () => {
  await db.collection('items').deleteMany({});
  await db.collection('items').insertMany([{ _id: 1 as never, n: 1 }, { _id: 2 as never, n: 2 }]);
});

describe('transactions', () => {
  test('the count command is refused inside a transaction (263), countDocuments works', async () => {
    const session = target.client.startSession();
    try {
      session.startTransaction();
      const err = (await db.command({ count: 'items', query: {} }, { session }).catch((e) => e)) as MongoServerError;
      expect(err).toBeInstanceOf(MongoServerError);
      expect(err.code).toBe(263);
      expect(err.codeName).toBe('OperationNotSupportedInTransaction');
      expect(err.hasErrorLabel('TransientTransactionError')).toBe(false);
      const estimated = (await db.collection('items').estimatedDocumentCount({ session }).catch((e) => e)) as MongoServerError;
      expect(estimated.code).toBe(263);
      await session.abortTransaction();
      session.startTransaction();
      // countDocuments is an aggregate, which transactions allow
      expect(await db.collection('items').countDocuments({}, { session })).toBe(2);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    // outside a transaction count is answered
    expect((await db.command({ count: 'items', query: { n: 2 } })).n).toBe(1);
  });
});
