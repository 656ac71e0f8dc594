import { posStringToSign, templateIds } from '@membercard/shared';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { inTransaction } from '../src/lib/transactions';
import { DEMO_SUBSCRIBE_TEMPLATES } from '../src/modules/messaging/templates';
import { adminToken, joinedMember, staffToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';
import { memberCode, orderNo, tokenAt } from './points-helpers';

// Paying with the stored-value balance over HTTP: at the counter (the panel's ticket) and through the signed POS
// API (a fresh member code); HQ's "confirm above" amount met by the member's approval on the phone or their PIN
// (scrypt-hashed, locked after 5 wrong); once per till order number under parallel repeats; 50 parallel charges
// against a balance that covers only some; partial payment recorded; refunds back by line and whole, never more
// than was charged; and the books (balance = Σ entries, one entry per charge and refund) after all of it.

let app: TestApp;
let admin: string;
let clerk: string;
let bjClerk: string;

interface Key {
  keyId: string;
  secret: string;
}
let sh01: Key;
let bj01: Key;

function expectError(res: ApiResponse, status: number, code: string): void {
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
}

function pos(key: Key, method: string, path: string, body?: unknown) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const url = `/api/v1${path}`;
  const timestamp = String(Math.floor(app.clock.now().getTime() / 1000));
  const nonce = randomBytes(12).toString('base64url');
  const signature = createHmac('sha256', key.secret)
    .update(posStringToSign({ method, pathWithQuery: url, timestamp, nonce, bodySha256Hex: createHash('sha256').update(raw).digest('hex') }))
    .digest('hex');
  const headers: Record<string, string> = { 'X-POS-Key': key.keyId, 'X-POS-Timestamp': timestamp, 'X-POS-Nonce': nonce, 'X-POS-Signature': signature };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return app.api.request(method, url, { headers, ...(body === undefined ? {} : { rawBody: raw }) });
}

async function newKey(storeId: string): Promise<Key> {
  const res = await app.api.post('/admin/pos/credentials', { storeId, label: `${storeId} 储值测试` }, admin);
  expect(res.status).toBe(201);
  return { keyId: res.body.keyId, secret: res.body.secret };
}

/** Puts money on the member's balance through the ledger, as a paid top-up and its bonus would. */
async function credit(memberId: string, principalFen: number, bonusFen = 0): Promise<void> {
  await inTransaction(app.connection, undefined, async (session) => {
    const key = new Types.ObjectId().toHexString();
    if (principalFen > 0) {
      await app.services.storedValueLedger.apply(session, { memberId, kind: 'topup', principalDelta: principalFen, bonusDelta: 0, reason: '充值（测试）', idempotencyKey: `test-topup:${key}`, actor: 'system' });
    }
    if (bonusFen > 0) {
      await app.services.storedValueLedger.apply(session, { memberId, kind: 'topup_bonus', principalDelta: 0, bonusDelta: bonusFen, reason: '充值赠送（测试）', idempotencyKey: `test-bonus:${key}`, actor: 'system' });
    }
  });
}

const balanceOf = (memberId: string) => app.services.storedValueLedger.balanceOf(memberId);

/** The member's books: the balance is the sum of the entries, both parts ≥ 0, and one entry per charge and refund. */
async function expectBooks(memberId: string): Promise<void> {
  const { storedValueEntries, storedValueCharges, storedValueChargeRefunds } = app.services.models;
  const id = new Types.ObjectId(memberId);
  const entries = await storedValueEntries.find({ memberId: id }).lean();
  const balance = await balanceOf(memberId);
  expect(balance.principalFen).toBeGreaterThanOrEqual(0);
  expect(balance.bonusFen).toBeGreaterThanOrEqual(0);
  expect(entries.reduce((sum, e) => sum + e.principalDelta, 0)).toBe(balance.principalFen);
  expect(entries.reduce((sum, e) => sum + e.bonusDelta, 0)).toBe(balance.bonusFen);
  const charges = await storedValueCharges.find({ memberId: id }).lean();
  expect(entries.filter((e) => e.kind === 'charge').length).toBe(charges.length);
  for (const charge of charges) {
    const entry = entries.find((e) => e.idempotencyKey === `sv-charge:${charge.storeId}:${charge.orderNo}`)!;
    expect([-entry.principalDelta, -entry.bonusDelta]).toEqual([charge.principalFen, charge.bonusFen]);
  }
  const refunds = await storedValueChargeRefunds.find({ memberId: id, amountFen: { $gt: 0 } }).lean();
  expect(entries.filter((e) => e.kind === 'charge_refund').length).toBe(refunds.length);
  for (const charge of charges) expect(charge.refundedFen).toBeLessThanOrEqual(charge.amountFen);
}

