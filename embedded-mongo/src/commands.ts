import { Long, ObjectId, Timestamp, UUID } from 'bson';
import { aggregate as mingoAggregate, find as mingoFind, update as mingoUpdate } from 'mingo';
import { Collection, IndexSpec, sortSpecOf } from './collection';
import { LogicalClock, snapshotReadTime } from './clock';
import { CursorRegistry } from './cursors';
import { FailPoints } from './failpoints';
import type { MemoryCeiling } from './memoryCeiling';
import {
  badValue,
  CommandError,
  commandNotFound,
  failedToParse,
  immutableField,
  indexKeySpecsConflict,
  indexNotFound,
  indexOptionsConflict,
  namespaceExists,
  noSuchTransaction,
  notImplemented,
  toCommandError,
  transactionTooOld,
  typeMismatch,
  unknownField,
} from './errors';
import type { LookupSource } from './lookup';
import { foldableGroup, groupFromScan, isSimpleSort, runPipeline, sortDocsInSlices } from './pipeline';
import { compileProjection, projectOne } from './projection';
import { applySimpleUpdate } from './simpleUpdate';
import { Match, Storage, Transaction, WriteOp } from './storage';
import { cloneDoc, compareValues, Doc, idKeyOf, isPlainObject } from './values';
import { Slicer } from './yielding';

export const MAX_WIRE_VERSION = 21; // MongoDB 7.0
export const SET_NAME = 'rs0';

/** What a session's latest retryable write did, so a retry of it is answered without applying it again. */
interface RetryableWriteRecord {
  txnNumber: number;
  /** Outcome of each applied statement of an insert/update/delete, by position in the batch. */
  statements: Map<number, StatementOutcome>;
  /** Reply of an applied findAndModify. */
  findAndModifyReply?: Doc;
}

interface Session {
  /** Highest txnNumber seen on the session (transactions and retryable writes share the counter). */
  txnNumber: number;
  txn?: Transaction;
  /** Only the latest retryable write is kept: the driver never retries an older one. */
  retryableWrite?: RetryableWriteRecord;
  /** Set while a retryable write of this session runs, so a retry sent meanwhile waits for its outcome. */
  busy?: Promise<void>;
  lastUsed: number;
}

/** State shared by every connection of one server. */
export interface ServerState {
  storage: Storage;
  cursors: CursorRegistry;
  sessions: Map<string, Session>;
  /** host:port clients should use to reach this server (reported by hello). */
  address: string;
  electionId: ObjectId;
  startedAt: Date;
  clock: LogicalClock;
  failPoints: FailPoints;
  /** The appName each connection gave in its handshake (for failCommand's appName filter). */
  appNames: Map<number, string>;
  /** Connection id → what to call when it closes (a command held by failCommand's blockConnection ends then). */
  closeWatchers: Map<number, Set<() => void>>;
  /** Refuses writes that add data when the heap nears its limit. */
  memory?: MemoryCeiling;
}

interface Ctx {
  state: ServerState;
  db: string;
  cmd: Doc;
  name: string;
  txn?: Transaction;
  /** Set for a retryable write (lsid + txnNumber outside a transaction). */
  retryableWrite?: RetryableWriteRecord;
  /** The time of a readConcern snapshot read outside a transaction (its results are taken at once). */
  snapshotTime?: Timestamp;
  connectionId: number;
}

type Handler = (ctx: Ctx) => Doc | Promise<Doc>;

/** Fields any command may carry that do not change its result here. */
const GENERIC_FIELDS = new Set([
  '$db', 'lsid', 'txnNumber', 'autocommit', 'startTransaction', '$clusterTime', '$readPreference', 'readConcern',
  'writeConcern', 'comment', 'maxTimeMS', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', '$audit', 'bypassDocumentValidation',
  'ordered', 'recoveryToken', 'readPreference', 'mayBypassWriteBlocking',
]);

function checkFields(ctx: Ctx, allowed: string[]): void {
  for (const field of Object.keys(ctx.cmd)) {
    if (field === ctx.name || GENERIC_FIELDS.has(field) || allowed.includes(field)) continue;
    throw unknownField(ctx.name, field);
  }
  const level = (ctx.cmd.readConcern as Doc | undefined)?.level;
  if (level !== undefined && !['local', 'majority', 'snapshot', 'available', 'linearizable'].includes(String(level)))
    throw badValue(`unsupported readConcern level '${String(level)}'`);
}

/** Collation other than the default binary comparison would change results; refuse it. */
function refuseCollation(spec: unknown): void {
  if (spec === undefined || spec === null) return;
  if (isPlainObject(spec) && spec.locale === 'simple') return;
  throw notImplemented('collation is not supported (only { locale: "simple" })');
}

function collectionName(ctx: Ctx): string {
  const name = ctx.cmd[ctx.name];
  if (typeof name !== 'string') throw typeMismatch(`collection name has invalid type ${typeof name}`);
  return name;
}

const asNumber = (v: unknown, fallback: number): number => {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number') return v;
  if (v instanceof Long) return v.toNumber();
  return Number(v);
};

const asDoc = (v: unknown, what: string): Doc => {
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) throw typeMismatch(`${what} must be an object`);
  return v;
};

// ---------- reading ----------

function matchingDocs(ctx: Ctx, coll: string, filter: Doc): Match[] {
  return ctx.state.storage.visibleDocs(ctx.db, coll, filter, ctx.txn);
}

/**
 * A scan in `sort` order when the plan can give it (`ordered`); a sort the planner cannot express (not 1/-1) is
 * never reported as given, so the caller sorts.
 */
function sortedScan(ctx: Ctx, coll: string, filter: Doc, sort: Doc | undefined, limit?: number): { docs: Iterable<Match>; ordered: boolean } {
  const spec = sortSpecOf(sort);
  const scan = ctx.state.storage.scan(ctx.db, coll, filter, { txn: ctx.txn, sort: spec, limit });
  return { docs: scan.docs, ordered: !sort || (spec !== undefined && scan.ordered) };
}

/** Counts matches after `skip`, stopping once `limit` (0 = none) is reached. */
function countMatches(ctx: Ctx, coll: string, filter: Doc, skip: number, limit: number): number {
  let n = 0;
  for (const _ of ctx.state.storage.scan(ctx.db, coll, filter, { txn: ctx.txn }).docs) if (++n === skip + limit && limit) break;
  n = Math.max(0, n - skip);
  return limit ? Math.min(n, limit) : n;
}

/** countMatches in slices (countDocuments over a large range lets other commands in between). */
async function countMatchesInSlices(ctx: Ctx, coll: string, filter: Doc, skip: number, limit: number, slicer: Slicer): Promise<number> {
  let n = 0;
  for (const _ of ctx.state.storage.scan(ctx.db, coll, filter, { txn: ctx.txn }).docs) {
    if (++n === skip + limit && limit) break;
    if ((n & 63) === 0 && slicer.due()) await slicer.pause();
  }
  n = Math.max(0, n - skip);
  return limit ? Math.min(n, limit) : n;
}

function* docsOf(matches: Iterable<Match>): Generator<Doc> {
  for (const m of matches) yield m.doc;
}

/** The first match in `sort` order (or any order without one): an ordered index walk stops at it. */
function firstMatch(ctx: Ctx, coll: string, filter: Doc, sort?: Doc): Match | undefined {
  const sorting = sort && Object.keys(sort).length ? sort : undefined;
  const { docs, ordered } = sortedScan(ctx, coll, filter, sorting, sorting ? 1 : undefined);
  if (ordered) {
    for (const m of docs) return m;
    return undefined;
  }
  const all = [...docs];
  if (all.length < 2) return all[0];
  const first = sortedDocs(all.map((m) => m.doc), sorting)[0];
  return all.find((m) => m.doc === first);
}

/**
 * The documents of a find, in order, after skip and before limit ends them. When the plan already
 * gives the sort's order they are produced lazily, so a cursor only reads as far as it is asked to;
 * otherwise all matches are read and sorted first, in slices outside transactions and snapshot reads.
 */
async function findResults(ctx: Ctx, coll: string, filter: Doc, sort: Doc, skip: number, limit: number): Promise<Iterator<Doc>> {
  const sorting = Object.keys(sort).length ? sort : undefined;
  const { docs, ordered } = sortedScan(ctx, coll, filter, sorting, limit ? skip + limit : undefined);
  if (!ordered) {
    const slicer = new Slicer(!ctx.txn && !ctx.snapshotTime);
    let all: Doc[] = [];
    for (const m of docs) {
      all.push(m.doc);
      if ((all.length & 15) === 0 && slicer.due()) await slicer.pause();
    }
    if (all.length > 1) all = isSimpleSort(sorting) ? await sortDocsInSlices(all, sorting as Record<string, 1 | -1>, slicer) : sortedDocs(all, sorting);
    return all.slice(skip, limit ? skip + limit : undefined)[Symbol.iterator]();
  }
  const window = (function* () {
    let seen = 0;
    for (const m of docs) {
      if (seen++ < skip) continue;
      yield m.doc;
      if (limit && seen >= skip + limit) return;
    }
  })();
  // a transaction reads its snapshot now: later commits would otherwise show through a paused walk
  return ctx.txn || ctx.snapshotTime ? [...window].values() : window;
}

