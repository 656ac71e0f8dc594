import net from 'node:net';
import { BSON, CommandFailedEvent, CommandStartedEvent, Db, Document, MongoClient, MongoNetworkError, MongoServerError } from 'mongodb';
import { freshDbName, openTarget, sleep, Target } from './helpers';

// configureFailPoint as mongod answers it (there only with --setParameter enableTestCommands=1), with the
// fail points and fields the drivers' specification tests use.

let target: Target;
let db: Db;
let admin: Db;

beforeAll(async () => {
  target = await openTarget();
  db = target.client.db(freshDbName('failpoints'));
  admin = target.client.db('admin');
  await db.createCollection('items');
});
afterAll(async () => {
  await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
  await db.dropDatabase();
  await target.close();
});
beforeEach(() => db.collection('items').deleteMany({}));
afterEach(async () => {
  await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
  await admin.command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: 'off' });
});

/** A client of its own whose commands are recorded, so a test sees what the driver sent and retried. */
async function recordingClient(options: { appName?: string; retryWrites?: boolean } = {}) {
  const started: CommandStartedEvent[] = [];
  const failed: CommandFailedEvent[] = [];
  const client = new MongoClient(target.uri, { monitorCommands: true, ...options });
  client.on('commandStarted', (e) => started.push(e));
  client.on('commandFailed', (e) => failed.push(e));
  await client.connect();
  return { client, started, failed, items: client.db(db.databaseName).collection('items') };
}

const failCommand = (mode: unknown, data: Record<string, unknown>) => admin.command({ configureFailPoint: 'failCommand', mode, data });

test('errorCode with {times: n} fails the named commands n times, then lets them through; count says how often it fired', async () => {
  await failCommand({ times: 2 }, { failCommands: ['find'], errorCode: 2, errorLabels: [] });
  const items = db.collection('items');
  await items.insertOne({ a: 1 }); // not named: untouched
  for (let i = 0; i < 2; i++) {
    const err = (await items.findOne({}).catch((e) => e)) as MongoServerError;
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(2);
    expect(err.errorLabels).toEqual([]);
  }
  expect(await items.findOne({}, { projection: { _id: 0 } })).toEqual({ a: 1 });
  // count is how often the fail point has fired, over the server's life
  const { count } = await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
  await failCommand({ times: 1 }, { failCommands: ['find'], errorCode: 2 });
  await expect(items.findOne({})).rejects.toMatchObject({ code: 2 });
  expect((await admin.command({ configureFailPoint: 'failCommand', mode: 'off' })).count).toBe(count + 1);
  expect(count).toBeGreaterThanOrEqual(2);
});

test('{skip: n} lets n commands through, then fails every one until turned off', async () => {
  await failCommand({ skip: 1 }, { failCommands: ['find'], errorCode: 2 });
  const items = db.collection('items');
  await expect(items.findOne({})).resolves.toBeNull();
  await expect(items.findOne({})).rejects.toMatchObject({ code: 2 });
  await expect(items.findOne({})).rejects.toMatchObject({ code: 2 });
  await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
  await expect(items.findOne({})).resolves.toBeNull();
});

/**
 * Commands sent one after another on one raw connection, the first a handshake naming `appName`. (Under jest the
 * driver's handshake loses its client metadata: it builds it as a Map, which bson does not recognise across
 * jest's realms, so the driver cannot be used to give an appName here.)
 */
/** A raw connection that introduced itself with `appName` (the driver's own pool gives none here). */
async function rawConnection(appName: string) {
  const [host, port] = target.uri.replace(/^mongodb:\/\//, '').split(/[/?,]/)[0].split(':');
  const socket = net.connect(Number(port ?? 27017), host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered = Buffer.alloc(0);
  const waiting: ((reply: Document) => void)[] = [];
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
      const size = buffered.readInt32LE(0);
      waiting.shift()!(BSON.deserialize(buffered.subarray(21, size)));
      buffered = buffered.subarray(size);
    }
  });
  const send = (command: Document) =>
    new Promise<Document>((resolve) => {
      waiting.push(resolve);
      const body = BSON.serialize(command);
      const header = Buffer.alloc(21);
      header.writeInt32LE(21 + body.length, 0);
      header.writeInt32LE(1, 4);
      header.writeInt32LE(2013, 12); // OP_MSG
      socket.write(Buffer.concat([header, body]));
    });
  await send({ hello: 1, client: { application: { name: appName }, driver: { name: 'raw', version: '0' }, os: { type: 'Linux' } }, $db: 'admin' });
  return { send, close: () => socket.destroy() };
}

