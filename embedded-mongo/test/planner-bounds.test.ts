import { Query } from 'mingo';
import { Collection, SortSpec } from '../src/collection';

// $gt and $lt bound an index walk exclusively: a pager that resumes after the last value it saw
// (`updatedAt > mark`) does not read again every entry stamped at that value.

const at = (ms: number) => new Date(Date.UTC(2026, 11, 1) + ms);

function collection(): Collection {
  const coll = new Collection('db', 'members');
  coll.addIndex({ v: 2, key: { updatedAt: 1, _id: 1 }, name: 'updatedAt_1__id_1' });
  coll.addIndex({ v: 2, key: { score: -1 }, name: 'score_-1' });
  // 300 members written by one bulk write at the same instant, then one a millisecond for 100 ms
  for (let i = 0; i < 400; i++) coll.put(`m${i}`, { _id: i, updatedAt: at(i < 300 ? 0 : i - 299), score: i % 50 }, 1, false);
  return coll;
}

const planned = (coll: Collection, filter: Record<string, unknown>, sort?: SortSpec) => {
  const plan = coll.plan(filter, sort);
  expect(plan.fullScan).toBe(false);
  return [...plan.ids].sort();
};

const matching = (coll: Collection, filter: Record<string, unknown>) => {
  const query = new Query(filter);
  return [...coll.docs].filter(([, record]) => query.test(record.doc)).map(([id]) => id).sort();
};

test('a walk after the last instant seen reads only what came after it', () => {
  const coll = collection();
  // the rollup job's page: everything after the mark, up to a settled time, in (updatedAt, _id) order
  const page = { updatedAt: { $gt: at(0), $lte: at(50) } };
  expect(planned(coll, page, [['updatedAt', 1], ['_id', 1]])).toEqual(matching(coll, page));
  expect(planned(coll, page, [['updatedAt', 1], ['_id', 1]])).toHaveLength(50);
  // unordered, and walked backwards for the opposite sort
  expect(planned(coll, page)).toHaveLength(50);
  expect(planned(coll, page, [['updatedAt', -1], ['_id', -1]])).toHaveLength(50);
  // $gte still includes the bound's own entries
  expect(planned(coll, { updatedAt: { $gte: at(0), $lte: at(50) } })).toHaveLength(350);
});

test('every mix of exclusive and inclusive bounds walks exactly the matches, on ascending and descending indexes', () => {
  const coll = collection();
  const filters: Record<string, unknown>[] = [];
  for (const [lowOp, highOp] of [['$gt', '$lt'], ['$gt', '$lte'], ['$gte', '$lt'], ['$gte', '$lte']])
    for (const [low, high] of [[10, 20], [0, 49], [20, 20], [25, 21]]) {
      filters.push({ score: { [lowOp]: low, [highOp]: high } });
      filters.push({ updatedAt: { [lowOp]: at(low), [highOp]: at(high) } });
    }
  for (const op of ['$gt', '$gte', '$lt', '$lte']) for (const v of [0, 30, 49]) filters.push({ score: { [op]: v } }, { updatedAt: { [op]: at(v) } });
  for (const filter of filters) {
    const field = Object.keys(filter)[0]!;
    const expected = matching(coll, filter);
    expect([filter, planned(coll, filter)]).toEqual([filter, expected]);
    for (const dir of [1, -1] as const) expect([filter, dir, planned(coll, filter, [[field, dir]])]).toEqual([filter, dir, expected]);
  }
});
