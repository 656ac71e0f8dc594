import { Binary, Db, Document, MongoClient, MongoServerError, MongoWriteConcernError, Timestamp } from 'mongodb';
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

describe('readConcern snapshot outside a transaction', () => {
  test('find, aggregate and distinct read at a snapshot and report its atClusterTime; other commands refuse it', async () => {
    const snapshot = { readConcern: { level: 'snapshot' } };
    const found = await db.command({ find: 'items', filter: {}, batchSize: 1, ...snapshot });
    expect(found.cursor.atClusterTime).toBeInstanceOf(Timestamp);
    // the cursor's later batches are of the same snapshot: a document inserted meanwhile does not appear
    await db.collection('items').insertOne({ _id: 3 as never, n: 3 });
    const more = await db.command({ getMore: found.cursor.id, collection: 'items' });
    expect([...found.cursor.firstBatch, ...more.cursor.nextBatch].map((d: Document) => d._id)).toEqual([1, 2]);
    const aggregated = await db.command({ aggregate: 'items', pipeline: [{ $count: 'n' }], cursor: {}, ...snapshot });
    expect(aggregated.cursor).toMatchObject({ firstBatch: [{ n: 3 }], atClusterTime: expect.any(Timestamp) });
    const distinct = await db.command({ distinct: 'items', key: 'n', ...snapshot });
    expect(distinct).toMatchObject({ values: [1, 2, 3], atClusterTime: expect.any(Timestamp) });
    for (const command of [{ insert: 'items', documents: [{ n: 4 }] }, { listCollections: 1 }, { count: 'items' }])
      await expect(db.command({ ...command, ...snapshot })).rejects.toMatchObject({ code: 72 });
    expect(await db.collection('items').countDocuments({ n: 4 })).toBe(0);
  });

  test('a snapshot session reads at one time; a time later than the server has reached is refused', async () => {
    const session = target.client.startSession({ snapshot: true });
    try {
      const items = db.collection('items');
      expect(await items.countDocuments({}, { session })).toBe(2);
      expect((session as unknown as { snapshotTime?: Timestamp }).snapshotTime).toBeInstanceOf(Timestamp); // the driver keeps the first read's atClusterTime
      expect(await items.find({}, { session }).toArray()).toHaveLength(2);
    } finally {
      await session.endSession();
    }
    const future = new Timestamp({ t: Math.floor(Date.now() / 1000) + 3600, i: 1 });
    await expect(db.command({ find: 'items', filter: {}, readConcern: { level: 'snapshot', atClusterTime: future } })).rejects.toMatchObject({ code: 72 });
  });

  test('a snapshot older than the latest change: mongod reads it from history; the embedded server refuses it (SnapshotTooOld)', async () => {
    const { cursor } = await db.command({ find: 'items', filter: {}, readConcern: { level: 'snapshot' } });
    await db.collection('items').insertOne({ n: 9 });
    const old = db.command({ find: 'items', filter: {}, readConcern: { level: 'snapshot', atClusterTime: cursor.atClusterTime } });
    if (target.embedded) await expect(old).rejects.toMatchObject({ code: 239, codeName: 'SnapshotTooOld' });
    else expect((await old).cursor.firstBatch).toHaveLength(2);
  });
});

describe('documents, updates and pipelines', () => {
  test('a pipeline update with $replaceRoot/$replaceWith keeps _id when the new root has none; changing it is refused', async () => {
    const items = db.collection('items');
    await items.updateOne({ _id: 1 as never }, [{ $replaceRoot: { newRoot: { m: { $add: ['$n', 10] } } } }]);
    expect(await items.findOne({ _id: 1 as never })).toEqual({ _id: 1, m: 11 });
    await items.updateOne({ _id: 2 as never }, [{ $replaceWith: { m: '$n' } }]);
    expect(await items.findOne({ _id: 2 as never })).toEqual({ _id: 2, m: 2 });
    await expect(items.updateOne({ _id: 2 as never }, [{ $replaceWith: { _id: 99, m: 1 } }])).rejects.toMatchObject({ code: 66 });
  });

  test("a leading $match with $expr sees the aggregate's let variables", async () => {
    const docs = await db.collection('items').aggregate([{ $match: { $expr: { $gte: ['$n', '$$least'] } } }], { let: { least: 2 } }).toArray();
    expect(docs).toEqual([{ _id: 2, n: 2 }]);
    const counted = await db.collection('items').aggregate([{ $match: { $expr: { $eq: ['$n', '$$which'] } } }, { $group: { _id: 1, n: { $sum: 1 } } }], { let: { which: 1 } }).toArray();
    expect(counted).toEqual([{ _id: 1, n: 1 }]);
  });

  test("an _id holding $-prefixed fields is refused (DollarPrefixedFieldName); other top-level $-prefixed fields are stored (5.0+)", async () => {
    const items = db.collection('items');
    await expect(items.insertOne({ _id: { $a: 1 } as never })).rejects.toMatchObject({ code: 52 });
    await items.insertOne({ _id: 3 as never, $price: 5 });
    expect(await items.findOne({ _id: 3 as never })).toEqual({ _id: 3, $price: 5 });
  });

  test('$project, $bucket and $setWindowFields put _id first', async () => {
    const items = db.collection('items');
    const projected = await items.aggregate([{ $sort: { _id: 1 } }, { $project: { double: { $multiply: ['$n', 2] }, _id: 1 } }]).toArray();
    expect(projected.map((d) => Object.keys(d))).toEqual([['_id', 'double'], ['_id', 'double']]);
    const buckets = await items.aggregate([{ $bucket: { groupBy: '$n', boundaries: [0, 10], output: { total: { $sum: '$n' } } } }]).toArray();
    expect(buckets.map((d) => Object.keys(d))).toEqual([['_id', 'total']]);
    const windowed = await items.aggregate([{ $setWindowFields: { sortBy: { _id: 1 }, output: { running: { $sum: '$n', window: { documents: ['unbounded', 'current'] } } } } }]).toArray();
    expect(windowed).toEqual([{ _id: 1, n: 1, running: 1 }, { _id: 2, n: 2, running: 3 }]);
    expect(windowed.map((d) => Object.keys(d))).toEqual([['_id', 'n', 'running'], ['_id', 'n', 'running']]);
  });

  test('an update statement with sort fails the whole command on a 7.0 server (unknown field), not one statement', async () => {
    const err = (await db.command({ update: 'items', updates: [{ q: { _id: 1 }, u: { $set: { a: 1 } } }, { q: {}, u: { $set: { b: 1 } }, sort: { _id: 1 } }] }).catch((e) => e)) as MongoServerError;
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(40415);
    expect(await db.collection('items').findOne({ _id: 1 as never })).toEqual({ _id: 1, n: 1 });
  });
});

