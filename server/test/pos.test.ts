import { posStringToSign } from '@membercard/shared';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { adminToken, joinedMember, staffToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';
import { expectBooksBalance, memberCode, memberDoc, orderNo, tokenAt } from './points-helpers';

// The POS integration over HTTP: HQ's till keys, the signature on every request (each refusal with its code),
// identify, quote, orders with lines and coupons (one transaction, once under 20 parallel commits) and returns.

let app: TestApp;
let admin: string;

interface Key {
  keyId: string;
  secret: string;
}

let sh01: Key;
let bj01: Key;

/** A till's request, signed as the README and the OpenAPI document say. */
function signed(key: Key, method: string, path: string, body?: unknown, over: { timestamp?: number; nonce?: string; secret?: string; sendBody?: string } = {}) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const url = `/api/v1${path}`;
  const timestamp = String(over.timestamp ?? Math.floor(app.clock.now().getTime() / 1000));
  const nonce = over.nonce ?? randomBytes(12).toString('base64url');
  const signature = createHmac('sha256', over.secret ?? key.secret)
    .update(posStringToSign({ method, pathWithQuery: url, timestamp, nonce, bodySha256Hex: createHash('sha256').update(raw).digest('hex') }))
    .digest('hex');
  const headers: Record<string, string> = { 'X-POS-Key': key.keyId, 'X-POS-Timestamp': timestamp, 'X-POS-Nonce': nonce, 'X-POS-Signature': signature };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { send: () => app.api.request(method, url, { headers, ...(body === undefined ? {} : { rawBody: over.sendBody ?? raw }) }), headers };
}

const pos = (key: Key, method: string, path: string, body?: unknown) => signed(key, method, path, body).send();

function expectError(res: ApiResponse, status: number, code: string): void {
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
}

async function newKey(storeId: string): Promise<Key> {
  const res = await app.api.post('/admin/pos/credentials', { storeId, label: `${storeId} 测试收银` }, admin);
  expect(res.status).toBe(201);
  return { keyId: res.body.keyId, secret: res.body.secret };
}

/** Five lines adding up to ¥356.00. */
const LINES = [
  { sku: 'MILK-1L', name: '鲜牛奶 1L', category: 'DAIRY', qty: 2, unitFen: 1_590, amountFen: 3_180 },
  { sku: 'BREAD', name: '全麦面包', category: 'BAKERY', qty: 1, unitFen: 1_220, amountFen: 1_220 },
  { sku: 'APPLE', name: '富士苹果', category: 'FRUIT', qty: 4, unitFen: 650, amountFen: 2_600 },
  { sku: 'WINE', name: '红酒', category: 'WINE', qty: 1, unitFen: 26_800, amountFen: 26_800 },
  { sku: 'TISSUE', name: '纸巾', category: 'PAPER_GOODS', qty: 3, unitFen: 600, amountFen: 1_800 },
];
const TOTAL = 35_600;

