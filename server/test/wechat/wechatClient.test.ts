import { startServer } from '@membercard/embedded-mongo';
import mongoose from 'mongoose';
import { phoneNumberFor } from '../../src/emulator';
import { MongoAccessTokenCache, WeChatApiError, WeChatClient } from '../../src/wechat';
import { APP_ID, APP_SECRET, getJson, postJson, startHarness, TEMPLATE_IDS, type Harness } from './harness';

let harness: Harness;
let client: WeChatClient;
let connection: mongoose.Connection;
let stopDb: (() => Promise<void>) | undefined;

/** Each cache on its own database, so tests do not share tokens unless they mean to. */
async function freshTokenCache(): Promise<MongoAccessTokenCache> {
  return new MongoAccessTokenCache(connection.useDb(`wechat_tokens_${Math.random().toString(36).slice(2)}`));
}

beforeAll(async () => {
  harness = await startHarness();
  const uri: string = process.env.MONGODB_URI ?? (await startServer({ port: 0 }).then((db) => ((stopDb = db.stop), db.uri)));
  connection = await mongoose.createConnection(uri, { dbName: `wechat_client_${Date.now()}` }).asPromise();
  client = new WeChatClient({ baseUrl: harness.emulatorBaseUrl, appId: APP_ID, appSecret: APP_SECRET, accessTokens: await freshTokenCache() });
});
afterAll(async () => {
  await harness.close();
  await connection.close();
  await stopDb?.();
});

async function expectWeChatError(promise: Promise<unknown>, errcode: number): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WeChatApiError);
  expect((error as WeChatApiError).errcode).toBe(errcode);
}

