import { Db, Filter } from 'mongodb';
import { freshDbName, openTarget, Target } from './helpers';

// Results of the query shapes the planner answers from indexes ($in, sorted ranges with limit and
// getMore, $lookup), checked against the same data without indexes and against MongoDB's semantics.

interface Row {
  _id: number;
  [field: string]: unknown;
}

let target: Target;
let db: Db;

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('queries'));
  const rows = Array.from({ length: 600 }, (_, i) => ({ _id: i, memberId: i % 7, createdAt: new Date(1e12 + (i % 50) * 1000), code: i % 11 === 0 ? null : `c${i % 40}`, tags: i % 5 ? [`t${i % 3}`] : [] }));
  await db.collection<Row>('plain').insertMany(rows);
  await db.collection<Row>('indexed').insertMany(rows);
  await db.collection<Row>('indexed').createIndex({ memberId: 1, createdAt: -1, _id: -1 });
  await db.collection<Row>('indexed').createIndex({ code: 1 });
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

const both = async (run: (name: string) => Promise<unknown>) => {
  const [plain, indexed] = [await run('plain'), await run('indexed')];
  expect(indexed).toEqual(plain);
  return indexed;
};

describe('index-planned queries answer as a collection scan does', () => {
  test('$in with repeats, null (matches missing and null), regex and array fields', async () => {
    for (const filter of [
      { code: { $in: ['c1', 'c2', 'c1', null] } },
      { code: { $in: [/^c3/, 'c10'] } },
      { _id: { $in: [5, 5.0, 7, 1000] } },
      { tags: { $in: ['t1'] } },
      { code: { $in: [] } },
    ])
      await both((name) => db.collection<Row>(name).find(filter as Filter<Row>).sort({ _id: 1 }).toArray());
    const nulls = (await db.collection<Row>('indexed').find({ code: { $in: [null] } }).toArray()) as unknown as { _id: number }[];
    expect(nulls.map((d) => d._id).sort((a, b) => a - b)).toEqual(Array.from({ length: 55 }, (_, i) => i * 11));
  });

  test('paged lists: equality prefix, sort with a tie-breaker, skip, limit, batchSize and getMore', async () => {
    const all = (await both((name) => db.collection<Row>(name).find({ memberId: 3 }).sort({ createdAt: -1, _id: -1 }).toArray())) as { _id: number }[];
    expect(all).toHaveLength(86);
    const paged = await db.collection<Row>('indexed').find({ memberId: 3 }).sort({ createdAt: -1, _id: -1 }).skip(5).limit(60).batchSize(7).toArray();
    expect(paged).toEqual(all.slice(5, 65));
    const ascending = await both((name) => db.collection<Row>(name).find({ memberId: 3, createdAt: { $gte: new Date(1e12 + 10_000), $lt: new Date(1e12 + 20_000) } }).sort({ createdAt: 1, _id: 1 }).toArray());
    expect((ascending as unknown[]).length).toBeGreaterThan(0);
  });

  test('_id ranges sorted by _id page through with a limit, including documents inserted between pages', async () => {
    const seen: number[] = [];
    let last = -1;
    for (;;) {
      const page = (await db.collection<Row>('indexed').find({ memberId: { $ne: 2 }, _id: { $gt: last } }).sort({ _id: 1 }).limit(100).toArray()) as unknown as { _id: number }[];
      if (page.length === 0) break;
      seen.push(...page.map((d) => d._id));
      last = page[page.length - 1]._id;
    }
    expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => i).filter((i) => i % 7 !== 2));
    const cursor = db.collection<Row>('indexed').find({}).sort({ _id: -1 }).batchSize(50);
    const firstBatch = [];
    for (let i = 0; i < 50; i++) firstBatch.push(await cursor.next());
    await db.collection<Row>('indexed').insertOne({ _id: -5, memberId: 0 }); // ahead of the walk: read by getMore
    const rest = await cursor.toArray();
    expect(rest[rest.length - 1]._id).toBe(-5);
    await db.collection<Row>('indexed').deleteOne({ _id: -5 });
  });

  test('$lookup by an indexed or unindexed foreign field, with missing, null and array local values', async () => {
    const local = db.collection<Row>('local');
    await local.insertMany([{ _id: 1, ref: 3 }, { _id: 2 }, { _id: 3, ref: null }, { _id: 4, ref: [1, 2, 1] }, { _id: 5, ref: 'c5' }]);
    for (const [from, foreignField] of [['indexed', 'memberId'], ['plain', 'memberId'], ['indexed', '_id'], ['indexed', 'code'], ['plain', 'code']]) {
      const rows = await local
        .aggregate([{ $sort: { _id: 1 } }, { $lookup: { from, localField: 'ref', foreignField, as: 'joined' } }, { $project: { ids: '$joined._id' } }])
        .toArray();
      const sorted = rows.map((r) => ({ _id: r._id, ids: [...(r.ids as number[])].sort((a, b) => a - b) }));
      const expected = (value: unknown) => {
        const values = Array.isArray(value) ? value : [value ?? null];
        return Array.from({ length: 600 }, (_, i) => i).filter((i) => {
          const doc: Record<string, unknown> = { _id: i, memberId: i % 7, code: i % 11 === 0 ? null : `c${i % 40}` };
          return values.some((v) => (doc[foreignField] ?? null) === v);
        });
      };
      expect(sorted).toEqual([3, undefined, null, [1, 2, 1], 'c5'].map((ref, i) => ({ _id: i + 1, ids: expected(ref) })));
    }
  });
});
