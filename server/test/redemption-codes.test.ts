import { randomBytes } from 'node:crypto';
import { formatRedemptionCode, isWellFormedRedemptionCode, makeRedemptionCode } from '@membercard/shared';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

let app: TestApp;
let admin: string;
let templateId: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  const template = await app.api.post(
    '/admin/coupon-templates',
    { title: '兑换码专享券', type: 'gift', giftName: '帆布袋', validDays: 30, totalQuantity: 1000, perMemberLimit: 5 },
    admin,
  );
  templateId = template.body.id;
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const inAMonth = () => new Date(app.clock.now().getTime() + 30 * 24 * 3600_000).toISOString();

async function batchCodes(body: Record<string, unknown>): Promise<string[]> {
  const created = await app.api.post('/admin/redemption-code-batches', { expiresAt: inAMonth(), ...body }, admin);
  expect(created.status).toBe(201);
  expect(created.body).toEqual({ id: expect.any(String), count: body.count });
  const csv = await app.api.get(`/admin/redemption-code-batches/${created.body.id}/codes.csv`, admin);
  expect(csv.status).toBe(200);
  const [header, ...codes] = csv.text.trim().split('\n');
  expect(header).toBe('code');
  return codes;
}

function claim(token: string, code: string, ip = '10.0.0.1') {
  return app.api.post('/me/redemption-codes/claim', { code }, token, { 'X-Forwarded-For': ip });
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

describe('redemption code batches', () => {
  it('HQ generates a batch, lists it and downloads its codes as a CSV stream', async () => {
    const created = await app.api.post('/admin/redemption-code-batches', { templateId, count: 25, expiresAt: inAMonth() }, admin);
    const csv = await app.api.get(`/admin/redemption-code-batches/${created.body.id}/codes.csv`, admin);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="redemption-codes-/);
    const [header, ...codes] = csv.text.trim().split('\n');
    expect(header).toBe('code');
    expect(codes).toHaveLength(25);
    expect(new Set(codes).size).toBe(25);
    for (const code of codes) expect(isWellFormedRedemptionCode(code)).toBe(true);

    const list = await app.api.get('/admin/redemption-code-batches', admin);
    expect(list.body.items[0]).toMatchObject({ id: created.body.id, templateId, count: 25, claimedCount: 0, status: 'ready' });
    const audit = await app.api.get(`/admin/audit-log?action=redemption_code_batch.create`, admin);
    expect(audit.body.items.map((e: { targetId: string }) => e.targetId)).toContain(created.body.id);
  });

  it('refuses both or neither of templateId and points (400), a clerk (403), an unknown (404) or archived template (422)', async () => {
    const expiresAt = inAMonth();
    expectError(await app.api.post('/admin/redemption-code-batches', { templateId, points: 5, count: 1, expiresAt }, admin), 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/admin/redemption-code-batches', { count: 1, expiresAt }, admin), 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/admin/redemption-code-batches', { points: 5, count: 1, expiresAt: '2000-01-01T00:00:00Z' }, admin), 400, 'VALIDATION_FAILED');
    const clerk = await staffToken(app.api, 'sh01-clerk');
    expectError(await app.api.post('/admin/redemption-code-batches', { points: 5, count: 1, expiresAt }, clerk), 403, 'FORBIDDEN');
    expectError(await app.api.get('/admin/redemption-code-batches/0123456789abcdef01234567/codes.csv', clerk), 403, 'FORBIDDEN');
    expectError(await app.api.post('/admin/redemption-code-batches', { templateId: '0123456789abcdef01234567', count: 1, expiresAt }, admin), 404, 'NOT_FOUND');
    const archived = await app.api.post('/admin/coupon-templates', { title: 'archived', type: 'cash', amountOffFen: 100, noMinSpendConfirmed: true, validDays: 1, totalQuantity: 1, perMemberLimit: 1 }, admin);
    await app.api.post(`/admin/coupon-templates/${archived.body.id}/archive`, {}, admin);
    expectError(await app.api.post('/admin/redemption-code-batches', { templateId: archived.body.id, count: 1, expiresAt }, admin), 422, 'TEMPLATE_ARCHIVED');
  });
});

