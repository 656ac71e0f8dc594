import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { deserialize, serialize } from 'bson';
import { IndexSpec } from './collection';
import { ChangeSink, Storage, WriteOp } from './storage';
import { Doc, idKeyOf, isPlainObject } from './values';

/**
 * On-disk layout of a data directory:
 *   snapshot.bson       framed records: {snapshot: {generation}}, then {collection, indexes} and {ns, doc} records
 *   journal-<gen>.log   framed change records appended after the snapshot of generation <= gen
 * A frame is [uint32 length][uint32 crc32][BSON]; a torn or corrupt tail frame is ignored on recovery,
 * which is safe because a write is acknowledged only after its frame has been fsync'd.
 */
const SNAPSHOT = 'snapshot.bson';
const JOURNAL = /^journal-(\d+)\.log$/;
const COMPACT_AFTER_BYTES = 16 * 1024 * 1024;
const DESERIALIZE_OPTIONS = { promoteLongs: true, promoteValues: true, promoteBuffers: false, bsonRegExp: false } as const;

function frame(record: Doc): Buffer {
  const body = serialize(record, { ignoreUndefined: true });
  const header = Buffer.alloc(8);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(zlib.crc32(body), 4);
  return Buffer.concat([header, body]);
}

/** Decodes frames until the end of the file or the first torn/corrupt frame. */
function* readFrames(file: string): Generator<Doc> {
  const data = fs.readFileSync(file);
  let pos = 0;
  while (pos + 8 <= data.length) {
    const length = data.readUInt32LE(pos);
    const crc = data.readUInt32LE(pos + 4);
    const body = data.subarray(pos + 8, pos + 8 + length);
    if (body.length < length || zlib.crc32(body) !== crc) return;
    yield deserialize(body, DESERIALIZE_OPTIONS);
    pos += 8 + length;
  }
}

function splitNs(ns: string): [string, string] {
  const dot = ns.indexOf('.');
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch {
    // some platforms cannot fsync directories; the rename is still atomic
  }
}

