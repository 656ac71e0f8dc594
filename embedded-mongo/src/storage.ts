import { ObjectId } from 'bson';
import { Collection, DocRecord, IndexSpec, SortSpec } from './collection';
import { CommandError, invalidNamespace, writeConflict } from './errors';
import { mingoQuery } from './mingoOptions';
import { compareValues, Doc, idKeyOf, isPlainObject, typeRank } from './values';

/** One document change inside a commit: a new image, or null for a delete. */
export interface WriteOp {
  db: string;
  coll: string;
  id: string;
  doc: Doc | null;
  /** The _id value, kept so the journal can name deleted documents. */
  idValue: unknown;
}

/** Receives every committed change, in commit order (the journal). */
export interface ChangeSink {
  writes(ops: WriteOp[]): void;
  createCollection(db: string, coll: string): void;
  createIndex(db: string, coll: string, spec: IndexSpec): void;
  dropIndex(db: string, coll: string, name: string): void;
  dropCollection(db: string, coll: string): void;
  dropDatabase(db: string): void;
  /** Sequence number of the latest change recorded. */
  mark(): number;
  /**
   * A retryable write's outcome: joins the statement's own latest write record (changes recorded after `since`)
   * so the write and its record reach the disk together, or is recorded alone.
   */
  retryableWrite(record: Doc, since: number): void;
}

export type TxnState = 'active' | 'committed' | 'aborted';

/** Steps an ordered walk races the unordered plan for (mongod's plan trial allows 10,000 works). */
const ORDERED_TRIAL_BUDGET = 10_000;

export class Transaction {
  state: TxnState = 'active';
  /** Buffered writes per namespace: id → new image or null (deleted). */
  readonly writes = new Map<string, Map<string, { doc: Doc | null; idValue: unknown }>>();
  /**
   * Unique-index keys of the documents this transaction wrote: `ns\0index` → key hash → id. Checking a
   * new write against them is a lookup; comparing it with every earlier write of the transaction made a
   * 1000-document insertMany quadratic.
   */
  readonly uniqueKeys = new Map<string, Map<string, string>>();
  /** Collections (with their indexes) this transaction created: `ns` → collection, registered at commit. */
  readonly created = new Map<string, Collection>();
  readonly startedAt = Date.now();

  constructor(
    readonly txnNumber: number,
    readonly snapshotVersion: number,
  ) {}
}

const isSimpleScalar = (v: unknown) =>
  v !== null && v !== undefined && !isPlainObject(v) && !Array.isArray(v) && !(v instanceof RegExp);

/** Values whose idKeyOf is an exact equality key (MongoDB equality, numbers compared across types). */
const isHashable = (v: unknown) =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof ObjectId || v instanceof Date;

/**
 * A test for `{field: {$in: list}}` on a top-level field. The list is hashed once, so each document
 * costs one lookup instead of a comparison with every element (mingo's way: 20 ms per query for
 * 200 ObjectIds over 200 candidates). MongoDB semantics: null matches null and missing, a regex
 * matches strings, an array value matches when it equals a listed array or any of its elements matches.
 */
function inListTest(field: string, list: unknown[]): (doc: Doc) => boolean {
  const hashed = new Set<string>();
  const regexes: RegExp[] = [];
  /** Elements without an exact hash (arrays, documents, Decimal128, binary…), compared one by one. */
  const unhashed: unknown[] = [];
  const comparable: unknown[] = [];
  let matchesNull = false;
  for (const x of list) {
    if (x === null) matchesNull = true;
    else if (x instanceof RegExp) regexes.push(x);
    else {
      comparable.push(x);
      if (isHashable(x)) hashed.add(idKeyOf(x));
      else unhashed.push(x);
    }
  }
  const equalsAny = (v: unknown, candidates: unknown[]) => candidates.some((x) => compareValues(x, v) === 0);
  const matchesValue = (v: unknown): boolean => {
    if (v === null || v === undefined) return matchesNull;
    if (isHashable(v)) {
      if (hashed.has(idKeyOf(v)) || (unhashed.length > 0 && equalsAny(v, unhashed))) return true;
      return typeof v === 'string' && regexes.some((r) => ((r.lastIndex = 0), r.test(v)));
    }
    if (v instanceof RegExp) return regexes.some((r) => String(r) === String(v));
    return equalsAny(v, comparable);
  };
  return (doc) => {
    const v = doc[field];
    if (Array.isArray(v)) return v.some(matchesValue) || (unhashed.length > 0 && equalsAny(v, unhashed));
    return matchesValue(v);
  };
}