describe('claiming a code', () => {
  it('a coupon code, typed in lower case with dashes, issues its coupon through the issuer; the second claim is 409', async () => {
    const [code] = await batchCodes({ templateId, count: 1 });
    const { token, member } = await joinedMember(app.api, 'claimer');
    const res = await claim(token, formatRedemptionCode(code!).toLowerCase());
    expect(res.status).toBe(200);
    expect(res.body.coupon).toMatchObject({ templateId, type: 'gift', giftName: '帆布袋', status: 'issued' });
    expect(await app.services.models.coupons.findById(res.body.coupon.id).lean()).toMatchObject({ channel: 'code', channelRef: code });
    expect((await app.api.get('/me/coupons', token)).body.items.map((c: { id: string }) => c.id)).toEqual([res.body.coupon.id]);
    expectError(await claim(token, code!), 409, 'CODE_ALREADY_USED');
    expect(await app.services.models.coupons.countDocuments({ memberId: member.id })).toBe(1);
  });

  it('a points code awards its points through the ledger, once', async () => {
    const [code] = await batchCodes({ points: 300, count: 1 });
    const { token, member } = await joinedMember(app.api, 'points-claimer');
    const res = await claim(token, code!);
    expect(res.body).toEqual({ pointsAwarded: 300 });
    expect((await app.api.get('/me', token)).body.pointsBalance).toBe(300);
    const entries = await app.services.models.ledger.find({ memberId: member.id }).lean();
    expect(entries).toEqual([expect.objectContaining({ delta: 300, balanceAfter: 300, source: 'code', idempotencyKey: `code:${code}` })]);
  });

  it('ten members claiming one code in parallel: one gets it, nine get 409 CODE_ALREADY_USED', async () => {
    const [code] = await batchCodes({ templateId, count: 1 });
    const members = await Promise.all(Array.from({ length: 10 }, (_, i) => joinedMember(app.api, `racer-${i}`)));
    const answers = await Promise.all(members.map((m, i) => claim(m.token, code!, `10.1.0.${i}`)));
    expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200)) expectError(res, 409, 'CODE_ALREADY_USED');
    expect(await app.services.models.coupons.countDocuments({ channel: 'code', channelRef: code })).toBe(1);
    const batch = await app.services.models.redemptionCodes.findById(code).lean();
    expect((await app.services.models.codeBatches.findById(batch.batchId).lean()).claimedCount).toBe(1);
  }, 30_000);

  it('a mistyped code is refused by its check symbol before the database is asked (no rate-limit attempt counted)', async () => {
    const [code] = await batchCodes({ templateId, count: 1 });
    const { token } = await joinedMember(app.api, 'typo');
    const position = 3;
    const wrong = code![position] === 'A' ? 'B' : 'A';
    const typo = code!.slice(0, position) + wrong + code!.slice(position + 1);
    const rateLimitDocs = () => app.connection.db!.collection('rate_limits').countDocuments();
    const before = await rateLimitDocs();
    for (let i = 0; i < 15; i++) {
      const res = await claim(token, typo);
      expectError(res, 404, 'CODE_NOT_FOUND');
      expect(res.body.error.details).toEqual({ reason: 'check_symbol' });
    }
    expect(await rateLimitDocs()).toBe(before);
    expect((await claim(token, code!)).status).toBe(200);
  });

  it('well-formed guesses are rate limited per member (429) and per IP', async () => {
    const guess = () => makeRedemptionCode(randomBytes(7));
    const { token } = await joinedMember(app.api, 'guesser');
    for (let i = 0; i < 10; i++) expectError(await claim(token, guess(), `10.2.0.${i}`), 404, 'CODE_NOT_FOUND');
    const limited = await claim(token, guess(), '10.2.1.1');
    expectError(limited, 429, 'RATE_LIMITED');

    const guessers = await Promise.all(Array.from({ length: 7 }, (_, i) => joinedMember(app.api, `ip-guesser-${i}`)));
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await claim(guessers[Math.floor(i / 9)]!.token, guess(), '10.3.3.3')).status);
    expect(statuses.slice(0, 60).every((s) => s === 404)).toBe(true);
    expect(statuses[60]).toBe(429);
  }, 30_000);

  it('a code of an expired batch is not found', async () => {
    const [code] = await batchCodes({ points: 10, count: 1, expiresAt: new Date(app.clock.now().getTime() + 60_000).toISOString() });
    const { token, member } = await joinedMember(app.api, 'late-claimer');
    app.clock.advance(2 * 60_000);
    try {
      const res = await claim(token, code!);
      expectError(res, 404, 'CODE_NOT_FOUND');
      expect(res.body.error.details).toEqual({ reason: 'expired' });
      expect(await app.services.models.ledger.countDocuments({ memberId: member.id })).toBe(0);
      expect((await app.services.models.redemptionCodes.findById(code).lean()).claimedBy).toBeNull();
    } finally {
      app.clock.advance(-2 * 60_000);
    }
  });
});
