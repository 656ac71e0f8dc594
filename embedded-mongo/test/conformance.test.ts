import { Binary, Db, Document, MongoClient, MongoServerError, Timestamp } from 'mongodb';
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

describe('cluster time', () => {
  const expectClusterTime = (reply: Document) => {
    expect(reply.operationTime).toBeInstanceOf(Timestamp);
    expect(reply.$clusterTime.clusterTime).toBeInstanceOf(Timestamp);
    expect(reply.$clusterTime.signature.hash).toBeInstanceOf(Binary);
    expect(reply.$clusterTime.signature.keyId).toBeDefined();
    // the cluster time is never behind the operation time it reports
    expect((reply.$clusterTime.clusterTime as Timestamp).compare(reply.operationTime)).toBeGreaterThanOrEqual(0);
  };

  test('every reply, failed ones included, carries operationTime and $clusterTime; a write moves them forward', async () => {
    const replies: Document[] = [];
    const client = new MongoClient(target.uri, { monitorCommands: true });
    client.on('commandSucceeded', (e) => replies.push(e.reply as Document));
    client.on('commandFailed', (e) => replies.push(((e.failure as MongoServerError).errorResponse ?? {}) as Document));
    await client.connect();
    try {
      const items = client.db(db.databaseName).collection('items');
      await client.db('admin').command({ ping: 1 });
      await items.findOne({ _id: 1 as never });
      const before = replies[replies.length - 1].operationTime as Timestamp;
      await items.updateOne({ _id: 1 as never }, { $inc: { n: 1 } });
      const write = replies[replies.length - 1].operationTime as Timestamp;
      expect(write.compare(before)).toBe(1);
      await items.insertOne({ _id: 1 as never }).catch(() => undefined); // duplicate key: a write error
      await client.db(db.databaseName).command({ find: 'items', filter: { $bogus: 1 } }).catch(() => undefined); // a failed command
      expect(replies.length).toBeGreaterThanOrEqual(5);
      for (const reply of replies) expectClusterTime(reply);
    } finally {
      await client.close();
    }
  });

  test('a causally consistent session reads after its own writes with afterClusterTime', async () => {
    const started: Document[] = [];
    const client = new MongoClient(target.uri, { monitorCommands: true });
    client.on('commandStarted', (e) => started.push(e.command));
    await client.connect();
    const session = client.startSession({ causalConsistency: true });
    try {
      const items = client.db(db.databaseName).collection('items');
      await items.updateOne({ _id: 2 as never }, { $set: { n: 20 } }, { session });
      expect(session.operationTime).toBeInstanceOf(Timestamp);
      expect((await items.findOne({ _id: 2 as never }, { session }))!.n).toBe(20);
      const read = started.find((c) => c.find === 'items')!;
      expect(read.readConcern.afterClusterTime).toBeInstanceOf(Timestamp);
      expect((read.readConcern.afterClusterTime as Timestamp).equals(session.operationTime!)).toBe(true);
    } finally {
      await session.endSession();
      await client.close();
    }
  });

  test('afterClusterTime later than the server has reached is refused (InvalidOptions); a reached one is answered', async () => {
    const { operationTime } = await db.command({ ping: 1 });
    await expect(db.command({ find: 'items', filter: {}, readConcern: { afterClusterTime: operationTime } })).resolves.toMatchObject({ ok: 1 });
    const future = new Timestamp({ t: Math.floor(Date.now() / 1000) + 3600, i: 1 });
    await expect(db.command({ find: 'items', filter: {}, readConcern: { afterClusterTime: future } })).rejects.toMatchObject({
      code: 72,
      codeName: 'InvalidOptions',
    });
  });
});
