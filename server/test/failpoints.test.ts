import { Types } from 'mongoose';
import { adminToken, joinedMember, signInShopper, staffToken, startTestApp, type TestApp } from './support/harness';
import { memberCode, orderNo, purchase } from './points-helpers';

// The retry paths the product relies on, under the faults a MongoDB replica set produces, injected with mongod's
// test fail points (configureFailPoint; a real mongod accepts it only when started with
// --setParameter enableTestCommands=1): a TransientTransactionError at commit, a connection lost before a reply
// (before the commit ran, or after a write applied), and a slow commit while the caller sends its request again.
// Purchases, redemptions and campaign pushes must still happen exactly once.

let app: TestApp;
let admin: string;
let clerk: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});
afterEach(async () => {
  await failPoint('failCommand', 'off');
  await failPoint('onPrimaryTransactionalWrite', 'off');
});

/** Sets a fail point; answers how often it had fired before (mongod's `count`). */
async function failPoint(name: 'failCommand' | 'onPrimaryTransactionalWrite', mode: unknown, data?: Record<string, unknown>): Promise<number> {
  const reply = await app.connection.db!.admin().command({ configureFailPoint: name, mode, ...(data ? { data } : {}) });
  return Number(reply.count);
}

/** Turns a fail point off and answers how often it fired while it was on (since `before`). */
async function firedSince(name: 'failCommand' | 'onPrimaryTransactionalWrite', before: number): Promise<number> {
  return (await failPoint(name, 'off')) - before;
}

const transientAtCommit = (times: number) =>
  failPoint('failCommand', { times }, { failCommands: ['commitTransaction'], errorCode: 112, errorLabels: ['TransientTransactionError'] });

describe('a purchase at the counter', () => {
  async function buyer(name: string) {
    const { token, member } = await joinedMember(app.api, name);
    return { code: await memberCode(app.api, token), memberId: member.id as string };
  }

  /** The purchase is booked once: one purchase, one ledger entry, the balance moved once. */
  async function expectBookedOnce(memberId: string, no: string, points: number) {
    const { purchases, ledger, members } = app.services.models;
    expect(await purchases.countDocuments({ storeId: 'SH01', orderNo: no })).toBe(1);
    expect(await ledger.countDocuments({ idempotencyKey: `purchase:SH01:${no}` })).toBe(1);
    expect((await members.findById(memberId).lean())!.pointsBalance).toBe(points);
  }

  it('a TransientTransactionError at commit runs the booking again; it books once, and the till’s resend gets the same answer', async () => {
    const { code, memberId } = await buyer('fp-transient');
    const no = orderNo('fp-transient');
    const before = await transientAtCommit(2);
    const res = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 12_345 });
    expect(await firedSince('failCommand', before)).toBe(2);
    expect(res.status).toBe(200);
    expect(res.body.pointsEarned).toBe(123);
    const again = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 12_345 });
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: res.body });
    await expectBookedOnce(memberId, no, 123);
  });

  it('a connection lost at commit: the driver commits again, and the purchase is booked once', async () => {
    const { code, memberId } = await buyer('fp-commit-lost');
    const no = orderNo('fp-commit-lost');
    const before = await failPoint('failCommand', { times: 1 }, { failCommands: ['commitTransaction'], closeConnection: true });
    const res = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 5_000 });
    expect(await firedSince('failCommand', before)).toBe(1);
    expect(res.status).toBe(200);
    await expectBookedOnce(memberId, no, 50);
  });

  /**
   * The till's way with a failed request: send it again until it is answered. (A request makes some writes at
   * once, e.g. its two rate-limit counters; when both connections drop, the driver retries only the first error:
   * the second arrives on a connection the pool already discarded, is not labelled retryable, and the request
   * answers 503 DATABASE_UNAVAILABLE.)
   */
  async function sendUntilAnswered(body: Parameters<typeof purchase>[2]) {
    for (let attempt = 1; ; attempt++) {
      const res = await purchase(app.api, clerk, body);
      if (res.status !== 503 || attempt === 8) return res;
      expect(res.body.error.code).toBe('DATABASE_UNAVAILABLE');
    }
  }

  it('writes outside the transaction applied but their replies lost: the retries are not applied twice', async () => {
    const { code, memberId } = await buyer('fp-reply-lost');
    const no = orderNo('fp-reply-lost');
    // the next six writes outside transactions (rate-limit counters, the request record) apply and lose their reply
    const before = await failPoint('onPrimaryTransactionalWrite', { times: 6 });
    const first = await sendUntilAnswered({ memberCode: code, orderNo: no, amountFen: 8_800 });
    const resent = await sendUntilAnswered({ memberCode: code, orderNo: no, amountFen: 8_800 });
    expect(await firedSince('onPrimaryTransactionalWrite', before)).toBe(6);
    expect(first.status).toBe(200);
    expect({ status: resent.status, body: resent.body }).toEqual({ status: 200, body: first.body });
    await expectBookedOnce(memberId, no, 88);
  }, 60_000);

  it('the same purchase sent twice at once while every reply is lost: what answers at all answers the one booking', async () => {
    const { code, memberId } = await buyer('fp-reply-lost-parallel');
    const no = orderNo('fp-reply-lost-parallel');
    const body = { memberCode: code, orderNo: no, amountFen: 9_900 };
    const before = await failPoint('onPrimaryTransactionalWrite', 'alwaysOn');
    const answers = await Promise.all([purchase(app.api, clerk, body), purchase(app.api, clerk, body)]);
    expect(await firedSince('onPrimaryTransactionalWrite', before)).toBeGreaterThan(0);
    for (const answer of answers) expect([200, 503]).toContain(answer.status);
    const resent = await sendUntilAnswered(body);
    expect(resent.status).toBe(200);
    for (const answer of answers.filter((a) => a.status === 200)) expect(answer.body).toEqual(resent.body);
    await expectBookedOnce(memberId, no, 99);
  }, 30_000);

  it('a slow commit while the till gives up and sends the purchase again: both get the one booking', async () => {
    const { code, memberId } = await buyer('fp-slow');
    const no = orderNo('fp-slow');
    const before = await failPoint('failCommand', { times: 1 }, { failCommands: ['commitTransaction'], blockConnection: true, blockTimeMS: 1_500 });
    const started = Date.now();
    const first = purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const resent = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 20_000 });
    const original = await first;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(await firedSince('failCommand', before)).toBe(1);
    expect(original.status).toBe(200);
    expect({ status: resent.status, body: resent.body }).toEqual({ status: 200, body: original.body });
    await expectBookedOnce(memberId, no, 200);
  });
});

