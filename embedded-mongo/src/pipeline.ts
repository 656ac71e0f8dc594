import { Aggregator, aggregate as mingoAggregate } from 'mingo';
import type * as MingoCore from 'mingo/types/core';
import type * as MingoUtil from 'mingo/types/util';
import { LookupSource, runLookup, simpleLookupOf } from './lookup';
import { MingoOptions, mingoQuery, StageOptions, stageOptions } from './mingoOptions';
import { cloneDoc, Doc, isPlainObject } from './values';
import { sortInSlices, Slicer } from './yielding';

// mingo's subpath exports ('mingo/core', 'mingo/util'), which this repository's `moduleResolution: node` cannot type
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { evalExpr } = require('mingo/core') as typeof MingoCore;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compare, HashMap, resolve } = require('mingo/util') as typeof MingoUtil;


/**
 * Stages mingo computes one document at a time, lazily: a run of them is pulled from mingo's iterator one document
 * at a time, so it can stop at the end of a slice. ($count, $group, $sort, $facet… read all of their input at once.)
 */
const STREAMING_STAGES = new Set([
  '$match', '$project', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$unwind', '$limit', '$skip',
  '$redact', '$lookup', '$graphLookup',
]);

/** mongod's output of these stages starts with _id; mingo's may not. */
const ID_FIRST_STAGES = new Set(['$project', '$bucket', '$bucketAuto', '$setWindowFields']);

function idFirst(doc: Doc): Doc {
  const keys = Object.keys(doc);
  if (keys[0] === '_id' || !('_id' in doc)) return doc;
  const out: Doc = { _id: doc._id };
  for (const k of keys) if (k !== '_id') out[k] = doc[k];
  return out;
}

export interface PipelineEnv {
  options: MingoOptions;
  lookupSource: (collection: string) => LookupSource;
  slicer: Slicer;
}

/**
 * Runs an aggregation pipeline with mingo's semantics and results, in slices: streaming stages are pulled a
 * document at a time; `$group`, `$sort`, `$sortByCount`, simple `$lookup` and `$facet` are computed here, step by
 * step, with mingo's expressions, accumulators, comparison and grouping; the remaining stages ($bucket,
 * $setWindowFields…) run through mingo in one go.
 */
export async function runPipeline(input: Doc[], pipeline: Doc[], env: PipelineEnv): Promise<Doc[]> {
  let docs = input;
  let streaming: Doc[] = [];
  let stageOpts: StageOptions | undefined;
  const opts = () => (stageOpts ??= stageOptions(env.options));
  const drain = async () => {
    if (streaming.length) docs = await pullInSlices(docs, streaming, env);
    streaming = [];
  };
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0];
    const spec = stage[name];
    const lookup = simpleLookupOf(stage);
    if (!lookup && STREAMING_STAGES.has(name) && Object.keys(stage).length === 1) {
      streaming.push(stage);
      // later stages see the documents with _id first, as they are on mongod
      if (ID_FIRST_STAGES.has(name)) await drain();
      continue;
    }
    await drain();
    if (lookup) docs = await runLookup(docs, lookup, env.lookupSource(lookup.from), env.slicer);
    else if (name === '$group' && isPlainObject(spec) && '_id' in spec && Object.keys(stage).length === 1) docs = await groupInSlices(docs, spec, opts(), env.slicer);
    else if (name === '$sort' && isSimpleSort(spec) && Object.keys(stage).length === 1) docs = await sortDocsInSlices(docs, spec as Record<string, 1 | -1>, env.slicer);
    else if (name === '$sortByCount' && Object.keys(stage).length === 1) {
      // mingo's own definition: $group by the expression with a count, then $sort by it descending
      docs = await groupInSlices(docs, { _id: spec, count: { $sum: 1 } }, opts(), env.slicer);
      docs = await sortDocsInSlices(docs, { count: -1 }, env.slicer);
    } else if (name === '$facet' && isPlainObject(spec) && Object.values(spec).every(Array.isArray) && Object.keys(stage).length === 1) docs = [await facetInSlices(docs, spec, env)];
    else {
      docs = mingoAggregate(docs, [stage], env.options) as Doc[];
      if (ID_FIRST_STAGES.has(name)) docs = docs.map(idFirst);
    }
  }
  await drain();
  return docs;
}

