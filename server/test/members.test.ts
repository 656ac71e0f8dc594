import { base32Decode, generateCode, isValidCardNo } from '@membercard/shared';
import { adminToken, joinedMember, signInShopper, staffToken, startTestApp, type TestApp } from './support/harness';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

const FULL_PROFILE = { name: '张三', gender: 'male', birthday: '1990-05-20', city: '上海', interests: ['咖啡', '亲子'] };

describe('WeChat sign-in and joining', () => {
  it('signs a shopper in through jscode2session; the session key never leaves the server', async () => {
    const res = await app.api.post('/auth/wechat', { code: 'signin-1' });
    expect(res.status).toBe(200);
    expect(res.body.member).toBeNull();
    expect(res.text).not.toMatch(/session_?key|openid|emu_/i);
    const doc = await app.services.models.members.findOne({ openid: 'emu_signin-1' }).lean();
    expect(doc?.status).toBe('prospect');
  });

  it('refuses an invalid WeChat code with 401', async () => {
    const res = await app.api.post('/auth/wechat', { code: 'invalid-code' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('two parallel first sign-ins of one WeChat account make one shopper', async () => {
    // Six wx.login codes of the same WeChat user, exchanged at once.
    const results = await Promise.all(Array.from({ length: 6 }, () => signInShopper(app.api, 'twin')));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await app.services.models.members.countDocuments({ openid: 'emu_twin' })).toBe(1);
  });

  it('a shopper who has not joined gets 403 NOT_A_MEMBER on member routes', async () => {
    const login = await app.api.post('/auth/wechat', { code: 'browser' });
    const res = await app.api.get('/me', login.body.token);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('NOT_A_MEMBER');
  });

  it('joining needs explicit acceptance: 400 without it, 201 with a Luhn card number, 409 the second time', async () => {
    const login = await app.api.post('/auth/wechat', { code: 'joiner' });
    const refused = await app.api.post('/me/membership', { acceptTerms: false, privacyPolicyVersion: '2026-01' }, login.body.token);
    expect(refused.status).toBe(400);
    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, login.body.token);
    expect(joined.status).toBe(201);
    expect(isValidCardNo(joined.body.cardNo)).toBe(true);
    expect(joined.body).toMatchObject({ tier: { code: 'silver' }, pointsBalance: 0, homeStoreId: 'SH01', profileCompletion: 0 });
    const stored = await app.services.models.members.findById(joined.body.id).lean();
    expect(stored?.consent?.privacyPolicyVersion).toBe('2026-01');
    const again = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01' }, login.body.token);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_MEMBER');
    const unknownStore = await app.api.post('/auth/wechat', { code: 'joiner-2' });
    const bad = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'XX99' }, unknownStore.body.token);
    expect(bad.status).toBe(400);
  });

  it('parallel joins of one shopper give one card', async () => {
    const login = await app.api.post('/auth/wechat', { code: 'parallel-joiner' });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01' }, login.body.token)),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
  });
});

