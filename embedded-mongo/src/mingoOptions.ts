import { Aggregator, aggregate as mingoAggregate, Context } from 'mingo';
import type * as MingoQuery from 'mingo/types/query';
import type { Doc } from './values';

// mingo's subpath export 'mingo/query', which this repository's `moduleResolution: node` cannot type
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Query: BaseQuery } = require('mingo/query') as typeof MingoQuery;

export type MingoOptions = NonNullable<Parameters<typeof mingoAggregate>[2]>;

/** The options object mingo hands its own stages (with `update({root, groupId})`), which `evalExpr` expects. */
export interface StageOptions {
  update(locals: { root?: unknown; groupId?: unknown }): StageOptions;
}

/**
 * The options mingo's stages receive for these aggregate options, captured through a stage of our own: mingo
 * builds them (copying every operator table into a new context) whenever an Aggregator or a Query is made, and
 * makes a cheap copy of an instance it is given.
 */
export function stageOptions(options: MingoOptions): StageOptions {
  let captured: StageOptions | undefined;
  const context = Context.init({
    pipeline: {
      $captureOptions: (coll: unknown, _expr: unknown, opts: unknown) => {
        captured = opts as StageOptions;
        return coll;
      },
    } as never,
  });
  new Aggregator([{ $captureOptions: 1 }], { ...options, context }).stream([]);
  if (!captured) throw new Error('mingo did not hand its stage options over');
  return captured;
}

let defaults: StageOptions | undefined;

/**
 * `new Query(condition)` with mingo's default options, without copying mingo's operator tables on every call:
 * that copy was most of the cost of a point command whose filter goes to mingo (a flash drop's
 * `{_id, remaining: {$gt: 0}}`: 14% of the server's busy time under 1,000 parallel claims).
 */
export function mingoQuery(condition: Doc): { test(doc: Doc): boolean } {
  defaults ??= stageOptions({});
  return new BaseQuery(condition, defaults as never);
}
