import { base32Decode, generateCode } from '@membercard/shared';
import { Types } from 'mongoose';
import { JOBS } from '../src/jobs/registry';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

let app: TestApp;
let admin: string;
let clerk: string;
let manager: string;
let bjClerk: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
  manager = await staffToken(app.api, 'sh01-manager');
  bjClerk = await staffToken(app.api, 'bj01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const cash = { title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 1000, perMemberLimit: 5 };

async function createTemplate(overrides: Record<string, unknown> = {}) {
  const res = await app.api.post('/admin/coupon-templates', { ...cash, ...overrides }, admin);
  expect(res.status).toBe(201);
  return res.body as { id: string; issuedCount: number; status: string };
}

let grantSeq = 0;
function grant(templateId: string, memberId: string, key = `grant-${++grantSeq}`) {
  return app.api.post(`/admin/coupon-templates/${templateId}/grants`, { memberId }, admin, { 'Idempotency-Key': key });
}

async function grantedCoupon(templateId: string, memberId: string): Promise<string> {
  const res = await grant(templateId, memberId);
  expect(res.status).toBe(201);
  return res.body.id;
}

async function couponCode(token: string, couponId: string): Promise<string> {
  const res = await app.api.get(`/me/coupons/${couponId}/code`, token);
  expect(res.status).toBe(200);
  return res.body.code;
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

describe('coupon templates', () => {
  it('HQ creates, reads, lists by cursor, edits while unissued and archives; each write is audited', async () => {
    const created = await createTemplate({ title: 'T-crud' });
    expect(created).toMatchObject({ title: 'T-crud', type: 'cash', issuedCount: 0, status: 'active', minSpendFen: 10_000 });

    expect((await app.api.get(`/admin/coupon-templates/${created.id}`, admin)).body.title).toBe('T-crud');
    const edited = await app.api.patch(`/admin/coupon-templates/${created.id}`, { ...cash, title: 'T-crud-2', amountOffFen: 3_000 }, admin);
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ title: 'T-crud-2', amountOffFen: 3_000 });

    await createTemplate({ title: 'T-page-a' });
    await createTemplate({ title: 'T-page-b' });
    const first = await app.api.get('/admin/coupon-templates?limit=2', admin);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await app.api.get(`/admin/coupon-templates?limit=2&cursor=${first.body.nextCursor}`, admin);
    const ids = [...first.body.items, ...second.body.items].map((t: { id: string }) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(created.id);

    const archived = await app.api.post(`/admin/coupon-templates/${created.id}/archive`, {}, admin);
    expect(archived.body.status).toBe('archived');
    expect((await app.api.get('/admin/coupon-templates?status=archived', admin)).body.items.map((t: { id: string }) => t.id)).toEqual([created.id]);

    const audit = await app.api.get(`/admin/audit-log?targetType=coupon_template&targetId=${created.id}`, admin);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
      'coupon_template.archive',
      'coupon_template.create',
      'coupon_template.update',
    ]);
  });

  it('refuses bad terms (400), other roles (403), edits after issue (409) and issuing from an archived template (422)', async () => {
    expectError(await app.api.post('/admin/coupon-templates', { ...cash, amountOffFen: undefined }, admin), 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/admin/coupon-templates', cash, clerk), 403, 'FORBIDDEN');
    expectError(await app.api.get('/admin/coupon-templates/0123456789abcdef01234567', admin), 404, 'NOT_FOUND');

    const { member } = await joinedMember(app.api, 'tmpl-holder');
    const template = await createTemplate({ title: 'T-issued' });
    await grantedCoupon(template.id, member.id);
    expectError(await app.api.patch(`/admin/coupon-templates/${template.id}`, { ...cash, title: 'changed' }, admin), 409, 'CONFLICT');
    expect((await app.api.get(`/admin/coupon-templates/${template.id}`, admin)).body).toMatchObject({ title: 'T-issued', issuedCount: 1 });

    await app.api.post(`/admin/coupon-templates/${template.id}/archive`, {}, admin);
    expectError(await grant(template.id, member.id), 422, 'TEMPLATE_ARCHIVED');
  });
});

