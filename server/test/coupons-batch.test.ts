import { Types } from 'mongoose';
import { CouponIssuer, type BatchIssueOutcome, type IssuerFaults } from '../src/modules/coupons/issuer';
import { couponIssueBatchModel } from '../src/modules/coupons/model';
import { adminToken, startTestApp, type TestApp } from './support/harness';

// The issuer's batch path (campaign pushes, automation): quantity never exceeded while batches and single
// issues race on one template, per-member limits with a refused member's unit going to the next member, and a
// batch that dies between its steps (a fault passed to the real issuer) resumed by a re-run with one coupon per
// member and no quantity leaked.

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const cash = { title: '满50减5', type: 'cash', minSpendFen: 5_000, amountOffFen: 500, validDays: 30, totalQuantity: 1_000, perMemberLimit: 1 };

async function createTemplate(overrides: Record<string, unknown>): Promise<Types.ObjectId> {
  const res = await app.api.post('/admin/coupon-templates', { ...cash, ...overrides }, admin);
  expect(res.status).toBe(201);
  return new Types.ObjectId(res.body.id as string);
}

let cardSeq = 0;
async function seedMembers(count: number): Promise<Types.ObjectId[]> {
  const at = new Date();
  const docs = Array.from({ length: count }, () => ({
    _id: new Types.ObjectId(), status: 'active', openid: null, cardNo: `8${String(++cardSeq).padStart(11, '0')}`, homeStoreId: 'SH01',
    profileComplete: false, tier: 'silver', pointsBalance: 0, spend12mFen: 0, lastPurchaseAt: null, tags: [], joinedAt: at, createdAt: at,
  }));
  await app.services.models.members.collection.insertMany(docs);
  return docs.map((d) => d._id).sort((a, b) => String(a).localeCompare(String(b)));
}

function grant(templateId: Types.ObjectId, memberId: Types.ObjectId, key: string) {
  return app.api.post(`/admin/coupon-templates/${String(templateId)}/grants`, { memberId: String(memberId) }, admin, { 'Idempotency-Key': key });
}

function issuerWith(faults: IssuerFaults): CouponIssuer {
  const { models } = app.services;
  return new CouponIssuer({
    connection: app.connection, templates: models.couponTemplates, coupons: models.coupons, members: models.members,
    now: app.clock.now, faults,
  });
}

async function templateState(templateId: Types.ObjectId) {
  const template = await app.services.models.couponTemplates.findById(templateId).lean<{ issuedCount: number; remaining: number; totalQuantity: number }>();
  const coupons = await app.services.models.coupons.countDocuments({ templateId });
  return { issuedCount: template!.issuedCount, remaining: template!.remaining, coupons };
}

/** Each member's coupons of the template by their limit slots, in the members' order. */
async function slotsOf(templateId: Types.ObjectId, members: Types.ObjectId[]): Promise<number[][]> {
  const coupons = await app.services.models.coupons.find({ templateId }, { memberId: 1, limitSlot: 1 }).lean();
  return members.map((m) => coupons.filter((c) => String(c.memberId) === String(m)).map((c) => c.limitSlot!).sort());
}

const refusals = (outcomes: BatchIssueOutcome[]) => outcomes.map((o) => o.refusal ?? (o.created ? 'created' : 'held'));

