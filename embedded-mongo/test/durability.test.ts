import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { BSON, Document, Long, MongoClient, UUID } from 'mongodb';
import { startServer } from '../src';

// These tests exercise the embedded server's own data directory, so they always run against it.

const tempDirs: string[] = [];
const makeDataDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-mongo-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('durability with a data directory', () => {
  test('a restart recovers documents, indexes and committed transactions', async () => {
    const dataDir = makeDataDir();
    let server = await startServer({ port: 0, dataDir });
    let client = await MongoClient.connect(server.uri);
    const members = () => client.db('app').collection<{ _id: number; email: string; points?: number }>('members');
    await members().createIndex({ email: 1 }, { unique: true });
    await members().insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, email: `m${i}@e` })));
    await members().updateOne({ _id: 3 }, { $set: { points: 7 } });
    await members().deleteOne({ _id: 4 });
    const session = client.startSession();
    await session.withTransaction(async () => {
      await members().insertOne({ _id: 100, email: 'tx@e' }, { session });
      await members().updateOne({ _id: 5 }, { $set: { points: 1 } }, { session });
    });
    await session.endSession();
    await client.close();
    await server.stop();

    server = await startServer({ port: 0, dataDir });
    client = await MongoClient.connect(server.uri);
    expect(await members().countDocuments()).toBe(50);
    expect((await members().findOne({ _id: 3 }))!.points).toBe(7);
    expect(await members().findOne({ _id: 4 })).toBeNull();
    expect((await members().findOne({ _id: 100 }))!.email).toBe('tx@e');
    expect((await members().findOne({ _id: 5 }))!.points).toBe(1);
    await expect(members().insertOne({ _id: 101, email: 'm1@e' })).rejects.toMatchObject({ code: 11000 });
    // a second restart works from the compacted snapshot plus the new journal
    await members().insertOne({ _id: 102, email: 'late@e' });
    await client.close();
    await server.stop();
    server = await startServer({ port: 0, dataDir });
    client = await MongoClient.connect(server.uri);
    expect(await members().countDocuments()).toBe(51);
    await client.close();
    await server.stop();
  });

  test('a snapshot asked for over the running server is written while commands are answered', async () => {
    const dataDir = makeDataDir();
    let server = await startServer({ port: 0, dataDir });
    let client = await MongoClient.connect(server.uri);
    const members = () => client.db('app').collection<{ _id: number; note: string }>('members');
    await members().insertMany(Array.from({ length: 50_000 }, (_, i) => ({ _id: i, note: 'x'.repeat(200) })));
    const snapshot = server.snapshot();
    let snapshotDone = false;
    void snapshot.then(() => (snapshotDone = true));
    // a read and a write sent after the cut are answered before the file is finished
    expect((await members().findOne({ _id: 49_999 }))?._id).toBe(49_999);
    await members().insertOne({ _id: 50_000, note: 'written during the snapshot' });
    expect(snapshotDone).toBe(false);
    await snapshot;
    expect(fs.readdirSync(dataDir).filter((name) => name.startsWith('journal-'))).toHaveLength(1);
    expect(fs.statSync(path.join(dataDir, 'snapshot.bson')).size).toBeGreaterThan(50_000 * 200);
    await client.close();
    await server.stop();

    server = await startServer({ port: 0, dataDir });
    client = await MongoClient.connect(server.uri);
    expect(await members().countDocuments()).toBe(50_001);
    expect((await members().findOne({ _id: 50_000 }))?.note).toBe('written during the snapshot');
    await client.close();
    await server.stop();
    // without a data directory there is nothing to write, and asking is harmless
    const inMemory = await startServer({ port: 0 });
    await expect(inMemory.snapshot()).resolves.toBeUndefined();
    await inMemory.stop();
  });

  test('without a data directory nothing is kept', async () => {
    let server = await startServer({ port: 0 });
    let client = await MongoClient.connect(server.uri);
    await client.db('app').collection('x').insertOne({ a: 1 });
    await client.close();
    await server.stop();
    server = await startServer({ port: 0 });
    client = await MongoClient.connect(server.uri);
    expect(await client.db('app').collection('x').countDocuments()).toBe(0);
    await client.close();
    await server.stop();
  });

  /** One command on a connection of its own, so a test can send a driver's retry (same lsid and txnNumber) itself. */
  async function rawCommand(uri: string, command: Document): Promise<Document> {
    const [host, port] = uri.replace(/^mongodb:\/\//, '').split(/[/?]/)[0].split(':');
    const socket = net.connect(Number(port), host);
    try {
      return await new Promise<Document>((resolve, reject) => {
        let buffered = Buffer.alloc(0);
        socket.on('data', (chunk) => {
          buffered = Buffer.concat([buffered, chunk]);
          if (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) resolve(BSON.deserialize(buffered.subarray(21, buffered.readInt32LE(0))));
        });
        socket.on('error', reject);
        const body = BSON.serialize(command);
        const header = Buffer.alloc(21);
        header.writeInt32LE(21 + body.length, 0);
        header.writeInt32LE(1, 4);
        header.writeInt32LE(2013, 12); // OP_MSG
        socket.write(Buffer.concat([header, body]));
      });
    } finally {
      socket.destroy();
    }
  }

  /**
   * Retryable writes as the driver sends them, each the latest of its session (only that one is retried): an
   * insert of two documents, and a findAndModify on another session.
   */
  function retryableWrites() {
    return {
      insert: { insert: 'counters', documents: [{ _id: 'a', n: 0 }, { _id: 'b', n: 0 }], lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1), $db: 'app' },
      bump: { findAndModify: 'counters', query: { _id: 'a' }, update: { $inc: { n: 1 } }, new: true, lsid: { id: new UUID() }, txnNumber: Long.fromNumber(7), $db: 'app' },
    };
  }

  test('retryable-write records survive a restart: a retry after it is answered from the record, not applied again', async () => {
    const dataDir = makeDataDir();
    let server = await startServer({ port: 0, dataDir });
    const writes = retryableWrites();
    expect(await rawCommand(server.uri, writes.insert)).toMatchObject({ ok: 1, n: 2 });
    expect(await rawCommand(server.uri, writes.bump)).toMatchObject({ ok: 1, value: { _id: 'a', n: 1 } });
    await server.stop();
    // twice: the records must also outlive the snapshot the first restart writes
    for (let restart = 0; restart < 2; restart++) {
      server = await startServer({ port: 0, dataDir });
      expect(await rawCommand(server.uri, writes.bump)).toMatchObject({ ok: 1, value: { _id: 'a', n: 1 }, retriedStmtId: 0 });
      expect(await rawCommand(server.uri, writes.insert)).toMatchObject({ ok: 1, n: 2, retriedStmtIds: [0, 1] });
      expect(await rawCommand(server.uri, { find: 'counters', filter: {}, $db: 'app' })).toMatchObject({ cursor: { firstBatch: [{ _id: 'a', n: 1 }, { _id: 'b', n: 0 }] } });
      await server.stop();
    }
  });

  const cliPath = path.join(__dirname, '..', 'src', 'cli.ts');

  /** Starts the CLI in a child process and resolves with it and the URI it prints. */
  function startCli(dataDir: string): Promise<{ child: ChildProcess; uri: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', cliPath, '--port', '0', '--dbpath', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /mongodb:\/\/\S+/.exec(out);
        if (match) resolve({ child, uri: match[0] });
      });
      child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (code) => reject(new Error(`cli exited with ${code}: ${out}`)));
    });
  }

  test('after a SIGKILL, a retry of an acknowledged retryable write is answered from the journaled record', async () => {
    const dataDir = makeDataDir();
    const first = await startCli(dataDir);
    const writes = retryableWrites();
    expect(await rawCommand(first.uri, writes.insert)).toMatchObject({ ok: 1, n: 2 });
    expect(await rawCommand(first.uri, writes.bump)).toMatchObject({ ok: 1, value: { _id: 'a', n: 1 } });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const second = await startCli(dataDir);
    try {
      expect(await rawCommand(second.uri, writes.bump)).toMatchObject({ ok: 1, value: { _id: 'a', n: 1 }, retriedStmtId: 0 });
      expect(await rawCommand(second.uri, writes.insert)).toMatchObject({ ok: 1, n: 2, retriedStmtIds: [0, 1] });
      expect(await rawCommand(second.uri, { find: 'counters', filter: {}, $db: 'app' })).toMatchObject({ cursor: { firstBatch: [{ _id: 'a', n: 1 }, { _id: 'b', n: 0 }] } });
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  }, 30_000);

  test('SIGKILL during a burst of writes loses no acknowledged write and leaves no half transaction', async () => {
    const dataDir = makeDataDir();
    const first = await startCli(dataDir);
    const client = await MongoClient.connect(first.uri, { retryWrites: false, serverSelectionTimeoutMS: 500, maxPoolSize: 20 });
    const events = client.db('app').collection<{ _id: string; pair?: number }>('events');
    const acknowledged: string[] = [];
    const acknowledgedPairs: number[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          if (i % 5 === 4) {
            // a transaction writing two documents: after recovery both or neither must exist
            const pair = w * 100_000 + i;
            const session = client.startSession();
            try {
              await session.withTransaction(async () => {
                await events.insertOne({ _id: `p${pair}a`, pair }, { session });
                await events.insertOne({ _id: `p${pair}b`, pair }, { session });
              });
              acknowledgedPairs.push(pair);
            } finally {
              await session.endSession().catch(() => undefined);
            }
          } else {
            const id = `w${w}-${i}`;
            await events.insertOne({ _id: id });
            acknowledged.push(id);
          }
        } catch {
          return;
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await client.close(true).catch(() => undefined);

    const second = await startCli(dataDir);
    const verify = await MongoClient.connect(second.uri);
    try {
      const stored = await verify.db('app').collection<{ _id: string; pair?: number }>('events').find().toArray();
      const ids = new Set(stored.map((d) => d._id));
      expect(acknowledgedPairs.length).toBeGreaterThan(0);
      expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
      for (const pair of acknowledgedPairs) expect(ids.has(`p${pair}a`) && ids.has(`p${pair}b`)).toBe(true);
      const halves = new Map<number, number>();
      for (const d of stored) if (d.pair !== undefined) halves.set(d.pair, (halves.get(d.pair) ?? 0) + 1);
      expect([...halves.values()].filter((n) => n !== 2)).toEqual([]);
    } finally {
      await verify.close();
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  }, 30_000);
});
