import { Binary, Long, Timestamp } from 'bson';
import { CommandError } from './errors';
import { Doc } from './values';

/** The unsigned signature of a one-node set's cluster time (mongod without keys sends zeros and keyId 0). */
const SIGNATURE = Object.freeze({ hash: new Binary(Buffer.alloc(20), 0), keyId: Long.ZERO });

/**
 * The server's logical clock, as a replica set's primary keeps it: `operationTime` and `$clusterTime` on every
 * reply, a new time (wall-clock seconds, then an increment) after any change, so that a causally consistent
 * session's `afterClusterTime` names a point this server has reached. On one node every acknowledged write is
 * already visible, so a read after a time the server has reached waits for nothing.
 */
export class LogicalClock {
  private time: Timestamp;
  private clusterTimeDoc: Doc;
  /** The storage change count the current time was taken at. */
  private seen = -1;
  /** The time of the latest change: a snapshot at or after it is the current state. */
  private changedAt: Timestamp;

  constructor() {
    this.time = new Timestamp({ t: Math.floor(Date.now() / 1000), i: 1 });
    this.clusterTimeDoc = { clusterTime: this.time, signature: SIGNATURE };
    this.changedAt = this.time;
  }

  /** The current time, advanced first if storage changed since it was taken (`changes` counts every change). */
  now(changes: number): Timestamp {
    if (changes !== this.seen) {
      this.seen = changes;
      this.advance();
      this.changedAt = this.time;
    }
    return this.time;
  }

  private advance(): void {
    const seconds = Math.floor(Date.now() / 1000);
    const t = this.time.t;
    this.set(seconds > t ? new Timestamp({ t: seconds, i: 1 }) : new Timestamp({ t, i: this.time.i + 1 }));
  }

  private set(time: Timestamp): void {
    this.time = time;
    this.clusterTimeDoc = { clusterTime: time, signature: SIGNATURE };
  }

  lastChange(): Timestamp {
    return this.changedAt;
  }

  /** A client's gossiped `$clusterTime` moves the clock forward, as on mongod (no keys to check it against). */
  receive(gossip: unknown): void {
    const time = (gossip as Doc | undefined)?.clusterTime;
    if (time instanceof Timestamp && compareTimestamps(time, this.time) > 0) this.set(time);
  }

  /** Adds `$clusterTime` and `operationTime` to a reply. */
  stamp(reply: Doc, changes: number): void {
    const time = this.now(changes);
    reply.$clusterTime = this.clusterTimeDoc;
    reply.operationTime = time;
  }

  /**
   * `readConcern.afterClusterTime`: a time this server has reached is satisfied at once (its writes are
   * all visible); a later one is refused as mongod refuses it.
   */
  checkAfterClusterTime(value: unknown, changes: number): void {
    if (!(value instanceof Timestamp)) throw new CommandError(14, 'TypeMismatch', "BSON field 'afterClusterTime' is the wrong type, expected type 'timestamp'");
    const current = this.now(changes);
    if (value.t === 0 && value.i === 0) throw new CommandError(72, 'InvalidOptions', 'afterClusterTime cannot be a null timestamp');
    if (compareTimestamps(value, current) > 0)
      throw new CommandError(
        72,
        'InvalidOptions',
        `readConcern afterClusterTime value must not be greater than the current clusterTime. Requested clusterTime: ${describe(value)}; current clusterTime: ${describe(current)}`,
      );
  }
}

/**
 * readConcern `snapshot` outside a transaction (find, aggregate, distinct): the read is of the current state,
 * which is the state at `atClusterTime` if nothing changed since. An older time would need history this server
 * does not keep outside transactions (SnapshotTooOld, as mongod answers past its history window); a later one is
 * refused as for afterClusterTime. Answers the time the read is at.
 */
export function snapshotReadTime(clock: LogicalClock, atClusterTime: unknown, changes: number): Timestamp {
  const current = clock.now(changes);
  if (atClusterTime === undefined) return current;
  if (!(atClusterTime instanceof Timestamp)) throw new CommandError(14, 'TypeMismatch', "BSON field 'atClusterTime' is the wrong type, expected type 'timestamp'");
  if (compareTimestamps(atClusterTime, current) > 0)
    throw new CommandError(
      72,
      'InvalidOptions',
      `readConcern atClusterTime value must not be greater than the current clusterTime. Requested clusterTime: ${describe(atClusterTime)}; current clusterTime: ${describe(current)}`,
    );
  if (compareTimestamps(atClusterTime, clock.lastChange()) < 0)
    throw new CommandError(239, 'SnapshotTooOld', `Read timestamp ${describe(atClusterTime)} is older than the oldest available timestamp (embedded-mongo keeps no history outside transactions; the data changed at ${describe(clock.lastChange())}).`);
  return atClusterTime;
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}

const describe = (ts: Timestamp) => `{ ts: Timestamp(${ts.t}, ${ts.i}) }`;
