import { Types } from 'mongoose';
import { readsById } from '../src/lib/readsById';
import { joinedMember, startTestApp, type TestApp } from './support/harness';

// readsById: the point reads every request makes (session, member, a refused claim's key) coalesced per I/O turn.
// Watched through the driver's command monitoring: what went to the database, and what each caller got back.

let app: TestApp;
const finds: Array<{ collection: string; ids: number }> = [];

beforeAll(async () => {
  app = await startTestApp({ monitorCommands: true });
  app.connection.getClient().on('commandStarted', (event) => {
    if (event.commandName !== 'find') return;
    const filter = event.command.filter as { _id?: { $in?: unknown[] } } | undefined;
    finds.push({ collection: String(event.command.find), ids: filter?._id?.$in?.length ?? -1 });
  });
}, 30_000);

afterAll(async () => {
  await app.stop();
});

it('reads asked for in the same turn go out as one find; each caller gets its own document, or null', async () => {
  const collection = app.connection.db!.collection('reads_by_id_test');
  const ids = Array.from({ length: 60 }, () => new Types.ObjectId());
  await collection.insertMany(ids.map((_id, n) => ({ _id, n })));
  const read = readsById<{ _id: Types.ObjectId; n: number }>(() => collection);
  finds.length = 0;
  const missing = new Types.ObjectId();
  const answers = await Promise.all([...ids, ids[0]!, missing].map((id) => read(id)));
  expect(answers.slice(0, 60).map((doc) => doc?.n)).toEqual(ids.map((_, n) => n));
  expect(answers[60]?.n).toBe(0); // the same id twice: both get it
  expect(answers[61]).toBeNull();
  expect(finds.filter((f) => f.collection === 'reads_by_id_test')).toEqual([{ collection: 'reads_by_id_test', ids: 62 }]);
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

it('reads asked for while a find is out wait for it and then go out together', async () => {
  const collection = app.connection.db!.collection('reads_by_id_test');
  const ids = Array.from({ length: 4 }, () => new Types.ObjectId());
  await collection.insertMany(ids.map((_id, n) => ({ _id, n })));
  const read = readsById<{ n: number }>(() => collection);
  const admin = app.connection.db!.admin();
  // the first find is held 30 ms at the database, so it is surely still out while the others are asked for
  await admin.command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], blockConnection: true, blockTimeMS: 30 } });
  finds.length = 0;
  try {
    const first = read(ids[0]);
    await nextTurn(); // the first find is sent
    const later = [];
    for (const id of ids.slice(1)) {
      later.push(read(id)); // each asked in a turn of its own, while the first is out
      await nextTurn();
    }
    expect((await Promise.all([first, ...later])).map((doc) => doc?.n)).toEqual([0, 1, 2, 3]);
  } finally {
    await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
  }
  expect(finds.filter((f) => f.collection === 'reads_by_id_test').map((f) => f.ids)).toEqual([1, 3]);
});

it('a find held up at the database holds up later reads only briefly: they go out on their own', async () => {
  const collection = app.connection.db!.collection('reads_by_id_held');
  const [held, other] = [new Types.ObjectId(), new Types.ObjectId()];
  await collection.insertMany([{ _id: held, n: 1 }, { _id: other, n: 2 }]);
  const read = readsById<{ n: number }>(() => collection);
  const admin = app.connection.db!.admin();
  await admin.command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], blockConnection: true, blockTimeMS: 1_500 } });
  try {
    const started = Date.now();
    const first = read(held);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first find is out, held
    const second = await read(other);
    expect(second?.n).toBe(2);
    expect(Date.now() - started).toBeLessThan(1_000); // not after the held find's 1.5 s
    expect((await first)?.n).toBe(1);
  } finally {
    await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
  }
});

it('nothing is kept between reads: a write made before a read is seen by it', async () => {
  const collection = app.connection.db!.collection('reads_by_id_test');
  const id = new Types.ObjectId();
  await collection.insertOne({ _id: id, n: 1 });
  const read = readsById<{ n: number }>(() => collection);
  expect((await read(id))?.n).toBe(1);
  await collection.updateOne({ _id: id }, { $set: { n: 2 } });
  expect((await read(id))?.n).toBe(2);
});

it('a hundred card requests at once: their members are read in fewer finds than requests, each answered its own member', async () => {
  const members = await Promise.all(Array.from({ length: 20 }, (_, i) => joinedMember(app.api, `reads-by-id-${i}`)));
  finds.length = 0;
  const answers = await Promise.all(members.flatMap((m) => Array.from({ length: 5 }, () => app.api.get('/me', m.token))));
  expect(answers.map((res) => res.status).filter((status) => status !== 200)).toEqual([]);
  for (const [i, m] of members.entries()) expect(answers[i * 5]!.body.id).toBe(m.member.id);
  const memberFinds = finds.filter((f) => f.collection === 'members' && f.ids > 0);
  expect(memberFinds.reduce((sum, f) => sum + f.ids, 0)).toBe(100);
  expect(memberFinds.length).toBeLessThan(100);
});
