import { ClientSession, Db, Document, Long, MongoClient, MongoServerError, ObjectId, UpdateFilter } from 'mongodb';
import { freshDbName, openTarget, Target } from './helpers';

let target: Target;
let db: Db;

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('writes'));
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

interface LeaseDoc {
  _id: string;
  leaseOwner: string | null;
  [field: string]: unknown;
}

const duplicateIdError = (ns: string, id: string) => ({
  code: 11000,
  keyPattern: { _id: 1 },
  keyValue: { _id: id },
  errmsg: expect.stringContaining(`E11000 duplicate key error collection: ${ns} index: _id_ dup key: { _id: "${id}" }`),
});

describe('an upsert whose filter misses but whose _id exists fails with E11000 (never replaces)', () => {
  const taken = { _id: 'x', leaseOwner: 'a', since: 1 };
  let leases: ReturnType<Db['collection']>;
  beforeEach(async () => {
    leases = db.collection<LeaseDoc>('leases') as unknown as ReturnType<Db['collection']>;
    await leases.deleteMany({});
    await leases.insertOne({ ...taken } as Document);
  });
  afterEach(async () => {
    // whatever the write path, the existing document is untouched
    expect(await leases.findOne({ _id: 'x' as never })).toEqual(taken);
    expect(await leases.countDocuments()).toBe(1);
  });

  test('findOneAndUpdate', async () => {
    const err = await leases
      .findOneAndUpdate({ _id: 'x' as never, leaseOwner: null }, { $set: { leaseOwner: 'b' } }, { upsert: true, returnDocument: 'after' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject(duplicateIdError(`${db.databaseName}.leases`, 'x'));
  });

  test('updateOne and replaceOne', async () => {
    await expect(leases.updateOne({ _id: 'x' as never, leaseOwner: null }, { $set: { leaseOwner: 'b' } }, { upsert: true })).rejects.toMatchObject(
      duplicateIdError(`${db.databaseName}.leases`, 'x'),
    );
    await expect(leases.replaceOne({ _id: 'x' as never, leaseOwner: 'nobody' }, { leaseOwner: 'b' }, { upsert: true })).rejects.toMatchObject({
      code: 11000,
    });
  });

  test('update command reports it as a write error of that statement', async () => {
    const reply = await db.command({
      update: 'leases',
      updates: [
        { q: { _id: 'y' }, u: { $set: { leaseOwner: 'c' } }, upsert: true },
        { q: { _id: 'x', leaseOwner: null }, u: { $set: { leaseOwner: 'b' } }, upsert: true },
      ],
    });
    expect(reply).toMatchObject({ n: 1, nModified: 0, upserted: [{ index: 0, _id: 'y' }], ok: 1 });
    expect(reply.writeErrors).toHaveLength(1);
    expect(reply.writeErrors[0]).toMatchObject({ index: 1, code: 11000, keyPattern: { _id: 1 }, keyValue: { _id: 'x' } });
    await leases.deleteOne({ _id: 'y' as never });
  });

  test('bulkWrite upserts, ordered and unordered', async () => {
    const ops = [
      { updateOne: { filter: { _id: 'x', leaseOwner: null }, update: { $set: { leaseOwner: 'b' } }, upsert: true } },
      { replaceOne: { filter: { _id: 'x', leaseOwner: 'zz' }, replacement: { leaseOwner: 'b' }, upsert: true } },
    ] as never[];
    const ordered = await leases.bulkWrite(ops).catch((e: { writeErrors?: unknown[] }) => e);
    expect(ordered).toMatchObject({ code: 11000 });
    const unordered = await leases.bulkWrite(ops, { ordered: false }).catch((e: { writeErrors?: { code: number }[] }) => e);
    expect((unordered as { writeErrors: { code: number }[] }).writeErrors.map((w) => w.code)).toEqual([11000, 11000]);
  });

  test('inside a transaction', async () => {
    const session = target.client.startSession();
    try {
      await expect(
        session.withTransaction(async () => {
          await leases.findOneAndUpdate({ _id: 'x' as never, leaseOwner: null }, { $set: { leaseOwner: 'b' } }, { upsert: true, session });
        }),
      ).rejects.toMatchObject({ code: 11000 });
    } finally {
      await session.endSession();
    }
  });
});

describe('retryable writes: a retry with the same lsid and txnNumber is answered without applying it again', () => {
  // Raw commands below carry txnNumbers of their own choosing, which would clash with the driver's counter
  // for the same server session once it is back in the pool; a client of their own keeps that apart.
  let rawClient: MongoClient;
  let rawDb: Db;
  let session: ClientSession;
  let txnNumber = 100;
  beforeAll(async () => {
    rawClient = await MongoClient.connect(target.uri);
    rawDb = rawClient.db(db.databaseName);
  });
  afterAll(() => rawClient.close());
  beforeEach(() => {
    session = rawClient.startSession();
  });
  afterEach(() => session.endSession());

  /** Sends the same command twice as the driver would on a retry: same lsid (the session's), same txnNumber. */
  async function sendTwice(command: Document): Promise<[Document, Document]> {
    const cmd = { ...command, txnNumber: Long.fromNumber(++txnNumber) };
    const first = await rawDb.command({ ...cmd }, { session });
    const second = await rawDb.command({ ...cmd }, { session });
    return [first, second];
  }

  test('insert', async () => {
    const [first, second] = await sendTwice({ insert: 'retried', documents: [{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }] });
    expect(first).toMatchObject({ n: 2, ok: 1 });
    expect(first.writeErrors).toBeUndefined();
    expect(second).toMatchObject({ n: 2, ok: 1 });
    expect(second.writeErrors).toBeUndefined();
    expect(await db.collection('retried').countDocuments({ _id: { $in: [1, 2] } as never })).toBe(2);
  });

  test('update with $inc, and an upsert generating its _id', async () => {
    await db.collection('retried').insertOne({ _id: 'counter' as never, n: 0 });
    const [first, second] = await sendTwice({ update: 'retried', updates: [{ q: { _id: 'counter' }, u: { $inc: { n: 1 } } }] });
    expect(first).toMatchObject({ n: 1, nModified: 1, ok: 1 });
    expect(second).toMatchObject({ n: 1, nModified: 1, ok: 1 });
    expect((await db.collection('retried').findOne({ _id: 'counter' as never }))!.n).toBe(1);

    const [up1, up2] = await sendTwice({ update: 'retried', updates: [{ q: { slot: 7 }, u: { $inc: { hits: 1 } }, upsert: true }] });
    expect(up1).toMatchObject({ n: 1, nModified: 0, ok: 1 });
    expect(up1.upserted[0]._id).toBeInstanceOf(ObjectId);
    expect(up2).toMatchObject({ n: 1, nModified: 0, ok: 1 });
    expect(up2.upserted).toEqual(up1.upserted);
    expect(await db.collection('retried').find({ slot: 7 }).toArray()).toEqual([{ _id: up1.upserted[0]._id, slot: 7, hits: 1 }]);
  });

  test('delete', async () => {
    await db.collection('retried').insertMany([{ kind: 'del' }, { kind: 'del' }]);
    const [first, second] = await sendTwice({ delete: 'retried', deletes: [{ q: { kind: 'del' }, limit: 1 }] });
    expect(first).toMatchObject({ n: 1, ok: 1 });
    expect(second).toMatchObject({ n: 1, ok: 1 });
    expect(await db.collection('retried').countDocuments({ kind: 'del' })).toBe(1);
  });

  test('findAndModify', async () => {
    await db.collection('retried').insertOne({ _id: 'fam' as never, n: 10 });
    const [first, second] = await sendTwice({ findAndModify: 'retried', query: { _id: 'fam' }, update: { $inc: { n: 5 } }, new: true });
    expect(first).toMatchObject({ lastErrorObject: { n: 1, updatedExisting: true }, value: { _id: 'fam', n: 15 }, ok: 1 });
    expect(second).toMatchObject({ lastErrorObject: { n: 1, updatedExisting: true }, value: { _id: 'fam', n: 15 }, ok: 1 });
    expect((await db.collection('retried').findOne({ _id: 'fam' as never }))!.n).toBe(15);
  });

  test('an ordered batch that failed part way: applied statements are not repeated, the failed one runs again', async () => {
    await db.collection('retried').insertOne({ _id: 'dup' as never });
    const [first, second] = await sendTwice({ insert: 'retried', documents: [{ _id: 'b1' }, { _id: 'dup' }, { _id: 'b3' }] });
    for (const reply of [first, second]) {
      expect(reply).toMatchObject({ n: 1, ok: 1 });
      expect(reply.writeErrors).toHaveLength(1);
      expect(reply.writeErrors[0]).toMatchObject({ index: 1, code: 11000 });
    }
    expect(await db.collection('retried').countDocuments({ _id: { $in: ['b1', 'b3'] } as never })).toBe(1);
  });

  test('a txnNumber lower than the last one on the session is refused with TransactionTooOld', async () => {
    const newer = Long.fromNumber(txnNumber + 10);
    txnNumber += 10;
    await rawDb.command({ insert: 'retried', documents: [{ k: 'new' }], txnNumber: newer }, { session });
    const err = await rawDb
      .command({ insert: 'retried', documents: [{ k: 'old' }], txnNumber: Long.fromNumber(txnNumber - 5) }, { session })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 225, codeName: 'TransactionTooOld' });
    expect(await db.collection('retried').countDocuments({ k: 'old' })).toBe(0);
  });

});