describe('issuing', () => {
  it('200 parallel issues of a template with quantity 50 give exactly 50 coupons', async () => {
    const members = await Promise.all(Array.from({ length: 10 }, (_, i) => joinedMember(app.api, `quantity-${i}`)));
    const template = await createTemplate({ title: 'T-50', totalQuantity: 50, perMemberLimit: 50 });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => grant(template.id, members[i % 10]!.member.id)));
    const statuses = answers.map((res) => (res.status === 201 ? 201 : `${res.status} ${res.body.error.code}`));
    expect(statuses.filter((s) => s === 201)).toHaveLength(50);
    expect(statuses.filter((s) => s !== 201)).toEqual(Array(150).fill('422 TEMPLATE_EXHAUSTED'));
    expect(await app.services.models.coupons.countDocuments({ templateId: template.id })).toBe(50);
    const stored = await app.services.models.couponTemplates.findById(template.id).lean();
    expect({ issuedCount: stored.issuedCount, remaining: stored.remaining }).toEqual({ issuedCount: 50, remaining: 0 });
  }, 60_000);

  it('parallel issues to one member stop at the per-member limit', async () => {
    const { member } = await joinedMember(app.api, 'limit-holder');
    const template = await createTemplate({ title: 'T-limit', totalQuantity: 100, perMemberLimit: 2 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => grant(template.id, member.id)));
    expect(answers.filter((res) => res.status === 201)).toHaveLength(2);
    for (const res of answers.filter((r) => r.status !== 201)) expectError(res, 422, 'COUPON_LIMIT_REACHED');
    expect(await app.services.models.coupons.countDocuments({ templateId: template.id, memberId: member.id })).toBe(2);
    expect((await app.api.get(`/admin/coupon-templates/${template.id}`, admin)).body.issuedCount).toBe(2);
  }, 30_000);

  it('the same grant key, or the same campaign ref through the issuer, never issues twice', async () => {
    const { member } = await joinedMember(app.api, 'same-key');
    const template = await createTemplate({ title: 'T-key' });
    const [a, b] = await Promise.all([grant(template.id, member.id, 'one-key'), grant(template.id, member.id, 'one-key')]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).toBe(b.body.id);

    const results = await Promise.all(
      Array.from({ length: 8 }, () => app.services.issuer.issue({ templateId: template.id, memberId: member.id, channel: 'campaign', channelRef: 'campaign-1' })),
    );
    expect(new Set(results.map((r) => String(r.coupon._id))).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await app.services.models.coupons.countDocuments({ templateId: template.id })).toBe(2);
    expect((await app.api.get(`/admin/coupon-templates/${template.id}`, admin)).body.issuedCount).toBe(2);
  }, 30_000);

  it('a grant to an unknown member or template is 404', async () => {
    const template = await createTemplate({ title: 'T-404' });
    expectError(await grant(template.id, new Types.ObjectId().toHexString()), 404, 'NOT_FOUND');
    const { member } = await joinedMember(app.api, 'grant-404');
    expectError(await grant(new Types.ObjectId().toHexString(), member.id), 404, 'NOT_FOUND');
    expectError(await app.api.post(`/admin/coupon-templates/${template.id}/grants`, { memberId: member.id }, admin), 400, 'VALIDATION_FAILED');
  });
});