function sortedDocs(docs: Doc[], sort: Doc | undefined): Doc[] {
  if (!sort || Object.keys(sort).length === 0) return docs;
  for (const v of Object.values(sort)) if (isPlainObject(v)) throw notImplemented('sort by $meta is not supported');
  return mingoFind(docs, {}).sort(sort as Record<string, 1 | -1>).all() as Doc[];
}

const find: Handler = async (ctx) => {
  checkFields(ctx, ['filter', 'sort', 'projection', 'skip', 'limit', 'batchSize', 'singleBatch', 'hint', 'noCursorTimeout',
    'allowDiskUse', 'allowPartialResults', 'collation', 'let', 'awaitData', 'tailable', 'returnKey', 'showRecordId', 'min', 'max', 'oplogReplay']);
  const cmd = ctx.cmd;
  refuseCollation(cmd.collation);
  for (const f of ['let', 'tailable', 'awaitData', 'returnKey', 'showRecordId', 'min', 'max'])
    if (cmd[f] !== undefined && cmd[f] !== false) throw notImplemented(`find option '${f}' is not supported`);
  const coll = collectionName(ctx);
  const filter = asDoc(cmd.filter, 'filter');
  const projection = asDoc(cmd.projection, 'projection');
  const sort = asDoc(cmd.sort, 'sort');
  const skip = asNumber(cmd.skip, 0);
  const limit = Math.abs(asNumber(cmd.limit, 0));
  for (const v of Object.values(sort)) if (isPlainObject(v)) throw notImplemented('sort by $meta is not supported');
  const docs = await findResults(ctx, coll, filter, sort, skip, limit);
  // simple projections are applied directly; the rest go through mingo
  const transform = compileProjection(projection, filter);
  const cursor = ctx.state.cursors.create(`${ctx.db}.${coll}`, { docs, transform }, {
    batchSize: cmd.batchSize === undefined ? undefined : asNumber(cmd.batchSize, 101),
    singleBatch: cmd.singleBatch === true || asNumber(cmd.limit, 0) < 0,
    noTimeout: cmd.noCursorTimeout === true,
  });
  if (ctx.snapshotTime) cursor.atClusterTime = ctx.snapshotTime;
  return { cursor, ok: 1 };
};

const getMore: Handler = (ctx) => {
  checkFields(ctx, ['collection', 'batchSize', 'term', 'lastKnownCommittedOpTime']);
  const id = ctx.cmd.getMore;
  if (!(id instanceof Long) && typeof id !== 'number') throw typeMismatch('getMore cursor id must be a long');
  const cursorId = id instanceof Long ? id : Long.fromNumber(id);
  const batchSize = ctx.cmd.batchSize === undefined ? undefined : asNumber(ctx.cmd.batchSize, 0);
  return { cursor: ctx.state.cursors.getMore(cursorId, `${ctx.db}.${String(ctx.cmd.collection)}`, batchSize), ok: 1 };
};

const killCursors: Handler = (ctx) => {
  checkFields(ctx, ['cursors']);
  const ids = (ctx.cmd.cursors as unknown[] | undefined) ?? [];
  return { ...ctx.state.cursors.kill(ids.map((i) => (i instanceof Long ? i : Long.fromNumber(Number(i))))), ok: 1 };
};

const count: Handler = (ctx) => {
  checkFields(ctx, ['query', 'limit', 'skip', 'hint', 'collation', 'fields']);
  refuseCollation(ctx.cmd.collation);
  const n = countMatches(ctx, collectionName(ctx), asDoc(ctx.cmd.query, 'query'), asNumber(ctx.cmd.skip, 0), Math.abs(asNumber(ctx.cmd.limit, 0)));
  return { n, ok: 1 };
};

const distinct: Handler = (ctx) => {
  checkFields(ctx, ['key', 'query', 'collation', 'hint']);
  refuseCollation(ctx.cmd.collation);
  const key = ctx.cmd.key;
  if (typeof key !== 'string') throw typeMismatch("'key' must be a string");
  const docs = matchingDocs(ctx, collectionName(ctx), asDoc(ctx.cmd.query, 'query')).map((m) => m.doc);
  const values: unknown[] = [];
  const path = key.split('.');
  const collect = (v: unknown, rest: string[]) => {
    if (rest.length === 0) {
      if (v === undefined) return;
      for (const x of Array.isArray(v) ? v : [v]) if (!values.some((y) => compareValues(x, y) === 0)) values.push(x);
      return;
    }
    if (Array.isArray(v)) for (const el of v) collect(el, rest);
    else if (isPlainObject(v)) collect(v[rest[0]], rest.slice(1));
  };
  for (const doc of docs) collect(doc, path);
  values.sort(compareValues);
  return ctx.snapshotTime ? { values, atClusterTime: ctx.snapshotTime, ok: 1 } : { values, ok: 1 };
};

const aggregateCmd: Handler = async (ctx) => {
  checkFields(ctx, ['pipeline', 'cursor', 'allowDiskUse', 'explain', 'collation', 'hint', 'let']);
  const cmd = ctx.cmd;
  refuseCollation(cmd.collation);
  if (cmd.explain) throw notImplemented('aggregate explain is not supported');
  if (typeof cmd.aggregate !== 'string') throw notImplemented('database-level aggregation is not supported');
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline)) throw typeMismatch("'pipeline' must be an array");
  if (!isPlainObject(cmd.cursor)) throw failedToParse("The 'cursor' option is required, except for aggregate with the explain argument");
  (pipeline as Doc[]).forEach((stage, i) => {
    const op = Object.keys(stage)[0];
    if ((op === '$out' || op === '$merge') && i !== pipeline.length - 1)
      throw new CommandError(40601, 'Location40601', `${op} can only be the final stage in the pipeline`);
    if (['$currentOp', '$listSessions', '$changeStream', '$indexStats', '$collStats', '$search', '$geoNear'].includes(op))
      throw notImplemented(`aggregation stage ${op} is not supported`);
  });
  const last = pipeline[pipeline.length - 1] as Doc | undefined;
  const output = last && ('$out' in last || '$merge' in last) ? last : undefined;
  if (output && ctx.txn)
    throw new CommandError(263, 'OperationNotSupportedInTransaction', `${Object.keys(output)[0]} cannot be used in a transaction`);
  if (output) pipeline.pop();
  // A leading $match that reads the aggregate's `let` variables ($expr) cannot be answered by the planner,
  // which knows no variables: mingo runs it over the whole collection instead.
  const planned = !(isPlainObject(cmd.let) && pipeline.length > 0 && mentionsExpr((pipeline[0] as Doc).$match));
  // outside transactions and snapshot reads the work pauses every few milliseconds (see yielding.ts)
  const slicer = new Slicer(!ctx.txn && !ctx.snapshotTime);
  const counted = planned ? await countOnly(ctx, cmd.aggregate, pipeline as Doc[], slicer) : undefined;
  // [$match?, $group of foldable accumulators, …] is grouped straight from the scan, keeping no documents
  const stages = pipeline as Doc[];
  const leadingMatch = stages[0] && Object.keys(stages[0]).length === 1 && isPlainObject(stages[0].$match) ? (stages[0].$match as Doc) : undefined;
  const group = stages[leadingMatch ? 1 : 0];
  const groupsFromScan = planned && !counted && foldableGroup(group);
  const scanned = counted || groupsFromScan ? [] : planned ? pipelineInput(ctx, cmd.aggregate, stages) : ctx.state.storage.scan(ctx.db, cmd.aggregate, {}, { txn: ctx.txn }).docs;
  // stages that never change their input documents read the stored ones; the others get copies
  const readsInPlace = !output && stages.every((stage) => READ_ONLY_STAGES.has(Object.keys(stage)[0]));
  const input = await copyInSlices(scanned, slicer, readsInPlace);
  // other collections are read (and copied) at most once per aggregate
  const resolved = new Map<string, Doc[]>();
  const collectionResolver = (name: string) => {
    let docs = resolved.get(name);
    if (!docs) resolved.set(name, (docs = matchingDocs(ctx, name, {}).map((m) => cloneDoc(m.doc))));
    return docs;
  };
  const lookupSource = (name: string): LookupSource => {
    const foreign = ctx.state.storage.collection(ctx.db, name);
    return {
      size: foreign?.docs.size ?? 0,
      hasIndexOn: (field) => !!foreign?.hasEqualityIndexOn(field),
      matching: (field, value) => matchingDocs(ctx, name, { [field]: value }).map((m) => m.doc),
      all: () => docsOf(ctx.state.storage.scan(ctx.db, name, {}, { txn: ctx.txn }).docs),
    };
  };
  const options = { collectionResolver, variables: isPlainObject(cmd.let) ? cmd.let : undefined };
  const env = { options, lookupSource, slicer };
  let results: Doc[];
  if (counted) results = counted;
  else if (groupsFromScan) {
    const grouped = await groupFromScan(docsOf(pipelineInput(ctx, cmd.aggregate, stages)), leadingMatch, (group as { $group: Doc }).$group, env);
    results = await runPipeline(grouped, stages.slice(leadingMatch ? 2 : 1), env);
  } else results = await runPipeline(input, stages, env);
  if (output) {
    if ('$out' in output) replaceWithResults(ctx, outTarget(ctx, output.$out), results);
    else await mergeResults(ctx, parseMerge(ctx, output.$merge), results);
    return { cursor: { firstBatch: [], id: Long.ZERO, ns: `${ctx.db}.${cmd.aggregate}` }, ok: 1 };
  }
  const cursorOpts = cmd.cursor as Doc;
  const cursor = ctx.state.cursors.create(`${ctx.db}.${cmd.aggregate}`, results, {
    batchSize: cursorOpts.batchSize === undefined ? undefined : asNumber(cursorOpts.batchSize, 101),
  });
  if (ctx.snapshotTime) cursor.atClusterTime = ctx.snapshotTime;
  return { cursor, ok: 1 };
};

