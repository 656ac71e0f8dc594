import DataLoader from 'dataloader';
import type { Collection, Document } from 'mongodb';

/**
 * Point reads by `_id` that every request makes (its session, its member, a drop's idempotency key), coalesced:
 * the reads asked for while one batch of incoming requests is handled go out as one `find` with `$in` once that
 * I/O turn is over (setImmediate), instead of one command each. A 10:00 drop's thousand requests then cost the
 * server and the database a few dozen such reads, not a thousand, and one request alone waits one turn more.
 * Nothing is cached: each read is made afresh after it was asked for, so it sees every write committed before.
 */
export function readsById<T extends Document>(collection: () => Collection, options: { projection?: Document } = {}): (id: unknown) => Promise<T | null> {
  const loader = new DataLoader<unknown, T | null, string>(
    async (ids) => {
      const found = await collection()
        .find({ _id: { $in: [...ids] as never[] } }, { projection: options.projection, batchSize: ids.length })
        .toArray();
      const byId = new Map(found.map((doc) => [idKey(doc._id), doc as unknown as T]));
      return ids.map((id) => byId.get(idKey(id)) ?? null);
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );
  return (id) => loader.load(id);
}

/** ObjectIds and strings as the same key a Map can hold (an ObjectId's hex, a string as itself). */
function idKey(id: unknown): string {
  return typeof id === 'string' ? `s:${id}` : `o:${String(id)}`;
}
