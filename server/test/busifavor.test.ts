import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chinaTime, sealResource } from '../src/emulator/payCrypto';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

// WeChat Pay merchant coupons (商家券) against the emulator: stock, plugin send, use through WeChat Pay vs at our
// counter, the outbox and its retry, replayed and forged events.

let app: TestApp;
let admin: string;
let clerk: string;
let manager: string;

beforeAll(async () => {
  // Duplicates and SIGNTEST probes off here: the replay is sent on purpose below, so counts are exact.
  app = await startTestApp({ emulator: { duplicateRate: 0, signatureProbeRate: 0 } });
  [admin, clerk, manager] = await Promise.all([adminToken(app.api), staffToken(app.api, 'sh01-clerk'), staffToken(app.api, 'sh01-manager')]);
}, 60_000);
afterAll(async () => {
  await app.stop();
}, 30_000);

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let grants = 0;
/** A template in WeChat wallets and a member holding one of its coupons, sent into their wallet through the plugin. */
async function couponInWallet(nickname: string, templateId?: string) {
  if (!templateId) {
    const template = await app.api.post('/admin/coupon-templates', { title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 100, perMemberLimit: 3 }, admin);
    expect(template.status).toBe(201);
    templateId = template.body.id as string;
    const on = await app.api.request('PUT', `/admin/coupon-templates/${templateId}/wechat-wallet`, { body: { enabled: true }, token: admin });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ enabled: true, stockStatus: 'synced', stockId: expect.any(String) });
  }
  const { token, member } = await joinedMember(app.api, nickname);
  const granted = await app.api.post(`/admin/coupon-templates/${templateId}/grants`, { memberId: member.id }, admin, { 'Idempotency-Key': `bf-grant-${++grants}` });
  expect(granted.status).toBe(201);
  const couponId = granted.body.id as string;
  const offer = await app.api.get(`/me/coupons/${couponId}/wechat-wallet`, token);
  expect(offer.status).toBe(200);
  expect(offer.body.plugin.send_coupon_params).toEqual([expect.objectContaining({ coupon_code: couponId })]);
  // The member taps 添加到微信卡包: the emulated plugin checks the v2 signature and WeChat confirms with COUPON.SEND.
  const sent = await app.api.post('/__emulator/busifavor/plugin/send', { openid: `emu_${nickname}`, ...offer.body.plugin });
  expect(sent.body.send_coupon_result).toEqual([expect.objectContaining({ code: 'SUCCESS', coupon_code: couponId })]);
  await until(() => app.services.models.walletCoupons.findById(couponId).lean(), (r) => r?.state === 'in_wallet', 'COUPON.SEND');
  return { templateId, token, couponId, openid: `emu_${nickname}` };
}

async function counterScan(token: string, couponId: string, orderNo: string) {
  const code = (await app.api.get(`/me/coupons/${couponId}/code`, token)).body.code;
  return app.api.post('/staff/redemptions', { code, orderNo, orderAmountFen: 15_000 }, clerk);
}

async function emulatedCoupon(openid: string, couponId: string) {
  const wallet = await app.api.get(`/__emulator/busifavor/wallet?openid=${openid}`);
  return wallet.body.coupons.find((c: { coupon_code: string }) => c.coupon_code === couponId);
}

