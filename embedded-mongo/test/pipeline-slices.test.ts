import { find as mingoFind, aggregate as mingoAggregate } from 'mingo';
import { MongoClient } from 'mongodb';
import { startServer } from '../src';
import { foldableGroup, groupFromScan, runPipeline } from '../src/pipeline';
import type { LookupSource } from '../src/lookup';
import { cloneDoc, Doc } from '../src/values';
import { Slicer } from '../src/yielding';

// An aggregation's stages after the scan ($group, $sort, $lookup, $facet…) run in time slices outside
// transactions, with mingo's results exactly: these pipelines are run both ways over the same documents.

const STORES = ['S1', 'S2', 'S3'];
const mixed = (i: number): unknown => [i % 13, `v${i % 11}`, null, undefined, [i % 3, 'a'], new Date(Date.UTC(2026, 0, 1 + (i % 9))), i % 2 === 0, { k: i % 4 }][i % 8];

function members(n: number): Doc[] {
  return Array.from({ length: n }, (_, i) => {
    const doc: Doc = { _id: i, store: STORES[i % 3], spend: (i * 7919) % 1000, ratio: ((i * 31) % 97) / 7, name: `m${(i * 37) % 500}`, tags: [`t${i % 5}`, `t${(i * 3) % 7}`] };
    const m = mixed(i);
    if (m !== undefined) doc.mixed = m;
    if (i % 10 !== 0) doc.visits = i % 17;
    return doc;
  });
}

const coupons: Doc[] = Array.from({ length: 800 }, (_, i) => ({ _id: `c${i}`, memberId: (i * 13) % 7000, face: (i % 5) * 100 }));

const lookupSource = (docs: Doc[]) => (): LookupSource => ({
  size: docs.length,
  hasIndexOn: () => false,
  matching: (field, value) => docs.filter((d) => d[field] === value),
  all: () => docs,
});

const ALL_ACCUMULATORS = {
  n: { $sum: 1 },
  count: { $count: {} },
  spend: { $sum: '$spend' },
  ratio: { $sum: '$ratio' },
  avgRatio: { $avg: '$ratio' },
  avgVisits: { $avg: '$visits' },
  minMixed: { $min: '$mixed' },
  maxMixed: { $max: '$mixed' },
  minVisits: { $min: '$visits' },
  maxName: { $max: '$name' },
  first: { $first: '$name' },
  last: { $last: '$mixed' },
  names: { $addToSet: '$name' },
  mixedSet: { $addToSet: '$mixed' },
  pushed: { $push: { $multiply: ['$spend', 2] } },
};

const PIPELINES: Record<string, Doc[]> = {
  'group of everything (one group of 2,400: accumulated in chunks)': [{ $group: { _id: null, ...ALL_ACCUMULATORS } }],
  'group by store, then sort': [{ $match: { spend: { $gte: 100 } } }, { $group: { _id: '$store', ...ALL_ACCUMULATORS } }, { $sort: { _id: -1 } }],
  'group by a compound key': [{ $group: { _id: { store: '$store', big: { $gt: ['$spend', 500] } }, spend: { $sum: '$spend' }, ids: { $push: '$_id' } } }],
  'group by mixed types': [{ $group: { _id: '$mixed', n: { $sum: 1 } } }],
  'sort by mixed types then number': [{ $sort: { mixed: 1, spend: -1 } }],
  'sort by strings descending, ties stable': [{ $sort: { name: -1 } }],
  'sort by a float, then top 20': [{ $sort: { ratio: 1, _id: -1 } }, { $limit: 20 }],
  'unwind and sortByCount': [{ $unwind: '$tags' }, { $sortByCount: '$tags' }],
  'project, addFields, skip and limit': [{ $project: { name: 1, spend: 1 } }, { $addFields: { double: { $multiply: ['$spend', 2] } } }, { $skip: 10 }, { $limit: 300 }],
  facet: [{ $facet: { byStore: [{ $group: { _id: '$store', n: { $sum: 1 } } }, { $sort: { n: -1, _id: 1 } }], top: [{ $sort: { spend: -1, _id: 1 } }, { $limit: 5 }, { $project: { spend: 1 } }] } }],
  'simple lookup, unwind, group': [
    { $lookup: { from: 'coupons', localField: '_id', foreignField: 'memberId', as: 'coupons' } },
    { $unwind: '$coupons' },
    { $group: { _id: '$store', face: { $sum: '$coupons.face' }, members: { $addToSet: '$_id' } } },
    { $sort: { face: -1 } },
  ],
  'count after match': [{ $match: { store: 'S2' } }, { $count: 'n' }],
};