/**
 * A predicate for a filter. Top-level equality on scalars (lookups by _id or by an indexed key) and
 * top-level `$in` are matched directly, because building a mingo Query per lookup costs more than the
 * lookup itself and mingo tests `$in` against the whole list; the rest of the filter goes through mingo.
 */
export function compileFilter(filter: Doc): { test(doc: Doc): boolean } {
  const direct: ((doc: Doc) => boolean)[] = [];
  const rest: Doc = {};
  const equals = (a: unknown, b: unknown) => a !== undefined && compareValues(a, b) === 0;
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$') || k.includes('.')) rest[k] = v;
    else if (isSimpleScalar(v))
      direct.push((doc) => {
        const actual = doc[k];
        return equals(actual, v) || (Array.isArray(actual) && actual.some((el) => equals(el, v)));
      });
    else if (isPlainObject(v) && Array.isArray(v.$in) && Object.keys(v).every((op) => op.startsWith('$'))) {
      const { $in, ...others } = v;
      direct.push(inListTest(k, $in as unknown[]));
      if (Object.keys(others).length) rest[k] = others;
    } else if (isRangeOnOrderedType(v)) direct.push(rangeTest(k, v));
    else rest[k] = v;
  }
  const residual = Object.keys(rest).length ? mingoQuery(rest) : undefined;
  if (!residual) return { test: (doc) => direct.every((t) => t(doc)) };
  if (direct.length === 0) return residual;
  return { test: (doc) => direct.every((t) => t(doc)) && residual.test(doc) };
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);
/** BSON types whose comparisons need no special cases (NaN, numeric widths, null): string, ObjectId, date. */
const PLAIN_ORDER_RANKS = new Set([4, 8, 10]);

/** `{$gt|$gte|$lt|$lte: bound, ...}` with string, ObjectId or date bounds only (a cursor's `_id` range, a date window). */
function isRangeOnOrderedType(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const ops = Object.keys(v);
  return ops.length > 0 && ops.every((op) => RANGE_OPS.has(op) && PLAIN_ORDER_RANKS.has(typeRank(v[op])));
}

/**
 * A range test without mingo, with MongoDB's semantics: a value matches an operator only within the bound's
 * type (so null and missing never match), and on an array each operator may be met by a different element.
 */
function rangeTest(field: string, range: Record<string, unknown>): (doc: Doc) => boolean {
  const ops = Object.entries(range).map(([op, bound]) => {
    const rank = typeRank(bound);
    const holds = op === '$gt' ? (c: number) => c > 0 : op === '$gte' ? (c: number) => c >= 0 : op === '$lt' ? (c: number) => c < 0 : (c: number) => c <= 0;
    return (x: unknown) => typeRank(x) === rank && holds(compareValues(x, bound));
  });
  return (doc) => {
    const actual = doc[field];
    if (Array.isArray(actual)) return ops.every((meets) => actual.some(meets));
    return ops.every((meets) => meets(actual));
  };
}

/** One document a reader sees: its id key and its current (or snapshot) image. */
export interface Match {
  id: string;
  doc: Doc;
}

/** Matching documents, lazily, and whether they already come in the requested sort order. */
export interface Scan {
  docs: Iterable<Match>;
  ordered: boolean;
}

const keyHash = (key: unknown[]) => key.map(idKeyOf).join('\0');