function mentionsExpr(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(mentionsExpr);
  if (!isPlainObject(filter)) return false;
  return Object.entries(filter).some(([k, v]) => k === '$expr' || mentionsExpr(v));
}

// ---------- $out and $merge ----------

/** The collection an output stage names: `'coll'` or `{db, coll}` in this database. */
function outputCollection(ctx: Ctx, spec: unknown, stage: string): string {
  if (typeof spec === 'string') return spec;
  if (isPlainObject(spec) && typeof spec.coll === 'string') {
    if (spec.db !== undefined && spec.db !== ctx.db) throw notImplemented(`${stage} into another database is not supported`);
    return spec.coll;
  }
  throw failedToParse(`${stage} needs a collection name`);
}

const outTarget = (ctx: Ctx, spec: unknown) => outputCollection(ctx, spec, '$out');

/**
 * `$out`: the collection becomes the results, all at once, keeping its indexes. The new contents are built aside
 * first, so a duplicate _id or a unique-index clash leaves the collection as it was.
 */
function replaceWithResults(ctx: Ctx, name: string, results: Doc[]): void {
  const { storage } = ctx.state;
  const existing = storage.collection(ctx.db, name);
  const fresh = new Collection(ctx.db, name);
  for (const index of existing?.secondaryIndexes ?? []) fresh.addIndex(index.spec);
  const version = storage.version + 1;
  const ops: WriteOp[] = [];
  for (const result of results) {
    const doc = withIdFirst(result);
    checkFieldNames(doc);
    const id = idKeyOf(doc._id);
    if (fresh.docs.has(id)) throw fresh.indexes[0].duplicateKeyError(fresh.ns, [doc._id]);
    fresh.put(id, doc, version, false);
    ops.push({ db: ctx.db, coll: name, id, doc, idValue: doc._id });
  }
  storage.replaceCollection(fresh, ops);
}

interface MergeSpec {
  into: string;
  on: string[];
  whenMatched: 'replace' | 'keepExisting' | 'merge' | 'fail' | Doc[];
  whenNotMatched: 'insert' | 'discard' | 'fail';
  let?: Doc;
}

function parseMerge(ctx: Ctx, raw: unknown): MergeSpec {
  const spec: Doc = typeof raw === 'string' ? { into: raw } : isPlainObject(raw) ? raw : {};
  for (const key of Object.keys(spec))
    if (!['into', 'on', 'let', 'whenMatched', 'whenNotMatched'].includes(key)) throw unknownField('$merge', key);
  const into = outputCollection(ctx, spec.into, '$merge');
  const on = spec.on === undefined ? ['_id'] : typeof spec.on === 'string' ? [spec.on] : Array.isArray(spec.on) ? spec.on.map(String) : [];
  if (on.length === 0 || new Set(on).size !== on.length) throw failedToParse("$merge 'on' must be a field name or a non-empty array of distinct field names");
  const whenMatched = (spec.whenMatched ?? 'merge') as MergeSpec['whenMatched'];
  if (!Array.isArray(whenMatched) && !['replace', 'keepExisting', 'merge', 'fail'].includes(whenMatched))
    throw badValue(`Enumeration value '${String(whenMatched)}' for field '$merge.whenMatched' is not a valid value.`);
  const whenNotMatched = (spec.whenNotMatched ?? 'insert') as MergeSpec['whenNotMatched'];
  if (!['insert', 'discard', 'fail'].includes(whenNotMatched))
    throw badValue(`Enumeration value '${String(whenNotMatched)}' for field '$merge.whenNotMatched' is not a valid value.`);
  if (spec.let !== undefined && !Array.isArray(whenMatched)) throw new CommandError(51199, 'Location51199', "Cannot use 'let' variables with 'whenMatched: " + whenMatched + "' mode");
  // as on mongod, matching on anything but _id needs a unique index on exactly those fields
  if (on.length !== 1 || on[0] !== '_id') {
    const target = ctx.state.storage.collection(ctx.db, into);
    const backed = target?.secondaryIndexes.some((index) => {
      const fields = Object.keys(index.spec.key);
      return index.spec.unique && !index.spec.partialFilterExpression && fields.length === on.length && on.every((f) => fields.includes(f));
    });
    if (!backed) throw new CommandError(51183, 'Location51183', 'Cannot find index to verify that join fields will be unique');
  }
  return { into, on, whenMatched, whenNotMatched, let: isPlainObject(spec.let) ? spec.let : undefined };
}

function valueAt(doc: Doc, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split('.')) v = isPlainObject(v) ? v[part] : undefined;
  return v;
}

/**
 * `$merge`: each result is written on its own (like mongod, the stage is not atomic as a whole: documents
 * written before a failure stay), matched on the `on` fields, then replaced, merged, kept, refused or updated
 * by the whenMatched pipeline (`$$new` is the result), and inserted, discarded or refused when unmatched.
 */
async function mergeResults(ctx: Ctx, spec: MergeSpec, results: Doc[]): Promise<void> {
  const { into, on } = spec;
  for (let i = 0; i < results.length; i++) {
    if (i > 0 && i % STATEMENTS_BETWEEN_YIELDS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const result = on.length === 1 && on[0] === '_id' ? withIdFirst(results[i]) : results[i];
    const filter: Doc = {};
    for (const field of on) {
      const value = valueAt(result, field);
      if (value === undefined || value === null || Array.isArray(value))
        throw new CommandError(51132, 'Location51132', `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`);
      filter[field] = value;
    }
    for (;;) {
      const target = firstMatch(ctx, into, filter);
      const locked = lockWait(ctx, into, target ? [target.id] : []);
      if (locked) {
        await locked;
        continue;
      }
      if (!target) {
        if (spec.whenNotMatched === 'discard') break;
        if (spec.whenNotMatched === 'fail')
          throw new CommandError(13113, 'MergeStageNoMatchingDocument', '$merge could not find a matching document in the target collection for at least one document in the source collection');
        const doc = withIdFirst(result);
        checkFieldNames(doc);
        if (!(await insertNewDocument(ctx, into, doc))) continue;
        break;
      }
      const { whenMatched } = spec;
      if (whenMatched === 'keepExisting') break;
      if (whenMatched === 'fail') {
        const coll = ctx.state.storage.collection(ctx.db, into)!;
        const index = coll.indexes.find((ix) => Object.keys(ix.spec.key).length === on.length && on.every((f) => f in ix.spec.key)) ?? coll.indexes[0];
        throw index.duplicateKeyError(coll.ns, Object.keys(index.spec.key).map((f) => valueAt(result, f)));
      }
      let next: Doc;
      if (whenMatched === 'replace') next = { ...result };
      else if (whenMatched === 'merge') next = { ...target.doc, ...result };
      else {
        const variables = spec.let ? evaluateLet(spec.let, result) : { new: result };
        next = (mingoAggregate([cloneDoc(target.doc)], whenMatched, { variables }) as Doc[])[0] ?? {};
      }
      if (next._id === undefined) next._id = target.doc._id;
      if (compareValues(next._id, target.doc._id) !== 0)
        throw immutableField("$merge failed to update the matching document, did you attempt to modify the _id or the shard key? :: caused by :: Performing an update on the path '_id' would modify the immutable field '_id'");
      next = withIdFirst(next);
      checkFieldNames(next);
      if (compareValues(next, target.doc) !== 0) writeDoc(ctx, into, target.id, next, next._id);
      break;
    }
  }
}

/** A $merge `let`: each variable's expression evaluated against the result document. */
function evaluateLet(spec: Doc, result: Doc): Doc {
  const projection: Doc = { _id: 0 };
  for (const [name, expr] of Object.entries(spec)) projection[name] = { $ifNull: [expr, null] };
  return (mingoAggregate([result], [{ $project: projection }]) as Doc[])[0] ?? {};
}

/**
 * The driver's countDocuments pipeline (`$match`, optional `$skip`/`$limit`, then `$group` of a constant `_id`
 * with `{$sum: 1}`), counted over the matches without copying them; undefined for any other pipeline.
 */
async function countOnly(ctx: Ctx, coll: string, pipeline: Doc[], slicer: Slicer): Promise<Doc[] | undefined> {
  let i = 0;
  let filter: Doc = {};
  if (pipeline[0] && isPlainObject(pipeline[0].$match)) {
    filter = pipeline[0].$match as Doc;
    i = 1;
  }
  // Other values ($limit 0, negative numbers) are left to the general path, which refuses them as mongod does.
  let skip = 0;
  let limit = 0;
  if (pipeline[i] && typeof pipeline[i].$skip === 'number' && pipeline[i].$skip as number >= 0 && Object.keys(pipeline[i]).length === 1) skip = pipeline[i++].$skip as number;
  if (pipeline[i] && typeof pipeline[i].$limit === 'number' && pipeline[i].$limit as number > 0 && Object.keys(pipeline[i]).length === 1) limit = pipeline[i++].$limit as number;
  const group = pipeline[i]?.$group;
  if (i !== pipeline.length - 1 || !isPlainObject(group) || Object.keys(pipeline[i]).length !== 1) return undefined;
  const keys = Object.keys(group);
  if (keys.length !== 2 || !keys.includes('_id')) return undefined;
  const id = group._id;
  if (isPlainObject(id) || Array.isArray(id) || (typeof id === 'string' && id.startsWith('$'))) return undefined;
  const field = keys.find((k) => k !== '_id')!;
  const sum = group[field];
  if (!isPlainObject(sum) || Object.keys(sum).length !== 1 || sum.$sum !== 1) return undefined;
  const n = await countMatchesInSlices(ctx, coll, filter, skip, limit, slicer);
  return n > 0 ? [{ _id: id, [field]: n }] : [];
}

/**
 * The documents a pipeline starts from: a leading `$match` narrows them through the indexes, and a
 * following `$sort` + `$limit` that an index walk can serve takes only the first ones (mingo still
 * runs those stages, to the same result).
 */
function pipelineInput(ctx: Ctx, coll: string, pipeline: Doc[]): Iterable<Match> {
  let i = 0;
  let filter: Doc = {};
  if (pipeline[0] && isPlainObject(pipeline[0].$match)) {
    filter = pipeline[0].$match as Doc;
    i = 1;
  }
  const sort = pipeline[i]?.$sort;
  const limit = pipeline[i + 1]?.$limit;
  if (isPlainObject(sort) && typeof limit === 'number' && limit > 0) {
    const { docs, ordered } = sortedScan(ctx, coll, filter, sort, limit);
    if (ordered) {
      const out: Match[] = [];
      for (const m of docs) if (out.push(m) >= limit) break;
      return out;
    }
    return docs;
  }
  return ctx.state.storage.scan(ctx.db, coll, filter, { txn: ctx.txn }).docs;
}

/**
 * Stages that only read their input documents (mingo's $match, and $group, $sort, $sortByCount computed in
 * pipeline.ts); a stored document is never changed in place (a write replaces it), so such a pipeline reads the
 * stored documents without copying them. Copying 100,000 documents for a dashboard's $match + $group kept the
 * young generation full of survivors: scavenges of 30-60 ms held every other connection.
 */
const READ_ONLY_STAGES = new Set(['$match', '$group', '$sort', '$sortByCount', '$limit', '$skip', '$count']);

/**
 * Copies an aggregate's input (or lists it, for a pipeline of READ_ONLY_STAGES), pausing at the end of each slice so that point reads and writes from other
 * connections are served meanwhile instead of waiting for the whole scan (the HQ dashboard's aggregations held
 * counter scans for seconds). Only outside transactions and snapshot reads: there the scan may see later
 * commits, as a yielding mongod read does; a transaction's reads are taken in one go.
 */
async function copyInSlices(docs: Iterable<Match>, slicer: Slicer, readsInPlace: boolean): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const match of docs) {
    out.push(readsInPlace ? match.doc : cloneDoc(match.doc));
    if ((out.length & 15) === 0 && slicer.due()) await slicer.pause();
  }
  return out;
}

