import { Types } from 'mongoose';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';
import { memberCode, orderNo, purchase } from './points-helpers';

// The dashboard's member figures come from rollups by store and tier that a job keeps from the members changed
// since its mark. They must equal a recount whatever the job has or has not folded in yet, and racing runs
// must fold each change once.

let app: TestApp;
let admin: string;
let clerk: string;
let bjClerk: string;

beforeAll(async () => {
  app = await startTestApp({ seed: true });
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
  bjClerk = await staffToken(app.api, 'bj01-clerk');
}, 30_000);
afterAll(() => app.stop());

const dashboard = async (storeId?: string) => {
  const res = await app.api.get(`/admin/dashboard${storeId ? `?storeId=${storeId}` : ''}`, admin);
  expect(res.status).toBe(200);
  const { asOf: _asOf, campaignRedemption: _c, ...figures } = res.body;
  return figures;
};

const expectRollupsReconcile = async () => {
  const result = await app.services.memberRollups.reconcile();
  expect(result.breaks).toEqual([]);
  return result;
};

it('figures are the same before the job runs, after it, and after racing runs; the rollups equal a recount', async () => {
  // members at two stores, purchases (points, visits, spend), one member erased, one bulk-loaded without updatedAt
  const shoppers = await Promise.all(
    Array.from({ length: 6 }, (_, i) => joinedMember(app.api, `rollup-${i}`, i % 2 === 0 ? 'SH01' : 'BJ01')),
  );
  for (const [i, shopper] of shoppers.entries()) {
    const code = await memberCode(app.api, shopper.token);
    const res = await purchase(app.api, i % 2 === 0 ? clerk : bjClerk, { memberCode: code, orderNo: orderNo(`ru${i}`), amountFen: (i + 1) * 150_000 });
    expect(res.status).toBe(200);
  }
  expect((await app.api.delete('/me', shoppers[5]!.token)).status).toBe(204);
  await app.services.models.members.collection.insertOne({
    _id: new Types.ObjectId(), status: 'active', cardNo: '800000000777', homeStoreId: 'SH01', tier: 'gold', pointsBalance: 0,
    spend12mFen: 2_000_000, lastPurchaseAt: new Date(), joinedAt: new Date(), createdAt: new Date(), profileComplete: false, tags: [],
  });

  const before = await dashboard();
  const beforeSh = await dashboard('SH01');
  expect(before.members.total).toBe(6); // 6 joined − 1 erased + 1 bulk-loaded
  expect(beforeSh.members.total).toBe(4);

  // three runs at once, with no settling time so they take everything: each change folded once
  const runs = await Promise.allSettled([0, 1, 2].map(() => app.services.memberRollups.catchUp({ settleMs: 0 })));
  expect(runs.some((run) => run.status === 'fulfilled')).toBe(true);
  await app.services.memberRollups.catchUp({ settleMs: 0 });
  expect(await dashboard()).toEqual(before);
  expect(await dashboard('SH01')).toEqual(beforeSh);
  const { membersChecked } = await expectRollupsReconcile();
  expect(membersChecked).toBeGreaterThanOrEqual(7);

  // later changes (a purchase moves points, spend and the tier) show at once, before the next run
  const code = await memberCode(app.api, shoppers[0]!.token);
  expect((await purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('ru-late'), amountFen: 900_000 })).status).toBe(200);
  const later = await dashboard();
  expect(later.pointsLiability.points).toBe(before.pointsLiability.points + 9_000);
  await app.services.memberRollups.catchUp({ settleMs: 0 });
  expect(await dashboard()).toEqual(later);
  await expectRollupsReconcile();
}, 60_000);

it('the scheduled job is registered and folds changes in', async () => {
  const { JOBS } = await import('../src/jobs/registry');
  const job = JOBS.find((j) => j.name === 'member-rollups');
  expect(job?.every).toBe('1 minute');
  // settled changes only: nothing here is 90 s old, so the scheduled run folds nothing new and breaks nothing
  await job!.run(app.services);
  await expectRollupsReconcile();
});
