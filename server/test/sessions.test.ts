import { randomBytes } from 'node:crypto';
import { allRoutes } from '../src/routes';
import { hqRoleNeeded } from '../src/lib/route';
import { SESSION_CHECK_CACHE_MS } from '../src/lib/tokens';
import { adminToken, joinedMember, startTestApp, type ApiClient, type TestApp } from './support/harness';

// Sessions follow the account (a change to role, store, password or active ends or retires the tokens already
// issued, and refresh signs the account as it is now) and HQ's roles hold on every route, over real HTTP.

let app: TestApp;
let hq: string;
beforeAll(async () => {
  app = await startTestApp();
  hq = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).act;
const FAKE_ID = '0123456789abcdef01234567';

interface Account {
  id: string;
  username: string;
  password: string;
  token: string;
  refreshToken: string;
}

/** HQ creates an account; its owner signs in with the first password and replaces it, as the console makes them. */
async function newAccount(
  api: ApiClient,
  body: { username: string; role: 'clerk' | 'manager' | 'hq'; hqRole?: string; storeId?: string },
): Promise<Account> {
  const first = `Temp-${randomBytes(4).toString('hex')}-Xq7`;
  const created = await api.post('/admin/staff', { name: body.username, password: first, ...body }, hq);
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ mustChangePassword: true, hqRole: body.role === 'hq' ? body.hqRole : null });
  const signIn = await api.post(body.role === 'hq' ? '/auth/admin' : '/auth/staff', { username: body.username, password: first });
  expect(signIn.status).toBe(200);
  expect(signIn.body.mustChangePassword).toBe(true);
  const password = `Own-${randomBytes(4).toString('hex')}-Kp4z`;
  const changed = await api.post('/auth/password', { currentPassword: first, newPassword: password }, signIn.body.token);
  expect(changed.status).toBe(200);
  return { id: created.body.id, username: body.username, password, token: changed.body.token, refreshToken: changed.body.refreshToken };
}

