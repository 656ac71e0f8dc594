import { startServer, type RunningServer } from '@membercard/embedded-mongo';
import mongoose from 'mongoose';
import { AccessTokenForceLimitError, MongoAccessTokenCache, WeChatClient } from '../../src/wechat';
import { APP_ID, APP_SECRET, getJson, postJson, startHarness, type Harness } from './harness';

let harness: Harness;
let database: RunningServer;
const connections: mongoose.Connection[] = [];

beforeAll(async () => {
  harness = await startHarness();
  database = await startServer({ port: 0 });
});
afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await database.stop();
  await harness.close();
});

/** Two "server instances": separate connections and caches on the same database. */
async function twoInstances(databaseName: string): Promise<[WeChatClient, WeChatClient]> {
  const instances = await Promise.all(
    [1, 2].map(async () => {
      const connection = await mongoose.createConnection(`${database.uri}/${databaseName}`).asPromise();
      connections.push(connection);
      return new WeChatClient({
        baseUrl: harness.emulatorBaseUrl,
        appId: APP_ID,
        appSecret: APP_SECRET,
        accessTokens: new MongoAccessTokenCache(connection, { pollMs: 20 }),
      });
    }),
  );
  return [instances[0]!, instances[1]!];
}

const stableTokenRequests = async () => (await getJson(`${harness.emulatorBaseUrl}/stats`)).stableTokenRequests as number;
const forceRefreshes = async (on: Harness = harness) => (await getJson(`${on.emulatorBaseUrl}/stats`)).stableTokenForceRefreshes as number;
const stableToken = (on: Harness, forceRefresh: boolean) =>
  postJson(`${on.emulatorBaseUrl}/cgi-bin/stable_token`, { grant_type: 'client_credential', appid: APP_ID, secret: APP_SECRET, force_refresh: forceRefresh });

describe('MongoAccessTokenCache', () => {
  it('lets two instances asking at once share one fetched token', async () => {
    const [first, second] = await twoInstances('tokens_parallel');
    const before = await stableTokenRequests();
    const tokens = await Promise.all([first.getAccessToken(), second.getAccessToken(), first.getAccessToken(), second.getAccessToken()]);
    expect(new Set(tokens).size).toBe(1);
    expect(await stableTokenRequests()).toBe(before + 1);
    // Later calls are served from the cache without asking WeChat.
    await second.getPhoneNumber('cached-token-call');
    expect(await stableTokenRequests()).toBe(before + 1);
  });

  it('refreshes a rejected token once for all instances (42001 seen by both)', async () => {
    const [first, second] = await twoInstances('tokens_rejected');
    const oldToken = await first.getAccessToken();
    expect((await postJson(`${harness.emulatorBaseUrl}/access-tokens/expire`, {})).status).toBe(204);
    const before = await stableTokenRequests();

    const phones = await Promise.all([first.getPhoneNumber('p1'), second.getPhoneNumber('p2')]);
    expect(phones.map((phone) => phone.purePhoneNumber)).toHaveLength(2);
    expect(await stableTokenRequests()).toBe(before + 1);
    const [newFirst, newSecond] = await Promise.all([first.getAccessToken(), second.getAccessToken()]);
    expect(newFirst).toBe(newSecond);
    expect(newFirst).not.toBe(oldToken);
  });

  it('on 42001 asks again in normal mode: a new token, no force refresh spent', async () => {
    const [client] = await twoInstances('tokens_normal_first');
    const oldToken = await client.getAccessToken();
    const forcedBefore = await forceRefreshes();
    expect((await postJson(`${harness.emulatorBaseUrl}/access-tokens/expire`, {})).status).toBe(204);
    await client.getPhoneNumber('after-expiry');
    expect(await client.getAccessToken()).not.toBe(oldToken);
    expect(await forceRefreshes()).toBe(forcedBefore);
  });
});