export class Durability implements ChangeSink {
  private journalFd = -1;
  private journalBytes = 0;
  private pending: Buffer[] = [];
  /**
   * The latest record, framed when the next one comes or at the flush, so that a retryable write's outcome can
   * join the record of its write (one frame: both survive a crash or neither does).
   */
  private held?: Doc;
  /** Retryable-write records to keep in a snapshot (the sessions' latest; set by the server). */
  retryableRecords?: () => Doc[];
  private appended = 0;
  private synced = 0;
  private flushing = false;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    private readonly storage: Storage,
    private generation: number,
  ) {
    this.timer = setInterval(() => {
      if (this.journalBytes > 0 && !this.flushing) this.compact();
    }, 60_000);
    this.timer.unref();
  }

  /** Recovers the directory's state into `storage`, then journals every later change. */
  static async open(dir: string, storage: Storage, onRetryableWrite: (record: Doc) => void = () => undefined): Promise<Durability> {
    fs.mkdirSync(dir, { recursive: true });
    // kept for the snapshot taken below, before the server has put them back on its sessions
    const recovered: Doc[] = [];
    const onRetryable = (rw: Doc) => {
      recovered.push(rw);
      onRetryableWrite(rw);
    };
    let generation = 0;
    const snapshotFile = path.join(dir, SNAPSHOT);
    if (fs.existsSync(snapshotFile)) {
      for (const record of readFrames(snapshotFile)) {
        if (record.snapshot) generation = Number((record.snapshot as Doc).generation);
        else if (typeof record.collection === 'string') {
          const [db, name] = splitNs(record.collection);
          const coll = storage.ensureCollection(db, name);
          for (const spec of record.indexes as IndexSpec[]) coll.addIndex(spec);
        } else Durability.applyRecord(storage, record, onRetryable);
      }
    }
    const journals = fs
      .readdirSync(dir)
      .map((f) => ({ file: f, gen: Number(JOURNAL.exec(f)?.[1] ?? -1) }))
      .filter((j) => j.gen >= generation)
      .sort((a, b) => a.gen - b.gen);
    for (const j of journals) for (const record of readFrames(path.join(dir, j.file))) Durability.applyRecord(storage, record, onRetryable);
    const durability = new Durability(dir, storage, Math.max(generation, ...journals.map((j) => j.gen)));
    storage.sink = durability;
    durability.retryableRecords = () => recovered;
    // start from a fresh snapshot so torn journal tails are never appended to
    durability.compact();
    return durability;
  }

  private static applyRecord(storage: Storage, record: Doc, onRetryableWrite: (record: Doc) => void): void {
    if (isPlainObject(record.rw)) onRetryableWrite(record.rw);
    if (Array.isArray(record.w)) {
      const ops: WriteOp[] = (record.w as Doc[]).map((w) => {
        const [db, coll] = splitNs(w.ns as string);
        const doc = (w.doc as Doc | undefined) ?? null;
        const idValue = doc ? doc._id : w.del;
        return { db, coll, id: idKeyOf(idValue), doc, idValue };
      });
      storage.commit(ops);
    } else if (typeof record.ns === 'string' && record.doc) {
      const [db, coll] = splitNs(record.ns);
      const doc = record.doc as Doc;
      storage.ensureCollection(db, coll).put(idKeyOf(doc._id), doc, 0, false);
    } else if (typeof record.cc === 'string') storage.ensureCollection(...splitNs(record.cc));
    else if (typeof record.ci === 'string') {
      const coll = storage.ensureCollection(...splitNs(record.ci));
      const spec = record.spec as IndexSpec;
      if (!coll.indexes.some((i) => i.spec.name === spec.name)) coll.addIndex(spec);
    } else if (typeof record.di === 'string') {
      const [db, name] = splitNs(record.di);
      const coll = storage.collection(db, name);
      if (coll) storage.dropIndex(coll, record.name as string);
    } else if (typeof record.dc === 'string') storage.dropCollection(...splitNs(record.dc));
    else if (typeof record.dd === 'string') storage.dropDatabase(record.dd);
  }

  // ---- ChangeSink: one journal record per committed change ----
  writes(ops: WriteOp[]): void {
    this.append({ w: ops.map((op) => (op.doc ? { ns: `${op.db}.${op.coll}`, doc: op.doc } : { ns: `${op.db}.${op.coll}`, del: op.idValue })) });
  }
  createCollection(db: string, coll: string): void {
    this.append({ cc: `${db}.${coll}` });
  }
  createIndex(db: string, coll: string, spec: IndexSpec): void {
    this.append({ ci: `${db}.${coll}`, spec });
  }
  dropIndex(db: string, coll: string, name: string): void {
    this.append({ di: `${db}.${coll}`, name });
  }
  dropCollection(db: string, coll: string): void {
    this.append({ dc: `${db}.${coll}` });
  }
  dropDatabase(db: string): void {
    this.append({ dd: db });
  }

  retryableWrite(record: Doc, since: number): void {
    if (this.appended > since && this.held && Array.isArray(this.held.w)) this.held.rw = record;
    else this.append({ rw: record });
  }

  private frameHeld(): void {
    if (!this.held) return;
    this.pending.push(frame(this.held));
    this.held = undefined;
  }

  private append(record: Doc): void {
    this.frameHeld();
    this.held = record;
    this.appended++;
    if (!this.flushing) setImmediate(() => this.flush());
    this.flushing = true;
  }

  /** Sequence number of the latest journaled change. */
  mark(): number {
    return this.appended;
  }

  /** Resolves once every change up to `seq` is on disk. */
  flushed(seq: number): Promise<void> {
    if (this.synced >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Group commit: writes everything queued so far in one write + fdatasync, off the event loop. */
  private flush(): void {
    this.frameHeld();
    if (this.pending.length === 0) {
      this.flushing = false;
      if (this.journalBytes > COMPACT_AFTER_BYTES) this.compact();
      return;
    }
    this.flushing = true;
    const batch = Buffer.concat(this.pending);
    this.pending = [];
    const upTo = this.appended;
    const fd = this.journalFd;
    fs.write(fd, batch, 0, batch.length, null, (writeErr) => {
      if (writeErr) throw writeErr;
      fs.fdatasync(fd, (syncErr) => {
        if (syncErr) throw syncErr;
        this.journalBytes += batch.length;
        this.markSynced(upTo);
        this.flush();
      });
    });
  }

  private markSynced(seq: number): void {
    this.synced = seq;
    const ready = this.waiters.filter((w) => w.seq <= seq);
    this.waiters = this.waiters.filter((w) => w.seq > seq);
    for (const w of ready) w.resolve();
  }

  /**
   * Writes the whole state to a new snapshot and starts a new journal generation. Runs
   * synchronously between flushes, so the snapshot is a consistent cut of memory.
   */
  compact(): void {
    this.frameHeld();
    if (this.pending.length && this.journalFd >= 0) {
      const batch = Buffer.concat(this.pending);
      this.pending = [];
      fs.writeSync(this.journalFd, batch);
      fs.fdatasyncSync(this.journalFd);
      this.markSynced(this.appended);
    }
    const generation = this.generation + 1;
    const tmp = path.join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    const write = (record: Doc) => {
      const f = frame(record);
      chunk.push(f);
      chunkBytes += f.length;
      if (chunkBytes > 1 << 20) {
        fs.writeSync(fd, Buffer.concat(chunk));
        chunk = [];
        chunkBytes = 0;
      }
    };
    write({ snapshot: { generation } });
    for (const [db, colls] of this.storage.databases)
      for (const [name, coll] of colls) {
        write({ collection: `${db}.${name}`, indexes: coll.secondaryIndexes.map((i) => i.spec) });
        for (const record of coll.docs.values()) write({ ns: `${db}.${name}`, doc: record.doc });
      }
    // what a retry of a session's latest write must be answered with, as mongod keeps it in config.transactions
    for (const rw of this.retryableRecords?.() ?? []) write({ rw });
    if (chunk.length) fs.writeSync(fd, Buffer.concat(chunk));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, path.join(this.dir, SNAPSHOT));
    fsyncDir(this.dir);
    if (this.journalFd >= 0) fs.closeSync(this.journalFd);
    this.generation = generation;
    this.journalFd = fs.openSync(path.join(this.dir, `journal-${generation}.log`), 'a');
    this.journalBytes = 0;
    fsyncDir(this.dir);
    for (const f of fs.readdirSync(this.dir)) {
      const gen = Number(JOURNAL.exec(f)?.[1] ?? Infinity);
      if (gen < generation) fs.rmSync(path.join(this.dir, f), { force: true });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushed(this.appended);
    while (this.flushing) await new Promise((r) => setTimeout(r, 5));
    this.compact();
    fs.closeSync(this.journalFd);
    this.journalFd = -1;
    this.storage.sink = undefined;
  }
}
