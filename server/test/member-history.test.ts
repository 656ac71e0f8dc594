import { adminToken, joinedMember, startTestApp, type TestApp } from './support/harness';
import { DAY, adjust, memberCode, orderNo, purchase, runJob, tokenAt } from './points-helpers';

// The member's points history and used coupons read like receipts: what each line was for (store, amount,
// items, coupon and activity titles, HQ's reason), resolved server-side in a fixed number of reads per page.

let app: TestApp;
let admin: string;
let clerk: string;
let manager: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await tokenAt(app, { username: 'sh01-clerk' });
  manager = await tokenAt(app, { username: 'sh01-manager' });
}, 30_000);
afterAll(async () => {
  await app.stop();
});

/** Counts the reads each collection gets while `run` runs (mongoose's per-operation debug hook). */
async function readsDuring<T>(run: () => Promise<T>): Promise<{ answer: T; reads: Record<string, number> }> {
  const reads: Record<string, number> = {};
  const mongoose = app.connection.base;
  mongoose.set('debug', (collection: string, method: string) => {
    if (method === 'find' || method === 'findOne' || method === 'aggregate') reads[collection] = (reads[collection] ?? 0) + 1;
  });
  try {
    return { answer: await run(), reads };
  } finally {
    mongoose.set('debug', false);
  }
}