describe('batch issues', () => {
  it('batches and single grants racing on a template of 25 issue exactly 25, each member once per key', async () => {
    const templateId = await createTemplate({ title: 'race', totalQuantity: 25 });
    const members = await seedMembers(80);
    const batches = [0, 1, 2].map((i) =>
      app.services.issuer.issueBatch({ templateId, channel: 'campaign', channelRef: `race-${i}`, batchKey: 'start', memberIds: members.slice(i * 20, i * 20 + 20) }),
    );
    // The same batch twice at once, as two workers would after a lapsed lease.
    const twin = app.services.issuer.issueBatch({ templateId, channel: 'campaign', channelRef: 'race-0', batchKey: 'start', memberIds: members.slice(0, 20) });
    const grants = members.slice(60).map((m, i) => grant(templateId, m, `race-grant-${i}`));
    const [outcomes, twinOutcomes, grantAnswers] = await Promise.all([Promise.all(batches), twin, Promise.all(grants)]);

    const state = await templateState(templateId);
    expect(state).toEqual({ issuedCount: 25, remaining: 0, coupons: 25 });
    const granted = grantAnswers.filter((r) => r.status === 201).length;
    expect(grantAnswers.filter((r) => r.status !== 201).every((r) => r.body.error.code === 'TEMPLATE_EXHAUSTED')).toBe(true);
    // Whichever of the twin runs got there first, both answer the same coupon for a member, or none.
    const twinOf = new Map(twinOutcomes.map((o) => [String(o.memberId), o]));
    for (const o of outcomes[0]!) {
      const twinAnswer = twinOf.get(String(o.memberId))!;
      expect(String(twinAnswer.coupon?._id ?? o.coupon?._id)).toBe(String(o.coupon?._id ?? twinAnswer.coupon?._id));
    }
    const holders = new Set([...outcomes.flat(), ...twinOutcomes].filter((o) => o.coupon).map((o) => `${o.coupon!.channelRef}:${String(o.memberId)}`));
    expect(holders.size + granted).toBe(25);
    // Refused members are refused because the template ran out, and nobody holds two coupons of one key.
    expect(outcomes.slice(1).flat().filter((o) => !o.coupon).every((o) => o.refusal === 'TEMPLATE_EXHAUSTED')).toBe(true);
    const keys = await app.services.models.coupons.find({ templateId }, { channelRef: 1, memberId: 1 }).lean();
    expect(new Set(keys.map((c) => `${c.channelRef}:${String(c.memberId)}`)).size).toBe(25);
    expect(await couponIssueBatchModel(app.connection).countDocuments({ templateId, status: 'open' })).toBe(0);
  }, 60_000);

  it('respects per-member limits, giving a refused member’s unit to the next member, and a repeat answers the same coupons', async () => {
    const templateId = await createTemplate({ title: 'limit', totalQuantity: 4, perMemberLimit: 1 });
    const members = await seedMembers(5);
    expect((await grant(templateId, members[0]!, 'limit-grant')).status).toBe(201); // members[0] is at the limit; 3 left

    const request = { templateId, channel: 'campaign' as const, channelRef: 'limit', batchKey: 'start', memberIds: members };
    const first = await app.services.issuer.issueBatch(request);
    expect(refusals(first)).toEqual(['COUPON_LIMIT_REACHED', 'created', 'created', 'created', 'TEMPLATE_EXHAUSTED']);
    expect(await templateState(templateId)).toEqual({ issuedCount: 4, remaining: 0, coupons: 4 });
    expect(await slotsOf(templateId, members)).toEqual([[0], [0], [0], [0], []]); // members[4] got nothing

    const again = await app.services.issuer.issueBatch(request);
    expect(refusals(again)).toEqual(['COUPON_LIMIT_REACHED', 'held', 'held', 'held', 'TEMPLATE_EXHAUSTED']);
    expect(again.slice(1, 4).map((o) => String(o.coupon!._id))).toEqual(first.slice(1, 4).map((o) => String(o.coupon!._id)));
    expect(await templateState(templateId)).toEqual({ issuedCount: 4, remaining: 0, coupons: 4 });

    // perMemberLimit 2: a second key for the same members counts on top of the first coupon.
    const two = await createTemplate({ title: 'limit-two', totalQuantity: 100, perMemberLimit: 2 });
    const pair = members.slice(0, 2);
    await app.services.issuer.issueBatch({ templateId: two, channel: 'campaign', channelRef: 'two-a', batchKey: 'start', memberIds: pair });
    await app.services.issuer.issueBatch({ templateId: two, channel: 'campaign', channelRef: 'two-b', batchKey: 'start', memberIds: pair });
    const third = await app.services.issuer.issueBatch({ templateId: two, channel: 'campaign', channelRef: 'two-c', batchKey: 'start', memberIds: pair });
    expect(refusals(third)).toEqual(['COUPON_LIMIT_REACHED', 'COUPON_LIMIT_REACHED']);
    expect(await templateState(two)).toEqual({ issuedCount: 4, remaining: 96, coupons: 4 });
    expect(await slotsOf(two, pair)).toEqual([[0, 1], [0, 1]]);
  }, 30_000);

  it.each(['reservation', 'insert'] as const)(
    'a batch that dies after its %s is resumed by a re-run: one coupon per member, no quantity leaked',
    async (step) => {
      const templateId = await createTemplate({ title: `crash-${step}`, totalQuantity: 30, perMemberLimit: 1 });
      const members = await seedMembers(20);
      const request = { templateId, channel: 'campaign' as const, channelRef: `crash-${step}`, batchKey: 'start', memberIds: members };
      await expect(issuerWith({ crashBatchAfter: step }).issueBatch(request)).rejects.toThrow(`injected crash after`);
      const crashed = await templateState(templateId);
      expect(crashed.issuedCount).toBe(20); // the open batch holds the units it reserved
      expect(crashed.coupons).toBe(step === 'insert' ? 20 : 0);

      const rerun = await app.services.issuer.issueBatch(request);
      expect(rerun.every((o) => o.coupon !== null && o.refusal === null)).toBe(true);
      expect(await templateState(templateId)).toEqual({ issuedCount: 20, remaining: 10, coupons: 20 });
      const held = await app.services.models.coupons.find({ templateId }, { memberId: 1 }).lean();
      expect(new Set(held.map((c) => String(c.memberId)))).toEqual(new Set(members.map(String)));
      const batch = await couponIssueBatchModel(app.connection).findById(`${String(templateId)}:campaign:crash-${step}:start`).lean();
      expect(batch).toMatchObject({ status: 'settled', taken: 20 });
      // Each member's one coupon takes slot 0, so the limit of 1 did not refuse anyone on the re-run.
      expect(await slotsOf(templateId, members)).toEqual(Array(20).fill([0]));
    },
    30_000,
  );

  it('a re-run that needs fewer units than the crashed run reserved gives the rest back', async () => {
    const templateId = await createTemplate({ title: 'shrunk', totalQuantity: 30 });
    const members = await seedMembers(12);
    const request = { templateId, channel: 'campaign' as const, channelRef: 'shrunk', batchKey: 'start', memberIds: members };
    await expect(issuerWith({ crashBatchAfter: 'reservation' }).issueBatch(request)).rejects.toThrow();
    expect((await templateState(templateId)).issuedCount).toBe(12);
    // Two members left the audience (erased) before the re-run, so the caller's re-read no longer has them.
    await app.services.models.members.updateMany({ _id: { $in: members.slice(0, 2) } }, { $set: { status: 'erased' } });
    const rerun = await app.services.issuer.issueBatch({ ...request, memberIds: members.slice(2) });
    expect(refusals(rerun)).toEqual(Array(10).fill('created'));
    expect(await templateState(templateId)).toEqual({ issuedCount: 10, remaining: 20, coupons: 10 });
    expect(await slotsOf(templateId, members)).toEqual([[], [], ...Array(10).fill([0])]);
  }, 30_000);

  it('keeps a per-member limit of 2 while batches of three keys and single grants race for the same members', async () => {
    const templateId = await createTemplate({ title: 'limit-race', totalQuantity: 1_000, perMemberLimit: 2 });
    const members = await seedMembers(10);
    const batches = ['a', 'b', 'c'].map((k) => app.services.issuer.issueBatch({ templateId, channel: 'campaign', channelRef: `limit-race-${k}`, batchKey: 'start', memberIds: members }));
    const grants = members.flatMap((m, i) => [grant(templateId, m, `limit-race-${i}-x`), grant(templateId, m, `limit-race-${i}-y`)]);
    const [outcomes, answers] = await Promise.all([Promise.all(batches), Promise.all(grants)]);
    expect(answers.every((r) => r.status === 201 || r.body.error.code === 'COUPON_LIMIT_REACHED')).toBe(true);
    expect(outcomes.flat().every((o) => o.coupon !== null || o.refusal === 'COUPON_LIMIT_REACHED')).toBe(true);
    // Every member holds exactly two (five asks each, two places), in slots 0 and 1; the refused units went back.
    expect(await slotsOf(templateId, members)).toEqual(Array(10).fill([0, 1]));
    expect(await templateState(templateId)).toEqual({ issuedCount: 20, remaining: 980, coupons: 20 });
  }, 30_000);
});
