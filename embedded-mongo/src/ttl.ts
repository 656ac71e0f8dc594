import { entryId } from './collection';
import { Storage } from './storage';
import { compareValues, Doc } from './values';

/** Deletes documents whose TTL-indexed date is older than the index's expireAfterSeconds. */
export function sweepExpiredDocuments(storage: Storage, now = Date.now()): number {
  let removed = 0;
  for (const colls of storage.databases.values()) {
    for (const coll of colls.values()) {
      for (const index of coll.secondaryIndexes) {
        const ttl = index.spec.expireAfterSeconds;
        if (ttl === undefined || index.fields.length !== 1) continue;
        const cutoff = now - ttl * 1000;
        // scan only the dates at or before the cutoff: from the earliest date upward in an
        // ascending index, from the cutoff downward in a descending one
        const direction = index.fields[0].direction;
        const start = direction === 1 ? new Date(-8.64e15) : new Date(cutoff);
        const expired: { id: string; doc: Doc }[] = [];
        for (const entry of index.entries.from((e) => compareValues(e[0], start) * direction < 0)) {
          const value = entry[0];
          if (!(value instanceof Date) || value.getTime() > cutoff) break;
          const id = entryId(entry);
          const record = coll.docs.get(id);
          if (record && !expired.some((x) => x.id === id)) expired.push({ id, doc: record.doc });
        }
        for (const { id, doc } of expired) {
          // a document held by an open transaction is left for the next sweep
          if (storage.lockOwner(coll.ns, id) || !coll.docs.has(id)) continue;
          storage.commit([{ db: coll.db, coll: coll.name, id, doc: null, idValue: doc._id }]);
          removed++;
        }
      }
    }
  }
  return removed;
}
