import { isHeldOut, proportionDifference } from '@membercard/shared';
import { Types } from 'mongoose';
import pino from 'pino';
import { JOBS } from '../src/jobs/registry';
import { startScheduler } from '../src/jobs/scheduler';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

// Campaign holdouts over HTTP: the held-out share gets no coupon and no message, is about the share asked for,
// is recorded per member, and stays the same when a push is interrupted and finished by another instance;
// results per campaign, home store and tier come from the recorded groups, the window's purchases and the
// campaign's redemptions.

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const cash = { title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 100_000, perMemberLimit: 1 };

async function createTemplate(target: TestApp, token: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await target.api.post('/admin/coupon-templates', { ...cash, ...overrides }, token);
  expect(res.status).toBe(201);
  return res.body.id;
}

let cardSeq = 0;
/** Members as the members module stores them (fixtures, not requests). */
async function seedMembers(target: TestApp, count: number, fields: (i: number) => Record<string, unknown>): Promise<Types.ObjectId[]> {
  const at = target.clock.now();
  const docs = Array.from({ length: count }, (_, i) => ({
    _id: new Types.ObjectId(),
    status: 'active',
    openid: null,
    cardNo: `8${String(++cardSeq).padStart(11, '0')}`,
    homeStoreId: 'SH01',
    profileComplete: false,
    tier: 'silver',
    pointsBalance: 0,
    spend12mFen: 0,
    lastPurchaseAt: null,
    tags: [],
    joinedAt: at,
    createdAt: at,
    ...fields(i),
  }));
  await target.services.models.members.collection.insertMany(docs);
  return docs.map((d) => d._id);
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

describe('holdout', () => {
  it('holds out about the share asked for, records each member’s group, and gives the holdout no coupon', async () => {
    const ids = await seedMembers(app, 2000, () => ({ tags: ['ho-share'] }));
    const templateId = await createTemplate(app, admin, { title: 'holdout' });
    const created = await app.api.post('/admin/campaigns', { name: '对照组', templateId, segment: { tags: ['ho-share'] }, holdoutShare: 0.2 }, admin);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', holdoutShare: 0.2, progress: { holdout: 0 } });
    expect((await app.api.post(`/admin/campaigns/${created.body.id}/launch`, {}, admin)).status).toBe(202);
    const done = await waitFor(() => app.api.get(`/admin/campaigns/${created.body.id}`, admin).then((r) => r.body), (c) => c.status === 'completed');

    const { models } = app.services;
    const records = await models.campaignAudience.find({ campaignId: new Types.ObjectId(created.body.id) }).lean();
    expect(records).toHaveLength(2000);
    expect(new Set(records.map((r) => String(r.memberId)))).toEqual(new Set(ids.map(String)));
    const held = records.filter((r) => r.holdout);
    // 20% of 2000 = 400 with a standard deviation of √(2000 × 0.2 × 0.8) ≈ 17.9. The seed and the member ids are new
    // on every run, so allow five of them (a false alarm about once in two million runs); the draw's evenness is
    // tested with fixed ids in the shared package.
    expect(Math.abs(held.length - 400)).toBeLessThan(90);
    expect(done.progress).toEqual({ targeted: 2000, holdout: held.length, issued: 2000 - held.length, notified: 0, failed: 0 });

    // Each member's recorded group is the campaign seed's draw for them: auditable, and the same on any re-run.
    const { holdoutSeed } = (await models.campaigns.findById(created.body.id).lean())!;
    for (const record of records) expect(record.holdout).toBe(isHeldOut(holdoutSeed, String(record.memberId), 0.2));

    const coupons = await models.coupons.find({ channel: 'campaign', channelRef: created.body.id }, { memberId: 1 }).lean();
    const withCoupon = new Set(coupons.map((c) => String(c.memberId)));
    expect(withCoupon.size).toBe(2000 - held.length);
    expect(held.filter((r) => withCoupon.has(String(r.memberId)))).toEqual([]);

    // A second launch changes nothing.
    expectError(await app.api.post(`/admin/campaigns/${created.body.id}/launch`, {}, admin), 409, 'CAMPAIGN_ALREADY_LAUNCHED');
    expect(await models.campaignAudience.countDocuments({ campaignId: new Types.ObjectId(created.body.id), holdout: true })).toBe(held.length);
  }, 90_000);

  it('keeps in the audience only the members a push that ran out of coupons went through', async () => {
    await seedMembers(app, 120, () => ({ tags: ['ho-out'] }));
    const templateId = await createTemplate(app, admin, { title: 'scarce', totalQuantity: 40 });
    const { body: campaign } = await app.api.post('/admin/campaigns', { name: '券不够', templateId, segment: { tags: ['ho-out'] }, holdoutShare: 0.25 }, admin);
    await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
    const done = await waitFor(() => app.api.get(`/admin/campaigns/${campaign.id}`, admin).then((r) => r.body), (c) => c.status === 'failed');
    expect(done).toMatchObject({ failureReason: 'TEMPLATE_EXHAUSTED', progress: { targeted: 120, issued: 40 } });
    const records = await app.services.models.campaignAudience.find({ campaignId: new Types.ObjectId(campaign.id) }).lean();
    expect(records.length).toBeLessThan(120);
    expect(records.filter((r) => !r.holdout)).toHaveLength(40); // exactly those who got a coupon
    expect(records.filter((r) => r.holdout)).toHaveLength(done.progress.holdout);
    const results = (await app.api.get(`/admin/campaigns/${campaign.id}/results`, admin)).body;
    expect(results.total).toMatchObject({ targeted: records.length, holdout: done.progress.holdout, issued: 40 });
  });

  it('refuses a share above 50% and a bad saved segment; copies a saved segment and records its source', async () => {
    const templateId = await createTemplate(app, admin, { title: 'saved' });
    const tooMuch = await app.api.post('/admin/campaigns', { name: 'x', templateId, segment: {}, holdoutShare: 0.6 }, admin);
    expectError(tooMuch, 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/admin/campaigns', { name: 'x', templateId }, admin), 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/admin/campaigns', { name: 'x', templateId, segment: {}, savedSegmentId: new Types.ObjectId().toHexString() }, admin), 400, 'VALIDATION_FAILED');
    const unknown = await app.api.post('/admin/campaigns', { name: 'x', templateId, savedSegmentId: new Types.ObjectId().toHexString() }, admin);
    expectError(unknown, 400, 'VALIDATION_FAILED');
    expect(unknown.body.error.details.fields).toEqual([expect.objectContaining({ field: 'body.savedSegmentId' })]);

    const saved = await app.api.post('/admin/segments', { name: '金卡会员', segment: { tiers: ['gold'] } }, admin);
    expect(saved.status).toBe(201);
    const created = await app.api.post('/admin/campaigns', { name: '金卡回馈', templateId, savedSegmentId: saved.body.id, holdoutShare: 0.1 }, admin);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ segment: { tiers: ['gold'] }, source: { savedSegmentId: saved.body.id, name: '金卡会员' }, holdoutShare: 0.1 });
    // The copy stands when the saved segment goes.
    expect((await app.api.delete(`/admin/segments/${saved.body.id}`, admin)).status).toBe(204);
    expect((await app.api.get(`/admin/campaigns/${created.body.id}`, admin)).body).toMatchObject({ segment: { tiers: ['gold'] }, source: { name: '金卡会员' } });
  });

  it('holds out the same members when a push is interrupted and another instance finishes it', async () => {
    const first = await startTestApp({ pushBatchSize: 40 });
    let second: TestApp | null = null;
    try {
      const hq = await adminToken(first.api);
      await seedMembers(first, 800, () => ({ tags: ['ho-crash'] }));
      const templateId = await createTemplate(first, hq, { title: 'crash' });
      const { body: campaign } = await first.api.post('/admin/campaigns', { name: '中断', templateId, segment: { tags: ['ho-crash'] }, holdoutShare: 0.3 }, hq);
      expect((await first.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, hq)).status).toBe(202);
      const campaignId = new Types.ObjectId(campaign.id);
      await waitFor(() => first.services.models.campaignAudience.countDocuments({ campaignId }), (n) => n >= 160);
      await first.close(); // mid-push: the batch in hand has its groups recorded but is not counted, and runs again

      second = await startTestApp({ seed: false, sameDatabaseAs: first });
      const { models } = second.services;
      expect(await models.campaignAudience.countDocuments({ campaignId })).toBeLessThan(800); // it really was interrupted
      const hq2 = await adminToken(second.api);
      const done = await waitFor(() => second!.api.get(`/admin/campaigns/${campaign.id}`, hq2).then((r) => r.body), (c) => c.status === 'completed');

      const records = await models.campaignAudience.find({ campaignId }).lean();
      expect(records).toHaveLength(800);
      const { holdoutSeed } = (await models.campaigns.findById(campaignId).lean())!;
      for (const record of records) expect(record.holdout).toBe(isHeldOut(holdoutSeed, String(record.memberId), 0.3));
      const held = new Set(records.filter((r) => r.holdout).map((r) => String(r.memberId)));
      const coupons = await models.coupons.find({ channel: 'campaign', channelRef: campaign.id }, { memberId: 1 }).lean();
      expect(coupons).toHaveLength(800 - held.size);
      expect(coupons.filter((c) => held.has(String(c.memberId)))).toEqual([]);
      // Every member counted once, whichever run pushed them.
      expect(done.progress).toEqual({ targeted: 800, holdout: held.size, issued: 800 - held.size, notified: 0, failed: 0 });
    } finally {
      if (second) await second.stop();
      else await first.stop();
    }
  }, 120_000);
});

