import { aggregate as mingoAggregate } from 'mingo';
import { cloneDoc, Doc, idKeyOf, isPlainObject } from './values';

/** The foreign collection of a `$lookup`, as the reader (maybe a transaction) sees it. */
export interface LookupSource {
  /** Number of documents, to choose between per-value index lookups and one hash of everything. */
  readonly size: number;
  /** Whether an index answers equality on `field` (the _id map or a secondary index starting with it). */
  hasIndexOn(field: string): boolean;
  /** Documents whose `field` equals `value` (or holds it in an array), found through the index. */
  matching(field: string, value: unknown): Doc[];
  /** Every document. */
  all(): Doc[];
}

interface SimpleLookup {
  from: string;
  localField: string;
  foreignField: string;
  as: string;
}

/** `$lookup` with only from/localField/foreignField/as on top-level fields: the form answered here. */
function simpleLookupOf(stage: Doc): SimpleLookup | undefined {
  const spec = stage.$lookup;
  if (Object.keys(stage).length !== 1 || !isPlainObject(spec)) return undefined;
  const keys = Object.keys(spec).sort().join(',');
  if (keys !== 'as,foreignField,from,localField') return undefined;
  const { from, localField, foreignField, as } = spec;
  if (typeof from !== 'string' || typeof localField !== 'string' || typeof foreignField !== 'string' || typeof as !== 'string') return undefined;
  if (localField.includes('.') || foreignField.includes('.') || localField.startsWith('$') || foreignField.startsWith('$')) return undefined;
  return { from, localField, foreignField, as };
}

/** Values an index lookup can take: scalars with an exact idKeyOf (null is left to the hash, which knows "missing"). */
const isIndexable = (v: unknown) =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || (v instanceof Date) || (isObjectIdLike(v));
const isObjectIdLike = (v: unknown) => v !== null && typeof v === 'object' && (v as { _bsontype?: string })._bsontype === 'ObjectId';

/**
 * `$lookup` by equality, with mingo's results (each local value, or each element of a local array,
 * matches foreign documents whose field equals it or holds it in an array; null matches null and
 * missing): few distinct local values go through the foreign index one by one, otherwise the foreign
 * collection is read and hashed once. mingo read, copied and hashed the whole foreign collection on
 * every aggregate.
 */
function runLookup(input: Doc[], spec: SimpleLookup, source: LookupSource): Doc[] {
  const { localField, foreignField, as } = spec;
  const localValues = input.map((doc) => doc[localField] ?? null);
  const distinct = new Map<string, unknown>();
  for (const v of localValues) for (const x of Array.isArray(v) ? v : [v]) distinct.set(idKeyOf(x), x);
  const useIndex =
    source.hasIndexOn(foreignField) && distinct.size * 4 <= source.size && [...distinct.values()].every(isIndexable);
  const copies = new Map<Doc, Doc>();
  const copy = (doc: Doc) => {
    let c = copies.get(doc);
    if (!c) copies.set(doc, (c = cloneDoc(doc)));
    return c;
  };
  const byKey = new Map<string, Doc[]>();
  if (useIndex) for (const [key, v] of distinct) byKey.set(key, source.matching(foreignField, v).map(copy));
  else
    for (const doc of source.all()) {
      const v = doc[foreignField] ?? null;
      for (const x of Array.isArray(v) ? v : [v]) {
        const key = idKeyOf(x);
        const list = byKey.get(key);
        if (list) list.push(copy(doc));
        else byKey.set(key, [copy(doc)]);
      }
    }
  return input.map((doc, i) => {
    const v = localValues[i];
    let matches: Doc[];
    if (Array.isArray(v)) matches = [...new Set(v.flatMap((x) => byKey.get(idKeyOf(x)) ?? []))];
    else matches = byKey.get(idKeyOf(v)) ?? [];
    return { ...doc, [as]: matches };
  });
}

/**
 * Runs a pipeline through mingo, except that simple top-level `$lookup` stages are answered by
 * `runLookup`; the stages between them go to mingo as separate pipelines.
 */
const ID_FIRST_STAGES = new Set(['$project', '$bucket', '$bucketAuto', '$setWindowFields']);

function idFirst(doc: Doc): Doc {
  const keys = Object.keys(doc);
  if (keys[0] === '_id' || !('_id' in doc)) return doc;
  const out: Doc = { _id: doc._id };
  for (const k of keys) if (k !== '_id') out[k] = doc[k];
  return out;
}

export function runPipeline(
  input: Doc[],
  pipeline: Doc[],
  options: Parameters<typeof mingoAggregate>[2],
  lookupSource: (collection: string) => LookupSource,
): Doc[] {
  let docs = input;
  let segment: Doc[] = [];
  const flush = () => {
    if (segment.length) docs = mingoAggregate(docs, segment, options) as Doc[];
    segment = [];
  };
  for (const stage of pipeline) {
    const lookup = simpleLookupOf(stage);
    if (!lookup) {
      segment.push(stage);
      // mongod's output of these stages starts with _id; mingo's may not
      if (ID_FIRST_STAGES.has(Object.keys(stage)[0])) {
        flush();
        docs = docs.map(idFirst);
      }
      continue;
    }
    flush();
    docs = runLookup(docs, lookup, lookupSource(lookup.from));
  }
  flush();
  return docs;
}
