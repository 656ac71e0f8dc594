import { Collection } from '../src/collection';

// Unit test of the embedded query planner: indexed lookups must not visit the whole collection.

describe('index-backed candidate selection', () => {
  const coll = new Collection('db', 'people');
  coll.addIndex({ v: 2, key: { age: 1 }, name: 'age_1' });
  coll.addIndex({ v: 2, key: { city: 1, age: -1 }, name: 'city_1_age_-1' });
  for (let i = 0; i < 2000; i++) coll.put(`n${i}`, { _id: i, age: i % 100, city: i % 2 ? 'Oslo' : 'Rome', note: `n${i}` }, 1, false);

  test('equality on an indexed field yields only the matching ids', () => {
    expect(coll.candidateIds({ age: 42 })).toHaveLength(20);
  });

  test('ranges and $in scan only their part of the index', () => {
    expect(coll.candidateIds({ age: { $gte: 10, $lt: 12 } })).toHaveLength(60); // inclusive bounds; the filter trims the rest
    expect(coll.candidateIds({ age: { $in: [1, 2, 3] } })).toHaveLength(60);
  });

  test('compound prefix equality plus a range on the next field', () => {
    const ids = coll.candidateIds({ city: 'Oslo', age: { $gt: 97 } })!;
    expect(ids.length).toBeLessThanOrEqual(40);
    expect(ids.length).toBeGreaterThan(0);
  });

  test('_id equality uses the document map; unindexed filters need a scan', () => {
    expect(coll.candidateIds({ _id: 5 })).toEqual(['n5']);
    expect(coll.candidateIds({ note: 'n5' })).toBeUndefined();
  });
});