describe('the wallet', () => {
  it('lists available coupons with their terms, counts them on the card, and shows a code only to the owner', async () => {
    const alice = await joinedMember(app.api, 'wallet-alice');
    const bob = await joinedMember(app.api, 'wallet-bob', 'BJ01');
    const template = await createTemplate({ title: 'T-wallet', storeIds: ['SH01'] });
    const couponId = await grantedCoupon(template.id, alice.member.id);

    const wallet = await app.api.get('/me/coupons?status=available', alice.token);
    expect(wallet.body.items).toEqual([
      expect.objectContaining({ id: couponId, templateId: template.id, title: 'T-wallet', type: 'cash', status: 'issued', minSpendFen: 10_000, amountOffFen: 2_000, storeIds: ['SH01'] }),
    ]);
    expect((await app.api.get('/me/coupons?status=used', alice.token)).body.items).toEqual([]);
    expect((await app.api.get('/me', alice.token)).body.couponsAvailable).toBe(1);

    const code = await app.api.get(`/me/coupons/${couponId}/code`, alice.token);
    expect(code.body.code).toMatch(new RegExp(`^C${couponId}\\d{8}$`));
    expect(Date.parse(code.body.expiresAt)).toBeGreaterThan(Date.now());
    expectError(await app.api.get(`/me/coupons/${couponId}/code`, bob.token), 404, 'NOT_FOUND');
    expect((await app.api.get('/me/coupons', bob.token)).body.items).toEqual([]);

    // HQ sees anyone's; a manager only members of their store.
    expect((await app.api.get(`/admin/members/${alice.member.id}/coupons`, admin)).body.items).toHaveLength(1);
    expect((await app.api.get(`/admin/members/${alice.member.id}/coupons`, manager)).body.items).toHaveLength(1);
    expectError(await app.api.get(`/admin/members/${bob.member.id}/coupons`, manager), 404, 'NOT_FOUND');
    expectError(await app.api.get(`/admin/members/${alice.member.id}/coupons`, clerk), 403, 'FORBIDDEN');
  });
});

