import net from 'node:net';
import zlib from 'node:zlib';
import { deserialize, serialize } from 'bson';
import { Long, MongoClient } from 'mongodb';
import { startServer } from '../src';
import { sleep } from './helpers';

// Behaviour of the embedded server itself (wire framing, timers); these always run against it.

function exchange(port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(message));
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 4 && data.length >= data.readInt32LE(0)) {
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', reject);
  });
}

function header(length: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(7, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

describe('embedded server', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer({ port: 0, ttlSweepIntervalMs: 100, cursorTimeoutMs: 300 });
  });
  afterAll(() => server.stop());

  test('uri is a plain mongodb:// URI on 127.0.0.1 and the reported port', () => {
    expect(server.uri).toBe(`mongodb://127.0.0.1:${server.port}`);
  });

  test('legacy OP_QUERY isMaster handshake is answered with OP_REPLY', async () => {
    const name = Buffer.from('admin.$cmd\0');
    const query = serialize({ isMaster: 1 });
    const counts = Buffer.alloc(8);
    counts.writeInt32LE(-1, 4);
    const body = Buffer.concat([Buffer.alloc(4), name, counts, query]);
    const reply = await exchange(server.port, Buffer.concat([header(16 + body.length, 2004), body]));
    expect(reply.readInt32LE(8)).toBe(7); // responseTo
    expect(reply.readInt32LE(12)).toBe(1); // OP_REPLY
    expect(reply.readInt32LE(32)).toBe(1); // numberReturned
    const doc = deserialize(reply.subarray(36));
    expect(doc).toMatchObject({ ismaster: true, setName: 'rs0', hosts: [`127.0.0.1:${server.port}`], ok: 1 });
    expect(doc.maxWireVersion).toBeGreaterThanOrEqual(17);
  });

  test('OP_MSG with a checksum and a document sequence section', async () => {
    const bodySection = Buffer.concat([Buffer.from([0]), serialize({ insert: 'seq', $db: 'wire' })]);
    const docs = Buffer.concat([serialize({ _id: 1 }), serialize({ _id: 2 })]);
    const identifier = Buffer.from('documents\0');
    const seqSize = Buffer.alloc(4);
    seqSize.writeInt32LE(4 + identifier.length + docs.length);
    const sequence = Buffer.concat([Buffer.from([1]), seqSize, identifier, docs]);
    const flags = Buffer.alloc(4);
    flags.writeUInt32LE(1); // checksumPresent
    const length = 16 + 4 + bodySection.length + sequence.length + 4;
    const withoutChecksum = Buffer.concat([header(length, 2013), flags, bodySection, sequence]);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32LE(zlib.crc32(withoutChecksum));
    const reply = await exchange(server.port, Buffer.concat([withoutChecksum, checksum]));
    expect(reply.readInt32LE(12)).toBe(2013);
    expect(deserialize(reply.subarray(21))).toMatchObject({ n: 2, ok: 1 });
  });

  test('messages split across many TCP chunks, and several messages in one chunk, are all answered', async () => {
    const ping = (id: number) => {
      const body = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), serialize({ ping: 1, $db: 'admin' })]);
      const h = header(16 + body.length, 2013);
      h.writeInt32LE(id, 4);
      return Buffer.concat([h, body]);
    };
    const stream = Buffer.concat([ping(1), ping(2), ping(3)]);
    const replies = await new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', async () => {
        // byte by byte for the first message, then the other two together
        const first = ping(1).length;
        for (let i = 0; i < first; i++) {
          socket.write(stream.subarray(i, i + 1));
          if (i % 16 === 0) await sleep(1);
        }
        socket.write(stream.subarray(first));
      });
      let data = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        data = Buffer.concat([data, chunk]);
        let pos = 0;
        let count = 0;
        while (pos + 4 <= data.length && pos + data.readInt32LE(pos) <= data.length) {
          pos += data.readInt32LE(pos);
          count++;
        }
        if (count === 3) {
          socket.end();
          resolve(data);
        }
      });
      socket.on('error', reject);
    });
    const responseTo: number[] = [];
    for (let pos = 0; pos < replies.length; pos += replies.readInt32LE(pos)) {
      responseTo.push(replies.readInt32LE(pos + 8));
      expect(deserialize(replies.subarray(pos + 21, pos + replies.readInt32LE(pos)))).toMatchObject({ ok: 1 });
    }
    expect(responseTo).toEqual([1, 2, 3]);
    const client = await MongoClient.connect(server.uri);
    const big = 'x'.repeat(12 * 1024 * 1024);
    await client.db('wire').collection('big').insertOne({ _id: 'big' as never, big });
    expect((await client.db('wire').collection('big').findOne({ _id: 'big' as never }))!.big).toHaveLength(big.length);
    await client.close();
  });

  test('TTL index: the sweeper removes expired documents only', async () => {
    const client = await MongoClient.connect(server.uri);
    const sessions = client.db('ttl').collection('sessions');
    await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await sessions.createIndex({ lastSeen: -1 }, { expireAfterSeconds: 3600 });
    await sessions.insertMany([
      { name: 'old', expiresAt: new Date(Date.now() - 1000) },
      { name: 'future', expiresAt: new Date(Date.now() + 60_000) },
      { name: 'not-a-date', expiresAt: 'tomorrow' },
      { name: 'stale', lastSeen: new Date(Date.now() - 2 * 3600_000) },
      { name: 'fresh', lastSeen: new Date() },
    ]);
    await sleep(350);
    expect((await sessions.find().toArray()).map((d) => d.name).sort()).toEqual(['fresh', 'future', 'not-a-date']);
    await client.close();
  });

  test('a long insert outside a transaction lets another connection in before it finishes, as mongod does', async () => {
    const writer = await MongoClient.connect(server.uri, { maxPoolSize: 1 });
    const reader = await MongoClient.connect(server.uri, { maxPoolSize: 1 });
    try {
      const db = 'interleave';
      await reader.db(db).command({ ping: 1 }); // both connections open before the race starts
      await writer.db(db).command({ ping: 1 });
      const docs = Array.from({ length: 20_000 }, (_, i) => ({ i, pad: 'x'.repeat(100) }));
      const inserting = writer.db(db).collection('big').insertMany(docs);
      await sleep(20); // the insert message is on its way or being applied
      const seenMidway = await reader.db(db).collection('big').countDocuments();
      await inserting;
      // The reader's count ran between two slices of the insert: some documents were in, not all of them.
      expect(seenMidway).toBeLessThan(20_000);
      expect(await reader.db(db).collection('big').countDocuments()).toBe(20_000);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  test('idle cursors time out; active ones keep going', async () => {
    const client = await MongoClient.connect(server.uri);
    const db = client.db('cursors');
    await db.collection('c').insertMany(Array.from({ length: 300 }, (_, i) => ({ i })));
    const idle = await db.command({ find: 'c', filter: {}, batchSize: 10 });
    const kept = await db.command({ find: 'c', filter: {}, batchSize: 10, noCursorTimeout: true });
    await sleep(900);
    await expect(db.command({ getMore: idle.cursor.id, collection: 'c' })).rejects.toMatchObject({ code: 43, codeName: 'CursorNotFound' });
    const more = await db.command({ getMore: kept.cursor.id, collection: 'c' });
    expect(more.cursor.nextBatch).toHaveLength(290);
    await client.close();
  });

  test('the record of a retryable write is dropped with its session (mongod keeps it durably; this server does not)', async () => {
    const client = await MongoClient.connect(server.uri);
    const db = client.db('retry');
    const session = client.startSession();
    const command = { insert: 'once', documents: [{ k: 1 }], txnNumber: Long.fromNumber(1) };
    await db.command({ ...command }, { session });
    await db.command({ ...command }, { session });
    expect(await db.collection('once').countDocuments()).toBe(1);
    await client.db('admin').command({ endSessions: [session.id] });
    // the same lsid and txnNumber are now unknown, so the write applies again
    await db.command({ ...command }, { session });
    expect(await db.collection('once').countDocuments()).toBe(2);
    await session.endSession();
    await client.close();
  });

  test('options that would change results and are not implemented are refused clearly', async () => {
    const client = await MongoClient.connect(server.uri);
    const c = client.db('refuse').collection('c');
    await c.insertOne({ a: 'x' });
    await expect(c.find({}, { collation: { locale: 'fr' } }).toArray()).rejects.toThrow(/collation is not supported/);
    await expect(c.aggregate([{ $out: { db: 'elsewhere', coll: 'other' } }]).toArray()).rejects.toThrow(/\$out into another database is not supported/);
    await expect(c.createIndex({ loc: '2dsphere' })).rejects.toThrow(/not supported/);
    await expect(client.db('refuse').createCollection('capped', { capped: true, size: 1000 })).rejects.toThrow(/not supported/);
    // harmless options are accepted
    expect(await c.find({ a: 'x' }, { maxTimeMS: 1000, comment: 'hi', readConcern: { level: 'majority' } }).toArray()).toHaveLength(1);
    await c.insertOne({ b: 1 }, { writeConcern: { w: 'majority', j: true } });
    await client.close();
  });
});