// ---------- writing ----------

/**
 * Non-transactional writers wait (like mongod) for transactions that hold a document to finish. Returns
 * the promise to wait on, or undefined when nothing is locked: the caller then goes on writing without
 * yielding, so what it matched cannot change before it writes.
 */
function lockWait(ctx: Ctx, coll: string, ids: string[]): Promise<void> | undefined {
  if (ctx.txn) return undefined;
  const ns = `${ctx.db}.${coll}`;
  if (!ids.some((id) => ctx.state.storage.lockOwner(ns, id))) return undefined;
  return ctx.state.storage.waitForUnlock();
}

function writeDoc(ctx: Ctx, coll: string, id: string, doc: Doc | null, idValue: unknown): void {
  const storage = ctx.state.storage;
  if (ctx.txn) storage.txnWrite(ctx.txn, storage.txnCollection(ctx.txn, ctx.db, coll), id, doc, idValue);
  else {
    storage.ensureCollection(ctx.db, coll);
    storage.commit([{ db: ctx.db, coll, id, doc, idValue }]);
  }
}

function withIdFirst(doc: Doc): Doc {
  if (Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id: _id === undefined ? new ObjectId() : _id, ...rest };
}

/**
 * What mongod (5.0+) refuses to store: an array or regex `_id`, or an `_id` document with `$`-prefixed fields.
 * `$`-prefixed field names elsewhere, top-level ones included, are stored.
 */
function checkFieldNames(doc: Doc): void {
  if (isPlainObject(doc._id))
    for (const key of Object.keys(doc._id))
      if (key.startsWith('$'))
        throw new CommandError(52, 'DollarPrefixedFieldName', `_id fields may not contain '$'-prefixed fields: ${key} is not valid for storage.`);
  if (Array.isArray(doc._id)) throw new CommandError(2, 'BadValue', 'The _id field cannot be an array');
  if (doc._id instanceof RegExp) throw new CommandError(2, 'BadValue', 'can\'t use a regex for _id');
}

function writeErrorOf(index: number, err: CommandError): Doc {
  return { index, code: err.code, codeName: err.codeName, errmsg: err.message, ...err.extra };
}

/** What one statement of an insert/update/delete did; kept per statement for retryable writes. */
interface StatementOutcome {
  n: number;
  nModified?: number;
  /** _id of the document an upsert inserted. */
  upserted?: unknown;
}

interface StatementResults {
  outcomes: (StatementOutcome | undefined)[];
  writeErrors: Doc[];
  /** Statements of a retried write that had already been applied and were answered from the record. */
  retriedStmtIds: number[];
}

/** Statements a write outside a transaction runs before it lets other commands in. */
const STATEMENTS_BETWEEN_YIELDS = 100;

/**
 * Runs the statements of a write command; ordered batches stop at the first failure. For a retryable
 * write, statements already applied under the same (lsid, txnNumber) are not run again: their recorded
 * outcome is reported instead, as mongod does (statement ids are positions in the batch).
 */

async function runStatements(ctx: Ctx, statements: Doc[], run: (stmt: Doc, index: number) => Promise<StatementOutcome>): Promise<StatementResults> {
  const ordered = ctx.cmd.ordered !== false;
  const results: StatementResults = { outcomes: [], writeErrors: [], retriedStmtIds: [] };
  const record = ctx.retryableWrite;
  for (let i = 0; i < statements.length; i++) {
    // A long write outside a transaction lets other connections' commands run every so often, as mongod
    // interleaves them between the documents of a multi-document write (which is not atomic as a whole): a
    // thousand-document insert would otherwise hold every other client for its whole duration.
    if (!ctx.txn && i > 0 && i % STATEMENTS_BETWEEN_YIELDS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const recorded = record?.statements.get(i);
    if (recorded) {
      results.outcomes[i] = recorded;
      results.retriedStmtIds.push(i);
      continue;
    }
    try {
      const since = record ? ctx.state.storage.sink?.mark() : undefined;
      const outcome = await run(statements[i], i);
      results.outcomes[i] = outcome;
      if (record) {
        record.statements.set(i, outcome);
        if (since !== undefined) journalRetryableWrite(ctx, record, since, { st: [statementRecord(i, outcome)] });
      }
    } catch (err) {
      const error = toCommandError(err);
      // conflicts and transaction errors fail the whole command so drivers can retry the transaction
      if (error.errorLabels.length) throw error;
      results.writeErrors.push(writeErrorOf(i, error));
      if (ctx.txn) {
        ctx.state.storage.endTransaction(ctx.txn, 'aborted');
        break;
      }
      if (ordered) break;
    }
  }
  return results;
}

/** Adds the parts of a write reply that only appear sometimes, in mongod's order. */
function finishWriteReply(reply: Doc, results: StatementResults): Doc {
  if (results.writeErrors.length) reply.writeErrors = results.writeErrors;
  if (results.retriedStmtIds.length) reply.retriedStmtIds = results.retriedStmtIds;
  reply.ok = 1;
  return reply;
}

function documentsOf(ctx: Ctx, field: string): Doc[] {
  const docs = ctx.cmd[field];
  if (!Array.isArray(docs)) throw typeMismatch(`'${field}' must be an array`);
  return docs as Doc[];
}

/**
 * Writes a document that must be new (an insert or an upsert). A document with the same _id fails the
 * write with E11000 on the `_id_` index, as on mongod; it is never replaced. Answers false, writing
 * nothing, when it first had to wait for a transaction holding that _id, because the caller's view
 * of the collection may be stale by then.
 */
async function insertNewDocument(ctx: Ctx, coll: string, doc: Doc): Promise<boolean> {
  const id = idKeyOf(doc._id);
  const locked = lockWait(ctx, coll, [id]);
  if (locked) {
    await locked;
    return false;
  }
  // outside a transaction the document map answers directly (no filter to compile, no plan)
  const taken = ctx.txn
    ? ctx.state.storage.visibleDocs(ctx.db, coll, { _id: doc._id }, ctx.txn).length > 0
    : !!ctx.state.storage.collection(ctx.db, coll)?.docs.has(id);
  if (taken) {
    const c = ctx.txn ? ctx.state.storage.txnCollection(ctx.txn, ctx.db, coll) : ctx.state.storage.ensureCollection(ctx.db, coll);
    throw c.indexes[0].duplicateKeyError(c.ns, [doc._id]);
  }
  writeDoc(ctx, coll, id, doc, doc._id);
  return true;
}

const insert: Handler = async (ctx) => {
  checkFields(ctx, ['documents']);
  const coll = collectionName(ctx);
  const results = await runStatements(ctx, documentsOf(ctx, 'documents'), async (raw) => {
    const doc = withIdFirst(raw);
    checkFieldNames(doc);
    while (!(await insertNewDocument(ctx, coll, doc)));
    return { n: 1 };
  });
  return finishWriteReply({ n: results.outcomes.reduce((sum, o) => sum + (o?.n ?? 0), 0) }, results);
};

const UPDATE_OPERATORS = new Set(['$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$setOnInsert', '$push', '$pull',
  '$pullAll', '$addToSet', '$pop', '$currentDate', '$bit']);

/** The document an upsert starts from: the equality conditions of the filter. */
function upsertSeed(filter: Doc): Doc {
  const seed: Doc = {};
  const setPath = (path: string, value: unknown) => {
    const parts = path.split('.');
    let target = seed;
    for (const p of parts.slice(0, -1)) {
      if (!isPlainObject(target[p])) target[p] = {};
      target = target[p] as Doc;
    }
    target[parts[parts.length - 1]] = cloneDoc(value);
  };
  const visit = (f: Doc) => {
    for (const [key, cond] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(cond)) cond.forEach((c) => isPlainObject(c) && visit(c));
      else if (key.startsWith('$')) continue;
      else if (isPlainObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'))) {
        if ('$eq' in cond) setPath(key, cond.$eq);
      } else setPath(key, cond);
    }
  };
  visit(filter);
  return seed;
}