describe('results', () => {
  it('compares the targeted group with the holdout in the window, by home store and tier, with redemptions and coupon cost', async () => {
    const clerk = await staffToken(app.api, 'sh01-clerk');
    const bjClerk = await staffToken(app.api, 'bj01-clerk');
    // 300 fixture members over two stores and no store, two tiers; ten real members who can redeem.
    const fixtures = await seedMembers(app, 300, (i) => ({ tags: ['res'], homeStoreId: i % 3 === 0 ? 'SH01' : i % 3 === 1 ? 'BJ01' : null, tier: i % 4 === 0 ? 'gold' : 'silver' }));
    const shoppers = await Promise.all(Array.from({ length: 10 }, (_, i) => joinedMember(app.api, `res-${i}`, i % 2 ? 'BJ01' : 'SH01')));
    await app.services.models.members.updateMany({ _id: { $in: shoppers.map((s) => new Types.ObjectId(s.member.id)) } }, { $set: { tags: ['res'] } });
    const templateId = await createTemplate(app, admin, { title: 'results', validDays: 10 });
    const { body: campaign } = await app.api.post('/admin/campaigns', { name: '效果', templateId, segment: { tags: ['res'] }, holdoutShare: 0.3, message: { default: '送你一张券' } }, admin);

    const before = await app.api.get(`/admin/campaigns/${campaign.id}/results`, admin);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ window: null, total: { targeted: 0, issued: 0 } });

    await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
    await waitFor(() => app.api.get(`/admin/campaigns/${campaign.id}`, admin).then((r) => r.body), (c) => c.status === 'completed');
    const { models } = app.services;
    const records = await models.campaignAudience.find({ campaignId: new Types.ObjectId(campaign.id) }).lean();
    expect(records).toHaveLength(310);
    const launchedAt = (await models.campaigns.findById(campaign.id).lean())!.launchedAt!;
    // The push's message went to the targeted members it could reach, never to the holdout.
    const messaged = await models.subscribeMessages.find({}, { memberId: 1 }).lean();
    const heldOut = new Set(records.filter((r) => r.holdout).map((r) => String(r.memberId)));
    const treatedIds = new Set(records.filter((r) => !r.holdout).map((r) => String(r.memberId)));
    expect(messaged.filter((m) => treatedIds.has(String(m.memberId))).length).toBeGreaterThan(0);
    expect(messaged.filter((m) => heldOut.has(String(m.memberId)))).toEqual([]);

    // Purchases (fixtures): every other fixture member buys ¥80 in the window (launch → now); one purchase before
    // the launch, one reversed and one after the window do not count.
    let order = 0;
    const purchase = (memberId: Types.ObjectId, amountFen: number, createdAt: Date, status = 'booked') => ({
      memberId, storeId: 'SH01', orderNo: `RES-${++order}`, amountFen, lines: [], pointsEarned: 0, ledgerEntryId: null, balanceAfter: 0,
      tierBefore: 'silver', tierAfter: 'silver', staffId: 'x', createdAt, status, inSpendWindow: false, reversal: null,
    });
    const inWindow = new Date(launchedAt.getTime() + 1);
    const buyers = fixtures.filter((_, i) => i % 2 === 0);
    await models.purchases.collection.insertMany([
      ...buyers.map((id) => purchase(id, 8_000, inWindow)),
      purchase(fixtures[1]!, 50_000, new Date(launchedAt.getTime() - 60_000)),
      purchase(fixtures[3]!, 50_000, inWindow, 'reversed'),
      purchase(fixtures[5]!, 50_000, new Date(launchedAt.getTime() + 11 * 24 * 3600_000)),
    ]);

    // Two real members of the targeted group redeem, at different stores.
    const groupOf = new Map(records.map((r) => [String(r.memberId), r]));
    const redeemers = shoppers.filter((s) => !groupOf.get(s.member.id)!.holdout).slice(0, 2);
    expect(redeemers).toHaveLength(2);
    for (const [i, shopper] of redeemers.entries()) {
      const coupon = await models.coupons.findOne({ channelRef: campaign.id, memberId: new Types.ObjectId(shopper.member.id) }).lean();
      const code = (await app.api.get(`/me/coupons/${String(coupon!._id)}/code`, shopper.token)).body.code;
      const res = await app.api.post('/staff/redemptions', { code, orderNo: `RES-R${i}`, orderAmountFen: 15_000 + i * 1_000 }, i === 0 ? clerk : bjClerk);
      expect(res.status).toBe(201);
    }

    const res = await app.api.get(`/admin/campaigns/${campaign.id}/results`, admin);
    expect(res.status).toBe(200);
    const results = res.body;
    expect(results.recorded).toBe(true);
    expect(results.window.from).toBe(launchedAt.toISOString());
    expect(results.window.open).toBe(true);

    // The expected figures, counted here from the recorded groups and the purchases made above.
    const bought = new Set(buyers.map(String));
    const expectRow = (row: any, members: typeof records) => {
      const treated = members.filter((m) => !m.holdout);
      const held = members.filter((m) => m.holdout);
      const visitors = (group: typeof records) => group.filter((m) => bought.has(String(m.memberId))).length;
      expect(row).toMatchObject({ targeted: members.length, holdout: held.length });
      expect(row.visitRate.treated).toBeCloseTo(visitors(treated) / treated.length, 12);
      expect(row.visitRate.holdout).toBeCloseTo(visitors(held) / held.length, 12);
      expect(row.spendPerMember.treatedFen).toBeCloseTo((visitors(treated) * 8_000) / treated.length, 6);
      expect(row.spendPerMember.holdoutFen).toBeCloseTo((visitors(held) * 8_000) / held.length, 6);
      if (treated.length >= results.minGroupForInterval && held.length >= results.minGroupForInterval) {
        expect(row.tooSmall).toBe(false);
        const { interval } = proportionDifference(visitors(treated), treated.length, visitors(held), held.length);
        expect(row.visitRate.interval.low).toBeCloseTo(interval.low, 12);
        expect(row.visitRate.interval.high).toBeCloseTo(interval.high, 12);
        expect(row.spendPerMember.interval.low).toBeLessThan(row.spendPerMember.diffFen);
        expect(row.spendPerMember.interval.high).toBeGreaterThan(row.spendPerMember.diffFen);
      } else {
        expect(row).toMatchObject({ tooSmall: true, visitRate: { interval: null }, spendPerMember: { interval: null } });
      }
    };
    expectRow(results.total, records);
    expect(results.total).toMatchObject({
      key: null, issued: records.filter((r) => !r.holdout).length, redeemed: 2, orderAmountFen: 31_000, couponCostFen: 4_000,
    });
    expect(results.total.redemptionRate).toBeCloseTo(2 / records.filter((r) => !r.holdout).length, 12);

    // By home store: members with no home store form their own row (key null), never a store called "none".
    expect(results.byStore.map((row: any) => row.key).sort()).toEqual(['BJ01', 'SH01', null].sort());
    for (const row of results.byStore) expectRow(row, records.filter((r) => r.homeStoreId === row.key));
    const byStore = Object.fromEntries(results.byStore.map((row: any) => [String(row.key), row]));
    const redeemerStores = redeemers.map((s) => groupOf.get(s.member.id)!.homeStoreId);
    for (const store of ['SH01', 'BJ01']) {
      expect(byStore[store].redeemed).toBe(redeemerStores.filter((s) => s === store).length);
      expect(byStore[store].issued).toBe(records.filter((r) => r.homeStoreId === store && !r.holdout).length);
    }
    expect(byStore.null.issued).toBe(records.filter((r) => r.homeStoreId === null && !r.holdout).length);
    expect(results.byTier.map((row: any) => row.key).sort()).toEqual(['gold', 'silver']);
    for (const row of results.byTier) expectRow(row, records.filter((r) => r.tier === row.key));
  }, 90_000);
});