let templateSeq = 0;
async function coupon(memberId: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const template = await app.api.post(
    '/admin/coupon-templates',
    { title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 1000, perMemberLimit: 5, ...overrides },
    admin,
  );
  expect(template.status).toBe(201);
  const granted = await app.api.post(`/admin/coupon-templates/${template.body.id}/grants`, { memberId }, admin, { 'Idempotency-Key': `pos-grant-${++templateSeq}` });
  expect(granted.status).toBe(201);
  return granted.body.id;
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  sh01 = await newKey('SH01');
  bj01 = await newKey('BJ01');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

describe('POS keys', () => {
  it('HQ creates one per store, sees the secret once, and the database keeps it sealed', async () => {
    const listed = await app.api.get('/admin/pos/credentials?storeId=SH01', admin);
    expect(listed.status).toBe(200);
    const mine = listed.body.items.find((k: { keyId: string }) => k.keyId === sh01.keyId);
    expect(mine).toMatchObject({ storeId: 'SH01', status: 'active', expiresAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(sh01.secret);
    const stored = await app.services.models.posCredentials.findById(sh01.keyId).lean();
    expect(JSON.stringify(stored)).not.toContain(sh01.secret);
    expect(sh01.keyId).toMatch(/^pk_SH01_[a-f0-9]{16}$/);
    expect(Buffer.from(sh01.secret, 'base64url')).toHaveLength(32);
    // Clerks and managers do not manage keys; an unknown store has none.
    expectError(await app.api.post('/admin/pos/credentials', { storeId: 'SH01' }, await staffToken(app.api, 'sh01-manager')), 403, 'FORBIDDEN');
    expectError(await app.api.post('/admin/pos/credentials', { storeId: 'XX99' }, admin), 404, 'NOT_FOUND');
  });

  it('rotation gives a new key while the old one works through its grace; revocation stops a key at once', async () => {
    const old = await newKey('SH01');
    const rotated = await app.api.post(`/admin/pos/credentials/${old.keyId}/rotation`, { graceHours: 1 }, admin);
    expect(rotated.status).toBe(201);
    const fresh = { keyId: rotated.body.keyId, secret: rotated.body.secret };
    expect(fresh.keyId).not.toBe(old.keyId);
    const { member } = await joinedMember(app.api, 'pos-rotation');
    // A token issued at the app's clock, which moves past the grace below.
    const code = async () => memberCode(app.api, await tokenAt(app, { memberId: member.id }));
    expect((await pos(old, 'POST', '/pos/members/identify', { memberCode: await code() })).status).toBe(200);
    expect((await pos(fresh, 'POST', '/pos/members/identify', { memberCode: await code() })).status).toBe(200);
    expectError(await app.api.post(`/admin/pos/credentials/${old.keyId}/rotation`, {}, admin), 409, 'CONFLICT');

    app.clock.advance(3600_000 + 1_000);
    try {
      expectError(await pos(old, 'POST', '/pos/members/identify', { memberCode: await code() }), 401, 'POS_KEY_INVALID');
      expect((await pos(fresh, 'POST', '/pos/members/identify', { memberCode: await code() })).status).toBe(200);
    } finally {
      app.clock.advance(-(3600_000 + 1_000));
    }

    const revoked = await app.api.post(`/admin/pos/credentials/${fresh.keyId}/revocation`, undefined, admin);
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expectError(await pos(fresh, 'POST', '/pos/members/identify', { memberCode: await code() }), 401, 'POS_KEY_INVALID');
  });
});

describe('signed requests', () => {
  let code: () => Promise<string>;
  beforeAll(async () => {
    const { token } = await joinedMember(app.api, 'pos-signing');
    code = () => memberCode(app.api, token);
  });

  it('a correctly signed request is answered', async () => {
    const res = await pos(sh01, 'POST', '/pos/members/identify', { memberCode: await code() });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tier: { code: 'silver' }, pointsBalance: expect.any(Number) });
  });

  it('unsigned, or with a header missing or malformed → 401 POS_UNSIGNED (before the body is read)', async () => {
    expectError(await app.api.post('/pos/members/identify', { memberCode: await code() }), 401, 'POS_UNSIGNED');
    expectError(await app.api.post('/pos/members/identify', { junk: true }), 401, 'POS_UNSIGNED');
    const { headers } = signed(sh01, 'POST', '/pos/members/identify', { memberCode: await code() });
    const { ['X-POS-Nonce']: _nonce, ...noNonce } = headers;
    expectError(await app.api.request('POST', '/api/v1/pos/members/identify', { headers: noNonce, body: { memberCode: await code() } }), 401, 'POS_UNSIGNED');
    expectError(await signed(sh01, 'POST', '/pos/quote', { memberId: 'x', lines: LINES }, { nonce: 'short' }).send(), 401, 'POS_UNSIGNED');
  });

  it('a timestamp more than 5 minutes off, either way → 401 POS_TIMESTAMP_STALE; 4 minutes is fine', async () => {
    const now = Math.floor(app.clock.now().getTime() / 1000);
    const body = { memberCode: await code() };
    expectError(await signed(sh01, 'POST', '/pos/members/identify', body, { timestamp: now - 301 }).send(), 401, 'POS_TIMESTAMP_STALE');
    expectError(await signed(sh01, 'POST', '/pos/members/identify', body, { timestamp: now + 301 }).send(), 401, 'POS_TIMESTAMP_STALE');
    expect((await signed(sh01, 'POST', '/pos/members/identify', body, { timestamp: now - 240 }).send()).status).toBe(200);
  });

  it('the same signed request sent again → 401 POS_NONCE_REPLAYED, even when both race', async () => {
    const request = signed(sh01, 'POST', '/pos/members/identify', { memberCode: await code() });
    expect((await request.send()).status).toBe(200);
    expectError(await request.send(), 401, 'POS_NONCE_REPLAYED');
    const racing = signed(sh01, 'POST', '/pos/members/identify', { memberCode: await code() });
    const answers = await Promise.all(Array.from({ length: 10 }, () => racing.send()));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(answers.filter((r) => r.body?.error?.code === 'POS_NONCE_REPLAYED')).toHaveLength(9);
  });

  it('a wrong secret, another key’s secret, a changed body or path → 401 POS_SIGNATURE_INVALID; an unknown key → POS_KEY_INVALID', async () => {
    const body = { memberCode: await code() };
    expectError(await signed(sh01, 'POST', '/pos/members/identify', body, { secret: randomBytes(32).toString('base64url') }).send(), 401, 'POS_SIGNATURE_INVALID');
    expectError(await signed(sh01, 'POST', '/pos/members/identify', body, { secret: bj01.secret }).send(), 401, 'POS_SIGNATURE_INVALID');
    expectError(await signed(sh01, 'POST', '/pos/members/identify', body, { sendBody: JSON.stringify({ phone: '13800000000' }) }).send(), 401, 'POS_SIGNATURE_INVALID');
    const other = signed(sh01, 'GET', '/pos/orders/A-1');
    expectError(await app.api.request('GET', '/api/v1/pos/orders/A-2', { headers: other.headers }), 401, 'POS_SIGNATURE_INVALID');
    expectError(await signed({ keyId: 'pk_SH01_0000000000000000', secret: sh01.secret }, 'POST', '/pos/members/identify', body).send(), 401, 'POS_KEY_INVALID');
  });

  it('the routes are in the OpenAPI document with the signing scheme', async () => {
    const doc = (await app.api.get('/api/v1/openapi.json')).body;
    expect(doc.paths['/api/v1/pos/orders'].post.security).toEqual([{ posSignature: [] }]);
    expect(doc.paths['/api/v1/pos/returns'].post['x-auth']).toEqual({ level: 'pos' });
    expect(doc.components.securitySchemes.posSignature.description).toContain('HMAC-SHA256');
    expect(doc.paths['/api/v1/pos/orders/{orderNo}'].get.parameters).toEqual([expect.objectContaining({ name: 'orderNo', in: 'path', required: true })]);
  });
});

describe('identify and quote', () => {
  it('finds the member by the code they show or by their bound phone; a coupon code or unknown phone is refused', async () => {
    const { token, member } = await joinedMember(app.api, 'pos-identify');
    const byCode = await pos(sh01, 'POST', '/pos/members/identify', { memberCode: await memberCode(app.api, token) });
    expect(byCode.body).toMatchObject({ memberId: member.id, cardNo: member.cardNo, tier: { code: 'silver', name: '银卡' }, pointsBalance: 0 });
    const phone = (await app.api.post('/me/phone', { code: 'pos-phone' }, token)).body.phone as string;
    const byPhone = await pos(sh01, 'POST', '/pos/members/identify', { phone });
    expect(byPhone.body).toMatchObject({ memberId: member.id, maskedPhone: expect.stringContaining('****') });
    expectError(await pos(sh01, 'POST', '/pos/members/identify', { phone: '13912345678' }), 404, 'NOT_FOUND');
    expectError(await pos(sh01, 'POST', '/pos/members/identify', { memberCode: 'M000000000000000000000' }), 400, 'CODE_INVALID');
    const couponCode = (await app.api.get(`/me/coupons/${await coupon(member.id)}/code`, token)).body.code as string;
    expectError(await pos(sh01, 'POST', '/pos/members/identify', { memberCode: couponCode }), 400, 'CODE_INVALID');
    expectError(await pos(sh01, 'POST', '/pos/members/identify', {}), 400, 'VALIDATION_FAILED');
  });

  it('lists the member’s coupons with whether each applies here and what it saves, and the points to earn', async () => {
    const { member } = await joinedMember(app.api, 'pos-quote');
    const cash = await coupon(member.id);
    const beijingOnly = await coupon(member.id, { title: '北京店专享', storeIds: ['BJ01'] });
    const tooBig = await coupon(member.id, { title: '满500减100', minSpendFen: 50_000, amountOffFen: 10_000 });
    const res = await pos(sh01, 'POST', '/pos/quote', { memberId: member.id, lines: LINES });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalFen: TOTAL, pointsToEarn: 356, pointsMultiplier: 1, member: { memberId: member.id } });
    expect(res.body.coupons).toEqual([
      expect.objectContaining({ couponId: cash, applicable: true, refusal: null, savingFen: 2_000, pointsToEarn: 336 }),
      expect.objectContaining({ couponId: expect.any(String), applicable: false, savingFen: 0, pointsToEarn: 356 }),
      expect.objectContaining({ couponId: expect.any(String), applicable: false, savingFen: 0, pointsToEarn: 356 }),
    ]);
    const refusals = Object.fromEntries(res.body.coupons.map((c: { couponId: string; refusal: string | null }) => [c.couponId, c.refusal]));
    expect(refusals).toEqual({ [cash]: null, [beijingOnly]: 'WRONG_STORE', [tooBig]: 'MIN_SPEND_NOT_MET' });
    // Quoting changes nothing.
    expect((await app.services.models.coupons.findById(cash).lean())!.status).toBe('issued');
  });
});

