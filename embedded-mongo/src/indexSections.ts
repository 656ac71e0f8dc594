import { deserialize, ObjectId, serialize } from 'bson';
import type { IndexEntry } from './collection';
import { DESERIALIZE_OPTIONS } from './values';

/**
 * A secondary index's entries as a snapshot keeps them: in index order, each as the position of its document
 * among the collection's documents in the same snapshot, then its key values. Recovery appends them as they
 * come (no sort, no comparator, no document decoded for its keys), which is most of what a restart did.
 *
 *   entry  = uint32 document position, then per key field: tag byte [payload]
 *   SAME   the value of the previous entry at this field (decoded to the same object, as shareRepeatedKeys shares it)
 *   NULL, UNDEFINED (an empty array's key), TRUE, FALSE
 *   STRING uint32 byte length, UTF-8;  OBJECT_ID 12 bytes;  DATE, NUMBER float64
 *   BSON   any other value as the BSON document {v: value} (its own length first)
 */
const SAME = 0;
const NULL = 1;
const UNDEFINED = 2;
const STRING = 3;
const OBJECT_ID = 4;
const DATE = 5;
const NUMBER = 6;
const TRUE = 7;
const FALSE = 8;
const BSON = 9;

/** bson's ObjectId constructor with an offset (reads 12 bytes there; its types omit the offset). */
const ObjectIdAt = ObjectId as unknown as new (bytes: Uint8Array, offset: number) => ObjectId;

/** Whether `b` can be written as SAME after `a`: decoding it as `a` gives back exactly this value. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number') return typeof b === 'number' && Object.is(a, b); // 0 and -0 are === but not the same
  if (a === b) return true;
  if (a instanceof ObjectId && b instanceof ObjectId) return Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && a.equals(b);
  if (a instanceof Date && b instanceof Date) return Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && Object.is(a.getTime(), b.getTime());
  return false;
}

/** The internal fields of a bson 7 ObjectId (12 bytes as four big-endian 24-bit integers). */
interface ObjectIdWords {
  i0: number;
  i1: number;
  i2: number;
  i3: number;
}

function writeObjectId(buf: Buffer, at: number, id: ObjectId): number {
  const words = id as unknown as ObjectIdWords;
  if (typeof words.i0 !== 'number') {
    buf.set(id.id, at);
    return at + 12;
  }
  return put24(buf, put24(buf, put24(buf, put24(buf, at, words.i0), words.i1), words.i2), words.i3);
}

function put24(buf: Buffer, at: number, word: number): number {
  buf[at] = (word >>> 16) & 0xff;
  buf[at + 1] = (word >>> 8) & 0xff;
  buf[at + 2] = word & 0xff;
  return at + 3;
}

/** Writes entries into buffers of about `chunkBytes`, handing each full one to `emit` (which may copy it). */
export class IndexSectionWriter {
  private buffer: Buffer;
  private at = 0;
  private previous?: IndexEntry;
  count = 0;

  constructor(
    private readonly fields: number,
    private readonly chunkBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkBytes + 1024);
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }

  /** Adds one entry (its document at `position`); returns whether a chunk is full and should be taken. */
  add(entry: IndexEntry, position: number): boolean {
    this.room(4 + this.fields * 13);
    this.buffer.writeUInt32LE(position, this.at);
    this.at += 4;
    const previous = this.previous;
    for (let f = 0; f < this.fields; f++) {
      const v = entry[f];
      if (previous && sameValue(previous[f], v)) this.buffer[this.at++] = SAME;
      else this.value(v);
    }
    this.previous = entry;
    this.count++;
    return this.at >= this.chunkBytes;
  }

  private value(v: unknown): void {
    const buf = this.buffer;
    if (v === null) buf[this.at++] = NULL;
    else if (v === undefined) buf[this.at++] = UNDEFINED;
    else if (v === true) buf[this.at++] = TRUE;
    else if (v === false) buf[this.at++] = FALSE;
    else if (typeof v === 'number') {
      buf[this.at++] = NUMBER;
      this.at = buf.writeDoubleLE(v, this.at);
    } else if (typeof v === 'string') {
      const bytes = Buffer.byteLength(v);
      this.room(5 + bytes);
      this.buffer[this.at++] = STRING;
      this.at = this.buffer.writeUInt32LE(bytes, this.at);
      this.at += this.buffer.write(v, this.at, 'utf8');
    } else if (v instanceof ObjectId && Object.getPrototypeOf(v) === ObjectId.prototype) {
      buf[this.at++] = OBJECT_ID;
      this.at = writeObjectId(buf, this.at, v);
    } else if (v instanceof Date && Object.getPrototypeOf(v) === Date.prototype) {
      buf[this.at++] = DATE;
      this.at = buf.writeDoubleLE(v.getTime(), this.at);
    } else {
      const bytes = serialize({ v });
      this.room(1 + bytes.length);
      this.buffer[this.at++] = BSON;
      this.buffer.set(bytes, this.at);
      this.at += bytes.length;
    }
  }

  /** The bytes written since the last take (empty when none), and starts a new chunk. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.at));
    this.at = 0;
    return out;
  }
}

/**
 * Appends the entries encoded in `bytes` to `into`, each an array of exactly its length whose last element is
 * `ids[position]` (the very id string the document map holds). `previous` is the last entry of the section so far
 * (SAME may refer to it across chunks). Returns the last entry, or undefined if the bytes do not decode (a position
 * past the documents, an unknown tag, a truncated value): the caller then builds the index from the documents.
 */