/** Pulls a run of streaming stages through mingo's lazy iterator, pausing at the end of each slice. */
async function pullInSlices(input: Doc[], stages: Doc[], env: PipelineEnv): Promise<Doc[]> {
  const iterator = new Aggregator(stages, env.options).stream(input);
  const last = Object.keys(stages[stages.length - 1])[0];
  const reorder = ID_FIRST_STAGES.has(last);
  const out: Doc[] = [];
  const { slicer } = env;
  for (;;) {
    const next = iterator.next();
    if (next.done) break;
    out.push(reorder ? idFirst(next.value as Doc) : (next.value as Doc));
    if (slicer.due()) await slicer.pause();
  }
  return out;
}

export const isSimpleSort = (spec: unknown): boolean =>
  isPlainObject(spec) && Object.keys(spec).length > 0 && Object.values(spec).every((v) => v === 1 || v === -1);

/**
 * mingo's `$sort`, step by step: for each key from the last to the first, the documents are grouped by the key's
 * value (mingo's hashing), the distinct values sorted with mingo's comparison (descending = that order reversed)
 * and the documents laid out group after group, which is a stable sort by all keys.
 */
export async function sortDocsInSlices(input: Doc[], spec: Record<string, 1 | -1>, slicer: Slicer): Promise<Doc[]> {
  let docs = input;
  for (const key of Object.keys(spec).reverse()) {
    const groups = HashMap.init<unknown, Doc[]>();
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i];
      const value = resolve(doc, key) ?? null;
      const group = groups.get(value);
      if (group) group.push(doc);
      else groups.set(value, [doc]);
      if ((i & 63) === 0 && slicer.due()) await slicer.pause();
    }
    const values = await sortInSlices([...groups.keys()], valueComparator([...groups.keys()]), slicer);
    if (spec[key] === -1) values.reverse();
    const out: Doc[] = new Array(docs.length);
    let n = 0;
    for (const value of values) {
      for (const doc of groups.get(value)!) out[n++] = doc;
      if (slicer.due()) await slicer.pause();
    }
    docs = out;
  }
  return docs;
}

/**
 * The order mingo gives a sort key's distinct values: native order when all are strings (code units) or all
 * numbers (as a Float64Array sorts them, NaN last), otherwise its `compare`.
 */
function valueComparator(values: unknown[]): (a: unknown, b: unknown) => number {
  if (values.every((v) => typeof v === 'string')) return (a, b) => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0);
  if (values.every((v) => typeof v === 'number'))
    return (a, b) => {
      const x = a as number;
      const y = b as number;
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
      if (Number.isNaN(y)) return -1;
      return x < y ? -1 : x > y ? 1 : 0;
    };
  return compare as (a: unknown, b: unknown) => number;
}

/** Accumulators computed here from their operand's values, evaluated a chunk of documents at a time. */
const SLICED_ACCUMULATORS = new Set(['$sum', '$avg', '$min', '$max', '$push', '$addToSet', '$count']);
/** Groups up to this size have their accumulators evaluated by mingo in one call. */
const SMALL_GROUP = 2048;
const CHUNK = 512;

/**
 * mingo's `$group`, step by step: documents are partitioned by their `_id` expression (mingo's hashing, first-seen
 * order), then each group's accumulators are evaluated; in a large group, the common accumulators take their
 * operand's values a chunk at a time (mingo's `$push`) and fold them as mingo's accumulators do.
 */
