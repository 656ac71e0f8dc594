import { adminToken, joinedMember, startTestApp, type ApiResponse, type TestApp } from './support/harness';
import { memberCode, orderNo, tokenAt } from './points-helpers';

// "Today at the counter" over HTTP: a store's purchases, redemptions and check-ins of a China day with
// totals by clerk and kind, the day's boundaries at 00:00 China time, store scoping, what a clerk may see
// and do against a manager, reversal of a listed entry, and HQ's reversal route under parallel requests.

let app: TestApp;
let hq: string;
const HOUR = 3600_000;

// 2026-03-04 in China runs from 2026-03-03T16:00:00Z to 2026-03-04T16:00:00Z.
const DAY_START = new Date('2026-03-03T16:00:00Z');

async function tokens() {
  return {
    clerk: await tokenAt(app, { username: 'sh01-clerk' }),
    manager: await tokenAt(app, { username: 'sh01-manager' }),
    bjClerk: await tokenAt(app, { username: 'bj01-clerk' }),
    bjManager: await tokenAt(app, { username: 'bj01-manager' }),
    hq: await tokenAt(app, { username: 'hq' }),
  };
}

function expectError(res: ApiResponse, status: number, code: string): void {
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
}

async function buy(staff: string, memberId: string, amountFen: number): Promise<string> {
  const no = orderNo('SHIFT');
  const res = await app.api.post('/staff/purchases', { memberCode: await memberCode(app.api, await tokenAt(app, { memberId })), orderNo: no, amountFen }, staff);
  expect(res.status).toBe(200);
  return (await app.services.models.purchases.findOne({ storeId: 'SH01', orderNo: no }).lean())!._id.toString();
}

let couponTemplateId: string;
async function redeem(staff: string, memberId: string, orderAmountFen?: number): Promise<string> {
  const granted = await app.api.post(`/admin/coupon-templates/${couponTemplateId}/grants`, { memberId }, hq, { 'Idempotency-Key': `shift-grant-${orderNo()}` });
  expect(granted.status).toBe(201);
  const code = (await app.api.get(`/me/coupons/${granted.body.id}/code`, await tokenAt(app, { memberId }))).body.code as string;
  const res = await app.api.post('/staff/redemptions', { code, ...(orderAmountFen ? { orderAmountFen, orderNo: orderNo('R') } : {}) }, staff);
  expect(res.status).toBe(201);
  return res.body.id;
}

async function checkIn(staff: string, memberId: string): Promise<void> {
  const now = app.clock.now().getTime();
  const activity = await app.api.post(
    '/admin/activities',
    {
      title: '咖啡品鉴会', description: '今天的活动', storeId: 'SH01', capacity: 5, feeFen: 0, attendancePoints: 30,
      signupClosesAt: new Date(now + HOUR / 2).toISOString(), startAt: new Date(now + HOUR).toISOString(), endAt: new Date(now + 3 * HOUR).toISOString(),
    },
    hq,
  );
  expect(activity.status).toBe(201);
  const signup = await app.api.post(`/activities/${activity.body.id}/signups`, {}, await tokenAt(app, { memberId }));
  expect(signup.body.status).toBe('confirmed');
  const code = (await app.api.get(`/me/signups/${signup.body.id}/code`, await tokenAt(app, { memberId }))).body.code as string;
  expect((await app.api.post('/staff/checkins', { code }, staff)).status).toBe(200);
}

let member: { id: string };
let ids: { lateYesterday: string; justAfterMidnight: string; clerkNoon: string; redemption: string; bjPurchase: string };

