import { createSign, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chinaTime, sealResource, signAsWechatpay } from '../src/emulator/payCrypto';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

// Paid sign-ups end to end over HTTP: our server, the emulated WeChat Pay (real RSA signatures and
// AES-256-GCM resources), and the notifications it posts back to /payments/wechat/notify.

let app: TestApp;
let hq: string;
beforeAll(async () => {
  app = await startTestApp();
  hq = await adminToken(app.api);
});
afterAll(async () => {
  await app.stop();
});

const HOUR = 3600_000;
const MINUTE = 60_000;

async function paidActivity(overrides: Record<string, unknown> = {}) {
  const now = app.clock.now().getTime();
  const res = await app.api.post(
    '/admin/activities',
    {
      title: '亲子烘焙课',
      description: '做曲奇',
      storeId: 'SH01',
      signupClosesAt: new Date(now + 24 * HOUR).toISOString(),
      startAt: new Date(now + 48 * HOUR).toISOString(),
      endAt: new Date(now + 50 * HOUR).toISOString(),
      capacity: 2,
      feeFen: 9900,
      attendancePoints: 0,
      ...overrides,
    },
    hq,
  );
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

const payment = (signupId: string) => app.services.models.payments.findOne({ 'purpose.id': signupId }).lean();
const signup = (signupId: string) => app.services.models.signups.findById(signupId).lean();
const prepayIdOf = (params: { package: string }) => params.package.replace('prepay_id=', '');
const payAtEmulator = (params: Record<string, unknown>, deliver = true) =>
  app.api.post(`/__emulator/pay/${prepayIdOf(params as { package: string })}${deliver ? '' : '?deliver=false'}`, params);
/** The shopper pays; WeChat Pay's notification follows asynchronously, so wait until the seat is confirmed. */
async function payAndAwaitConfirmation(signupId: string, params: Record<string, unknown>) {
  const paid = await payAtEmulator(params);
  expect(paid.status).toBe(200);
  await waitFor(async () => (await signup(signupId))?.status === 'confirmed');
  return paid;
}

/** A notification as WeChat Pay would post it, signed with `signingKeyPem` (the platform key unless forging). */
function postNotification(
  resource: Record<string, unknown>,
  kind: 'transaction' | 'refund' = 'transaction',
  signingKeyPem = app.emulator!.keys.platformPrivateKeyPem,
) {
  const keys = app.emulator!.keys;
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: chinaTime(),
    resource_type: 'encrypt-resource',
    event_type: kind === 'transaction' ? 'TRANSACTION.SUCCESS' : 'REFUND.SUCCESS',
    summary: kind === 'transaction' ? '支付成功' : '退款成功',
    resource: { original_type: kind, ...sealResource(JSON.stringify(resource), keys.apiV3Key, kind) },
  });
  return app.api.request('POST', '/payments/wechat/notify', {
    rawBody: body,
    headers: { 'content-type': 'application/json', ...signAsWechatpay(body, signingKeyPem, keys.platformSerialNo) },
  });
}

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('paid sign-up through WeChat Pay', () => {
  it('prepay → the shopper pays at the emulator → signed notification → confirmed; a replayed notification changes nothing', async () => {
    const activity = await paidActivity();
    const { token, member } = await joinedMember(app.api, 'pay-flow');
    const res = await app.api.post(`/activities/${activity.id}/signups`, {}, token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending_payment', payment: { signType: 'RSA', package: expect.stringMatching(/^prepay_id=wx/) } });
    expect(Date.parse(res.body.paymentDueAt) - app.clock.now().getTime()).toBeGreaterThan(14 * MINUTE);
    const stored = await payment(res.body.id);
    expect(stored).toMatchObject({ status: 'pending', amountFen: 9900, openid: 'emu_pay-flow', memberId: expect.anything() });
    expect(String(stored!.memberId)).toBe(member.id);

    // The emulator checks paySign against the merchant certificate as the WeChat app would.
    // The pay tap answers before WeChat Pay notifies; the seat is confirmed once the notification arrives.
    const paid = await payAtEmulator(res.body.payment);
    expect(paid.status).toBe(200);
    expect(paid.body.notification).toMatchObject({ delivered: false, attempts: [] });
    await waitFor(async () => (await signup(res.body.id))?.status === 'confirmed');
    const delivery = await waitFor(async () => {
      const found = (await app.api.get(`/__emulator/notifications?out_trade_no=${paid.body.transaction.out_trade_no}`)).body.deliveries[0];
      return found?.delivered ? found : null;
    });
    expect(delivery.attempts).toEqual([expect.objectContaining({ status: 204 })]);
    const settled = await payment(res.body.id);
    expect(settled).toMatchObject({ status: 'paid', transactionId: paid.body.transaction.transaction_id });
    expect((await app.api.get('/me/signups', token)).body.items[0]).toMatchObject({ id: res.body.id, status: 'confirmed' });
    expect((await app.api.get(`/activities/${activity.id}`)).body).toMatchObject({ confirmedCount: 1, pendingPaymentCount: 0, seatsLeft: 1 });

    // WeChat Pay repeats notifications until answered 2xx: the same transaction again, even in parallel, is a no-op.
    const replays = await Promise.all([0, 1, 2].map(() => postNotification(paid.body.transaction)));
    expect(replays.map((r) => r.status)).toEqual([204, 204, 204]);
    const after = await payment(res.body.id);
    expect(after).toMatchObject({ status: 'paid', paidAt: settled!.paidAt, notificationIds: settled!.notificationIds });
    expect((await signup(res.body.id))!.status).toBe('confirmed');
    expect(await app.services.activities.paidSeatMismatches()).toEqual([]);
  });

  it('refuses a forged signature, an unknown order and a wrong amount with {code: FAIL}, state unchanged', async () => {
    const activity = await paidActivity();
    const { token } = await joinedMember(app.api, 'pay-forged');
    const res = await app.api.post(`/activities/${activity.id}/signups`, {}, token);
    const outTradeNo = (await payment(res.body.id))!.outTradeNo;
    const transaction = {
      appid: 'wxtest000000000001',
      mchid: '1900000001',
      out_trade_no: outTradeNo,
      transaction_id: '4200000000000000000000000001',
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      success_time: chinaTime(),
      payer: { openid: 'emu_pay-forged' },
      amount: { total: 9900, payer_total: 9900, currency: 'CNY', payer_currency: 'CNY' },
    };
    const forgerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forged = await postNotification(transaction, 'transaction', forgerKey);
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ code: 'FAIL', message: expect.stringContaining('bad_signature') });

    const unknown = await postNotification({ ...transaction, out_trade_no: 'SU000000000000000000000000' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'FAIL']);
    const wrongAmount = await postNotification({ ...transaction, amount: { ...transaction.amount, total: 1 } });
    expect([wrongAmount.status, wrongAmount.body.code]).toEqual([400, 'FAIL']);
    const wrongMerchant = await postNotification({ ...transaction, mchid: '1900000999' });
    expect(wrongMerchant.status).toBe(400);
    const garbage = await app.api.request('POST', '/payments/wechat/notify', { rawBody: '{"id":"x"}', headers: { 'content-type': 'application/json' } });
    expect([garbage.status, garbage.body.code]).toEqual([401, 'FAIL']);

    expect(await payment(res.body.id)).toMatchObject({ status: 'pending', transactionId: null });
    expect((await signup(res.body.id))!.status).toBe('pending_payment');
  });
});

