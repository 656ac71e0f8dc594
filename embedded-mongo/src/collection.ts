import { Decimal128, MaxKey, MinKey, ObjectId } from 'bson';
import { Query } from 'mingo';
import { CommandError } from './errors';
import { SortedEntries } from './sortedEntries';
import { compareValues, decodeStored, Doc, encodeStored, formatValue, idKeyOf, indexValuesAt, isPlainObject, pathExists, typeRank } from './values';

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

/**
 * One index entry: the key values followed by the document id, in one flat array. An object holding a
 * key array and an id took two allocations (about 110 bytes for a three-field key); this is one.
 */
export type IndexEntry = unknown[];

export const entryId = (entry: IndexEntry): string => entry[entry.length - 1] as string;

/** Documents decoded lately, kept parsed so that a document read again soon (read, then updated) is decoded once. */
const DECODED_CACHE_SIZE = 4096;
const decodedRing: (DocRecord | undefined)[] = new Array(DECODED_CACHE_SIZE);
let decodedNext = 0;

/**
 * A stored document: its BSON bytes (see encodeStored) and the version that wrote it. A write stores a new
 * record and never changes one (snapshots list records by reference), and every read decodes a fresh copy
 * unless the document is among the few thousand decoded lately; callers never modify what they read.
 */
export class DocRecord {
  private decoded?: Doc;

  constructor(
    readonly bson: string,
    /** Storage version of the commit that wrote this document (for snapshot reads and conflicts). */
    readonly version: number,
  ) {}

  static of(doc: Doc, version: number): DocRecord {
    return new DocRecord(encodeStored(doc), version);
  }

  /** The document, decoded (or from the cache of lately decoded documents). */
  get doc(): Doc {
    if (this.decoded) return this.decoded;
    const doc = decodeStored(this.bson);
    const evicted = decodedRing[decodedNext];
    if (evicted) evicted.decoded = undefined;
    decodedRing[decodedNext] = this;
    decodedNext = (decodedNext + 1) % DECODED_CACHE_SIZE;
    this.decoded = doc;
    return doc;
  }

  /** The document decoded without entering the cache (a scan would only push the hot documents out). */
  decode(): Doc {
    return this.decoded ?? decodeStored(this.bson);
  }
}

/** State of a document before a commit, kept while transactions with older snapshots are open. */
export interface HistoryEntry {
  id: string;
  /** The record the commit replaced (none: the commit inserted the document). */
  before: DocRecord | undefined;
  version: number;
}