it('a coupon used through WeChat Pay and scanned at our counter at the same moment is redeemed once; a replayed event changes nothing', async () => {
  const { templateId, token, couponId, openid } = await couponInWallet('bf-race');
  const [paid, scanned] = await Promise.all([app.api.post('/__emulator/busifavor/pay', { openid, coupon_code: couponId }), counterScan(token, couponId, 'BF-RACE-1')]);
  expect(paid.status).toBe(200);
  expect([201, 409]).toContain(scanned.status);
  const record = await until(() => app.services.models.walletCoupons.findById(couponId).lean(), (r) => r?.state === 'used', 'the use to settle');
  const redemptions = await app.services.models.redemptions.find({ couponId, status: 'redeemed' }).lean();
  expect(redemptions).toHaveLength(1);
  expect((await app.services.models.coupons.findById(couponId).lean())?.status).toBe('redeemed');
  // Whichever won, the other path is recorded for what it is.
  if (scanned.status === 201) expect(record).toMatchObject({ usedVia: 'counter', conflict: expect.stringContaining('counter') });
  else expect(record).toMatchObject({ usedVia: 'wechat_pay', conflict: null });

  // WeChat sends the event again (freshly signed): answered 2xx, still one redemption.
  const replay = await app.api.post(`/__emulator/busifavor/notifications/${paid.body.notificationId}/redeliver`, {});
  expect(replay.body.status).toBe(204);
  expect(await app.services.models.redemptions.countDocuments({ couponId, status: 'redeemed' })).toBe(1);
  // Nothing is told to WeChat about a coupon WeChat itself used.
  await app.services.walletCoupons.runSync();
  expect((await app.services.models.walletCoupons.findById(couponId).lean())?.op).toBeNull();

  const status = await app.api.get(`/admin/coupon-templates/${templateId}/wechat-wallet`, admin);
  expect(status.body.usedViaWechatPay + status.body.usedAtCounter).toBe(1);
});

it('only through WeChat Pay: the event redeems our coupon in the ledger, as WeChat Pay', async () => {
  const { templateId, couponId, openid } = await couponInWallet('bf-paid');
  const paid = await app.api.post('/__emulator/busifavor/pay', { openid, coupon_code: couponId });
  await until(() => app.services.models.redemptions.findOne({ couponId }).lean(), (r) => r !== null, 'the redemption');
  const redemption = await app.services.models.redemptions.findOne({ couponId }).lean();
  expect(redemption).toMatchObject({ storeId: 'WECHAT_PAY', orderNo: paid.body.coupon.transaction_id, status: 'redeemed' });
  const status = (await app.api.get(`/admin/coupon-templates/${templateId}/wechat-wallet`, admin)).body;
  expect(status).toMatchObject({ inWallet: 0, usedViaWechatPay: 1, usedAtCounter: 0, failureCount: 0 });
});

it('a counter redemption whose use call WeChat refuses shows as a sync failure; HQ’s retry completes it; a reversal returns it in WeChat', async () => {
  const { templateId, token, couponId, openid } = await couponInWallet('bf-sync');
  const scanned = await counterScan(token, couponId, 'BF-SYNC-1');
  expect(scanned.status).toBe(201);
  await app.api.post('/__emulator/busifavor/failures', { api: 'use', count: 1, status: 500, code: 'SYSTEM_ERROR', message: '系统繁忙' });
  await app.services.walletCoupons.runSync();
  const failed = (await app.api.get(`/admin/coupon-templates/${templateId}/wechat-wallet`, admin)).body;
  expect(failed).toMatchObject({ usedAtCounter: 1, failureCount: 1, failures: [expect.objectContaining({ couponId, kind: 'use', attempts: 1, lastError: expect.stringContaining('SYSTEM_ERROR') })] });
  expect((await emulatedCoupon(openid, couponId)).state).toBe('SENDED');

  const retried = await app.api.post(`/admin/coupon-templates/${templateId}/wechat-wallet/retry`, {}, admin);
  expect(retried.status).toBe(200);
  expect(retried.body).toMatchObject({ failureCount: 0, pendingCount: 0 });
  expect((await emulatedCoupon(openid, couponId)).state).toBe('USED');

  // A manager reverses the counter redemption: the coupon is usable again here, so WeChat returns it too.
  const reversed = await app.api.post(`/staff/redemptions/${scanned.body.id}/reversal`, { reason: '顾客退货' }, manager);
  expect(reversed.status).toBe(200);
  await app.services.walletCoupons.runSync();
  expect((await emulatedCoupon(openid, couponId)).state).toBe('SENDED');
  expect((await app.services.models.walletCoupons.findById(couponId).lean())?.state).toBe('in_wallet');
});