describe('the member’s history', () => {
  it('describes each kind of entry by what it was for, and used coupons by where and when', async () => {
    const { token, member } = await joinedMember(app.api, 'history-reader');
    const bigOrder = orderNo('big');
    const big = await purchase(app.api, clerk, {
      memberCode: await memberCode(app.api, token),
      orderNo: bigOrder,
      amountFen: 173_150,
      lines: [
        { sku: 'LATTE-L', name: '大杯拿铁', category: 'COFFEE_TEA', qty: 2, amountFen: 6_000 },
        { sku: 'BEANS-GIFT', name: '精品咖啡豆礼盒', category: 'COFFEE_TEA', qty: 1, amountFen: 167_150 },
      ],
    });
    expect(big.status).toBe(200);
    const small = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('small'), amountFen: 12_800 });
    expect(small.status).toBe(200);
    expect((await adjust(app.api, admin, member.id, 30, 'adj-history', '补发：收银系统故障')).status).toBe(201);

    const template = await app.api.post(
      '/admin/coupon-templates',
      { title: '满100减20', type: 'cash', amountOffFen: 2_000, minSpendFen: 10_000, validDays: 30, totalQuantity: 100, perMemberLimit: 5, pointsCost: 100 },
      admin,
    );
    expect(template.status).toBe(201);
    const exchanged = await app.api.post('/me/points/exchanges', { templateId: template.body.id }, token, { 'Idempotency-Key': 'history-exchange' });
    expect(exchanged.status).toBe(201);

    const now = app.clock.now().getTime();
    const activity = await app.api.post(
      '/admin/activities',
      {
        title: '手冲咖啡课', description: '三款单品豆', storeId: 'SH01', capacity: 5, feeFen: 0, attendancePoints: 50,
        signupClosesAt: new Date(now + 1_800_000).toISOString(), startAt: new Date(now + 3_600_000).toISOString(), endAt: new Date(now + 7_200_000).toISOString(),
      },
      admin,
    );
    expect(activity.status).toBe(201);
    const signup = (await app.api.post(`/activities/${activity.body.id}/signups`, {}, token)).body;
    const checkinCode = (await app.api.get(`/me/signups/${signup.id}/code`, token)).body.code;
    expect((await app.api.post('/staff/checkins', { code: checkinCode }, clerk)).status).toBe(200);

    const smallPurchase = await app.services.models.purchases.findOne({ memberId: member.id, amountFen: 12_800 }).lean();
    expect((await app.api.post(`/staff/purchases/${String(smallPurchase!._id)}/reversal`, { reason: '顾客退单' }, manager)).status).toBe(200);

    // The used coupon: redeemed at the Jing'an store.
    const couponId = exchanged.body.coupon.id;
    const couponCode = (await app.api.get(`/me/coupons/${couponId}/code`, token)).body.code;
    expect((await app.api.post('/staff/redemptions', { code: couponCode, orderNo: 'HIST-1', orderAmountFen: 15_000 }, clerk)).status).toBe(201);
    const used = await app.api.get('/me/coupons?status=used', token);
    expect(used.status).toBe(200);
    expect(used.body.items).toEqual([expect.objectContaining({ id: couponId, title: '满100减20', redeemedStoreName: '上海静安店', redeemedAt: expect.any(String) })]);
    // Unused coupons name no store.
    expect((await app.api.get('/me/coupons?status=available', token)).body.items.every((c: { redeemedStoreName?: string }) => c.redeemedStoreName === undefined)).toBe(true);

    // A year and more later, what is left expires.
    app.clock.advance(400 * DAY);
    expect(await runJob(app, 'points-expiry')).toBeGreaterThan(0);
    const later = await tokenAt(app, { memberId: member.id });

    const ledger = await app.api.get('/me/points/ledger?limit=50', later);
    expect(ledger.status).toBe(200);
    const byKind = (source: string) => ledger.body.items.filter((e: { source: string }) => e.source === source).map((e: { description?: unknown }) => e.description);
    expect(byKind('purchase')).toEqual([
      { title: '消费 · 上海静安店', storeName: '上海静安店', amountFen: 12_800 },
      { title: '消费 · 上海静安店', storeName: '上海静安店', amountFen: 173_150, lines: [{ name: '大杯拿铁', qty: 2 }, { name: '精品咖啡豆礼盒', qty: 1 }] },
    ]);
    expect(byKind('reversal')).toEqual([{ title: '撤销消费 · 上海静安店', storeName: '上海静安店', amountFen: 12_800, note: '顾客退单' }]);
    expect(byKind('adjustment')).toEqual([{ title: '积分调整', note: '补发：收银系统故障' }]);
    expect(byKind('exchange')).toEqual([{ title: '积分兑换「满100减20」' }]);
    expect(byKind('attendance')).toEqual([{ title: '活动签到「手冲咖啡课」', storeName: '上海静安店' }]);
    expect(byKind('expiry').length).toBeGreaterThan(0);
    for (const description of byKind('expiry')) expect(description).toEqual({ title: '积分过期' });
    // The contract's fields are all still there.
    for (const entry of ledger.body.items) expect(entry).toEqual(expect.objectContaining({ id: expect.any(String), delta: expect.any(Number), balanceAfter: expect.any(Number), reason: expect.any(String), createdAt: expect.any(String) }));
    // HQ's view of the ledger is unchanged (no descriptions).
    expect((await app.api.get(`/admin/members/${member.id}/ledger`, await tokenAt(app, { username: 'hq' }))).body.items.every((e: { description?: unknown }) => e.description === undefined)).toBe(true);
  }, 30_000);

  it('reads a fixed number of times per page, however many entries it holds', async () => {
    // Tokens issued at the app's clock (the test above moved it on).
    const [clerk, admin] = [await tokenAt(app, { username: 'sh01-clerk' }), await tokenAt(app, { username: 'hq' })];
    const { token, member } = await joinedMember(app.api, 'history-counter');
    const code = await memberCode(app.api, token);
    for (let i = 0; i < 12; i++) {
      expect((await purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('many'), amountFen: 10_000 + i * 100, lines: [{ sku: 'LATTE-L', name: '大杯拿铁', category: 'COFFEE_TEA', qty: 1, amountFen: 10_000 + i * 100 }] })).status).toBe(200);
    }
    for (let i = 0; i < 6; i++) expect((await adjust(app.api, admin, member.id, 5, `many-adj-${i}`, `补发 ${i}`)).status).toBe(201);

    const small = await readsDuring(() => app.api.get('/me/points/ledger?limit=2', token));
    const large = await readsDuring(() => app.api.get('/me/points/ledger?limit=18', token));
    expect(small.answer.body.items).toHaveLength(2);
    expect(large.answer.body.items).toHaveLength(18);
    expect(large.answer.body.items.filter((e: { description?: { amountFen?: number } }) => e.description?.amountFen).length).toBe(12);
    // One read of the ledger, one of purchases, one of stores: for 18 entries as for 2.
    expect(large.reads).toMatchObject({ points_ledger: 1, purchases: 1, stores: 1 });
    expect(large.reads.purchases).toBe(1);
    for (const collection of ['points_ledger', 'purchases', 'stores', 'coupons', 'activity_signups', 'activities']) {
      expect(large.reads[collection] ?? 0).toBeLessThanOrEqual(1);
    }
  }, 30_000);
});