describe('force refresh only when WeChat hands back the token it refused', () => {
  let scaled: Harness;
  beforeAll(async () => {
    // Time at 1/1000: stable_token's 30 s force spacing is 30 ms here.
    scaled = await startHarness({ timeScale: 0.001 });
  });
  afterAll(() => scaled.close());

  /** The instances' clock: the force spacing is read from it, so the test moves it instead of racing a short real interval. */
  let clockMs = Date.now();
  async function instances(databaseName: string, limits: { forceLimitPerDay: number; forceMinIntervalMs: number }) {
    return Promise.all(
      [1, 2].map(async () => {
        const connection = await mongoose.createConnection(`${database.uri}/${databaseName}`).asPromise();
        connections.push(connection);
        return new WeChatClient({ baseUrl: scaled.emulatorBaseUrl, appId: APP_ID, appSecret: APP_SECRET, accessTokens: new MongoAccessTokenCache(connection, { pollMs: 20, now: () => new Date(clockMs), ...limits }) });
      }),
    );
  }

  it('40001 with the same token back in normal mode → one force refresh, the old token dead at once; the limits are shared by instances', async () => {
    const [first, second] = await instances('tokens_force', { forceLimitPerDay: 2, forceMinIntervalMs: 30_000 });
    const original = await first!.getAccessToken();
    expect((await postJson(`${scaled.emulatorBaseUrl}/access-tokens/revoke`, {})).status).toBe(204);
    // Normal mode still hands out the refused token…
    expect((await stableToken(scaled, false)).body.access_token).toBe(original);
    const before = await forceRefreshes(scaled);
    // …so both instances, failing at once, spend exactly one force refresh between them.
    await Promise.all([first!.getPhoneNumber('force-1'), second!.getPhoneNumber('force-2')]);
    expect(await forceRefreshes(scaled)).toBe(before + 1);
    const renewed = await second!.getAccessToken();
    expect(renewed).not.toBe(original);
    expect(await first!.getAccessToken()).toBe(renewed);
    const stale = await postJson(`${scaled.emulatorBaseUrl}/wxa/business/getuserphonenumber?access_token=${original}`, { code: 'x' });
    expect(stale.body.errcode).toBe(40001);

    // Revoked again within the shared 30 s spacing: refused on the other instance without calling force.
    await postJson(`${scaled.emulatorBaseUrl}/access-tokens/revoke`, {});
    await expect(first!.getPhoneNumber('too-soon')).rejects.toBeInstanceOf(AccessTokenForceLimitError);
    expect(await forceRefreshes(scaled)).toBe(before + 1);
    clockMs += 31_000;
    await new Promise((resolve) => setTimeout(resolve, 40)); // the emulator's own (scaled) 30 s spacing, in real time
    await second!.getPhoneNumber('spaced-out');
    expect(await forceRefreshes(scaled)).toBe(before + 2);

    // The day's budget (2 here, WeChat's 20) is spent: the next one is refused, whichever instance asks.
    await postJson(`${scaled.emulatorBaseUrl}/access-tokens/revoke`, {});
    clockMs += 31_000;
    await new Promise((resolve) => setTimeout(resolve, 40));
    await expect(first!.getPhoneNumber('over-budget')).rejects.toThrow(/all 2 force refreshes/);
    expect(await forceRefreshes(scaled)).toBe(before + 2);
    const shared = await connections.at(-1)!.collection('wechat_access_tokens').findOne({ _id: APP_ID as never });
    expect(shared).toMatchObject({ forceCount: 2, forceDay: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
  });

  it('the emulated stable_token: same token in normal mode until 5 min before expiry, force invalidates at once, ≥30 s apart, ≤20 a day (45009)', async () => {
    // Time at 1/200: the 30 s force spacing is 150 ms, wide enough that two calls in a row fall inside it on a loaded machine.
    const fresh = await startHarness({ timeScale: 0.005 });
    try {
      const first = (await stableToken(fresh, false)).body;
      expect(first).toMatchObject({ access_token: expect.any(String), expires_in: expect.any(Number) });
      expect((await stableToken(fresh, false)).body.access_token).toBe(first.access_token);
      const forced = (await stableToken(fresh, true)).body.access_token;
      expect(forced).not.toBe(first.access_token);
      expect((await postJson(`${fresh.emulatorBaseUrl}/wxa/business/getuserphonenumber?access_token=${first.access_token}`, { code: 'x' })).body.errcode).toBe(40001);
      // Within the (scaled) 30 s, a force refresh does not refresh.
      expect((await stableToken(fresh, true)).body.access_token).toBe(forced);
      let last = forced;
      for (let index = 2; index <= 20; index += 1) {
        await new Promise((resolve) => setTimeout(resolve, 160));
        const next = (await stableToken(fresh, true)).body;
        expect(next.access_token).not.toBe(last);
        last = next.access_token;
      }
      await new Promise((resolve) => setTimeout(resolve, 160));
      expect((await stableToken(fresh, true)).body.errcode).toBe(45009);
      expect((await stableToken(fresh, false)).body.access_token).toBe(last);
      expect(await forceRefreshes(fresh)).toBe(20);
    } finally {
      await fresh.close();
    }
    // Normal mode hands out a new token once the current one has 5 minutes or less left.
    const shortLived = await startHarness({ accessTokenTtlSeconds: 299 });
    try {
      const first = (await stableToken(shortLived, false)).body.access_token;
      expect((await stableToken(shortLived, false)).body.access_token).not.toBe(first);
    } finally {
      await shortLived.close();
    }
  }, 30_000);

  it('releases the lease when a fetch fails, so another instance can fetch', async () => {
    const connection = await mongoose.createConnection(`${database.uri}/tokens_failure`).asPromise();
    connections.push(connection);
    const failing = new MongoAccessTokenCache(connection, { pollMs: 20 });
    const healthy = new MongoAccessTokenCache(connection, { pollMs: 20 });
    await expect(failing.getOrRefresh('wxapp', async () => Promise.reject(new Error('WeChat busy')))).rejects.toThrow('WeChat busy');
    let fetches = 0;
    const token = await healthy.getOrRefresh('wxapp', async () => {
      fetches += 1;
      return { token: 'fresh-token', expiresInSeconds: 7200 };
    });
    expect([token, fetches]).toEqual(['fresh-token', 1]);
    expect(await failing.getOrRefresh('wxapp', async () => ({ token: 'unexpected', expiresInSeconds: 7200 }))).toBe('fresh-token');
  });

  it('takes over a lease whose holder died, and refreshes tokens 5 minutes before expiry', async () => {
    const connection = await mongoose.createConnection(`${database.uri}/tokens_lease`).asPromise();
    connections.push(connection);
    const cache = new MongoAccessTokenCache(connection, { pollMs: 20, leaseMs: 100 });
    // A holder that crashed mid-fetch: lease set, never released.
    await connection.collection('wechat_access_tokens').insertOne({
      _id: 'wxdead' as never,
      leaseOwner: 'crashed-instance',
      leaseExpiresAt: new Date(Date.now() + 150),
    });
    const started = Date.now();
    expect(await cache.getOrRefresh('wxdead', async () => ({ token: 'after-takeover', expiresInSeconds: 7200 }))).toBe('after-takeover');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);

    // A token with less than 5 minutes left is replaced.
    expect(await cache.getOrRefresh('wxshort', async () => ({ token: 'short-lived', expiresInSeconds: 299 }))).toBe('short-lived');
    expect(await cache.getOrRefresh('wxshort', async () => ({ token: 'replacement', expiresInSeconds: 7200 }))).toBe('replacement');
    expect(await cache.getOrRefresh('wxshort', async () => ({ token: 'not-needed', expiresInSeconds: 7200 }))).toBe('replacement');
  });
});
