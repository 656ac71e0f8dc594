import { Types } from 'mongoose';
import { CouponIssuer } from '../src/modules/coupons/issuer';
import { couponIssueBatchModel } from '../src/modules/coupons/model';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

// Campaigns over HTTP: exact previews, pushes that give each member one coupon, launch exactly once, a
// worker killed mid-push and another instance finishing it, and stats that match the redemptions.

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

const cash = { title: '满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 100_000, perMemberLimit: 1 };

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

async function createTemplate(target: TestApp, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await target.api.post('/admin/coupon-templates', { ...cash, ...overrides }, await adminToken(target.api));
  expect(res.status).toBe(201);
  return res.body.id;
}

let cardSeq = 0;
/** Members as the members module stores them, with the RFM fields segments read (fixtures, not requests). */
async function seedMembers(target: TestApp, count: number, fields: (i: number) => Record<string, unknown>): Promise<Types.ObjectId[]> {
  const at = new Date();
  const docs = Array.from({ length: count }, (_, i) => ({
    _id: new Types.ObjectId(),
    status: 'active',
    openid: null,
    cardNo: `9${String(++cardSeq).padStart(11, '0')}`,
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

const campaignOf = (target: TestApp, id: string) => target.api.get(`/admin/campaigns/${id}`, admin).then((r) => r.body);

describe('segments and preview', () => {
  it('counts exactly what the segment selects and samples members of it', async () => {
    const tag = 'pv-coffee';
    await seedMembers(app, 30, (i) => ({ tags: [tag], tier: i % 3 === 0 ? 'gold' : 'silver', pointsBalance: i * 10, homeStoreId: i % 2 ? 'SH01' : 'BJ01' }));
    await seedMembers(app, 5, () => ({ tags: [tag], tier: 'gold', status: 'erased' })); // never targeted

    const all = await app.api.post('/admin/campaigns/preview', { segment: { tags: [tag] } }, admin);
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(30);
    expect(all.body.sample.length).toBeGreaterThan(0);

    const goldSh = await app.api.post('/admin/campaigns/preview', { segment: { tags: [tag], tiers: ['gold'], homeStoreIds: ['SH01'] } }, admin);
    const expected = Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === 0 && i % 2 === 1).length;
    expect(goldSh.body.count).toBe(expected);
    expect(goldSh.body.sample.every((m: any) => m.tier.code === 'gold' && m.homeStoreId === 'SH01')).toBe(true);

    const rich = await app.api.post('/admin/campaigns/preview', { segment: { tags: [tag], minPointsBalance: 200 } }, admin);
    expect(rich.body.count).toBe(10); // balances 200…290
  });

  it('refuses unknown keys and wrong types naming the field, and non-HQ callers', async () => {
    const unknown = await app.api.post('/admin/campaigns/preview', { segment: { vip: true } }, admin);
    expectError(unknown, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(unknown.body.error.details)).toContain('body.segment');
    const wrongType = await app.api.post('/admin/campaigns/preview', { segment: { birthdayMonth: 'March' } }, admin);
    expectError(wrongType, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(wrongType.body.error.details)).toContain('body.segment.birthdayMonth');
    expectError(await app.api.post('/admin/campaigns/preview', { segment: {} }, clerk), 403, 'FORBIDDEN');
    expectError(await app.api.post('/admin/campaigns/preview', { segment: {} }), 401, 'UNAUTHENTICATED');
  });

  it('saves, lists and deletes segments', async () => {
    const saved = await app.api.post('/admin/segments', { name: '金卡', segment: { tiers: ['gold'] } }, admin);
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ name: '金卡', segment: { tiers: ['gold'] } });
    const list = await app.api.get('/admin/segments', admin);
    expect(list.body.items.map((s: any) => s.id)).toContain(saved.body.id);
    expect((await app.api.delete(`/admin/segments/${saved.body.id}`, admin)).status).toBe(204);
    expectError(await app.api.delete(`/admin/segments/${saved.body.id}`, admin), 404, 'NOT_FOUND');
    expectError(await app.api.post('/admin/segments', { name: 'x', segment: { tiers: 'gold' } }, admin), 400, 'VALIDATION_FAILED');
  });
});

describe('campaign lifecycle', () => {
  it('refuses a campaign without template or segment (400) and on an archived or exhausted template (422)', async () => {
    expectError(await app.api.post('/admin/campaigns', { name: 'x', segment: {} }, admin), 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/admin/campaigns', { name: 'x', templateId: 'abc' }, admin), 400, 'VALIDATION_FAILED');
    const archived = await createTemplate(app, { title: 'archived' });
    await app.api.post(`/admin/coupon-templates/${archived}/archive`, {}, admin);
    expectError(await app.api.post('/admin/campaigns', { name: 'x', templateId: archived, segment: {} }, admin), 422, 'TEMPLATE_ARCHIVED');
    const exhausted = await createTemplate(app, { title: 'one', totalQuantity: 1 });
    const [memberId] = await seedMembers(app, 1, () => ({}));
    expect((await app.api.post(`/admin/coupon-templates/${exhausted}/grants`, { memberId: String(memberId) }, admin, { 'Idempotency-Key': 'ex-1' })).status).toBe(201);
    expectError(await app.api.post('/admin/campaigns', { name: 'x', templateId: exhausted, segment: {} }, admin), 422, 'TEMPLATE_EXHAUSTED');
  });

  it('launches once under parallel launches and gives every targeted member exactly one coupon', async () => {
    const tag = 'push-once';
    const ids = await seedMembers(app, 250, () => ({ tags: [tag] }));
    const templateId = await createTemplate(app, { title: 'push' });
    const created = await app.api.post('/admin/campaigns', { name: '推送', templateId, segment: { tags: [tag] } }, admin);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', progress: { targeted: 0, issued: 0, notified: 0, failed: 0 } });

    const launches = await Promise.all(Array.from({ length: 6 }, () => app.api.post(`/admin/campaigns/${created.body.id}/launch`, {}, admin)));
    expect(launches.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    expect(launches.find((r) => r.status === 409)!.body.error.code).toBe('CAMPAIGN_ALREADY_LAUNCHED');
    expect(launches.find((r) => r.status === 202)!.body).toMatchObject({ status: 'running', progress: { targeted: 250 } });

    const done = await waitFor(() => campaignOf(app, created.body.id), (c) => c.status === 'completed');
    expect(done.progress).toEqual({ targeted: 250, holdout: 0, issued: 250, notified: 0, failed: 0 });
    const coupons = await app.services.models.coupons.find({ channel: 'campaign', channelRef: created.body.id }, { memberId: 1 }).lean();
    expect(coupons).toHaveLength(250);
    expect(new Set(coupons.map((c) => String(c.memberId)))).toEqual(new Set(ids.map(String)));
    expectError(await app.api.post(`/admin/campaigns/${created.body.id}/launch`, {}, admin), 409, 'CAMPAIGN_ALREADY_LAUNCHED');
    expectError(await app.api.post(`/admin/campaigns/${created.body.id}/pause`, {}, admin), 409, 'CONFLICT');
  }, 60_000);

  it('pauses and resumes a push, which then finishes with one coupon per member', async () => {
    const tag = 'pause-resume';
    // Batches of 100 until the pause, so it lands with the push unfinished (one default batch holds all 600).
    const { pusher } = app.services.campaigns;
    const defaultBatchSize = pusher.batchSize;
    pusher.batchSize = 100; // read when the worker claims the campaign
    await seedMembers(app, 600, () => ({ tags: [tag] }));
    const templateId = await createTemplate(app, { title: 'pause' });
    const { body: campaign } = await app.api.post('/admin/campaigns', { name: '暂停', templateId, segment: { tags: [tag] } }, admin);
    await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
    const paused = await app.api.post(`/admin/campaigns/${campaign.id}/pause`, {}, admin);
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    // The worker lets go of a paused campaign after the batch in hand.
    await waitFor(() => app.services.models.campaigns.findById(campaign.id).lean(), (c: any) => c.leaseOwner === null);
    pusher.batchSize = defaultBatchSize;
    const atPause = (await campaignOf(app, campaign.id)).progress.issued;
    expect(atPause).toBeLessThan(600);
    // Every batch the worker started before it saw the pause was recorded: progress matches the coupons.
    expect(await app.services.models.coupons.countDocuments({ channel: 'campaign', channelRef: campaign.id })).toBe(atPause);
    expectError(await app.api.post(`/admin/campaigns/${campaign.id}/pause`, {}, admin), 409, 'CONFLICT');

    expect((await app.api.post(`/admin/campaigns/${campaign.id}/resume`, {}, admin)).body.status).toBe('running');
    const done = await waitFor(() => campaignOf(app, campaign.id), (c) => c.status === 'completed');
    expect(done.progress).toMatchObject({ targeted: 600, issued: 600, failed: 0 });
    expect(await app.services.models.coupons.countDocuments({ channel: 'campaign', channelRef: campaign.id })).toBe(600);
  }, 60_000);

  it.each([
    ['one batch', 1000],
    ['batches of 5, two in flight racing for the last units', 5],
  ])('stops as failed when the template runs out, having issued exactly what was left (%s)', async (_, batchSize) => {
    const tag = `runs-out-${batchSize}`;
    const { pusher } = app.services.campaigns;
    const defaultBatchSize = pusher.batchSize;
    pusher.batchSize = batchSize;
    await seedMembers(app, 30, () => ({ tags: [tag] }));
    const templateId = await createTemplate(app, { title: 'scarce', totalQuantity: 12 });
    const { body: campaign } = await app.api.post('/admin/campaigns', { name: '限量', templateId, segment: { tags: [tag] } }, admin);
    await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
    const done = await waitFor(() => campaignOf(app, campaign.id), (c) => c.status === 'failed');
    await waitFor(() => app.services.models.campaigns.findById(campaign.id).lean(), (c: any) => c.leaseOwner === null);
    pusher.batchSize = defaultBatchSize;
    expect(done).toMatchObject({ failureReason: 'TEMPLATE_EXHAUSTED' });
    expect((await campaignOf(app, campaign.id)).progress.issued).toBe(12);
    expect(await app.services.models.coupons.countDocuments({ channel: 'campaign', channelRef: campaign.id })).toBe(12);
    expect(await app.services.models.couponTemplates.findById(templateId).lean()).toMatchObject({ issuedCount: 12, remaining: 0 });
    const first = await app.api.get('/admin/campaigns?limit=1', admin);
    expect(first.body.items.map((c: any) => c.id)).toEqual([campaign.id]);
    const next = await app.api.get(`/admin/campaigns?limit=1&cursor=${first.body.nextCursor}`, admin);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0].id).not.toBe(campaign.id);
  }, 30_000);
});

describe('crash and resume', () => {
  it('a push that ends gives back the units of a batch a crashed run left open (one its re-run never read again)', async () => {
    const tag = 'orphan';
    const ids = await seedMembers(app, 20, () => ({ tags: [tag] }));
    const templateId = await createTemplate(app, { title: 'orphan', totalQuantity: 100 });
    const { body: campaign } = await app.api.post('/admin/campaigns', { name: '孤批', templateId, segment: { tags: [tag] } }, admin);
    // A run that died after reserving for a batch whose key no later run reaches (its batch size was different).
    const { models } = app.services;
    const crashing = new CouponIssuer({
      connection: app.connection, templates: models.couponTemplates, coupons: models.coupons, members: models.members, now: app.clock.now, faults: { crashBatchAfter: 'reservation' },
    });
    await expect(
      crashing.issueBatch({ templateId: new Types.ObjectId(templateId), channel: 'campaign', channelRef: campaign.id, batchKey: String(ids[3]), memberIds: ids.slice(4, 9) }),
    ).rejects.toThrow('injected crash');
    expect(await models.couponTemplates.findById(templateId).lean()).toMatchObject({ issuedCount: 5 });

    await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
    await waitFor(() => campaignOf(app, campaign.id), (c) => c.status === 'completed');
    // The push settles open batches after it records the campaign completed (which already clears the lease).
    await waitFor(() => couponIssueBatchModel(app.connection).countDocuments({ channelRef: campaign.id, status: 'open' }), (open) => open === 0);
    expect(await models.coupons.countDocuments({ channelRef: campaign.id })).toBe(20);
    expect(await models.couponTemplates.findById(templateId).lean()).toMatchObject({ issuedCount: 20, remaining: 80 });
    expect(await couponIssueBatchModel(app.connection).countDocuments({ channelRef: campaign.id, status: 'open' })).toBe(0);
  }, 30_000);

  it('a push killed mid-way is finished by a new instance on the same database, one coupon per member', async () => {
    // Batches of 100, so the push is far from finished when the worker stops (the default batch holds all 900;
    // the pusher has two batches in flight, and finishes those it started before stopping).
    const first = await startTestApp({ pushBatchSize: 100 });
    const second = { app: null as TestApp | null };
    try {
      const hq = await adminToken(first.api);
      const ids = await seedMembers(first, 900, () => ({ tags: ['crash'] }));
      const templateId = await createTemplate(first, { title: 'crash' });
      const { body: campaign } = await first.api.post('/admin/campaigns', { name: '中断', templateId, segment: { tags: ['crash'] } }, hq);
      expect((await first.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, hq)).status).toBe(202);
      const coupons = first.services.models.coupons;
      await waitFor(() => coupons.countDocuments({ channelRef: campaign.id }), (n) => n >= 250);
      await first.close(); // the worker stops between two members, mid-batch, recording nothing for that batch

      second.app = await startTestApp({ seed: false, sameDatabaseAs: first });
      const stopped = await second.app.services.models.campaigns.findById(campaign.id).lean();
      const issuedBefore = await second.app.services.models.coupons.countDocuments({ channelRef: campaign.id });
      expect(stopped).toMatchObject({ status: expect.stringMatching(/running|completed/) });
      expect(issuedBefore).toBeLessThan(900); // it really was interrupted

      const hq2 = await adminToken(second.app.api);
      const done = await waitFor(() => second.app!.api.get(`/admin/campaigns/${campaign.id}`, hq2).then((r) => r.body), (c) => c.status === 'completed');
      expect(done.progress).toEqual({ targeted: 900, holdout: 0, issued: 900, notified: 0, failed: 0 });
      const held = await second.app.services.models.coupons.find({ channel: 'campaign', channelRef: campaign.id }, { memberId: 1 }).lean();
      expect(held).toHaveLength(900);
      expect(new Set(held.map((c) => String(c.memberId))).size).toBe(900);
      expect(new Set(held.map((c) => String(c.memberId)))).toEqual(new Set(ids.map(String)));
      const template = await second.app.services.models.couponTemplates.findById(templateId).lean();
      expect(template).toMatchObject({ issuedCount: 900, remaining: cash.totalQuantity - 900 });
    } finally {
      if (second.app) await second.app.stop();
      else await first.stop();
    }
  }, 90_000);
});

describe('campaign stats', () => {
  it('redeemed, rate and order amount match the redemptions, split by store and tier', async () => {
    const members = await Promise.all(['st-a', 'st-b', 'st-c', 'st-d'].map((n) => joinedMember(app.api, n)));
    await app.services.models.members.updateMany({ _id: { $in: members.map((m) => new Types.ObjectId(m.member.id)) } }, { $set: { tags: ['stats'] } });
    await app.services.models.members.updateOne({ _id: new Types.ObjectId(members[0]!.member.id) }, { $set: { tier: 'gold' } });
    const templateId = await createTemplate(app, { title: 'stats', minSpendFen: 0, noMinSpendConfirmed: true });
    const { body: campaign } = await app.api.post('/admin/campaigns', { name: '统计', templateId, segment: { tags: ['stats'] } }, admin);
    await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
    await waitFor(() => campaignOf(app, campaign.id), (c) => c.status === 'completed');

    const bjClerk = await staffToken(app.api, 'bj01-clerk');
    const redeem = async (index: number, staff: string, orderAmountFen: number) => {
      const coupon = await app.services.models.coupons.findOne({ channelRef: campaign.id, memberId: new Types.ObjectId(members[index]!.member.id) }).lean();
      const code = (await app.api.get(`/me/coupons/${String(coupon!._id)}/code`, members[index]!.token)).body.code;
      const res = await app.api.post('/staff/redemptions', { code, orderNo: `ST-${index}`, orderAmountFen }, staff);
      expect(res.status).toBe(201);
    };
    await redeem(0, clerk, 30_000);
    await redeem(1, bjClerk, 12_000);

    const stats = (await campaignOf(app, campaign.id)).stats;
    expect(stats).toMatchObject({ redeemed: 2, redemptionRate: 0.5, orderAmountFen: 42_000 });
    expect(stats.byStore).toEqual(
      expect.arrayContaining([
        { key: 'SH01', issued: 4, redeemed: 1, orderAmountFen: 30_000 },
        { key: 'BJ01', issued: 0, redeemed: 1, orderAmountFen: 12_000 },
      ]),
    );
    expect(stats.byTier).toEqual(
      expect.arrayContaining([
        { key: 'gold', issued: 1, redeemed: 1, orderAmountFen: 30_000 },
        { key: 'silver', issued: 3, redeemed: 1, orderAmountFen: 12_000 },
      ]),
    );
    const stored = await app.services.models.redemptions.countDocuments({ channel: 'campaign', channelRef: campaign.id, status: 'redeemed' });
    expect(stored).toBe(stats.redeemed);
    // The list computes its page's figures together; this campaign's match its own view.
    const listed = (await app.api.get('/admin/campaigns?limit=100', admin)).body.items.find((c: any) => c.id === campaign.id);
    expect(listed.stats).toEqual(stats);
  }, 30_000);
});