beforeAll(async () => {
  app = await startTestApp();
  hq = await adminToken(app.api);
  const created = await app.api.post('/admin/staff', { username: 'bj01-manager', name: '朝阳店长', role: 'manager', storeId: 'BJ01', password: 'chaoyang-first-pass' }, hq);
  expect(created.status).toBe(201);
  // An account HQ made chooses its own password at first sign-in.
  const first = await app.api.post('/auth/staff', { username: 'bj01-manager', password: 'chaoyang-first-pass' });
  expect((await app.api.post('/auth/password', { currentPassword: 'chaoyang-first-pass', newPassword: 'chaoyang-own-pass' }, first.body.token)).status).toBe(200);
  const template = await app.api.post('/admin/coupon-templates', { title: '满50减10', type: 'cash', minSpendFen: 5_000, amountOffFen: 1_000, validDays: 30, totalQuantity: 100, perMemberLimit: 20 }, hq);
  expect(template.status).toBe(201);
  couponTemplateId = template.body.id;
  ({ member } = await joinedMember(app.api, 'shift-diner'));

  // 23:59:40 on 03-03 in China: yesterday's (the harness clock runs on from where it is set).
  app.clock.set(new Date(DAY_START.getTime() - 20_000));
  let t = await tokens();
  ids = { lateYesterday: await buy(t.clerk, member.id, 8_800) } as typeof ids;
  // 00:00:00 on 03-04: today's first.
  app.clock.set(DAY_START);
  t = await tokens();
  ids.justAfterMidnight = await buy(t.manager, member.id, 10_050);
  // Noon: the clerk's purchase, a redemption on an order and a check-in; BJ01's clerk serves the same member.
  app.clock.set(new Date(DAY_START.getTime() + 12 * HOUR));
  t = await tokens();
  ids.clerkNoon = await buy(t.clerk, member.id, 173_150);
  ids.redemption = await redeem(t.clerk, member.id, 6_000);
  await checkIn(t.clerk, member.id);
  const bjNo = orderNo('BJ');
  expect((await app.api.post('/staff/purchases', { memberCode: await memberCode(app.api, await tokenAt(app, { memberId: member.id })), orderNo: bjNo, amountFen: 500 }, t.bjClerk)).status).toBe(200);
  ids.bjPurchase = String((await app.services.models.purchases.findOne({ storeId: 'BJ01', orderNo: bjNo }).lean())!._id);
}, 60_000);
afterAll(async () => {
  await app.stop();
});