describe('redemption at the counter', () => {
  it('redeems once with store, staff, order and amount recorded; the scan shows the coupon', async () => {
    const { token, member } = await joinedMember(app.api, 'redeemer');
    const template = await createTemplate({ title: 'T-redeem' });
    const couponId = await grantedCoupon(template.id, member.id);
    const code = await couponCode(token, couponId);

    const scan = await app.api.post('/staff/scan', { code }, clerk);
    expect(scan.body).toMatchObject({ type: 'coupon', member: { id: member.id }, coupon: { id: couponId, status: 'issued' } });

    const res = await app.api.post('/staff/redemptions', { code, orderNo: 'SO-1001', orderAmountFen: 15_000 }, clerk);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ couponId, storeId: 'SH01', orderNo: 'SO-1001', orderAmountFen: 15_000, status: 'redeemed' });
    const stored = await app.services.models.redemptions.findById(res.body.id).lean();
    expect(stored).toMatchObject({ channel: 'grant', savingFen: 2_000, templateId: new Types.ObjectId(template.id) });

    // The same order number from the same store is the same request: the first answer again.
    const repeat = await app.api.post('/staff/redemptions', { code, orderNo: 'SO-1001', orderAmountFen: 15_000 }, clerk);
    expect({ status: repeat.status, id: repeat.body.id }).toEqual({ status: 201, id: res.body.id });
    expectError(await app.api.post('/staff/redemptions', { code, orderNo: 'SO-1002', orderAmountFen: 15_000 }, clerk), 409, 'COUPON_ALREADY_USED');

    expect((await app.api.get('/me/coupons?status=used', token)).body.items.map((c: { id: string }) => c.id)).toEqual([couponId]);
    expect((await app.api.get('/me', token)).body.couponsAvailable).toBe(0);
  });

  it('30 parallel redemptions of one coupon by five clerks give one 201 and 29 COUPON_ALREADY_USED', async () => {
    const clerks = [clerk];
    for (let i = 1; i < 5; i++) {
      const created = await app.api.post('/admin/staff', { username: `sh01-clerk-${i}`, name: `店员${i}`, role: 'clerk', storeId: 'SH01', password: 'clerk-pass-123456' }, admin);
      expect(created.status).toBe(201);
      // An account HQ made chooses its own password at first sign-in; the answer is its working token.
      const first = await staffToken(app.api, `sh01-clerk-${i}`, 'clerk-pass-123456');
      const changed = await app.api.post('/auth/password', { currentPassword: 'clerk-pass-123456', newPassword: `own-pass-${i}-Zk42` }, first);
      expect(changed.status).toBe(200);
      clerks.push(changed.body.token);
    }
    const { token, member } = await joinedMember(app.api, 'race-redeem');
    const template = await createTemplate({ title: 'T-race' });
    const couponId = await grantedCoupon(template.id, member.id);
    const code = await couponCode(token, couponId);

    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => app.api.post('/staff/redemptions', { code, orderNo: `RACE-${i}`, orderAmountFen: 20_000 }, clerks[i % 5])),
    );
    expect(answers.filter((res) => res.status === 201)).toHaveLength(1);
    const refused = answers.filter((res) => res.status !== 201);
    expect(refused.map((res) => `${res.status} ${res.body.error.code}`)).toEqual(Array(29).fill('409 COUPON_ALREADY_USED'));
    expect(await app.services.models.redemptions.countDocuments({ couponId })).toBe(1);
  }, 30_000);

  it('refuses altered, expired and other members’ codes (400), and wrong store, tier, spend and validity (422)', async () => {
    const alice = await joinedMember(app.api, 'refusal-alice');
    const bob = await joinedMember(app.api, 'refusal-bob');
    const template = await createTemplate({ title: 'T-refuse', storeIds: ['SH01'] });
    const couponId = await grantedCoupon(template.id, alice.member.id);
    const code = await couponCode(alice.token, couponId);

    const altered = code.slice(0, -1) + String((Number(code.slice(-1)) + 1) % 10);
    expectError(await app.api.post('/staff/redemptions', { code: altered, orderAmountFen: 20_000 }, clerk), 400, 'CODE_INVALID');
    // Bob signs Alice's coupon id with his own key (what a tampered app would do).
    const bobKey = (await app.api.get('/me/code-key', bob.token)).body.secret;
    const forged = generateCode({ kind: 'coupon', subject: couponId, secret: base32Decode(bobKey), now: app.clock.now() }).code;
    expectError(await app.api.post('/staff/redemptions', { code: forged, orderAmountFen: 20_000 }, clerk), 400, 'CODE_INVALID');
    // A member code is not a coupon code.
    const memberCode = (await app.api.get('/me/member-code', alice.token)).body.code;
    expectError(await app.api.post('/staff/redemptions', { code: memberCode, orderAmountFen: 20_000 }, clerk), 400, 'CODE_INVALID');

    expectError(await app.api.post('/staff/redemptions', { code, orderAmountFen: 20_000 }, bjClerk), 422, 'WRONG_STORE');
    expectError(await app.api.post('/staff/redemptions', { code, orderAmountFen: 9_999 }, clerk), 422, 'MIN_SPEND_NOT_MET');
    expectError(await app.api.post('/staff/redemptions', { code }, clerk), 422, 'MIN_SPEND_NOT_MET');
    expectError(await app.api.post('/staff/redemptions', { code, orderAmountFen: -5 }, clerk), 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/staff/redemptions', { code, orderAmountFen: 20_000 }, alice.token), 403, 'FORBIDDEN');

    const goldOnly = await createTemplate({ title: 'T-gold', tiers: ['gold'] });
    const goldCoupon = await grantedCoupon(goldOnly.id, alice.member.id);
    expectError(await app.api.post('/staff/redemptions', { code: await couponCode(alice.token, goldCoupon), orderAmountFen: 20_000 }, clerk), 422, 'COUPON_NOT_APPLICABLE');

    // A coupon whose fixed window ends in two minutes: five minutes later it is expired, and a shown code has lapsed.
    const now = app.clock.now();
    const brief = await createTemplate({ title: 'T-brief', validDays: undefined, validFrom: new Date(now.getTime() - 3600_000).toISOString(), validUntil: new Date(now.getTime() + 120_000).toISOString() });
    const briefCoupon = await grantedCoupon(brief.id, alice.member.id);
    const staleCode = await couponCode(alice.token, briefCoupon);
    app.clock.advance(5 * 60_000);
    try {
      expectError(await app.api.post('/staff/redemptions', { code: staleCode, orderAmountFen: 20_000 }, clerk), 400, 'CODE_INVALID');
      const fresh = generateCode({ kind: 'coupon', subject: briefCoupon, secret: base32Decode((await app.api.get('/me/code-key', alice.token)).body.secret), now: app.clock.now() }).code;
      expectError(await app.api.post('/staff/redemptions', { code: fresh, orderAmountFen: 20_000 }, clerk), 422, 'COUPON_EXPIRED');
      expectError(await app.api.get(`/me/coupons/${briefCoupon}/code`, alice.token), 422, 'COUPON_EXPIRED');
      expect((await app.api.get('/me/coupons?status=expired', alice.token)).body.items.map((c: { id: string }) => c.id)).toEqual([briefCoupon]);
    } finally {
      app.clock.advance(-5 * 60_000);
    }
  });

  it('a manager of the store reverses within 24 h and the coupon is usable again; a clerk gets 403; later 422', async () => {
    const { token, member } = await joinedMember(app.api, 'reversal');
    const template = await createTemplate({ title: 'T-reverse' });
    const couponId = await grantedCoupon(template.id, member.id);
    const redeemed = await app.api.post('/staff/redemptions', { code: await couponCode(token, couponId), orderAmountFen: 12_000 }, clerk);
    expect(redeemed.status).toBe(201);

    expectError(await app.api.post(`/staff/redemptions/${redeemed.body.id}/reversal`, { reason: 'wrong item' }, clerk), 403, 'FORBIDDEN');
    expectError(await app.api.post(`/staff/redemptions/${redeemed.body.id}/reversal`, {}, manager), 400, 'VALIDATION_FAILED');
    const reversals = await Promise.all([1, 2, 3].map(() => app.api.post(`/staff/redemptions/${redeemed.body.id}/reversal`, { reason: 'wrong item' }, manager)));
    for (const res of reversals) expect(res.body).toMatchObject({ id: redeemed.body.id, status: 'reversed' });
    expect((await app.api.get('/me/coupons?status=available', token)).body.items.map((c: { id: string }) => c.id)).toEqual([couponId]);
    const audit = await app.api.get(`/admin/audit-log?action=redemption.reverse`, admin);
    expect(audit.body.items.filter((e: { targetId: string }) => e.targetId === redeemed.body.id)).toHaveLength(1);

    const again = await app.api.post('/staff/redemptions', { code: await couponCode(token, couponId), orderAmountFen: 12_000 }, clerk);
    expect(again.status).toBe(201);
    expect(await app.services.models.redemptions.countDocuments({ couponId, status: 'redeemed' })).toBe(1);

    app.clock.advance(25 * 3600_000);
    try {
      const lateManager = await staffToken(app.api, 'sh01-manager');
      expectError(await app.api.post(`/staff/redemptions/${again.body.id}/reversal`, { reason: 'too late' }, lateManager), 422, 'REVERSAL_WINDOW_CLOSED');
    } finally {
      app.clock.advance(-25 * 3600_000);
    }
  });
});

describe('coupon expiry job', () => {
  it('expires issued coupons past validUntil, and running again changes nothing', async () => {
    const { member } = await joinedMember(app.api, 'expiry');
    const template = await createTemplate({ title: 'T-expiry', validDays: 1 });
    const couponId = await grantedCoupon(template.id, member.id);
    const job = JOBS.find((j) => j.name === 'coupon-expiry')!;
    expect(job).toBeDefined();
    app.clock.advance(2 * 24 * 3600_000);
    try {
      expect((await job.run(app.services)).processed).toBeGreaterThanOrEqual(1);
      expect(await app.services.models.coupons.findById(couponId).lean()).toMatchObject({ status: 'expired' });
      expect((await job.run(app.services)).processed).toBe(0);
    } finally {
      app.clock.advance(-2 * 24 * 3600_000);
    }
  });
});
