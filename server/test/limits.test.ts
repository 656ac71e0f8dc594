import { randomBytes } from 'node:crypto';
import { makeRedemptionCode } from '@membercard/shared';
import { hashPassword } from '../src/lib/passwords';
import { adminToken, joinedMember, staffToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';

// Abuse limits over HTTP: client addresses read only through trusted proxies (TRUST_PROXY_HOPS), sign-in
// limits a stranger cannot turn against the account's owner, and code look-ups limited per clerk and per store
// counting only invalid codes. Rate limits count in real time (MongoDB TTL), so every test uses keys of its own.

function expectLimited(res: ApiResponse): void {
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe('RATE_LIMITED');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

const from = (address: string) => ({ 'X-Forwarded-For': address });
const randomAddress = () => `${10 + (randomBytes(1)[0]! % 200)}.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0]! % 250)}`;

describe('behind one trusted proxy (TRUST_PROXY_HOPS=1)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ trustProxyHops: 1 });
  }, 30_000);
  afterAll(async () => {
    await app.stop();
  });

  const signIn = (door: 'staff' | 'admin', username: string, password: string, address: string) =>
    app.api.post(`/auth/${door}`, { username, password }, undefined, from(address));
  const auditOf = async (action: string) => {
    const res = await app.api.get(`/admin/audit-log?action=${action}&limit=50`, await adminToken(app.api));
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, any>>;
  };

  describe('sign-in', () => {
    it('10 wrong HQ passwords from 10 addresses do not refuse the right one from a fresh address', async () => {
      for (let i = 0; i < 10; i++) expect((await signIn('admin', 'hq', `wrong-guess-${i}`, `203.0.113.${i}`)).status).toBe(401);
      const right = await signIn('admin', 'hq', 'hq-demo-pass', '198.51.100.7');
      expect(right.status).toBe(200);
      expect(right.body.token).toEqual(expect.any(String));
    });

    it('the address that failed 5 times in a row is refused (429, even the right password); others are not', async () => {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await signIn('staff', 'sh01-manager', 'wrong-password', '203.0.113.50')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      expectLimited(await signIn('staff', 'sh01-manager', 'wrong-password', '203.0.113.50'));
      expectLimited(await signIn('staff', 'sh01-manager', 'staff-demo-pass', '203.0.113.50'));
      expect((await signIn('staff', 'sh01-manager', 'staff-demo-pass', '203.0.113.51')).status).toBe(200);
      // The blocked address may still sign in to another account: the count is per (account, address).
      expect((await signIn('staff', 'bj01-clerk', 'staff-demo-pass', '203.0.113.50')).status).toBe(200);
    });

    it('only failures count: a success clears the address’s failures for that account', async () => {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 4; i++) expect((await signIn('staff', 'sh01-clerk', 'wrong-password', '203.0.113.60')).status).toBe(401);
        expect((await signIn('staff', 'sh01-clerk', 'staff-demo-pass', '203.0.113.60')).status).toBe(200);
      }
    });

    it('parallel guesses from one address cannot slip past the limit', async () => {
      const answers = await Promise.all(Array.from({ length: 12 }, () => signIn('staff', 'sh01-clerk', 'wrong-password', '203.0.113.70')));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    });

    it('one address gets 30 failures over all accounts, then 429', async () => {
      const statuses = [];
      for (let i = 0; i < 30; i++) statuses.push((await signIn('staff', `nobody-${i}`, 'wrong-password', '203.0.113.80')).status);
      expect(statuses.every((s) => s === 401)).toBe(true);
      expectLimited(await signIn('staff', 'nobody-new', 'wrong-password', '203.0.113.80'));
      expectLimited(await signIn('staff', 'sh01-clerk', 'staff-demo-pass', '203.0.113.80'));
    }, 30_000);

    it('a storm on one account shows once in HQ’s audit log; failed addresses get no second try, the owner still signs in', async () => {
      const storm = Array.from({ length: 24 }, (_, i) => `192.0.2.${i + 1}`);
      for (const address of storm) expect((await signIn('staff', 'bj01-clerk', 'wrong-password', address)).status).toBe(401);
      // Past 20 failures in the hour: an address that failed before is refused its next try, right password or not…
      expectLimited(await signIn('staff', 'bj01-clerk', 'staff-demo-pass', storm[0]!));
      // …while an address that has not failed signs in.
      expect((await signIn('staff', 'bj01-clerk', 'staff-demo-pass', '198.51.100.20')).status).toBe(200);
      const alerts = await auditOf('security.login_failures');
      const clerkId = (await app.services.models.staff.findOne({ username: 'bj01-clerk' }).lean())!._id.toString();
      expect(alerts).toEqual([
        expect.objectContaining({ action: 'security.login_failures', targetType: 'staff', targetId: clerkId, actorId: clerkId, storeId: 'BJ01', after: { username: 'bj01-clerk', failures: 21, windowMinutes: 60, lastAddress: storm[20] } }),
      ]);
      // HQ's 10 failures above stayed under the alert threshold.
      // The console's 安全提醒 filter asks for the whole family of security actions, and gets nothing else.
      const family = await auditOf('security.*');
      expect(family.map((entry) => entry.action)).toEqual(['security.login_failures']);
      expect(await auditOf('security')).toEqual([]);
    }, 30_000);

    it('X-Forwarded-For counts only its last entry: a client prepending addresses is still one address', async () => {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await signIn('admin', 'hq', 'wrong-password', `${randomAddress()}, 203.0.113.90`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    });
  });

  describe('code look-ups', () => {
    const guess = (cardNo: string) => `M${cardNo}${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;

    it('a clerk gets 60 invalid codes per window over scan, purchases, redemptions and check-ins; then 429 while another store is unaffected', async () => {
      const clerk = await staffToken(app.api, 'sh01-clerk');
      const { token, member } = await joinedMember(app.api, 'scan-victim');
      const invalid: Array<() => Promise<ApiResponse>> = [
        () => app.api.post('/staff/scan', { code: guess(member.cardNo) }, clerk),
        () => app.api.post('/staff/purchases', { memberCode: guess(member.cardNo), orderNo: `LIM-${randomBytes(6).toString('hex')}`, amountFen: 1000 }, clerk),
        () => app.api.post('/staff/redemptions', { code: `C${randomBytes(12).toString('hex')}12345678` }, clerk),
        () => app.api.post('/staff/checkins', { code: `S${randomBytes(12).toString('hex')}12345678` }, clerk),
      ];
      for (let i = 0; i < 60; i++) {
        const res = await invalid[i % 4]!();
        expect([res.status, res.body.error?.code]).toEqual([400, 'CODE_INVALID']);
      }
      const code = (await app.api.get('/me/member-code', token)).body.code as string;
      // Over the limit the clerk is refused every look-up, a valid code included (an answer would tell a hit).
      for (const attempt of [...invalid, () => app.api.post('/staff/scan', { code }, clerk)]) expectLimited(await attempt());

      const bj = await staffToken(app.api, 'bj01-clerk');
      expect((await app.api.post('/staff/scan', { code }, bj)).status).toBe(200);
      expect((await app.api.post('/staff/scan', { code: guess(member.cardNo) }, bj)).body.error.code).toBe('CODE_INVALID');

      const alerts = await auditOf('security.scan_failures');
      const clerkId = (await app.services.models.staff.findOne({ username: 'sh01-clerk' }).lean())!._id.toString();
      expect(alerts).toEqual([expect.objectContaining({ actorId: clerkId, storeId: 'SH01', targetType: 'staff', targetId: clerkId, after: { failures: 60, windowMinutes: 10 } })]);
    }, 60_000);

    it('a busy till scanning real codes is never limited; parallel guesses cannot slip past the limit', async () => {
      const manager = await staffToken(app.api, 'sh01-manager');
      const { token, member } = await joinedMember(app.api, 'busy-till');
      const code = (await app.api.get('/me/member-code', token)).body.code as string;
      for (let i = 0; i < 100; i++) expect((await app.api.post('/staff/scan', { code }, manager)).status).toBe(200);
      const guesses = await Promise.all(Array.from({ length: 80 }, () => app.api.post('/staff/scan', { code: guess(member.cardNo) }, manager)));
      expect(guesses.filter((g) => g.status === 400)).toHaveLength(60);
      expect(guesses.filter((g) => g.status === 429)).toHaveLength(20);
    }, 60_000);

    it('a store gets 300 invalid codes per window over all its clerks', async () => {
      const storeId = 'GZ01';
      const admin = await adminToken(app.api);
      expect((await app.api.post('/admin/stores', { id: storeId, name: '广州天河店', city: '广州' }, admin)).status).toBe(201);
      // Six clerks of one store, made as the demo seed makes its accounts.
      const passwordHash = await hashPassword('gz01-clerk-pass');
      const tokens: string[] = [];
      for (let i = 0; i < 6; i++) {
        await app.services.models.staff.create({ username: `gz01-clerk-${i}`, name: `天河店员${i}`, role: 'clerk', storeId, passwordHash, active: true, createdAt: new Date() });
        tokens.push(await staffToken(app.api, `gz01-clerk-${i}`, 'gz01-clerk-pass'));
      }
      const { member } = await joinedMember(app.api, 'store-victim');
      const statuses: number[] = [];
      for (let i = 0; i < 5 * 60; i++) statuses.push((await app.api.post('/staff/scan', { code: guess(member.cardNo) }, tokens[i % 5]!)).status);
      expect(statuses.every((s) => s === 400)).toBe(true);
      // The sixth clerk has not failed once, but the store is over its limit.
      expectLimited(await app.api.post('/staff/scan', { code: guess(member.cardNo) }, tokens[5]!));
      const alerts = await auditOf('security.scan_failures');
      expect(alerts.filter((a) => a.targetType === 'store')).toEqual([expect.objectContaining({ storeId, targetId: storeId, after: { failures: 300, windowMinutes: 10 } })]);
    }, 90_000);
  });
});

describe('with no trusted proxy (TRUST_PROXY_HOPS=0), X-Forwarded-For is ignored', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ trustProxyHops: 0 });
  }, 30_000);
  afterAll(async () => {
    await app.stop();
  });

  it('sign-in failures under random X-Forwarded-For headers still count against the one real address', async () => {
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await app.api.post('/auth/staff', { username: `nobody-${i}`, password: 'x-wrong' }, undefined, from(randomAddress()))).status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    expectLimited(await app.api.post('/auth/staff', { username: 'nobody-else', password: 'x-wrong' }, undefined, from(randomAddress())));
  }, 30_000);

  it('redemption-code claims under random X-Forwarded-For headers still meet the per-address limit', async () => {
    const members = await Promise.all(Array.from({ length: 7 }, (_, i) => joinedMember(app.api, `spoofer-${i}`)));
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const res = await app.api.post('/me/redemption-codes/claim', { code: makeRedemptionCode(randomBytes(7)) }, members[Math.floor(i / 9)]!.token, from(randomAddress()));
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 60).every((s) => s === 404)).toBe(true);
    expect(statuses[60]).toBe(429);
  }, 30_000);
});
