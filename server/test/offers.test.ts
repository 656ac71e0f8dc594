import { DEFAULT_SCORING, TOP_MEMBER_TAGS } from '@membercard/shared';
import { Types } from 'mongoose';
import type { OfferAssignmentDoc } from '../src/modules/offers/model';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';
import { memberCode, orderNo, purchase } from './points-helpers';

// Personalised offers over HTTP and against the stored state: HQ builds the pool, a run picks each member's own
// offers (their categories, thresholds above their usual basket, best sellers at cold start) and issues them
// through the coupon issuer with a holdout; a run crashed mid-chunk and resumed issues nothing twice; the wallet
// and HQ see why; results compare against the holdout; the daily job flags the top 20% as segment-ready tags.

let app: TestApp;
let admin: string;
let clerk: string;
const K = DEFAULT_SCORING.categoryOffers;
const T = DEFAULT_SCORING.thresholdOffers;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

/** category code → template id (one product coupon per category), and the threshold templates. */
const categoryTemplates = new Map<string, string>();
const thresholdTemplates: string[] = [];
const CATEGORIES = ['INFANT_FORMULA', 'DIAPERS', 'DAIRY', 'BEER', 'FRUIT', 'COFFEE_TEA', 'PET_FOOD', 'SNACKS'];

async function template(body: Record<string, unknown>): Promise<string> {
  const res = await app.api.post('/admin/coupon-templates', { validDays: 30, totalQuantity: 100_000, perMemberLimit: 3, ...body }, admin);
  expect(res.status).toBe(201);
  return res.body.id;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The young parent of the wallet test, scanned at the counter at the end. */
let parent: { token: string; memberId: string };

const runOf = (id: string) => app.services.models.offerRuns.findById(id).lean();

describe('the offer pool', () => {
  it('HQ tags product coupons with categories and threshold coupons with basket sizes; bad entries are 4xx with a code', async () => {
    for (const category of CATEGORIES) {
      const id = await template({ title: `${category} 满30减5`, type: 'cash', minSpendFen: 3_000, amountOffFen: 500 });
      const res = await app.api.post('/admin/offers/pool', { templateId: id, kind: 'category', categories: [category] }, admin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ templateId: id, kind: 'category', categories: [category], active: true, template: { title: `${category} 满30减5` } });
      categoryTemplates.set(category, id);
    }
    for (const [min, off] of [[10_000, 1_500], [15_000, 2_000], [30_000, 5_000]] as const) {
      const id = await template({ title: `满${min / 100}减${off / 100}`, type: 'cash', minSpendFen: min, amountOffFen: off });
      const res = await app.api.post('/admin/offers/pool', { templateId: id, kind: 'threshold', basketFromFen: 3_000 }, admin);
      expect(res.status).toBe(200);
      thresholdTemplates.push(id);
    }
    const discount = await template({ title: '9折', type: 'discount', percentOff: 10 });
    const notThreshold = await app.api.post('/admin/offers/pool', { templateId: discount, kind: 'threshold' }, admin);
    expect([notThreshold.status, notThreshold.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const unknownCategory = await app.api.post('/admin/offers/pool', { templateId: discount, kind: 'category', categories: ['NO_SUCH'] }, admin);
    expect([unknownCategory.status, unknownCategory.body.error.code]).toEqual([400, 'CATEGORY_UNKNOWN']);
    const noTemplate = await app.api.post('/admin/offers/pool', { templateId: new Types.ObjectId().toHexString(), kind: 'category', categories: ['DAIRY'] }, admin);
    expect([noTemplate.status, noTemplate.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const noCategories = await app.api.post('/admin/offers/pool', { templateId: discount, kind: 'category', categories: [] }, admin);
    expect([noCategories.status, noCategories.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const clerkTries = await app.api.post('/admin/offers/pool', { templateId: discount, kind: 'category', categories: ['DAIRY'] }, clerk);
    expect(clerkTries.status).toBe(403);
    expect((await app.api.get('/admin/offers/pool', admin)).body.items).toHaveLength(CATEGORIES.length + 3);
  });
});

describe('a member’s own offers, with reasons in the wallet and for HQ', () => {
  it('a young parent who buys formula at the counter gets 你常买 婴幼儿奶粉 and a threshold above their basket; redeeming shows in the results', async () => {
    const { token, member } = await joinedMember(app.api, 'offers-parent');
    parent = { token, memberId: member.id };
    for (const amount of [8_000, 9_000, 9_500]) {
      const lines = [{ sku: 'F1', name: '婴儿奶粉', category: 'INFANT_FORMULA', qty: 1, amountFen: amount - 2_000 }, { sku: 'D1', name: '纸尿裤', category: 'DIAPERS', qty: 1, amountFen: 2_000 }];
      const res = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('offer'), amountFen: amount, lines });
      expect(res.status).toBe(200);
    }
    const launched = await app.api.post('/admin/offers/runs', { settings: { holdoutShare: 0 } }, admin);
    expect(launched.status).toBe(202);
    expect(launched.body.status).toBe('running');
    const again = await app.api.post('/admin/offers/runs', {}, admin);
    expect([again.status, again.body.error?.code]).toEqual([409, 'CONFLICT']);
    const run = await waitFor(() => app.api.get(`/admin/offers/runs/${launched.body.id}`, admin), (r) => r.body.status === 'completed');
    expect(run.body.progress).toMatchObject({ members: 1, treated: 1, holdout: 0, coldStart: 0 });

    const reasons = await app.api.get('/me/offers/reasons', token);
    expect(reasons.status).toBe(200);
    const texts = reasons.body.items.map((i: { reason: { zh: string } }) => i.reason.zh);
    expect(texts).toEqual(expect.arrayContaining(['你常买 婴幼儿奶粉', '你常买 纸尿裤', '你平时每次约 ¥90.00，多买一点就能用']));
    expect(texts).toHaveLength(3); // ¥150 is beyond 1.6 × ¥90; no other category was bought
    const wallet = await app.api.get('/me/coupons', token);
    const walletIds = new Set(wallet.body.items.map((c: { id: string }) => c.id));
    for (const item of reasons.body.items) expect(walletIds.has(item.couponId)).toBe(true);

    const hq = await app.api.get(`/admin/members/${member.id}/offers`, admin);
    expect(hq.status).toBe(200);
    expect(hq.body.items[0].picks.map((p: { reason: { zh: string } }) => p.reason.zh)).toEqual(texts);
    expect((await app.api.get('/me/offers/reasons')).status).toBe(401);

    // The formula coupon redeemed at the counter: the run's results count it, costed at its face value.
    const formula = reasons.body.items.find((i: { reason: { zh: string } }) => i.reason.zh === '你常买 婴幼儿奶粉');
    const code = await app.api.get(`/me/coupons/${formula.couponId}/code`, token);
    const redeemed = await app.api.post('/staff/redemptions', { code: code.body.code, orderNo: orderNo('offer-r'), orderAmountFen: 9_000 }, clerk);
    expect(redeemed.status).toBe(201);
    const results = await app.api.get(`/admin/offers/runs/${launched.body.id}/results`, admin);
    expect(results.status).toBe(200);
    expect(results.body.total).toMatchObject({ treatedMembers: 1, holdoutMembers: 0, issued: 3, redeemed: 1, couponCostFen: 500 });
    expect(results.body.byCategory.find((r: { key: string }) => r.key === 'INFANT_FORMULA')).toMatchObject({ name: '婴幼儿奶粉', issued: 1, redeemed: 1 });
  });
});

describe('a run over a population', () => {
  let cardSeq = 0;
  const daysAgo = (days: number) => new Date(app.clock.now().getTime() - days * 86_400_000);

  /** Members with category history and purchases, as the purchases module stores them (fixtures, not requests). */
  async function seedPopulation(count: number): Promise<Array<{ id: Types.ObjectId; categories: string[]; coldStart: boolean }>> {
    const members = [];
    const purchases = [];
    const seeded = [];
    for (let i = 0; i < count; i++) {
      const id = new Types.ObjectId();
      const coldStart = i % 4 === 0;
      const bought = coldStart ? [] : [CATEGORIES[i % CATEGORIES.length]!, CATEGORIES[(i * 3 + 1) % CATEGORIES.length]!];
      const visits = coldStart ? 1 : 3 + (i % 5);
      members.push({
        _id: id, status: 'active', openid: null, cardNo: `7${String(++cardSeq).padStart(11, '0')}`, homeStoreId: i % 2 ? 'SH01' : 'BJ01', profileComplete: false,
        tier: i % 3 ? 'silver' : 'gold', pointsBalance: 0, spend12mFen: visits * 10_000, lastPurchaseAt: daysAgo(3), tags: [], joinedAt: daysAgo(200), createdAt: daysAgo(200),
        categoryStats: bought.map((category, j) => ({ category, lastAt: daysAgo(3 + j * 20), spend12mFen: visits * 5_000, visits })),
      });
      for (let v = 0; v < visits; v++) {
        purchases.push({
          memberId: id, storeId: 'SH01', orderNo: `POP-${id.toHexString()}-${v}`, amountFen: 6_000 + (i % 7) * 1_000, lines: [], pointsEarned: 0, ledgerEntryId: null, balanceAfter: 0,
          tierBefore: 'silver', tierAfter: 'silver', staffId: 'fixture', createdAt: daysAgo(5 + v * 10), status: 'booked', inSpendWindow: true, categorySpend: [], reversal: null,
        });
      }
      seeded.push({ id, categories: bought, coldStart });
    }
    await app.services.models.members.collection.insertMany(members);
    await app.services.models.purchases.collection.insertMany(purchases);
    return seeded;
  }

  it('each member gets at most K + T coupons, only of their own categories unless cold start, the holdout nothing; a run crashed mid-chunk resumes without duplicates', async () => {
    const population = await seedPopulation(48);
    const runner = app.services.offers.runner;
    runner.chunkSize = 10;
    runner.faults = { crashAfterIssueBatches: 7 }; // dies in the middle of a chunk, after some of its templates were issued
    const launched = await app.api.post('/admin/offers/runs', { settings: { holdoutShare: 0.25 } }, admin);
    expect(launched.status).toBe(202);
    const runId = launched.body.id as string;

    // The worker died: the lease is let go, the run is still running, its cursor short of the end.
    const crashed = await waitFor(() => runOf(runId), (r) => r!.leaseOwner === null && r!.status === 'running');
    const issuedBeforeResume = await app.services.models.coupons.countDocuments({ channel: 'offer', channelRef: runId });
    expect(issuedBeforeResume).toBeGreaterThan(0);
    expect(crashed!.progress.members).toBeLessThan(49);

    // The offer-runs job (any instance) takes it up and finishes it.
    await app.services.offers.runDue();
    const run = (await runOf(runId))!;
    expect(run.status).toBe('completed');
    runner.chunkSize = 500;

    const { coupons, offerAssignments, couponTemplates } = app.services.models;
    const plans = await offerAssignments.find({ runId: new Types.ObjectId(runId) }).lean<OfferAssignmentDoc[]>();
    expect(plans).toHaveLength(49); // the population and the young parent, each planned once
    expect(run.progress.members).toBe(49);
    expect(run.progress.treated + run.progress.holdout).toBe(49);
    const issued = await coupons.find({ channel: 'offer', channelRef: runId }).lean();
    expect(run.progress.issued).toBe(issued.length);
    expect(issued.length).toBeGreaterThan(issuedBeforeResume);

    // No duplicates: one coupon per (member, template) in the run, each recorded on its plan.
    const keys = issued.map((c) => `${String(c.memberId)}:${String(c.templateId)}`);
    expect(new Set(keys).size).toBe(keys.length);
    const recorded = new Set(plans.flatMap((p) => p.picks.filter((x) => x.couponId).map((x) => String(x.couponId))));
    expect(new Set(issued.map((c) => String(c._id)))).toEqual(recorded);

    const templateCategory = new Map([...categoryTemplates].map(([category, id]) => [id, category]));
    const byMember = new Map<string, typeof issued>();
    for (const c of issued) byMember.set(String(c.memberId), [...(byMember.get(String(c.memberId)) ?? []), c]);
    const holdout = plans.filter((p) => p.holdout);
    expect(holdout.length).toBeGreaterThan(0);
    for (const plan of holdout) expect(byMember.get(String(plan.memberId)) ?? []).toEqual([]);
    for (const member of population) {
      const mine = byMember.get(String(member.id)) ?? [];
      expect(mine.length).toBeLessThanOrEqual(K + T);
      const plan = plans.find((p) => p.memberId.equals(member.id))!;
      expect(plan.coldStart).toBe(member.coldStart);
      for (const coupon of mine) {
        const category = templateCategory.get(String(coupon.templateId));
        if (category && !member.coldStart) expect(member.categories).toContain(category);
        if (!category) expect(thresholdTemplates).toContain(String(coupon.templateId));
      }
      if (!plan.holdout && !member.coldStart) expect(mine.filter((c) => templateCategory.has(String(c.templateId))).length).toBe(member.categories.length);
    }
    // The issuer's quantity bookkeeping agrees with the coupons (nothing taken twice by the crashed chunk).
    for (const id of [...categoryTemplates.values(), ...thresholdTemplates]) {
      const t = (await couponTemplates.findById(id).lean())!;
      expect(t.issuedCount).toBe(await coupons.countDocuments({ templateId: t._id }));
    }

    const results = await app.api.get(`/admin/offers/runs/${runId}/results`, admin);
    expect(results.status).toBe(200);
    expect(results.body.total).toMatchObject({ treatedMembers: run.progress.treated, holdoutMembers: run.progress.holdout, issued: issued.length });
    expect(results.body.byTier.map((r: { key: string }) => r.key).sort()).toEqual(['gold', 'silver']);
  });
});

describe('the head of the curve', () => {
  it('the daily job tags the top 20% by 12-month spend, brand-wide and per store, untags who drops out, and segments select on the tag', async () => {
    const { members } = app.services.models;
    const processed = await app.services.topMembers.refresh();
    expect(processed.processed).toBeGreaterThan(0);
    const spenders = await members.countDocuments({ status: 'active', spend12mFen: { $gt: 0 } });
    const tagged = await members.find({ tags: TOP_MEMBER_TAGS.brand }, { spend12mFen: 1 }).lean();
    const threshold = Math.min(...tagged.map((m) => m.spend12mFen));
    expect(tagged.length).toBe(await members.countDocuments({ status: 'active', spend12mFen: { $gte: threshold } }));
    expect(tagged.length).toBeGreaterThanOrEqual(Math.ceil(spenders * 0.2));
    expect(await members.countDocuments({ status: 'active', spend12mFen: { $gt: 0, $lt: threshold }, tags: TOP_MEMBER_TAGS.brand })).toBe(0);

    const summary = await app.api.get('/admin/offers/top-members', admin);
    expect(summary.body.brand).toMatchObject({ members: tagged.length, thresholdFen: threshold });
    expect(summary.body.stores.map((s: { storeId: string }) => s.storeId)).toEqual(['BJ01', 'SH01']);
    const preview = await app.api.post('/admin/campaigns/preview', { segment: { tags: [TOP_MEMBER_TAGS.brand] } }, admin);
    expect(preview.body.count).toBe(tagged.length);

    // One member's spend falls away: the next run takes the flag off, and a repeat changes nothing.
    const top = tagged.sort((a, b) => b.spend12mFen - a.spend12mFen)[0]!;
    await members.updateOne({ _id: top._id }, { $set: { spend12mFen: 1 } });
    await app.services.topMembers.refresh();
    expect((await members.findById(top._id).lean())!.tags).not.toContain(TOP_MEMBER_TAGS.brand);
    expect((await app.services.topMembers.refresh()).processed).toBe(0);

    // The counter's member panel says so when the member is scanned.
    const code = await memberCode(app.api, parent.token);
    const before = await app.api.post('/staff/counter/panel', { code }, clerk);
    expect(before.body.topMember).toEqual({ brand: false, store: false });
    await members.updateOne({ _id: new Types.ObjectId(parent.memberId) }, { $set: { spend12mFen: 10_000_000 } });
    await app.services.topMembers.refresh();
    const after = await app.api.post('/staff/counter/panel', { code: await memberCode(app.api, parent.token) }, clerk);
    expect(after.status).toBe(200);
    expect(after.body.topMember).toEqual({ brand: true, store: true });
  });
});