async function shopper(name: string, principalFen: number, bonusFen = 0) {
  const { token, member } = await joinedMember(app.api, name);
  if (principalFen + bonusFen > 0) await credit(member.id, principalFen, bonusFen);
  return { token, memberId: member.id as string };
}

async function ticketFor(token: string, staff = clerk): Promise<string> {
  const res = await app.api.post('/staff/counter/panel', { code: await memberCode(app.api, token) }, staff);
  expect(res.status).toBe(200);
  return res.body.ticket;
}

const setPin = (body: Record<string, unknown>, token: string) => app.api.post('/me/stored-value/pin', body, token);
const counterCharge = (body: Record<string, unknown>, staff = clerk) => app.api.post('/staff/counter/stored-value/charges', body, staff);

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
  bjClerk = await staffToken(app.api, 'bj01-clerk');
  [sh01, bj01] = await Promise.all([newKey('SH01'), newKey('BJ01')]);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

describe('at the counter', () => {
  it('charges principal first, records the rest paid in cash, answers a repeat with the same charge and another order under the number 409', async () => {
    const { token, memberId } = await shopper('sv-counter', 10_000, 2_000);
    const panel = await app.api.post('/staff/counter/panel', { code: await memberCode(app.api, token) }, clerk);
    // the clerk sees the balance in the member panel
    expect(panel.body.storedValue).toEqual({ principalFen: 10_000, bonusFen: 2_000, totalFen: 12_000, confirmAboveFen: 20_000, pinSet: false });
    const ticket = panel.body.ticket;
    const no = orderNo('SV');
    const body = { ticket, orderNo: no, orderTotalFen: 15_000, amountFen: 11_000, otherPayments: [{ method: 'cash', amountFen: 4_000 }] };
    const res = await counterCharge(body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'charged',
      orderNo: no,
      storeId: 'SH01',
      memberId,
      amountFen: 11_000,
      principalFen: 10_000,
      bonusFen: 1_000,
      otherPayments: [{ method: 'cash', amountFen: 4_000 }],
      balanceAfter: { principalFen: 0, bonusFen: 1_000, totalFen: 1_000 },
      authorizedBy: 'code',
    });
    const again = await counterCharge({ ...body, ticket: await ticketFor(token) });
    expect({ status: again.status, body: again.body }).toEqual({ status: 201, body: res.body });
    expectError(await counterCharge({ ...body, amountFen: 500, otherPayments: [{ method: 'cash', amountFen: 14_500 }] }), 409, 'IDEMPOTENCY_KEY_REUSED');
    expect(await balanceOf(memberId)).toEqual({ principalFen: 0, bonusFen: 1_000, totalFen: 1_000 });
    const audit = await app.services.models.audit.find({ action: 'stored_value.charge', memberId }).lean();
    expect(audit).toHaveLength(1);
    await expectBooks(memberId);
  });

  it('refuses payments that do not add up, a ticket of another store, a shopper, and more than the balance', async () => {
    const { token, memberId } = await shopper('sv-refusals', 5_000);
    const ticket = await ticketFor(token);
    const res = await counterCharge({ ticket, orderNo: orderNo('SV'), orderTotalFen: 6_000, amountFen: 5_000, otherPayments: [] });
    expectError(res, 400, 'PAYMENT_TOTAL_MISMATCH');
    expect(res.body.error.details.fields[0].field).toBe('body.otherPayments');
    expectError(
      await counterCharge({ ticket, orderNo: orderNo('SV'), orderTotalFen: 1_000, amountFen: 1_000, lines: [{ sku: 'A', name: '咖啡', amountFen: 900 }] }),
      400,
      'PAYMENT_TOTAL_MISMATCH',
    );
    expectError(await counterCharge({ ticket, orderNo: orderNo('SV'), orderTotalFen: 1_000, amountFen: 1_000 }, bjClerk), 400, 'CODE_INVALID');
    expectError(await counterCharge({ ticket, orderNo: orderNo('SV'), orderTotalFen: 1_000, amountFen: 1_000 }, token), 403, 'FORBIDDEN');
    expectError(await counterCharge({ ticket: 'forged', orderNo: orderNo('SV'), orderTotalFen: 1_000, amountFen: 1_000 }), 400, 'CODE_INVALID');
    expectError(await counterCharge({ ticket, orderNo: orderNo('SV'), orderTotalFen: 5_001, amountFen: 5_001 }), 422, 'INSUFFICIENT_BALANCE');
    expectError(await counterCharge({ ticket, orderNo: '$bad', orderTotalFen: 1_000, amountFen: 1_000 }), 400, 'VALIDATION_FAILED');
    expect((await balanceOf(memberId)).totalFen).toBe(5_000);
  });

  it('50 parallel charges that together exceed the balance: those that fit succeed, the rest 422, the balance never below 0', async () => {
    const { token, memberId } = await shopper('sv-parallel', 8_000, 2_000);
    const ticket = await ticketFor(token);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => counterCharge({ ticket, orderNo: orderNo('SVP'), orderTotalFen: 300, amountFen: 300 })),
    );
    const charged = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    expect(charged).toHaveLength(33); // 33 × ¥3 = ¥99 of ¥100
    for (const answer of refused) expectError(answer, 422, 'INSUFFICIENT_BALANCE');
    expect(await balanceOf(memberId)).toEqual({ principalFen: 0, bonusFen: 100, totalFen: 100 });
    await expectBooks(memberId);
  }, 60_000);

  it('the same order sent 10 times at once is charged once, every answer the same charge', async () => {
    const { token, memberId } = await shopper('sv-dup', 10_000);
    const ticket = await ticketFor(token);
    const body = { ticket, orderNo: orderNo('SVD'), orderTotalFen: 2_500, amountFen: 2_500 };
    const answers = await Promise.all(Array.from({ length: 10 }, () => counterCharge(body)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => a.body.chargeId)).size).toBe(1);
    expect((await balanceOf(memberId)).totalFen).toBe(7_500);
    await expectBooks(memberId);
  }, 30_000);
});

