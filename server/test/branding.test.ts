import { Types } from 'mongoose';
import { encodePng } from '../src/modules/branding/png';
import { adminToken, joinedMember, startTestApp, type ApiClient, type TestApp } from './support/harness';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 60_000);
afterAll(async () => {
  await app.stop();
});

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

function put(api: ApiClient, path: string, body: unknown, token?: string) {
  return api.request('PUT', path, { body, token });
}

/** A real PNG of the given size, in one colour. */
const png = (width: number, height: number, rgb: [number, number, number] = [200, 30, 60]) => encodePng(width, height, () => [...rgb, 255]);

/** An HQ account of `role`, signed in with a password of its own (as the console makes them). */
async function hqToken(role: 'marketing' | 'viewer'): Promise<string> {
  const username = `hq-${role}-${new Types.ObjectId().toHexString().slice(-6)}`;
  const first = 'Temp-3f9a1c-Xq7';
  expect((await app.api.post('/admin/staff', { username, name: username, role: 'hq', hqRole: role, password: first }, admin)).status).toBe(201);
  const signIn = await app.api.post('/auth/admin', { username, password: first });
  const changed = await app.api.post('/auth/password', { currentPassword: first, newPassword: 'Own-7b2e4d-Kp4z' }, signIn.body.token);
  return changed.body.token;
}

describe('brand settings', () => {
  it('names the programme and sets its colours; /app-config hands the theme to the mini-program', async () => {
    const before = await app.api.get('/app-config');
    expect(before.body.theme).toMatchObject({ logoUrl: null, tierArt: {} });

    const saved = await app.api.patch('/admin/branding', { name: ' 栖木生活 ', primaryColor: '#0E6B4F', accentColor: '#b45309' }, admin);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ name: '栖木生活', primaryColor: '#0e6b4f', accentColor: '#b45309', warnings: [] });
    expect(saved.body.contrast.primary).toBeGreaterThanOrEqual(4.5);

    const config = await app.api.get('/app-config');
    expect(config.body.programme).toEqual({ name: '栖木生活' });
    expect(config.body.theme).toMatchObject({ name: '栖木生活', primaryColor: '#0e6b4f', accentColor: '#b45309' });
    expect(await app.services.branding.getBrandSettings()).toMatchObject({ name: '栖木生活' });
    const audit = await app.services.models.audit.findOne({ action: 'brand.update' }).sort({ at: -1 }).lean();
    expect(audit).toMatchObject({ targetType: 'settings', targetId: 'brand' });
  });

  it('refuses a colour white text cannot be read on (422 with the ratio), warns of a large-text-only accent, refuses bad input', async () => {
    const pale = await app.api.patch('/admin/branding', { primaryColor: '#f5d76e' }, admin);
    expectError(pale, 422, 'COLOUR_CONTRAST_TOO_LOW');
    expect(pale.body.error.details.fields[0]).toMatchObject({ field: 'body.primaryColor', message: expect.stringMatching(/needs 4\.5:1/) });
    expect((await app.api.get('/admin/branding', admin)).body.primaryColor).not.toBe('#f5d76e');

    const weak = await app.api.patch('/admin/branding', { accentColor: '#e65100' }, admin);
    expect(weak.status).toBe(200);
    expect(weak.body.warnings).toHaveLength(1);

    expectError(await app.api.patch('/admin/branding', { primaryColor: 'green' }, admin), 400, 'VALIDATION_FAILED');
    expectError(await app.api.patch('/admin/branding', { name: '' }, admin), 400, 'VALIDATION_FAILED');
    expectError(await app.api.patch('/admin/branding', { logoAssetId: 'x' }, admin), 400, 'VALIDATION_FAILED');
  });

  it('stores an uploaded logo and serves it by its hash with caching headers (304 on revalidation)', async () => {
    const logo = png(64, 64);
    const saved = await put(app.api, '/admin/branding/logo', { data: logo.toString('base64') }, admin);
    expect(saved.status).toBe(200);
    expect(saved.body.logoUrl).toMatch(/^\/api\/v1\/brand\/assets\/[0-9a-f]{64}$/);

    const served = await fetch(app.api.baseUrl + saved.body.logoUrl);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await served.arrayBuffer()).equals(logo)).toBe(true);
    const again = await fetch(app.api.baseUrl + saved.body.logoUrl, { headers: { 'If-None-Match': served.headers.get('etag')! } });
    expect(again.status).toBe(304);

    expectError(await app.api.get(`/brand/assets/${'0'.repeat(64)}`), 404, 'NOT_FOUND');
    expectError(await app.api.get('/brand/assets/not-a-hash'), 400, 'VALIDATION_FAILED');
    const removed = await app.api.delete('/admin/branding/logo', admin);
    expect(removed.body.logoUrl).toBeNull();
  });

  it('limits uploads: size (413), real type read from the bytes (415), pixel size (400)', async () => {
    // 300 KB of noise-like pixels deflate poorly: a real PNG over the 256 KB limit.
    const big = encodePng(300, 300, (x, y) => [(x * 7919 + y * 104729) % 251, (x * y) % 253, (x ^ y) % 255, 255]);
    expect(big.length).toBeGreaterThan(256 * 1024);
    expectError(await put(app.api, '/admin/branding/logo', { data: big.toString('base64') }, admin), 413, 'PAYLOAD_TOO_LARGE');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    expectError(await put(app.api, '/admin/branding/logo', { data: svg.toString('base64') }, admin), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await put(app.api, '/admin/branding/logo', { data: png(3000, 1).toString('base64') }, admin), 400, 'VALIDATION_FAILED');
    expectError(await put(app.api, '/admin/branding/logo', { data: '!!!' }, admin), 400, 'VALIDATION_FAILED');
    expect(await app.services.models.brandAssets.countDocuments({ size: { $gt: 256 * 1024 } })).toBe(0);
  });

  it('sets card art per tier on the ladder only; the theme names each tier’s art', async () => {
    const art = png(343, 200, [20, 60, 120]);
    const saved = await put(app.api, '/admin/branding/tier-art/gold', { data: art.toString('base64') }, admin);
    expect(saved.status).toBe(200);
    expect(Object.keys(saved.body.tierArt)).toEqual(['gold']);
    expectError(await put(app.api, '/admin/branding/tier-art/diamond', { data: art.toString('base64') }, admin), 404, 'NOT_FOUND');
    expect((await app.api.get('/app-config')).body.theme.tierArt.gold).toBe(saved.body.tierArt.gold);
    const removed = await app.api.delete('/admin/branding/tier-art/gold', admin);
    expect(removed.body.tierArt).toEqual({});
  });

  it('only HQ changes the brand: a viewer reads it, marketing changes it, staff and members are refused', async () => {
    const [viewer, marketing, { token: member }] = await Promise.all([hqToken('viewer'), hqToken('marketing'), joinedMember(app.api, 'brand-member')]);
    expect((await app.api.get('/admin/branding', viewer)).status).toBe(200);
    expectError(await app.api.patch('/admin/branding', { name: '不该成功' }, viewer), 403, 'FORBIDDEN');
    expectError(await put(app.api, '/admin/branding/logo', { data: png(8, 8).toString('base64') }, viewer), 403, 'FORBIDDEN');
    expectError(await app.api.patch('/admin/branding', { name: '不该成功' }, member), 403, 'FORBIDDEN');
    expectError(await app.api.get('/admin/branding'), 401, 'UNAUTHENTICATED');
    expect((await app.api.patch('/admin/branding', { name: '栖木生活' }, marketing)).status).toBe(200);
  });
});