async function onOneConnection(appName: string, commands: Document[]): Promise<Document[]> {
  const connection = await rawConnection(appName);
  try {
    const replies: Document[] = [];
    for (const command of commands) replies.push(await connection.send(command));
    return replies;
  } finally {
    connection.close();
  }
}

test('appName limits the fail point to the clients that gave that name in their handshake', async () => {
  await failCommand('alwaysOn', { failCommands: ['insert'], errorCode: 2, appName: 'failpoint-victim' });
  const insert = (a: number) => ({ insert: 'items', documents: [{ a }], $db: db.databaseName });
  const [victim] = await onOneConnection('failpoint-victim', [insert(1)]);
  expect(victim).toMatchObject({ ok: 0, code: 2 });
  const [other] = await onOneConnection('someone-else', [insert(2)]);
  expect(other).toMatchObject({ ok: 1, n: 1 });
  await db.collection('items').insertOne({ a: 3 }); // the driver's own connections give no appName here
  expect(await db.collection('items').find({}, { projection: { _id: 0 } }).sort({ a: 1 }).toArray()).toEqual([{ a: 2 }, { a: 3 }]);
});

test('a retryable error on a retryable write is labelled RetryableWriteError, and the driver retry succeeds', async () => {
  const { client, started, items } = await recordingClient();
  try {
    await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 91 });
    await items.insertOne({ _id: 'r1' as never });
    const inserts = started.filter((e) => e.commandName === 'insert');
    expect(inserts).toHaveLength(2);
    expect(inserts[1].command.txnNumber).toEqual(inserts[0].command.txnNumber);
    expect(await db.collection('items').countDocuments({ _id: 'r1' as never })).toBe(1);
  } finally {
    await client.close();
  }
});

test('closeConnection drops the connection without running the command: the driver sees a network error, or retries', async () => {
  const noRetry = await recordingClient({ retryWrites: false });
  try {
    await failCommand({ times: 1 }, { failCommands: ['insert'], closeConnection: true });
    await expect(noRetry.items.insertOne({ _id: 'c1' as never })).rejects.toBeInstanceOf(MongoNetworkError);
    expect(await db.collection('items').countDocuments({ _id: 'c1' as never })).toBe(0);
  } finally {
    await noRetry.client.close();
  }
  const retrying = await recordingClient();
  try {
    await failCommand({ times: 1 }, { failCommands: ['insert'], closeConnection: true });
    await retrying.items.insertOne({ _id: 'c2' as never });
    expect(retrying.started.filter((e) => e.commandName === 'insert')).toHaveLength(2);
    expect(await db.collection('items').countDocuments({ _id: 'c2' as never })).toBe(1);
  } finally {
    await retrying.client.close();
  }
});

test('onPrimaryTransactionalWrite closes the connection after the write applied; the retry is answered from the record', async () => {
  const { client, started, items } = await recordingClient();
  try {
    await admin.command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: { times: 1 } });
    // applied twice, the second insert of _id w1 would fail with E11000
    const result = await items.insertOne({ _id: 'w1' as never, n: 1 });
    expect(result.insertedId).toBe('w1');
    expect(started.filter((e) => e.commandName === 'insert')).toHaveLength(2);
    // alwaysOn: every applied write loses its reply, and each retry is answered from the record (where it does not fire)
    await admin.command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: 'alwaysOn' });
    await items.updateOne({ _id: 'w1' as never }, { $inc: { n: 1 } });
    expect((await items.findOneAndUpdate({ _id: 'w1' as never }, { $inc: { n: 1 } }, { returnDocument: 'after' }))!.n).toBe(3);
    await admin.command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: 'off' });
    expect(await db.collection('items').findOne({ _id: 'w1' as never })).toEqual({ _id: 'w1', n: 3 });
    await admin.command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: { times: 1 }, data: { failBeforeCommitExceptionCode: 2 } });
    await expect(items.updateOne({ _id: 'w1' as never }, { $inc: { n: 1 } })).rejects.toMatchObject({ code: 2 });
    expect(await db.collection('items').findOne({ _id: 'w1' as never })).toEqual({ _id: 'w1', n: 3 });
  } finally {
    await client.close();
  }
});