describe('jobs: held seats and missing notifications', () => {
  it('a hold unpaid after 15 minutes is closed at WeChat Pay and the seat goes to the waitlist', async () => {
    const activity = await paidActivity({ capacity: 1 });
    const a = await joinedMember(app.api, 'hold-a');
    const b = await joinedMember(app.api, 'hold-b');
    const held = (await app.api.post(`/activities/${activity.id}/signups`, {}, a.token)).body;
    const waiting = (await app.api.post(`/activities/${activity.id}/signups`, {}, b.token)).body;
    expect([held.status, waiting.status]).toEqual(['pending_payment', 'waitlisted']);

    expect((await app.services.activities.releaseExpiredHolds()).processed).toBe(0);
    app.clock.advance(16 * MINUTE);
    // (The earlier test's unpaid hold is released too.)
    expect((await app.services.activities.releaseExpiredHolds()).processed).toBeGreaterThanOrEqual(1);
    expect((await app.services.activities.releaseExpiredHolds()).processed).toBe(0);

    expect(await signup(held.id)).toMatchObject({ status: 'cancelled', cancelReason: 'payment_timeout' });
    expect((await payment(held.id))!.status).toBe('closed');
    // Too late to pay: the order is closed at WeChat Pay.
    expect((await payAtEmulator(held.payment)).body.code).toBe('ORDERCLOSED');

    const promoted = (await app.api.get('/me/signups', b.token)).body.items[0];
    expect(promoted).toMatchObject({ id: waiting.id, status: 'pending_payment', payment: { signType: 'RSA' } });
    await payAndAwaitConfirmation(waiting.id, promoted.payment);
    expect((await app.api.get(`/activities/${activity.id}`)).body).toMatchObject({ confirmedCount: 1, waitlistCount: 0, seatsLeft: 0 });
  });

  it('when the notification never comes, the settling job queries the order and confirms the seat', async () => {
    const activity = await paidActivity();
    const { token } = await joinedMember(app.api, 'pay-silent');
    const res = await app.api.post(`/activities/${activity.id}/signups`, {}, token);
    expect((await payAtEmulator(res.body.payment, false)).body.notification).toBeNull();
    expect((await signup(res.body.id))!.status).toBe('pending_payment');
    expect(await app.services.payments.reconcile()).toEqual([expect.stringContaining('provider says SUCCESS')]);

    await app.services.payments.settleStalePayments();
    expect((await signup(res.body.id))!.status).toBe('pending_payment'); // not stale yet
    app.clock.advance(3 * MINUTE);
    expect((await app.services.payments.settleStalePayments()).processed).toBe(1);
    expect((await signup(res.body.id))!.status).toBe('confirmed');
    expect((await payment(res.body.id))!.status).toBe('paid');
    expect(await app.services.payments.reconcile()).toEqual([]);
  });
});

