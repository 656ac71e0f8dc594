import { CommandError, conflictingUpdateOperators, pathNotViable, typeMismatch } from './errors';
import { compareValues, Doc, formatValue, isPlainObject } from './values';

/**
 * A direct implementation of the update operators most writes use ($set, $unset, $inc, $setOnInsert,
 * $push of one value, $min, $max on plain field paths). mingo rebuilds its operator context for every
 * update, which made it the largest cost of an `updateOne` by _id; this path does the same work in a
 * few property writes.
 *
 * It only takes updates whose outcome it can reproduce exactly and answers `undefined` for everything
 * else (positional and array-index paths, paths crossing arrays, $push modifiers, Long/Decimal128
 * arithmetic, …) so the caller falls back to mingo. Where mingo is lenient and mongod is not (a scalar in
 * the way of a path, overlapping paths), this path answers mongod's error.
 *
 * Stored documents are never modified in place, so the result shares every untouched subtree with the
 * input and copies only the objects along the modified paths.
 */

/** Thrown inside the fast path when the document turns out to need mingo (arrays on a path, Long arithmetic). */
class FallBackToGeneral extends Error {}

const SIMPLE_OPERATORS = new Set(['$set', '$unset', '$inc', '$setOnInsert', '$push', '$min', '$max']);

interface FieldUpdate {
  op: string;
  path: string[];
  dotted: string;
  value: unknown;
}

const isDollarFree = (v: unknown): boolean => !isPlainObject(v) || Object.keys(v).every((k) => !k.startsWith('$'));

function usablePath(dotted: string): string[] | undefined {
  const path = dotted.split('.');
  for (const part of path) {
    // empty, positional ($, $[], $[id]) and numeric (array index) components are left to mingo
    if (part === '' || part.startsWith('$') || /^\d+$/.test(part)) return undefined;
  }
  return path;
}

/** True when one path equals or is a prefix of the other: mongod rejects those as conflicts. */
function overlaps(a: string[], b: string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** mongod prints the _id element of the document in several update errors, e.g. `{_id: 1}`. */
function idForMessage(doc: Doc): string {
  return doc._id === undefined ? 'no id' : `_id: ${formatValue(doc._id)}`;
}

/** BSON type names as mongod reports them in error messages. */
function bsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'double';
  }
  if (v instanceof Date) return 'date';
  if (isPlainObject(v)) return 'object';
  const bsontype = (v as { _bsontype?: string })._bsontype;
  if (bsontype === 'ObjectId') return 'objectId';
  if (bsontype === 'Binary') return 'binData';
  if (bsontype === 'Long') return 'long';
  if (bsontype === 'Decimal128') return 'decimal';
  if (bsontype === 'Timestamp') return 'timestamp';
  if (v instanceof RegExp) return 'regex';
  return 'unknown';
}

/** Collects the field updates of a modifier document, or undefined when any part needs mingo. */
function collectFieldUpdates(update: Doc): FieldUpdate[] | undefined {
  const fields: FieldUpdate[] = [];
  for (const op in update) {
    if (!SIMPLE_OPERATORS.has(op)) return undefined;
    const args = update[op];
    if (!isPlainObject(args)) return undefined;
    for (const dotted in args) {
      const path = usablePath(dotted);
      if (!path) return undefined;
      const value = args[dotted];
      if (!isDollarFree(value)) return undefined; // $push modifiers ($each…) and $-prefixed field names
      if (op === '$inc' && typeof value !== 'number') {
        const type = bsonTypeName(value);
        if (type === 'long' || type === 'decimal') return undefined;
        throw typeMismatch(`Cannot increment with non-numeric argument: {${dotted}: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}}`);
      }
      // $setOnInsert outside an insert changes nothing but still takes part in the conflict check
      fields.push({ op, path, dotted, value });
    }
  }
  // mongod rejects a path equal to or inside another one of the same update, naming the later path
  for (let j = 1; j < fields.length; j++)
    for (let i = 0; i < j; i++)
      if (overlaps(fields[i].path, fields[j].path)) {
        const at = fields[j].path.slice(0, Math.min(fields[i].path.length, fields[j].path.length)).join('.');
        throw conflictingUpdateOperators(`Updating the path '${fields[j].dotted}' would create a conflict at '${at}'`);
      }
  // mongod (5.0+) applies update operators to fields in lexicographic order, level by level, which decides
  // the position of newly created fields
  fields.sort((a, b) => {
    for (let i = 0; i < Math.min(a.path.length, b.path.length); i++)
      if (a.path[i] !== b.path[i]) return a.path[i] < b.path[i] ? -1 : 1;
    return a.path.length - b.path.length;
  });
  return fields;
}