/**
 * ObjectIds and dates already decoded from a collection's sections, by value: an equal one in another entry or
 * another index of the collection is the same object (a member's id in each index led by it, a purchase's date).
 * Built from documents, a document's indexes shared its values; this shares them across the collection (about 130
 * bytes per document less than without, on the product's data). Key values are never changed in place.
 */
export class SharedKeyValues {
  readonly dates = new Map<number, Date>();
  readonly objectIds = new Map<number, ObjectId>();
}

/** Whether an ObjectId's first 6 bytes (its i0 and i1 words) are the 6 bytes at `at`. */
function sameFirstHalf(id: ObjectId, buf: Buffer, at: number): boolean {
  const words = id as unknown as ObjectIdWords;
  if (typeof words.i0 !== 'number') return Buffer.from(id.id.buffer, id.id.byteOffset, 6).equals(buf.subarray(at, at + 6));
  return words.i0 === ((buf[at] << 16) | (buf[at + 1] << 8) | buf[at + 2]) && words.i1 === ((buf[at + 3] << 16) | (buf[at + 4] << 8) | buf[at + 5]);
}

export function decodeIndexSection(bytes: Uint8Array, fields: number, ids: readonly string[], into: IndexEntry[], previous: IndexEntry | undefined, shared: SharedKeyValues): IndexEntry | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buf.length;
  let at = 0;
  let last = previous;
  while (at < end) {
    if (at + 4 > end) return undefined;
    const id = ids[buf.readUInt32LE(at)];
    at += 4;
    if (id === undefined) return undefined;
    const entry: IndexEntry = new Array(fields + 1);
    for (let f = 0; f < fields; f++) {
      if (at >= end) return undefined;
      const tag = buf[at++];
      switch (tag) {
        case SAME:
          if (!last) return undefined;
          entry[f] = last[f];
          break;
        case NULL:
          entry[f] = null;
          break;
        case UNDEFINED:
          entry[f] = undefined;
          break;
        case TRUE:
          entry[f] = true;
          break;
        case FALSE:
          entry[f] = false;
          break;
        case NUMBER:
          if (at + 8 > end) return undefined;
          entry[f] = buf.readDoubleLE(at);
          at += 8;
          break;
        case DATE: {
          if (at + 8 > end) return undefined;
          const time = buf.readDoubleLE(at);
          let date = shared.dates.get(time);
          if (!date) shared.dates.set(time, (date = new Date(time)));
          entry[f] = date;
          at += 8;
          break;
        }
        case OBJECT_ID: {
          if (at + 12 > end) return undefined;
          // keyed by its last 6 bytes (process and counter), without building a string; the first 6 are compared
          const key = buf.readUIntBE(at + 6, 6);
          const known = shared.objectIds.get(key);
          if (known && sameFirstHalf(known, buf, at)) entry[f] = known;
          else {
            const objectId = new ObjectIdAt(buf, at);
            if (!known) shared.objectIds.set(key, objectId);
            entry[f] = objectId;
          }
          at += 12;
          break;
        }
        case STRING: {
          if (at + 4 > end) return undefined;
          const length = buf.readUInt32LE(at);
          at += 4;
          if (at + length > end) return undefined;
          entry[f] = buf.toString('utf8', at, at + length);
          at += length;
          break;
        }
        case BSON: {
          if (at + 4 > end) return undefined;
          const length = buf.readInt32LE(at);
          if (length < 5 || at + length > end) return undefined;
          entry[f] = deserialize(buf.subarray(at, at + length), DESERIALIZE_OPTIONS).v;
          at += length;
          break;
        }
        default:
          return undefined;
      }
    }
    entry[fields] = id;
    into.push(entry);
    last = entry;
  }
  return last;
}
