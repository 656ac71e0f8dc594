import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Binary, deserialize, serialize } from 'bson';
import { Collection, DocRecord, entryId, IndexEntry, IndexSpec } from './collection';
import { decodeIndexSection, IndexSectionWriter, SharedKeyValues } from './indexSections';
import { Slicer } from './yielding';
import { ChangeSink, Storage, WriteOp } from './storage';
import { Doc, DESERIALIZE_OPTIONS, idKeyOf, idKeyOfStored, isPlainObject } from './values';

/**
 * On-disk layout of a data directory:
 *   snapshot.bson       framed records: {snapshot: {generation}}, then {collection, indexes} and {ns, doc} records
 *   journal-<gen>.log   framed change records appended after the snapshot of generation <= gen
 * A frame is [uint32 length][uint32 crc32][BSON]; a torn or corrupt tail frame is ignored on recovery,
 * which is safe because a write is acknowledged only after its frame has been fsync'd.
 */
const SNAPSHOT = 'snapshot.bson';
const JOURNAL = /^journal-(\d+)\.log$/;
/** A snapshot is written once the journal since the last one reaches this size and half the snapshot's. */
const COMPACT_MIN_JOURNAL_BYTES = 16 * 1024 * 1024;
const COMPACT_CHECK_MS = 10_000;
const READ_CHUNK_BYTES = 8 * 1024 * 1024;
/** A frame holds one record: a document (≤ 16 MiB as BSON) or a batch of writes (a message, ≤ 48 MB). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Snapshot bytes framed before handing them to the file and letting other work run. */
const SNAPSHOT_WRITE_BYTES = 1024 * 1024;

function frame(record: Doc): Buffer {
  const body = serialize(record, { ignoreUndefined: true });
  const header = Buffer.alloc(8);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(zlib.crc32(body), 4);
  return Buffer.concat([header, body]);
}

/**
 * A snapshot's document record `{ns, doc}` framed from the document's stored BSON, without encoding it again
 * (writing a snapshot used to serialize every document anew).
 */
function frameStored(ns: string, bson: string): Buffer {
  const nsBytes = Buffer.byteLength(ns);
  const docBytes = bson.length; // one byte per character
  // {ns: <string>, doc: <document>}: int32 size, 0x02 "ns\0" int32 len string \0, 0x03 "doc\0" document, \0
  const size = 4 + (1 + 3 + 4 + nsBytes + 1) + (1 + 4 + docBytes) + 1;
  const out = Buffer.allocUnsafe(8 + size);
  let at = 8;
  out.writeInt32LE(size, at);
  at += 4;
  out[at++] = 0x02;
  at += out.write('ns\0', at, 'latin1');
  out.writeInt32LE(nsBytes + 1, at);
  at += 4;
  at += out.write(ns, at, 'utf8');
  out[at++] = 0;
  out[at++] = 0x03;
  at += out.write('doc\0', at, 'latin1');
  at += out.write(bson, at, 'latin1');
  out[at++] = 0;
  out.writeUInt32LE(size, 0);
  out.writeUInt32LE(zlib.crc32(out.subarray(8)), 4);
  return out;
}

/** A snapshot's `{ns, doc}` record read without decoding the document: its namespace and BSON (or undefined if it is another record). */
function storedDocRecord(body: Buffer): { ns: string; bson: string } | undefined {
  // 0x02 "ns\0" at offset 4, then the string, then 0x03 "doc\0"
  if (body[4] !== 0x02 || body[5] !== 0x6e || body[6] !== 0x73 || body[7] !== 0) return undefined;
  const nsLength = body.readInt32LE(8);
  const nsEnd = 12 + nsLength; // after the string's trailing zero
  if (body[nsEnd] !== 0x03 || body.toString('latin1', nsEnd + 1, nsEnd + 5) !== 'doc\0') return undefined;
  const docStart = nsEnd + 5;
  const docLength = body.readInt32LE(docStart);
  return { ns: body.toString('utf8', 12, nsEnd - 1), bson: body.toString('latin1', docStart, docStart + docLength) };
}

/**
 * Decodes frames until the end of the file or the first torn/corrupt frame. The file is read in pieces, so
 * its size is not bounded by what one Buffer can hold (2 GiB), and recovery holds one piece at a time.
 */
function* readFrames(file: string, chunkBytes = READ_CHUNK_BYTES): Generator<Doc> {
  for (const body of readFrameBodies(file, chunkBytes)) yield deserialize(body, DESERIALIZE_OPTIONS);
}