test('blockConnection delays the command by blockTimeMS, then runs it', async () => {
  await db.collection('items').insertOne({ a: 1 });
  await failCommand({ times: 1 }, { failCommands: ['find'], blockConnection: true, blockTimeMS: 300 });
  const started = Date.now();
  expect(await db.collection('items').findOne({}, { projection: { _id: 0 } })).toEqual({ a: 1 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(280);
});

test('a command held by blockConnection ends, unrun, when its client disconnects', async () => {
  await failCommand({ times: 1 }, { failCommands: ['insert'], appName: 'held-then-gone', blockConnection: true, blockTimeMS: 1_000 });
  const connection = await rawConnection('held-then-gone');
  void connection.send({ insert: 'items', documents: [{ _id: 'gone' }], $db: db.databaseName });
  await sleep(300); // the insert is being held by now
  connection.close();
  await sleep(1_300);
  // mongod's hold is an interruptible sleep too, but whether its network layer notices the disconnect while the
  // command sleeps is its own business: the embedded server's hold ends at once and the insert never runs.
  if (target.embedded) expect(await db.collection('items').findOne({ _id: 'gone' as never })).toBeNull();
  // Held but not disconnected, the same insert runs once the hold is over.
  await failCommand({ times: 1 }, { failCommands: ['insert'], appName: 'held-then-stays', blockConnection: true, blockTimeMS: 300 });
  const [reply] = await onOneConnection('held-then-stays', [{ insert: 'items', documents: [{ _id: 'stayed' }], $db: db.databaseName }]);
  expect(reply).toMatchObject({ ok: 1, n: 1 });
});

test('a TransientTransactionError at commit makes withTransaction run the transaction again; it commits once', async () => {
  await failCommand({ times: 1 }, { failCommands: ['commitTransaction'], errorCode: 112, errorLabels: ['TransientTransactionError'] });
  const session = target.client.startSession();
  let attempts = 0;
  try {
    await session.withTransaction(async () => {
      attempts++;
      await db.collection('items').insertOne({ _id: 't1' as never }, { session });
    });
  } finally {
    await session.endSession();
  }
  expect(attempts).toBe(2);
  expect(await db.collection('items').countDocuments({ _id: 't1' as never })).toBe(1);
});

test('a statement failing with a retryable error in a transaction is labelled TransientTransactionError and aborts it', async () => {
  await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 91 });
  const session = target.client.startSession();
  try {
    session.startTransaction();
    const err = (await db.collection('items').insertOne({ a: 1 }, { session }).catch((e) => e)) as MongoServerError;
    expect(err.code).toBe(91);
    expect(err.hasErrorLabel('TransientTransactionError')).toBe(true);
    await expect(session.commitTransaction()).rejects.toMatchObject({ code: 251 });
  } finally {
    await session.endSession();
  }
});

test('writeConcernError is added to a reply of a command that ran; a retryable one is retried and applies once', async () => {
  const { client, started, items } = await recordingClient();
  try {
    await failCommand({ times: 1 }, { failCommands: ['insert'], writeConcernError: { code: 91, errmsg: 'Replication is being shut down' } });
    await items.insertOne({ _id: 'wc1' as never });
    expect(started.filter((e) => e.commandName === 'insert')).toHaveLength(2);
    expect(await db.collection('items').countDocuments({ _id: 'wc1' as never })).toBe(1);
    await failCommand({ times: 1 }, { failCommands: ['insert'], writeConcernError: { code: 100, errmsg: 'Not enough data-bearing nodes' } });
    const err = (await items.insertOne({ _id: 'wc2' as never }).catch((e) => e)) as Error & { code?: number };
    expect(err.code).toBe(100);
    expect(await db.collection('items').countDocuments({ _id: 'wc2' as never })).toBe(1);
  } finally {
    await client.close();
  }
});

test('configureFailPoint runs only on admin, names known fail points and valid modes', async () => {
  await expect(db.command({ configureFailPoint: 'failCommand', mode: 'off' })).rejects.toMatchObject({ code: 13 });
  await expect(admin.command({ configureFailPoint: 'noSuchFailPoint', mode: 'off' })).rejects.toMatchObject({ code: 266 });
  await expect(admin.command({ configureFailPoint: 'failCommand', mode: 'sometimes' })).rejects.toMatchObject({ code: 2 });
});