describe('the counter’s day', () => {
  it('lists the store’s entries of the China day, newest first, and no others', async () => {
    const t = await tokens();
    const today = await app.api.get('/staff/shift/events', t.clerk);
    expect(today.status).toBe(200);
    expect(today.body.items.map((e: { kind: string; id: string }) => e.kind)).toEqual(['checkin', 'redemption', 'purchase', 'purchase']);
    const [checkin, redemption, noon, midnight] = today.body.items;
    expect(noon).toMatchObject({ id: ids.clerkNoon, staffName: '静安店员', amountFen: 173_150, points: 1_731, status: 'done', reversal: null, member: { cardNoTail: expect.stringMatching(/^\d{4}$/) } });
    expect(midnight).toMatchObject({ id: ids.justAfterMidnight, staffName: '静安店长', amountFen: 10_050 });
    expect(Date.parse(midnight.at) - DAY_START.getTime()).toBeLessThan(20_000);
    expect(redemption).toMatchObject({ id: ids.redemption, amountFen: 6_000, coupon: { title: '满50减10', faceValueFen: 1_000 }, points: 0 });
    expect(checkin).toMatchObject({ kind: 'checkin', activityTitle: '咖啡品鉴会', points: 30, staffName: '静安店员', reversalBlock: 'NOT_REVERSIBLE', storeId: 'SH01' });
    // Twenty seconds before midnight is yesterday's; BJ01's purchase is BJ01's.
    expect(today.body.items.map((e: { id: string }) => e.id)).not.toContain(ids.lateYesterday);
    expect(today.body.items.map((e: { id: string }) => e.id)).not.toContain(ids.bjPurchase);

    const yesterday = await app.api.get('/staff/shift/events?date=2026-03-03', t.manager);
    expect(yesterday.body.items.map((e: { id: string }) => e.id)).toEqual([ids.lateYesterday]);

    // BJ01 sees its own day only.
    const bj = await app.api.get('/staff/shift/events', t.bjClerk);
    expect(bj.body.items.map((e: { id: string }) => e.id)).toEqual([ids.bjPurchase]);
  });

  it('pages all three kinds with one cursor, without repeats or gaps; filters by kind and clerk', async () => {
    const t = await tokens();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await app.api.get(`/staff/shift/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`, t.manager);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    expect((await app.api.get('/staff/shift/events?kind=purchase', t.manager)).body.items.map((e: { id: string }) => e.id)).toEqual([ids.clerkNoon, ids.justAfterMidnight]);
    const clerkId = String((await app.services.models.staff.findOne({ username: 'sh01-clerk' }).lean())!._id);
    const clerks = await app.api.get(`/staff/shift/events?staffId=${clerkId}`, t.manager);
    expect(clerks.body.items.map((e: { kind: string }) => e.kind)).toEqual(['checkin', 'redemption', 'purchase']);
  });

  it('sums the day by kind and by clerk; a clerk reads today only', async () => {
    const t = await tokens();
    const summary = await app.api.get('/staff/shift/summary', t.manager);
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ storeId: 'SH01', storeName: expect.any(String), date: '2026-03-04', from: DAY_START.toISOString(), staffId: null });
    expect(summary.body.totals).toEqual({
      purchases: { count: 2, amountFen: 183_200, points: 100 + 1_731 },
      purchaseReversals: { count: 0, amountFen: 0, points: 0 },
      redemptions: { count: 1, faceValueFen: 1_000, orderAmountFen: 6_000 },
      redemptionReversals: { count: 0, faceValueFen: 0, orderAmountFen: 0 },
      checkins: { count: 1, points: 30 },
      pointsIssued: 1_861,
    });
    const byName = Object.fromEntries(summary.body.byClerk.map((c: { staffName: string; totals: unknown }) => [c.staffName, c.totals]));
    expect(byName['静安店员']).toMatchObject({ purchases: { count: 1, amountFen: 173_150 }, redemptions: { count: 1 }, checkins: { count: 1 } });
    expect(byName['静安店长']).toMatchObject({ purchases: { count: 1, amountFen: 10_050 }, redemptions: { count: 0 }, checkins: { count: 0 } });

    // A clerk hands over today's shift with the same totals, but reads no other day.
    expect((await app.api.get('/staff/shift/summary', t.clerk)).body.totals).toEqual(summary.body.totals);
    expectError(await app.api.get('/staff/shift/summary?date=2026-03-03', t.clerk), 403, 'FORBIDDEN');
    expectError(await app.api.get('/staff/shift/events?date=2026-03-03', t.clerk), 403, 'FORBIDDEN');
    expectError(await app.api.get('/staff/shift/events?date=2026-02-30', t.manager), 400, 'VALIDATION_FAILED');
    expectError(await app.api.get('/staff/shift/events?date=2026-03-05', t.manager), 400, 'VALIDATION_FAILED');
    expectError(await app.api.get('/staff/shift/events?kind=refund', t.manager), 400, 'VALIDATION_FAILED');
    expectError(await app.api.get('/staff/shift/events', await tokenAt(app, { memberId: member.id })), 403, 'FORBIDDEN');

    // HQ reads any store's day by its code; staff cannot use HQ's route.
    const hqSummary = await app.api.get('/admin/stores/SH01/shift/summary', t.hq);
    expect(hqSummary.body.totals).toEqual(summary.body.totals);
    expectError(await app.api.get('/admin/stores/SH01/shift/events', t.bjManager), 403, 'FORBIDDEN');
    expectError(await app.api.get('/admin/stores/NOPE01/shift/events', t.hq), 404, 'NOT_FOUND');
  });

  it('tells a clerk why the reversal button is off; another store’s manager cannot reverse; the manager reverses from the list', async () => {
    const t = await tokens();
    const asClerk = await app.api.get('/staff/shift/events?kind=purchase', t.clerk);
    expect(asClerk.body.items.map((e: { reversalBlock: string }) => e.reversalBlock)).toEqual(['NOT_MANAGER', 'NOT_MANAGER']);
    const asManager = await app.api.get('/staff/shift/events?kind=purchase', t.manager);
    expect(asManager.body.items.map((e: { reversalBlock: string | null }) => e.reversalBlock)).toEqual([null, null]);
    expect(Date.parse(asManager.body.items[0].reversibleUntil)).toBe(Date.parse(asManager.body.items[0].at) + 24 * HOUR);

    expectError(await app.api.post(`/staff/purchases/${ids.clerkNoon}/reversal`, { reason: '金额录入错误' }, t.clerk), 403, 'FORBIDDEN');
    expectError(await app.api.post(`/staff/purchases/${ids.clerkNoon}/reversal`, { reason: '金额录入错误' }, t.bjManager), 404, 'NOT_FOUND');
    expectError(await app.api.post(`/staff/redemptions/${ids.redemption}/reversal`, { reason: '券核销错误' }, t.bjManager), 403, 'FORBIDDEN');
    expectError(await app.api.post(`/staff/purchases/${ids.clerkNoon}/reversal`, { reason: '  ' }, t.manager), 400, 'VALIDATION_FAILED');

    const reversed = await app.api.post(`/staff/purchases/${ids.clerkNoon}/reversal`, { reason: '金额录入错误' }, t.manager);
    expect(reversed.status).toBe(200);
    expect(reversed.body).toMatchObject({ pointsTakenBack: 1_731 });
    const entry = (await app.api.get('/staff/shift/events?kind=purchase', t.clerk)).body.items[0];
    expect(entry).toMatchObject({ id: ids.clerkNoon, status: 'reversed', reversalBlock: 'REVERSED', reversal: { reason: '金额录入错误', byName: '静安店长' } });

    const summary = await app.api.get('/staff/shift/summary', t.manager);
    expect(summary.body.totals.purchases).toEqual({ count: 1, amountFen: 10_050, points: 100 });
    expect(summary.body.totals.purchaseReversals).toEqual({ count: 1, amountFen: 173_150, points: 1_731 });
    expect(summary.body.totals.pointsIssued).toBe(130);
  });

  it('closes the reversal after 24 hours: the list says so and the route refuses', async () => {
    app.clock.set(new Date(DAY_START.getTime() + 24 * HOUR + 60_000));
    const t = await tokens();
    const list = await app.api.get('/staff/shift/events?date=2026-03-04&kind=purchase', t.manager);
    const midnight = list.body.items.find((e: { id: string }) => e.id === ids.justAfterMidnight);
    expect(midnight.reversalBlock).toBe('WINDOW_CLOSED');
    expectError(await app.api.post(`/staff/purchases/${ids.justAfterMidnight}/reversal`, { reason: '顾客退货退款' }, t.manager), 422, 'REVERSAL_WINDOW_CLOSED');
    expectError(await app.api.post(`/admin/purchases/${ids.justAfterMidnight}/reversal`, { reason: '顾客退货退款' }, t.hq), 422, 'REVERSAL_WINDOW_CLOSED');
    app.clock.set(new Date(DAY_START.getTime() + 12 * HOUR));
  });
});

