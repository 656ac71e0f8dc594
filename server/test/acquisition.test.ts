import type { AddressInfo } from 'node:net';
import { objectIdFromShort, parseEntryPairs, parseEntryUrl, shortObjectId } from '@membercard/shared';
import Koa from 'koa';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { createEmulator } from '../src/emulator';
import { adminToken, staffToken, startTestApp, type TestApp } from './support/harness';

// Store, staff and campaign QR codes: the codes HQ makes (read back from the PNG), the visits the app
// records when WeChat opens it from one, and the joins credited to them.

jest.setTimeout(30_000);

let app: TestApp;
let admin: string;
let clerkId: string;
beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  const clerk = await app.services.models.staff.findOne({ username: 'sh01-clerk' }).lean();
  clerkId = String(clerk!._id);
});
afterAll(async () => {
  await app.stop();
});

/** Fetches a PNG route and reads the QR code in it, as a phone's camera would. */
async function readQr(path: string, token: string): Promise<{ status: number; type: string | null; text: string | null; disposition: string | null }> {
  const res = await fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) return { status: res.status, type: res.headers.get('content-type'), text: bytes.toString('utf8'), disposition: null };
  const png = PNG.sync.read(bytes);
  const found = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  return { status: res.status, type: res.headers.get('content-type'), text: found?.data ?? null, disposition: res.headers.get('content-disposition') };
}

let codeCounter = 0;
/** A shopper signed in with a fresh WeChat login code. */
async function shopper(name: string): Promise<string> {
  const res = await app.api.post('/auth/wechat', { code: `acq-${name}-${++codeCounter}` });
  expect(res.status).toBe(200);
  return res.body.token;
}

let campaign: string | null = null;
/** A draft campaign, made through HQ's API. */
async function campaignId(): Promise<string> {
  if (campaign) return campaign;
  const template = await app.services.models.couponTemplates.findOne().lean();
  const res = await app.api.post('/admin/campaigns', { name: '扫码开卡测试', templateId: String(template!._id), segment: {} }, admin);
  expect(res.status).toBe(201);
  campaign = res.body.id as string;
  return campaign;
}

async function emulatorToken(): Promise<string> {
  const res = await app.api.post('/__emulator/cgi-bin/stable_token', {
    grant_type: 'client_credential', appid: 'wxtest000000000001', secret: 'demo-app-secret-not-for-production',
  });
  return res.body.access_token;
}

describe('entry codes', () => {
  it('a store code: a compact scene, a mini-program code (image) that reads back to it, and a poster URL code', async () => {
    const info = await app.api.get('/admin/entry-codes?storeId=SH01', admin);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ scene: 's=SH01', page: 'pages/card/index', storeId: 'SH01', staffId: null, campaignId: null });
    expect(info.body.posterUrl).toMatch(/\/mp\/entry\?s=SH01$/);

    const code = await readQr('/api/v1/admin/entry-codes/wxacode.png?storeId=SH01', admin);
    expect(code.status).toBe(200);
    expect(code.type).toBe('image/png');
    expect(code.disposition).toContain('SH01-wxacode.png');
    const opened = new URL(code.text!);
    expect(opened.searchParams.get('scene')).toBe('s=SH01');
    expect(opened.searchParams.get('page')).toBe('pages/card/index');
    expect(opened.searchParams.get('appid')).toBe('wxtest000000000001');
    expect(opened.searchParams.get('env_version')).toBe('release');

    const poster = await readQr('/api/v1/admin/entry-codes/poster.png?storeId=SH01', admin);
    expect(poster.status).toBe(200);
    expect(poster.text).toBe(info.body.posterUrl);
    expect(parseEntryUrl(poster.text!)).toEqual({ storeId: 'SH01' });
  });

  it('a staff code names the store and the clerk in 32 characters; a trial code opens the trial version', async () => {
    const info = await app.api.get(`/admin/entry-codes?staffId=${clerkId}`, admin);
    expect(info.status).toBe(200);
    expect(info.body.scene).toBe(`s=SH01&u=${shortObjectId(clerkId)}`);
    expect(info.body.scene.length).toBeLessThanOrEqual(32);
    expect(parseEntryPairs(info.body.scene)).toEqual({ storeId: 'SH01', staffId: clerkId });
    expect(objectIdFromShort(shortObjectId(clerkId))).toBe(clerkId);

    const code = await readQr(`/api/v1/admin/entry-codes/wxacode.png?staffId=${clerkId}&envVersion=trial`, admin);
    const opened = new URL(code.text!);
    expect(opened.searchParams.get('scene')).toBe(info.body.scene);
    expect(opened.searchParams.get('env_version')).toBe('trial');
  });

  it('a manager makes codes for their own store only; clerks and shoppers make none; campaign codes are HQ’s', async () => {
    const manager = await staffToken(app.api, 'sh01-manager');
    expect((await app.api.get('/admin/entry-codes?storeId=SH01', manager)).status).toBe(200);
    expect((await readQr(`/api/v1/admin/entry-codes/wxacode.png?staffId=${clerkId}`, manager)).status).toBe(200);
    const other = await app.api.get('/admin/entry-codes?storeId=BJ01', manager);
    expect(other.status).toBe(403);
    expect((await readQr('/api/v1/admin/entry-codes/wxacode.png?storeId=BJ01', manager)).status).toBe(403);
    const clerk = await staffToken(app.api, 'sh01-clerk');
    expect((await app.api.get('/admin/entry-codes?storeId=SH01', clerk)).status).toBe(403);
    expect((await app.api.get('/admin/entry-codes?storeId=SH01', await shopper('nosy'))).status).toBe(403);
    expect((await app.api.get('/admin/entry-codes?storeId=SH01')).status).toBe(401);
    expect((await app.api.get(`/admin/entry-codes?campaignId=${await campaignId()}`, manager)).status).toBe(403);
  });

  it('a campaign code (HQ) carries the campaign; visits from it count for the campaign', async () => {
    const id = await campaignId();
    const info = await app.api.get(`/admin/entry-codes?campaignId=${id}`, admin);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ scene: `c=${shortObjectId(id)}`, campaignId: id, storeId: null });
    const token = await shopper('campaign');
    const visit = await app.api.post('/me/visits', { scene: info.body.scene }, token);
    expect(visit.body).toMatchObject({ campaignId: id, storeId: null });
    const report = await app.api.get('/admin/reports/acquisition', admin);
    expect(report.body.campaigns).toContainEqual({ campaignId: id, visits: 1, joins: 0 });
  });

  it('refuses codes for nothing, unknown stores and staff, and a staff-plus-campaign code that cannot fit', async () => {
    const none = await app.api.get('/admin/entry-codes', admin);
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('VALIDATION_FAILED');
    expect((await app.api.get('/admin/entry-codes?storeId=ZZ99', admin)).status).toBe(400);
    expect((await app.api.get('/admin/entry-codes?storeId=sh01', admin)).status).toBe(400);
    expect((await app.api.get(`/admin/entry-codes?staffId=${'0'.repeat(24)}`, admin)).status).toBe(400);
    const both = await app.api.get(`/admin/entry-codes?staffId=${clerkId}&campaignId=${clerkId}`, admin);
    expect(both.status).toBe(400);
  });
});