describe('scheduled launch', () => {
  it('schedules in the future only, reschedules, cancels back to a draft, and refuses both once launched', async () => {
    await seedMembers(app, 5, () => ({ tags: ['sched'] }));
    const templateId = await createTemplate(app, admin, { title: 'sched' });
    const soon = () => new Date(app.clock.now().getTime() + 3600_000).toISOString();
    const past = new Date(app.clock.now().getTime() - 1000).toISOString();
    expectError(await app.api.post('/admin/campaigns', { name: 'x', templateId, segment: { tags: ['sched'] }, launchAt: past }, admin), 400, 'VALIDATION_FAILED');

    const { body: campaign } = await app.api.post('/admin/campaigns', { name: '定时', templateId, segment: { tags: ['sched'] } }, admin);
    const scheduled = await app.api.post(`/admin/campaigns/${campaign.id}/schedule`, { launchAt: soon() }, admin);
    expect(scheduled.status).toBe(200);
    expect(scheduled.body).toMatchObject({ status: 'scheduled', launchAt: expect.any(String) });
    const later = new Date(app.clock.now().getTime() + 7200_000).toISOString();
    const moved = await app.api.post(`/admin/campaigns/${campaign.id}/schedule`, { launchAt: later }, admin);
    expect(moved.body.launchAt).toBe(new Date(later).toISOString());
    expectError(await app.api.post(`/admin/campaigns/${campaign.id}/schedule`, { launchAt: past }, admin), 400, 'VALIDATION_FAILED');

    // Not due yet: the job leaves it alone.
    await app.services.campaigns.launchDue();
    expect((await app.api.get(`/admin/campaigns/${campaign.id}`, admin)).body.status).toBe('scheduled');

    const cancelled = await app.api.post(`/admin/campaigns/${campaign.id}/unschedule`, {}, admin);
    expect(cancelled.body).toMatchObject({ status: 'draft' });
    expect(cancelled.body.launchAt).toBeUndefined();
    await app.services.models.campaigns.updateOne({ _id: new Types.ObjectId(campaign.id) }, { $set: { launchAt: new Date(app.clock.now().getTime() - 1000) } });
    await app.services.campaigns.launchDue(); // a cancelled launch is not due, whatever time it had
    expect((await app.api.get(`/admin/campaigns/${campaign.id}`, admin)).body.status).toBe('draft');

    await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
    expectError(await app.api.post(`/admin/campaigns/${campaign.id}/schedule`, { launchAt: soon() }, admin), 409, 'CAMPAIGN_ALREADY_LAUNCHED');
    expectError(await app.api.post(`/admin/campaigns/${campaign.id}/unschedule`, {}, admin), 409, 'CAMPAIGN_ALREADY_LAUNCHED');

    const marketingOnly = await app.api.post(`/admin/campaigns/${campaign.id}/schedule`, { launchAt: soon() });
    expect(marketingOnly.status).toBe(401);
  });
});

