import { Types } from 'mongoose';
import { adminToken, joinedMember, startTestApp, type TestApp } from './support/harness';

// Code batches as HQ runs them: a name and a purpose instead of an id, and a void that stops every unclaimed
// code at once, consistent with claims racing it.

let app: TestApp;
let admin: string;
let templateId: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  const template = await app.api.post(
    '/admin/coupon-templates',
    { title: '作废测试券', type: 'cash', amountOffFen: 500, noMinSpendConfirmed: true, validDays: 30, totalQuantity: 1000, perMemberLimit: 1 },
    admin,
  );
  templateId = template.body.id;
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const inAMonth = () => new Date(app.clock.now().getTime() + 30 * 24 * 3600_000).toISOString();

async function batch(body: Record<string, unknown>): Promise<{ id: string; codes: string[] }> {
  const created = await app.api.post('/admin/redemption-code-batches', { templateId, expiresAt: inAMonth(), ...body }, admin);
  expect(created.status).toBe(201);
  const csv = await app.api.get(`/admin/redemption-code-batches/${created.body.id}/codes.csv`, admin);
  return { id: created.body.id, codes: csv.text.trim().split('\n').slice(1) };
}

function claim(token: string, code: string, ip = '10.1.0.1') {
  return app.api.post('/me/redemption-codes/claim', { code }, token, { 'X-Forwarded-For': ip });
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

/** An HQ account of `role`, signed in with a password of its own (as the console makes them). */
async function hqToken(role: 'marketing' | 'viewer'): Promise<string> {
  const username = `hq-${role}-${new Types.ObjectId().toHexString().slice(-6)}`;
  const first = 'Temp-3f9a1c-Xq7';
  const created = await app.api.post('/admin/staff', { username, name: username, role: 'hq', hqRole: role, password: first }, admin);
  expect(created.status).toBe(201);
  const signIn = await app.api.post('/auth/admin', { username, password: first });
  const changed = await app.api.post('/auth/password', { currentPassword: first, newPassword: 'Own-7b2e4d-Kp4z' }, signIn.body.token);
  expect(changed.status).toBe(200);
  return changed.body.token;
}

describe('code batches: name, purpose and void', () => {
  it('a batch carries its name and purpose; one made without a name is called by its China date', async () => {
    const named = await batch({ count: 3, name: '春节礼盒兑换码', purpose: '印在春节礼盒内卡上' });
    const unnamed = await batch({ count: 2 });
    const list = await app.api.get('/admin/redemption-code-batches', admin);
    const byId = new Map(list.body.items.map((b: { id: string }) => [b.id, b]));
    expect(byId.get(named.id)).toMatchObject({ name: '春节礼盒兑换码', purpose: '印在春节礼盒内卡上', status: 'ready' });
    expect(byId.get(unnamed.id)).toMatchObject({ name: expect.stringMatching(/^兑换码 \d{4}-\d{2}-\d{2}$/) });
    expectError(await app.api.post('/admin/redemption-code-batches', { templateId, count: 1, expiresAt: inAMonth(), name: '' }, admin), 400, 'VALIDATION_FAILED');
  });

  it('HQ voids a batch with a reason: its unclaimed codes answer CODE_VOIDED, claimed ones stay claimed; audited; twice is 409', async () => {
    const { id, codes } = await batch({ count: 3, name: '门店海报码' });
    const first = await joinedMember(app.api, 'void-first');
    expect((await claim(first.token, codes[0]!)).status).toBe(200);

    expectError(await app.api.post(`/admin/redemption-code-batches/${id}/void`, {}, admin), 400, 'VALIDATION_FAILED');
    const voided = await app.api.post(`/admin/redemption-code-batches/${id}/void`, { reason: '海报印错了门店地址' }, admin);
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({ id, status: 'voided', claimedCount: 1, voidReason: '海报印错了门店地址', voidedAt: expect.any(String) });

    const second = await joinedMember(app.api, 'void-second');
    expectError(await claim(second.token, codes[1]!), 422, 'CODE_VOIDED');
    expectError(await claim(first.token, codes[0]!), 409, 'CODE_ALREADY_USED');
    expect(await app.services.models.coupons.countDocuments({ memberId: new Types.ObjectId(second.member.id) })).toBe(0);
    expectError(await app.api.post(`/admin/redemption-code-batches/${id}/void`, { reason: '再来一次' }, admin), 409, 'CONFLICT');

    const audit = await app.api.get('/admin/audit-log?action=redemption_code_batch.void', admin);
    const entry = audit.body.items.find((e: { targetId: string }) => e.targetId === id);
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry)).toContain('海报印错了门店地址');
  });

  it('only HQ marketing or admin may void; a viewer is refused and nothing changes', async () => {
    const { id } = await batch({ count: 1, name: '只读测试' });
    const viewer = await hqToken('viewer');
    expectError(await app.api.post(`/admin/redemption-code-batches/${id}/void`, { reason: '不该成功' }, viewer), 403, 'FORBIDDEN');
    const member = await joinedMember(app.api, 'void-member-try');
    expectError(await app.api.post(`/admin/redemption-code-batches/${id}/void`, { reason: '不该成功' }, member.token), 403, 'FORBIDDEN');
    expect((await app.services.models.codeBatches.findById(id).lean<{ status: string }>())!.status).toBe('ready');
    const marketing = await hqToken('marketing');
    expect((await app.api.post(`/admin/redemption-code-batches/${id}/void`, { reason: '活动取消' }, marketing)).status).toBe(200);
  });

  it('claims racing the void: every code ends claimed (with its coupon) or voided, never both; the template counts only real coupons', async () => {
    const count = 40;
    const { id, codes } = await batch({ count, name: '抢兑测试' });
    const members = await Promise.all(Array.from({ length: count }, (_, i) => joinedMember(app.api, `race-void-${i}`)));
    const issuedBefore = (await app.services.models.couponTemplates.findById(templateId).lean<{ issuedCount: number }>())!.issuedCount;
    const claims = members.map((m, i) => claim(m.token, codes[i]!, `10.2.0.${i}`));
    const voiding = app.api.post(`/admin/redemption-code-batches/${id}/void`, { reason: '发现泄露' }, admin);
    const [answers, voided] = await Promise.all([Promise.all(claims), voiding]);
    expect(voided.status).toBe(200);
    for (const res of answers) expect([200, 422]).toContain(res.status);
    for (const res of answers.filter((r) => r.status === 422)) expect(res.body.error.code).toBe('CODE_VOIDED');
    const won = answers.filter((r) => r.status === 200).length;

    const stored = await app.services.models.redemptionCodes.find({ batchId: new Types.ObjectId(id) }).lean<Array<{ claimedBy: unknown; voidedAt: unknown }>>();
    expect(stored.filter((c) => c.claimedBy && c.voidedAt)).toEqual([]);
    expect(stored.filter((c) => c.claimedBy)).toHaveLength(won);
    expect(stored.filter((c) => c.voidedAt)).toHaveLength(count - won);
    const coupons = await app.services.models.coupons.countDocuments({ templateId: new Types.ObjectId(templateId), channel: 'code', channelRef: { $in: codes } });
    expect(coupons).toBe(won);
    expect((await app.services.models.couponTemplates.findById(templateId).lean<{ issuedCount: number }>())!.issuedCount).toBe(issuedBefore + won);
    // The void's answer counted the claims that had committed before it finished; none can follow.
    expect(voided.body.claimedCount).toBe(won);
    const late = await joinedMember(app.api, 'race-void-late');
    const unclaimed = codes.find((_, i) => answers[i]!.status !== 200);
    if (unclaimed) expectError(await claim(late.token, unclaimed, '10.3.0.1'), 422, 'CODE_VOIDED');
  }, 60_000);
});