/** All databases and collections plus the bookkeeping for transactions. */
export class Storage {
  readonly databases = new Map<string, Map<string, Collection>>();
  /** Incremented by every commit; documents remember the version that wrote them. */
  version = 0;
  /** Incremented by every collection/index creation or drop; with `version`, counts every change (the cluster clock ticks on it). */
  private schemaVersion = 0;
  sink?: ChangeSink;
  /** Recovery in progress: collections defer their indexes until `finishBulkLoad` (see Collection.rebuildIndexes). */
  private bulkLoading = false;
  readonly activeTxns = new Set<Transaction>();
  /** Documents written by an open transaction: `ns\0id` → owner. Other writers must wait or conflict. */
  private readonly locks = new Map<string, Transaction>();
  private unlockWaiters: (() => void)[] = [];

  /** Changes so far (documents and schema): a new count means a new cluster time. */
  get changes(): number {
    return this.version + this.schemaVersion;
  }

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  ensureCollection(db: string, name: string): Collection {
    const existing = this.collection(db, name);
    if (existing) return existing;
    checkNamespace(db, name);
    let colls = this.databases.get(db);
    if (!colls) this.databases.set(db, (colls = new Map()));
    const coll = new Collection(db, name);
    coll.indexesDeferred = this.bulkLoading;
    colls.set(name, coll);
    this.schemaVersion++;
    this.sink?.createCollection(db, name);
    return coll;
  }

  /** Starts a bulk load (recovery): documents go into the collections' maps, indexes are built at the end. */
  startBulkLoad(): void {
    this.bulkLoading = true;
    for (const colls of this.databases.values()) for (const coll of colls.values()) coll.indexesDeferred = true;
  }

  /** Builds every collection's indexes once, after a bulk load. */
  finishBulkLoad(): void {
    this.bulkLoading = false;
    for (const colls of this.databases.values()) for (const coll of colls.values()) if (coll.indexesDeferred) coll.rebuildIndexes();
  }

  /**
   * The collection a transaction writes to: the committed one, or one the transaction creates, which nobody
   * else sees until the commit registers it (as on mongod, where a collection created in a transaction
   * appears at commit and is gone with an abort).
   */
  txnCollection(txn: Transaction, db: string, name: string): Collection {
    const existing = this.collection(db, name) ?? txn.created.get(`${db}.${name}`);
    if (existing) return existing;
    checkNamespace(db, name);
    const coll = new Collection(db, name);
    txn.created.set(coll.ns, coll);
    return coll;
  }

  /**
   * Puts a collection built aside (an aggregate's `$out`, its documents already in it at `version + 1`) in the
   * place of the one of that name, journaled as a drop, a creation, its indexes and its documents.
   */
  replaceCollection(coll: Collection, ops: WriteOp[]): void {
    this.dropCollection(coll.db, coll.name);
    let colls = this.databases.get(coll.db);
    if (!colls) this.databases.set(coll.db, (colls = new Map()));
    colls.set(coll.name, coll);
    this.version++;
    this.schemaVersion++;
    this.sink?.createCollection(coll.db, coll.name);
    for (const index of coll.secondaryIndexes) this.sink?.createIndex(coll.db, coll.name, index.spec);
    if (ops.length) this.sink?.writes(ops);
  }

  createIndex(coll: Collection, spec: IndexSpec): void {
    coll.addIndex(spec);
    this.schemaVersion++;
    this.sink?.createIndex(coll.db, coll.name, spec);
  }

  dropIndex(coll: Collection, name: string): void {
    const i = coll.indexes.findIndex((x) => x.spec.name === name);
    if (i > 0) coll.indexes.splice(i, 1);
    this.schemaVersion++;
    this.sink?.dropIndex(coll.db, coll.name, name);
  }

  dropCollection(db: string, name: string): boolean {
    const dropped = this.databases.get(db)?.delete(name) ?? false;
    if (dropped) {
      this.schemaVersion++;
      this.sink?.dropCollection(db, name);
    }
    return dropped;
  }