describe('scheduled launch across instances', () => {
  it('two instances’ schedulers and direct job runs racing launch a due campaign exactly once', async () => {
    const first = await startTestApp();
    const second = await startTestApp({ seed: false, sameDatabaseAs: first });
    const logger = pino({ level: 'silent' });
    // The real campaign-launch job, polled every 200 ms instead of every minute.
    const launchJob = { ...JOBS.find((job) => job.name === 'campaign-launch')!, every: '200' };
    const schedulers: Array<{ stop(): Promise<void> }> = [];
    try {
      const hq = await adminToken(first.api);
      await seedMembers(first, 60, () => ({ tags: ['race'] }));
      const templateId = await createTemplate(first, hq, { title: 'race' });
      const launchAt = new Date(first.clock.now().getTime() + 1500);
      const { body: campaign } = await first.api.post('/admin/campaigns', { name: '定时竞争', templateId, segment: { tags: ['race'] }, holdoutShare: 0.1, launchAt: launchAt.toISOString() }, hq);
      expect(campaign).toMatchObject({ status: 'scheduled', launchAt: launchAt.toISOString() });

      for (const target of [first, second]) {
        schedulers.push(await startScheduler({ services: target.services, connection: target.connection, logger, jobs: [launchJob], processEveryMs: 50, lockLifetimeMs: 2_000, drainTimeoutMs: 5_000 }));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, launchAt.getTime() - Date.now())));
      // Beside the schedulers, both instances run the job by hand at the same moment (as `npm run job` would).
      const direct = await Promise.all([first, second, first, second].map((target) => target.services.campaigns.launchDue()));
      const done = await waitFor(() => first.api.get(`/admin/campaigns/${campaign.id}`, hq).then((r) => r.body), (c) => c.status === 'completed');
      expect(direct.reduce((sum, run) => sum + run.processed, 0)).toBeLessThanOrEqual(1);

      const launches = await first.services.models.audit.find({ action: 'campaign.launch', targetId: campaign.id }).lean();
      expect(launches).toHaveLength(1);
      expect(launches[0]).toMatchObject({ requestId: `scheduled-launch:${campaign.id}`, actorType: 'admin' });
      expect(done.progress.targeted).toBe(60);
      expect(done.progress.holdout + done.progress.issued).toBe(60);
      expect(await first.services.models.coupons.countDocuments({ channelRef: campaign.id })).toBe(done.progress.issued);
      expect(await first.services.models.campaignAudience.countDocuments({ campaignId: new Types.ObjectId(campaign.id) })).toBe(60);
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
      await second.close();
      await first.stop();
    }
  }, 60_000);
});