describe('code2Session', () => {
  it('answers openid emu_ + code and a session key on first use; a reused code is 40163, as at WeChat', async () => {
    const first = await client.code2Session('shopperA');
    expect(first.openid).toBe('emu_shopperA');
    expect(Buffer.from(first.sessionKey, 'base64')).toHaveLength(16);
    expect(first.unionid).toBeUndefined();
    await expectWeChatError(client.code2Session('shopperA'), 40163);
    // Even in parallel, a code is exchanged exactly once.
    const parallel = await Promise.allSettled(Array.from({ length: 5 }, () => client.code2Session('shopperB')));
    expect(parallel.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
  });

  it('mints fresh single-use codes for an H5 nickname: each signs in emu_<nickname> once', async () => {
    const mint = async (nickname: unknown) => postJson(`${harness.emulatorBaseUrl}/h5/login-code`, { nickname });
    const codes = [(await mint('xiaoming')).body.code, (await mint('xiaoming')).body.code];
    expect(codes[0]).not.toBe(codes[1]);
    expect((await client.code2Session(codes[0])).openid).toBe('emu_xiaoming');
    expect((await client.code2Session(codes[1])).openid).toBe('emu_xiaoming');
    await expectWeChatError(client.code2Session(codes[0]), 40163);
    for (const bad of ['', '小明', 'a'.repeat(65), 42, 'with space']) expect((await mint(bad)).status).toBe(400);
  });

  it('refuses an invalid code with 40029 and wrong credentials with 40013/40125', async () => {
    await expectWeChatError(client.code2Session('invalid-code'), 40029);
    const wrongSecret = new WeChatClient({ baseUrl: harness.emulatorBaseUrl, appId: APP_ID, appSecret: 'nope', accessTokens: await freshTokenCache() });
    await expectWeChatError(wrongSecret.code2Session('x1'), 40125);
    const wrongApp = new WeChatClient({ baseUrl: harness.emulatorBaseUrl, appId: 'wxother', appSecret: APP_SECRET, accessTokens: await freshTokenCache() });
    await expectWeChatError(wrongApp.code2Session('x1'), 40013);
  });
});

describe('access token', () => {
  it('shares one stable_token fetch between parallel callers of one cache', async () => {
    const before = (await getJson(`${harness.emulatorBaseUrl}/stats`)).stableTokenRequests as number;
    const sharedCache = await freshTokenCache();
    const clients = [1, 2, 3].map(
      () => new WeChatClient({ baseUrl: harness.emulatorBaseUrl, appId: APP_ID, appSecret: APP_SECRET, accessTokens: sharedCache }),
    );
    const tokens = await Promise.all(clients.map((each) => each.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect((await getJson(`${harness.emulatorBaseUrl}/stats`)).stableTokenRequests).toBe(before + 1);
  });

  it('refreshes once and retries when WeChat says the token expired (42001)', async () => {
    await client.getPhoneNumber('warm-up');
    const tokenBefore = await client.getAccessToken();
    const before = await getJson(`${harness.emulatorBaseUrl}/stats`);
    expect((await postJson(`${harness.emulatorBaseUrl}/access-tokens/expire`, {})).status).toBe(204);

    const phone = await client.getPhoneNumber('after-expiry');
    expect(phone.purePhoneNumber).toBe(phoneNumberFor('after-expiry'));
    const after = await getJson(`${harness.emulatorBaseUrl}/stats`);
    expect(after.stableTokenRequests).toBe(before.stableTokenRequests + 1);
    expect(after.phoneNumberRequests).toBe(before.phoneNumberRequests + 2);
    expect(await client.getAccessToken()).not.toBe(tokenBefore);
  });

  it('validates credentials on /cgi-bin/token and stable_token', async () => {
    const bad = await getJson(`${harness.emulatorBaseUrl}/cgi-bin/token?grant_type=client_credential&appid=${APP_ID}&secret=wrong`);
    expect(bad.errcode).toBe(40001);
    const good = await getJson(`${harness.emulatorBaseUrl}/cgi-bin/token?grant_type=client_credential&appid=${APP_ID}&secret=${APP_SECRET}`);
    expect(good.expires_in).toBe(7200);
    expect(typeof good.access_token).toBe('string');
    const stableBad = await postJson(`${harness.emulatorBaseUrl}/cgi-bin/stable_token`, { grant_type: 'client_credential', appid: APP_ID, secret: 'x' });
    expect(stableBad.body.errcode).toBe(40125);
  });
});

describe('getPhoneNumber', () => {
  it('answers 138 + 8 digits derived from the code', async () => {
    const phone = await client.getPhoneNumber('phone-code-1', 'emu_shopperA');
    expect(phone.purePhoneNumber).toMatch(/^138\d{8}$/);
    expect(phone.phoneNumber).toBe(phone.purePhoneNumber);
    expect(phone.countryCode).toBe('86');
    expect((await client.getPhoneNumber('phone-code-1')).purePhoneNumber).toBe(phone.purePhoneNumber);
    expect((await client.getPhoneNumber('phone-code-2')).purePhoneNumber).not.toBe(phone.purePhoneNumber);
    await expectWeChatError(client.getPhoneNumber('invalid-phone-code'), 40029);
  });

  it('refuses a request without a valid access token', async () => {
    const answer = await postJson(`${harness.emulatorBaseUrl}/wxa/business/getuserphonenumber?access_token=forged`, { code: 'c' });
    expect(answer.body.errcode).toBe(40001);
  });
});

describe('sendSubscribeMessage', () => {
  const message = {
    touser: 'emu_subscriber',
    templateId: TEMPLATE_IDS[0]!,
    page: 'pages/coupons/index',
    data: { thing1: { value: '满100减20券' }, time2: { value: '2025年1月31日 23:59' } },
  };

  it('spends one accepted quota per send and answers 43101 when it is used up', async () => {
    await expectWeChatError(client.sendSubscribeMessage(message), 43101);
    const granted = await postJson(`${harness.emulatorBaseUrl}/subscriptions`, { openid: 'emu_subscriber', templateIds: [TEMPLATE_IDS[0], TEMPLATE_IDS[0]] });
    expect(granted.body.quota[TEMPLATE_IDS[0]!]).toBe(2);

    const sent = await client.sendSubscribeMessage(message);
    expect(sent.msgid).toMatch(/^\d+$/);
    await client.sendSubscribeMessage({ ...message, lang: 'en_US', miniprogramState: 'trial' });
    await expectWeChatError(client.sendSubscribeMessage(message), 43101);

    const listed = await getJson(`${harness.emulatorBaseUrl}/messages?openid=emu_subscriber`);
    expect(listed.messages).toHaveLength(2);
    expect(listed.messages[0]).toMatchObject({ msgid: sent.msgid, template_id: TEMPLATE_IDS[0], page: message.page, data: message.data, miniprogram_state: 'formal' });
    expect(listed.messages[1]).toMatchObject({ lang: 'en_US', miniprogram_state: 'trial' });
  });

  it('answers 40037 for an unknown template, 40003 for a bad openid and 47003 for bad data', async () => {
    await postJson(`${harness.emulatorBaseUrl}/subscriptions`, { openid: 'emu_other', templateIds: [TEMPLATE_IDS[1]] });
    await expectWeChatError(client.sendSubscribeMessage({ ...message, touser: 'emu_other', templateId: 'tmpl-unknown' }), 40037);
    await expectWeChatError(client.sendSubscribeMessage({ ...message, touser: 'not-an-openid', templateId: TEMPLATE_IDS[1]! }), 40003);
    await expectWeChatError(
      client.sendSubscribeMessage({ ...message, touser: 'emu_other', templateId: TEMPLATE_IDS[1]!, data: { thing1: { value: '' } } }),
      47003,
    );
    // The failed sends did not spend the quota.
    await client.sendSubscribeMessage({ ...message, touser: 'emu_other', templateId: TEMPLATE_IDS[1]! });
  });

  it('refuses quota grants for templates the account does not own', async () => {
    const refused = await postJson(`${harness.emulatorBaseUrl}/subscriptions`, { openid: 'emu_x', templateIds: ['tmpl-unknown'] });
    expect(refused.status).toBe(400);
  });
});
