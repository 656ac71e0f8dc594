import { Query } from 'mingo';
import { CommandError } from './errors';
import { SortedEntries } from './sortedEntries';
import { compareValues, Doc, formatValue, idKeyOf, indexValuesAt, isPlainObject, pathExists } from './values';

export interface IndexSpec {
  v: number;
  key: Record<string, number>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

interface IndexEntry {
  key: unknown[];
  id: string;
}

export interface DocRecord {
  doc: Doc;
  /** Storage version of the commit that wrote this document (for snapshot reads and conflicts). */
  version: number;
}

/** State of a document before a commit, kept while transactions with older snapshots are open. */
export interface HistoryEntry {
  id: string;
  before: Doc | undefined;
  version: number;
}

export class Index {
  readonly fields: { path: string[]; name: string; direction: number }[];
  readonly entries: SortedEntries<IndexEntry>;
  private readonly partialFilter?: Query;

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.entries(spec.key).map(([name, direction]) => ({
      name,
      path: name.split('.'),
      direction: direction === -1 ? -1 : 1,
    }));
    if (spec.partialFilterExpression) this.partialFilter = new Query(spec.partialFilterExpression, {});
    this.entries = new SortedEntries<IndexEntry>((a, b) => this.compareKeys(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  compareKeys(a: unknown[], b: unknown[]): number {
    for (let i = 0; i < this.fields.length; i++) {
      const c = compareValues(a[i], b[i]);
      if (c) return c * this.fields[i].direction;
    }
    return 0;
  }

  /** Index keys of a document (several for array values), or none when sparse/partial exclude it. */
  keysOf(doc: Doc): unknown[][] {
    if (this.spec.sparse && !this.fields.some((f) => pathExists(doc, f.path))) return [];
    if (this.partialFilter && !this.partialFilter.test(doc)) return [];
    let keys: unknown[][] = [[]];
    for (const field of this.fields) {
      const values = dedupe(indexValuesAt(doc, field.path));
      keys = keys.flatMap((prefix) => values.map((v) => [...prefix, v]));
    }
    return keys;
  }

  /** Ids of other documents holding the same key in this (unique) index. */
  idsWithKey(key: unknown[]): string[] {
    const ids: string[] = [];
    for (const e of this.entries.from((e) => this.compareKeys(e.key, key) < 0)) {
      if (this.compareKeys(e.key, key) !== 0) break;
      ids.push(e.id);
    }
    return ids;
  }

  duplicateKeyError(ns: string, key: unknown[]): CommandError {
    const keyValue: Doc = {};
    this.fields.forEach((f, i) => (keyValue[f.name] = key[i] ?? null));
    const shown = this.fields.map((f, i) => `${f.name}: ${formatValue(key[i] ?? null)}`).join(', ');
    return new CommandError(11000, 'DuplicateKey', `E11000 duplicate key error collection: ${ns} index: ${this.spec.name} dup key: { ${shown} }`, {
      keyPattern: { ...this.spec.key },
      keyValue,
    });
  }
}

function dedupe(values: unknown[]): unknown[] {
  if (values.length < 2) return values;
  const out: unknown[] = [];
  for (const v of values) if (!out.some((o) => compareValues(o, v) === 0)) out.push(v);
  return out;
}

/** Bounds on one index field taken from a filter; undefined ends mean unbounded. */
interface FieldBounds {
  equals?: unknown[];
  low?: unknown;
  high?: unknown;
}

const INDEXABLE_EQUALITY = (v: unknown) =>
  !Array.isArray(v) && !isPlainObject(v) && !(v instanceof RegExp) && v !== undefined;

/** Bounds a filter puts on a top-level field, if usable for an index scan. */
function boundsFor(filter: Doc, field: string): FieldBounds | undefined {
  if (!(field in filter)) return undefined;
  const cond = filter[field];
  if (!isPlainObject(cond)) return INDEXABLE_EQUALITY(cond) && cond !== null ? { equals: [cond] } : undefined;
  const keys = Object.keys(cond);
  if (keys.length === 0 || !keys.every((k) => k.startsWith('$'))) return undefined;
  const bounds: FieldBounds = {};
  let usable = false;
  for (const [op, v] of Object.entries(cond)) {
    if (op === '$eq' && INDEXABLE_EQUALITY(v) && v !== null) {
      bounds.equals = [v];
      usable = true;
    } else if (op === '$in' && Array.isArray(v) && v.every((x) => INDEXABLE_EQUALITY(x) && x !== null)) {
      bounds.equals = v;
      usable = true;
    } else if ((op === '$gt' || op === '$gte') && INDEXABLE_EQUALITY(v) && v !== null) {
      bounds.low = v;
      usable = true;
    } else if ((op === '$lt' || op === '$lte') && INDEXABLE_EQUALITY(v) && v !== null) {
      bounds.high = v;
      usable = true;
    }
  }
  return usable ? bounds : undefined;
}

export class Collection {
  readonly docs = new Map<string, DocRecord>();
  readonly indexes: Index[] = [];
  history: HistoryEntry[] = [];

  constructor(
    readonly db: string,
    readonly name: string,
  ) {
    this.indexes.push(new Index({ v: 2, key: { _id: 1 }, name: '_id_' }));
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** The _id index is the document map itself; only secondary indexes keep sorted entries. */
  get secondaryIndexes(): Index[] {
    return this.indexes.slice(1);
  }

  addIndex(spec: IndexSpec): void {
    const index = new Index(spec);
    for (const [id, record] of this.docs) {
      for (const key of index.keysOf(record.doc)) {
        if (spec.unique && index.idsWithKey(key).some((other) => other !== id)) throw index.duplicateKeyError(this.ns, key);
        index.entries.insert({ key, id });
      }
    }
    this.indexes.push(index);
  }

  /** Throws E11000 if writing `doc` under `id` would break a unique index; ignores ids in `except`. */
  checkUnique(id: string, doc: Doc, except?: (otherId: string) => boolean): void {
    for (const index of this.secondaryIndexes) {
      if (!index.spec.unique) continue;
      for (const key of index.keysOf(doc)) {
        const clash = index.idsWithKey(key).find((other) => other !== id && !(except && except(other)));
        if (clash !== undefined) throw index.duplicateKeyError(this.ns, key);
      }
    }
  }

  /**
   * Replaces (doc) or deletes (null) the document with this id, keeping indexes in step.
   * Unique constraints are checked before anything changes, so a failed write changes nothing.
   */
  put(id: string, doc: Doc | null, version: number, keepHistory: boolean): void {
    const previous = this.docs.get(id);
    if (doc) this.checkUnique(id, doc);
    if (keepHistory) this.history.push({ id, before: previous?.doc, version });
    for (const index of this.secondaryIndexes) {
      if (previous) for (const key of index.keysOf(previous.doc)) index.entries.remove({ key, id });
      if (doc) for (const key of index.keysOf(doc)) index.entries.insert({ key, id });
    }
    if (doc) {
      if (previous) {
        previous.doc = doc;
        previous.version = version;
      } else this.docs.set(id, { doc, version });
    } else this.docs.delete(id);
  }

  /**
   * Ids of documents that may match `filter`, using the _id map or the best secondary index for
   * equality/range conditions on top-level fields. Returns undefined when a full scan is needed.
   * The caller still applies the full filter.
   */
  candidateIds(filter: Doc): string[] | undefined {
    const idBounds = boundsFor(filter, '_id');
    if (idBounds?.equals) return idBounds.equals.map(idKeyOf);
    let best: { index: Index; bounds: FieldBounds[]; score: number } | undefined;
    for (const index of this.secondaryIndexes) {
      if (index.spec.sparse || index.spec.partialFilterExpression) continue;
      const bounds: FieldBounds[] = [];
      for (const field of index.fields) {
        const b = boundsFor(filter, field.name);
        if (!b) break;
        bounds.push(b);
        if (!b.equals || b.equals.length !== 1) break;
      }
      if (bounds.length === 0) continue;
      const equalities = bounds.filter((b) => b.equals?.length === 1).length;
      const score = equalities * 4 + (bounds.length - equalities) * 2 + (index.spec.unique ? 1 : 0);
      if (!best || score > best.score) best = { index, bounds, score };
    }
    if (!best) return undefined;
    return scanIndex(best.index, best.bounds);
  }
}

function scanIndex(index: Index, bounds: FieldBounds[]): string[] {
  const last = bounds[bounds.length - 1];
  const prefix = bounds.slice(0, -1).map((b) => b.equals![0]);
  const seen = new Set<string>();
  const out: string[] = [];
  const collect = (lastLow: unknown, lastHigh: unknown) => {
    const depth = prefix.length;
    const dir = index.fields[depth].direction;
    const [start, end] = dir === 1 ? [lastLow, lastHigh] : [lastHigh, lastLow];
    const comparePrefix = (key: unknown[]) => {
      for (let i = 0; i < depth; i++) {
        const c = compareValues(key[i], prefix[i]) * index.fields[i].direction;
        if (c) return c;
      }
      return 0;
    };
    const isBefore = (e: { key: unknown[] }) => {
      const c = comparePrefix(e.key);
      if (c) return c < 0;
      return start !== undefined && compareValues(e.key[depth], start) * dir < 0;
    };
    for (const e of index.entries.from(isBefore)) {
      const c = comparePrefix(e.key);
      if (c > 0) break;
      if (end !== undefined && compareValues(e.key[depth], end) * dir > 0) break;
      if (!seen.has(e.id)) {
        seen.add(e.id);
        out.push(e.id);
      }
    }
  };
  if (last.equals) for (const v of last.equals) collect(v, v);
  else collect(last.low, last.high);
  return out;
}