describe('a coupon redemption', () => {
  const cash = { title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 1000, perMemberLimit: 5 };
  let templateId: string;
  beforeAll(async () => {
    const res = await app.api.post('/admin/coupon-templates', { ...cash, title: 'fp-redeem' }, admin);
    expect(res.status).toBe(201);
    templateId = res.body.id;
  });

  async function couponToRedeem(name: string) {
    const { token, member } = await joinedMember(app.api, name);
    const granted = await app.api.post(`/admin/coupon-templates/${templateId}/grants`, { memberId: member.id }, admin, { 'Idempotency-Key': `fp-${name}` });
    expect(granted.status).toBe(201);
    const code = await app.api.get(`/me/coupons/${granted.body.id}/code`, token);
    expect(code.status).toBe(200);
    return { couponId: granted.body.id as string, code: code.body.code as string };
  }

  async function expectRedeemedOnce(couponId: string, redemptionId: string) {
    const { redemptions, coupons } = app.services.models;
    expect(await redemptions.countDocuments({ couponId: new Types.ObjectId(couponId) })).toBe(1);
    expect(await coupons.findById(couponId).lean()).toMatchObject({ status: 'redeemed', redemptionId: new Types.ObjectId(redemptionId) });
  }

  it('a TransientTransactionError at commit, then a connection lost in the middle of the transaction: redeemed once', async () => {
    const { couponId, code } = await couponToRedeem('fp-redeem-transient');
    let before = await transientAtCommit(2);
    const res = await app.api.post('/staff/redemptions', { code, orderNo: 'FP-R1', orderAmountFen: 15_000 }, clerk);
    expect(await firedSince('failCommand', before)).toBe(2);
    expect(res.status).toBe(201);
    await expectRedeemedOnce(couponId, res.body.id);

    const other = await couponToRedeem('fp-redeem-insert-lost');
    // the redemption insert is the transaction's second statement: its connection drops, the transaction runs again
    before = await failPoint('failCommand', { times: 1 }, { failCommands: ['insert'], closeConnection: true });
    const second = await app.api.post('/staff/redemptions', { code: other.code, orderNo: 'FP-R2', orderAmountFen: 15_000 }, clerk);
    expect(await firedSince('failCommand', before)).toBe(1);
    expect(second.status).toBe(201);
    await expectRedeemedOnce(other.couponId, second.body.id);
  });

  it('a slow commit while the till sends the redemption again: one redemption, the same answer twice', async () => {
    const { couponId, code } = await couponToRedeem('fp-redeem-slow');
    const before = await failPoint('failCommand', { times: 1 }, { failCommands: ['commitTransaction'], blockConnection: true, blockTimeMS: 1_500 });
    const first = app.api.post('/staff/redemptions', { code, orderNo: 'FP-R3', orderAmountFen: 15_000 }, clerk);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const resent = await app.api.post('/staff/redemptions', { code, orderNo: 'FP-R3', orderAmountFen: 15_000 }, clerk);
    const original = await first;
    expect(await firedSince('failCommand', before)).toBe(1);
    expect(original.status).toBe(201);
    expect({ status: resent.status, id: resent.body.id }).toEqual({ status: 201, id: original.body.id });
    await expectRedeemedOnce(couponId, original.body.id);
  });
});