describe('HQ reverses from the member page', () => {
  it('lists the member’s purchases and redemptions at every store, HQ only', async () => {
    const t = await tokens();
    const list = await app.api.get(`/admin/members/${member.id}/counter-events`, t.hq);
    expect(list.status).toBe(200);
    expect(list.body.items.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining([ids.bjPurchase, ids.redemption, ids.clerkNoon, ids.lateYesterday]));
    expect(list.body.items.every((e: { kind: string }) => e.kind !== 'checkin')).toBe(true);
    expectError(await app.api.get(`/admin/members/${member.id}/counter-events`, t.manager), 403, 'FORBIDDEN');
    expectError(await app.api.post(`/admin/purchases/${ids.bjPurchase}/reversal`, { reason: '重复录入' }, t.manager), 403, 'FORBIDDEN');
    const viewer = await app.api.post('/auth/admin', { username: 'hq-viewer', password: 'viewer-demo-pass' });
    expectError(await app.api.post(`/admin/purchases/${ids.bjPurchase}/reversal`, { reason: '重复录入' }, viewer.body.token), 403, 'FORBIDDEN');
  });

  it('twelve parallel reversals of one purchase (HQ and the store’s manager) reverse it once', async () => {
    const t = await tokens();
    const purchaseId = await buy(t.clerk, member.id, 20_000);
    const balanceBefore = (await app.services.models.members.findById(member.id).lean())!.pointsBalance;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? app.api.post(`/admin/purchases/${purchaseId}/reversal`, { reason: '重复录入' }, t.hq)
          : app.api.post(`/staff/purchases/${purchaseId}/reversal`, { reason: '重复录入' }, t.manager),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(new Set(answers.map((a) => a.body.purchase.reversal.at)).size).toBe(1);
    expect(await app.services.models.ledger.countDocuments({ memberId: member.id, source: 'reversal', idempotencyKey: `reversal:${purchaseId}` })).toBe(1);
    expect(await app.services.models.audit.countDocuments({ action: 'purchase.reverse', targetId: purchaseId })).toBe(1);
    expect((await app.services.models.members.findById(member.id).lean())!.pointsBalance).toBe(balanceBefore - 200);
  });

  it('twelve parallel HQ reversals of one redemption reverse it once and give the coupon back', async () => {
    const t = await tokens();
    const redemptionId = await redeem(t.clerk, member.id, 5_000);
    const answers = await Promise.all(Array.from({ length: 12 }, () => app.api.post(`/admin/redemptions/${redemptionId}/reversal`, { reason: '券核销错误' }, t.hq)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(answers.every((a) => a.body.status === 'reversed')).toBe(true);
    expect(await app.services.models.audit.countDocuments({ action: 'redemption.reverse', targetId: redemptionId })).toBe(1);
    const stored = await app.services.models.redemptions.findById(redemptionId).lean();
    const hqId = String((await app.services.models.staff.findOne({ username: 'hq' }).lean())!._id);
    expect(stored).toMatchObject({ status: 'reversed', reversedBy: hqId, reversalReason: '券核销错误' });
    expect((await app.services.models.coupons.findById(stored!.couponId).lean())!.status).toBe('issued');

    const listed = (await app.api.get(`/admin/members/${member.id}/counter-events`, t.hq)).body.items.find((e: { id: string }) => e.id === redemptionId);
    expect(listed).toMatchObject({ status: 'reversed', reversalBlock: 'REVERSED', reversal: { byName: '总部运营', reason: '券核销错误' }, coupon: { faceValueFen: 1_000 } });
  });
});