  dropDatabase(db: string): void {
    if (this.databases.delete(db)) {
      this.schemaVersion++;
      this.sink?.dropDatabase(db);
    }
  }

  /**
   * Applies document changes atomically: every unique constraint is checked, and if any fails the
   * changes made so far are undone and the error rethrown. Returns the commit version.
   */
  commit(ops: WriteOp[]): number {
    const version = ++this.version;
    const keepHistory = this.activeTxns.size > 0;
    const undo: { coll: Collection; id: string; before: DocRecord | undefined }[] = [];
    try {
      for (const op of ops) {
        const coll = this.ensureCollection(op.db, op.coll);
        const before = coll.docs.get(op.id);
        coll.put(op.id, op.doc, version, keepHistory);
        undo.push({ coll, id: op.id, before });
      }
    } catch (err) {
      for (const step of undo.reverse()) {
        if (keepHistory) step.coll.popHistory();
        step.coll.restore(step.id, step.before);
      }
      this.version--;
      throw err;
    }
    this.sink?.writes(ops);
    return version;
  }

  lockOwner(ns: string, id: string): Transaction | undefined {
    const owner = this.locks.get(`${ns}\0${id}`);
    return owner && owner.state === 'active' ? owner : undefined;
  }

  /** Resolves when some transaction ends (its locks are released). */
  waitForUnlock(): Promise<void> {
    return new Promise((resolve) => this.unlockWaiters.push(resolve));
  }

  beginTransaction(txnNumber: number): Transaction {
    const txn = new Transaction(txnNumber, this.version);
    this.activeTxns.add(txn);
    return txn;
  }

  /**
   * Buffers a write in a transaction after first-writer-wins conflict checks: the document must not
   * have been committed by anyone since the snapshot, nor be written by another open transaction.
   */
  txnWrite(txn: Transaction, coll: Collection, id: string, doc: Doc | null, idValue: unknown): void {
    const lockKey = `${coll.ns}\0${id}`;
    const owner = this.locks.get(lockKey);
    if ((owner && owner !== txn && owner.state === 'active') || coll.changedSince(id, txn.snapshotVersion)) {
      this.endTransaction(txn, 'aborted');
      throw writeConflict();
    }
    if (doc) {
      // unique constraints against what this transaction sees: committed docs it has not rewritten, and its own writes
      const own = txn.writes.get(coll.ns);
      coll.checkUnique(id, doc, (other) => own?.has(other) ?? false);
      for (const index of coll.secondaryIndexes) {
        if (!index.spec.unique) continue;
        const slot = `${coll.ns}\0${index.spec.name}`;
        let keys = txn.uniqueKeys.get(slot);
        if (!keys) txn.uniqueKeys.set(slot, (keys = new Map()));
        for (const key of index.keysOf(doc)) {
          const hash = keyHash(key);
          const otherId = keys.get(hash);
          // the entry may be stale (that document was rewritten or deleted since): check its current image
          const other = otherId !== undefined && otherId !== id ? own?.get(otherId)?.doc : undefined;
          if (other && index.keysOf(other).some((k) => index.compareKeys(k, key) === 0)) throw index.duplicateKeyError(coll.ns, key);
        }
        for (const key of index.keysOf(doc)) keys.set(keyHash(key), id);
      }
    }
    this.locks.set(lockKey, txn);
    let writes = txn.writes.get(coll.ns);
    if (!writes) txn.writes.set(coll.ns, (writes = new Map()));
    writes.set(id, { doc, idValue });
  }