async function groupInSlices(docs: Doc[], spec: Doc, options: StageOptions, slicer: Slicer): Promise<Doc[]> {
  const idExpr = spec._id;
  const fields = Object.keys(spec).filter((k) => k !== '_id');
  const partitions = HashMap.init<unknown, Doc[]>();
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i];
    const key = evalExpr(doc, idExpr, options as never) ?? null;
    const group = partitions.get(key);
    if (group) group.push(doc);
    else partitions.set(key, [doc]);
    if ((i & 15) === 0 && slicer.due()) await slicer.pause();
  }
  // as mingo's $group: one copy of the options (update() changes it in place), set to each group in turn
  const groupOptions = (options.constructor as unknown as { init(o: StageOptions): StageOptions }).init(options);
  const out: Doc[] = [];
  for (const [groupId, members] of partitions) {
    const result: Doc = { _id: groupId };
    groupOptions.update({ root: null, groupId });
    for (const field of fields) {
      const expr = spec[field];
      const op = isPlainObject(expr) && Object.keys(expr).length === 1 ? Object.keys(expr)[0] : undefined;
      if (members.length <= SMALL_GROUP || !op || !SLICED_ACCUMULATORS.has(op)) result[field] = evalExpr(members, expr, groupOptions as never);
      else result[field] = await accumulateInSlices(members, op, (expr as Doc)[op], groupOptions, slicer);
      if (slicer.due()) await slicer.pause();
    }
    out.push(result);
  }
  return out;
}

/** One accumulator over a large group, with mingo's results (see node_modules/mingo/…/accumulator). */
async function accumulateInSlices(members: Doc[], op: string, operand: unknown, options: StageOptions, slicer: Slicer): Promise<unknown> {
  if (op === '$count') return members.length;
  if (op === '$sum' && typeof operand === 'number') return members.length * operand;
  const values: unknown[] = [];
  for (let start = 0; start < members.length; start += CHUNK) {
    const pushed = evalExpr(members.slice(start, start + CHUNK), { $push: operand }, options as never) as unknown[];
    for (const v of pushed) values.push(v);
    if (slicer.due()) await slicer.pause();
  }
  return fold(op, values, slicer);
}

/** What mingo's accumulator `op` makes of its operand's values (mingo's `$push` of it over the group). */
async function fold(op: string, values: unknown[], slicer: Slicer): Promise<unknown> {
  switch (op) {
    case '$push':
      return values;
    case '$sum': {
      let sum = 0;
      for (const v of values) if (typeof v === 'number') sum += v;
      return sum;
    }
    case '$avg': {
      let sum = 0;
      let n = 0;
      for (const v of values)
        if (typeof v === 'number') {
          sum += v;
          n++;
        }
      return n === 0 ? null : sum / n;
    }
    case '$min': {
      // the first of the smallest, as mingo's stable sort of the non-null values gives
      let best: unknown;
      let found = false;
      for (const v of values) {
        if (v === null || v === undefined) continue;
        if (!found || compare(v, best) < 0) {
          best = v;
          found = true;
        }
      }
      return found ? best : null;
    }
    case '$max': {
      // the last of the largest, as mingo's stable sort of all values gives
      let best: unknown = values[0];
      for (let i = 1; i < values.length; i++) if (compare(values[i], best) >= 0) best = values[i];
      return best === undefined || best === null ? null : best;
    }
    case '$addToSet': {
      const set = HashMap.init<unknown, true>();
      for (let i = 0; i < values.length; i++) {
        set.set(values[i], true);
        if ((i & 255) === 0 && slicer.due()) await slicer.pause();
      }
      return [...set.keys()];
    }
  }
  throw new Error(`unexpected accumulator ${op}`);
}

/** Accumulators a group can compute from its operand's values and its first and last documents. */
const FOLDABLE_ACCUMULATORS = new Set([...SLICED_ACCUMULATORS, '$first', '$last']);

/** Whether a `$group` can be computed by `groupFromScan` (every accumulator foldable). */
export function foldableGroup(stage: Doc | undefined): stage is { $group: Doc } {
  if (!stage || Object.keys(stage).length !== 1 || !isPlainObject(stage.$group) || !('_id' in stage.$group)) return false;
  return Object.entries(stage.$group).every(
    ([field, expr]) => field === '_id' || (isPlainObject(expr) && Object.keys(expr).length === 1 && FOLDABLE_ACCUMULATORS.has(Object.keys(expr)[0])),
  );
}