describe('orders', () => {
  it('books lines and a coupon in one go: coupon redeemed, points on the net amount, purchase with its lines', async () => {
    const { member } = await joinedMember(app.api, 'pos-order');
    const couponId = await coupon(member.id);
    const no = orderNo('POS');
    const res = await pos(sh01, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: LINES, totalFen: TOTAL, couponIds: [couponId] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      orderNo: no, storeId: 'SH01', memberId: member.id, totalFen: TOTAL, discountFen: 2_000, netFen: 33_600,
      pointsEarned: 336, pointsBalance: 336, tier: { code: 'silver' }, status: 'booked', returnedNetFen: 0, pointsTakenBack: 0,
      coupons: [{ couponId, redemptionId: expect.any(String), savingFen: 2_000, restored: false }],
    });
    expect(res.body.lines.map((l: { returnedQty: number }) => l.returnedQty)).toEqual([0, 0, 0, 0, 0]);

    const stored = await app.services.models.coupons.findById(couponId).lean();
    expect(stored).toMatchObject({ status: 'redeemed' });
    const redemption = await app.services.models.redemptions.findById(res.body.coupons[0].redemptionId).lean();
    expect(redemption).toMatchObject({ storeId: 'SH01', orderNo: no, orderAmountFen: TOTAL, savingFen: 2_000, status: 'redeemed', staffId: `pos:${sh01.keyId}` });
    const purchase = await app.services.models.purchases.findOne({ storeId: 'SH01', orderNo: no }).lean();
    expect(purchase).toMatchObject({ amountFen: 33_600, pointsEarned: 336, staffId: `pos:${sh01.keyId}` });
    expect(purchase!.lines.map((l: { category: string }) => l.category)).toEqual(['DAIRY', 'BAKERY', 'FRUIT', 'WINE', 'PAPER_GOODS']);
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 336, spend12mFen: 33_600 });
    expect((await pos(sh01, 'GET', `/pos/orders/${no}`)).body).toEqual(res.body);
    // The coupon cannot be used again, at the counter or by another order.
    const again = await pos(sh01, 'POST', '/pos/orders', { orderNo: orderNo('POS'), memberId: member.id, lines: LINES, totalFen: TOTAL, couponIds: [couponId] });
    expectError(again, 409, 'COUPON_ALREADY_USED');
    await expectBooksBalance(app);
  });

  it('20 parallel commits of one order book one order, and every one gets the same answer', async () => {
    const { member } = await joinedMember(app.api, 'pos-parallel');
    const couponId = await coupon(member.id);
    const no = orderNo('PAR');
    const body = { orderNo: no, memberId: member.id, lines: LINES, totalFen: TOTAL, couponIds: [couponId] };
    const answers = await Promise.all(Array.from({ length: 20 }, () => pos(sh01, 'POST', '/pos/orders', body)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
    expect(await app.services.models.posOrders.countDocuments({ storeId: 'SH01', orderNo: no })).toBe(1);
    expect(await app.services.models.purchases.countDocuments({ storeId: 'SH01', orderNo: no })).toBe(1);
    expect(await app.services.models.redemptions.countDocuments({ couponId })).toBe(1);
    expect(await app.services.models.ledger.countDocuments({ memberId: member.id })).toBe(1);
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 336, spend12mFen: 33_600 });
    // The same order number with other lines is another order: refused, nothing booked.
    const changed = await pos(sh01, 'POST', '/pos/orders', { ...body, lines: LINES.slice(0, 4), totalFen: TOTAL - 1_800 });
    expectError(changed, 409, 'IDEMPOTENCY_KEY_REUSED');
    await expectBooksBalance(app);
  });

  it('a line whose amount is not qty × unit, or lines not adding up to the total → 400 LINE_TOTAL_MISMATCH naming it', async () => {
    const { member } = await joinedMember(app.api, 'pos-lines');
    const wrongLine = LINES.map((l, i) => (i === 2 ? { ...l, amountFen: 2_500 } : l));
    const res = await pos(sh01, 'POST', '/pos/orders', { orderNo: orderNo('BAD'), memberId: member.id, lines: wrongLine, totalFen: TOTAL - 100 });
    expectError(res, 400, 'LINE_TOTAL_MISMATCH');
    expect(res.body.error.details.fields).toEqual([{ field: 'body.lines.2.amountFen', message: 'qty × unitFen = 2600' }]);
    const total = await pos(sh01, 'POST', '/pos/orders', { orderNo: orderNo('BAD'), memberId: member.id, lines: LINES, totalFen: TOTAL + 1 });
    expectError(total, 400, 'LINE_TOTAL_MISMATCH');
    expect(total.body.error.details.fields[0].field).toBe('body.totalFen');
    expectError(await pos(sh01, 'POST', '/pos/quote', { memberId: member.id, lines: wrongLine }), 400, 'LINE_TOTAL_MISMATCH');
    expect(await app.services.models.purchases.countDocuments({ memberId: member.id })).toBe(0);
  });

  it('a refused coupon does not bind the order number: the till resends the order without it', async () => {
    const { member } = await joinedMember(app.api, 'pos-refused');
    const beijingOnly = await coupon(member.id, { title: '北京店专享', storeIds: ['BJ01'] });
    const no = orderNo('REF');
    const refused = await pos(sh01, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: LINES, totalFen: TOTAL, couponIds: [beijingOnly] });
    expectError(refused, 422, 'WRONG_STORE');
    expect(refused.body.error.details).toEqual({ field: 'body.couponIds.0', couponId: beijingOnly });
    const booked = await pos(sh01, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: LINES, totalFen: TOTAL });
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ netFen: TOTAL, pointsEarned: 356, coupons: [] });
    expect(await app.services.models.coupons.findById(beijingOnly).lean()).toMatchObject({ status: 'issued' });
  });

  it('a store’s key sees and returns only its own store’s orders', async () => {
    const { member } = await joinedMember(app.api, 'pos-stores');
    const no = orderNo('OWN');
    expect((await pos(sh01, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: LINES, totalFen: TOTAL })).status).toBe(201);
    expectError(await pos(bj01, 'GET', `/pos/orders/${no}`), 404, 'NOT_FOUND');
    expectError(await pos(bj01, 'POST', '/pos/returns', { returnNo: orderNo('R'), orderNo: no, whole: true }), 404, 'NOT_FOUND');
    // The same number at BJ01 is BJ01's own order.
    const there = await pos(bj01, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: LINES.slice(0, 1), totalFen: 3_180 });
    expect(there.body).toMatchObject({ storeId: 'BJ01', netFen: 3_180 });
    expect((await pos(sh01, 'GET', `/pos/orders/${no}`)).body).toMatchObject({ storeId: 'SH01', netFen: TOTAL });
  });
});