describe('the emulator checks getwxacodeunlimit as WeChat does', () => {
  const call = async (body: Record<string, unknown>, token?: string) => {
    const query = token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`;
    const res = await fetch(`${app.url}/__emulator/wxa/getwxacodeunlimit${query}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    return type.startsWith('image/') ? { image: true, errcode: 0 } : { image: false, ...((await res.json()) as { errcode: number }) };
  };

  it('answers errcodes for a missing token, a bad scene, a page outside the app, a leading slash and a bad env_version', async () => {
    const token = await emulatorToken();
    expect((await call({ scene: 's=SH01' })).errcode).toBe(41001);
    expect((await call({ scene: 's=SH01' }, 'not-a-token')).errcode).toBe(40001);
    expect(await call({ scene: 's=SH01', page: 'pages/card/index' }, token)).toEqual({ image: true, errcode: 0 });
    expect((await call({ scene: 'x'.repeat(33) }, token)).errcode).toBe(40169);
    expect((await call({ scene: 'a b' }, token)).errcode).toBe(40169);
    expect((await call({ scene: '' }, token)).errcode).toBe(40169);
    expect((await call({ scene: 's=SH01', page: 'pages/nowhere/index' }, token)).errcode).toBe(41030);
    expect((await call({ scene: 's=SH01', page: '/pages/card/index' }, token)).errcode).toBe(41030);
    expect((await call({ scene: 's=SH01', page: 'pages/card/index?x=1' }, token)).errcode).toBe(41030);
    // Without check_path a well-formed page not yet published is drawn (for trial and develop versions).
    expect(await call({ scene: 's=SH01', page: 'pages/nowhere/index', check_path: false, env_version: 'develop' }, token)).toEqual({ image: true, errcode: 0 });
    expect((await call({ scene: 's=SH01', env_version: 'beta' }, token)).errcode).toBe(40097);
    // Sub-package pages are published pages too.
    expect(await call({ scene: 's=SH01', page: 'pages/activities/detail' }, token)).toEqual({ image: true, errcode: 0 });
  });

  it('answers 45009 once the calls of a minute run out', async () => {
    const emulator = await createEmulator({ appId: 'wxrate00000000001', appSecret: 'rate-secret', mchId: '1900000001', wxaCodePerMinute: 2 });
    const server = new Koa().use(emulator.router.routes()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/__emulator`;
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const { access_token: token } = (await (await post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: 'wxrate00000000001', secret: 'rate-secret' })).json()) as { access_token: string };
      const answers = [];
      for (let i = 0; i < 3; i++) {
        const res = await post(`/wxa/getwxacodeunlimit?access_token=${token}`, { scene: 's=SH01', check_path: false, page: 'pages/card/index' });
        answers.push(res.headers.get('content-type')?.startsWith('image/') ? 'image' : ((await res.json()) as { errcode: number }).errcode);
      }
      expect(answers).toEqual(['image', 'image', 45009]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await emulator.close();
    }
  });
});

describe('visits and joins credited to a code', () => {
  it('a shopper opened from a staff code who then joins gets the store as home store and the clerk as acquiring staff', async () => {
    const token = await shopper('from-staff-code');
    const scene = `s=SH01&u=${shortObjectId(clerkId)}`;
    const visit = await app.api.post('/me/visits', { scene, launchScene: 1047 }, token);
    expect(visit.status).toBe(201);
    expect(visit.body).toMatchObject({ source: 'wxacode', storeId: 'SH01', staffId: clerkId, campaignId: null });

    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01' }, token);
    expect(joined.status).toBe(201);
    expect(joined.body.homeStoreId).toBe('SH01');
    const acquisition = await app.services.models.acquisitions.findOne({ memberId: joined.body.id }).lean();
    expect(acquisition).toMatchObject({ source: 'wxacode', storeId: 'SH01', visitId: expect.anything() });
    expect(String(acquisition!.staffId)).toBe(clerkId);
    expect(String(acquisition!.visitId)).toBe(visit.body.id);
  });

  it('a store the shopper chose at joining stays their home store; the code still gets the credit', async () => {
    const token = await shopper('chose-store');
    expect((await app.api.post('/me/visits', { scene: 's=BJ01' }, token)).status).toBe(201);
    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, token);
    expect(joined.body.homeStoreId).toBe('SH01');
    expect(await app.services.models.acquisitions.findOne({ memberId: joined.body.id }).lean()).toMatchObject({ storeId: 'BJ01' });
  });

  it('a poster URL code (q) is a visit too', async () => {
    const token = await shopper('poster');
    const info = await app.api.get('/admin/entry-codes?storeId=BJ01', admin);
    const visit = await app.api.post('/me/visits', { q: info.body.posterUrl, launchScene: 1011 }, token);
    expect(visit.status).toBe(201);
    expect(visit.body).toMatchObject({ source: 'url', storeId: 'BJ01' });
  });

  it('a visit older than a day, or none, credits nothing', async () => {
    const token = await shopper('stale');
    const visit = await app.api.post('/me/visits', { scene: 's=BJ01' }, token);
    expect(visit.status).toBe(201);
    // The visit was yesterday, 25 hours before the join (the session would not last that long).
    await app.services.models.visits.updateOne({ _id: visit.body.id }, { $set: { createdAt: new Date(app.clock.now().getTime() - 25 * 60 * 60 * 1000) } });
    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01' }, token);
    expect(joined.status).toBe(201);
    expect(joined.body.homeStoreId).toBeNull();
    expect(await app.services.models.acquisitions.countDocuments({ memberId: joined.body.id })).toBe(0);
  });

  it('parallel joins after a code visit make one member and one acquisition', async () => {
    const token = await shopper('parallel');
    await app.api.post('/me/visits', { scene: 's=BJ01' }, token);
    const results = await Promise.all(Array.from({ length: 5 }, () => app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01' }, token)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'ALREADY_MEMBER')).toBe(true);
    const memberId = results.find((r) => r.status === 201)!.body.id;
    expect(await app.services.models.acquisitions.countDocuments({ memberId })).toBe(1);
  });

  it('refuses unreadable codes, unknown stores, both scene and q, and anonymous callers', async () => {
    const token = await shopper('bad-codes');
    for (const body of [{ scene: 's=sh01' }, { scene: 's=ZZ99' }, { scene: 'u=short' }, { scene: 'x=1' }, { q: 'https://example.com/no-query' }, { scene: 's=SH01', q: 'https://e.com/?s=SH01' }, {}]) {
      const res = await app.api.post('/me/visits', body, token);
      expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await app.api.post('/me/visits', { scene: 's=SH01' })).status).toBe(401);
  });

  it('the report counts code visits, distinct visitors and joins by store, staff member and campaign', async () => {
    const report = await app.api.get('/admin/reports/acquisition?days=30', admin);
    expect(report.status).toBe(200);
    const sh01 = report.body.stores.find((s: { storeId: string }) => s.storeId === 'SH01');
    const bj01 = report.body.stores.find((s: { storeId: string }) => s.storeId === 'BJ01');
    // SH01: the staff-code visit (joined). BJ01: chose-store (joined), poster, parallel (joined); the stale visit is outside the window.
    expect(sh01).toEqual({ storeId: 'SH01', visits: 1, visitors: 1, joins: 1 });
    expect(bj01).toMatchObject({ joins: 2 });
    expect(bj01.visits).toBeGreaterThanOrEqual(3);
    expect(report.body.staff).toEqual([{ staffId: clerkId, storeId: 'SH01', name: expect.any(String), joins: 1 }]);
    const manager = await staffToken(app.api, 'sh01-manager');
    expect((await app.api.get('/admin/reports/acquisition', manager)).status).toBe(403);
  });
});
