import { Types } from 'mongoose';
import { adminToken, startTestApp, type TestApp } from './support/harness';

// Campaign outcome rollups (modules/campaigns/rollups.ts): results and list stats read the same before the job folds
// the changes in (readers fold the unsettled tail themselves) and after; a second run and racing runs change nothing
// twice; reversals of purchases and redemptions come off; the reconcile recount agrees, and notices a tampered rollup.

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('keeps each campaign’s outcome by store, tier and group: the same before and after the fold, once under racing runs, with reversals taken off', async () => {
  const { models, campaignRollups } = app.services;
  const at = app.clock.now();
  const stores = ['SH01', 'BJ01', null];
  const memberIds = Array.from({ length: 60 }, () => new Types.ObjectId());
  await models.members.collection.insertMany(
    memberIds.map((_id, i) => ({
      _id, status: 'active', openid: null, cardNo: `6${String(i).padStart(11, '0')}`, homeStoreId: stores[i % 3], profileComplete: false,
      tier: i % 4 === 0 ? 'gold' : 'silver', pointsBalance: 0, spend12mFen: 0, lastPurchaseAt: null, tags: ['roll'], joinedAt: at, createdAt: at,
    })),
  );
  const template = await app.api.post('/admin/coupon-templates', { title: '汇总券', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 10, totalQuantity: 1_000, perMemberLimit: 1 }, admin);
  expect(template.status).toBe(201);
  const { body: campaign } = await app.api.post('/admin/campaigns', { name: '汇总', templateId: template.body.id, segment: { tags: ['roll'] }, holdoutShare: 0.3 }, admin);
  await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
  await waitFor(() => app.api.get(`/admin/campaigns/${campaign.id}`, admin).then((r) => r.body), (c) => c.status === 'completed');
  const campaignId = new Types.ObjectId(campaign.id);
  const records = await models.campaignAudience.find({ campaignId }).lean();
  expect(records).toHaveLength(60);
  const launchedAt = (await models.campaigns.findById(campaignId).lean())!.launchedAt!;

  // Purchases in the window (two for some members), one before the launch and one after the window (not counted);
  // redemptions of the campaign's coupons at two stores.
  let order = 0;
  const purchase = (memberId: Types.ObjectId, amountFen: number, createdAt: Date) => ({
    _id: new Types.ObjectId(), memberId, storeId: 'SH01', orderNo: `ROLL-${++order}`, amountFen, lines: [], pointsEarned: 0, ledgerEntryId: null, balanceAfter: 0,
    tierBefore: 'silver', tierAfter: 'silver', staffId: 'x', createdAt, status: 'booked', inSpendWindow: false, reversal: null,
  });
  // Times between the launch and now (a per-mille of that span), so none is ahead of the clock when the job runs.
  const span = app.clock.now().getTime() - launchedAt.getTime();
  const inWindow = (perMille: number) => new Date(launchedAt.getTime() + 1 + Math.floor(((span - 2) * perMille) / 1000));
  const buys = [
    ...memberIds.filter((_, i) => i % 3 === 0).map((id, k) => purchase(id, 5_000 + k * 100, inWindow(10 + k))),
    ...memberIds.filter((_, i) => i % 9 === 0).map((id, k) => purchase(id, 3_000, inWindow(500 + k))),
    purchase(memberIds[1]!, 90_000, new Date(launchedAt.getTime() - 60_000)),
    purchase(memberIds[2]!, 90_000, new Date(launchedAt.getTime() + 11 * 24 * 3600_000)),
  ];
  await models.purchases.collection.insertMany(buys);
  const treated = records.filter((r) => !r.holdout);
  const redemptions = treated.slice(0, 3).map((r, k) => ({
    _id: new Types.ObjectId(), couponId: new Types.ObjectId(), memberId: r.memberId, templateId: new Types.ObjectId(template.body.id), channel: 'campaign', channelRef: campaign.id,
    storeId: k === 0 ? 'BJ01' : 'SH01', staffId: 'x', orderNo: `ROLL-R${k}`, orderAmountFen: 20_000 + k * 1_000, savingFen: 2_000, status: 'redeemed', createdAt: inWindow(900 + k),
  }));
  await models.redemptions.collection.insertMany(redemptions);

  // The results as of now (the window's end moves with the clock, so it is left out of comparisons).
  const results = async () => {
    const body = (await app.api.get(`/admin/campaigns/${campaign.id}/results`, admin)).body;
    return { ...body, window: { ...body.window, until: undefined } };
  };
  const stats = async () => (await app.api.get(`/admin/campaigns/${campaign.id}`, admin)).body.stats;
  const listed = async () => (await app.api.get('/admin/campaigns?limit=50', admin)).body.items.find((c: { id: string }) => c.id === campaign.id).stats;

  // Read before any fold: the readers work the whole tail out themselves.
  const before = await results();
  const visitors = new Set(buys.filter((p) => p.createdAt >= launchedAt && p.createdAt < new Date(launchedAt.getTime() + 10 * 24 * 3600_000)).map((p) => String(p.memberId)));
  const heldOut = records.filter((r) => r.holdout);
  expect(before.total).toMatchObject({ targeted: 60, holdout: heldOut.length, redeemed: 3, orderAmountFen: 63_000, couponCostFen: 6_000 });
  expect(before.total.visitRate.treated).toBeCloseTo(treated.filter((r) => visitors.has(String(r.memberId))).length / treated.length, 12);
  expect(before.total.visitRate.holdout).toBeCloseTo(heldOut.filter((r) => visitors.has(String(r.memberId))).length / heldOut.length, 12);
  const statsBefore = await stats();
  expect(statsBefore).toMatchObject({ redeemed: 3, orderAmountFen: 63_000 });
  expect(statsBefore.byStore).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'BJ01', redeemed: 1, orderAmountFen: 20_000 })]));
  expect(await listed()).toEqual(statsBefore);

  // The fold: the same figures from the rollups, one document per store, tier and group.
  // Every record up to now is folded (not the purchase before the launch; records stamped ahead of the clock wait).
  const due = (at: Date, bound: Date) => at >= launchedAt && at <= bound;
  const clockThen = app.clock.now();
  const first = await campaignRollups.catchUp({ settleMs: 0 });
  expect(first.processed).toBeGreaterThanOrEqual(60 + buys.filter((p) => due(p.createdAt, clockThen)).length + redemptions.filter((r) => due(r.createdAt, clockThen)).length);
  expect(await results()).toEqual(before);
  expect(await stats()).toEqual(statsBefore);
  const rollups = await campaignRollups.models.rollups.find({ campaignId }).lean();
  const groups = new Set(records.map((r) => `${r.homeStoreId}|${r.tier}|${r.holdout}`));
  expect(rollups).toHaveLength(groups.size);
  expect(rollups.reduce((sum, doc) => sum + doc.targeted, 0)).toBe(60);
  // A second run finds nothing new and changes nothing.
  expect((await campaignRollups.catchUp({ settleMs: 0 })).processed).toBe(0);
  expect(await campaignRollups.models.rollups.find({ campaignId }).lean()).toEqual(rollups);

  // Reversals (as the purchase and redemption services record them) come off: first through the readers' tail, then folded.
  const now = app.clock.now();
  const reversedPurchase = buys[0]!;
  await models.purchases.updateOne({ _id: reversedPurchase._id }, { $set: { status: 'reversed', reversal: { reason: 'x', pointsTakenBack: 0, shortfall: 0, balanceAfter: 0, ledgerEntryId: null, staffId: 'x', at: now } } });
  await models.redemptions.updateOne({ _id: redemptions[0]!._id }, { $set: { status: 'reversed', reversedAt: now, reversedBy: 'x', reversalReason: 'x' } });
  const reversed = await results();
  expect(reversed.total).toMatchObject({ redeemed: 2, orderAmountFen: 43_000, couponCostFen: 4_000 });
  const stillVisiting = buys.filter((p) => p !== reversedPurchase && p.createdAt >= launchedAt && p.createdAt < new Date(launchedAt.getTime() + 10 * 24 * 3600_000)).some((p) => String(p.memberId) === String(reversedPurchase.memberId));
  const visitedAfter = visitors.size - (stillVisiting ? 0 : 1);
  const visitingTargets = (r: typeof reversed.total) => r.visitRate.treated * (r.targeted - r.holdout) + r.visitRate.holdout * r.holdout;
  expect(visitingTargets(reversed.total)).toBeCloseTo(visitedAfter, 9);
  expect((await stats()).byStore).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'BJ01', redeemed: 0, orderAmountFen: 0 })]));
  await campaignRollups.catchUp({ settleMs: 0 });
  expect(await results()).toEqual(reversed);

  // Racing runs from scratch fold each change once: the same figures, and the recount agrees.
  await Promise.all([campaignRollups.models.rollups.deleteMany({}), campaignRollups.models.shadows.deleteMany({}), campaignRollups.models.marks.deleteMany({})]);
  const runs = await Promise.allSettled([0, 1, 2].map(() => campaignRollups.catchUp({ settleMs: 0 })));
  for (const run of runs) if (run.status === 'rejected') expect(String(run.reason)).toMatch(/moved by another run|duplicate key|WriteConflict|E11000/);
  await campaignRollups.catchUp({ settleMs: 0 });
  expect(await results()).toEqual(reversed);
  const reconciled = await campaignRollups.reconcile();
  expect(reconciled.breaks).toEqual([]);
  expect(reconciled.pairsChecked).toBeGreaterThanOrEqual(60);

  // A rollup that drifted from its sources is a break the recount names.
  await campaignRollups.models.rollups.updateOne({ _id: rollups[0]!._id }, { $inc: { visitors: 1 } });
  const drifted = await campaignRollups.reconcile();
  expect(drifted.breaks).toEqual([expect.stringContaining(`${rollups[0]!._id}: visitors`)]);
}, 60_000);
