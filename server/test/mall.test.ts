import { PointsMall } from '../src/modules/coupons/mall';
import { adminToken, joinedMember, startTestApp, type TestApp } from './support/harness';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

async function mallTemplate(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await app.api.post(
    '/admin/coupon-templates',
    { title: '积分券', type: 'cash', amountOffFen: 1_000, noMinSpendConfirmed: true, validDays: 30, totalQuantity: 100, perMemberLimit: 10, pointsCost: 400, ...overrides },
    admin,
  );
  expect(res.status).toBe(201);
  return res.body.id;
}

async function memberWithPoints(name: string, points: number) {
  const joined = await joinedMember(app.api, name);
  if (points > 0) {
    await app.services.ledger.earn({ memberId: joined.member.id, amount: points, reason: 'test setup', source: 'bonus', idempotencyKey: `setup:${name}` });
  }
  return joined;
}

function exchange(token: string, templateId: string, key: string) {
  return app.api.post('/me/points/exchanges', { templateId }, token, { 'Idempotency-Key': key });
}

async function stateOf(memberId: string) {
  const member = await app.services.models.members.findById(memberId).lean();
  return {
    balance: member.pointsBalance as number,
    ledgerEntries: await app.services.models.ledger.countDocuments({ memberId }),
    lotsRemaining: (await app.services.models.lots.find({ memberId }).lean()).reduce((sum: number, lot: { remaining: number }) => sum + lot.remaining, 0),
    coupons: await app.services.models.coupons.countDocuments({ memberId }),
  };
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

describe('the points mall', () => {
  it('lists only active templates with a points cost, the seeded demo one included', async () => {
    const { token } = await joinedMember(app.api, 'browser');
    const plain = await app.api.post('/admin/coupon-templates', { title: 'no points', type: 'cash', amountOffFen: 100, noMinSpendConfirmed: true, validDays: 1, totalQuantity: 1, perMemberLimit: 1 }, admin);
    const listed = await app.api.get('/me/points/exchangeable', token);
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThan(0);
    for (const template of listed.body.items) expect(template).toMatchObject({ status: 'active', pointsCost: expect.any(Number) });
    expect(listed.body.items.map((t: { title: string }) => t.title)).toContain('10元无门槛券（积分兑换）');
    expect(listed.body.items.map((t: { id: string }) => t.id)).not.toContain(plain.body.id);
  });

  it('exchanges points for a coupon; repeats with the same key, even in parallel, change nothing more', async () => {
    const templateId = await mallTemplate();
    const { token, member } = await memberWithPoints('buyer', 1_000);
    const answers = await Promise.all(Array.from({ length: 6 }, () => exchange(token, templateId, 'buy-1')));
    for (const res of answers) {
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ pointsSpent: 400, pointsBalance: 600, coupon: { templateId, status: 'issued' } });
    }
    expect(new Set(answers.map((res) => res.body.coupon.id)).size).toBe(1);
    expect(await stateOf(member.id)).toEqual({ balance: 600, ledgerEntries: 2, lotsRemaining: 600, coupons: 1 });
    expect((await app.api.get('/me/coupons', token)).body.items.map((c: { id: string }) => c.id)).toEqual([answers[0]!.body.coupon.id]);
  });

  it('parallel exchanges with different keys never take the balance below zero', async () => {
    const templateId = await mallTemplate();
    const { token, member } = await memberWithPoints('spender', 800);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => exchange(token, templateId, `spend-${i}`)));
    expect(answers.filter((res) => res.status === 201)).toHaveLength(2);
    for (const res of answers.filter((r) => r.status !== 201)) expectError(res, 422, 'INSUFFICIENT_POINTS');
    expect(await stateOf(member.id)).toEqual({ balance: 0, ledgerEntries: 3, lotsRemaining: 0, coupons: 2 });
  }, 30_000);

  it('an exhausted, archived or pointless template takes no points', async () => {
    const single = await mallTemplate({ totalQuantity: 1, perMemberLimit: 1 });
    const first = await memberWithPoints('first-buyer', 400);
    expect((await exchange(first.token, single, 'k')).status).toBe(201);
    const second = await memberWithPoints('second-buyer', 1_000);
    expectError(await exchange(second.token, single, 'k'), 422, 'TEMPLATE_EXHAUSTED');

    const archived = await mallTemplate();
    await app.api.post(`/admin/coupon-templates/${archived}/archive`, {}, admin);
    expectError(await exchange(second.token, archived, 'k2'), 422, 'TEMPLATE_ARCHIVED');
    const plain = await app.api.post('/admin/coupon-templates', { title: 'free', type: 'cash', amountOffFen: 100, noMinSpendConfirmed: true, validDays: 1, totalQuantity: 5, perMemberLimit: 1 }, admin);
    expectError(await exchange(second.token, plain.body.id, 'k3'), 404, 'NOT_FOUND');
    expectError(await app.api.post('/me/points/exchanges', { templateId: archived }, second.token), 400, 'VALIDATION_FAILED');
    expect(await stateOf(second.member.id)).toEqual({ balance: 1_000, ledgerEntries: 1, lotsRemaining: 1_000, coupons: 0 });
  });

  it('a failure between the spend and the issue leaves balance, ledger, lots and coupons untouched; the retry succeeds once', async () => {
    const templateId = await mallTemplate();
    const { token, member } = await memberWithPoints('crash', 1_000);
    const before = await stateOf(member.id);
    const issuedBefore = (await app.services.models.couponTemplates.findById(templateId).lean()).issuedCount;

    // The same mall wiring as the running app, with a fault injected where a process could die.
    const dying = new PointsMall({
      ...app.services.mall.deps,
      betweenSpendAndIssue: async () => {
        throw new Error('process died between spend and issue');
      },
    });
    await expect(dying.exchange(member.id, templateId, 'crash-key')).rejects.toThrow('process died');
    expect(await stateOf(member.id)).toEqual(before);
    expect((await app.services.models.couponTemplates.findById(templateId).lean()).issuedCount).toBe(issuedBefore);

    const retries = await Promise.all([1, 2, 3].map(() => exchange(token, templateId, 'crash-key')));
    for (const res of retries) expect(res.body).toMatchObject({ pointsSpent: 400, pointsBalance: 600 });
    expect(await stateOf(member.id)).toEqual({ balance: 600, ledgerEntries: before.ledgerEntries + 1, lotsRemaining: 600, coupons: 1 });
    expect((await app.services.models.couponTemplates.findById(templateId).lean()).issuedCount).toBe(issuedBefore + 1);
  });
});