export class Index {
  readonly fields: { path: string[]; name: string; direction: number }[];
  readonly entries: SortedEntries<IndexEntry>;
  private readonly partialFilter?: Query;
  /** Some document had several keys (an array value): walks must dedupe and cannot stand in for a sort. */
  multikey = false;

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.entries(spec.key).map(([name, direction]) => ({
      name,
      path: name.split('.'),
      direction: direction === -1 ? -1 : 1,
    }));
    if (spec.partialFilterExpression) this.partialFilter = new Query(spec.partialFilterExpression, {});
    const n = this.fields.length;
    this.entries = new SortedEntries<IndexEntry>((a, b) => {
      const c = this.compareKeys(a, b);
      if (c) return c;
      const x = a[n] as string;
      const y = b[n] as string;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }

  /** Compares the key parts (the first `fields.length` elements) of two keys or entries. */
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
      if (values.length === 1) for (const key of keys) key.push(values[0]);
      else keys = keys.flatMap((prefix) => values.map((v) => [...prefix, v]));
    }
    return keys;
  }

  /**
   * Entries (keys with the id appended) a document contributes, each an array of exactly its length: an array
   * grown by push keeps room for 17 elements (184 bytes for a two-field key; 72 as a copy), and indexes hold
   * several entries per document.
   */
  entriesOf(id: string, doc: Doc): IndexEntry[] {
    const keys = this.keysOf(doc);
    if (keys.length > 1) this.multikey = true;
    return keys.map((key) => {
      key.push(id);
      return key.slice();
    });
  }

  /** Ids of other documents holding the same key in this (unique) index. */
  idsWithKey(key: unknown[]): string[] {
    const ids: string[] = [];
    for (const e of this.entries.from((e) => this.compareKeys(e, key) < 0)) {
      if (this.compareKeys(e, key) !== 0) break;
      ids.push(entryId(e));
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
export interface FieldBounds {
  equals?: unknown[];
  low?: unknown;
  high?: unknown;
  /** `$gt` / `$lt`: the walk starts after `low` and stops before `high` instead of reading the entries at them. */
  lowExclusive?: boolean;
  highExclusive?: boolean;
}

const INDEXABLE_EQUALITY = (v: unknown) =>
  !Array.isArray(v) && !isPlainObject(v) && !(v instanceof RegExp) && v !== undefined && !(v instanceof MinKey) && !(v instanceof MaxKey);

/**
 * Bounds a filter puts on a field, if usable for an index scan. Null is allowed only where the key of a
 * missing field is null too (top-level fields of non-sparse indexes); the filter still runs on every
 * candidate, so bounds may be wider than the condition but never narrower.
 */
function boundsFor(filter: Doc, field: string, allowNull: boolean): FieldBounds | undefined {
  if (!(field in filter)) return undefined;
  const cond = filter[field];
  const equality = (v: unknown) => INDEXABLE_EQUALITY(v) && (v !== null || allowNull);
  if (!isPlainObject(cond)) return equality(cond) ? { equals: [cond] } : undefined;
  const keys = Object.keys(cond);
  if (keys.length === 0 || !keys.every((k) => k.startsWith('$'))) return undefined;
  const bounds: FieldBounds = {};
  let usable = false;
  for (const [op, v] of Object.entries(cond)) {
    if (op === '$eq' && equality(v)) {
      bounds.equals = [v];
      usable = true;
    } else if (op === '$in' && Array.isArray(v) && v.every(equality)) {
      bounds.equals = v;
      usable = true;
    } else if ((op === '$gt' || op === '$gte') && INDEXABLE_EQUALITY(v) && v !== null) {
      bounds.low = v;
      bounds.lowExclusive = op === '$gt';
      usable = true;
    } else if ((op === '$lt' || op === '$lte') && INDEXABLE_EQUALITY(v) && v !== null) {
      bounds.high = v;
      bounds.highExclusive = op === '$lt';
      usable = true;
    }
  }
  return usable ? bounds : undefined;
}

/** A sort as [field, direction] pairs; only plain ascending/descending sorts can be served by an index. */
export type SortSpec = [string, 1 | -1][];

export function sortSpecOf(sort: Doc | undefined): SortSpec | undefined {
  if (!sort) return undefined;
  const spec: SortSpec = [];
  for (const [field, dir] of Object.entries(sort)) {
    if (dir !== 1 && dir !== -1) return undefined;
    spec.push([field, dir]);
  }
  return spec.length ? spec : undefined;
}

/** How a query reads a collection: which ids to look at, and whether they come in the sort's order. */
export interface ScanPlan {
  /** Ids to fetch and test against the filter; each at most once. */
  ids: Iterable<string>;
  /** The ids come in the order the sort asks for (an index walk), so no sort step is needed. */
  ordered: boolean;
  /** Every document is a candidate (no index narrows the filter). */
  fullScan: boolean;
  /** For lookups of listed _ids: exactly those ids (a transaction only needs its own writes to them). */
  pointIds?: string[];
}

interface IndexChoice {
  index: Index;
  /** Single equality values on the leading fields. */
  prefix: unknown[];
  /** Condition on the field after the prefix, if any. */
  next?: FieldBounds;
  score: number;
}

export class Collection {
  readonly docs = new Map<string, DocRecord>();
  readonly indexes: Index[] = [];
  /**
   * Pre-images of commits made while transactions were open, in commit (version) order, so the
   * part newer than a snapshot is a suffix. `historyVersion` is each id's latest entry.
   */
  private history: HistoryEntry[] = [];
  private readonly historyVersion = new Map<string, number>();
  /** Whether the _id index keeps sorted entries (built on the first query that needs _id order). */
  private idOrderBuilt = false;
  /** Documents fetched and tested by queries, for tests that prove a plan stays within its range. */
  docsExamined = 0;
  /**
   * Set while recovery loads the collection: `put` then only keeps the document map (no index upkeep, no unique
   * checks: the data was valid when written) and `rebuildIndexes` builds the indexes at the end.
   */
  indexesDeferred = false;

  constructor(
    readonly db: string,
    readonly name: string,
  ) {
    this.indexes.push(new Index({ v: 2, key: { _id: 1 }, name: '_id_' }));
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** The _id index is the document map itself; only secondary indexes always keep sorted entries. */
  get secondaryIndexes(): Index[] {
    return this.indexes.slice(1);
  }

  addIndex(spec: IndexSpec): void {
    const index = new Index(spec);
    if (!this.indexesDeferred) this.buildIndex(index);
    this.indexes.push(index);
  }

  /** Fills an index from the documents with one sort (not one insert per document), checking uniqueness. */
  private buildIndex(index: Index): void {
    const entries: IndexEntry[] = [];
    for (const [id, record] of this.docs) for (const entry of index.entriesOf(id, record.decode())) entries.push(entry);
    this.loadIndex(index, entries);
  }

  private loadIndex(index: Index, entries: IndexEntry[]): void {
    index.entries.load(entries);
    shareRepeatedKeys(index.fields.length, entries);
    if (index.spec.unique) {
      let previous: IndexEntry | undefined;
      for (const entry of index.entries.from(() => false)) {
        if (previous && index.compareKeys(previous, entry) === 0 && entryId(previous) !== entryId(entry)) throw index.duplicateKeyError(this.ns, entry);
        previous = entry;
      }
    }
  }

  /**
   * Ends a bulk load (recovery): every secondary index is built once from the documents, sorted in one go,
   * instead of being kept in step document by document (a sorted insert and a unique lookup per index per
   * document made a restart at 2.3 M documents take minutes).
   */
  rebuildIndexes(): void {
    this.indexesDeferred = false;
    const indexes = this.secondaryIndexes;
    const entries = indexes.map((): IndexEntry[] => []);
    for (const index of indexes) index.multikey = false;
    // each document decoded once for all the indexes
    if (indexes.length)
      for (const [id, record] of this.docs) {
        const doc = record.decode();
        for (let i = 0; i < indexes.length; i++) for (const entry of indexes[i].entriesOf(id, doc)) entries[i].push(entry);
      }
    indexes.forEach((index, i) => this.loadIndex(index, entries[i]));
    this.idOrderBuilt = false;
    this.indexes[0].entries.load([]);
  }

  /**
   * Ends a bulk load (recovery) whose snapshot held every secondary index's entries in index order (see
   * indexSections.ts): they are taken as they are, with no sort and no document decoded for its keys. Returns
   * false, changing nothing, when some index has no complete section (an older snapshot): it is then built.
   */
  loadSortedIndexes(sections: ReadonlyMap<string, { entries: IndexEntry[]; multikey: boolean }>): boolean {
    const indexes = this.secondaryIndexes;
    if (!indexes.every((index) => sections.has(index.spec.name))) return false;
    for (const index of indexes) {
      const section = sections.get(index.spec.name)!;
      index.entries.loadSorted(section.entries);
      index.multikey = section.multikey;
    }
    this.indexesDeferred = false;
    this.idOrderBuilt = false;
    this.indexes[0].entries.load([]);
    return true;
  }

  /**
   * Each secondary index's entries in order as they are now, for a snapshot: later writes copy a leaf before
   * changing it, so these stay as they were at the cut while the snapshot is written. None while the indexes are
   * deferred (a bulk load has not built them yet).
   */
  frozenIndexes(): { spec: IndexSpec; leaves: readonly (readonly IndexEntry[])[]; multikey: boolean }[] | undefined {
    if (this.indexesDeferred) return undefined;
    return this.secondaryIndexes.map((index) => ({ spec: index.spec, leaves: index.entries.frozenLeaves(), multikey: index.multikey }));
  }

  /** Whether equality on `field` is answered by an index (the _id map, or a usable index led by it). */
  hasEqualityIndexOn(field: string): boolean {
    return field === '_id' || this.secondaryIndexes.some((i) => !i.spec.sparse && !i.spec.partialFilterExpression && i.fields[0].name === field);
  }

  /** Sorted _id entries, built once from the document map and kept up to date by `put` from then on. */
  private idOrder(): Index {
    const idIndex = this.indexes[0];
    if (!this.idOrderBuilt) {
      idIndex.entries.load(Array.from(this.docs, ([id, record]) => [record.decode()._id, id]));
      this.idOrderBuilt = true;
    }
    return idIndex;
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
    if (this.indexesDeferred) {
      if (doc) this.docs.set(id, DocRecord.of(doc, version));
      else this.docs.delete(id);
      return;
    }
    if (doc) this.checkUnique(id, doc);
    // encoded first: a document BSON cannot hold fails the write before anything changes
    const record = doc ? DocRecord.of(doc, version) : undefined;
    if (keepHistory) {
      this.history.push({ id, before: previous, version });
      this.historyVersion.set(id, version);
    }
    const previousDoc = previous && (this.secondaryIndexes.length || this.idOrderBuilt) ? previous.doc : undefined;
    for (const index of this.secondaryIndexes) {
      if (previousDoc) for (const entry of index.entriesOf(id, previousDoc)) index.entries.remove(entry);
      if (doc) for (const entry of index.entriesOf(id, doc)) index.entries.insert(entry);
    }
    if (this.idOrderBuilt && !previous !== !doc) {
      const entry = [(doc ?? previousDoc!)._id, id];
      if (doc) this.indexes[0].entries.insert(entry);
      else this.indexes[0].entries.remove(entry);
    }
    if (record) this.docs.set(id, record);
    else this.docs.delete(id);
  }

  /** Adds a recovered document while the indexes are deferred (recovery builds them at the end). */
  load(id: string, record: DocRecord): void {
    if (!this.indexesDeferred) throw new Error('Collection.load is for recovery, while indexes are deferred');
    this.docs.set(id, record);
  }

  /** Puts back a record taken out by a commit that failed half-way (its indexes are restored by `put`). */
  restore(id: string, record: DocRecord | undefined): void {
    this.put(id, record ? record.doc : null, record?.version ?? 0, false);
  }

  /** Takes back the latest history entry (a commit that failed half-way is being undone). */
  popHistory(): void {
    const entry = this.history.pop();
    if (!entry) return;
    let earlier: HistoryEntry | undefined;
    for (let i = this.history.length - 1; i >= 0 && !earlier; i--) if (this.history[i].id === entry.id) earlier = this.history[i];
    if (earlier) this.historyVersion.set(entry.id, earlier.version);
    else this.historyVersion.delete(entry.id);
  }

  /** Drops pre-images no snapshot at or after `oldestSnapshot` can read (all of them when none is open). */
  trimHistory(oldestSnapshot: number): void {
    let cut = 0;
    while (cut < this.history.length && this.history[cut].version <= oldestSnapshot) {
      const { id, version } = this.history[cut];
      if (this.historyVersion.get(id) === version) this.historyVersion.delete(id);
      cut++;
    }
    if (cut) this.history = this.history.slice(cut);
  }

  get historyLength(): number {
    return this.history.length;
  }

  /** Pre-images of commits after `version`, oldest first (a binary search finds where they start). */
  historySince(version: number): HistoryEntry[] {
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].version <= version) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.history.length ? [] : this.history.slice(lo);
  }

  /** Whether the document was committed (written or deleted) after `version`. */
  changedSince(id: string, version: number): boolean {
    const record = this.docs.get(id);
    if (record && record.version > version) return true;
    return (this.historyVersion.get(id) ?? 0) > version;
  }

  /**
   * Chooses how to read the documents that may match `filter`, in `sort` order when an index can give it:
   * listed _ids are point lookups; equality, `$in` and ranges on an index prefix walk only that part of
   * the index (`$in` as one short walk per value); a sort on the fields after an equality prefix walks
   * the index in sort order, so a query with a limit stops after `limit` matches. The caller still applies
   * the full filter to every candidate.
   */
  plan(filter: Doc, sort?: SortSpec): ScanPlan {
    const idBounds = boundsFor(filter, '_id', true);
    if (idBounds?.equals) {
      const ids = [...new Set(idBounds.equals.map(idKeyOf))];
      return { ids, ordered: ids.length < 2 && !!sort, fullScan: false, pointIds: ids };
    }
    let best: IndexChoice | undefined;
    for (const index of this.secondaryIndexes) {
      const choice = this.boundsOnIndex(index, filter);
      if (choice && (!best || choice.score > best.score)) best = choice;
    }
    if (sort) {
      const ordered = this.orderedWalk(filter, sort, best?.score ?? -1);
      if (ordered) return ordered;
    }
    if (!best) return { ids: this.allIds(), ordered: false, fullScan: true };
    const { index, prefix, next } = best;
    if (next?.equals && next.equals.length > 1) {
      // `$in`: one point walk per distinct value, deduped
      const values = distinctScalars(next.equals);
      return { ids: dedupeIds(values.flatMap((v) => [...walkIndex(index, prefix, { low: v, high: v }, false)])), ordered: false, fullScan: false };
    }
    const bounds = next?.equals ? { low: next.equals[0], high: next.equals[0] } : next;
    const ids = walkIndex(index, prefix, bounds, false);
    return { ids: index.multikey ? dedupeIds(ids) : ids, ordered: false, fullScan: false };
  }

  /** An index walk in `sort` order whatever its narrowing (for the caller's bounded trial), if an index gives it. */
  orderedPlan(filter: Doc, sort: SortSpec): ScanPlan | undefined {
    return this.orderedWalk(filter, sort, -1);
  }

  private *allIds(): Generator<string> {
    for (const id of this.docs.keys()) yield id;
  }

  /** Usable bounds of `filter` on an index: single equalities on leading fields, then one more condition. */
  private boundsOnIndex(index: Index, filter: Doc): IndexChoice | undefined {
    if (index.spec.sparse && !impliesSomeFieldExists(filter, index)) return undefined;
    if (index.spec.partialFilterExpression && !impliesPartialFilter(filter, index.spec.partialFilterExpression)) return undefined;
    const prefix: unknown[] = [];
    let next: FieldBounds | undefined;
    for (const field of index.fields) {
      const b = boundsFor(filter, field.name, field.path.length === 1);
      if (!b) break;
      if (b.equals?.length === 1) prefix.push(b.equals[0]);
      else {
        next = b;
        break;
      }
    }
    if (prefix.length === 0 && !next) return undefined;
    const score = prefix.length * 4 + (next ? 2 : 0) + (index.spec.unique ? 1 : 0);
    return { index, prefix, next, score };
  }

  /**
   * An index walk that yields ids in `sort` order: the sort's fields must be the index fields right
   * after an equality prefix, all in the index's direction or all reversed. Chosen when it narrows the
   * filter at least as well as the best unordered plan (`toBeat`).
   */
  private orderedWalk(filter: Doc, sort: SortSpec, toBeat: number): ScanPlan | undefined {
    let best: { choice: IndexChoice; backwards: boolean } | undefined;
    const candidates = [...this.secondaryIndexes, this.indexes[0]];
    for (const index of candidates) {
      if (index.multikey || index.spec.partialFilterExpression) continue;
      // a sparse index lacks the documents without its fields: only a filter that excludes those may walk it
      const bounded = index === this.indexes[0] ? this.idChoice(filter) : this.boundsOnIndex(index, filter);
      if (!bounded && index.spec.sparse) continue;
      const choice = bounded ?? { index, prefix: [], score: 0 };
      const k = choice.prefix.length;
      if (choice.next?.equals && choice.next.equals.length > 1) {
        // a multi-value `$in` right after the prefix breaks the order unless the sort starts after it
        choice.next = undefined;
        choice.score = k * 4;
      }
      if (k + sort.length > index.fields.length) continue;
      let direction = 0;
      const fits = sort.every(([name, dir], i) => {
        const field = index.fields[k + i];
        const d = dir * field.direction;
        if (field.name !== name || (direction && d !== direction)) return false;
        direction = d;
        return true;
      });
      // a bounded walk on the sort field (the pager's `_id > last` page) is preferred even over an
      // equality on another index: with a limit it stops early, while the other plan reads every match
      const boundedOnSort = choice.next !== undefined && index.fields[k].name === sort[0][0];
      if (!fits || (choice.score < toBeat && !boundedOnSort)) continue;
      if (!best || choice.score > best.choice.score) best = { choice, backwards: direction === -1 };
    }
    if (!best) return undefined;
    const { choice, backwards } = best;
    const index = choice.index === this.indexes[0] ? this.idOrder() : choice.index;
    return { ids: walkIndex(index, choice.prefix, choice.next, backwards), ordered: true, fullScan: false };
  }

  private idChoice(filter: Doc): IndexChoice {
    const next = boundsFor(filter, '_id', false);
    return { index: this.indexes[0], prefix: [], next, score: next ? 2 : 0 };
  }
}

/**
 * In sorted entries, a key value equal to the previous entry's at the same position (a member's id in each of
 * their ledger entries, a store, a status) is replaced by that same object, so one ObjectId, Date or string is
 * held instead of one per entry (an ObjectId is ~57 bytes, a Date ~110). Only values of one type are shared
 * (compareValues equates 1 and 1.0 or Long(1)).
 */
function shareRepeatedKeys(fields: number, sorted: IndexEntry[]): void {
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const entry = sorted[i];
    for (let f = 0; f < fields; f++) {
      const a = previous[f];
      const b = entry[f];
      if (a !== b && typeof a === 'object' && a !== null && b !== null && Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && (a instanceof ObjectId || a instanceof Date) && compareValues(a, b) === 0)
        entry[f] = a;
      else if (typeof a === 'string' && a === b) entry[f] = a;
    }
  }
}

