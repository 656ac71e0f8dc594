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