/** Applies an update (operators, replacement or pipeline) to a copy of `doc`. */
function applyUpdate(doc: Doc, update: unknown, filter: Doc, arrayFilters: Doc[] | undefined, inserting: boolean): { doc: Doc; changed: boolean } {
  let result: Doc;
  if (Array.isArray(update)) {
    result = (mingoAggregate([cloneDoc(doc)], update as Doc[]) as Doc[])[0] ?? {};
    // as on mongod, a new root without _id ($replaceRoot/$replaceWith, $project) keeps the document's _id
    if (result._id === undefined && doc._id !== undefined) result = { _id: doc._id, ...result };
  } else if (isPlainObject(update) && Object.keys(update).some((k) => k.startsWith('$'))) {
    const modifier: Doc = {};
    for (const [op, args] of Object.entries(update)) {
      if (!UPDATE_OPERATORS.has(op)) throw failedToParse(`Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
      if (!isPlainObject(args)) throw failedToParse(`Modifiers operate on fields but we found type ${typeof args} instead.`);
      for (const field of Object.keys(args)) {
        if (field !== '_id' && !field.startsWith('_id.')) continue;
        // setting _id to its current value is allowed; any other change to it is not
        if (!inserting && !(op === '$set' && field === '_id' && compareValues(args[field], doc._id) === 0))
          throw immutableField(`Performing an update on the path '_id' would modify the immutable field '_id'`);
      }
      if (op === '$setOnInsert') {
        if (inserting) modifier.$set = { ...((modifier.$set as Doc) ?? {}), ...args };
      } else if (op === '$set' && modifier.$set) modifier.$set = { ...(modifier.$set as Doc), ...args };
      else modifier[op] = args;
    }
    const simple = arrayFilters ? undefined : applySimpleUpdate(doc, update, inserting);
    if (simple) {
      if (doc._id !== undefined && compareValues(simple.doc._id, doc._id) !== 0)
        throw immutableField(`Performing an update on the path '_id' would modify the immutable field '_id'`);
      return { doc: withIdFirst(simple.doc), changed: simple.changed };
    }
    result = cloneDoc(doc);
    if (Object.keys(modifier).length) mingoUpdate(result, modifier, arrayFilters, inserting ? undefined : filter);
  } else if (isPlainObject(update)) {
    result = { _id: doc._id, ...cloneDoc(update) };
    if (update._id === undefined) result._id = doc._id;
  } else throw failedToParse('Update argument must be either an object or an array');
  if (doc._id !== undefined && compareValues(result._id, doc._id) !== 0)
    throw immutableField(`Performing an update on the path '_id' would modify the immutable field '_id'`);
  result = withIdFirst(result);
  return { doc: result, changed: compareValues(result, doc) !== 0 };
}

function checkUpdateOptions(stmt: Doc): void {
  refuseCollation(stmt.collation);
}

const updateCmd: Handler = async (ctx) => {
  checkFields(ctx, ['updates', 'let']);
  if (ctx.cmd.let !== undefined) throw notImplemented("update option 'let' is not supported");
  const coll = collectionName(ctx);
  const statements = documentsOf(ctx, 'updates');
  // parsed whole before anything runs, as mongod does: a field it does not know (`sort` is 8.0's) fails the command
  for (const stmt of statements)
    for (const key of Object.keys(stmt))
      if (!['q', 'u', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation', 'upsertSupplied'].includes(key)) throw unknownField('update.updates', key);
  const results = await runStatements(ctx, statements, async (stmt) => {
    checkUpdateOptions(stmt);
    const filter = asDoc(stmt.q, 'q');
    const arrayFilters = stmt.arrayFilters as Doc[] | undefined;
    if (stmt.multi && !(isPlainObject(stmt.u) && Object.keys(stmt.u).every((k) => k.startsWith('$'))) && !Array.isArray(stmt.u))
      throw failedToParse('multi update is not supported for replacement-style update');
    for (;;) {
      let targets: Match[];
      if (stmt.multi) targets = matchingDocs(ctx, coll, filter);
      else {
        const first = firstMatch(ctx, coll, filter);
        targets = first ? [first] : [];
      }
      const locked = lockWait(ctx, coll, targets.map((t) => t.id));
      if (locked) {
        await locked;
        continue;
      }
      if (targets.length === 0) {
        if (!stmt.upsert) return { n: 0, nModified: 0 };
        const { doc } = applyUpdate(upsertSeed(filter), stmt.u, filter, arrayFilters, true);
        checkFieldNames(doc);
        if (!(await insertNewDocument(ctx, coll, doc))) continue;
        return { n: 1, nModified: 0, upserted: doc._id };
      }
      // all targets are computed before any is written, so a failing document leaves the others untouched
      const changes = targets.map((t) => ({ id: t.id, ...applyUpdate(t.doc, stmt.u, filter, arrayFilters, false) }));
      let nModified = 0;
      for (const change of changes) {
        if (!change.changed) continue;
        writeDoc(ctx, coll, change.id, change.doc, change.doc._id);
        nModified++;
      }
      return { n: changes.length, nModified };
    }
  });
  const reply: Doc = { n: 0, nModified: 0 };
  const upserted: Doc[] = [];
  results.outcomes.forEach((o, index) => {
    if (!o) return;
    (reply.n as number) += o.n;
    (reply.nModified as number) += o.nModified ?? 0;
    if (o.upserted !== undefined) upserted.push({ index, _id: o.upserted });
  });
  if (upserted.length) reply.upserted = upserted;
  return finishWriteReply(reply, results);
};

const deleteCmd: Handler = async (ctx) => {
  checkFields(ctx, ['deletes', 'let']);
  if (ctx.cmd.let !== undefined) throw notImplemented("delete option 'let' is not supported");
  const coll = collectionName(ctx);
  const results = await runStatements(ctx, documentsOf(ctx, 'deletes'), async (stmt) => {
    for (const key of Object.keys(stmt)) if (!['q', 'limit', 'hint', 'collation'].includes(key)) throw unknownField('delete.deletes', key);
    refuseCollation(stmt.collation);
    const limit = asNumber(stmt.limit, 0);
    for (;;) {
      let targets: Match[];
      if (limit !== 1) targets = matchingDocs(ctx, coll, asDoc(stmt.q, 'q'));
      else {
        const first = firstMatch(ctx, coll, asDoc(stmt.q, 'q'));
        targets = first ? [first] : [];
      }
      const locked = lockWait(ctx, coll, targets.map((t) => t.id));
      if (locked) {
        await locked;
        continue;
      }
      for (const t of targets) writeDoc(ctx, coll, t.id, null, t.doc._id);
      return { n: targets.length };
    }
  });
  return finishWriteReply({ n: results.outcomes.reduce((sum, o) => sum + (o?.n ?? 0), 0) }, results);
};

const findAndModify: Handler = async (ctx) => {
  checkFields(ctx, ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert', 'arrayFilters', 'hint', 'collation', 'let']);
  const record = ctx.retryableWrite;
  // a retry of a findAndModify that was applied answers the first reply (mongod rebuilds it from its
  // stored pre/post image) and marks it as retried
  if (record?.findAndModifyReply) return { ...record.findAndModifyReply, retriedStmtId: 0 };
  const since = record ? ctx.state.storage.sink?.mark() : undefined;
  const reply = await runFindAndModify(ctx);
  if (record) {
    record.findAndModifyReply = reply;
    if (since !== undefined) journalRetryableWrite(ctx, record, since, { f: reply });
  }
  return { ...reply };
};

async function runFindAndModify(ctx: Ctx): Promise<Doc> {
  const cmd = ctx.cmd;
  refuseCollation(cmd.collation);
  if (cmd.let !== undefined) throw notImplemented("findAndModify option 'let' is not supported");
  const coll = collectionName(ctx);
  const filter = asDoc(cmd.query, 'query');
  const sort = cmd.sort === undefined ? undefined : asDoc(cmd.sort, 'sort');
  const fields = cmd.fields === undefined ? undefined : asDoc(cmd.fields, 'fields');
  if (cmd.remove && cmd.update !== undefined) throw failedToParse('Cannot specify both an update and remove=true');
  if (!cmd.remove && cmd.update === undefined) throw failedToParse('Either an update or remove=true must be specified');
  if (cmd.remove && cmd.upsert) throw failedToParse('Cannot specify both upsert=true and remove=true');
  const project = (doc: Doc | null): Doc | null => {
    if (!doc || !fields) return doc;
    return projectOne(doc, fields);
  };
  const arrayFilters = cmd.arrayFilters as Doc[] | undefined;
  try {
    for (;;) {
      const target = firstMatch(ctx, coll, filter, sort);
      const locked = lockWait(ctx, coll, target ? [target.id] : []);
      if (locked) {
        await locked;
        continue;
      }
      if (cmd.remove) {
        if (!target) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
        writeDoc(ctx, coll, target.id, null, target.doc._id);
        return { lastErrorObject: { n: 1 }, value: project(target.doc), ok: 1 };
      }
      if (!target) {
        if (!cmd.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
        const { doc } = applyUpdate(upsertSeed(filter), cmd.update, filter, arrayFilters, true);
        checkFieldNames(doc);
        if (!(await insertNewDocument(ctx, coll, doc))) continue;
        return { lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id }, value: cmd.new ? project(doc) : null, ok: 1 };
      }
      const { doc, changed } = applyUpdate(target.doc, cmd.update, filter, arrayFilters, false);
      if (changed) writeDoc(ctx, coll, target.id, doc, doc._id);
      return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new ? doc : target.doc), ok: 1 };
    }
  } catch (err) {
    if (ctx.txn && !(err instanceof CommandError && err.errorLabels.length)) ctx.state.storage.endTransaction(ctx.txn, 'aborted');
    throw err;
  }
}

// ---------- indexes and collections ----------

function normalizeKey(key: unknown): Record<string, number> {
  if (!isPlainObject(key) || Object.keys(key).length === 0) throw badValue('index key pattern must be a non-empty object');
  const out: Record<string, number> = {};
  for (const [field, dir] of Object.entries(key)) {
    const n = asNumber(dir, Number.NaN);
    if (n !== 1 && n !== -1) throw notImplemented(`index type ${JSON.stringify(dir)} on '${field}' is not supported (only 1 and -1)`);
    out[field] = n;
  }
  return out;
}

const INDEX_OPTIONS = ['key', 'name', 'unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'background', 'v', 'ns', 'hidden'];

function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  return (
    !!a.unique === !!b.unique &&
    !!a.sparse === !!b.sparse &&
    a.expireAfterSeconds === b.expireAfterSeconds &&
    compareValues(a.partialFilterExpression ?? null, b.partialFilterExpression ?? null) === 0
  );
}

const createIndexes: Handler = (ctx) => {
  checkFields(ctx, ['indexes', 'commitQuorum']);
  const name = collectionName(ctx);
  const storage = ctx.state.storage;
  const existed = !!storage.collection(ctx.db, name) || !!ctx.txn?.created.has(`${ctx.db}.${name}`);
  // mongod (4.4+) builds indexes in a transaction only on a collection the transaction itself creates
  if (ctx.txn && storage.collection(ctx.db, name))
    throw new CommandError(263, 'OperationNotSupportedInTransaction', `Cannot create new indexes on existing collection ${ctx.db}.${name} in a multi-document transaction.`);
  const coll = ctx.txn ? storage.txnCollection(ctx.txn, ctx.db, name) : storage.ensureCollection(ctx.db, name);
  const before = coll.indexes.length;
  for (const raw of documentsOf(ctx, 'indexes')) {
    for (const option of Object.keys(raw))
      if (!INDEX_OPTIONS.includes(option)) throw notImplemented(`index option '${option}' is not supported`);
    refuseCollation(raw.collation);
    const key = normalizeKey(raw.key);
    const spec: IndexSpec = { v: 2, key, name: typeof raw.name === 'string' ? raw.name : Object.entries(key).map(([f, d]) => `${f}_${d}`).join('_') };
    if (raw.unique) spec.unique = true;
    if (raw.sparse) spec.sparse = true;
    if (raw.partialFilterExpression !== undefined) spec.partialFilterExpression = asDoc(raw.partialFilterExpression, 'partialFilterExpression');
    if (raw.expireAfterSeconds !== undefined) spec.expireAfterSeconds = asNumber(raw.expireAfterSeconds, 0);
    if (spec.name === '_id_' || (Object.keys(key).length === 1 && key._id === 1 && !spec.unique)) continue;
    const sameName = coll.indexes.find((i) => i.spec.name === spec.name);
    const sameKey = coll.indexes.find((i) => compareValues(i.spec.key, key) === 0 && compareValues(i.spec.partialFilterExpression ?? null, spec.partialFilterExpression ?? null) === 0);
    if (sameName) {
      if (compareValues(sameName.spec.key, key) !== 0)
        throw indexKeySpecsConflict(`An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`);
      if (!sameOptions(sameName.spec, spec)) throw indexOptionsConflict(`An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`);
      continue;
    }
    if (sameKey) {
      if (sameOptions(sameKey.spec, spec)) continue;
      throw indexOptionsConflict(`An equivalent index already exists with a different name and options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameKey.spec)}`);
    }
    // in a transaction the collection is its own until the commit, which journals it with its indexes
    if (ctx.txn) coll.addIndex(spec);
    else storage.createIndex(coll, spec);
  }
  const reply: Doc = { numIndexesBefore: before, numIndexesAfter: coll.indexes.length, createdCollectionAutomatically: !existed };
  if (before === coll.indexes.length) reply.note = 'all indexes already exist';
  reply.ok = 1;
  return reply;
};

const listIndexes: Handler = (ctx) => {
  checkFields(ctx, ['cursor']);
  const name = collectionName(ctx);
  const coll = ctx.state.storage.collection(ctx.db, name);
  if (!coll) throw new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  const specs = coll.indexes.map((i) => ({ ...i.spec }));
  const batchSize = isPlainObject(ctx.cmd.cursor) ? (ctx.cmd.cursor.batchSize as number | undefined) : undefined;
  return { cursor: ctx.state.cursors.create(`${ctx.db}.${name}`, specs, { batchSize }), ok: 1 };
};

const dropIndexes: Handler = (ctx) => {
  checkFields(ctx, ['index']);
  const name = collectionName(ctx);
  const coll = ctx.state.storage.collection(ctx.db, name);
  if (!coll) throw new CommandError(26, 'NamespaceNotFound', `ns not found ${ctx.db}.${name}`);
  const nIndexesWas = coll.indexes.length;
  const which = ctx.cmd.index;
  const names: string[] = [];
  if (which === '*') names.push(...coll.secondaryIndexes.map((i) => i.spec.name));
  else if (typeof which === 'string') names.push(which);
  else if (Array.isArray(which)) names.push(...which.map(String));
  else if (isPlainObject(which)) {
    const found = coll.indexes.find((i) => compareValues(i.spec.key, which) === 0);
    if (!found) throw indexNotFound(`can't find index with key: ${JSON.stringify(which)}`);
    names.push(found.spec.name);
  } else throw typeMismatch("'index' must be a string, array or object");
  for (const n of names) {
    if (n === '_id_') throw new CommandError(72, 'InvalidOptions', 'cannot drop _id index');
    if (!coll.indexes.some((i) => i.spec.name === n)) throw indexNotFound(`index not found with name [${n}]`);
  }
  for (const n of names) ctx.state.storage.dropIndex(coll, n);
  return { nIndexesWas, ok: 1 };
};