  /** Applies a transaction's writes, and the collections it created, as one atomic commit. */
  commitTransaction(txn: Transaction): void {
    const registered: Collection[] = [];
    for (const coll of txn.created.values()) {
      // created meanwhile outside the transaction: the two creations conflict, as on mongod
      if (this.collection(coll.db, coll.name)) {
        for (const done of registered) this.dropCollection(done.db, done.name);
        this.endTransaction(txn, 'aborted');
        throw writeConflict();
      }
      let colls = this.databases.get(coll.db);
      if (!colls) this.databases.set(coll.db, (colls = new Map()));
      colls.set(coll.name, coll);
      this.schemaVersion++;
      this.sink?.createCollection(coll.db, coll.name);
      for (const index of coll.secondaryIndexes) this.sink?.createIndex(coll.db, coll.name, index.spec);
      registered.push(coll);
    }
    const ops: WriteOp[] = [];
    for (const [ns, writes] of txn.writes) {
      const dot = ns.indexOf('.');
      for (const [id, w] of writes) ops.push({ db: ns.slice(0, dot), coll: ns.slice(dot + 1), id, doc: w.doc, idValue: w.idValue });
    }
    try {
      if (ops.length) this.commit(ops);
    } catch (err) {
      for (const done of registered) this.dropCollection(done.db, done.name);
      this.endTransaction(txn, 'aborted');
      // a concurrent commit took the unique key first; the driver retries, and the retry reports E11000
      if (err instanceof CommandError && err.code === 11000) throw writeConflict();
      throw err;
    }
    this.endTransaction(txn, 'committed');
  }