describe('update operators: semantics and errors as on mongod', () => {
  /** Numeric _ids; any other field of any type. */
  interface OpsDoc extends Document {
    _id: number;
  }
  const coll = () => db.collection<OpsDoc>('ops');
  /** The driver's types only allow $push on fields declared as arrays; these tests push to undeclared ones. */
  const update = (spec: Document) => spec as UpdateFilter<OpsDoc>;

  test('$set, $unset, $inc, $min, $max, $push on top-level and dotted paths', async () => {
    await coll().insertOne({ _id: 1, a: 1, nested: { x: 5, y: 'keep' }, list: [1], low: 5, high: 5 });
    const res = await coll().updateOne(
      { _id: 1 },
      update({
        $set: { 'nested.z': 'new', 'made.deep.path': true },
        $unset: { a: '', 'nested.gone': '' },
        $inc: { 'nested.x': 2, counter: 3 },
        $min: { low: 2, fresh: 9 },
        $max: { high: 1 },
        $push: { list: { v: 2 } },
      }),
    );
    expect(res).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await coll().findOne({ _id: 1 })).toEqual({
      _id: 1,
      nested: { x: 7, y: 'keep', z: 'new' },
      list: [1, { v: 2 }],
      low: 2,
      high: 5,
      counter: 3,
      fresh: 9,
      made: { deep: { path: true } },
    });
  });

  test('new fields are added in lexicographic order of their paths', async () => {
    await coll().insertOne({ _id: 2 });
    await coll().updateOne({ _id: 2 }, { $set: { z: 1, 'm.b': 1, 'm.a': 2 }, $inc: { c: 1 } });
    const doc = (await coll().findOne({ _id: 2 }))!;
    expect(Object.keys(doc)).toEqual(['_id', 'c', 'm', 'z']);
    expect(Object.keys(doc.m as object)).toEqual(['a', 'b']);
  });

  test('updates that change nothing report nModified 0', async () => {
    await coll().insertOne({ _id: 3, a: 1, low: 1, high: 9 });
    const noOps: UpdateFilter<OpsDoc>[] = [{ $set: { a: 1 } }, { $unset: { missing: '' } }, { $min: { low: 4 } }, { $max: { high: 2 } }, { $setOnInsert: { a: 2 } }, { $inc: { a: 0 } }];
    for (const noOp of noOps) {
      const res = await coll().updateOne({ _id: 3 }, noOp);
      expect({ noOp, matched: res.matchedCount, modified: res.modifiedCount }).toEqual({ noOp, matched: 1, modified: 0 });
    }
    expect(await coll().findOne({ _id: 3 })).toEqual({ _id: 3, a: 1, low: 1, high: 9 });
  });

  test('$inc on a non-numeric field is TypeMismatch (14) naming the _id and the field; nothing changes', async () => {
    await coll().insertOne({ _id: 4, name: 'ann', n: 1 });
    const err = await coll().updateOne({ _id: 4 }, { $inc: { n: 1, name: 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({
      code: 14,
      codeName: 'TypeMismatch',
      errmsg: "Cannot apply $inc to a value of non-numeric type. {_id: 4} has the field 'name' of non-numeric type string",
    });
    const badArgument = await coll().updateOne({ _id: 4 }, { $inc: { n: 'one' as never } }).catch((e: unknown) => e);
    expect(badArgument).toMatchObject({ code: 14, errmsg: expect.stringContaining('Cannot increment with non-numeric argument') });
    expect(await coll().findOne({ _id: 4 })).toEqual({ _id: 4, name: 'ann', n: 1 });
  });

  test('$push to a non-array field fails; changing _id is ImmutableField (66)', async () => {
    await coll().insertOne({ _id: 5, tags: 'solo' });
    await expect(coll().updateOne({ _id: 5 }, update({ $push: { tags: 'x' } }))).rejects.toMatchObject({
      code: 2,
      errmsg: expect.stringContaining("The field 'tags' must be an array but is of type string in document {_id: 5}"),
    });
    await expect(coll().updateOne({ _id: 5 }, { $set: { _id: 6, tags: 'y' } })).rejects.toMatchObject({ code: 66, codeName: 'ImmutableField' });
    await expect(coll().updateOne({ _id: 5 }, { $inc: { _id: 1 } })).rejects.toMatchObject({ code: 66 });
    // setting _id to its current value is allowed
    expect((await coll().updateOne({ _id: 5 }, { $set: { _id: 5, tags: 'z' } })).modifiedCount).toBe(1);
  });

  test('a scalar in the way of a path is PathNotViable (28); overlapping paths are ConflictingUpdateOperators (40)', async () => {
    await coll().insertOne({ _id: 6, a: 1, n: null });
    await expect(coll().updateOne({ _id: 6 }, { $set: { 'a.b': 1 } })).rejects.toMatchObject({
      code: 28,
      codeName: 'PathNotViable',
      errmsg: "Cannot create field 'b' in element {a: 1}",
    });
    await expect(coll().updateOne({ _id: 6 }, { $inc: { 'n.x': 1 } })).rejects.toMatchObject({ code: 28, errmsg: "Cannot create field 'x' in element {n: null}" });
    // unsetting below a scalar changes nothing
    expect((await coll().updateOne({ _id: 6 }, { $unset: { 'a.b': '' } })).modifiedCount).toBe(0);
    await expect(coll().updateOne({ _id: 6 }, { $set: { a: 2, 'a.b': 2 } })).rejects.toMatchObject({
      code: 40,
      codeName: 'ConflictingUpdateOperators',
      errmsg: "Updating the path 'a.b' would create a conflict at 'a'",
    });
    await expect(coll().updateOne({ _id: 6 }, { $set: { c: 1 }, $inc: { c: 1 } })).rejects.toMatchObject({ code: 40 });
    expect(await coll().findOne({ _id: 6 })).toEqual({ _id: 6, a: 1, n: null });
  });

  test('upsert: seed from the filter, $setOnInsert only when inserting', async () => {
    const first = await coll().updateOne({ _id: 7, 'meta.kind': 'k' }, { $setOnInsert: { created: 1 }, $inc: { hits: 1 } }, { upsert: true });
    expect(first.upsertedId).toBe(7);
    const again = await coll().updateOne({ _id: 7, 'meta.kind': 'k' }, { $setOnInsert: { created: 2 }, $inc: { hits: 1 } }, { upsert: true });
    expect(again).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect(await coll().findOne({ _id: 7 })).toEqual({ _id: 7, meta: { kind: 'k' }, created: 1, hits: 2 });
  });

  test('operators the fast path leaves to the general implementation still work', async () => {
    await coll().insertOne({ _id: 8, list: [1, 2, 3], obj: { arr: [{ v: 1 }, { v: 2 }] }, n: Long.fromNumber(5) });
    await coll().updateOne({ _id: 8, list: 2 }, update({ $set: { 'list.$': 20, 'obj.arr.1.v': 9 }, $push: { extra: { $each: [1, 2] } } }));
    await coll().updateOne({ _id: 8 }, { $inc: { n: 1 }, $mul: { 'list.0': 10 } });
    expect(await coll().findOne({ _id: 8 })).toEqual({ _id: 8, list: [10, 20, 3], obj: { arr: [{ v: 1 }, { v: 9 }] }, n: 6, extra: [1, 2] });
  });
});
