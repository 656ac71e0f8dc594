import { adminToken, joinedMember, startTestApp, type TestApp } from './support/harness';

// A merchant in WeChat Pay public-key mode (PUB_KEY_ID_…, what new merchants get): no platform certificate,
// no /v3/certificates. One paid sign-up and its refund end to end over HTTP, with WeChat Pay's noise on:
// every notification preceded by a SIGNTEST probe and repeated after its 2xx.

let app: TestApp;
let hq: string;
beforeAll(async () => {
  app = await startTestApp({ emulator: { signingMode: 'publicKey', duplicateRate: 1, signatureProbeRate: 1 } });
  hq = await adminToken(app.api);
});
afterAll(async () => {
  await app.stop();
});

const HOUR = 3600_000;
const payment = (signupId: string) => app.services.models.payments.findOne({ 'purpose.id': signupId }).lean();
const signup = (signupId: string) => app.services.models.signups.findById(signupId).lean();

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Delivery {
  eventType: string;
  serial: string;
  delivered: boolean;
  attempts: { status?: number }[];
  probes: { status?: number }[];
  duplicates: { status?: number }[];
}

/** The order's delivery of `eventType` once its probe, its accepted attempt and its duplicate are all done. */
const settledDelivery = (outTradeNo: string, eventType: string) =>
  waitFor(async () => {
    const deliveries: Delivery[] = (await app.api.get(`/__emulator/notifications?out_trade_no=${outTradeNo}`)).body.deliveries;
    const found = deliveries.find((delivery) => delivery.eventType === eventType);
    return found?.delivered && found.duplicates.length > 0 ? found : null;
  });

it('pays and refunds a sign-up with only the WeChat Pay public key; probes refused, duplicates harmless', async () => {
  const keys = app.emulator!.keys;
  const now = app.clock.now().getTime();
  const activity = await app.api.post(
    '/admin/activities',
    {
      title: '公钥模式烘焙课', description: '公钥验签', storeId: 'SH01',
      signupClosesAt: new Date(now + 24 * HOUR).toISOString(), startAt: new Date(now + 48 * HOUR).toISOString(), endAt: new Date(now + 50 * HOUR).toISOString(),
      capacity: 5, feeFen: 4_990, attendancePoints: 0,
    },
    hq,
  );
  expect(activity.status).toBe(201);
  const { token } = await joinedMember(app.api, 'pubkey-payer');
  const held = await app.api.post(`/activities/${activity.body.id}/signups`, {}, token);
  expect(held.body).toMatchObject({ status: 'pending_payment', payment: { signType: 'RSA' } });

  // The pay tap answers at once; the notification (signed with the public key) follows.
  const paid = await app.api.post(`/__emulator/pay/${held.body.payment.package.replace('prepay_id=', '')}`, held.body.payment);
  expect(paid.status).toBe(200);
  const outTradeNo = paid.body.transaction.out_trade_no as string;
  const payDelivery = await settledDelivery(outTradeNo, 'TRANSACTION.SUCCESS');
  expect(payDelivery).toMatchObject({ serial: keys.platformPublicKeyId, attempts: [{ status: 204 }], duplicates: [{ status: 204 }] });
  expect(payDelivery.probes.map((probe) => probe.status)).toEqual([401]);
  expect((await signup(held.body.id))!.status).toBe('confirmed');
  const paidDoc = (await payment(held.body.id))!;
  expect(paidDoc).toMatchObject({ status: 'paid', transactionId: paid.body.transaction.transaction_id });
  expect(paidDoc.notificationIds).toHaveLength(1);

  // The member cancels: the refund request and its REFUND.SUCCESS notification, also public-key signed.
  const cancelled = await app.api.delete(`/activities/${activity.body.id}/signups/me`, token);
  expect(cancelled.body.status).toBe('cancelled');
  const refundDelivery = await settledDelivery(outTradeNo, 'REFUND.SUCCESS');
  expect(refundDelivery).toMatchObject({ serial: keys.platformPublicKeyId, attempts: [{ status: 204 }], duplicates: [{ status: 204 }] });
  expect(refundDelivery.probes.map((probe) => probe.status)).toEqual([401]);
  const refunded = (await payment(held.body.id))!;
  expect(refunded).toMatchObject({ status: 'refunded', refund: { providerStatus: 'SUCCESS' } });
  expect(app.emulator!.store.state.refunds[refunded.outRefundNo]).toMatchObject({ status: 'SUCCESS', reason: '会员取消报名退款', refund: 4_990 });
  expect(await app.services.payments.reconcile()).toEqual([]);

  // Every API request named the public key, and nothing asked /v3/certificates (which this merchant lacks).
  const stats = (await app.api.get('/__emulator/stats')).body;
  expect(stats.certificateRequests).toBe(0);
  expect(Object.keys(stats.payRequestSerials)).toEqual([keys.platformPublicKeyId]);
  expect(stats).toMatchObject({ signatureProbes: 2, signatureProbesAccepted: 0, duplicateNotifications: 2 });
});
