import { Binary, Decimal128, deserialize, EJSON, Long, MaxKey, MinKey, ObjectId, serialize, Timestamp } from 'bson';

export type Doc = Record<string, unknown>;

/** Rank of each BSON type in MongoDB's cross-type comparison order. */
export function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 2;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    case 'boolean':
      return 9;
  }
  if (v instanceof MinKey) return 1;
  if (v instanceof MaxKey) return 13;
  if (v instanceof Long || v instanceof Decimal128) return 3;
  if (Array.isArray(v)) return 6;
  if (v instanceof Binary || ArrayBuffer.isView(v)) return 7;
  if (v instanceof ObjectId) return 8;
  if (v instanceof Date) return 10;
  if (v instanceof Timestamp) return 11;
  if (v instanceof RegExp) return 12;
  return 5;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Long) return v.toNumber();
  if (v instanceof Decimal128) return Number.parseFloat(v.toString());
  return Number.NaN;
}

const cmp = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0);

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Binary) return v.buffer.subarray(0, v.position);
  const view = v as ArrayBufferView;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Total order over BSON values following MongoDB's comparison/sort order (used by indexes). */
export function compareValues(a: unknown, b: unknown): number {
  // the usual index key types first: typeRank's chain of instanceof checks dominated sorting an index
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof ObjectId && b instanceof ObjectId) return compareObjectIds(a, b);
  if (a instanceof Date && b instanceof Date) return cmp(a.getTime(), b.getTime());
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 3: {
      const x = toNumber(a);
      const y = toNumber(b);
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
      if (Number.isNaN(y)) return 1;
      return cmp(x, y);
    }
    case 4:
      return cmp(a as string, b as string);
    case 5: {
      const ka = Object.keys(a as Doc);
      const kb = Object.keys(b as Doc);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const byType = typeRank((a as Doc)[ka[i]]) - typeRank((b as Doc)[kb[i]]);
        if (byType) return byType;
        const byName = cmp(ka[i], kb[i]);
        if (byName) return byName;
        const byValue = compareValues((a as Doc)[ka[i]], (b as Doc)[kb[i]]);
        if (byValue) return byValue;
      }
      return ka.length - kb.length;
    }
    case 6: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
        const c = compareValues(xa[i], xb[i]);
        if (c) return c;
      }
      return xa.length - xb.length;
    }
    case 7: {
      const ba = bytesOf(a);
      const bb = bytesOf(b);
      if (ba.length !== bb.length) return ba.length - bb.length;
      for (let i = 0; i < ba.length; i++) if (ba[i] !== bb[i]) return ba[i] - bb[i];
      return 0;
    }
    case 8:
      return compareObjectIds(a as ObjectId, b as ObjectId);
    case 9:
      return cmp(Number(a), Number(b));
    case 10:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case 11:
      return (a as Timestamp).compare(b as Timestamp);
    case 12:
      return cmp(String(a), String(b));
    default:
      return 0;
  }
}

/** bson keeps an ObjectId as four 24-bit integers; comparing them avoids building two hex strings. */
function compareObjectIds(a: ObjectId, b: ObjectId): number {
  const x = a as unknown as ObjectIdWords;
  const y = b as unknown as ObjectIdWords;
  if (typeof x.i0 !== 'number' || typeof y.i0 !== 'number') return cmp(a.toHexString(), b.toHexString());
  return x.i0 - y.i0 || x.i1 - y.i1 || x.i2 - y.i2 || x.i3 - y.i3;
}

/** The internal fields of a bson 7 ObjectId (12 bytes as four big-endian 24-bit integers). */
interface ObjectIdWords {
  i0: number;
  i1: number;
  i2: number;
  i3: number;
}

/**
 * 'o' and the 12 bytes of an ObjectId as one flat 13-character string. Concatenating 'o' with the hex
 * string made a 25-character rope plus its flattened copy (about 80 bytes per document, held by the
 * document map and every index entry); this is 32 bytes, and sorts like the hex string.
 */
function objectIdKey(id: ObjectId): string {
  const { i0, i1, i2, i3 } = id as unknown as ObjectIdWords;
  return String.fromCharCode(
    111, (i0 >>> 16) & 0xff, (i0 >>> 8) & 0xff, i0 & 0xff, (i1 >>> 16) & 0xff, (i1 >>> 8) & 0xff, i1 & 0xff,
    (i2 >>> 16) & 0xff, (i2 >>> 8) & 0xff, i2 & 0xff, (i3 >>> 16) & 0xff, (i3 >>> 8) & 0xff, i3 & 0xff,
  );
}

/**
 * A string that identifies an _id value the way MongoDB compares _ids for equality
 * (1, 1.0 and Long(1) are the same _id). Used as the primary key of the document map.
 */
export function idKeyOf(id: unknown): string {
  if (typeof id === 'string') return 's' + id;
  if (id instanceof ObjectId) return typeof (id as unknown as ObjectIdWords).i0 === 'number' ? objectIdKey(id) : 'o' + id.toHexString();
  if (typeof id === 'number' || id instanceof Long || id instanceof Decimal128) return 'n' + String(toNumber(id));
  if (id instanceof Date) return 'd' + id.getTime();
  if (id === null || id === undefined) return 'z';
  if (typeof id === 'boolean') return 'b' + id;
  return 'x' + EJSON.stringify(id as Doc, { relaxed: false });
}