/** Drops repeated values from an `$in` list by hash (a repeat left in only costs one more short walk). */
function distinctScalars(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    if (v instanceof Decimal128) return true; // idKeyOf rounds it through a double
    const key = idKeyOf(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Whether every document matching `filter` is in a sparse index, as MongoDB decides: some indexed field
 * must be pinned to non-null values (equality, `$in` without null, a range), so documents lacking all
 * the index's fields (which a sparse index leaves out) cannot match.
 */
function impliesSomeFieldExists(filter: Doc, index: Index): boolean {
  return index.fields.some((field) => {
    const bounds = boundsFor(filter, field.name, true);
    if (!bounds) return false;
    if (bounds.equals) return bounds.equals.every((v) => v !== null);
    return true; // ranges never match null or missing
  });
}

/**
 * Whether every document matching `filter` is in a partial index, for the partial filters the product
 * uses (`{field: {$type: 'string'}}`, `{field: {$exists: true}}`, `{field: value}`): the filter must pin
 * that field to values that satisfy it. Otherwise the index may lack matches and is not used.
 */
function impliesPartialFilter(filter: Doc, partial: Doc): boolean {
  return Object.entries(partial).every(([field, cond]) => {
    const bounds = boundsFor(filter, field, false);
    const values = bounds?.equals;
    if (!values) return false;
    if (!isPlainObject(cond)) return values.every((v) => compareValues(v, cond) === 0);
    const ops = Object.entries(cond);
    return ops.length === 1 && values.every((v) => {
      const [op, arg] = ops[0];
      if (op === '$exists') return arg === true || arg === 1;
      if (op === '$type') return (arg === 'string' && typeof v === 'string') || (arg === 'number' && typeof v === 'number') || (arg === 'date' && v instanceof Date);
      return false;
    });
  });
}

function dedupeIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}

/**
 * Ids of the index entries whose leading fields equal `prefix` and whose next field lies within
 * `bounds` (inclusive; a one-sided range stays within the bound's type, as MongoDB's comparisons do),
 * in index order or reversed. Lazy, so a cursor only walks as far as it is read.
 */
export function* walkIndex(index: Index, prefix: unknown[], bounds: FieldBounds | undefined, backwards: boolean): Generator<string> {
  const depth = prefix.length;
  const comparePrefix = (entry: IndexEntry) => {
    for (let i = 0; i < depth; i++) {
      const c = compareValues(entry[i], prefix[i]) * index.fields[i].direction;
      if (c) return c;
    }
    return 0;
  };
  const hasRange = depth < index.fields.length && bounds !== undefined && (bounds.low !== undefined || bounds.high !== undefined);
  const low = bounds?.low;
  const high = bounds?.high;
  // an exclusive bound ($gt, $lt) leaves the entries equal to it out of the walk (a pager resuming after the last
  // value it saw does not read that value's entries again)
  const lowExclusive = !!bounds?.lowExclusive;
  const highExclusive = !!bounds?.highExclusive;
  const belowLow = (v: unknown) => {
    const c = compareValues(v, low);
    return c < 0 || (c === 0 && lowExclusive);
  };
  const aboveHigh = (v: unknown) => {
    const c = compareValues(v, high);
    return c > 0 || (c === 0 && highExclusive);
  };
  const belowRange = (v: unknown) => (low !== undefined ? belowLow(v) : typeRank(v) < typeRank(high));
  const aboveRange = (v: unknown) => (high !== undefined ? aboveHigh(v) : typeRank(v) > typeRank(low));
  const direction = depth < index.fields.length ? index.fields[depth].direction : 1;
  // "before" and "after" in index order, which is descending for a descending field
  const beforeRange = (v: unknown) => (direction === 1 ? belowRange(v) : aboveRange(v));
  const afterRange = (v: unknown) => (direction === 1 ? aboveRange(v) : belowRange(v));
  if (!backwards) {
    const isBefore = (e: IndexEntry) => {
      const c = comparePrefix(e);
      return c ? c < 0 : hasRange && beforeRange(e[depth]);
    };
    for (const e of index.entries.from(isBefore)) {
      if (comparePrefix(e) > 0 || (hasRange && afterRange(e[depth]))) return;
      yield entryId(e);
    }
  } else {
    const isAtOrBefore = (e: IndexEntry) => {
      const c = comparePrefix(e);
      return c ? c < 0 : !hasRange || !afterRange(e[depth]);
    };
    for (const e of index.entries.backwardsFrom(isAtOrBefore)) {
      if (comparePrefix(e) < 0 || (hasRange && beforeRange(e[depth]))) return;
      yield entryId(e);
    }
  }
}
