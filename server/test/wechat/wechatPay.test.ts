import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { ensureWechatPayKeys, WECHAT_NOTIFY_RETRY_SCHEDULE_MS, type NotificationDelivery } from '../../src/emulator';
import {
  WeChatPayApiError,
  WeChatPaySignatureError,
  type WeChatPayNotification,
  type WeChatPayRefundNotice,
  type WeChatPayTransaction,
} from '../../src/wechat';
import { APP_ID, getJson, MCH_ID, postJson, startHarness, type Harness } from './harness';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const newOutTradeNo = () => `MC${Date.now()}${Math.floor(Math.random() * 1e6)}`;

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function acceptedNotifications(): WeChatPayNotification<unknown>[] {
  return harness.received.flatMap((entry) => (entry.outcome instanceof WeChatPaySignatureError ? [] : [entry.outcome]));
}

describe('JSAPI payment', () => {
  it('prepays, the shopper pays, and the signed encrypted notification verifies and decrypts', async () => {
    const outTradeNo = newOutTradeNo();
    const { prepayId, requestPayment } = await harness.payClient.jsapiPrepay({
      outTradeNo,
      description: '亲子烘焙课 报名费',
      amountFen: 9900,
      openid: 'emu_payer',
      attach: 'signup:42',
    });
    expect(prepayId).toMatch(/^wx/);
    expect(requestPayment).toMatchObject({ package: `prepay_id=${prepayId}`, signType: 'RSA' });
    expect(requestPayment.timeStamp).toMatch(/^\d{10}$/);
    expect((await harness.payClient.queryByOutTradeNo(outTradeNo)).trade_state).toBe('NOTPAY');

    // The emulator checks paySign with the merchant certificate, as the WeChat client does.
    const forgedPay = await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}`, { ...requestPayment, nonceStr: 'tampered' });
    expect(forgedPay).toMatchObject({ status: 400, body: { code: 'SIGN_ERROR' } });

    // The pay tap answers first; the notification follows asynchronously, as WeChat Pay's does.
    const paid = await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}`, requestPayment);
    expect(paid.status).toBe(200);
    expect(paid.body.notification).toMatchObject({ delivered: false, eventType: 'TRANSACTION.SUCCESS', attempts: [] });
    const delivery = await harness.settledDelivery(outTradeNo);
    expect(delivery).toMatchObject({ delivered: true, notificationId: paid.body.notification.notificationId, serial: harness.emulator.keys.platformSerialNo });
    expect(delivery.attempts).toEqual([expect.objectContaining({ status: 204 })]);

    const notification = acceptedNotifications().find(
      (each) => (each.resource as unknown as WeChatPayTransaction).out_trade_no === outTradeNo,
    ) as WeChatPayNotification<WeChatPayTransaction>;
    expect(notification.eventType).toBe('TRANSACTION.SUCCESS');
    expect(notification.originalType).toBe('transaction');
    expect(notification.resource).toMatchObject({
      appid: APP_ID,
      mchid: MCH_ID,
      out_trade_no: outTradeNo,
      trade_state: 'SUCCESS',
      trade_type: 'JSAPI',
      attach: 'signup:42',
      payer: { openid: 'emu_payer' },
      amount: { total: 9900, payer_total: 9900, currency: 'CNY' },
    });
    expect(notification.resource.transaction_id).toMatch(/^4200\d{24}$/);

    const queried = await harness.payClient.queryByOutTradeNo(outTradeNo);
    expect(queried).toMatchObject({ trade_state: 'SUCCESS', transaction_id: notification.resource.transaction_id });

    // Paying twice is refused.
    expect((await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}`, {})).status).toBe(409);
  });

  it('retries the notification with backoff while the merchant answers non-2xx', async () => {
    const outTradeNo = newOutTradeNo();
    const { prepayId } = await harness.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 100, openid: 'emu_retry' });
    harness.failNextDeliveries(2);
    await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}`, {});
    const delivery = await harness.settledDelivery(outTradeNo);
    expect(delivery.delivered).toBe(true);
    expect(delivery.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 204]);
  });

  it('pays without notifying when asked (?deliver=false), leaving the merchant to query', async () => {
    const outTradeNo = newOutTradeNo();
    const { prepayId } = await harness.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 200, openid: 'emu_quiet' });
    const receivedBefore = harness.received.length;
    const paid = await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}?deliver=false`, {});
    expect(paid.body.notification).toBeNull();
    expect(harness.received).toHaveLength(receivedBefore);
    expect((await harness.payClient.queryByOutTradeNo(outTradeNo)).trade_state).toBe('SUCCESS');
  });

  it('closes an unpaid order, after which it cannot be paid', async () => {
    const outTradeNo = newOutTradeNo();
    const { prepayId } = await harness.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 300, openid: 'emu_close' });
    await harness.payClient.closeOrder(outTradeNo);
    expect((await harness.payClient.queryByOutTradeNo(outTradeNo)).trade_state).toBe('CLOSED');
    expect(await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}`, {})).toMatchObject({ status: 409, body: { code: 'ORDERCLOSED' } });
  });

  it('validates orders: integer fen, out_trade_no format, duplicates with another amount', async () => {
    const outTradeNo = newOutTradeNo();
    const base = { outTradeNo, description: '课程', amountFen: 500, openid: 'emu_dup' };
    const fractional = (await caught(harness.payClient.jsapiPrepay({ ...base, amountFen: 12.5 }))) as WeChatPayApiError;
    expect(fractional).toBeInstanceOf(WeChatPayApiError);
    expect([fractional.httpStatus, fractional.code]).toEqual([400, 'PARAM_ERROR']);
    const badNo = (await caught(harness.payClient.jsapiPrepay({ ...base, outTradeNo: 'a#1' }))) as WeChatPayApiError;
    expect(badNo.code).toBe('PARAM_ERROR');

    const first = await harness.payClient.jsapiPrepay(base);
    expect((await harness.payClient.jsapiPrepay(base)).prepayId).toBe(first.prepayId);
    const conflict = (await caught(harness.payClient.jsapiPrepay({ ...base, amountFen: 600 }))) as WeChatPayApiError;
    expect([conflict.httpStatus, conflict.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('answers 404 ORDER_NOT_EXIST for an unknown order', async () => {
    const missing = (await caught(harness.payClient.queryByOutTradeNo('NO_SUCH_ORDER_1'))) as WeChatPayApiError;
    expect([missing.httpStatus, missing.code]).toEqual([404, 'ORDER_NOT_EXIST']);
  });
});

describe('refunds', () => {
  it('refunds a paid order and delivers a REFUND.SUCCESS notification', async () => {
    const outTradeNo = newOutTradeNo();
    const { prepayId } = await harness.payClient.jsapiPrepay({ outTradeNo, description: '活动', amountFen: 5000, openid: 'emu_refund' });
    await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}`, {});

    const outRefundNo = `RF${outTradeNo}`;
    const refund = await harness.payClient.refund({ outTradeNo, outRefundNo, refundFen: 3000, totalFen: 5000, reason: '活动取消' });
    expect(refund).toMatchObject({ out_refund_no: outRefundNo, out_trade_no: outTradeNo, status: 'PROCESSING', amount: { refund: 3000, total: 5000 } });

    const notification = (await harness.waitFor(() =>
      acceptedNotifications().find((each) => each.eventType === 'REFUND.SUCCESS' && (each.resource as { out_refund_no?: string }).out_refund_no === outRefundNo),
    )) as WeChatPayNotification<WeChatPayRefundNotice>;
    expect(notification.originalType).toBe('refund');
    expect(notification.resource).toMatchObject({
      mchid: MCH_ID,
      out_trade_no: outTradeNo,
      refund_id: refund.refund_id,
      refund_status: 'SUCCESS',
      amount: { total: 5000, refund: 3000, payer_total: 5000, payer_refund: 3000 },
    });
    expect((await harness.payClient.queryRefund(outRefundNo)).status).toBe('SUCCESS');
    expect((await harness.payClient.queryByOutTradeNo(outTradeNo)).trade_state).toBe('REFUND');

    // A repeat of the same refund is answered with the same refund; more than what is left is refused.
    expect((await harness.payClient.refund({ outTradeNo, outRefundNo, refundFen: 3000, totalFen: 5000 })).refund_id).toBe(refund.refund_id);
    const tooMuch = (await caught(harness.payClient.refund({ outTradeNo, outRefundNo: `${outRefundNo}b`, refundFen: 2001, totalFen: 5000 }))) as WeChatPayApiError;
    expect([tooMuch.httpStatus, tooMuch.code]).toEqual([403, 'NOT_ENOUGH']);
  });
});

describe('notification verification', () => {
  let genuine: { headers: Record<string, string | string[] | undefined>; rawBody: string };

  beforeAll(async () => {
    const outTradeNo = newOutTradeNo();
    const { prepayId } = await harness.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 700, openid: 'emu_verify' });
    await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}`, {});
    await harness.settledDelivery(outTradeNo);
    const entry = harness.received.find((each) => !(each.outcome instanceof WeChatPaySignatureError) && each.rawBody.includes('TRANSACTION.SUCCESS'));
    genuine = { headers: entry!.headers, rawBody: entry!.rawBody };
  });

  async function reasonFor(headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<string> {
    const error = await caught(harness.payClient.verifyAndDecryptNotification(headers, rawBody));
    expect(error).toBeInstanceOf(WeChatPaySignatureError);
    return (error as WeChatPaySignatureError).reason;
  }

  it('refuses a tampered body, a SIGNTEST probe, an unknown serial and missing headers', async () => {
    expect(await reasonFor(genuine.headers, genuine.rawBody.replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESX'))).toBe('bad_signature');
    expect(await reasonFor({ ...genuine.headers, 'wechatpay-signature': `WECHATPAY/SIGNTEST/${randomUUID()}` }, genuine.rawBody)).toBe('signtest_probe');
    expect(await reasonFor({ ...genuine.headers, 'wechatpay-serial': 'PUB_KEY_ID_0000000000000000000000000000' }, genuine.rawBody)).toBe('unknown_serial');
    expect(await reasonFor({ 'wechatpay-timestamp': String(genuine.headers['wechatpay-timestamp']) }, genuine.rawBody)).toBe('missing_headers');
  });

  it('refuses a notification signed with another key, over HTTP, with 4xx and {code: FAIL}', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID();
    const signature = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${genuine.rawBody}\n`).sign(privateKey, 'base64');
    const response = await fetch(harness.notifyUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonce,
        'wechatpay-signature': signature,
        'wechatpay-serial': harness.emulator.keys.platformSerialNo,
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      },
      body: genuine.rawBody,
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'FAIL' });
    expect((harness.received.at(-1)!.outcome as WeChatPaySignatureError).reason).toBe('bad_signature');
  });

  it('refuses a resource that does not decrypt with the APIv3 key', async () => {
    const otherKeyClient = harness.newPayClient({ apiV3Key: 'A'.repeat(32) });
    const error = await caught(otherKeyClient.verifyAndDecryptNotification(genuine.headers, genuine.rawBody));
    expect((error as WeChatPaySignatureError).reason).toBe('decrypt_failed');
  });
});

describe('merchant and platform authentication', () => {
  it('answers 401 SIGN_ERROR when the Authorization signature is not the merchant key', async () => {
    const impostor = ensureWechatPayKeys();
    const client = harness.newPayClient({ merchantPrivateKeyPem: impostor.merchantPrivateKeyPem });
    const error = (await caught(client.queryByOutTradeNo('ANY_ORDER_1'))) as WeChatPayApiError;
    expect(error).toBeInstanceOf(WeChatPayApiError);
    expect([error.httpStatus, error.code]).toEqual([401, 'SIGN_ERROR']);
  });

  it('refuses API answers whose Wechatpay-Signature does not verify with the configured platform key', async () => {
    const impostor = ensureWechatPayKeys();
    const client = harness.newPayClient({
      platformCertificates: {},
      platformPublicKey: { id: harness.emulator.keys.platformSerialNo, pem: impostor.platformPublicKeyPem },
    });
    const error = (await caught(client.queryByOutTradeNo('ANY_ORDER_2'))) as WeChatPaySignatureError;
    expect(error).toBeInstanceOf(WeChatPaySignatureError);
    expect(error.reason).toBe('bad_signature');
  });

  it('downloads platform certificates from /v3/certificates when none are configured', async () => {
    const client = harness.newPayClient({ platformCertificates: {} });
    const outTradeNo = newOutTradeNo();
    const { prepayId } = await client.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 800, openid: 'emu_bootstrap' });
    expect(prepayId).toMatch(/^wx/);
    expect(await client.refreshPlatformCertificates()).toEqual([harness.emulator.keys.platformSerialNo]);
  });
});

describe('public-key signing mode', () => {
  it('signs with the WeChat Pay public key id as Wechatpay-Serial', async () => {
    const publicKeyHarness = await startHarness({ keys: harness.emulator.keys, signingMode: 'publicKey' });
    try {
      const keys = harness.emulator.keys;
      const client = publicKeyHarness.newPayClient({ platformCertificates: {}, platformPublicKey: { id: keys.platformPublicKeyId, pem: keys.platformPublicKeyPem } });
      const outTradeNo = newOutTradeNo();
      const { prepayId } = await client.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 900, openid: 'emu_pubkey' });
      await postJson(`${publicKeyHarness.emulatorBaseUrl}/pay/${prepayId}?deliver=false`, {});
      expect((await client.queryByOutTradeNo(outTradeNo)).trade_state).toBe('SUCCESS');
      expect(keys.platformPublicKeyId).toMatch(/^PUB_KEY_ID_\d+$/);
    } finally {
      await publicKeyHarness.close();
    }
  });
});

describe('WeChat Pay realism', () => {
  it("retries on WeChat's own schedule (15s/15s/30s/3m/…) compressed by timeScale", async () => {
    const scaled = await startHarness({ keys: harness.emulator.keys, notifyRetryDelaysMs: undefined, timeScale: 0.001 });
    try {
      expect(WECHAT_NOTIFY_RETRY_SCHEDULE_MS.map((ms) => ms / 1000)).toEqual([15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600]);
      const outTradeNo = newOutTradeNo();
      const { prepayId } = await scaled.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 100, openid: 'emu_schedule' });
      scaled.failNextDeliveries(4);
      const paidAt = Date.now();
      await postJson(`${scaled.emulatorBaseUrl}/pay/${prepayId}`, {});
      const delivery = await scaled.settledDelivery(outTradeNo);
      expect(delivery.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 500, 500, 204]);
      // 15 + 15 + 30 + 180 s at 1/1000 scale: at least 240 ms between the tap and the accepted attempt.
      expect(Date.parse(delivery.attempts.at(-1)!.at) - paidAt).toBeGreaterThanOrEqual(235);
      const gaps = delivery.attempts.slice(1).map((attempt, index) => Date.parse(attempt.at) - Date.parse(delivery.attempts[index]!.at));
      expect(gaps[3]).toBeGreaterThan(gaps[0]! * 4);
    } finally {
      await scaled.close();
    }
  });

  it('repeats a notification after a 2xx and sends SIGNTEST probes that the merchant must refuse', async () => {
    const noisy = await startHarness({ keys: harness.emulator.keys, duplicateRate: 1, signatureProbeRate: 1, timeScale: 0.01 });
    try {
      const outTradeNo = newOutTradeNo();
      const { prepayId } = await noisy.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 300, openid: 'emu_noisy' });
      await postJson(`${noisy.emulatorBaseUrl}/pay/${prepayId}`, {});
      const delivery = await waitForDuplicates(noisy, outTradeNo);
      expect(delivery.probes).toEqual([expect.objectContaining({ status: 401 })]);
      expect(delivery.attempts).toEqual([expect.objectContaining({ status: 204 })]);
      expect(delivery.duplicates).toEqual([expect.objectContaining({ status: 204 })]);
      const ofOrder = noisy.received.filter((each) => each.rawBody.includes(delivery.notificationId));
      expect(ofOrder.map((each) => (each.outcome instanceof WeChatPaySignatureError ? each.outcome.reason : 'ok'))).toEqual(['signtest_probe', 'ok', 'ok']);
      expect(String(ofOrder[0]!.headers['wechatpay-signature'])).toMatch(/^WECHATPAY\/SIGNTEST\//);
      const stats = await getJson(`${noisy.emulatorBaseUrl}/stats`);
      expect(stats).toMatchObject({ signatureProbes: 1, signatureProbesAccepted: 0, duplicateNotifications: 1 });
    } finally {
      await noisy.close();
    }
  });

  it('ends a refund ABNORMAL or CLOSED when told to, with REFUND.ABNORMAL / REFUND.CLOSED notifications', async () => {
    for (const status of ['ABNORMAL', 'CLOSED'] as const) {
      const outTradeNo = newOutTradeNo();
      const { prepayId } = await harness.payClient.jsapiPrepay({ outTradeNo, description: '活动', amountFen: 2000, openid: 'emu_refund_bad' });
      await postJson(`${harness.emulatorBaseUrl}/pay/${prepayId}`, {});
      expect((await postJson(`${harness.emulatorBaseUrl}/refunds/outcome`, { out_trade_no: outTradeNo, status })).status).toBe(204);
      const outRefundNo = `RF${outTradeNo}`;
      expect((await harness.payClient.refund({ outTradeNo, outRefundNo, refundFen: 2000, totalFen: 2000, reason: '活动取消退款' })).status).toBe('PROCESSING');
      const delivery = await harness.settledDelivery(outTradeNo, `REFUND.${status}`);
      const notification = acceptedNotifications().find((each) => each.id === delivery.notificationId) as WeChatPayNotification<WeChatPayRefundNotice>;
      expect(notification).toMatchObject({ eventType: `REFUND.${status}`, originalType: 'refund', resource: { refund_status: status, out_refund_no: outRefundNo } });
      expect(notification.resource.success_time).toBeUndefined();
      expect((await harness.payClient.queryRefund(outRefundNo)).status).toBe(status);
      // A closed refund leaves the money with the merchant: the order is paid again, not refunded.
      expect((await harness.payClient.queryByOutTradeNo(outTradeNo)).trade_state).toBe(status === 'CLOSED' ? 'SUCCESS' : 'REFUND');
    }
    expect((await postJson(`${harness.emulatorBaseUrl}/refunds/outcome`, { out_trade_no: 'x', status: 'MAYBE' })).status).toBe(400);
  });
});

describe('public-key mode and a switch from platform certificate to public key', () => {
  it('public key only: no /v3/certificates, answers and notifications signed with the public key, Wechatpay-Serial sent', async () => {
    const keys = harness.emulator.keys;
    const publicKeyOnly = { platformCertificates: {}, platformPublicKey: { id: keys.platformPublicKeyId, pem: keys.platformPublicKeyPem } };
    const onlyKey = await startHarness({ keys, signingMode: 'publicKey' }, false, publicKeyOnly);
    try {
      const client = onlyKey.payClient;
      const outTradeNo = newOutTradeNo();
      const { prepayId } = await client.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 900, openid: 'emu_pubkey_only' });
      await postJson(`${onlyKey.emulatorBaseUrl}/pay/${prepayId}`, {});
      expect(await onlyKey.settledDelivery(outTradeNo)).toMatchObject({ delivered: true, serial: keys.platformPublicKeyId });
      const answer = await client.queryByOutTradeNo(outTradeNo);
      expect(answer.trade_state).toBe('SUCCESS');

      // A client configured for certificates has nothing to download (the 404 is signed with a key it lacks).
      const certificateClient = onlyKey.newPayClient({ platformCertificates: {} });
      await expect(certificateClient.refreshPlatformCertificates()).rejects.toMatchObject({ reason: 'unknown_serial' });
      const unverified = onlyKey.newPayClient({ platformCertificates: {}, verifyResponseSignatures: false });
      await expect(unverified.refreshPlatformCertificates()).rejects.toThrow();
      await expect(client.refreshPlatformCertificates()).rejects.toThrow(/public-key mode/);
      // A request naming the platform certificate the merchant does not have is refused.
      const naming = onlyKey.newPayClient({ platformCertificates: {}, platformPublicKey: { id: keys.platformSerialNo, pem: keys.platformPublicKeyPem }, verifyResponseSignatures: false });
      await expect(naming.queryByOutTradeNo(outTradeNo)).rejects.toMatchObject({ httpStatus: 400, code: 'PARAM_ERROR' });
      const stats = await getJson(`${onlyKey.emulatorBaseUrl}/stats`);
      expect(stats.payApiRequests).toBeGreaterThan(0);
    } finally {
      await onlyKey.close();
    }
  });

  it('switching: answers signed by the key the request names; notifications mix both keys and both verify', async () => {
    const keys = harness.emulator.keys;
    const switching = await startHarness({ keys, signingMode: 'switching' }, false, { platformPublicKey: { id: keys.platformPublicKeyId, pem: keys.platformPublicKeyPem } });
    try {
      const both = switching.payClient;
      const orders: string[] = [];
      for (let index = 0; index < 2; index += 1) {
        const outTradeNo = newOutTradeNo();
        orders.push(outTradeNo);
        const { prepayId } = await both.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 500 + index, openid: 'emu_switch' });
        await postJson(`${switching.emulatorBaseUrl}/pay/${prepayId}`, {});
      }
      const deliveries = await Promise.all(orders.map((order) => switching.settledDelivery(order)));
      expect(deliveries.map((delivery) => delivery.serial).sort()).toEqual([keys.platformPublicKeyId, keys.platformSerialNo].sort());
      expect(deliveries.every((delivery) => delivery.delivered)).toBe(true);

      // The answer is signed with the public key because the request says so: a client that trusts only
      // the public key verifies it, one that trusts only the certificate (and sends no header) gets the certificate's.
      const publicOnly = switching.newPayClient({ platformCertificates: {}, platformPublicKey: { id: keys.platformPublicKeyId, pem: keys.platformPublicKeyPem } });
      expect((await publicOnly.queryByOutTradeNo(orders[0]!)).trade_state).toBe('SUCCESS');
      expect((await switching.newPayClient().queryByOutTradeNo(orders[0]!)).trade_state).toBe('SUCCESS');
      expect(await switching.newPayClient({ platformCertificates: {} }).refreshPlatformCertificates()).toEqual([keys.platformSerialNo]);
    } finally {
      await switching.close();
    }
  });
});

async function waitForDuplicates(on: Harness, outTradeNo: string): Promise<NotificationDelivery> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { deliveries } = (await getJson(`${on.emulatorBaseUrl}/notifications?out_trade_no=${outTradeNo}`)) as { deliveries: NotificationDelivery[] };
    if (deliveries[0]?.duplicates?.length) return deliveries[0];
    if (Date.now() > deadline) throw new Error('no duplicate delivery');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('behind a JSON body parser', () => {
  it('verifies signatures over the raw body the parser kept', async () => {
    const parsed = await startHarness({ keys: harness.emulator.keys }, true);
    try {
      const outTradeNo = newOutTradeNo();
      const { prepayId } = await parsed.payClient.jsapiPrepay({ outTradeNo, description: '课程', amountFen: 1000, openid: 'emu_parsed' });
      await postJson(`${parsed.emulatorBaseUrl}/pay/${prepayId}`, {});
      expect((await parsed.settledDelivery(outTradeNo)).delivered).toBe(true);
      expect(parsed.received.at(-1)!.outcome).not.toBeInstanceOf(WeChatPaySignatureError);
      await expect(parsed.payClient.closeOrder('NO_SUCH_ORDER_9')).rejects.toMatchObject({ httpStatus: 404, code: 'ORDER_NOT_EXIST' });
    } finally {
      await parsed.close();
    }
  });
});
