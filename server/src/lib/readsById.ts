import DataLoader from 'dataloader';
import type { Collection, Document } from 'mongodb';

/** The longest a read waits for an earlier find before going out on its own (a find held up must not hold up all). */
const WAIT_FOR_EARLIER_MS = 50;

/**
 * Point reads by `_id` that every request makes (its session, its member, a drop's idempotency key), coalesced:
 * the reads asked for while one batch of incoming requests is handled go out as one `find` with `$in` once that
 * I/O turn is over (setImmediate), instead of one command each. While a find is out, the reads asked for meanwhile
 * wait for it and then go out together, as a journal's group commit does: a burst that arrives over many I/O turns
 * costs about a find per round trip, not one per turn. A 10:00 drop's thousand requests then cost the server and
 * the database a few dozen such reads, not a thousand, and one request alone waits one turn more.
 * Nothing is cached: each read is made afresh after it was asked for, so it sees every write committed before.
 */
export function readsById<T extends Document>(collection: () => Collection, options: { projection?: Document } = {}): (id: unknown) => Promise<T | null> {
  let inFlight = 0;
  let waiting: Array<() => void> = [];
  let waitTimer: NodeJS.Timeout | undefined;
  const sendWaiting = () => {
    clearTimeout(waitTimer);
    waitTimer = undefined;
    const runs = waiting;
    waiting = [];
    for (const run of runs) run();
  };
  const schedule = (run: () => void) => {
    if (!inFlight) {
      setImmediate(run);
      return;
    }
    waiting.push(run);
    waitTimer ??= setTimeout(sendWaiting, WAIT_FOR_EARLIER_MS);
  };
  const loader = new DataLoader<unknown, T | null, string>(
    async (ids) => {
      inFlight++;
      let found: Document[];
      try {
        found = await collection()
          .find({ _id: { $in: [...ids] as never[] } }, { projection: options.projection, batchSize: ids.length })
          .toArray();
      } finally {
        inFlight--;
        sendWaiting();
      }
      const byId = new Map(found.map((doc) => [idKey(doc._id), doc as unknown as T]));
      return ids.map((id) => byId.get(idKey(id)) ?? null);
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: schedule },
  );
  return (id) => loader.load(id);
}

/** ObjectIds and strings as the same key a Map can hold (an ObjectId's hex, a string as itself). */
function idKey(id: unknown): string {
  return typeof id === 'string' ? `s:${id}` : `o:${String(id)}`;
}