describe('the member’s 储值消费通知', () => {
  it('a member who subscribed gets the store, the amount and the balance left, once per charge', async () => {
    const { token } = await shopper('sv-notice', 100_000);
    const templateId = templateIds(DEMO_SUBSCRIBE_TEMPLATES).storedValueCharge;
    expect((await app.api.post('/me/subscriptions', { accepted: [templateId, templateId] }, token)).status).toBe(204);
    const body = { ticket: await ticketFor(token), orderNo: orderNo('SVN'), orderTotalFen: 12_345, amountFen: 12_345 };
    expect((await counterCharge(body)).status).toBe(201);
    expect((await counterCharge(body)).status).toBe(201); // the repeat sends nothing more
    const messages = async () => (await app.api.get('/__emulator/messages?openid=emu_sv-notice')).body.messages as Array<Record<string, unknown>>;
    const deadline = Date.now() + 5_000;
    while ((await messages()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = await messages();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ template_id: templateId, page: 'pages/stored-value-pay/index', data: { thing1: { value: '上海静安店' }, amount2: { value: '¥123.45' }, amount3: { value: '¥876.55' } } });
  });
});

describe('above HQ’s confirm-above amount (¥200)', () => {
  it('the member approves on the phone: 202 until then, the till’s resend with the confirmation charges once', async () => {
    const { token, memberId } = await shopper('sv-confirm', 50_000);
    const ticket = await ticketFor(token);
    const body = { ticket, orderNo: orderNo('SVC'), orderTotalFen: 25_000, amountFen: 25_000 };
    const asked = await counterCharge(body);
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: 'awaiting_confirmation', amountFen: 25_000 });
    const confirmationId = asked.body.confirmationId;
    // still waiting: the till polls
    expect((await counterCharge({ ...body, confirmationId })).status).toBe(202);
    const pending = await app.api.get('/me/stored-value/confirmations', token);
    expect(pending.body.items).toEqual([expect.objectContaining({ id: confirmationId, storeName: '上海静安店', amountFen: 25_000, status: 'pending' })]);
    // another member cannot decide it
    const other = await shopper('sv-confirm-other', 0);
    expectError(await app.api.post(`/me/stored-value/confirmations/${confirmationId}/decision`, { approve: true }, other.token), 404, 'NOT_FOUND');
    const approved = await app.api.post(`/me/stored-value/confirmations/${confirmationId}/decision`, { approve: true }, token);
    expect([approved.status, approved.body.status]).toEqual([200, 'approved']);
    // the approval holds for this order only
    expectError(await counterCharge({ ...body, amountFen: 24_000, orderTotalFen: 24_000, confirmationId }), 409, 'IDEMPOTENCY_KEY_REUSED');
    const answers = await Promise.all([counterCharge({ ...body, confirmationId }), counterCharge({ ...body, confirmationId })]);
    expect(answers.map((a) => [a.status, a.body.authorizedBy])).toEqual([
      [201, 'confirmation'],
      [201, 'confirmation'],
    ]);
    expect(answers[0]!.body.chargeId).toBe(answers[1]!.body.chargeId);
    expect((await balanceOf(memberId)).totalFen).toBe(25_000);
    expect((await app.api.get('/me/stored-value/confirmations', token)).body.items).toEqual([]);
    await expectBooks(memberId);
  }, 30_000);

  it('a declined payment is 422 CHARGE_DECLINED and takes nothing', async () => {
    const { token, memberId } = await shopper('sv-decline', 50_000);
    const ticket = await ticketFor(token);
    const body = { ticket, orderNo: orderNo('SVX'), orderTotalFen: 30_000, amountFen: 30_000 };
    const asked = await counterCharge(body);
    const declined = await app.api.post(`/me/stored-value/confirmations/${asked.body.confirmationId}/decision`, { approve: false }, token);
    expect(declined.body.status).toBe('declined');
    expectError(await counterCharge({ ...body, confirmationId: asked.body.confirmationId }), 422, 'CHARGE_DECLINED');
    expectError(await app.api.post(`/me/stored-value/confirmations/${asked.body.confirmationId}/decision`, { approve: true }, token), 409, 'CONFLICT');
    expect((await balanceOf(memberId)).totalFen).toBe(50_000);
  });

  it('or the member’s PIN: hashed with scrypt, wrong ones counted in the database and locked after 5, a right one charges', async () => {
    const { token, memberId } = await shopper('sv-pin', 50_000);
    expect((await app.api.get('/me/stored-value/pin', token)).body).toMatchObject({ set: false });
    expectError(await setPin({ pin: '123456' }, token), 400, 'VALIDATION_FAILED');
    const set = await setPin({ pin: '202611' }, token);
    expect([set.status, set.body.set]).toEqual([200, true]);
    const stored = await app.services.models.paymentPins.findById(memberId).lean();
    expect(stored!.hash).toMatch(/^scrypt\$/);
    expect(stored!.hash).not.toContain('202611');
    // changing it needs the current one
    expectError(await setPin({ pin: '739146' }, token), 400, 'VALIDATION_FAILED');

    const ticket = await ticketFor(token);
    const body = { ticket, orderTotalFen: 21_000, amountFen: 21_000 };
    const wrong = await counterCharge({ ...body, orderNo: orderNo('SVPIN'), pin: '000111' });
    expectError(wrong, 422, 'PIN_INVALID');
    expect(wrong.body.error.details.attemptsLeft).toBe(4);
    // four more at once: every one counted once, the last locks it
    const more = await Promise.all(Array.from({ length: 4 }, (_, i) => counterCharge({ ...body, orderNo: orderNo('SVPIN'), pin: `00011${i + 2}` })));
    expect(more.map((a) => a.body.error.code).sort()).toEqual(['PIN_INVALID', 'PIN_INVALID', 'PIN_INVALID', 'PIN_LOCKED']);
    expectError(await counterCharge({ ...body, orderNo: orderNo('SVPIN'), pin: '202611' }), 422, 'PIN_LOCKED');
    expect((await app.services.models.paymentPins.findById(memberId).lean())!.failures).toBe(5);
    expect((await app.api.get('/me/stored-value/pin', token)).body.lockedUntil).not.toBeNull();
    expect((await balanceOf(memberId)).totalFen).toBe(50_000);

    app.clock.advance(31 * 60_000);
    try {
      // the tokens issued before the clock moved have expired meanwhile
      const later = await tokenAt(app, { memberId });
      const laterClerk = await tokenAt(app, { username: 'sh01-clerk' });
      const paid = await counterCharge({ ...body, ticket: await ticketFor(later, laterClerk), orderNo: orderNo('SVPIN'), pin: '202611' }, laterClerk);
      expect([paid.status, paid.body.authorizedBy]).toEqual([201, 'pin']);
      expect((await app.services.models.paymentPins.findById(memberId).lean())!.failures).toBe(0);
    } finally {
      app.clock.advance(-31 * 60_000);
    }
    expect((await balanceOf(memberId)).totalFen).toBe(29_000);
    await expectBooks(memberId);
  }, 30_000);
});