const create: Handler = (ctx) => {
  checkFields(ctx, ['capped', 'size', 'max', 'validator', 'validationLevel', 'validationAction', 'timeseries', 'clusteredIndex',
    'changeStreamPreAndPostImages', 'expireAfterSeconds', 'viewOn', 'pipeline', 'collation', 'storageEngine', 'indexOptionDefaults', 'encryptedFields']);
  for (const option of Object.keys(ctx.cmd)) {
    if (option === 'create' || GENERIC_FIELDS.has(option)) continue;
    if (option === 'capped' && !ctx.cmd.capped) continue;
    throw notImplemented(`create option '${option}' is not supported`);
  }
  const name = collectionName(ctx);
  const { storage } = ctx.state;
  if (storage.collection(ctx.db, name) || ctx.txn?.created.has(`${ctx.db}.${name}`)) throw namespaceExists(`Collection ${ctx.db}.${name} already exists.`);
  if (ctx.txn) storage.txnCollection(ctx.txn, ctx.db, name);
  else storage.ensureCollection(ctx.db, name);
  return { ok: 1 };
};

const drop: Handler = (ctx) => {
  checkFields(ctx, []);
  const name = collectionName(ctx);
  const coll = ctx.state.storage.collection(ctx.db, name);
  const nIndexesWas = coll?.indexes.length ?? 0;
  ctx.state.storage.dropCollection(ctx.db, name);
  return { nIndexesWas, ns: `${ctx.db}.${name}`, ok: 1 };
};

const dropDatabase: Handler = (ctx) => {
  checkFields(ctx, []);
  ctx.state.storage.dropDatabase(ctx.db);
  return { dropped: ctx.db, ok: 1 };
};

