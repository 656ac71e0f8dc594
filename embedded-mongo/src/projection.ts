import { find as mingoFind } from 'mingo';
import { cloneDoc, Doc, isPlainObject } from './values';

/**
 * Projections of the common shapes (inclusion of top-level or dotted fields, with or without _id;
 * exclusion lists) are applied directly: mingo builds its projection machinery per call, which cost
 * about as much as the query behind a 400-document batch. MongoDB's semantics: an inclusion keeps the
 * included fields in the document's own order, _id is included unless excluded, missing fields (and
 * sub-paths through scalars) are left out, and a dotted inclusion through an existing embedded document
 * keeps that document even when the sub-field is missing (`{a: {}}`). Anything else (operators such as
 * `$slice`/`$elemMatch`/`$meta`, positional `$`, expressions and literals, nested projection documents,
 * path collisions, mixed inclusion and exclusion) goes to mingo, as does any document where a dotted
 * path meets an array holding anything but embedded documents.
 */

/** Per top-level (or embedded) field: true for the whole field, or the projection of its sub-fields. */
type Tree = Map<string, Tree | true>;

interface SimpleProjection {
  inclusion: boolean;
  tree: Tree;
}

/** Returned by the appliers when a document needs mingo. */
const FALLBACK = Symbol('fallback');

function parse(projection: Doc): SimpleProjection | undefined {
  let inclusion: boolean | undefined;
  let idIncluded = true;
  const tree: Tree = new Map();
  for (const [field, value] of Object.entries(projection)) {
    if (typeof value !== 'number' && typeof value !== 'boolean') return undefined; // expressions, literals, operators
    const include = value !== 0 && value !== false;
    if (field === '_id') {
      idIncluded = include;
      continue;
    }
    const parts = field.split('.');
    if (parts.some((p) => p === '' || p.startsWith('$')) || parts[0] === '_id') return undefined;
    if (inclusion === undefined) inclusion = include;
    else if (inclusion !== include) return undefined; // mixed: mingo reports the error
    let node = tree;
    for (let i = 0; i < parts.length; i++) {
      const existing = node.get(parts[i]);
      if (i === parts.length - 1) {
        if (existing !== undefined) return undefined; // path collision
        node.set(parts[i], true);
      } else {
        if (existing === true) return undefined; // path collision
        let child = existing;
        if (!child) node.set(parts[i], (child = new Map()));
        node = child;
      }
    }
  }
  // only _id: `{_id: 0}` excludes it from whole documents, `{_id: 1}` keeps only it
  if (inclusion === undefined) inclusion = idIncluded;
  // the tree lists _id when it is included in an inclusion, or excluded in an exclusion
  if (inclusion === idIncluded) tree.set('_id', true);
  return { inclusion, tree };
}

function include(doc: Doc, tree: Tree): Doc | typeof FALLBACK {
  const out: Doc = {};
  for (const key of Object.keys(doc)) {
    const node = tree.get(key);
    if (node === undefined) continue;
    const value = doc[key];
    if (node === true) {
      if (value !== undefined) out[key] = value;
    } else if (isPlainObject(value)) {
      const sub = include(value, node);
      if (sub === FALLBACK) return FALLBACK;
      out[key] = sub;
    } else if (Array.isArray(value)) {
      const sub = eachElement(value, node, include);
      if (sub === FALLBACK) return FALLBACK;
      out[key] = sub;
    }
    // a scalar in the way of a dotted path: left out
  }
  return out;
}

function exclude(doc: Doc, tree: Tree): Doc | typeof FALLBACK {
  const out: Doc = {};
  for (const key of Object.keys(doc)) {
    const node = tree.get(key);
    const value = doc[key];
    if (node === true) continue;
    if (node === undefined || (!isPlainObject(value) && !Array.isArray(value))) {
      if (value !== undefined) out[key] = value;
    } else {
      const sub = isPlainObject(value) ? exclude(value, node) : eachElement(value as unknown[], node, exclude);
      if (sub === FALLBACK) return FALLBACK;
      out[key] = sub;
    }
  }
  return out;
}

/**
 * A dotted path through an array applies to each element; only arrays of embedded documents are handled
 * here (scalars and nested arrays among the elements go to mingo).
 */
function eachElement(values: unknown[], tree: Tree, apply: (doc: Doc, tree: Tree) => Doc | typeof FALLBACK): unknown[] | typeof FALLBACK {
  const out: unknown[] = [];
  for (const el of values) {
    if (!isPlainObject(el)) return FALLBACK;
    const sub = apply(el, tree);
    if (sub === FALLBACK) return FALLBACK;
    out.push(sub);
  }
  return out;
}

/**
 * A batch projection; simple ones also project one document at a time (`one`), so a cursor can size the
 * projected documents it returns instead of the stored ones.
 */
export type Projector = ((docs: Doc[]) => Doc[]) & { one?: (doc: Doc) => Doc };

/**
 * A function projecting a batch of documents, or undefined for an empty projection. The projection is
 * parsed once; documents the direct path cannot serve (and projections it does not handle) go to mingo,
 * with the query's filter (which the documents match) for positional `$` projections.
 */
export function compileProjection(projection: Doc, filter: Doc = {}): Projector | undefined {
  if (Object.keys(projection).length === 0) return undefined;
  // mingo gets copies: its dotted exclusions delete from the documents it is given (the stored ones). It is
  // given the filter only for a positional `$` projection, which needs it; otherwise it would filter the
  // (already matched) documents again, and drop any its matcher judged differently.
  const positional = Object.keys(projection).some((field) => field.endsWith('.$'));
  const viaMingo = (docs: Doc[]) => mingoFind(docs.map(cloneDoc), positional ? filter : {}, projection).all() as Doc[];
  const simple = parse(projection);
  if (!simple) return viaMingo;
  const { inclusion, tree } = simple;
  const one = (doc: Doc) => {
    const projected = inclusion ? include(doc, tree) : exclude(doc, tree);
    return projected === FALLBACK ? viaMingo([doc])[0] : projected;
  };
  return Object.assign((docs: Doc[]) => docs.map(one), { one });
}

/** Projects one document (findAndModify's `fields`; its post-image need not match the query, so no filter). */
export function projectOne(doc: Doc, projection: Doc): Doc {
  const project = compileProjection(projection);
  return project ? (project([doc])[0] ?? doc) : doc;
}