const NO_CHANGE = Symbol('no change');

/**
 * Applies a modifier document with the simple operators. Returns the new document and whether it
 * differs, or undefined when the update needs the general (mingo) implementation.
 */
export function applySimpleUpdate(doc: Doc, update: Doc, inserting: boolean): { doc: Doc; changed: boolean } | undefined {
  const fields = collectFieldUpdates(update);
  if (!fields) return undefined;
  try {
    return applyFieldUpdates(doc, fields, inserting);
  } catch (err) {
    // nothing was modified in place, so giving up half way is harmless
    if (err instanceof FallBackToGeneral) return undefined;
    throw err;
  }
}

function applyFieldUpdates(doc: Doc, fields: FieldUpdate[], inserting: boolean): { doc: Doc; changed: boolean } {
  const root: Doc = { ...doc };
  let changed = false;
  for (const field of fields) {
    if (field.op === '$setOnInsert' && !inserting) continue;
    // walk down, copying each object on the path (copy-on-write) and creating missing ones when setting
    let parent = root;
    let missingParent = false;
    for (let i = 0; i < field.path.length - 1; i++) {
      const key = field.path[i];
      const child = parent[key];
      if (isPlainObject(child)) {
        parent = parent[key] = { ...child };
        continue;
      }
      // arrays on the path (element traversal, numeric fields) are left to mingo
      if (Array.isArray(child)) throw new FallBackToGeneral();
      if (field.op === '$unset') {
        // unsetting below a missing field or a scalar changes nothing
        missingParent = true;
        break;
      }
      if (child !== undefined)
        throw pathNotViable(`Cannot create field '${field.path[i + 1]}' in element {${key}: ${formatValue(child)}}`);
      parent = parent[key] = {};
    }
    if (missingParent) continue;
    const leaf = field.path[field.path.length - 1];
    const current = parent[leaf];
    const next = computeValue(field, current, root, leaf);
    if (next === NO_CHANGE) continue;
    if (next === undefined) {
      delete parent[leaf];
      changed = true;
      continue;
    }
    if (current === undefined || compareValues(current, next) !== 0 || bsonTypeName(current) !== bsonTypeName(next)) changed = true;
    parent[leaf] = next;
  }
  return { doc: root, changed };
}

/** The new value of one field; `undefined` removes it, NO_CHANGE leaves it as is. */
function computeValue(field: FieldUpdate, current: unknown, root: Doc, leaf: string): unknown {
  switch (field.op) {
    case '$set':
    case '$setOnInsert':
      return field.value;
    case '$unset':
      return current === undefined ? NO_CHANGE : undefined;
    case '$inc': {
      if (current === undefined) return field.value;
      if (typeof current !== 'number') {
        if (bsonTypeName(current) === 'long' || bsonTypeName(current) === 'decimal') throw new FallBackToGeneral();
        throw typeMismatch(
          `Cannot apply $inc to a value of non-numeric type. {${idForMessage(root)}} has the field '${leaf}' of non-numeric type ${bsonTypeName(current)}`,
        );
      }
      return current + (field.value as number);
    }
    case '$push': {
      if (current === undefined) return [field.value];
      if (!Array.isArray(current))
        throw new CommandError(2, 'BadValue', `The field '${field.dotted}' must be an array but is of type ${bsonTypeName(current)} in document {${idForMessage(root)}}`);
      return [...current, field.value];
    }
    case '$min':
      return current === undefined || compareValues(field.value, current) < 0 ? field.value : NO_CHANGE;
    case '$max':
      return current === undefined || compareValues(field.value, current) > 0 ? field.value : NO_CHANGE;
  }
  throw new FallBackToGeneral();
}
