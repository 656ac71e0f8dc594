import { groupDigits } from '@membercard/shared';
import { adminToken, joinedMember, staffToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';
import { expectBooksBalance, memberDoc, orderNo } from './points-helpers';

// The counter's one-scan checkout over HTTP: the member panel a scan opens (member, history, the coupons this
// store may take and why not), and the one confirmation that redeems the chosen coupons and books the purchase on
// the net amount in one transaction, idempotent on the till's receipt number (once under 20 parallel confirmations).

let app: TestApp;
let admin: string;
let clerk: string;
let bjClerk: string;

function expectError(res: ApiResponse, status: number, code: string): void {
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
}

let grantSeq = 0;
async function coupon(memberId: string, terms: Record<string, unknown> = {}): Promise<string> {
  const template = await app.api.post(
    '/admin/coupon-templates',
    { title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 1000, perMemberLimit: 5, ...terms },
    admin,
  );
  expect(template.status).toBe(201);
  const granted = await app.api.post(`/admin/coupon-templates/${template.body.id}/grants`, { memberId }, admin, { 'Idempotency-Key': `counter-grant-${++grantSeq}` });
  expect(granted.status).toBe(201);
  return granted.body.id;
}

/** The 18 digits the card shows, typed as the clerk sees them (groups of four). */
async function typedCode(memberToken: string): Promise<string> {
  const res = await app.api.get('/me/member-code', memberToken);
  expect(res.status).toBe(200);
  return groupDigits(res.body.numericCode);
}

async function panel(code: string, amountFen?: number, token = clerk) {
  return app.api.post('/staff/counter/panel', { code, ...(amountFen ? { amountFen } : {}) }, token);
}

/** As if the request record had expired (they are kept 7 days): only the booked documents remain. */
async function forgetRequestRecord(no: string): Promise<void> {
  await app.services.models.purchases.db.collection<{ _id: string }>('idempotency_records').deleteOne({ _id: `counter-checkout:SH01:${no}` });
}

const checkout = (body: Record<string, unknown>, token = clerk) => app.api.post('/staff/checkout', body, token);

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
  bjClerk = await staffToken(app.api, 'bj01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

describe('member panel', () => {
  it('answers the masked member with their history and their coupons: usable here first, the others with why', async () => {
    const { token, member } = await joinedMember(app.api, 'counter-panel');
    await app.api.patch('/me/profile', { name: '王小明' }, token);
    const usable = await coupon(member.id, { title: '满100减20' });
    const otherStore = await coupon(member.id, { title: '北京店专用', storeIds: ['BJ01'] });
    const goldOnly = await coupon(member.id, { title: '金卡专享', tiers: ['gold'] });

    const first = await panel(await typedCode(token), 15_000);
    expect(first.status).toBe(200);
    expect(first.body.member).toMatchObject({ id: member.id, maskedName: '王**', tier: { code: 'silver' }, pointsBalance: 0, lastVisitAt: null, recentPurchases: [] });
    expect(first.body.coupons.map((c: { id: string; refusal: string | null; savingFen: number }) => [c.id, c.refusal, c.savingFen])).toEqual([
      [usable, null, 2_000],
      [otherStore, 'WRONG_STORE', 0],
      [goldOnly, 'COUPON_NOT_APPLICABLE', 0],
    ]);
    expect(first.body.earning).toEqual({ baseRate: 1, tierMultiplier: 1, campaignMultiplier: 1 });

    // After a checkout the panel shows the visit and the purchase; the used coupon is gone from the list.
    const done = await checkout({ ticket: first.body.ticket, orderNo: orderNo('PNL'), amountFen: 15_000, couponIds: [usable] });
    expect(done.status).toBe(200);
    const again = await panel(await typedCode(token));
    expect(again.body.member.lastVisitAt).toBe(done.body.createdAt);
    expect(again.body.member.recentPurchases).toMatchObject([{ orderNo: done.body.orderNo, amountFen: 13_000, storeId: 'SH01' }]);
    expect(again.body.coupons.map((c: { id: string }) => c.id)).toEqual([otherStore, goldOnly]);

    // At the other store its own coupon is the usable one.
    const there = await panel(await typedCode(token), 15_000, bjClerk);
    expect(there.body.coupons.map((c: { id: string; refusal: string | null }) => [c.id, c.refusal])).toEqual([
      [otherStore, null],
      [goldOnly, 'COUPON_NOT_APPLICABLE'],
    ]);
  });

  it('a scanned coupon code opens its owner’s panel with that coupon marked; a sign-up or bad code is refused', async () => {
    const { token, member } = await joinedMember(app.api, 'counter-coupon-scan');
    const first = await coupon(member.id, { title: '小券', amountOffFen: 500, minSpendFen: 1_000 });
    const shown = await coupon(member.id, { title: '出示的券', amountOffFen: 300, minSpendFen: 1_000 });
    const code = (await app.api.get(`/me/coupons/${shown}/code`, token)).body.code;
    const res = await panel(code, 5_000);
    expect(res.status).toBe(200);
    expect(res.body.member.id).toBe(member.id);
    expect(res.body.coupons.map((c: { id: string; scanned: boolean }) => [c.id, c.scanned])).toEqual([
      [shown, true],
      [first, false],
    ]);
    expectError(await panel('61' + '0'.repeat(16)), 400, 'CODE_INVALID');
    expectError(await panel(await typedCode(token), undefined, token), 403, 'FORBIDDEN');
    expectError(await app.api.post('/staff/counter/panel', { code: 'x' }), 401, 'UNAUTHENTICATED');
  });

  it('an expired member code is refused (400 CODE_INVALID)', async () => {
    const { token } = await joinedMember(app.api, 'counter-stale');
    const stale = await typedCode(token);
    app.clock.advance(5 * 60_000);
    try {
      expectError(await panel(stale), 400, 'CODE_INVALID');
    } finally {
      app.clock.advance(-5 * 60_000);
    }
  });
});

describe('checkout', () => {
  it('redeems the coupon and books the purchase on the net amount in one step; a resend answers the same; a changed one 409', async () => {
    const { token, member } = await joinedMember(app.api, 'counter-checkout');
    const couponId = await coupon(member.id);
    const opened = await panel(await typedCode(token), 173_150);
    const no = orderNo('CHK');
    const body = { ticket: opened.body.ticket, orderNo: no, amountFen: 173_150, couponIds: [couponId] };
    const res = await checkout(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      orderNo: no,
      memberId: member.id,
      amountFen: 173_150,
      discountFen: 2_000,
      netFen: 171_150,
      pointsEarned: 1_711, // floor(¥1,711.50) × 1
      pointsBalance: 1_711,
      tier: { code: 'silver' },
      coupons: [{ couponId, title: '满100减20', savingFen: 2_000 }],
    });
    const stored = await app.services.models.purchases.findOne({ storeId: 'SH01', orderNo: no }).lean();
    expect(stored).toMatchObject({ amountFen: 171_150, pointsEarned: 1_711 });
    expect(await app.services.models.coupons.findById(couponId).lean()).toMatchObject({ status: 'redeemed' });
    expect(await app.services.models.redemptions.findOne({ couponId }).lean()).toMatchObject({ orderNo: no, orderAmountFen: 173_150, savingFen: 2_000, storeId: 'SH01' });
    expect((await memberDoc(app, member.id))!.pointsBalance).toBe(1_711);

    // The clerk taps again (or the phone resends): the same answer, nothing booked twice.
    const again = await checkout(body);
    expect([again.status, again.body]).toEqual([200, res.body]);
    // A fresh scan of the same member, same receipt, same content: the same answer too.
    const rescanned = await panel(await typedCode(token));
    expect(await checkout({ ...body, ticket: rescanned.body.ticket })).toMatchObject({ status: 200, body: res.body });
    // The records expired (7 days later): rebuilt from the purchase and its redemption.
    await forgetRequestRecord(no);
    expect(await checkout(body)).toMatchObject({ status: 200, body: res.body });

    // Same receipt number, different amount or no coupon: 409 with a code, nothing changed.
    expectError(await checkout({ ...body, amountFen: 173_000 }), 409, 'IDEMPOTENCY_KEY_REUSED');
    expectError(await checkout({ ...body, couponIds: [] }), 409, 'IDEMPOTENCY_KEY_REUSED');
    const other = await joinedMember(app.api, 'counter-checkout-other');
    const otherTicket = (await panel(await typedCode(other.token))).body.ticket;
    expectError(await checkout({ ...body, ticket: otherTicket, couponIds: [] }), 409, 'ORDER_NO_OTHER_MEMBER');
    await forgetRequestRecord(no);
    expectError(await checkout({ ...body, ticket: otherTicket, couponIds: [] }), 409, 'ORDER_NO_OTHER_MEMBER');
    expect(await app.services.models.purchases.countDocuments({ storeId: 'SH01', orderNo: no })).toBe(1);
    expect((await memberDoc(app, member.id))!.pointsBalance).toBe(1_711);
    await expectBooksBalance(app);
  });

  it('20 parallel confirmations of one receipt book one purchase and redeem the coupon once, all with the same answer', async () => {
    const { token, member } = await joinedMember(app.api, 'counter-parallel');
    const couponId = await coupon(member.id);
    const ticket = (await panel(await typedCode(token))).body.ticket;
    const no = orderNo('PAR');
    const body = { ticket, orderNo: no, amountFen: 35_600, couponIds: [couponId] };
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => checkout(body)));
    const elapsedMs = Date.now() - started;
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
    expect(answers[0]!.body).toMatchObject({ netFen: 33_600, pointsEarned: 336 });
    expect(await app.services.models.purchases.countDocuments({ storeId: 'SH01', orderNo: no })).toBe(1);
    expect(await app.services.models.redemptions.countDocuments({ couponId })).toBe(1);
    expect(await app.services.models.ledger.countDocuments({ memberId: member.id })).toBe(1);
    expect((await memberDoc(app, member.id))!.pointsBalance).toBe(336);
    expect(elapsedMs).toBeLessThan(15_000);
    await expectBooksBalance(app);
  });

  it('refuses another store’s coupon and a minimum spend the earlier coupons pushed under, without binding the receipt', async () => {
    const { token, member } = await joinedMember(app.api, 'counter-refusals');
    const bjOnly = await coupon(member.id, { title: '北京店专用', storeIds: ['BJ01'] });
    const tenOff = await coupon(member.id, { title: '8折券', type: 'discount', percentOff: 20, minSpendFen: undefined, amountOffFen: undefined });
    const cash = await coupon(member.id, { title: '满100减20' });
    const ticket = (await panel(await typedCode(token))).body.ticket;
    const no = orderNo('REF');

    const wrongStore = await checkout({ ticket, orderNo: no, amountFen: 20_000, couponIds: [bjOnly] });
    expectError(wrongStore, 422, 'WRONG_STORE');
    expect(wrongStore.body.error.details).toMatchObject({ field: 'body.couponIds.0', couponId: bjOnly });
    // ¥110 less 20 % is ¥88: the 满100 coupon applied after it no longer reaches its minimum.
    const under = await checkout({ ticket, orderNo: no, amountFen: 11_000, couponIds: [tenOff, cash] });
    expectError(under, 422, 'MIN_SPEND_NOT_MET');
    expect(under.body.error.details).toMatchObject({ field: 'body.couponIds.1', couponId: cash });
    expect(await app.services.models.coupons.countDocuments({ memberId: member.id, status: 'redeemed' })).toBe(0);
    expect(await app.services.models.purchases.countDocuments({ storeId: 'SH01', orderNo: no })).toBe(0);

    // The other way round both apply (¥110 − ¥20 = ¥90, less 20 % = ¥72), on the same receipt number.
    const ok = await checkout({ ticket, orderNo: no, amountFen: 11_000, couponIds: [cash, tenOff] });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ discountFen: 3_800, netFen: 7_200, pointsEarned: 72 });
    expect(ok.body.coupons.map((c: { couponId: string; savingFen: number }) => [c.couponId, c.savingFen])).toEqual([
      [cash, 2_000],
      [tenOff, 1_800],
    ]);
    // A used coupon on another receipt: 409.
    expectError(await checkout({ ticket, orderNo: orderNo('REF'), amountFen: 11_000, couponIds: [cash] }), 409, 'COUPON_ALREADY_USED');
    await expectBooksBalance(app);
  });

  it('takes only the server’s tickets, for this store, for 10 minutes (a booked receipt still replays after)', async () => {
    const { token, member } = await joinedMember(app.api, 'counter-ticket');
    const ticket: string = (await panel(await typedCode(token))).body.ticket;
    const no = orderNo('TKT');
    expectError(await checkout({ ticket, orderNo: no, amountFen: 5_000 }, bjClerk), 400, 'CODE_INVALID');
    const forged = ticket.replace(/^[a-f0-9]{24}/, (await joinedMember(app.api, 'counter-ticket-2')).member.id);
    expectError(await checkout({ ticket: forged, orderNo: no, amountFen: 5_000 }), 400, 'CODE_INVALID');
    expectError(await checkout({ ticket: 'nonsense', orderNo: no, amountFen: 5_000 }), 400, 'CODE_INVALID');
    expectError(await checkout({ ticket, orderNo: 'bad no!', amountFen: 5_000 }), 400, 'VALIDATION_FAILED');
    expectError(await checkout({ ticket, orderNo: no, amountFen: 0 }), 400, 'VALIDATION_FAILED');
    expectError(await checkout({ ticket, orderNo: no, amountFen: 5_000, couponIds: [member.id, member.id] }), 400, 'VALIDATION_FAILED');
    expectError(await checkout({ ticket, orderNo: no, amountFen: 5_000 }, token), 403, 'FORBIDDEN');

    const booked = await checkout({ ticket, orderNo: no, amountFen: 5_000 });
    expect(booked.status).toBe(200);
    app.clock.advance(11 * 60_000);
    try {
      expect(await checkout({ ticket, orderNo: no, amountFen: 5_000 })).toMatchObject({ status: 200, body: booked.body });
      expectError(await checkout({ ticket, orderNo: orderNo('TKT'), amountFen: 5_000 }), 400, 'CODE_INVALID');
    } finally {
      app.clock.advance(-11 * 60_000);
    }
  });

  it('an expired coupon shows why on the panel and is refused at checkout', async () => {
    const { token, member } = await joinedMember(app.api, 'counter-expired');
    const now = app.clock.now();
    const brief = await coupon(member.id, {
      title: '限时券',
      validDays: undefined,
      validFrom: new Date(now.getTime() - 3600_000).toISOString(),
      validUntil: new Date(now.getTime() + 120_000).toISOString(),
    });
    app.clock.advance(5 * 60_000);
    try {
      const opened = await panel(await typedCode(token), 20_000);
      expect(opened.body.coupons).toMatchObject([{ id: brief, refusal: 'COUPON_EXPIRED', savingFen: 0 }]);
      expectError(await checkout({ ticket: opened.body.ticket, orderNo: orderNo('EXP'), amountFen: 20_000, couponIds: [brief] }), 422, 'COUPON_EXPIRED');
    } finally {
      app.clock.advance(-5 * 60_000);
    }
  });
});
