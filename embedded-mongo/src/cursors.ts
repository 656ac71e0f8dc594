import { calculateObjectSize, Long } from 'bson';
import { cursorNotFound } from './errors';
import type { Projector } from './projection';
import { Doc } from './values';

const DEFAULT_FIRST_BATCH = 101;
/** Replies must stay under the 16 MiB document limit; leave room for the envelope. */
const MAX_BATCH_BYTES = 15 * 1024 * 1024;
/**
 * A batch past SLICED_BATCH_BYTES stops growing after MAX_BATCH_MS of work (reading, projecting and sizing its
 * documents; encoding it costs about as much again): a getMore without a batchSize asks for up to 16 MiB, which
 * took a few hundred milliseconds in one go while other connections waited. The driver asks for the rest with
 * further getMores, as it does after a batch mongod cut at 16 MiB. Smaller batches are whole, as on mongod.
 */
const MAX_BATCH_MS = 4;
const SLICED_BATCH_BYTES = 1024 * 1024;

/**
 * Where a cursor's documents come from: an iterator that may compute them only as batches are asked
 * for (an index walk stops where the client stops reading), and an optional per-batch transform
 * (the projection), applied to a batch at a time because mingo's setup is per call.
 */
export interface CursorSource {
  docs: Iterator<Doc>;
  transform?: Projector;
}

interface OpenCursor {
  id: Long;
  ns: string;
  source: CursorSource;
  /** The next document, read ahead so a reply can say whether the cursor is exhausted. */
  next: IteratorResult<Doc>;
  lastUsed: number;
  noTimeout: boolean;
}

/** Server-side cursors over lazily produced results, served in batches. */
export class CursorRegistry {
  private readonly open = new Map<string, OpenCursor>();
  private nextId = BigInt(Math.floor(Math.random() * 2 ** 40)) + 1n;

  constructor(private readonly idleTimeoutMs: number) {}

  get count(): number {
    return this.open.size;
  }

  /**
   * A per-document projection is applied as documents are taken, and the projected ones are sized; otherwise sizes
   * are measured before the batch's transform (a projection only shrinks documents), so batches stay under the limit.
   */
  private takeBatch(cursor: { source: CursorSource; next: IteratorResult<Doc> }, batchSize: number | undefined): Doc[] {
    const batch: Doc[] = [];
    let bytes = 0;
    const limit = batchSize && batchSize > 0 ? batchSize : Infinity;
    const one = cursor.source.transform?.one;
    const started = performance.now();
    while (!cursor.next.done && batch.length < limit) {
      const doc = one ? one(cursor.next.value) : cursor.next.value;
      bytes += calculateObjectSize(doc);
      if (batch.length > 0 && bytes > MAX_BATCH_BYTES) break;
      batch.push(doc);
      cursor.next = cursor.source.docs.next();
      if ((batch.length & 31) === 0 && bytes >= SLICED_BATCH_BYTES && performance.now() - started > MAX_BATCH_MS) break;
    }
    return cursor.source.transform && !one && batch.length ? cursor.source.transform(batch) : batch;
  }

  /** Returns the reply's `cursor` field; the cursor stays open only if documents remain. */
  create(ns: string, docs: Doc[] | CursorSource, options: { batchSize?: number; singleBatch?: boolean; noTimeout?: boolean }): Doc {
    const source = Array.isArray(docs) ? { docs: docs[Symbol.iterator]() } : docs;
    const state = { source, next: source.docs.next() };
    const firstBatch = this.takeBatch(state, options.batchSize ?? DEFAULT_FIRST_BATCH);
    if (state.next.done || options.singleBatch) return { firstBatch, id: Long.ZERO, ns };
    const id = Long.fromBigInt(this.nextId++);
    this.open.set(id.toString(), { id, ns, source, next: state.next, lastUsed: Date.now(), noTimeout: !!options.noTimeout });
    return { firstBatch, id, ns };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): Doc {
    const cursor = this.open.get(id.toString());
    if (!cursor || cursor.ns !== ns) throw cursorNotFound(id.toString());
    const nextBatch = this.takeBatch(cursor, batchSize);
    cursor.lastUsed = Date.now();
    const exhausted = !!cursor.next.done;
    if (exhausted) this.open.delete(id.toString());
    return { nextBatch, id: exhausted ? Long.ZERO : cursor.id, ns };
  }

  kill(ids: Long[]): Doc {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.open.delete(id.toString()) ? killed : notFound).push(id);
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
  }

  /** Closes cursors idle longer than the timeout, as mongod does after cursorTimeoutMillis. */
  sweep(now = Date.now()): void {
    for (const [key, cursor] of this.open) if (!cursor.noTimeout && now - cursor.lastUsed > this.idleTimeoutMs) this.open.delete(key);
  }

  clear(): void {
    this.open.clear();
  }
}
