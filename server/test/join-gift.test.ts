import { adminToken, signInShopper, startTestApp, type TestApp } from './support/harness';

// The join gift (入会礼) with points: HQ sets them on the welcome rule, the join page shows them before joining,
// and joining credits them exactly once, whatever parallel joins, retries and scheduled runs happen at once.

let app: TestApp;
let admin: string;
let templateId: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  const template = await app.api.post(
    '/admin/coupon-templates',
    { title: '入会礼满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 1_000, perMemberLimit: 1 },
    admin,
  );
  templateId = template.body.id;
}, 60_000);
afterAll(async () => {
  await app.stop();
});

const join = (token: string) => app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, token);
const welcomeEntries = (memberId: string) => app.services.models.ledger.find({ memberId, idempotencyKey: `automation:welcome:${memberId}` }).lean();

describe('join gift points', () => {
  it('HQ sets points on the welcome rule; the join page shows them with the coupon before joining', async () => {
    const saved = await app.api.patch('/admin/automation-rules/welcome', { enabled: true, templateId, points: 188 }, admin);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ kind: 'welcome', points: 188, templateId });
    const gift = await app.api.get('/join-gift');
    expect(gift.body.points).toBe(188);
    expect(gift.body.coupons).toEqual([expect.objectContaining({ id: templateId, title: '入会礼满100减20' })]);

    // Points alone (no coupon) are a gift too; a rule that is off gives nothing.
    await app.api.patch('/admin/automation-rules/welcome', { templateId: null }, admin);
    expect((await app.api.get('/join-gift')).body).toEqual({ coupons: [], points: 188 });
    await app.api.patch('/admin/automation-rules/welcome', { enabled: false }, admin);
    expect((await app.api.get('/join-gift')).body).toEqual({ coupons: [], points: 0 });
    await app.api.patch('/admin/automation-rules/welcome', { enabled: true, templateId }, admin);
  });

  it('refuses bad points: negative, fractional, too many, and points on the expiry reminder', async () => {
    for (const points of [-1, 1.5, 100_001, '100']) {
      const res = await app.api.patch('/admin/automation-rules/welcome', { points }, admin);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    }
    const expiry = await app.api.patch('/admin/automation-rules/points_expiry', { points: 10 }, admin);
    expect({ status: expiry.status, field: expiry.body.error?.details?.fields?.[0]?.field }).toEqual({ status: 400, field: 'body.points' });
    expect((await app.api.get('/admin/automation-rules', admin)).body.items.find((r: { kind: string }) => r.kind === 'welcome').points).toBe(188);
  });

  it('one shopper joining from 8 taps at once while the scheduled run fires gets the points and the coupon once', async () => {
    const login = await signInShopper(app.api, 'gift-parallel');
    const [answers] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, () => join(login.body.token))),
      // The hourly run scans recent joiners too: it races the join's own firing for the same occurrence.
      ...Array.from({ length: 3 }, () => app.services.automation.runDue()),
    ]);
    const joined = answers.filter((r) => r.status === 201);
    expect(joined).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 201)) expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 409, code: 'ALREADY_MEMBER' });
    const memberId = joined[0]!.body.id as string;
    await app.services.automation.runDue();

    const entries = await welcomeEntries(memberId);
    expect(entries).toEqual([expect.objectContaining({ delta: 188, reason: '入会礼', source: 'bonus' })]);
    const me = await app.api.get('/me', login.body.token);
    expect(me.body.pointsBalance).toBe(188);
    expect(await app.services.models.coupons.countDocuments({ memberId, templateId })).toBe(1);
    // Ledger and lots agree with the balance.
    const lots = await app.services.models.lots.find({ memberId }).lean();
    expect(lots.reduce((sum, lot) => sum + lot.remaining, 0)).toBe(188);
  }, 30_000);

  it('six shoppers joining at once each get the points exactly once', async () => {
    const logins = await Promise.all(Array.from({ length: 6 }, (_, i) => signInShopper(app.api, `gift-crowd-${i}`)));
    const answers = await Promise.all(logins.map((login) => join(login.body.token)));
    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(201));
    for (const [i, res] of answers.entries()) {
      expect((await app.api.get('/me', logins[i]!.body.token)).body.pointsBalance).toBe(188);
      expect(await welcomeEntries(res.body.id)).toHaveLength(1);
    }
  }, 30_000);

  it('a shopper who erased an earlier membership gets no second gift on rejoining', async () => {
    const first = await signInShopper(app.api, 'gift-rejoiner');
    expect((await join(first.body.token)).status).toBe(201);
    expect((await app.api.get('/me', first.body.token)).body.pointsBalance).toBe(188);
    expect((await app.api.delete('/me', first.body.token)).status).toBeLessThan(300);
    const again = await signInShopper(app.api, 'gift-rejoiner');
    const rejoined = await join(again.body.token);
    expect(rejoined.status).toBe(201);
    expect((await app.api.get('/me', again.body.token)).body.pointsBalance).toBe(0);
  }, 30_000);
});