it('a forged or tampered event is refused 401 and changes nothing; a refusal by the plugin is kept with its reason', async () => {
  const { token, couponId, openid } = await couponInWallet('bf-forged');
  const record = (await app.services.models.walletCoupons.findById(couponId).lean())!;
  const resource = { event_type: 'COUPON.USE', coupon_code: couponId, stock_id: record.stockId, openid, use_time: chinaTime(), transaction_id: '4200000000000000000000000001' };
  // Encrypted with the real APIv3 key, so only the signature stands between it and a redemption.
  const body = JSON.stringify({ id: 'forged-1', create_time: chinaTime(), resource_type: 'encrypt-resource', event_type: 'COUPON.USE', summary: '商家券核销通知', resource: { original_type: 'coupon', ...sealResource(JSON.stringify(resource), app.emulator!.keys.apiV3Key, 'coupon') } });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const headers = {
    'Content-Type': 'application/json', 'Wechatpay-Timestamp': timestamp, 'Wechatpay-Nonce': nonce, 'Wechatpay-Serial': app.emulator!.keys.platformSerialNo,
    'Wechatpay-Signature': createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`).sign(privateKey, 'base64'), 'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
  };
  const forged = await app.api.request('POST', '/wechat-wallet/busifavor/notify', { rawBody: body, headers });
  expect(forged.status).toBe(401);
  expect(forged.body.code).toBe('FAIL');
  // A genuine signature over other bytes: the tampered body does not verify either.
  const genuine = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`).sign(app.emulator!.keys.platformPrivateKeyPem, 'base64');
  const tampered = await app.api.request('POST', '/wechat-wallet/busifavor/notify', { rawBody: body.replace('forged-1', 'forged-2'), headers: { ...headers, 'Wechatpay-Signature': genuine } });
  expect(tampered.status).toBe(401);
  expect(await app.services.models.redemptions.countDocuments({ couponId })).toBe(0);
  expect((await app.services.models.walletCoupons.findById(couponId).lean())?.state).toBe('in_wallet');

  // The plugin's refusal of another coupon: ours stands, the member reads why.
  const other = await app.api.post(`/admin/coupon-templates/${record.templateId}/grants`, { memberId: String(record.memberId) }, admin, { 'Idempotency-Key': 'bf-refused' });
  await app.api.get(`/me/coupons/${other.body.id}/wechat-wallet`, token);
  const refused = await app.api.post(`/me/coupons/${other.body.id}/wechat-wallet/result`, { code: 'USER_LIMIT', message: '用户领取已达上限' }, token);
  expect(refused.body).toMatchObject({ state: 'refused', refusalReason: expect.stringContaining('上限'), plugin: null });
  expect((await app.services.models.coupons.findById(other.body.id).lean())?.status).toBe('issued');
  const bad = await app.api.post(`/me/coupons/${other.body.id}/wechat-wallet/result`, { code: 'not a code' }, token);
  expect(bad.status).toBe(400);
});

it('a coupon that expires here is made unusable in WeChat too (deactivate), once', async () => {
  const { couponId, openid } = await couponInWallet('bf-expiry');
  app.clock.advance(31 * 24 * 3600_000);
  await app.services.coupons.expireDue();
  await app.services.walletCoupons.runSync();
  expect((await emulatedCoupon(openid, couponId)).state).toBe('DEACTIVATED');
  expect(await app.services.models.walletCoupons.findById(couponId).lean()).toMatchObject({ state: 'expired', op: { kind: 'deactivate', status: 'done', attempts: 1 } });
  // Nothing more to tell WeChat on the next run.
  await app.services.walletCoupons.runSync();
  expect((await app.services.models.walletCoupons.findById(couponId).lean())?.op?.attempts).toBe(1);
});
