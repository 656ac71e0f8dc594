import { posRequest, type PosConnection } from '../../scripts/pos-client';
import { isPrivateAddress, webhookUrlRefusal } from '../src/modules/webhooks/urlPolicy';
import { adminToken, joinedMember, startTestApp, type TestApp } from './support/harness';

// Two guards around the POS integration: phone look-ups are rate limited per POS key (in MongoDB, like the
// counter's look-ups), and webhook endpoints may only point where the deployment allows (https in production,
// no private, loopback or link-local addresses unless configured).

let app: TestApp;
let admin: string;

async function till(): Promise<PosConnection> {
  const key = await app.api.post('/admin/pos/credentials', { storeId: 'SH01', label: '手机号限流测试' }, admin);
  expect(key.status).toBe(201);
  return { baseUrl: app.url, keyId: key.body.keyId, secret: key.body.secret };
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

describe('POS phone look-ups', () => {
  it('a key may miss 20 numbers per 10 minutes (parallel guesses included); then its phone look-ups are refused with 429 and HQ is told once; other keys go on', async () => {
    const guesser = await till();
    const other = await till();
    const { token } = await joinedMember(app.api, 'pos-phone-limit');
    const phone = (await app.api.post('/me/phone', { code: 'pos-phone-limit' }, token)).body.phone as string;
    // Hits do not count as misses.
    for (let i = 0; i < 3; i++) expect((await posRequest(guesser, 'POST', '/pos/members/identify', { phone })).status).toBe(200);
    const guesses = await Promise.all(Array.from({ length: 25 }, (_, i) => posRequest(guesser, 'POST', '/pos/members/identify', { phone: `1390000${String(1000 + i)}` })));
    expect(guesses.filter((r) => r.status === 404)).toHaveLength(20);
    const refused = guesses.filter((r) => r.status === 429);
    expect(refused).toHaveLength(5);
    expect(refused[0]!.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    // Blocked: even a real member's number, for this key only; member codes are not this limit's business.
    expect((await posRequest(guesser, 'POST', '/pos/members/identify', { phone })).status).toBe(429);
    expect((await posRequest(other, 'POST', '/pos/members/identify', { phone })).status).toBe(200);
    const alerts = await app.services.models.audit.find({ action: 'security.pos_phone_lookups' }).lean();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ targetType: 'store', targetId: 'SH01', after: { keyId: guesser.keyId } });
  });
});

describe('webhook URL allow-list', () => {
  it('knows the private, loopback, link-local and mapped addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:a00:1', '224.0.0.1']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
    }
  });

  it('resolves the host: a name pointing at a private address is refused, whatever else it resolves to', async () => {
    const strict = { httpsOnly: true, allowPrivate: false };
    expect(await webhookUrlRefusal('https://hooks.example.com/x', strict, async () => ['93.184.216.34'])).toBeNull();
    expect(await webhookUrlRefusal('https://hooks.example.com/x', strict, async () => ['93.184.216.34', '10.0.0.7'])).toBe('PRIVATE_ADDRESS');
    expect(await webhookUrlRefusal('https://hooks.example.com/x', strict, async () => { throw new Error('ENOTFOUND'); })).toBe('UNRESOLVABLE');
    expect(await webhookUrlRefusal('http://hooks.example.com/x', strict, async () => ['93.184.216.34'])).toBe('NOT_HTTPS');
    expect(await webhookUrlRefusal('http://127.0.0.1:9/x', { httpsOnly: false, allowPrivate: true })).toBeNull();
  });

  it('under the production policy HQ cannot register http, loopback, private or metadata addresses (400 WEBHOOK_URL_REFUSED with the reason); a public https URL is fine', async () => {
    const allowed = app.services.webhooks.urlPolicy;
    app.services.webhooks.urlPolicy = { httpsOnly: true, allowPrivate: false };
    try {
      const create = (url: string) => app.api.post('/admin/webhooks/endpoints', { url, events: ['member.joined'] }, admin);
      for (const [url, reason] of [
        ['http://93.184.216.34/hook', 'NOT_HTTPS'],
        ['https://127.0.0.1/hook', 'PRIVATE_ADDRESS'],
        ['https://localhost:8443/hook', 'PRIVATE_ADDRESS'],
        ['https://169.254.169.254/latest/meta-data', 'PRIVATE_ADDRESS'],
        ['https://[::ffff:10.0.0.1]/hook', 'PRIVATE_ADDRESS'],
        ['https://receiver.invalid/hook', 'UNRESOLVABLE'],
      ] as const) {
        const res = await create(url);
        expect([url, res.status, res.body.error?.code, res.body.error?.details?.reason]).toEqual([url, 400, 'WEBHOOK_URL_REFUSED', reason]);
      }
      const ok = await create('https://93.184.216.34/hook');
      expect(ok.status).toBe(201);
      const moved = await app.api.patch(`/admin/webhooks/endpoints/${ok.body.id}`, { url: 'https://10.0.0.8/hook' }, admin);
      expect([moved.status, moved.body.error?.code]).toEqual([400, 'WEBHOOK_URL_REFUSED']);
      expect((await app.services.models.webhookEndpoints.findById(ok.body.id).lean())!.url).toBe('https://93.184.216.34/hook');
      await app.api.patch(`/admin/webhooks/endpoints/${ok.body.id}`, { status: 'disabled' }, admin);
    } finally {
      app.services.webhooks.urlPolicy = allowed;
    }
  });

  it('tests and demo mode allow local receivers', async () => {
    expect(app.services.webhooks.urlPolicy).toEqual({ httpsOnly: false, allowPrivate: true });
    const res = await app.api.post('/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hook', events: ['member.joined'] }, admin);
    expect(res.status).toBe(201);
    await app.api.patch(`/admin/webhooks/endpoints/${res.body.id}`, { status: 'disabled' }, admin);
  });
});
