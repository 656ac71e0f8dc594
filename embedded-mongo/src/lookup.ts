import { cloneDoc, Doc, idKeyOf, isPlainObject } from './values';
import type { Slicer } from './yielding';

/** The foreign collection of a `$lookup`, as the reader (maybe a transaction) sees it. */
export interface LookupSource {
  /** Number of documents, to choose between per-value index lookups and one hash of everything. */
  readonly size: number;
  /** Whether an index answers equality on `field` (the _id map or a secondary index starting with it). */
  hasIndexOn(field: string): boolean;
  /** Documents whose `field` equals `value` (or holds it in an array), found through the index. */
  matching(field: string, value: unknown): Doc[];
  /** Every document (read lazily: outside a transaction the reading may pause, and then see later commits). */
  all(): Iterable<Doc>;
}

interface SimpleLookup {
  from: string;
  localField: string;
  foreignField: string;
  as: string;
}

/** `$lookup` with only from/localField/foreignField/as on top-level fields: the form answered here. */
export function simpleLookupOf(stage: Doc): SimpleLookup | undefined {
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
 * every aggregate. Long loops pause at the end of each slice (see yielding.ts).
 */
export async function runLookup(input: Doc[], spec: SimpleLookup, source: LookupSource, slicer: Slicer): Promise<Doc[]> {
  const { localField, foreignField, as } = spec;
  const localValues = input.map((doc) => doc[localField] ?? null);
  const distinct = new Map<string, unknown>();
  for (let i = 0; i < localValues.length; i++) {
    const v = localValues[i];
    for (const x of Array.isArray(v) ? v : [v]) distinct.set(idKeyOf(x), x);
    if ((i & 63) === 0 && slicer.due()) await slicer.pause();
  }
  const useIndex =
    source.hasIndexOn(foreignField) && distinct.size * 4 <= source.size && [...distinct.values()].every(isIndexable);
  const copies = new Map<Doc, Doc>();
  const copy = (doc: Doc) => {
    let c = copies.get(doc);
    if (!c) copies.set(doc, (c = cloneDoc(doc)));
    return c;
  };
  const byKey = new Map<string, Doc[]>();
  if (useIndex)
    for (const [key, v] of distinct) {
      byKey.set(key, source.matching(foreignField, v).map(copy));
      if (slicer.due()) await slicer.pause();
    }
  else
    for (const doc of source.all()) {
      const v = doc[foreignField] ?? null;
      for (const x of Array.isArray(v) ? v : [v]) {
        const key = idKeyOf(x);
        const list = byKey.get(key);
        if (list) list.push(copy(doc));
        else byKey.set(key, [copy(doc)]);
      }
      if (slicer.due()) await slicer.pause();
    }
  const out: Doc[] = new Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const doc = input[i];
    const v = localValues[i];
    let matches: Doc[];
    if (Array.isArray(v)) matches = [...new Set(v.flatMap((x) => byKey.get(idKeyOf(x)) ?? []))];
    else matches = byKey.get(idKeyOf(v)) ?? [];
    out[i] = { ...doc, [as]: matches };
    if ((i & 63) === 0 && slicer.due()) await slicer.pause();
  }
  return out;
}