describe('refunds', () => {
  it('a member cancelling a paid seat is refunded (refund notification settles it) and the waitlist moves up', async () => {
    const activity = await paidActivity({ capacity: 1 });
    const a = await joinedMember(app.api, 'refund-a');
    const b = await joinedMember(app.api, 'refund-b');
    const seat = (await app.api.post(`/activities/${activity.id}/signups`, {}, a.token)).body;
    await payAndAwaitConfirmation(seat.id, seat.payment);
    const waiting = (await app.api.post(`/activities/${activity.id}/signups`, {}, b.token)).body;
    expect(waiting.status).toBe('waitlisted');

    const cancelled = await app.api.delete(`/activities/${activity.id}/signups/me`, a.token);
    expect(cancelled.body.status).toBe('cancelled');
    // Refunding at once; WeChat Pay's REFUND.SUCCESS (a moment later, time compressed in tests) settles it.
    expect(['refunding', 'refunded']).toContain((await payment(seat.id))!.status);
    const refunded = await waitFor(async () => {
      const doc = await payment(seat.id);
      return doc?.status === 'refunded' ? doc : null;
    });
    expect(refunded.refund).toMatchObject({ providerStatus: 'SUCCESS', refundId: expect.stringMatching(/^5030/) });
    const deliveries = (await app.api.get(`/__emulator/notifications?out_trade_no=${refunded.outTradeNo}`)).body.deliveries;
    expect(deliveries.find((d: { eventType: string }) => d.eventType === 'REFUND.SUCCESS')).toMatchObject({ delivered: true });
    expect((await signup(waiting.id))!.status).toBe('pending_payment');
    expect(await app.services.activities.paidSeatMismatches()).toEqual([]);
    // WeChat Pay shows the reason to the shopper: it goes out in Chinese.
    expect(app.emulator!.store.state.refunds[refunded.outRefundNo]!.reason).toBe('会员取消报名退款');
  });

  it('HQ cancelling the activity refunds every paid seat, closes unpaid orders and records a notice per member', async () => {
    const activity = await paidActivity({ capacity: 3 });
    const members = await Promise.all(['hq-r1', 'hq-r2', 'hq-r3'].map((n) => joinedMember(app.api, n)));
    const signups: Array<{ id: string; payment: Record<string, unknown> }> = [];
    for (const m of members) signups.push((await app.api.post(`/activities/${activity.id}/signups`, {}, m.token)).body);
    await payAndAwaitConfirmation(signups[0].id, signups[0].payment);
    await payAndAwaitConfirmation(signups[1].id, signups[1].payment);

    const cancelled = await app.api.post(`/admin/activities/${activity.id}/cancel`, undefined, hq);
    expect(cancelled.body.status).toBe('cancelled');
    await waitFor(async () => {
      const docs = await Promise.all(signups.map((s) => payment(s.id)));
      return docs.map((d) => d!.status).join() === 'refunded,refunded,closed';
    });
    for (const s of signups) expect((await signup(s.id))!.status).toBe('cancelled');
    expect(await app.services.models.signupNotifications.countDocuments({ activityId: activity.id, kind: 'activity_cancelled' })).toBe(3);
    expect((await payAtEmulator(signups[2].payment)).body.code).toBe('ORDERCLOSED');
    expect(await app.services.models.audit.countDocuments({ action: 'activity.cancel', targetId: activity.id })).toBe(1);
    expect(await app.services.payments.reconcile()).toEqual([]);
    const refundedSeat = (await payment(signups[0].id))!;
    expect(app.emulator!.store.state.refunds[refundedSeat.outRefundNo]!.reason).toBe('活动取消退款');
  });

  it('a refund WeChat Pay ends ABNORMAL or CLOSED raises an alert HQ sees in the console list and resolves once (audited)', async () => {
    const activity = await paidActivity({ capacity: 2 });
    const members = await Promise.all(['alert-a', 'alert-b'].map((n) => joinedMember(app.api, n)));
    const seats: Array<{ id: string; payment: Record<string, unknown> }> = [];
    for (const m of members) seats.push((await app.api.post(`/activities/${activity.id}/signups`, {}, m.token)).body);
    for (const seat of seats) await payAndAwaitConfirmation(seat.id, seat.payment);
    const [abnormal, closed] = await Promise.all(seats.map(async (seat) => (await payment(seat.id))!));
    // The shopper's bank card refuses the money (ABNORMAL); the other refund is closed by WeChat Pay.
    expect((await app.api.post('/__emulator/refunds/outcome', { out_trade_no: abnormal!.outTradeNo, status: 'ABNORMAL' })).status).toBe(204);
    expect((await app.api.post('/__emulator/refunds/outcome', { out_trade_no: closed!.outTradeNo, status: 'CLOSED' })).status).toBe(204);

    expect((await app.api.post(`/admin/activities/${activity.id}/cancel`, undefined, hq)).status).toBe(200);
    await waitFor(async () => (await Promise.all(seats.map((seat) => payment(seat.id)))).every((doc) => doc!.status === 'refund_failed'));
    expect(await payment(seats[0]!.id)).toMatchObject({ refund: { providerStatus: 'ABNORMAL' }, alert: { kind: 'refund_abnormal', resolvedAt: null } });
    expect(await payment(seats[1]!.id)).toMatchObject({ refund: { providerStatus: 'CLOSED' }, alert: { kind: 'refund_closed', resolvedAt: null } });

    const list = await app.api.get('/admin/payments/alerts', hq);
    expect(list.status).toBe(200);
    const mine = list.body.items.filter((item: { activityId: string }) => item.activityId === activity.id);
    expect(mine.map((item: { kind: string }) => item.kind).sort()).toEqual(['refund_abnormal', 'refund_closed']);
    expect(mine[0]).toMatchObject({ amountFen: 9900, reason: 'activity cancelled', outRefundNo: expect.stringMatching(/^RF/), refundId: expect.stringMatching(/^5030/) });
    // Only HQ sees or settles them.
    expect((await app.api.get('/admin/payments/alerts', await staffToken(app.api, 'sh01-manager'))).status).toBe(403);
    expect((await app.api.get('/admin/payments/alerts')).status).toBe(401);

    const alertId = mine.find((item: { kind: string }) => item.kind === 'refund_abnormal').id;
    const note = { note: '已在商户平台退至用户银行卡' };
    const results = await Promise.all([0, 1, 2].map(() => app.api.post(`/admin/payments/alerts/${alertId}/resolve`, note, hq)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 404, 404]);
    expect((await app.api.post(`/admin/payments/alerts/${alertId}/resolve`, { note: '' }, hq)).status).toBe(400);
    expect(await app.services.models.audit.countDocuments({ action: 'payment.alert.resolve', targetId: alertId })).toBe(1);
    const after = (await app.api.get('/admin/payments/alerts', hq)).body.items.filter((item: { activityId: string }) => item.activityId === activity.id);
    expect(after.map((item: { kind: string }) => item.kind)).toEqual(['refund_closed']);
    // A repeated REFUND.ABNORMAL notification changes nothing.
    const deliveries = (await app.api.get(`/__emulator/notifications?out_trade_no=${abnormal!.outTradeNo}`)).body.deliveries;
    expect(deliveries.find((d: { eventType: string }) => d.eventType === 'REFUND.ABNORMAL')).toMatchObject({ delivered: true });
  });
});