interface FoldingGroup {
  n: number;
  first: Doc;
  last: Doc;
  /** Per accumulator, its operand's value for each document (what mingo's `$push` of it gives). */
  values: unknown[][];
}

/**
 * `[$match?, $group]` straight from a scan, with mingo's results: each document is tested against the `$match`
 * (mingo's), put in its group and reduced to its accumulators' operand values there, so a dashboard's group
 * over 100,000 documents keeps numbers rather than every document until the end (which filled the young
 * generation with survivors and made each scavenge hold every connection for tens of ms). `$first`/`$last` keep
 * their one document.
 */
export async function groupFromScan(docs: Iterable<Doc>, match: Doc | undefined, spec: Doc, env: PipelineEnv): Promise<Doc[]> {
  const { slicer } = env;
  const options = stageOptions(env.options);
  const test = match ? mingoQuery(match) : undefined;
  const idExpr = spec._id;
  const fields = Object.keys(spec).filter((k) => k !== '_id');
  const ops = fields.map((field) => Object.keys(spec[field] as Doc)[0]);
  const operands = fields.map((field, i) => (spec[field] as Doc)[ops[i]]);
  // as mingo's $push: the operand of each document evaluated with that document as root (nil operand: the document)
  const needsValues = ops.map((op, i) => !(op === '$first' || op === '$last' || op === '$count' || (op === '$sum' && typeof operands[i] === 'number')));
  const operandOptions = (options.constructor as unknown as { init(o: StageOptions): StageOptions }).init(options);
  const partitions = HashMap.init<unknown, FoldingGroup>();
  let seen = 0;
  for (const doc of docs) {
    if ((++seen & 15) === 0 && slicer.due()) await slicer.pause();
    if (test && !test.test(doc)) continue;
    const key = evalExpr(doc, idExpr, options as never) ?? null;
    let group = partitions.get(key);
    if (!group) partitions.set(key, (group = { n: 0, first: doc, last: doc, values: fields.map(() => []) }));
    group.n++;
    group.last = doc;
    for (let i = 0; i < fields.length; i++)
      if (needsValues[i]) {
        const operand = operands[i];
        group.values[i].push(operand === null || operand === undefined ? doc : (evalExpr(doc, operand, operandOptions.update({ root: doc }) as never) ?? null));
      }
  }
  const groupOptions = (options.constructor as unknown as { init(o: StageOptions): StageOptions }).init(options);
  const out: Doc[] = [];
  for (const [groupId, group] of partitions) {
    const result: Doc = { _id: groupId };
    groupOptions.update({ root: null, groupId });
    for (let i = 0; i < fields.length; i++) {
      const op = ops[i];
      if (op === '$first') result[fields[i]] = evalExpr([group.first], spec[fields[i]], groupOptions as never);
      else if (op === '$last') result[fields[i]] = evalExpr([group.last], spec[fields[i]], groupOptions as never);
      else if (op === '$count') result[fields[i]] = group.n;
      else if (!needsValues[i]) result[fields[i]] = group.n * (operands[i] as number);
      else result[fields[i]] = await fold(op, group.values[i], slicer);
    }
    out.push(result);
    if (slicer.due()) await slicer.pause();
  }
  return out;
}

/** mingo's `$facet`: each sub-pipeline over its own copy of the input (mingo clones the input for each). */
async function facetInSlices(docs: Doc[], spec: Doc, env: PipelineEnv): Promise<Doc> {
  const out: Doc = {};
  for (const [name, pipeline] of Object.entries(spec)) {
    const copies: Doc[] = [];
    for (const doc of docs) {
      copies.push(cloneDoc(doc));
      if (env.slicer.due()) await env.slicer.pause();
    }
    out[name] = await runPipeline(copies, pipeline as Doc[], env);
  }
  return out;
}