describe('returns', () => {
  it('returns lines (their share of the net and of the points), then the rest: the purchase reversed and the coupon usable again', async () => {
    const { member } = await joinedMember(app.api, 'pos-return');
    const couponId = await coupon(member.id);
    const no = orderNo('RET');
    const order = await pos(sh01, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: LINES, totalFen: TOTAL, couponIds: [couponId] });
    expect(order.body).toMatchObject({ netFen: 33_600, pointsEarned: 336 });

    // Two of the four apples (¥13.00 of ¥356.00): floor(33,600 × 1,300 / 35,600) = 1,226 fen and floor(336 × 1,300 / 35,600) = 12 points.
    const first = await pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R1`, orderNo: no, lines: [{ line: 2, qty: 2 }] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ netFen: 1_226, pointsTakenBack: 12, shortfall: 0, couponsRestored: [], pointsBalance: 324 });
    expect(first.body.order).toMatchObject({ status: 'partly_returned', returnedNetFen: 1_226, pointsTakenBack: 12 });
    expect(first.body.order.lines[2].returnedQty).toBe(2);
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 324, spend12mFen: 33_600 - 1_226 });
    // The same return again gets the same answer and takes nothing more.
    expect((await pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R1`, orderNo: no, lines: [{ line: 2, qty: 2 }] })).body).toEqual(first.body);

    // More than is left of a line, a line the order does not have → 422, naming it.
    const tooMany = await pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R2`, orderNo: no, lines: [{ line: 0, qty: 1 }, { line: 2, qty: 3 }] });
    expectError(tooMany, 422, 'RETURN_EXCEEDS_ORDER');
    expect(tooMany.body.error.details).toEqual({ field: 'body.lines.1.qty' });
    expectError(await pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R2`, orderNo: no, lines: [{ line: 5, qty: 1 }] }), 422, 'RETURN_EXCEEDS_ORDER');
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 324 });

    // The rest: exactly what is left of the net and of the points, the purchase reversed, the coupon issued again.
    const rest = await pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R3`, orderNo: no, whole: true });
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ netFen: 33_600 - 1_226, pointsTakenBack: 324, shortfall: 0, couponsRestored: [couponId], pointsBalance: 0 });
    expect(rest.body.order).toMatchObject({ status: 'returned', returnedNetFen: 33_600, pointsTakenBack: 336 });
    expect(rest.body.order.coupons[0].restored).toBe(true);
    expect(rest.body.order.lines.map((l: { qty: number; returnedQty: number }) => l.returnedQty === l.qty)).toEqual([true, true, true, true, true]);
    expect(await app.services.models.coupons.findById(couponId).lean()).toMatchObject({ status: 'issued', redemptionId: null });
    expect(await app.services.models.purchases.findOne({ storeId: 'SH01', orderNo: no }).lean()).toMatchObject({ status: 'reversed', inSpendWindow: false });
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 0, spend12mFen: 0 });
    // Nothing is left to return.
    expectError(await pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R4`, orderNo: no, lines: [{ line: 0, qty: 1 }] }), 422, 'RETURN_EXCEEDS_ORDER');
    expectError(await pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R5`, orderNo: no, whole: true }), 422, 'RETURN_EXCEEDS_ORDER');
    await expectBooksBalance(app);
  });

  it('a whole return takes back points up to the balance and records the shortfall; parallel returns give back each fen once', async () => {
    const { member } = await joinedMember(app.api, 'pos-shortfall');
    const no = orderNo('SHORT');
    expect((await pos(sh01, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: LINES, totalFen: TOTAL })).body.pointsEarned).toBe(356);
    // The member spends 300 of the 356 points before returning everything.
    const spent = await app.api.post(`/admin/members/${member.id}/points-adjustments`, { delta: -300, reason: '测试消耗' }, admin, { 'Idempotency-Key': `spend-${no}` });
    expect(spent.status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R${i}`, orderNo: no, lines: [{ line: 4, qty: 1 }, { line: 3, qty: 1 }] })),
    );
    // Line 3 has one unit: one return gets it, the others are refused.
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.body?.error?.code === 'RETURN_EXCEEDS_ORDER')).toHaveLength(4);
    const won = answers.find((a) => a.status === 201)!.body;
    // ¥274.00 of ¥356.00: floor(356 × 27,400 / 35,600) = 274 points wanted, 56 held.
    expect(won).toMatchObject({ netFen: 27_400, pointsTakenBack: 56, shortfall: 218, pointsBalance: 0 });
    const entry = await app.services.models.ledger.findOne({ idempotencyKey: `pos-return:SH01:${won.returnNo}` }).lean();
    expect(entry).toMatchObject({ delta: -56, shortfall: 218, source: 'reversal' });
    await expectBooksBalance(app);
  });

  it('a whole return racing the manager’s reversal of its coupon redemption restores the coupon once', async () => {
    const manager = await staffToken(app.api, 'sh01-manager');
    for (let round = 0; round < 3; round++) {
      const { member } = await joinedMember(app.api, `pos-race-${round}`);
      const couponId = await coupon(member.id);
      const no = orderNo('RACE');
      const order = await pos(sh01, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: LINES, totalFen: TOTAL, couponIds: [couponId] });
      const redemptionId = order.body.coupons[0].redemptionId as string;
      const [returned, reversed] = await Promise.all([
        pos(sh01, 'POST', '/pos/returns', { returnNo: `${no}-R`, orderNo: no, whole: true }),
        app.api.post(`/staff/redemptions/${redemptionId}/reversal`, { reason: '顾客要求' }, manager),
      ]);
      expect([returned.status, reversed.status]).toEqual([201, 200]);
      expect(reversed.body.status).toBe('reversed');
      expect(await app.services.models.coupons.findById(couponId).lean()).toMatchObject({ status: 'issued', redemptionId: null });
      const undone = await app.services.models.audit.countDocuments({ action: 'redemption.reverse', targetId: redemptionId });
      expect(undone).toBe(1);
      // Whoever undid the redemption is the one that says it restored the coupon.
      const redemption = await app.services.models.redemptions.findById(redemptionId).lean();
      expect(returned.body.couponsRestored).toEqual(redemption!.reversedBy === `pos:${sh01.keyId}` ? [couponId] : []);
      expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 0, spend12mFen: 0 });
    }
    await expectBooksBalance(app);
  });
});
