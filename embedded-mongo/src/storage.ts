import { Query } from 'mingo';
import { Collection, IndexSpec } from './collection';
import { CommandError, invalidNamespace, writeConflict } from './errors';
import { compareValues, Doc, idKeyOf, isPlainObject } from './values';

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
}

export type TxnState = 'active' | 'committed' | 'aborted';

export class Transaction {
  state: TxnState = 'active';
  /** Buffered writes per namespace: id → new image or null (deleted). */
  readonly writes = new Map<string, Map<string, { doc: Doc | null; idValue: unknown }>>();
  readonly startedAt = Date.now();

  constructor(
    readonly txnNumber: number,
    readonly snapshotVersion: number,
  ) {}
}

const isSimpleScalar = (v: unknown) =>
  v !== null && v !== undefined && !isPlainObject(v) && !Array.isArray(v) && !(v instanceof RegExp);

/**
 * A predicate for a filter. Filters made only of top-level equality on scalars (the hot path: lookups by
 * _id or by an indexed key) are matched directly, because building a mingo Query per lookup costs more
 * than the lookup itself; everything else goes through mingo.
 */
export function compileFilter(filter: Doc): { test(doc: Doc): boolean } {
  const entries = Object.entries(filter);
  if (entries.every(([k, v]) => !k.startsWith('$') && !k.includes('.') && isSimpleScalar(v))) {
    const equals = (a: unknown, b: unknown) => a !== undefined && compareValues(a, b) === 0;
    return {
      test: (doc) =>
        entries.every(([k, v]) => {
          const actual = doc[k];
          return equals(actual, v) || (Array.isArray(actual) && actual.some((el) => equals(el, v)));
        }),
    };
  }
  return new Query(filter, {});
}

