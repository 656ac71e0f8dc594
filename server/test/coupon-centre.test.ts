import { adminToken, joinedMember, signInShopper, startTestApp, type TestApp } from './support/harness';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

async function template(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await app.api.post(
    '/admin/coupon-templates',
    { title: '领券中心满50减10', type: 'cash', minSpendFen: 5_000, amountOffFen: 1_000, validDays: 7, totalQuantity: 100, perMemberLimit: 1, inCouponCentre: true, ...overrides },
    admin,
  );
  expect(res.status).toBe(201);
  return res.body.id;
}

function claim(token: string, templateId: string, key: string) {
  return app.api.post(`/coupon-centre/${templateId}/claim`, undefined, token, { 'Idempotency-Key': key });
}

async function couponsOf(templateId: string, memberId?: string) {
  return app.services.models.coupons.countDocuments({ templateId, ...(memberId ? { memberId } : {}) });
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

describe('the coupon centre', () => {
  it('lists only centre templates, with stock left and the caller’s allowance', async () => {
    const listedId = await template({ totalQuantity: 5, perMemberLimit: 2 });
    const hidden = await template({ inCouponCentre: false });
    const { token } = await joinedMember(app.api, 'centre-browser');
    const before = await app.api.get('/coupon-centre', token);
    expect(before.status).toBe(200);
    const ids = before.body.items.map((t: { id: string }) => t.id);
    expect(ids).toContain(listedId);
    expect(ids).not.toContain(hidden);
    expect(before.body.items.find((t: { id: string }) => t.id === listedId)).toMatchObject({ inCouponCentre: true, remaining: 5, claimedByMe: 0, myAllowance: 2 });

    expect((await claim(token, listedId, 'browse-1')).status).toBe(201);
    const after = await app.api.get('/coupon-centre', token);
    expect(after.body.items.find((t: { id: string }) => t.id === listedId)).toMatchObject({ remaining: 4, claimedByMe: 1, myAllowance: 1 });
    // The template editor shows the flag too.
    expect((await app.api.get(`/admin/coupon-templates/${listedId}`, admin)).body.inCouponCentre).toBe(true);
  });

  it('claims one coupon into the wallet; parallel retries and parallel taps by one member give one coupon', async () => {
    const templateId = await template();
    const { token, member } = await joinedMember(app.api, 'centre-claimer');
    const retries = await Promise.all(Array.from({ length: 8 }, () => claim(token, templateId, 'tap-1')));
    for (const res of retries) expect(res.status).toBe(201);
    expect(new Set(retries.map((r) => r.body.coupon.id)).size).toBe(1);
    expect(retries[0]!.body.coupon).toMatchObject({ templateId, status: 'issued', title: '领券中心满50减10' });

    // Different keys (separate taps): the per-member limit of 1 holds.
    const taps = await Promise.all(Array.from({ length: 6 }, (_, i) => claim(token, templateId, `tap-other-${i}`)));
    for (const res of taps) expectError(res, 422, 'COUPON_LIMIT_REACHED');
    expect(await couponsOf(templateId, member.id)).toBe(1);
    const wallet = await app.api.get('/me/coupons?status=available', token);
    expect(wallet.body.items.map((c: { id: string }) => c.id)).toContain(retries[0]!.body.coupon.id);
    const stored = await app.services.models.couponTemplates.findById(templateId).lean();
    expect(stored).toMatchObject({ issuedCount: 1, remaining: 99 });
  });

  it('50 members claiming a 10-unit template at once get exactly 10 coupons; the rest are told it is sold out', async () => {
    const templateId = await template({ totalQuantity: 10 });
    const members = await Promise.all(Array.from({ length: 50 }, (_, i) => joinedMember(app.api, `centre-drop-${i}`)));
    const answers = await Promise.all(members.map(({ token }, i) => claim(token, templateId, `drop-${i}`)));
    const won = answers.filter((r) => r.status === 201);
    expect(won).toHaveLength(10);
    for (const res of answers.filter((r) => r.status !== 201)) expectError(res, 422, 'TEMPLATE_EXHAUSTED');
    expect(await couponsOf(templateId)).toBe(10);
    expect(await app.services.models.couponTemplates.findById(templateId).lean()).toMatchObject({ issuedCount: 10, remaining: 0 });
    // Sold out: gone from the centre.
    const list = await app.api.get('/coupon-centre', members[0]!.token);
    expect(list.body.items.map((t: { id: string }) => t.id)).not.toContain(templateId);
  }, 60_000);

  it('refuses a guest’s claim, a template not in the centre, and a claim without a key', async () => {
    const templateId = await template();
    const guest = await signInShopper(app.api, 'centre-guest');
    expect(guest.status).toBe(200);
    // A shopper who has not joined may look, not claim.
    expect((await app.api.get('/coupon-centre', guest.body.token)).status).toBe(200);
    expectError(await claim(guest.body.token, templateId, 'guest-1'), 403, 'NOT_A_MEMBER');
    expect((await app.api.get('/coupon-centre')).status).toBe(401);
    const { token } = await joinedMember(app.api, 'centre-prober');
    expectError(await claim(token, await template({ inCouponCentre: false }), 'probe-1'), 404, 'NOT_FOUND');
    expect((await app.api.post(`/coupon-centre/${templateId}/claim`, undefined, token)).status).toBe(400);
    expect(await couponsOf(templateId)).toBe(0);
  });

  it('the join page shows the welcome rule’s coupon as the gift pack, and joining gives it', async () => {
    expect((await app.api.get('/join-gift')).body).toEqual({ coupons: [], points: 0 });
    const templateId = await template({ title: '入会礼10元券', inCouponCentre: false });
    expect((await app.api.patch('/admin/automation-rules/welcome', { enabled: true, templateId }, admin)).status).toBe(200);
    const gift = await app.api.get('/join-gift');
    expect(gift.status).toBe(200);
    expect(gift.body.coupons).toEqual([expect.objectContaining({ id: templateId, title: '入会礼10元券', amountOffFen: 1_000, minSpendFen: 5_000, validDays: 7 })]);
    const { member } = await joinedMember(app.api, 'centre-newcomer');
    expect(await couponsOf(templateId, member.id)).toBe(1);
    await app.api.patch('/admin/automation-rules/welcome', { enabled: false }, admin);
    expect((await app.api.get('/join-gift')).body).toEqual({ coupons: [], points: 0 });
  });
});