describe('pipelines in slices give mingo’s results', () => {
  const input = members(2_400);
  for (const [name, pipeline] of Object.entries(PIPELINES))
    test(name, async () => {
      const options = { collectionResolver: (coll: string) => (coll === 'coupons' ? coupons.map(cloneDoc) : []) };
      const expected = mingoAggregate(input.map(cloneDoc), pipeline, options);
      // a slice of 0 ms pauses at every check, so every step of every stage is interrupted
      const slicer = new Slicer(true, 0);
      const actual = await runPipeline(input.map(cloneDoc), pipeline, { options, lookupSource: lookupSource(coupons), slicer });
      expect(actual).toEqual(expected);
      expect(slicer.pauses).toBeGreaterThan(0);
    });
});

describe('[$match?, $group] grouped straight from the scan gives mingo’s results', () => {
  const input = members(2_400);
  for (const name of ['group of everything (one group of 2,400: accumulated in chunks)', 'group by store, then sort', 'group by a compound key', 'group by mixed types'])
    test(name, async () => {
      const pipeline = PIPELINES[name]!;
      const match = pipeline[0]!.$match as Doc | undefined;
      const groupAt = match ? 1 : 0;
      expect(foldableGroup(pipeline[groupAt])).toBe(true);
      const env = { options: {}, lookupSource: lookupSource([]), slicer: new Slicer(true, 0) };
      const grouped = await groupFromScan(input.map(cloneDoc), match, pipeline[groupAt]!.$group as Doc, env);
      const actual = await runPipeline(grouped, pipeline.slice(groupAt + 1), env);
      expect(actual).toEqual(mingoAggregate(input.map(cloneDoc), pipeline));
      expect(env.slicer.pauses).toBeGreaterThan(0);
    });
  test('other accumulators are left to the general path', () => {
    expect(foldableGroup({ $group: { _id: null, top: { $topN: { n: 2, sortBy: { spend: -1 }, output: '$name' } } } })).toBe(false);
    expect(foldableGroup({ $group: { _id: null, spend: { $sum: '$spend' }, sd: { $stdDevPop: '$spend' } } })).toBe(false);
  });
});

test('$group and $sort let other callbacks run while they work, and not inside a transaction', async () => {
  const input = members(2_400);
  for (const pipeline of [[{ $group: { _id: '$name', spend: { $sum: '$spend' }, names: { $addToSet: '$mixed' } } }], [{ $sort: { name: 1, ratio: -1 } }]]) {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const sliced = new Slicer(true, 0);
    // input arrays with nothing streaming before the stage: all pauses come from $group / $sort themselves
    await runPipeline(input, pipeline, { options: {}, lookupSource: lookupSource([]), slicer: sliced });
    clearInterval(ticker);
    expect(sliced.pauses).toBeGreaterThan(50);
    expect(ticks).toBeGreaterThan(0);

    const whole = new Slicer(false, 0);
    let ticksInTxn = 0;
    const txnTicker = setImmediate(() => ticksInTxn++);
    const done = runPipeline(input, pipeline, { options: {}, lookupSource: lookupSource([]), slicer: whole });
    // nothing else ran before the whole pipeline was done (its promise settles without a turn of the event loop)
    expect(ticksInTxn).toBe(0);
    await done;
    clearImmediate(txnTicker);
    expect(whole.pauses).toBe(0);
  }
});

test('a find sorted on fields no index gives is sorted in slices, in mingo’s order', async () => {
  const server = await startServer({ port: 0 });
  const client = await MongoClient.connect(server.uri);
  try {
    const docs = members(2_400);
    const coll = client.db('app').collection<Doc>('members');
    await coll.insertMany(docs.map(cloneDoc));
    for (const sort of [{ mixed: 1, spend: -1 }, { name: -1 }, { ratio: 1, _id: -1 }] as Record<string, 1 | -1>[]) {
      const expected = (mingoFind(docs.map(cloneDoc), {}).sort(sort).all() as Doc[]).map((d) => d._id);
      const actual = (await coll.find({}, { sort, projection: { _id: 1 } }).toArray()).map((d) => d._id);
      expect([sort, actual]).toEqual([sort, expected]);
    }
  } finally {
    await client.close();
    await server.stop();
  }
});
