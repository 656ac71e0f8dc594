import { joinedMember, startTestApp, type TestApp } from './support/harness';

// A database that refuses a write for lack of memory (the embedded server past its heap ceiling answers
// ExceededMemoryLimit, 146, as mongod does for its own memory limits) reaches the caller as a clear 503
// DATABASE_FULL, never a 500, and nothing of the request is kept.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 30_000);
afterAll(() => app.stop());

it('a write refused for memory answers 503 DATABASE_FULL and changes nothing', async () => {
  const { token, member } = await joinedMember(app.api, 'db-full');
  const admin = app.connection.db!.admin();
  await admin.command({
    configureFailPoint: 'failCommand',
    mode: { times: 1 },
    data: { failCommands: ['insert', 'update', 'findAndModify'], errorCode: 146 },
  });
  try {
    const refused = await app.api.patch('/me/profile', { name: '满了' }, token);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('DATABASE_FULL');
    expect(refused.text).not.toMatch(/stack|MongoServerError/);
  } finally {
    await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
  }
  const stored = await app.services.models.members.findById(member.id).lean();
  expect(stored!.name ?? null).not.toBe('满了');
  // once memory is back, the same request goes through
  const retried = await app.api.patch('/me/profile', { name: '满了' }, token);
  expect(retried.status).toBe(200);
  expect((await app.services.models.members.findById(member.id).lean())!.name).toBe('满了');
});
