import { calculateObjectSize, Long } from 'bson';
import { cursorNotFound } from './errors';
import { Doc } from './values';

const DEFAULT_FIRST_BATCH = 101;
/** Replies must stay under the 16 MiB document limit; leave room for the envelope. */
const MAX_BATCH_BYTES = 15 * 1024 * 1024;

interface OpenCursor {
  id: Long;
  ns: string;
  docs: Doc[];
  position: number;
  lastUsed: number;
  noTimeout: boolean;
}

/** Server-side cursors over materialized results, served in batches. */
export class CursorRegistry {
  private readonly open = new Map<string, OpenCursor>();
  private nextId = BigInt(Math.floor(Math.random() * 2 ** 40)) + 1n;

  constructor(private readonly idleTimeoutMs: number) {}

  get count(): number {
    return this.open.size;
  }

  private takeBatch(cursor: { docs: Doc[]; position: number }, batchSize: number | undefined): Doc[] {
    const batch: Doc[] = [];
    let bytes = 0;
    const limit = batchSize && batchSize > 0 ? batchSize : Infinity;
    while (cursor.position < cursor.docs.length && batch.length < limit) {
      const doc = cursor.docs[cursor.position];
      bytes += calculateObjectSize(doc);
      if (batch.length > 0 && bytes > MAX_BATCH_BYTES) break;
      batch.push(doc);
      cursor.position++;
    }
    return batch;
  }

  /** Returns the reply's `cursor` field; the cursor stays open only if documents remain. */
  create(ns: string, docs: Doc[], options: { batchSize?: number; singleBatch?: boolean; noTimeout?: boolean }): Doc {
    const state = { docs, position: 0 };
    const firstBatch = this.takeBatch(state, options.batchSize ?? DEFAULT_FIRST_BATCH);
    if (state.position >= docs.length || options.singleBatch) return { firstBatch, id: Long.ZERO, ns };
    const id = Long.fromBigInt(this.nextId++);
    this.open.set(id.toString(), { id, ns, docs, position: state.position, lastUsed: Date.now(), noTimeout: !!options.noTimeout });
    return { firstBatch, id, ns };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): Doc {
    const cursor = this.open.get(id.toString());
    if (!cursor || cursor.ns !== ns) throw cursorNotFound(id.toString());
    const nextBatch = this.takeBatch(cursor, batchSize);
    cursor.lastUsed = Date.now();
    const exhausted = cursor.position >= cursor.docs.length;
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