/** The frames' BSON bodies, valid only until the next one is read. */
function* readFrameBodies(file: string, chunkBytes = READ_CHUNK_BYTES): Generator<Buffer> {
  const fd = fs.openSync(file, 'r');
  try {
    let buffer = Buffer.alloc(chunkBytes);
    let start = 0; // first unread byte in buffer
    let end = 0; // end of the bytes read into buffer
    let eof = false;
    // Makes `bytes` bytes available from `start`; false at the end of the file.
    const fill = (bytes: number): boolean => {
      while (end - start < bytes && !eof) {
        if (start > 0) {
          buffer.copy(buffer, 0, start, end);
          end -= start;
          start = 0;
        }
        if (buffer.length - end < chunkBytes / 2 || buffer.length < bytes) {
          const grown = Buffer.alloc(Math.max(buffer.length * 2, bytes + chunkBytes));
          buffer.copy(grown, 0, 0, end);
          buffer = grown;
        }
        const read = fs.readSync(fd, buffer, end, buffer.length - end, null);
        if (read === 0) eof = true;
        end += read;
      }
      return end - start >= bytes;
    };
    while (fill(8)) {
      const length = buffer.readUInt32LE(start);
      const crc = buffer.readUInt32LE(start + 4);
      if (length > MAX_FRAME_BYTES || !fill(8 + length)) return;
      const body = buffer.subarray(start + 8, start + 8 + length);
      if (zlib.crc32(body) !== crc) return;
      yield body;
      start += 8 + length;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Snapshots from this format on carry each secondary index's entries after the collection's documents. */
const SNAPSHOT_FORMAT_INDEX_SECTIONS = 2;
/** Encoded index entries per section record. */
const INDEX_SECTION_BYTES = 1024 * 1024;

interface IndexSectionRead {
  count: number;
  multikey: boolean;
  entries: IndexEntry[];
  last?: IndexEntry;
  /** False once a part did not decode or did not follow the collection's documents: the index is built instead. */
  valid: boolean;
}

/**
 * One part of an index section `{ix: ns, name, count, multikey, entries}`: its entries are decoded and appended
 * to what the earlier parts gave. It must come after the collection's documents (their positions are known).
 */
function readIndexSection(record: Doc, collections: Map<string, Collection>, idsInOrder: Map<string, string[]>, sections: Map<string, Map<string, IndexSectionRead>>, shared: Map<string, SharedKeyValues>): void {
  const ns = record.ix as string;
  const coll = collections.get(ns);
  const index = coll?.secondaryIndexes.find((i) => i.spec.name === record.name);
  if (!coll || !index) return;
  let byName = sections.get(ns);
  if (!byName) sections.set(ns, (byName = new Map()));
  let section = byName.get(index.spec.name);
  if (!section) byName.set(index.spec.name, (section = { count: Number(record.count), multikey: record.multikey === true, entries: [], valid: true }));
  if (!section.valid) return;
  const bytes = record.entries instanceof Binary ? record.entries.buffer.subarray(0, record.entries.position) : undefined;
  let values = shared.get(ns);
  if (!values) {
    shared.clear(); // a collection's sections come together: the previous collection's values are not needed again
    shared.set(ns, (values = new SharedKeyValues()));
  }
  const last = bytes && decodeIndexSection(bytes, index.fields.length, idsInOrder.get(ns) ?? [], section.entries, section.last, values);
  if (last) section.last = last;
  else if (bytes?.length !== 0) section.valid = false;
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

/** What a snapshot writes of one collection, taken at its cut. */
interface SnapshotCut {
  ns: string;
  indexes: IndexSpec[];
  /** The documents' id keys, in the order of `docs`. */
  ids: string[];
  docs: DocRecord[];
  /** The secondary indexes' entries in order (none while they are not built). */
  sorted?: { spec: IndexSpec; leaves: readonly (readonly IndexEntry[])[]; multikey: boolean }[];
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
  /** Size of the latest snapshot file, and the one being written. */
  private snapshotBytes = 0;
  private snapshotting?: Promise<void>;

  private constructor(
    private readonly dir: string,
    private readonly storage: Storage,
    private generation: number,
  ) {
    // Checked now and then as well as after each flush, so a journal that stopped growing is still folded in.
    this.timer = setInterval(() => {
      if (!this.flushing) this.snapshotIfDue();
    }, COMPACT_CHECK_MS);
    this.timer.unref();
  }

  /** Recovers the directory's state into `storage`, then journals every later change. */
  /** `readChunkBytes`: how much of a file recovery reads at a time (tests make it small to cross many pieces). */
  static async open(dir: string, storage: Storage, onRetryableWrite: (record: Doc) => void = () => undefined, options: { readChunkBytes?: number } = {}): Promise<Durability> {
    fs.mkdirSync(dir, { recursive: true });
    // kept for the snapshot taken below, before the server has put them back on its sessions
    const recovered: Doc[] = [];
    const onRetryable = (rw: Doc) => {
      recovered.push(rw);
      onRetryableWrite(rw);
    };
    let generation = 0;
    const snapshotFile = path.join(dir, SNAPSHOT);
    storage.startBulkLoad();
    if (fs.existsSync(snapshotFile)) {
      const collections = new Map<string, Collection>();
      // each collection's document ids in snapshot order: index sections name documents by position
      const idsInOrder = new Map<string, string[]>();
      const sections = new Map<string, Map<string, IndexSectionRead>>();
      const sharedValues = new Map<string, SharedKeyValues>();
      let format = 1;
      for (const body of readFrameBodies(snapshotFile, options.readChunkBytes)) {
        // most records are documents: kept as the BSON they are, without decoding them (indexes are built at the end)
        const stored = storedDocRecord(body);
        if (stored) {
          let coll = collections.get(stored.ns);
          if (!coll) collections.set(stored.ns, (coll = storage.ensureCollection(...splitNs(stored.ns))));
          let ids = idsInOrder.get(stored.ns);
          if (!ids) idsInOrder.set(stored.ns, (ids = []));
          const id = idKeyOfStored(stored.bson);
          ids.push(id);
          coll.load(id, new DocRecord(stored.bson, 0));
          continue;
        }
        const record = deserialize(body, DESERIALIZE_OPTIONS);
        if (record.snapshot) {
          generation = Number((record.snapshot as Doc).generation);
          format = Number((record.snapshot as Doc).format ?? 1);
        } else if (typeof record.collection === 'string') {
          const [db, name] = splitNs(record.collection);
          const coll = storage.ensureCollection(db, name);
          collections.set(record.collection, coll);
          for (const spec of record.indexes as IndexSpec[]) coll.addIndex(spec);
        } else if (typeof record.ix === 'string') {
          if (format >= SNAPSHOT_FORMAT_INDEX_SECTIONS) readIndexSection(record, collections, idsInOrder, sections, sharedValues);
        } else Durability.applyRecord(storage, record, onRetryable);
      }
      // collections whose every index came complete take it as it is; the others are built at finishBulkLoad
      for (const [ns, coll] of collections) {
        const complete = new Map<string, { entries: IndexEntry[]; multikey: boolean }>();
        for (const [name, section] of sections.get(ns) ?? []) if (section.valid && section.entries.length === section.count) complete.set(name, section);
        if (format >= SNAPSHOT_FORMAT_INDEX_SECTIONS) coll.loadSortedIndexes(complete);
      }
    }
    const journals = fs
      .readdirSync(dir)
      .map((f) => ({ file: f, gen: Number(JOURNAL.exec(f)?.[1] ?? -1) }))
      .filter((j) => j.gen >= generation)
      .sort((a, b) => a.gen - b.gen);
    for (const j of journals) for (const record of readFrames(path.join(dir, j.file), options.readChunkBytes)) Durability.applyRecord(storage, record, onRetryable);
    storage.finishBulkLoad();
    const durability = new Durability(dir, storage, Math.max(generation, ...journals.map((j) => j.gen)));
    storage.sink = durability;
    durability.retryableRecords = () => recovered;
    durability.snapshotBytes = fs.existsSync(snapshotFile) ? fs.statSync(snapshotFile).size : 0;
    durability.journalBytes = journals.reduce((sum, j) => sum + fs.statSync(path.join(dir, j.file)).size, 0);
    // Later changes go to a journal of their own, so a torn tail of the last one is never appended to. No
    // snapshot is written here: starting costs reading the files, not rewriting them.
    durability.openJournal(durability.generation + 1);
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
      this.snapshotIfDue();
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

  private openJournal(generation: number): void {
    if (this.journalFd >= 0) fs.closeSync(this.journalFd);
    this.generation = generation;
    this.journalFd = fs.openSync(path.join(this.dir, `journal-${generation}.log`), 'a');
    fsyncDir(this.dir);
  }

  /** Starts a snapshot when replaying the journal would cost about as much as reading a new snapshot. */
  private snapshotIfDue(): void {
    if (this.snapshotting || this.journalFd < 0) return;
    if (this.journalBytes < Math.max(COMPACT_MIN_JOURNAL_BYTES, this.snapshotBytes / 2)) return;
    void this.snapshot();
  }

  /**
   * Writes the whole state to a new snapshot and then drops the journals it covers. Only the cut is taken
   * synchronously (between flushes): the journal switches to a new generation and the current documents are
   * listed by reference, which is consistent because a write replaces a document object and never changes one
   * in place. Encoding and writing the file then run in steps, with commands served in between; a crash before
   * the new file is renamed into place leaves the previous snapshot and every journal since, as before.
   */
  snapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    this.frameHeld();
    if (this.pending.length && this.journalFd >= 0) {
      const batch = Buffer.concat(this.pending);
      this.pending = [];
      fs.writeSync(this.journalFd, batch);
      fs.fdatasyncSync(this.journalFd);
      this.markSynced(this.appended);
    }
    const generation = this.generation + 1;
    const cut: SnapshotCut[] = [];
    for (const [db, colls] of this.storage.databases)
      for (const [name, coll] of colls)
        cut.push({ ns: `${db}.${name}`, indexes: coll.secondaryIndexes.map((i) => i.spec), ids: Array.from(coll.docs.keys()), docs: Array.from(coll.docs.values()), sorted: coll.frozenIndexes() });
    // what a retry of a session's latest write must be answered with, as mongod keeps it in config.transactions
    const retryable = [...(this.retryableRecords?.() ?? [])];
    this.openJournal(generation);
    this.journalBytes = 0;
    this.snapshotting = this.writeSnapshot(generation, cut, retryable).finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  private async writeSnapshot(generation: number, cut: SnapshotCut[], retryable: Doc[]): Promise<void> {
    const tmp = path.join(this.dir, `${SNAPSHOT}.tmp`);
    const file = await fs.promises.open(tmp, 'w');
    let size = 0;
    try {
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      const write = async (record: Doc | Buffer) => {
        const framed = Buffer.isBuffer(record) ? record : frame(record);
        chunk.push(framed);
        chunkBytes += framed.length;
        if (chunkBytes < SNAPSHOT_WRITE_BYTES) return;
        const bytes = Buffer.concat(chunk);
        chunk = [];
        chunkBytes = 0;
        size += bytes.length;
        await file.write(bytes);
      };
      await write({ snapshot: { generation, format: SNAPSHOT_FORMAT_INDEX_SECTIONS } });
      for (const collection of cut) {
        await write({ collection: collection.ns, indexes: collection.indexes });
        for (const record of collection.docs) await write(frameStored(collection.ns, record.bson));
        if (!collection.sorted?.length) continue;
        // encoding index entries is most of the writing's CPU: it stops every few ms so commands are served between
        const slicer = new Slicer(true);
        const position = new Map<string, number>();
        for (let i = 0; i < collection.ids.length; i++) {
          position.set(collection.ids[i], i);
          if ((i & 4095) === 0 && slicer.due()) await slicer.pause();
        }
        for (const { spec, leaves, multikey } of collection.sorted) {
          const count = leaves.reduce((sum, leaf) => sum + leaf.length, 0);
          const writer = new IndexSectionWriter(Object.keys(spec.key).length, INDEX_SECTION_BYTES);
          const part = () => write({ ix: collection.ns, name: spec.name, count, multikey, entries: new Binary(writer.take()) });
          let complete = true;
          walk: for (const leaf of leaves)
            for (const entry of leaf) {
              const at = position.get(entryId(entry));
              // an entry without its document would recover wrong: the section is left short, so recovery builds the index
              if (at === undefined) {
                complete = false;
                break walk;
              }
              if (writer.add(entry, at)) await part();
              if ((writer.count & 255) === 0 && slicer.due()) await slicer.pause();
            }
          if (complete) await part();
        }
      }
      for (const rw of retryable) await write({ rw });
      if (chunk.length) {
        const bytes = Buffer.concat(chunk);
        size += bytes.length;
        await file.write(bytes);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.promises.rename(tmp, path.join(this.dir, SNAPSHOT));
    fsyncDir(this.dir);
    this.snapshotBytes = size;
    for (const name of await fs.promises.readdir(this.dir)) {
      const gen = Number(JOURNAL.exec(name)?.[1] ?? Infinity);
      if (gen < generation) await fs.promises.rm(path.join(this.dir, name), { force: true });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushed(this.appended);
    while (this.flushing) await new Promise((r) => setTimeout(r, 5));
    await this.snapshotting;
    // a clean stop leaves one snapshot and an empty journal, so the next start reads one file
    if (this.journalBytes > 0 || this.pending.length || this.held) await this.snapshot();
    fs.closeSync(this.journalFd);
    this.journalFd = -1;
    this.storage.sink = undefined;
  }
}