describe('notification checks', () => {
  async function unpaidSeat(nickname: string) {
    const activity = await paidActivity();
    const { token } = await joinedMember(app.api, nickname);
    const res = await app.api.post(`/activities/${activity.id}/signups`, {}, token);
    const outTradeNo = (await payment(res.body.id))!.outTradeNo;
    const transaction = {
      appid: 'wxtest000000000001', mchid: '1900000001', out_trade_no: outTradeNo, transaction_id: '4200000000000000000000000002',
      trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', success_time: chinaTime(),
      payer: { openid: `emu_${nickname}` }, amount: { total: 9900, payer_total: 9900, currency: 'CNY', payer_currency: 'CNY' },
    };
    return { signupId: res.body.id as string, transaction };
  }

  function genuineNotification(resource: Record<string, unknown>) {
    const keys = app.emulator!.keys;
    const body = JSON.stringify({
      id: randomUUID(), create_time: chinaTime(), resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',
      resource: { original_type: 'transaction', ...sealResource(JSON.stringify(resource), keys.apiV3Key, 'transaction') },
    });
    return { body, headers: { 'content-type': 'application/json', ...signAsWechatpay(body, keys.platformPrivateKeyPem, keys.platformSerialNo) } as Record<string, string> };
  }

  const send = (body: string, headers: Record<string, string>) => app.api.request('POST', '/payments/wechat/notify', { rawBody: body, headers });

  it('refuses a Wechatpay-Timestamp that is not a number (it would skip the age check) and acts on nothing', async () => {
    const { signupId, transaction } = await unpaidSeat('ts-check');
    const { body, headers } = genuineNotification(transaction);
    for (const timestamp of ['abc', '', '1e9', `${headers['Wechatpay-Timestamp']}.5`, ' 1700000000', 'NaN', '0x65']) {
      // Re-signed over the odd timestamp, so only the timestamp rule can refuse it.
      const nonce = headers['Wechatpay-Nonce']!;
      const signature = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`).sign(app.emulator!.keys.platformPrivateKeyPem, 'base64');
      const res = await send(body, { ...headers, 'Wechatpay-Timestamp': timestamp, 'Wechatpay-Signature': signature });
      expect([timestamp, res.status, res.body.code]).toEqual([timestamp, 401, 'FAIL']);
      if (timestamp) expect(res.body.message).toContain('bad_timestamp');
    }
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    const staleSignature = createSign('RSA-SHA256').update(`${stale}\n${headers['Wechatpay-Nonce']}\n${body}\n`).sign(app.emulator!.keys.platformPrivateKeyPem, 'base64');
    expect((await send(body, { ...headers, 'Wechatpay-Timestamp': stale, 'Wechatpay-Signature': staleSignature })).body.message).toContain('bad_timestamp');
    expect(await payment(signupId)).toMatchObject({ status: 'pending', transactionId: null });
    // The same notification with its genuine headers is applied.
    expect((await send(body, headers)).status).toBe(204);
    expect((await signup(signupId))!.status).toBe('confirmed');
  });

  it('refuses a WECHATPAY/SIGNTEST/ probe with 4xx and does not act on it', async () => {
    const { signupId, transaction } = await unpaidSeat('probe-check');
    const { body, headers } = genuineNotification(transaction);
    const probe = await send(body, { ...headers, 'Wechatpay-Signature': `WECHATPAY/SIGNTEST/${randomBytes(256).toString('base64')}` });
    expect([probe.status, probe.body.code]).toEqual([401, 'FAIL']);
    expect(probe.body.message).toContain('signtest_probe');
    expect(await payment(signupId)).toMatchObject({ status: 'pending', transactionId: null });
    expect((await signup(signupId))!.status).toBe('pending_payment');
  });
});