describe('through the POS API', () => {
  const LINES = [
    { sku: 'COFFEE', name: '拿铁', amountFen: 3_200 },
    { sku: 'CAKE', name: '芝士蛋糕', amountFen: 4_800 },
    { sku: 'BEANS', name: '咖啡豆', amountFen: 12_000 },
  ];

  it('charges with a fresh member code, partly in WeChat Pay; refunds by line and whole, never more than was charged', async () => {
    const { token, memberId } = await shopper('sv-pos', 10_000, 5_000);
    const no = orderNo('SVPOS');
    expectError(await pos(sh01, 'POST', '/pos/stored-value/charges', { orderNo: no, orderTotalFen: 20_000, amountFen: 15_000 }), 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/pos/stored-value/charges', { memberCode: 'x', orderNo: no, orderTotalFen: 1, amountFen: 1 }), 401, 'POS_UNSIGNED');
    expectError(await pos(sh01, 'POST', '/pos/stored-value/charges', { memberCode: 'M000000000000', orderNo: no, orderTotalFen: 100, amountFen: 100 }), 400, 'CODE_INVALID');
    const body = {
      memberCode: await memberCode(app.api, token),
      orderNo: no,
      orderTotalFen: 20_000,
      amountFen: 15_000,
      otherPayments: [{ method: 'wechat_pay', amountFen: 5_000, reference: '4200001234202612030001' }],
      lines: LINES,
    };
    const charged = await pos(sh01, 'POST', '/pos/stored-value/charges', body);
    expect(charged.status).toBe(201);
    expect(charged.body).toMatchObject({ amountFen: 15_000, principalFen: 10_000, bonusFen: 5_000, otherPayments: [{ method: 'wechat_pay', amountFen: 5_000 }], authorizedBy: 'code' });
    // another store's key does not see it; the order number at another store is another order
    expectError(await pos(bj01, 'GET', `/pos/stored-value/charges/${no}`), 404, 'NOT_FOUND');
    expect((await pos(sh01, 'GET', `/pos/stored-value/charges/${no}`)).body.chargeId).toBe(charged.body.chargeId);

    // line 0 (¥32 of ¥200): ¥24 back to the balance in the charge's proportion, ¥8 back in WeChat Pay
    const first = await pos(sh01, 'POST', '/pos/stored-value/refunds', { orderNo: no, refundNo: `${no}-R1`, lines: [0] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ amountFen: 2_400, principalFen: 1_600, bonusFen: 800, otherRefundFen: 800, balanceAfter: { totalFen: 2_400 } });
    expect((await pos(sh01, 'POST', '/pos/stored-value/refunds', { orderNo: no, refundNo: `${no}-R1`, lines: [0] })).body).toEqual(first.body);
    expectError(await pos(sh01, 'POST', '/pos/stored-value/refunds', { orderNo: no, refundNo: `${no}-R1`, lines: [1] }), 409, 'IDEMPOTENCY_KEY_REUSED');
    expectError(await pos(sh01, 'POST', '/pos/stored-value/refunds', { orderNo: no, refundNo: `${no}-R9`, lines: [0] }), 422, 'REFUND_EXCEEDS_CHARGE');
    // line 1 refunded twice at once under two numbers: once
    const racing = await Promise.all([`${no}-R2`, `${no}-R3`].map((refundNo) => pos(sh01, 'POST', '/pos/stored-value/refunds', { orderNo: no, refundNo, lines: [1] })));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 422]);
    expect(racing.find((r) => r.status === 201)!.body.amountFen).toBe(3_600);
    // the rest, from the staff's route: exactly what is left, then nothing
    const rest = await app.api.post('/staff/stored-value/refunds', { orderNo: no, refundNo: `${no}-R4`, whole: true }, clerk);
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ amountFen: 9_000, otherRefundFen: 3_000, charge: { refundedFen: 15_000 } });
    expect(rest.body.principalFen + first.body.principalFen + racing.find((r) => r.status === 201)!.body.principalFen).toBe(10_000);
    expectError(await app.api.post('/staff/stored-value/refunds', { orderNo: no, refundNo: `${no}-R5`, whole: true }, clerk), 422, 'REFUND_EXCEEDS_CHARGE');
    expectError(await app.api.post('/staff/stored-value/refunds', { orderNo: no, refundNo: `${no}-R6`, whole: true }, bjClerk), 404, 'NOT_FOUND');
    expect(await balanceOf(memberId)).toEqual({ principalFen: 10_000, bonusFen: 5_000, totalFen: 15_000 });
    await expectBooks(memberId);
  }, 30_000);

  it('above ¥200 without a PIN the till finishes with the confirmation alone, once the member approved', async () => {
    const { token, memberId } = await shopper('sv-pos-confirm', 40_000);
    const body = { orderNo: orderNo('SVPC'), orderTotalFen: 30_000, amountFen: 30_000 };
    const asked = await pos(sh01, 'POST', '/pos/stored-value/charges', { ...body, memberCode: await memberCode(app.api, token) });
    expect(asked.status).toBe(202);
    // another store's till cannot use it
    expectError(await pos(bj01, 'POST', '/pos/stored-value/charges', { ...body, confirmationId: asked.body.confirmationId }), 400, 'CODE_INVALID');
    await app.api.post(`/me/stored-value/confirmations/${asked.body.confirmationId}/decision`, { approve: true }, token);
    const paid = await pos(sh01, 'POST', '/pos/stored-value/charges', { ...body, confirmationId: asked.body.confirmationId });
    expect([paid.status, paid.body.authorizedBy, paid.body.memberId]).toEqual([201, 'confirmation', memberId]);
    expect((await balanceOf(memberId)).totalFen).toBe(10_000);
  });
});