/** All databases and collections plus the bookkeeping for transactions. */
export class Storage {
  readonly databases = new Map<string, Map<string, Collection>>();
  /** Incremented by every commit; documents remember the version that wrote them. */
  version = 0;
  sink?: ChangeSink;
  readonly activeTxns = new Set<Transaction>();
  /** Documents written by an open transaction: `ns\0id` → owner. Other writers must wait or conflict. */
  private readonly locks = new Map<string, Transaction>();
  private unlockWaiters: (() => void)[] = [];

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  ensureCollection(db: string, name: string): Collection {
    const existing = this.collection(db, name);
    if (existing) return existing;
    if (!db || /[/\\. "$]/.test(db)) throw invalidNamespace(`Invalid database name: '${db}'`);
    if (!name || name.includes('$') || name.startsWith('.')) throw invalidNamespace(`Invalid collection name: ${name}`);
    let colls = this.databases.get(db);
    if (!colls) this.databases.set(db, (colls = new Map()));
    const coll = new Collection(db, name);
    colls.set(name, coll);
    this.sink?.createCollection(db, name);
    return coll;
  }

  createIndex(coll: Collection, spec: IndexSpec): void {
    coll.addIndex(spec);
    this.sink?.createIndex(coll.db, coll.name, spec);
  }

  dropIndex(coll: Collection, name: string): void {
    const i = coll.indexes.findIndex((x) => x.spec.name === name);
    if (i > 0) coll.indexes.splice(i, 1);
    this.sink?.dropIndex(coll.db, coll.name, name);
  }

  dropCollection(db: string, name: string): boolean {
    const dropped = this.databases.get(db)?.delete(name) ?? false;
    if (dropped) this.sink?.dropCollection(db, name);
    return dropped;
  }

  dropDatabase(db: string): void {
    if (this.databases.delete(db)) this.sink?.dropDatabase(db);
  }

  /**
   * Applies document changes atomically: every unique constraint is checked, and if any fails the
   * changes made so far are undone and the error rethrown. Returns the commit version.
   */
  commit(ops: WriteOp[]): number {
    const version = ++this.version;
    const keepHistory = this.activeTxns.size > 0;
    const undo: { coll: Collection; id: string; before: Doc | null; version: number }[] = [];
    try {
      for (const op of ops) {
        const coll = this.ensureCollection(op.db, op.coll);
        const before = coll.docs.get(op.id);
        coll.put(op.id, op.doc, version, keepHistory);
        undo.push({ coll, id: op.id, before: before?.doc ?? null, version: before?.version ?? 0 });
      }
    } catch (err) {
      for (const step of undo.reverse()) {
        if (keepHistory) step.coll.history.pop();
        step.coll.put(step.id, step.before, step.version, false);
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
    if ((owner && owner !== txn && owner.state === 'active') || this.changedSince(coll, id, txn.snapshotVersion)) {
      this.endTransaction(txn, 'aborted');
      throw writeConflict();
    }
    if (doc) {
      // unique constraints against what this transaction sees: committed docs it has not rewritten, and its own writes
      const own = txn.writes.get(coll.ns);
      coll.checkUnique(id, doc, (other) => own?.has(other) ?? false);
      for (const [otherId, w] of own ?? []) {
        if (otherId === id || !w.doc) continue;
        for (const index of coll.secondaryIndexes) {
          if (!index.spec.unique) continue;
          for (const key of index.keysOf(doc))
            if (index.keysOf(w.doc).some((k) => index.compareKeys(k, key) === 0)) throw index.duplicateKeyError(coll.ns, key);
        }
      }
    }
    this.locks.set(lockKey, txn);
    let writes = txn.writes.get(coll.ns);
    if (!writes) txn.writes.set(coll.ns, (writes = new Map()));
    writes.set(id, { doc, idValue });
  }

  private changedSince(coll: Collection, id: string, version: number): boolean {
    const record = coll.docs.get(id);
    if (record && record.version > version) return true;
    return coll.history.some((h) => h.id === id && h.version > version);
  }

  /** Applies a transaction's writes as one atomic commit. */
  commitTransaction(txn: Transaction): void {
    const ops: WriteOp[] = [];
    for (const [ns, writes] of txn.writes) {
      const dot = ns.indexOf('.');
      for (const [id, w] of writes) ops.push({ db: ns.slice(0, dot), coll: ns.slice(dot + 1), id, doc: w.doc, idValue: w.idValue });
    }
    try {
      if (ops.length) this.commit(ops);
    } catch (err) {
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
    for (const colls of this.databases.values())
      for (const coll of colls.values()) {
        if (coll.history.length === 0) continue;
        coll.history = oldest === Infinity ? [] : coll.history.filter((h) => h.version > oldest);
      }
  }

  /**
   * The documents of a collection that match `filter` as seen by a reader: the latest committed
   * state, or a transaction's snapshot plus its own uncommitted writes.
   */
  visibleDocs(db: string, name: string, filter: Doc, txn?: Transaction): { id: string; doc: Doc }[] {
    const coll = this.collection(db, name);
    const query = compileFilter(filter);
    const out: { id: string; doc: Doc }[] = [];
    if (!txn) {
      if (!coll) return out;
      const ids = coll.candidateIds(filter);
      if (ids) {
        for (const id of ids) {
          const record = coll.docs.get(id);
          if (record && query.test(record.doc)) out.push({ id, doc: record.doc });
        }
      } else for (const [id, record] of coll.docs) if (query.test(record.doc)) out.push({ id, doc: record.doc });
      return out;
    }
    const images = new Map<string, Doc | null>();
    if (coll) {
      // pre-images of documents changed after the snapshot win over their current state
      for (const h of coll.history) if (h.version > txn.snapshotVersion && !images.has(h.id)) images.set(h.id, h.before ?? null);
      const ids = coll.candidateIds(filter) ?? [...coll.docs.keys()];
      for (const id of ids) {
        const record = coll.docs.get(id);
        if (record && !images.has(id) && record.version <= txn.snapshotVersion) images.set(id, record.doc);
      }
    }
    for (const [id, w] of txn.writes.get(`${db}.${name}`) ?? []) images.set(id, w.doc);
    for (const [id, doc] of images) if (doc && query.test(doc)) out.push({ id, doc });
    return out;
  }
}

export { idKeyOf };
