import { startServer, type RunningServer } from '@membercard/embedded-mongo';
import mongoose from 'mongoose';
import { MongoAccessTokenCache, WeChatClient } from '../../src/wechat';
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
