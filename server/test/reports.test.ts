import { chinaIsoDate } from '@membercard/shared';
import { adminToken, joinedMember, signInShopper, staffToken, startTestApp, type TestApp } from './support/harness';
import { adjust, memberCode, orderNo, purchase, runJob } from './points-helpers';

// HQ reports by China day and store: worked out on read for days the job has not closed, kept per day and store
// once closed, the same figures either way; a manager sees their store; CSV export; bad ranges refused.

let app: TestApp;
let admin: string;
const DAY = 24 * 3600_000;

beforeAll(async () => {
  app = await startTestApp({ seed: true });
  admin = await adminToken(app.api);
}, 30_000);
afterAll(() => app.stop());

it('a day’s figures are the same worked out live and once the day is closed, by store and brand-wide', async () => {
  const clerk = await staffToken(app.api, 'sh01-clerk');
  const bjClerk = await staffToken(app.api, 'bj01-clerk');
  const today = chinaIsoDate(app.clock.now());
  const a = await joinedMember(app.api, 'report-a', 'SH01');
  const b = await joinedMember(app.api, 'report-b', 'BJ01');
  expect((await purchase(app.api, clerk, { memberCode: await memberCode(app.api, a.token), orderNo: orderNo('rp1'), amountFen: 12_000 })).status).toBe(200);
  expect((await purchase(app.api, clerk, { memberCode: await memberCode(app.api, a.token), orderNo: orderNo('rp2'), amountFen: 8_000 })).status).toBe(200);
  expect((await purchase(app.api, bjClerk, { memberCode: await memberCode(app.api, b.token), orderNo: orderNo('rp3'), amountFen: 50_000 })).status).toBe(200);
  expect((await adjust(app.api, admin, a.member.id, -50, 'report-adjust')).status).toBe(201);

  const live = await app.api.get(`/admin/reports?from=${today}&to=${today}`, admin);
  expect(live.status).toBe(200);
  expect(live.body.days).toHaveLength(1);
  expect(live.body.totals).toMatchObject({ joined: 2, purchases: 3, purchaseFen: 70_000, buyers: 2, pointsSpent: 50 });
  expect(live.body.totals.pointsEarned).toBeGreaterThanOrEqual(700);
  const sh = await app.api.get(`/admin/reports?from=${today}&to=${today}&storeId=SH01`, admin);
  expect(sh.body.totals).toMatchObject({ joined: 1, purchases: 2, purchaseFen: 20_000, buyers: 1 });

  // the next day the job closes today; the report reads the kept figures and says the same
  app.clock.advance(DAY);
  admin = await adminToken(app.api); // tokens issued before the move have expired
  const nextDayClerk = await staffToken(app.api, 'sh01-clerk');
  expect(await runJob(app, 'report-days')).toBeGreaterThanOrEqual(1);
  expect(await app.services.reports.days.countDocuments({ day: today })).toBeGreaterThanOrEqual(2);
  const closed = await app.api.get(`/admin/reports?from=${today}&to=${today}`, admin);
  expect(closed.body.days).toEqual(live.body.days);
  // running it again changes nothing
  await runJob(app, 'report-days');
  expect((await app.api.get(`/admin/reports?from=${today}&to=${today}`, admin)).body.days).toEqual(live.body.days);

  // a member who buys again the next day is one buying member of the two days, not two
  const tomorrow = chinaIsoDate(app.clock.now());
  const aAgain = (await signInShopper(app.api, 'report-a')).body.token as string;
  expect((await purchase(app.api, nextDayClerk, { memberCode: await memberCode(app.api, aAgain), orderNo: orderNo('rp4'), amountFen: 5_000 })).status).toBe(200);
  const twoDays = await app.api.get(`/admin/reports?from=${today}&to=${tomorrow}`, admin);
  expect(twoDays.body.days.map((d: { buyers: number }) => d.buyers)).toEqual([2, 1]);
  expect(twoDays.body.totals).toMatchObject({ purchases: 4, purchaseFen: 75_000, buyers: 2 });

  // a store manager gets their own store whatever they ask for another
  const manager = await staffToken(app.api, 'sh01-manager');
  const own = await app.api.get(`/admin/reports?from=${today}&to=${today}`, manager);
  expect(own.status).toBe(200);
  expect(own.body.storeId).toBe('SH01');
  expect(own.body.totals.purchases).toBe(2);
  expect((await app.api.get(`/admin/reports?from=${today}&to=${today}&storeId=BJ01`, manager)).status).toBe(403);
  expect((await app.api.get(`/admin/reports?from=${today}&to=${today}`, nextDayClerk)).status).toBe(403);

  // the export: Chinese headers, a row per day and a total, money in yuan
  const csv = await app.api.get(`/admin/reports/export.csv?from=${today}&to=${today}`, admin);
  expect(csv.status).toBe(200);
  const lines = csv.text.replace(/^\ufeff/, '').trim().split('\r\n');
  expect(lines[0]).toContain('会员消费金额（元）');
  expect(lines).toHaveLength(3);
  expect(lines[1]).toContain(`${today},2,3,700.00,2`);
  expect(lines[2]!.startsWith('合计,')).toBe(true);
}, 60_000);

it('refuses a backwards or too long range, and malformed days', async () => {
  for (const query of ['from=2026-03-02&to=2026-03-01', 'from=2025-01-01&to=2026-03-01', 'from=2026-13-01&to=2026-13-02', 'from=2026-01-01']) {
    const res = await app.api.get(`/admin/reports?${query}`, admin);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  }
});