describe('a change to the account reaches the tokens already issued', () => {
  it('a demoted manager: the old token and a token refreshed before the change are refused at once; refresh after it mints a clerk', async () => {
    const manager = await newAccount(app.api, { username: 'demote-mgr', role: 'manager', storeId: 'SH01' });
    const refreshedBefore = await app.api.post('/auth/refresh', { refreshToken: manager.refreshToken });
    expect(refreshedBefore.status).toBe(200);
    const tokens = [manager.token, refreshedBefore.body.token as string];
    for (const token of tokens) {
      expect((await app.api.get('/admin/members', token)).status).toBe(200);
      // A manager may reverse: the only refusal left is that no such redemption exists.
      expect((await app.api.post(`/staff/redemptions/${FAKE_ID}/reversal`, { reason: 'test' }, token)).status).toBe(404);
    }

    expect((await app.api.patch(`/admin/staff/${manager.id}`, { role: 'clerk' }, hq)).status).toBe(200);
    for (const token of tokens) {
      const refused = await app.api.post(`/staff/redemptions/${FAKE_ID}/reversal`, { reason: 'test' }, token);
      expect(refused.status).toBe(401);
      expect((await app.api.get('/admin/members', token)).status).toBe(401);
    }

    const refreshed = await app.api.post('/auth/refresh', { refreshToken: refreshedBefore.body.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(claimsOf(refreshed.body.token)).toMatchObject({ type: 'staff', role: 'clerk', storeId: 'SH01' });
    const reversal = await app.api.post(`/staff/redemptions/${FAKE_ID}/reversal`, { reason: 'test' }, refreshed.body.token);
    expect(reversal.status).toBe(403);
    expect((await app.api.get('/admin/members', refreshed.body.token)).status).toBe(403);
    expect((await app.api.get('/staff/me', refreshed.body.token)).body).toMatchObject({ role: 'clerk', storeId: 'SH01' });

    const audit = await app.api.get(`/admin/audit-log?action=staff.update&targetId=${manager.id}`, hq);
    // The HQ actor is recorded with the HQ role it acted in, not only as 'hq'.
    expect(audit.body.items[0]).toMatchObject({ role: 'hq', hqRole: 'admin', before: { role: 'manager' }, after: { role: 'clerk', sessions: 'tokens retired' } });
  });

  it('a clerk moved from SH01 to BJ01: the old token is refused, the refreshed one acts for BJ01', async () => {
    const clerk = await newAccount(app.api, { username: 'moving-clerk', role: 'clerk', storeId: 'SH01' });
    expect((await app.api.get('/staff/me', clerk.token)).body.storeId).toBe('SH01');
    expect((await app.api.patch(`/admin/staff/${clerk.id}`, { storeId: 'BJ01' }, hq)).status).toBe(200);
    const old = await app.api.post('/staff/scan', { code: 'M000000' }, clerk.token);
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe('UNAUTHENTICATED');
    const refreshed = await app.api.post('/auth/refresh', { refreshToken: clerk.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(claimsOf(refreshed.body.token)).toMatchObject({ role: 'clerk', storeId: 'BJ01' });
    expect((await app.api.get('/staff/me', refreshed.body.token)).body.storeId).toBe('BJ01');
  });

  it('changing one’s password ends the old access and refresh tokens at once; the answer is a working new pair', async () => {
    const clerk = await newAccount(app.api, { username: 'pw-clerk', role: 'clerk', storeId: 'SH01' });
    const second = await app.api.post('/auth/staff', { username: clerk.username, password: clerk.password });
    expect((await app.api.get('/staff/me', second.body.token)).status).toBe(200);
    const changed = await app.api.post('/auth/password', { currentPassword: clerk.password, newPassword: 'a-new-one-Zr81' }, clerk.token);
    expect(changed.status).toBe(200);
    for (const token of [clerk.token, second.body.token]) expect((await app.api.get('/staff/me', token)).status).toBe(401);
    for (const refreshToken of [clerk.refreshToken, second.body.refreshToken]) expect((await app.api.post('/auth/refresh', { refreshToken })).status).toBe(401);
    expect((await app.api.get('/staff/me', changed.body.token)).status).toBe(200);
    expect((await app.api.post('/auth/staff', { username: clerk.username, password: clerk.password })).status).toBe(401);
    expect((await app.api.post('/auth/staff', { username: clerk.username, password: 'a-new-one-Zr81' })).status).toBe(200);
  });

  it('HQ resets a password: sessions end, and the reset password signs in only to choose a new one', async () => {
    const clerk = await newAccount(app.api, { username: 'reset-clerk', role: 'clerk', storeId: 'SH01' });
    expect((await app.api.patch(`/admin/staff/${clerk.id}`, { password: 'handed-over-Q2w9' }, hq)).body.mustChangePassword).toBe(true);
    expect((await app.api.get('/staff/me', clerk.token)).status).toBe(401);
    expect((await app.api.post('/auth/refresh', { refreshToken: clerk.refreshToken })).status).toBe(401);

    const signIn = await app.api.post('/auth/staff', { username: clerk.username, password: 'handed-over-Q2w9' });
    expect(signIn.body.mustChangePassword).toBe(true);
    const pending = signIn.body.token;
    expect((await app.api.get('/staff/me', pending)).body.mustChangePassword).toBe(true);
    const scan = await app.api.post('/staff/scan', { code: 'M000000' }, pending);
    expect(scan.status).toBe(403);
    expect(scan.body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    // A refresh does not shed the obligation: it is read from the account.
    const refreshed = await app.api.post('/auth/refresh', { refreshToken: signIn.body.refreshToken });
    expect((await app.api.post('/staff/scan', { code: 'M000000' }, refreshed.body.token)).body.error.code).toBe('PASSWORD_CHANGE_REQUIRED');

    const changed = await app.api.post('/auth/password', { currentPassword: 'handed-over-Q2w9', newPassword: 'my-very-own-Lm3' }, refreshed.body.token);
    expect(changed.status).toBe(200);
    expect((await app.api.get('/staff/me', changed.body.token)).body.mustChangePassword).toBe(false);
    expect((await app.api.post('/staff/scan', { code: 'M000000' }, changed.body.token)).status).toBe(400);
  });

  it('disable ends every session and refresh; re-enable lets the owner sign in again but revives no old token', async () => {
    const clerk = await newAccount(app.api, { username: 'off-on-clerk', role: 'clerk', storeId: 'SH01' });
    expect((await app.api.patch(`/admin/staff/${clerk.id}`, { active: false }, hq)).status).toBe(200);
    expect((await app.api.get('/staff/me', clerk.token)).status).toBe(401);
    expect((await app.api.post('/auth/refresh', { refreshToken: clerk.refreshToken })).status).toBe(401);
    expect((await app.api.post('/auth/staff', { username: clerk.username, password: clerk.password })).status).toBe(401);

    expect((await app.api.patch(`/admin/staff/${clerk.id}`, { active: true }, hq)).body.active).toBe(true);
    expect((await app.api.get('/staff/me', clerk.token)).status).toBe(401);
    const back = await app.api.post('/auth/staff', { username: clerk.username, password: clerk.password });
    expect(back.status).toBe(200);
    expect((await app.api.get('/staff/me', back.body.token)).status).toBe(200);
  });

  it('erasing a member ends their session: the token and its refresh are refused', async () => {
    const login = await app.api.post('/auth/wechat', { code: 'erase-session' });
    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, login.body.token);
    expect(joined.status).toBe(201);
    expect((await app.api.delete('/me', login.body.token)).status).toBe(204);
    const after = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, login.body.token);
    expect(after.status).toBe(401);
    expect((await app.api.post('/auth/refresh', { refreshToken: login.body.refreshToken })).status).toBe(401);
  });

  it('signing out ends the session: its access token and refresh token stop', async () => {
    const login = await app.api.post('/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' });
    const other = await app.api.post('/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' });
    expect((await app.api.post('/auth/logout', { refreshToken: login.body.refreshToken })).status).toBe(204);
    expect((await app.api.get('/staff/me', login.body.token)).status).toBe(401);
    expect((await app.api.post('/auth/refresh', { refreshToken: login.body.refreshToken })).status).toBe(401);
    // Only that session: the same account signed in elsewhere carries on.
    expect((await app.api.get('/staff/me', other.body.token)).status).toBe(200);
    expect((await app.api.post('/auth/logout', { refreshToken: login.body.refreshToken })).status).toBe(204);
  });

  it('a revocation written by another instance is honoured here within one second', async () => {
    const { token } = await joinedMember(app.api, 'other-instance');
    expect((await app.api.get('/me', token)).status).toBe(200); // this instance now holds the session's answer
    const sessionId = claimsOf(token).sessionId as string;
    // What another instance's revokeAll writes; this instance's cache does not hear of it.
    await app.services.models.sessions.updateOne({ _id: sessionId }, { $set: { revokedAt: new Date() } });
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 3000) {
      status = (await app.api.get('/me', token)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(401);
    // The cached answer lives at most SESSION_CHECK_CACHE_MS (1 s); the rest is request time on a busy machine.
    expect(Date.now() - revokedAt).toBeLessThan(SESSION_CHECK_CACHE_MS + 500);
  });
});

describe('HQ roles', () => {
  let marketing: Account;
  let viewer: Account;
  beforeAll(async () => {
    marketing = await newAccount(app.api, { username: 'mkt-user', role: 'hq', hqRole: 'marketing' });
    viewer = await newAccount(app.api, { username: 'view-user', role: 'hq', hqRole: 'viewer' });
  });

  it('marketing creates a coupon template but no staff account, store or tier', async () => {
    const template = await app.api.post(
      '/admin/coupon-templates',
      { title: '市场部券', type: 'cash', minSpendFen: 10_000, amountOffFen: 1_000, validDays: 30, totalQuantity: 100, perMemberLimit: 1 },
      marketing.token,
    );
    expect(template.status).toBe(201);
    const staff = await app.api.post('/admin/staff', { username: 'mkt-made', name: 'x', role: 'clerk', storeId: 'SH01', password: 'strong-enough-9Xy' }, marketing.token);
    expect(staff.status).toBe(403);
    expect(staff.body.error.code).toBe('FORBIDDEN');
    expect((await app.api.get('/admin/staff', marketing.token)).status).toBe(403);
    expect((await app.api.post('/admin/stores', { id: 'MK01', name: '市场店' }, marketing.token)).status).toBe(403);
    expect((await app.api.get('/admin/tiers', marketing.token)).status).toBe(403);
    expect((await app.api.get('/admin/dashboard', marketing.token)).status).toBe(200);
    expect(await app.services.models.staff.countDocuments({ username: 'mkt-made' })).toBe(0);
  });

  it('a viewer lists but cannot write, nor read staff, stores or settings', async () => {
    expect((await app.api.get('/admin/coupon-templates', viewer.token)).status).toBe(200);
    expect((await app.api.get('/admin/members', viewer.token)).status).toBe(200);
    expect((await app.api.get('/admin/dashboard', viewer.token)).status).toBe(200);
    const write = await app.api.post(
      '/admin/coupon-templates',
      { title: '只读券', type: 'cash', minSpendFen: 10_000, amountOffFen: 1_000, validDays: 30, totalQuantity: 100, perMemberLimit: 1 },
      viewer.token,
    );
    expect(write.status).toBe(403);
    for (const path of ['/admin/staff', '/admin/stores', '/admin/audit-log', '/admin/tiers', '/admin/earn-rules']) {
      expect([path, (await app.api.get(path, viewer.token)).status]).toEqual([path, 403]);
    }
  });

  it('every HQ route refuses the roles below its least role, before reading the request', async () => {
    const routes = allRoutes(app.services).filter((r) => r.auth === 'admin' || r.auth === 'adminOrManager');
    expect(routes.length).toBeGreaterThan(40);
    // The one write-shaped route a viewer may call only reads: counting a segment's audience.
    expect(routes.filter((r) => r.method !== 'get' && hqRoleNeeded(r) === 'viewer').map((r) => r.path)).toEqual(['/admin/campaigns/preview']);
    const checked: string[] = [];
    for (const spec of routes) {
      const needed = hqRoleNeeded(spec);
      const path = spec.path.replace(/:id/g, FAKE_ID).replace(/:[a-zA-Z]+/g, 'X1');
      for (const [who, account] of [['viewer', viewer], ['marketing', marketing]] as const) {
        const res = await app.api.request(spec.method.toUpperCase(), path, { token: account.token, body: spec.method === 'get' ? undefined : {} });
        const allowed = needed === 'viewer' || (needed === 'marketing' && who === 'marketing');
        if (allowed) expect([spec.method, spec.path, who, res.status]).not.toEqual([spec.method, spec.path, who, 403]);
        else expect([spec.method, spec.path, who, res.status]).toEqual([spec.method, spec.path, who, 403]);
        checked.push(`${who} ${spec.method} ${spec.path} ${res.status}`);
      }
    }
    expect(checked.length).toBe(routes.length * 2);
  }, 60_000);

  it('HQ demotes marketing to viewer: the old token loses its writes at once', async () => {
    const account = await newAccount(app.api, { username: 'mkt-demoted', role: 'hq', hqRole: 'marketing' });
    expect((await app.api.patch(`/admin/staff/${account.id}`, { hqRole: 'viewer' }, hq)).body.hqRole).toBe('viewer');
    expect((await app.api.get('/admin/dashboard', account.token)).status).toBe(401);
    const refreshed = await app.api.post('/auth/refresh', { refreshToken: account.refreshToken });
    expect(claimsOf(refreshed.body.token).hqRole).toBe('viewer');
    expect((await app.api.post('/admin/segments', {}, refreshed.body.token)).status).toBe(403);
  });

  it('demo accounts keep their published passwords and are not asked to change them', async () => {
    const login = await app.api.post('/auth/admin', { username: 'hq', password: 'hq-demo-pass' });
    expect(login.body).toMatchObject({ admin: { role: 'hq', hqRole: 'admin' }, mustChangePassword: false });
    const staff = await app.api.post('/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' });
    expect(staff.body.mustChangePassword).toBe(false);
  });
});

describe('passwords', () => {
  const create = (username: string, password: string) =>
    app.api.post('/admin/staff', { username, name: username, role: 'clerk', storeId: 'SH01', password }, hq);

  it('refuses short, common, trivial and username-based passwords for new accounts', async () => {
    for (const [password, why] of [
      ['short-1', 'at least 10'],
      ['password123', 'too common'],
      ['qwertyuiop', 'too common'],
      ['staff-demo-pass', 'too common'],
      ['aaaaaaaaaaaa', 'too common'],
      ['abcdefghijkl', 'too common'],
      ['rule-clerk-2026!', 'username'],
    ]) {
      const res = await create('rule-clerk', password!);
      expect([password, res.status, res.body.error.code]).toEqual([password, 400, 'VALIDATION_FAILED']);
      expect(res.body.error.details.fields[0]).toMatchObject({ field: 'body.password', message: expect.stringContaining(why!) });
    }
    expect((await create('rule-clerk', 'Tea-and-biscuits-42')).status).toBe(201);
  });

  it('a wrong current password is refused, and five of them in a row are rate-limited', async () => {
    const clerk = await newAccount(app.api, { username: 'guess-clerk', role: 'clerk', storeId: 'SH01' });
    const wrong = [];
    for (let i = 0; i < 6; i++) wrong.push((await app.api.post('/auth/password', { currentPassword: `nope-${i}`, newPassword: 'whatever-it-is-7' }, clerk.token)).status);
    expect(wrong).toEqual([400, 400, 400, 400, 400, 429]);
    const weak = await app.api.post('/auth/password', { currentPassword: clerk.password, newPassword: '1234567890' }, (await app.api.post('/auth/staff', { username: clerk.username, password: clerk.password })).body.token);
    expect(weak.status).toBe(429);
  });

  it('HQ accounts change their own password too; a member token may not', async () => {
    const { token } = await joinedMember(app.api, 'no-password');
    expect((await app.api.post('/auth/password', { currentPassword: 'x', newPassword: 'long-enough-pass-1' }, token)).status).toBe(403);
    const weak = await app.api.post('/auth/password', { currentPassword: 'hq-demo-pass', newPassword: 'hq-demo-pass' }, hq);
    expect(weak.status).toBe(400);
  });
});

describe('the last active HQ admin', () => {
  it('cannot be disabled or demoted, nor can two admins demote each other at once', async () => {
    const admins = await app.services.models.staff.find({ role: 'hq', active: true, hqRole: { $in: ['admin', null] } }).lean();
    expect(admins.map((a) => a.username)).toEqual(['hq']);
    const hqId = String(admins[0]!._id);
    const lonely = await app.api.patch(`/admin/staff/${hqId}`, { active: false }, hq);
    expect([lonely.status, lonely.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await app.api.patch(`/admin/staff/${hqId}`, { hqRole: 'viewer' }, hq)).status).toBe(409);

    const second = await newAccount(app.api, { username: 'second-admin', role: 'hq', hqRole: 'admin' });
    let hqToken = hq;
    let secondToken = second.token;
    for (let round = 0; round < 3; round++) {
      const change = round % 2 === 0 ? { hqRole: 'viewer' } : { active: false };
      const [a, b] = await Promise.all([
        app.api.patch(`/admin/staff/${second.id}`, change, hqToken),
        app.api.patch(`/admin/staff/${hqId}`, change, secondToken),
      ]);
      const statuses = [a.status, b.status].sort();
      // One wins; the other is refused (409 last admin, or 401 because the winner's change retired its token).
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]);
      expect(await app.services.models.staff.countDocuments({ role: 'hq', active: true, hqRole: { $in: ['admin', null] } })).toBe(1);
      // The winner restores the other, and both sign in again.
      const winnerToken = a.status === 200 ? hqToken : secondToken;
      const loserId = a.status === 200 ? second.id : hqId;
      expect((await app.api.patch(`/admin/staff/${loserId}`, { hqRole: 'admin', active: true }, winnerToken)).status).toBe(200);
      hqToken = (await app.api.post('/auth/admin', { username: 'hq', password: 'hq-demo-pass' })).body.token;
      secondToken = (await app.api.post('/auth/admin', { username: 'second-admin', password: second.password })).body.token;
    }
    hq = hqToken;
  }, 30_000);
});
