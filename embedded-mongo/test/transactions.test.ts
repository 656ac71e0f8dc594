import { Db, MongoServerError } from 'mongodb';
import { freshDbName, openTarget, sleep, Target } from './helpers';

let target: Target;
let db: Db;

interface Account {
  _id: string;
  balance: number;
}

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('txn'));
  // mongod cannot create collections implicitly inside every kind of transaction; create them first
  await db.createCollection('accounts');
  await db.createCollection('ledger');
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

beforeEach(async () => {
  await db.collection('accounts').deleteMany({});
  await db.collection('ledger').deleteMany({});
  await db.collection<Account>('accounts').insertMany([{ _id: 'a', balance: 100 }, { _id: 'b', balance: 0 }]);
});

const accounts = () => db.collection<Account>('accounts');

describe('transactions', () => {
  test('commit applies all writes together; others see nothing before the commit', async () => {
    const session = target.client.startSession();
    session.startTransaction();
    await accounts().updateOne({ _id: 'a' }, { $inc: { balance: -30 } }, { session });
    await accounts().updateOne({ _id: 'b' }, { $inc: { balance: 30 } }, { session });
    await db.collection('ledger').insertOne({ amount: 30 }, { session });
    expect((await accounts().findOne({ _id: 'a' }, { session }))!.balance).toBe(70);
    expect((await accounts().findOne({ _id: 'a' }))!.balance).toBe(100);
    expect(await db.collection('ledger').countDocuments({})).toBe(0);
    await session.commitTransaction();
    await session.endSession();
    expect((await accounts().find().sort({ _id: 1 }).toArray()).map((x) => x.balance)).toEqual([70, 30]);
    expect(await db.collection('ledger').countDocuments({})).toBe(1);
  });

  test('abort discards every write', async () => {
    const session = target.client.startSession();
    session.startTransaction();
    await accounts().updateOne({ _id: 'a' }, { $set: { balance: 0 } }, { session });
    await accounts().insertOne({ _id: 'c', balance: 5 }, { session });
    await accounts().deleteOne({ _id: 'b' }, { session });
    await session.abortTransaction();
    await session.endSession();
    expect(await accounts().find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 'a', balance: 100 }, { _id: 'b', balance: 0 }]);
  });

  test('reads inside a transaction see a snapshot, not later commits', async () => {
    const session = target.client.startSession();
    session.startTransaction({ readConcern: { level: 'snapshot' } });
    expect((await accounts().findOne({ _id: 'a' }, { session }))!.balance).toBe(100);
    await accounts().updateOne({ _id: 'b' }, { $set: { balance: 999 } });
    await accounts().deleteOne({ _id: 'a' });
    await accounts().insertOne({ _id: 'z', balance: 1 });
    expect((await accounts().findOne({ _id: 'b' }, { session }))!.balance).toBe(0);
    expect(await accounts().countDocuments({}, { session })).toBe(2);
    expect((await accounts().find({ balance: { $gte: 100 } }, { session }).toArray()).map((x) => x._id)).toEqual(['a']);
    await session.commitTransaction();
    await session.endSession();
    expect((await accounts().findOne({ _id: 'b' }))!.balance).toBe(999);
  });

  test('a second transaction writing the same document gets WriteConflict labelled TransientTransactionError', async () => {
    const first = target.client.startSession();
    const second = target.client.startSession();
    first.startTransaction();
    second.startTransaction();
    await accounts().updateOne({ _id: 'a' }, { $inc: { balance: 1 } }, { session: first });
    const err = (await accounts().updateOne({ _id: 'a' }, { $inc: { balance: 2 } }, { session: second }).catch((e) => e)) as MongoServerError;
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(112);
    expect(err.hasErrorLabel('TransientTransactionError')).toBe(true);
    await second.abortTransaction();
    await first.commitTransaction();
    await first.endSession();
    await second.endSession();
    expect((await accounts().findOne({ _id: 'a' }))!.balance).toBe(101);
  });

  test('writing a document changed after the snapshot is a WriteConflict', async () => {
    const session = target.client.startSession();
    session.startTransaction();
    await accounts().findOne({ _id: 'b' }, { session });
    await accounts().updateOne({ _id: 'a' }, { $inc: { balance: 5 } });
    const err = (await accounts().updateOne({ _id: 'a' }, { $inc: { balance: 1 } }, { session }).catch((e) => e)) as MongoServerError;
    expect(err.code).toBe(112);
    expect(err.hasErrorLabel('TransientTransactionError')).toBe(true);
    await session.abortTransaction();
    await session.endSession();
    expect((await accounts().findOne({ _id: 'a' }))!.balance).toBe(105);
  });

  test('withTransaction retries conflicting transfers until every one has applied', async () => {
    const transfers = 8;
    await Promise.all(
      Array.from({ length: transfers }, async () => {
        const session = target.client.startSession();
        try {
          await session.withTransaction(async () => {
            const from = await accounts().findOne({ _id: 'a' }, { session });
            await accounts().updateOne({ _id: 'a' }, { $set: { balance: from!.balance - 10 } }, { session });
            await accounts().updateOne({ _id: 'b' }, { $inc: { balance: 10 } }, { session });
            await db.collection('ledger').insertOne({ amount: 10 }, { session });
          });
        } finally {
          await session.endSession();
        }
      }),
    );
    expect((await accounts().find().sort({ _id: 1 }).toArray()).map((x) => x.balance)).toEqual([100 - 10 * transfers, 10 * transfers]);
    expect(await db.collection('ledger').countDocuments()).toBe(transfers);
  });

  test('a write outside any transaction waits for the transaction that holds the document', async () => {
    const session = target.client.startSession();
    session.startTransaction();
    await accounts().updateOne({ _id: 'a' }, { $inc: { balance: 1 } }, { session });
    let outsideDone = false;
    const outside = accounts()
      .updateOne({ _id: 'a' }, { $inc: { balance: 10 } })
      .then(() => (outsideDone = true));
    await sleep(150);
    expect(outsideDone).toBe(false);
    await session.commitTransaction();
    await outside;
    await session.endSession();
    expect((await accounts().findOne({ _id: 'a' }))!.balance).toBe(111);
  });

  test('a duplicate key inside a transaction aborts it; nothing from it survives', async () => {
    await db.collection('ledger').createIndex({ ref: 1 }, { unique: true });
    await db.collection('ledger').insertOne({ ref: 'r1' });
    const session = target.client.startSession();
    const err = await session
      .withTransaction(async () => {
        await accounts().updateOne({ _id: 'a' }, { $set: { balance: 1 } }, { session });
        await db.collection('ledger').insertOne({ ref: 'r1' }, { session });
      })
      .catch((e) => e);
    await session.endSession();
    expect((err as MongoServerError).code).toBe(11000);
    expect((await accounts().findOne({ _id: 'a' }))!.balance).toBe(100);
    await db.collection('ledger').dropIndex('ref_1');
  });
});