describe('a campaign push', () => {
  let seq = 0;
  /** A campaign to `count` fresh members (stored as the members module stores them), not yet launched. */
  async function campaignTo(count: number) {
    const tag = `fp-push-${++seq}`;
    const at = new Date();
    const ids = Array.from({ length: count }, () => new Types.ObjectId());
    await app.services.models.members.collection.insertMany(
      ids.map((_id, i) => ({
        _id, status: 'active', openid: null, cardNo: `8${seq}${String(i).padStart(10, '0')}`, homeStoreId: 'SH01', profileComplete: false,
        tier: 'silver', pointsBalance: 0, spend12mFen: 0, lastPurchaseAt: null, tags: [tag], joinedAt: at, createdAt: at,
      })),
    );
    const template = await app.api.post('/admin/coupon-templates', { title: tag, type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 10_000, perMemberLimit: 1 }, admin);
    expect(template.status).toBe(201);
    const created = await app.api.post('/admin/campaigns', { name: '故障推送', templateId: template.body.id, segment: { tags: [tag] } }, admin);
    expect(created.status).toBe(201);
    return { id: created.body.id as string, ids };
  }

  /** Launches (an admin clicks again after an error page) and waits for the push to complete; one coupon per member. */
  async function expectOneCouponEach(campaign: { id: string; ids: Types.ObjectId[] }) {
    for (let i = 0; ; i++) {
      const launched = await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
      if (launched.status === 202 || (i > 0 && launched.body?.error?.code === 'CAMPAIGN_ALREADY_LAUNCHED')) break;
      expect(launched.status).toBe(503);
      expect(launched.body.error.code).toBe('DATABASE_UNAVAILABLE');
      expect(i).toBeLessThan(3);
    }
    const until = Date.now() + 60_000;
    let status: string | undefined;
    let progress: unknown;
    while (status !== 'completed' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await app.api.get(`/admin/campaigns/${campaign.id}`, admin);
      if (res.status === 200) ({ status, progress } = res.body); // a poll may meet a dropped connection too
    }
    expect(status).toBe('completed');
    expect(progress).toMatchObject({ targeted: campaign.ids.length, issued: campaign.ids.length });
    const coupons = await app.services.models.coupons.find({ channel: 'campaign', channelRef: campaign.id }, { memberId: 1 }).lean();
    expect(coupons).toHaveLength(campaign.ids.length);
    expect(new Set(coupons.map((c) => String(c.memberId)))).toEqual(new Set(campaign.ids.map(String)));
  }

  let defaultBatchSize: number;
  beforeAll(() => {
    defaultBatchSize = app.services.campaigns.pusher.batchSize;
    app.services.campaigns.pusher.batchSize = 100; // several batches, so the faults fall in the middle of pushes
  });
  afterAll(() => {
    app.services.campaigns.pusher.batchSize = defaultBatchSize;
  });

  it('under TransientTransactionErrors at commit and writes whose replies are lost: one coupon per member', async () => {
    const campaign = await campaignTo(300);
    const transient = await transientAtCommit(3);
    const lost = await failPoint('onPrimaryTransactionalWrite', { times: 6 });
    await expectOneCouponEach(campaign);
    expect(await firedSince('failCommand', transient)).toBeGreaterThan(0);
    expect(await firedSince('onPrimaryTransactionalWrite', lost)).toBeGreaterThan(0);
  }, 90_000);

  it('under connections dropped before writes and commits: one coupon per member', async () => {
    const campaign = await campaignTo(300);
    const before = await failPoint('failCommand', { times: 4 }, { failCommands: ['insert', 'update', 'findAndModify', 'commitTransaction'], closeConnection: true });
    await expectOneCouponEach(campaign);
    expect(await firedSince('failCommand', before)).toBeGreaterThan(0);
  }, 90_000);
});

describe('erasure', () => {
  it('when ending the sessions fails, the erasure is undone with it: nothing is left half-done, and a retry erases and ends them', async () => {
    const login = await signInShopper(app.api, 'erase-atomic');
    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, login.body.token);
    expect(joined.status).toBe(201);
    // The erasure's updates: the once-only claim of the membership, then the sessions. The second one fails.
    const before = await failPoint('failCommand', { skip: 1 }, { failCommands: ['update'], errorCode: 2 });
    expect((await app.api.delete('/me', login.body.token)).status).toBeGreaterThanOrEqual(500);
    expect(await firedSince('failCommand', before)).toBe(1);
    // Not erased, and the session still works: no erased member with live tokens.
    expect((await app.services.models.members.findById(joined.body.id).lean<{ status: string }>())?.status).toBe('active');
    expect((await app.api.get('/me', login.body.token)).status).toBe(200);

    expect((await app.api.delete('/me', login.body.token)).status).toBe(204);
    expect((await app.services.models.members.findById(joined.body.id).lean<{ status: string }>())?.status).toBe('erased');
    expect((await app.api.get('/me', login.body.token)).status).toBe(401);
    expect((await app.api.post('/auth/refresh', { refreshToken: login.body.refreshToken })).status).toBe(401);
  });
});
