import { Collection as DriverCollection, Db, Document } from 'mongodb';
import { compileProjection } from '../src/projection';
import { freshDbName, openTarget, Target } from './helpers';

// Conformance of find projections with MongoDB (simple shapes are applied without mingo; the rest fall back to it).

let target: Target;
let db: Db;
interface NumberIdDoc {
  _id: number;
  [field: string]: unknown;
}
let coll: DriverCollection<NumberIdDoc>;

const doc = {
  _id: 1,
  b: 2,
  a: { y: 1, x: 2, deep: { k: 'v', l: 'w' } },
  s: 'str',
  arr: [{ x: 1, y: 2 }, { y: 3 }],
  n: null,
};

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('projections'));
  coll = db.collection<NumberIdDoc>('docs');
  await coll.insertMany([doc, { _id: 2, b: 5 }, { _id: 3, a: 'scalar', b: 6 }]);
});
afterAll(async () => {
  await db.dropDatabase();
  await target.close();
});

const project = async (projection: Document, id = 1) => coll.findOne({ _id: id }, { projection });
const keys = (d: Document | null) => Object.keys(d ?? {});

describe('simple projections', () => {
  test('inclusion keeps the document order and _id by default', async () => {
    const out = await project({ a: 1, b: 1 });
    expect(out).toEqual({ _id: 1, b: 2, a: doc.a });
    expect(keys(out)).toEqual(['_id', 'b', 'a']);
    expect(await project({ _id: 0, b: 1 })).toEqual({ b: 2 });
    expect(await project({ b: true, s: 5 })).toEqual({ _id: 1, b: 2, s: 'str' });
    expect(await project({ _id: 1 })).toEqual({ _id: 1 });
    expect(await project({ missing: 1 })).toEqual({ _id: 1 });
    expect(await project({ n: 1, _id: 0 })).toEqual({ n: null });
  });

  test('exclusion lists', async () => {
    const out = await project({ b: 0, s: false });
    expect(out).toEqual({ _id: 1, a: doc.a, arr: doc.arr, n: null });
    expect(keys(out)).toEqual(['_id', 'a', 'arr', 'n']);
    expect(await project({ _id: 0 }, 2)).toEqual({ b: 5 });
    expect(await project({ _id: 0, b: 0 }, 2)).toEqual({});
    expect(await project({ missing: 0 }, 2)).toEqual({ _id: 2, b: 5 });
  });

  test('dotted paths into embedded documents', async () => {
    expect(await project({ 'a.x': 1 })).toEqual({ _id: 1, a: { x: 2 } });
    const both = await project({ 'a.x': 1, 'a.y': 1, _id: 0 });
    expect(both).toEqual({ a: { y: 1, x: 2 } });
    expect(keys(both?.a as Document)).toEqual(['y', 'x']);
    expect(await project({ 'a.deep.l': 1, b: 1, _id: 0 })).toEqual({ b: 2, a: { deep: { l: 'w' } } });
    // an embedded document without the sub-field stays, empty; a scalar on the way is left out
    expect(await project({ 'a.z': 1, _id: 0 })).toEqual({ a: {} });
    expect(await project({ 'a.x': 1, _id: 0 }, 3)).toEqual({});
    expect(await project({ 'a.x': 1 }, 2)).toEqual({ _id: 2 });
    // exclusion of sub-fields
    expect(await project({ 'a.x': 0, 'a.deep.k': 0, arr: 0 })).toEqual({ _id: 1, b: 2, a: { y: 1, deep: { l: 'w' } }, s: 'str', n: null });
    expect(await project({ 'a.x': 0 }, 3)).toEqual({ _id: 3, a: 'scalar', b: 6 });
  });

  test('dotted paths through arrays apply to each embedded document', async () => {
    expect(await project({ 'arr.x': 1, _id: 0 })).toEqual({ arr: [{ x: 1 }, {}] });
    expect(await project({ 'arr.y': 0, a: 0, _id: 0 })).toEqual({ b: 2, s: 'str', arr: [{ x: 1 }, {}], n: null });
    // and leave the stored document as it was
    expect(await project({ arr: 1, _id: 0 })).toEqual({ arr: doc.arr });
  });

  test('a cursor over many documents projects each, in order', async () => {
    const many = db.collection<NumberIdDoc>('many');
    await many.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, tier: i % 3, homeStoreId: `s${i % 7}`, name: `m${i}`, sub: i % 2 ? { q: i } : [{ q: i }] })));
    const out = await many.find({}, { projection: { _id: 1, homeStoreId: 1, tier: 1, 'sub.q': 1 } }).sort({ _id: 1 }).toArray();
    expect(out).toHaveLength(250);
    expect(out[0]).toEqual({ _id: 0, tier: 0, homeStoreId: 's0', sub: [{ q: 0 }] });
    expect(out[249]).toEqual({ _id: 249, tier: 0, homeStoreId: 's4', sub: { q: 249 } });
  });

  test('operators and expressions still work', async () => {
    expect(await project({ b: 1, arr: { $slice: 1 } })).toEqual({ _id: 1, b: 2, arr: [{ x: 1, y: 2 }] });
    expect(await project({ arr: { $elemMatch: { y: 3 } } })).toEqual({ _id: 1, arr: [{ y: 3 }] });
    expect(await project({ _id: 0, b: 1, lit: { $literal: 'x' } })).toEqual({ b: 2, lit: 'x' });
    expect(await coll.findOne({ 'arr.y': 3 }, { projection: { 'arr.$': 1 } })).toEqual({ _id: 1, arr: [{ y: 3 }] });
  });

  test('mixed inclusion and exclusion is an error', async () => {
    await expect(project({ b: 1, s: 0 })).rejects.toThrow();
  });

  test('findOneAndUpdate returns the projected document', async () => {
    const res = await coll.findOneAndUpdate({ _id: 2 }, { $set: { c: { d: 1, e: 2 } } }, { returnDocument: 'after', projection: { 'c.e': 1, _id: 0 } });
    expect(res).toEqual({ c: { e: 2 } });
  });
});

describe('compileProjection', () => {
  test('empty projections need no transform; collisions and operators fall back to mingo', () => {
    expect(compileProjection({})).toBeUndefined();
    const viaMingo = compileProjection({ _id: 0, arr: { $elemMatch: { y: 3 } } })!;
    expect(viaMingo([doc])).toEqual([{ arr: [{ y: 3 }] }]);
    // an array holding scalars on a dotted path goes to mingo, which must not change the stored document
    const mixed = { _id: 9, arr: [{ x: 1, y: 2 }, 5] };
    expect(compileProjection({ 'arr.y': 0 })!([mixed])).toEqual([{ _id: 9, arr: [{ x: 1 }, 5] }]);
    expect(mixed).toEqual({ _id: 9, arr: [{ x: 1, y: 2 }, 5] });
  });

  test('documents are not modified', () => {
    const copy = JSON.parse(JSON.stringify(doc)) as Document;
    compileProjection({ 'a.x': 0, b: 0 })!([copy]);
    compileProjection({ 'a.x': 1 })!([copy]);
    expect(copy).toEqual(doc);
  });
});