/**
 * Deep copy of a document that keeps BSON class instances (ObjectId, Binary…), which are never
 * mutated, shared. Stored documents are never modified in place, so updates work on a copy.
 */
export function cloneDoc<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneDoc) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Doc = {};
    for (const [k, v] of Object.entries(value as Doc)) out[k] = cloneDoc(v);
    return out as T;
  }
  return value;
}

/**
 * Values a dotted path reaches in a document, descending into arrays as MongoDB's multikey
 * indexes do. An absent field yields [null]; an array yields its elements.
 */
export function indexValuesAt(doc: unknown, path: string[]): unknown[] {
  if (path.length === 0) {
    if (Array.isArray(doc)) return doc.length ? doc : [undefined];
    return [doc === undefined ? null : doc];
  }
  if (Array.isArray(doc)) {
    const out: unknown[] = [];
    const index = /^\d+$/.test(path[0]) ? Number(path[0]) : -1;
    if (index >= 0 && index < doc.length) out.push(...indexValuesAt(doc[index], path.slice(1)));
    else for (const el of doc) if (el !== null && typeof el === 'object') out.push(...indexValuesAt(el, path));
    return out.length ? out : [null];
  }
  if (doc === null || typeof doc !== 'object') return [null];
  const next = (doc as Doc)[path[0]];
  if (next === undefined) return [null];
  return indexValuesAt(next, path.slice(1));
}

/** Whether a dotted path exists in a document (for sparse indexes). */
export function pathExists(doc: unknown, path: string[]): boolean {
  if (path.length === 0) return doc !== undefined;
  if (Array.isArray(doc)) return doc.some((el) => pathExists(el, path));
  if (doc === null || typeof doc !== 'object') return false;
  return pathExists((doc as Doc)[path[0]], path.slice(1));
}

/** Renders a value the way mongod prints it in E11000 messages. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof ObjectId) return `ObjectId('${v.toHexString()}')`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[ ${v.map(formatValue).join(', ')} ]`;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const entries = Object.entries(v as Doc).map(([k, x]) => `${k}: ${formatValue(x)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return String(v);
}

export const isPlainObject = (v: unknown): v is Doc =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** How documents are decoded everywhere (wire, data files, memory): numbers as JavaScript numbers, as the driver does. */
export const DESERIALIZE_OPTIONS = { promoteLongs: true, promoteValues: true, promoteBuffers: false, bsonRegExp: false } as const;

/**
 * A document as the server keeps it in memory: its BSON bytes, one byte per character of a one-byte string.
 * One heap object of 16 bytes plus the BSON (about a third of the parsed object: every ObjectId, Date, nested
 * object and array is an object of its own there), immutable, and fragmentation-free (a Buffer per document
 * would come from shared 8 KB slabs, kept alive by any one live document in them). It is also exactly what the
 * data files hold, so what a restart recovers is what was served before it.
 */
export function encodeStored(doc: Doc): string {
  const bytes = serialize(doc, { ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The BSON bytes of a stored document, for writing them out without encoding them again. */
export function storedBytes(stored: string): Buffer {
  return Buffer.from(stored, 'latin1');
}

export function decodeStored(stored: string): Doc {
  return deserialize(Buffer.from(stored, 'latin1'), DESERIALIZE_OPTIONS);
}

/** Whether this bson keeps ObjectIds as four integers (then idKeyOf is 'o' and the 12 raw bytes). */
const OBJECTID_AS_WORDS = typeof (new ObjectId() as unknown as ObjectIdWords).i0 === 'number';

/**
 * idKeyOf of a stored document's _id, read from its BSON without decoding the document when _id comes first and is
 * an ObjectId or a string (recovery reads millions of documents it does not otherwise need to decode).
 */
export function idKeyOfStored(stored: string): string {
  if (stored.startsWith('_id\0', 5)) {
    const type = stored.charCodeAt(4);
    // built from char codes: 'o' + a 12-character slice would be a cons string (a second object, flattened later)
    if (type === 0x07 && OBJECTID_AS_WORDS)
      return String.fromCharCode(
        111, stored.charCodeAt(9), stored.charCodeAt(10), stored.charCodeAt(11), stored.charCodeAt(12), stored.charCodeAt(13), stored.charCodeAt(14),
        stored.charCodeAt(15), stored.charCodeAt(16), stored.charCodeAt(17), stored.charCodeAt(18), stored.charCodeAt(19), stored.charCodeAt(20),
      );
    if (type === 0x02) {
      const length = Buffer.from(stored.slice(9, 13), 'latin1').readInt32LE(0);
      return 's' + Buffer.from(stored.slice(13, 13 + length - 1), 'latin1').toString('utf8');
    }
  }
  return idKeyOf(decodeStored(stored)._id);
}
