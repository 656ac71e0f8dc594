import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { chinaTime, sealResource, signAsWechatpay } from '../src/emulator/payCrypto';
import { inTransaction } from '../src/lib/transactions';
import { reconcileStoredValue } from '../src/modules/stored-value/reconcile';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

// Stored-value top-ups end to end over HTTP: HQ's rule, the shopper's order, WeChat Pay (the emulator, real
// signatures) and its notification crediting principal + bonus once; the caps under parallel orders; the
// refund of unspent principal to the payment and the erasure refused until then; the books after it all.

let app: TestApp;
let hq: string;

beforeAll(async () => {
  app = await startTestApp();
  hq = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const key = () => ({ 'Idempotency-Key': randomUUID() });
const prepayIdOf = (params: { package: string }) => params.package.replace('prepay_id=', '');

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A notification as WeChat Pay posts it, signed with `signingKeyPem` (the platform's key unless forging). */
function postNotification(resource: Record<string, unknown>, signingKeyPem = app.emulator!.keys.platformPrivateKeyPem) {
  const keys = app.emulator!.keys;
  const body = JSON.stringify({
    id: randomUUID(), create_time: chinaTime(), resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',
    resource: { original_type: 'transaction', ...sealResource(JSON.stringify(resource), keys.apiV3Key, 'transaction') },
  });
  return app.api.request('POST', '/payments/wechat/notify', { rawBody: body, headers: { 'content-type': 'application/json', ...signAsWechatpay(body, signingKeyPem, keys.platformSerialNo) } });
}

async function rule(body: Record<string, unknown>): Promise<string> {
  const res = await app.api.post('/admin/stored-value/topup-rules', body, hq);
  expect(res.status).toBe(201);
  return res.body.id;
}

async function topUpAndPay(token: string, ruleId: string, amountFen?: number) {
  const res = await app.api.post('/me/stored-value/topups', { ruleId, ...(amountFen ? { amountFen } : {}) }, token, key());
  expect(res.status).toBe(201);
  const paid = await app.api.post(`/__emulator/pay/${prepayIdOf(res.body.payment)}`, res.body.payment);
  expect(paid.status).toBe(200);
  await waitFor(async () => (await app.api.get(`/me/stored-value/topups/${res.body.id}`, token)).body.status === 'paid');
  return { topup: res.body, transaction: paid.body.transaction as Record<string, unknown> };
}

async function expectBooksClean(): Promise<void> {
  const { breaks } = await reconcileStoredValue(app.services);
  expect(breaks).toEqual([]);
}

describe('top-up through WeChat Pay', () => {
  let ruleId: string;
  beforeAll(async () => {
    ruleId = await rule({ title: '充500送50', kind: 'fixed', amountFen: 50_000, bonusFen: 5_000, bonusPoints: 100 });
  });

  it('credits principal, bonus and bonus points once; 20 replays of the notification and a forged one change nothing', async () => {
    const { token, member } = await joinedMember(app.api, 'sv-topup');
    const offers = (await app.api.get('/me/stored-value', token)).body;
    expect(offers).toMatchObject({ balance: { principalFen: 0, bonusFen: 0, totalFen: 0 }, enabled: true, topupRoomFen: 500_000 });
    expect(offers.offers).toEqual(expect.arrayContaining([expect.objectContaining({ id: ruleId, title: '充500送50', amountFen: 50_000, bonusFen: 5_000 })]));

    const { topup, transaction } = await topUpAndPay(token, ruleId);
    expect(topup).toMatchObject({ amountFen: 50_000, bonusFen: 5_000, storeId: 'SH01', status: 'pending' });
    const replays = await Promise.all(Array.from({ length: 20 }, () => postNotification(transaction)));
    expect(replays.map((r) => r.status)).toEqual(Array(20).fill(204));
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forged = await postNotification({ ...transaction, amount: { total: 50_000, payer_total: 50_000, currency: 'CNY', payer_currency: 'CNY' } }, forger);
    expect(forged.status).toBe(401);

    const mine = (await app.api.get('/me/stored-value', token)).body;
    expect(mine.balance).toEqual({ principalFen: 50_000, bonusFen: 5_000, totalFen: 55_000 });
    const entries = (await app.api.get('/me/stored-value/entries', token)).body.items;
    expect(entries.map((e: { kind: string }) => e.kind).sort()).toEqual(['topup', 'topup_bonus']);
    expect(entries[0]).toMatchObject({ storeId: 'SH01', storeName: '上海静安店' });
    const points = (await app.api.get('/me/points/ledger', token)).body.items;
    expect(points.filter((e: { reason: string }) => e.reason.startsWith('充值赠送积分'))).toHaveLength(1);
    const admin = (await app.api.get(`/admin/members/${member.id}/stored-value`, hq)).body;
    expect(admin.balance.totalFen).toBe(55_000);
    await expectBooksClean();
  });

  it('keeps parallel orders under the day’s cap: 8 × ¥300 against ¥1,000 → 3 orders, the rest 422 STORED_VALUE_CAP_EXCEEDED', async () => {
    expect((await app.api.request('PUT', '/admin/stored-value/settings', { body: { dailyTopupCapFen: 100_000 }, token: hq })).status).toBe(200);
    const rangeId = await rule({ title: '自选金额', kind: 'range', minFen: 100, maxFen: 200_000 });
    const { token, member } = await joinedMember(app.api, 'sv-caps');
    const orders = await Promise.all(Array.from({ length: 8 }, () => app.api.post('/me/stored-value/topups', { ruleId: rangeId, amountFen: 30_000 }, token, key())));
    const statuses = orders.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 422, 422, 422, 422, 422]);
    for (const refused of orders.filter((r) => r.status === 422)) {
      expect(refused.body.error).toMatchObject({ code: 'STORED_VALUE_CAP_EXCEEDED', details: { cap: 'daily', leftFen: 10_000 } });
    }
    const account = await app.services.models.storedValueAccounts.findById(member.id).lean();
    expect(account).toMatchObject({ topupDayFen: 90_000, pendingFen: 90_000 });
    // Out of range, unknown rule: clear refusals.
    expect((await app.api.post('/me/stored-value/topups', { ruleId: rangeId, amountFen: 50 }, token, key())).body.error.code).toBe('TOPUP_RULE_UNAVAILABLE');
    expect((await app.api.post('/me/stored-value/topups', { ruleId: '0123456789abcdef01234567' }, token, key())).status).toBe(404);
    // Unpaid orders past 15 minutes are closed and give their room back.
    app.clock.advance(16 * 60_000);
    await app.services.storedValueTopups.closeExpired();
    expect(await app.services.models.storedValueAccounts.findById(member.id).lean()).toMatchObject({ topupDayFen: 0, pendingFen: 0 });
    expect((await app.api.get('/me/stored-value', token)).body.topupRoomFen).toBe(100_000);
    await app.api.request('PUT', '/admin/stored-value/settings', { body: { dailyTopupCapFen: 500_000 }, token: hq });
    await expectBooksClean();
  });

  it('refunds unspent principal to the payment after HQ approves, forfeits the bonus, and refuses erasure until then', async () => {
    const { token, member } = await joinedMember(app.api, 'sv-refund');
    await topUpAndPay(token, ruleId);
    // A charge of ¥120 paid from principal, through the ledger as the counter does.
    await inTransaction(app.connection, undefined, (session) =>
      app.services.storedValueLedger.apply(session, { memberId: member.id, kind: 'charge', principalDelta: -12_000, bonusDelta: 0, storeId: 'SH01', reason: '储值消费', idempotencyKey: `test-charge:${member.id}`, actor: 'system' }),
    );

    const erase = await app.api.delete('/me', token);
    expect(erase.status).toBe(422);
    expect(erase.body.error).toMatchObject({ code: 'STORED_VALUE_HELD', message: expect.stringContaining('¥380.00') });
    expect(erase.body.error.message).toContain('申请退还余额');

    const clerk = await staffToken(app.api, 'sh01-clerk');
    const requested = await app.api.post('/me/stored-value/refund-requests', { reason: '搬家了' }, token, key());
    expect(requested.status).toBe(201);
    expect((await app.api.post('/me/stored-value/refund-requests', {}, token, key())).status).toBe(409);
    expect((await app.api.post(`/admin/stored-value/refund-requests/${requested.body.id}/approve`, {}, clerk, key())).status).toBe(403);

    // HQ approves twice at once: one approval, one 409.
    const approvals = await Promise.all([0, 1].map(() => app.api.post(`/admin/stored-value/refund-requests/${requested.body.id}/approve`, { note: '同意' }, hq, key())));
    expect(approvals.map((r) => r.status).sort()).toEqual([200, 409]);
    const approved = approvals.find((r) => r.status === 200)!.body;
    expect(approved).toMatchObject({ principalFen: 38_000, bonusForfeitFen: 5_000, parts: [expect.objectContaining({ amountFen: 38_000 })] });
    await waitFor(async () => (await app.api.get('/me/stored-value', token)).body.refundRequest === null);
    const payment = await app.services.models.payments.findOne({ outTradeNo: approved.parts[0].outTradeNo }).lean();
    expect(payment).toMatchObject({ status: 'refunded', refund: { amountFen: 38_000 } });
    expect((await app.api.get('/me/stored-value', token)).body.balance).toEqual({ principalFen: 0, bonusFen: 0, totalFen: 0 });
    const audit = await app.services.models.audit.findOne({ action: 'stored_value.refund_request.approve', targetId: member.id }).lean();
    expect(audit).toBeTruthy();
    await expectBooksClean();

    expect((await app.api.delete('/me', token)).status).toBe(204);
  });
});