describe('write concern', () => {
  test('w greater than the set has members is applied but answered with UnsatisfiableWriteConcern (100)', async () => {
    const err = (await db.collection('items').insertOne({ _id: 10 as never }, { writeConcern: { w: 10 } }).catch((e) => e)) as Error & { code?: number; codeName?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(100);
    expect(await db.collection('items').countDocuments({ _id: 10 as never })).toBe(1);
    // the reply is ok: 1 with the write's result and a writeConcernError (the driver raises it)
    const raw = (await db.command({ insert: 'items', documents: [{ _id: 11 }], writeConcern: { w: 10 } }).catch((e) => e)) as MongoWriteConcernError;
    expect(raw).toBeInstanceOf(MongoWriteConcernError);
    expect(raw.result).toMatchObject({ ok: 1, n: 1, writeConcernError: { code: 100, codeName: 'UnsatisfiableWriteConcern' } });
    const tagged = (await db.command({ insert: 'items', documents: [{ _id: 12 }], writeConcern: { w: 'noSuchTag' } }).catch((e) => e)) as MongoWriteConcernError;
    expect(tagged.result).toMatchObject({ ok: 1, n: 1, writeConcernError: { code: 79, codeName: 'UnknownReplWriteConcern' } });
    expect(await db.collection('items').countDocuments({ _id: { $in: [11, 12] } as never })).toBe(2);
    // one member is a majority, and w: 1 is the member itself
    await expect(db.collection('items').insertOne({ _id: 13 as never }, { writeConcern: { w: 'majority' } })).resolves.toBeDefined();
    await expect(db.collection('items').insertOne({ _id: 14 as never }, { writeConcern: { w: 1 } })).resolves.toBeDefined();
  });
});

describe('collections and indexes created in a transaction', () => {
  test('appear at commit, with their documents and indexes; nobody outside sees them before', async () => {
    const session = target.client.startSession();
    try {
      session.startTransaction();
      await db.createCollection('made_in_txn', { session });
      await db.collection('made_in_txn').createIndex({ code: 1 }, { unique: true, session });
      await db.collection('made_in_txn').insertOne({ code: 'a' }, { session });
      await db.collection('implicit_in_txn').insertOne({ x: 1 }, { session });
      // the transaction sees its own collection, and its unique index holds
      expect(await db.collection('made_in_txn').countDocuments({}, { session })).toBe(1);
      const dup = (await db.collection('made_in_txn').insertOne({ code: 'a' }, { session }).catch((e) => e)) as MongoServerError;
      expect(dup.code).toBe(11000);
    } finally {
      await session.endSession();
    }
    // the duplicate aborted that transaction: nothing of it exists
    const names = async () => (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(await names()).not.toContain('made_in_txn');

    const second = target.client.startSession();
    try {
      second.startTransaction();
      await db.createCollection('made_in_txn', { session: second });
      await db.collection('made_in_txn').createIndex({ code: 1 }, { unique: true, session: second });
      await db.collection('made_in_txn').insertOne({ code: 'b' }, { session: second });
      await db.collection('implicit_in_txn').insertOne({ x: 2 }, { session: second });
      expect(await names()).not.toContain('made_in_txn');
      expect(await names()).not.toContain('implicit_in_txn');
      expect(await db.collection('made_in_txn').countDocuments()).toBe(0);
      await second.commitTransaction();
    } finally {
      await second.endSession();
    }
    expect(await names()).toEqual(expect.arrayContaining(['made_in_txn', 'implicit_in_txn']));
    expect(await db.collection('made_in_txn').find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ code: 'b' }]);
    expect((await db.collection('made_in_txn').indexes()).map((i) => i.name)).toEqual(['_id_', 'code_1']);
    await expect(db.collection('made_in_txn').insertOne({ code: 'b' })).rejects.toMatchObject({ code: 11000 });
  });

  test('an abort leaves no collection behind; an index on an existing collection is refused in a transaction (263)', async () => {
    const session = target.client.startSession();
    try {
      session.startTransaction();
      await db.collection('aborted_in_txn').insertOne({ x: 1 }, { session });
      await session.abortTransaction();
      expect((await db.listCollections({ name: 'aborted_in_txn' }).toArray())).toEqual([]);
      session.startTransaction();
      await expect(db.collection('items').createIndex({ n: 1 }, { session })).rejects.toMatchObject({ code: 263 });
      await session.abortTransaction().catch(() => undefined);
    } finally {
      await session.endSession();
    }
  });
});