describe('profile completion and the one-off bonus', () => {
  it('20 parallel completions award the bonus exactly once; clearing and refilling never pays again', async () => {
    const { token, member } = await joinedMember(app.api, 'completer');
    expect((await app.api.post('/me/phone', { code: 'phone-completer' }, token)).status).toBe(200);
    const results = await Promise.all(Array.from({ length: 20 }, () => app.api.patch('/me/profile', FULL_PROFILE, token)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const me = await app.api.get('/me', token);
    expect(me.body.profileCompletion).toBe(100);
    expect(me.body.pointsBalance).toBe(200);

    expect((await app.api.patch('/me/profile', { city: null, interests: [] }, token)).body.profileCompletion).toBeLessThan(100);
    await Promise.all(Array.from({ length: 5 }, () => app.api.patch('/me/profile', { city: '杭州', interests: ['烘焙'] }, token)));
    const after = await app.api.get('/me', token);
    expect(after.body.profileCompletion).toBe(100);
    expect(after.body.pointsBalance).toBe(200);
    const bonuses = await app.services.models.ledger.countDocuments({ memberId: member.id, source: 'bonus' });
    expect(bonuses).toBe(1);
    const ledger = await app.services.models.ledger.find({ memberId: member.id }).lean();
    expect(ledger.reduce((sum, e) => sum + e.delta, 0)).toBe(200);
    const lots = await app.services.models.lots.find({ memberId: member.id }).lean();
    expect(lots.reduce((sum, l) => sum + l.remaining, 0)).toBe(200);
  });

  it('binds the phone number through getuserphonenumber', async () => {
    const { token } = await joinedMember(app.api, 'phone-owner');
    const res = await app.api.post('/me/phone', { code: 'abc' }, token);
    expect(res.status).toBe(200);
    expect(res.body.phone).toMatch(/^138\d{8}$/);
    const bad = await app.api.post('/me/phone', { code: 'invalid-phone-code' }, token);
    expect(bad.status).toBe(400);
  });

  it('the birthday is set once by the member', async () => {
    const { token } = await joinedMember(app.api, 'birthday');
    expect((await app.api.patch('/me/profile', { birthday: '1988-02-29' }, token)).body.birthday).toBe('1988-02-29');
    const change = await app.api.patch('/me/profile', { birthday: '1989-03-01' }, token);
    expect(change.status).toBe(422);
    expect(change.body.error.code).toBe('BIRTHDAY_ALREADY_SET');
    expect((await app.api.patch('/me/profile', { birthday: '2999-01-01' }, token)).status).toBe(400);
    expect((await app.api.patch('/me/profile', { birthday: '1990-02-30' }, token)).status).toBe(400);
  });
});

describe('member codes at the counter', () => {
  it('a fresh member code identifies the masked member; the phone can make the same code offline', async () => {
    const { token, member } = await joinedMember(app.api, 'scanned');
    await app.api.patch('/me/profile', { name: '李小龙' }, token);
    await app.api.post('/me/phone', { code: 'scanned-phone' }, token);
    const code = await app.api.get('/me/member-code', token);
    expect(code.body.code).toMatch(new RegExp(`^M${member.cardNo}\\d{8}$`));
    const key = await app.api.get('/me/code-key', token);
    const offline = generateCode({ kind: 'member', subject: member.cardNo, secret: base32Decode(key.body.secret), now: app.clock.now() });
    expect(offline.code).toBe(code.body.code);

    const clerk = await staffToken(app.api, 'sh01-clerk');
    const scan = await app.api.post('/staff/scan', { code: code.body.code }, clerk);
    expect(scan.status).toBe(200);
    expect(scan.body.type).toBe('member');
    expect(scan.body.member.maskedName).toBe('李**');
    expect(scan.body.member.maskedPhone).toMatch(/^138\*{4}\d{4}$/);
    expect(scan.text).not.toContain('李小龙');
  });

  it('stale, altered and foreign codes → 400 CODE_INVALID', async () => {
    const a = await joinedMember(app.api, 'code-a');
    const b = await joinedMember(app.api, 'code-b');
    const clerk = await staffToken(app.api, 'sh01-clerk');
    const code: string = (await app.api.get('/me/member-code', a.token)).body.code;

    const altered = code.slice(0, -1) + ((Number(code.at(-1)) + 1) % 10);
    const foreign = `M${b.member.cardNo}${code.slice(-8)}`;
    for (const bad of [altered, foreign, 'M123', 'hello']) {
      const res = await app.api.post('/staff/scan', { code: bad }, clerk);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('CODE_INVALID');
    }
    // One window of grace: still good a minute later, refused after two.
    app.clock.advance(60_000);
    expect((await app.api.post('/staff/scan', { code }, clerk)).status).toBe(200);
    app.clock.advance(60_000);
    expect((await app.api.post('/staff/scan', { code }, clerk)).body.error.code).toBe('CODE_INVALID');
    app.clock.advance(-120_000);
  });
});

describe('staff, HQ and audit', () => {
  it('HQ creates a store and a clerk; a manager sees only members of their store', async () => {
    const hq = await adminToken(app.api);
    expect((await app.api.post('/admin/stores', { id: 'GZ01', name: '广州天河店', city: '广州' }, hq)).status).toBe(201);
    expect((await app.api.post('/admin/stores', { id: 'GZ01', name: 'dup' }, hq)).status).toBe(409);
    const created = await app.api.post('/admin/staff', { username: 'gz01-clerk', name: '天河店员', role: 'clerk', storeId: 'GZ01', password: 'a-long-password' }, hq);
    expect(created.status).toBe(201);
    expect(created.text).not.toMatch(/passwordHash|scrypt/);
    expect((await app.api.post('/auth/staff', { username: 'gz01-clerk', password: 'a-long-password' })).status).toBe(200);

    const sh = await joinedMember(app.api, 'sh-member', 'SH01');
    const bj = await joinedMember(app.api, 'bj-member', 'BJ01');
    const manager = await staffToken(app.api, 'sh01-manager');
    expect((await app.api.get(`/admin/members/${sh.member.id}`, manager)).status).toBe(200);
    expect((await app.api.get(`/admin/members/${bj.member.id}`, manager)).status).toBe(404);
    const search = await app.api.get(`/admin/members?q=${bj.member.cardNo}`, manager);
    expect(search.body.items).toHaveLength(0);
    const hqSearch = await app.api.get(`/admin/members?q=${bj.member.cardNo}`, hq);
    expect(hqSearch.body.items.map((m: { id: string }) => m.id)).toEqual([bj.member.id]);

    const audit = await app.api.get('/admin/audit-log?action=staff.create', hq);
    expect(audit.status).toBe(200);
    expect(audit.body.items[0]).toMatchObject({ actorType: 'admin', role: 'hq', action: 'staff.create', targetType: 'staff' });
    expect(JSON.stringify(audit.body.items[0].after)).not.toContain('password');
  });

  it('a member’s sign-ups are visible to HQ and to the manager of their home store only', async () => {
    const hq = await adminToken(app.api);
    const manager = await staffToken(app.api, 'sh01-manager');
    const sh = await joinedMember(app.api, 'signups-sh', 'SH01');
    const bj = await joinedMember(app.api, 'signups-bj', 'BJ01');
    const activity = (await app.api.get('/activities')).body.items.find((a: { feeFen: number }) => a.feeFen === 0);
    expect((await app.api.post(`/activities/${activity.id}/signups`, {}, sh.token)).status).toBe(201);
    const seen = await app.api.get(`/admin/members/${sh.member.id}/signups`, manager);
    expect(seen.status).toBe(200);
    expect(seen.body.items.map((x: { activityId: string }) => x.activityId)).toEqual([activity.id]);
    expect((await app.api.get(`/admin/members/${bj.member.id}/signups`, hq)).body.items).toEqual([]);
    expect((await app.api.get(`/admin/members/${bj.member.id}/signups`, manager)).status).toBe(404);
  });

  it('a member’s audit trail lists the staff and HQ actions concerning them', async () => {
    const hq = await adminToken(app.api);
    const { member } = await joinedMember(app.api, 'audited', 'SH01');
    const template = (await app.api.get('/admin/coupon-templates', hq)).body.items[0];
    const granted = await app.api.post(`/admin/coupon-templates/${template.id}/grants`, { memberId: member.id }, hq, { 'Idempotency-Key': 'audit-grant-1' });
    expect(granted.status).toBe(201);
    const trail = await app.api.get(`/admin/members/${member.id}/audit`, await staffToken(app.api, 'sh01-manager'));
    expect(trail.status).toBe(200);
    expect(trail.body.items).toEqual([expect.objectContaining({ action: 'coupon.grant', memberId: member.id, actorType: 'admin' })]);
  });

  it('a disabled staff account loses access at once', async () => {
    const hq = await adminToken(app.api);
    const created = await app.api.post('/admin/staff', { username: 'temp-clerk', name: '临时', role: 'clerk', storeId: 'SH01', password: 'another-long-pass' }, hq);
    const token = (await app.api.post('/auth/staff', { username: 'temp-clerk', password: 'another-long-pass' })).body.token;
    expect((await app.api.get('/staff/me', token)).status).toBe(200);
    expect((await app.api.patch(`/admin/staff/${created.body.id}`, { active: false }, hq)).status).toBe(200);
    expect((await app.api.get('/staff/me', token)).status).toBe(401);
  });

  it('staff sign-in is rate-limited per account', async () => {
    const attempts = [];
    for (let i = 0; i < 7; i++) attempts.push((await app.api.post('/auth/staff', { username: 'bj01-clerk', password: 'wrong-password' })).status);
    expect(attempts.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(attempts.slice(5)).toEqual([429, 429]);
    const blocked = await app.api.post('/auth/staff', { username: 'bj01-clerk', password: 'staff-demo-pass' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
  });
});

describe('erasure', () => {
  it('removes personal data and the WeChat link, keeps the card number and ledger; the same WeChat account starts afresh', async () => {
    const { token, member } = await joinedMember(app.api, 'leaver');
    await app.api.post('/me/phone', { code: 'leaver-phone' }, token);
    await app.api.patch('/me/profile', FULL_PROFILE, token);
    expect((await app.api.delete('/me', token)).status).toBe(204);

    const stored = await app.services.models.members.findById(member.id).lean();
    expect(stored).toMatchObject({ status: 'erased', cardNo: member.cardNo });
    for (const field of ['name', 'phone', 'birthday', 'openid', 'gender', 'city', 'interests']) {
      expect((stored as Record<string, unknown>)[field] ?? null).toBeNull();
    }
    expect(await app.services.models.ledger.countDocuments({ memberId: member.id })).toBe(1);
    // Erasure ended the session: the old token is refused outright.
    expect((await app.api.get('/me', token)).status).toBe(401);

    const again = await app.api.post('/auth/wechat', { code: 'leaver' });
    expect(again.body.member).toBeNull();
    const rejoined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01' }, again.body.token);
    expect(rejoined.status).toBe(201);
    expect(rejoined.body.cardNo).not.toBe(member.cardNo);
    expect(rejoined.body.pointsBalance).toBe(0);
  });
});