  endTransaction(txn: Transaction, state: TxnState): void {
    if (txn.state !== 'active') return;
    txn.state = state;
    this.activeTxns.delete(txn);
    for (const [ns, writes] of txn.writes) for (const id of writes.keys()) {
      const key = `${ns}\0${id}`;
      if (this.locks.get(key) === txn) this.locks.delete(key);
    }
    this.trimHistory();
    const waiters = this.unlockWaiters;
    this.unlockWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Drops pre-images no open transaction can still read. */
  private trimHistory(): void {
    let oldest = Infinity;
    for (const t of this.activeTxns) oldest = Math.min(oldest, t.snapshotVersion);
    for (const colls of this.databases.values()) for (const coll of colls.values()) if (coll.historyLength) coll.trimHistory(oldest);
  }

  /**
   * The documents of a collection that match `filter` as seen by a reader: the latest committed
   * state, or a transaction's snapshot plus its own uncommitted writes.
   */
  visibleDocs(db: string, name: string, filter: Doc, txn?: Transaction): Match[] {
    return [...this.scan(db, name, filter, { txn }).docs];
  }

  /**
   * Like visibleDocs, but lazy and, when an index can give it, in `sort` order (then `ordered` is set and
   * the caller may stop after the first matches). Outside a transaction the iteration may be paused
   * (a cursor between getMores) and then sees later commits, as MongoDB's cursors without a snapshot do.
   * Inside a transaction the caller must finish iterating before anything else runs.
   */
  scan(db: string, name: string, filter: Doc, options: { txn?: Transaction; sort?: SortSpec; limit?: number } = {}): Scan {
    const { txn, sort, limit } = options;
    const coll = this.collection(db, name);
    const query = compileFilter(filter);
    const own = txn?.writes.get(`${db}.${name}`);
    if (!coll) return { docs: txn ? this.ownMatches(own, query) : [], ordered: true };
    const plan = coll.plan(filter, sort);
    const changed = txn ? coll.historySince(txn.snapshotVersion) : [];
    if (!own?.size && changed.length === 0) {
      if (sort && limit && !plan.ordered) return this.raceOrdered(coll, plan.ids, sort, filter, limit, query, txn?.snapshotVersion);
      return { docs: this.planMatches(coll, plan.ids, query, txn?.snapshotVersion, !plan.fullScan), ordered: plan.ordered || !sort };
    }
    // a transaction that wrote to the collection, or that others committed to since its snapshot:
    // merge pre-images and own writes with the committed state (unordered; the caller sorts)
    const images = new Map<string, Doc | null>();
    const snapshot = txn!.snapshotVersion;
    if (plan.pointIds) {
      for (const id of plan.pointIds)
        if (coll.changedSince(id, snapshot)) {
          const pre = changed.find((h) => h.id === id);
          if (pre) images.set(id, pre.before?.doc ?? null);
        }
    } else for (const h of changed) if (!images.has(h.id)) images.set(h.id, h.before?.doc ?? null);
    for (const id of plan.ids) {
      const record = coll.docs.get(id);
      if (record && !images.has(id) && record.version <= snapshot) images.set(id, record.doc);
    }
    if (own) {
      if (plan.pointIds) for (const id of plan.pointIds) {
        const w = own.get(id);
        if (w) images.set(id, w.doc);
      }
      else for (const [id, w] of own) images.set(id, w.doc);
    }
    const out: Match[] = [];
    for (const [id, doc] of images) {
      coll.docsExamined++;
      if (doc && query.test(doc)) out.push({ id, doc });
    }
    return { docs: out, ordered: !sort };
  }

  /**
   * With a sort and a limit, an index walk in sort order may beat the narrower unordered plan, which reads and
   * sorts every match (`newest member of the audience` stops at the first match). As mongod's plan trial does,
   * both advance in step: the ordered walk wins if it finds `limit` matches (or ends) first, the unordered plan if
   * its candidates run out first; past the budget the unordered plan is used.
   */
  private raceOrdered(coll: Collection, unordered: Iterable<string>, sort: SortSpec, filter: Doc, limit: number, query: { test(doc: Doc): boolean }, snapshot?: number): Scan {
    const alternative = limit <= ORDERED_TRIAL_BUDGET ? coll.orderedPlan(filter, sort) : undefined;
    if (!alternative) return { docs: this.planMatches(coll, unordered, query, snapshot), ordered: false };
    const seen: string[] = [];
    const rest = unordered[Symbol.iterator]();
    const walk = alternative.ids[Symbol.iterator]();
    const out: Match[] = [];
    for (let step = 0; step < ORDERED_TRIAL_BUDGET; step++) {
      const candidate = rest.next();
      if (candidate.done) return { docs: this.planMatches(coll, seen, query, snapshot), ordered: false };
      seen.push(candidate.value);
      const next = walk.next();
      if (next.done) return { docs: out, ordered: true };
      const record = coll.docs.get(next.value);
      if (!record || (snapshot !== undefined && record.version > snapshot)) continue;
      coll.docsExamined++;
      const doc = record.doc;
      if (query.test(doc) && out.push({ id: next.value, doc }) >= limit) return { docs: out, ordered: true };
    }
    const remaining = { [Symbol.iterator]: () => rest };
    return { docs: this.planMatches(coll, (function* () { yield* seen; yield* remaining; })(), query, snapshot), ordered: false };
  }

  /** `cache`: keep the decoded documents among the lately decoded (not for a full scan, which would push out the hot ones). */
  private *planMatches(coll: Collection, ids: Iterable<string>, query: { test(doc: Doc): boolean }, snapshot?: number, cache = true): Generator<Match> {
    for (const id of ids) {
      const record = coll.docs.get(id);
      if (!record || (snapshot !== undefined && record.version > snapshot)) continue;
      coll.docsExamined++;
      const doc = cache ? record.doc : record.decode();
      if (query.test(doc)) yield { id, doc };
    }
  }

  private ownMatches(own: Map<string, { doc: Doc | null }> | undefined, query: { test(doc: Doc): boolean }): Match[] {
    const out: Match[] = [];
    for (const [id, w] of own ?? []) if (w.doc && query.test(w.doc)) out.push({ id, doc: w.doc });
    return out;
  }
}

function checkNamespace(db: string, name: string): void {
  if (!db || /[/\\. "$]/.test(db)) throw invalidNamespace(`Invalid database name: '${db}'`);
  if (!name || name.includes('$') || name.startsWith('.')) throw invalidNamespace(`Invalid collection name: ${name}`);
}

export { idKeyOf };
