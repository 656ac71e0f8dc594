import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
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