const listCollections: Handler = (ctx) => {
  checkFields(ctx, ['filter', 'nameOnly', 'authorizedCollections', 'cursor']);
  const colls = ctx.state.storage.databases.get(ctx.db) ?? new Map<string, Collection>();
  const nameOnly = ctx.cmd.nameOnly === true;
  const infos: Doc[] = [...colls.keys()].map((name) =>
    nameOnly
      ? { name, type: 'collection' }
      : { name, type: 'collection', options: {}, info: { readOnly: false, uuid: new UUID() }, idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } },
  );
  const filter = asDoc(ctx.cmd.filter, 'filter');
  const matched = mingoFind(infos, filter).all() as Doc[];
  const batchSize = isPlainObject(ctx.cmd.cursor) ? (ctx.cmd.cursor.batchSize as number | undefined) : undefined;
  return { cursor: ctx.state.cursors.create(`${ctx.db}.$cmd.listCollections`, matched, { batchSize }), ok: 1 };
};

const listDatabases: Handler = (ctx) => {
  checkFields(ctx, ['filter', 'nameOnly', 'authorizedDatabases']);
  const dbs = [...ctx.state.storage.databases.entries()].map(([name, colls]) => ({
    name,
    sizeOnDisk: 0,
    empty: [...colls.values()].every((c) => c.docs.size === 0),
  }));
  const matched = mingoFind(dbs, asDoc(ctx.cmd.filter, 'filter')).all() as Doc[];
  if (ctx.cmd.nameOnly) return { databases: matched.map((d) => ({ name: d.name })), ok: 1 };
  return { databases: matched, totalSize: 0, totalSizeMb: 0, ok: 1 };
};

// ---------- server and sessions ----------

function helloReply(ctx: Ctx): Doc {
  const { state } = ctx;
  const appName = ((ctx.cmd.client as Doc | undefined)?.application as Doc | undefined)?.name;
  if (typeof appName === 'string') state.appNames.set(ctx.connectionId, appName);
  const legacy = ctx.name.toLowerCase() === 'ismaster';
  return {
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    helloOk: true,
    setName: SET_NAME,
    setVersion: 1,
    hosts: [state.address],
    primary: state.address,
    me: state.address,
    secondary: false,
    electionId: state.electionId,
    lastWrite: { lastWriteDate: new Date(), majorityWriteDate: new Date() },
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

const buildInfo: Handler = () => ({
  version: '7.0.0',
  gitVersion: 'embedded-mongo',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: 16 * 1024 * 1024,
  storageEngines: ['embedded'],
  ok: 1,
});

function sessionKey(lsid: unknown): string | undefined {
  if (!isPlainObject(lsid)) return undefined;
  const id = lsid.id as { toString(enc: string): string } | undefined;
  return id ? id.toString('hex') : undefined;
}

const endSessions: Handler = (ctx) => {
  const list = (ctx.cmd[ctx.name] as unknown[]) ?? [];
  for (const lsid of list) {
    const key = sessionKey(lsid);
    if (!key) continue;
    const session = ctx.state.sessions.get(key);
    if (session?.txn) ctx.state.storage.endTransaction(session.txn, 'aborted');
    ctx.state.sessions.delete(key);
  }
  return { ok: 1 };
};

const commitTransaction: Handler = (ctx) => {
  if (!ctx.txn) throw new CommandError(263, 'OperationNotSupportedInTransaction', 'commitTransaction must be run within a transaction');
  if (ctx.txn.state === 'active') ctx.state.storage.commitTransaction(ctx.txn);
  return { ok: 1 };
};

const abortTransaction: Handler = (ctx) => {
  if (!ctx.txn) throw new CommandError(263, 'OperationNotSupportedInTransaction', 'abortTransaction must be run within a transaction');
  ctx.state.storage.endTransaction(ctx.txn, 'aborted');
  return { ok: 1 };
};

const configureFailPoint: Handler = (ctx) => {
  if (ctx.db !== 'admin') throw new CommandError(13, 'Unauthorized', 'configureFailPoint may only be run against the admin database.');
  return ctx.state.failPoints.configure(ctx.cmd);
};

const HANDLERS: Record<string, Handler> = {
  ping: () => ({ ok: 1 }),
  configureFailPoint,
  hello: helloReply,
  ismaster: helloReply,
  isMaster: helloReply,
  buildInfo,
  buildinfo: buildInfo,
  listDatabases,
  listCollections,
  create,
  drop,
  dropDatabase,
  insert,
  find,
  getMore,
  killCursors,
  update: updateCmd,
  delete: deleteCmd,
  findAndModify,
  findandmodify: findAndModify,
  count,
  distinct,
  aggregate: aggregateCmd,
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
  endSessions,
  killSessions: endSessions,
  commitTransaction,
  abortTransaction,
};

/**
 * Commands that may run inside a multi-document transaction. Not `count`: mongod refuses it there (263), and
 * code that counted inside a transaction here would fail in production; countDocuments is an aggregate.
 */
const TXN_COMMANDS = new Set(['find', 'getMore', 'killCursors', 'insert', 'update', 'delete', 'findAndModify', 'findandmodify',
  'distinct', 'aggregate', 'commitTransaction', 'abortTransaction', 'create', 'createIndexes']);

/** Ties a command to its session's transaction, starting one on `startTransaction`. */
function attachTransaction(ctx: Ctx): Doc | undefined {
  const { cmd, state } = ctx;
  if (cmd.autocommit === undefined) return undefined;
  if (cmd.autocommit !== false) throw badValue('autocommit may only be specified as false');
  const key = sessionKey(cmd.lsid);
  if (!key || cmd.txnNumber === undefined) throw badValue('autocommit requires lsid and txnNumber');
  if (!TXN_COMMANDS.has(ctx.name))
    throw new CommandError(263, 'OperationNotSupportedInTransaction', `Cannot run '${ctx.name}' in a multi-document transaction.`);
  const txnNumber = asNumber(cmd.txnNumber, 0);
  let session = state.sessions.get(key);
  if (!session) state.sessions.set(key, (session = { txnNumber, lastUsed: Date.now() }));
  session.lastUsed = Date.now();
  if (cmd.startTransaction === true) {
    if (txnNumber < session.txnNumber)
      throw new CommandError(225, 'TransactionTooOld', `txnNumber ${txnNumber} is less than last txnNumber ${session.txnNumber} seen in session`);
    if (session.txn && session.txn.state === 'active') state.storage.endTransaction(session.txn, 'aborted');
    session.txnNumber = txnNumber;
    session.txn = state.storage.beginTransaction(txnNumber);
    ctx.txn = session.txn;
    return undefined;
  }
  const txn = session.txn;
  if (!txn || txn.txnNumber !== txnNumber) throw noSuchTransaction(txnNumber);
  // a retried commit of a committed transaction succeeds again
  if (txn.state === 'committed' && ctx.name === 'commitTransaction') return { ok: 1 };
  if (txn.state === 'committed') throw new CommandError(256, 'TransactionCommitted', `Transaction ${txnNumber} has been committed.`);
  if (txn.state !== 'active') throw noSuchTransaction(txnNumber);
  ctx.txn = txn;
  return undefined;
}

const SNAPSHOT_READ_COMMANDS = new Set(['find', 'aggregate', 'distinct']);

/** Write commands the driver retries once with the same lsid and txnNumber (outside transactions). */
const RETRYABLE_WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);

/**
 * Finds or starts the record of a retryable write. A new, higher txnNumber replaces the session's
 * previous record (and aborts a transaction still open on it, as mongod does); the same txnNumber is
 * a retry and gets the existing record; a lower one is refused.
 */
function retryableWriteSession(ctx: Ctx): Session | undefined {
  const { cmd, state } = ctx;
  if (cmd.txnNumber === undefined || cmd.autocommit !== undefined || !RETRYABLE_WRITE_COMMANDS.has(ctx.name)) return undefined;
  const key = sessionKey(cmd.lsid);
  if (!key) throw new CommandError(50768, 'Location50768', 'Transaction number requires a session ID to also be specified');
  let session = state.sessions.get(key);
  if (!session) state.sessions.set(key, (session = { txnNumber: -1, lastUsed: Date.now() }));
  session.lastUsed = Date.now();
  return session;
}

function attachRetryableWrite(ctx: Ctx, session: Session): void {
  const txnNumber = asNumber(ctx.cmd.txnNumber, 0);
  if (txnNumber < session.txnNumber)
    throw transactionTooOld(
      `Retryable write with txnNumber ${txnNumber} is prohibited on session ${sessionKey(ctx.cmd.lsid)} because a newer retryable write with txnNumber ${session.txnNumber} has already started on this session.`,
    );
  if (txnNumber > session.txnNumber || !session.retryableWrite || session.retryableWrite.txnNumber !== txnNumber) {
    if (session.txn?.state === 'active') ctx.state.storage.endTransaction(session.txn, 'aborted');
    session.txnNumber = txnNumber;
    session.retryableWrite = { txnNumber, statements: new Map() };
  }
  ctx.retryableWrite = session.retryableWrite;
}

/**
 * Executes one command document and returns the reply document (errors become `ok: 0` replies), stamped with
 * the cluster time as a replica-set member's replies are; null when a fail point says to close the connection
 * instead of replying.
 */
export async function runCommand(state: ServerState, cmd: Doc, connectionId: number): Promise<Doc | null> {
  if (cmd.$clusterTime !== undefined) state.clock.receive(cmd.$clusterTime);
  const reply = await execute(state, cmd, connectionId);
  if (reply) {
    if (cmd.writeConcern !== undefined && reply.ok === 1) {
      const error = writeConcernErrorOf(cmd.writeConcern);
      if (error) reply.writeConcernError = error;
    }
    state.clock.stamp(reply, state.storage.changes);
  }
  return reply;
}

/**
 * A write concern one member cannot satisfy: as on mongod, the command has run, and its reply carries a
 * writeConcernError (w above the number of members, or a tag mode the set's configuration does not name).
 */
function writeConcernErrorOf(writeConcern: unknown): Doc | undefined {
  const w = isPlainObject(writeConcern) ? writeConcern.w : undefined;
  if (typeof w === 'number' && w > 1) return { code: 100, codeName: 'UnsatisfiableWriteConcern', errmsg: 'Not enough data-bearing nodes' };
  if (typeof w === 'string' && w !== 'majority')
    return { code: 79, codeName: 'UnknownReplWriteConcern', errmsg: `No write concern mode named '${w}' found in replica set configuration` };
  return undefined;
}

/**
 * Runs a command under the fail points that apply to it (called only while one is set): failCommand's closed
 * connection (null), delay, error or write concern error, and onPrimaryTransactionalWrite's failure before a
 * retryable write applies or closed connection after it has.
 */
async function runWithFailPoints(ctx: Ctx, run: () => Promise<Doc>): Promise<Doc | null> {
  const { state, cmd, name } = ctx;
  const action = state.failPoints.failCommand({
    name,
    appName: state.appNames.get(ctx.connectionId),
    retryableWrite: cmd.txnNumber !== undefined && cmd.autocommit === undefined,
    inTransaction: cmd.autocommit === false,
  });
  if (action?.closeConnection) return null;
  // As on mongod, the hold is an interruptible sleep: the client's disconnect ends it and the command never runs.
  if (action?.blockTimeMS && (await heldUntilClosed(state, ctx.connectionId, action.blockTimeMS))) return null;
  if (action?.error) throw action.error;
  // as on mongod it fires where a write is applied, so not for a retry answered wholly from the record
  const onWrite = ctx.retryableWrite && !answeredFromRecord(ctx, ctx.retryableWrite) ? state.failPoints.onTransactionalWrite() : undefined;
  if (onWrite instanceof CommandError) throw onWrite;
  const record = ctx.retryableWrite;
  const appliedBefore = record ? record.statements.size + (record.findAndModifyReply ? 1 : 0) : 0;
  const reply = await run();
  // the connection drops only if the write applied something (a statement that failed wrote nothing)
  if (onWrite === 'close' && record && record.statements.size + (record.findAndModifyReply ? 1 : 0) > appliedBefore) return null;
  if (action?.writeConcernError && reply.ok === 1) {
    reply.writeConcernError = action.writeConcernError.error;
    if (action.writeConcernError.labels.length) reply.errorLabels = action.writeConcernError.labels;
  }
  return reply;
}

/** Waits `ms` or until the connection closes; true if it closed. */
function heldUntilClosed(state: ServerState, connectionId: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let watchers = state.closeWatchers.get(connectionId);
    if (!watchers) state.closeWatchers.set(connectionId, (watchers = new Set()));
    const closed = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      watchers!.delete(closed);
      resolve(false);
    }, ms);
    watchers.add(closed);
  });
}

