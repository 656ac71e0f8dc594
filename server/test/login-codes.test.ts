import { loginCode, startTestApp, type TestApp } from './support/harness';

// wx.login codes work once at WeChat, and now at the emulator too: the server must treat a reused code as a
// failed sign-in, never as the shopper it named the first time.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

describe('single-use login codes', () => {
  it('a code signs in once; its replay, even in parallel, is 401 UNAUTHENTICATED', async () => {
    const first = await app.api.post('/auth/wechat', { code: 'one-shot' });
    expect(first.status).toBe(200);
    const replay = await app.api.post('/auth/wechat', { code: 'one-shot' });
    expect([replay.status, replay.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);

    const code = await loginCode(app.api, 'parallel-shot');
    const answers = await Promise.all(Array.from({ length: 4 }, () => app.api.post('/auth/wechat', { code })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401, 401]);
    expect(await app.services.models.members.countDocuments({ openid: 'emu_parallel-shot' })).toBe(1);
  });

  it('the H5 path: a fresh code per sign-in, the same nickname is the same shopper', async () => {
    const tokens: string[] = [];
    for (let round = 0; round < 2; round += 1) {
      const login = await app.api.post('/auth/wechat', { code: await loginCode(app.api, 'h5-shopper') });
      expect(login.status).toBe(200);
      tokens.push(login.body.token);
    }
    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, tokens[0]);
    expect(joined.status).toBe(201);
    // The second session belongs to the same WeChat user, so it sees the card just opened.
    expect((await app.api.get('/me', tokens[1])).body).toMatchObject({ id: joined.body.id });
    expect((await app.api.post('/__emulator/h5/login-code', { nickname: '小明' })).status).toBe(400);
  });
});