function answeredFromRecord(ctx: Ctx, record: RetryableWriteRecord): boolean {
  if (ctx.name === 'findAndModify' || ctx.name === 'findandmodify') return !!record.findAndModifyReply;
  const statements = ctx.cmd.documents ?? ctx.cmd.updates ?? ctx.cmd.deletes;
  return Array.isArray(statements) && statements.every((_, i) => record.statements.has(i));
}

async function execute(state: ServerState, cmd: Doc, connectionId: number): Promise<Doc | null> {
  const name = Object.keys(cmd)[0] ?? '';
  const db = typeof cmd.$db === 'string' ? cmd.$db : 'admin';
  const ctx: Ctx = { state, db, cmd, name, connectionId };
  let session: Session | undefined;
  let finished: (() => void) | undefined;
  try {
    const handler = Object.prototype.hasOwnProperty.call(HANDLERS, name) ? HANDLERS[name] : undefined;
    if (!handler) throw commandNotFound(name);
    if (state.memory && addsData(cmd, name) && state.memory.exceeded())
      throw new CommandError(146, 'ExceededMemoryLimit', 'The embedded server is out of memory for more data: this write was not applied.');
    const readConcern = cmd.readConcern as Doc | undefined;
    if (readConcern !== undefined) {
      if (readConcern.afterClusterTime !== undefined) state.clock.checkAfterClusterTime(readConcern.afterClusterTime, state.storage.changes);
      if (readConcern.level === 'snapshot' && cmd.autocommit === undefined) {
        // mongod 5.0+ reads at a snapshot outside transactions for these three only
        if (!SNAPSHOT_READ_COMMANDS.has(name))
          throw new CommandError(72, 'InvalidOptions', `Command ${name} does not support { readConcern: { level: "snapshot" } } outside a multi-document transaction`);
        ctx.snapshotTime = snapshotReadTime(state.clock, readConcern.atClusterTime, state.storage.changes);
      } else if (readConcern.atClusterTime !== undefined && cmd.autocommit === undefined)
        throw new CommandError(72, 'InvalidOptions', 'readConcern atClusterTime is only valid with level snapshot');
    }
    session = retryableWriteSession(ctx);
    if (session) {
      while (session.busy) await session.busy;
      session.busy = new Promise<void>((resolve) => (finished = resolve));
      attachRetryableWrite(ctx, session);
    }
    const early = attachTransaction(ctx);
    const run = async () => early ?? (await handler(ctx));
    try {
      return state.failPoints.active ? await runWithFailPoints(ctx, run) : await run();
    } catch (err) {
      // mongod aborts a transaction when one of its statements fails
      if (ctx.txn && name !== 'commitTransaction') state.storage.endTransaction(ctx.txn, 'aborted');
      throw err;
    }
  } catch (err) {
    const error = toCommandError(err);
    const reply: Doc = { ok: 0, errmsg: error.message, code: error.code, codeName: error.codeName, ...error.extra };
    if (error.errorLabels.length) reply.errorLabels = error.errorLabels;
    return reply;
  } finally {
    if (session && finished) {
      session.busy = undefined;
      finished();
    }
  }
}

/** Commands that can make the data bigger (deletes, drops and reads are always let through). */
function addsData(cmd: Doc, name: string): boolean {
  if (name === 'aggregate') {
    const last = Array.isArray(cmd.pipeline) ? (cmd.pipeline.at(-1) as Doc | undefined) : undefined;
    return !!last && ('$out' in last || '$merge' in last);
  }
  return GROWING_COMMANDS.has(name);
}
const GROWING_COMMANDS = new Set(['insert', 'update', 'findAndModify', 'findandmodify', 'create', 'createIndexes']);

// ---------- retryable-write records across restarts ----------

const statementRecord = (i: number, o: StatementOutcome): Doc => ({ i, n: o.n, m: o.nModified, u: o.upserted });

/** With a data directory, a retryable write's outcome is journaled with the write itself (see Durability). */
function journalRetryableWrite(ctx: Ctx, record: RetryableWriteRecord, since: number, outcome: Doc): void {
  ctx.state.storage.sink?.retryableWrite({ s: sessionKey(ctx.cmd.lsid), t: record.txnNumber, ...outcome }, since);
}

/** Every session's latest retryable write, for a snapshot of the data directory. */
export function retryableWriteRecords(state: ServerState): Doc[] {
  const out: Doc[] = [];
  for (const [key, session] of state.sessions) {
    const record = session.retryableWrite;
    if (!record || record.txnNumber !== session.txnNumber) continue;
    const rw: Doc = { s: key, t: record.txnNumber, st: [...record.statements].map(([i, o]) => statementRecord(i, o)) };
    if (record.findAndModifyReply) rw.f = record.findAndModifyReply;
    out.push(rw);
  }
  return out;
}

/** Recovery: puts a journaled retryable-write record back on its session (a newer txnNumber replaces an older). */
export function restoreRetryableWrite(state: ServerState, rw: Doc): void {
  const key = String(rw.s);
  const txnNumber = asNumber(rw.t, 0);
  let session = state.sessions.get(key);
  if (!session) state.sessions.set(key, (session = { txnNumber, lastUsed: Date.now() }));
  if (txnNumber < session.txnNumber) return;
  if (txnNumber > session.txnNumber || session.retryableWrite?.txnNumber !== txnNumber) {
    session.txnNumber = txnNumber;
    session.retryableWrite = { txnNumber, statements: new Map() };
  }
  const record = session.retryableWrite!;
  for (const st of (rw.st as Doc[] | undefined) ?? []) {
    const outcome: StatementOutcome = { n: asNumber(st.n, 0) };
    if (st.m !== undefined) outcome.nModified = asNumber(st.m, 0);
    if (st.u !== undefined) outcome.upserted = st.u;
    record.statements.set(asNumber(st.i, 0), outcome);
  }
  if (isPlainObject(rw.f)) record.findAndModifyReply = rw.f;
}

/** Aborts transactions open longer than mongod's default transactionLifetimeLimitSeconds. */
export function reapTransactions(state: ServerState, maxAgeMs: number): void {
  const now = Date.now();
  for (const txn of [...state.storage.activeTxns]) if (now - txn.startedAt > maxAgeMs) state.storage.endTransaction(txn, 'aborted');
  for (const [key, session] of state.sessions) if (now - session.lastUsed > 30 * 60_000) state.sessions.delete(key);
}
