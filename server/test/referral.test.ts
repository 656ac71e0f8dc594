import { Types } from 'mongoose';
import { expectBooksBalance, memberCode, orderNo, purchase, runJob } from './points-helpers';
import { adminToken, joinedMember, signInShopper, staffToken, startTestApp, type TestApp } from './support/harness';

// Referral (裂变拉新) over real HTTP: a member's invitation, a friend who joins through it and buys, both sides
// rewarded once (points through the ledger, a coupon through the issuer), and each refusal: self (same phone),
// an erased-and-rejoined account, a friend joining on the inviter's device. Parallel first purchases and
// duplicate joins prove exactly-once.

let app: TestApp;
let admin: string;
let clerk: string;
let inviterCouponTemplate: string;

const DEVICE_A = 'device-of-inviter-0001';

beforeAll(async () => {
  app = await startTestApp();
  [admin, clerk] = await Promise.all([adminToken(app.api), staffToken(app.api, 'sh01-clerk')]);
  const template = await app.api.post(
    '/admin/coupon-templates',
    { title: '邀请有礼·满50减10', type: 'cash', minSpendFen: 5_000, amountOffFen: 1_000, validDays: 30, totalQuantity: 100, perMemberLimit: 5 },
    admin,
  );
  expect(template.status).toBe(201);
  inviterCouponTemplate = template.body.id;
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

async function setTerms(overrides: Record<string, unknown> = {}) {
  const res = await app.api.request('PUT', '/admin/referral/terms', {
    token: admin,
    body: { enabled: true, inviter: { points: 200, templateId: inviterCouponTemplate }, invitee: { points: 100, templateId: null }, minPurchaseFen: 1_000, windowDays: 30, ...overrides },
  });
  expect(res.status).toBe(200);
  return res.body;
}

async function inviter(nickname: string) {
  const who = await joinedMember(app.api, nickname);
  const mine = await app.api.post('/me/referral/invitation', { deviceId: `device-of-${nickname}`.padEnd(16, '0') }, who.token);
  expect(mine.status).toBe(200);
  return { ...who, code: mine.body.code as string };
}

async function joinThrough(nickname: string, code: string, deviceId?: string) {
  const login = await signInShopper(app.api, nickname);
  const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', referralCode: code, ...(deviceId ? { deviceId } : {}) }, login.body.token);
  expect(joined.status).toBe(201);
  return { token: login.body.token as string, member: joined.body as { id: string } };
}

async function buy(token: string, amountFen = 5_000) {
  const res = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('REF'), amountFen });
  expect(res.status).toBe(200);
  return res.body;
}

const referralOf = (inviteeId: string) => app.services.models.referrals.findOne({ inviteeId: new Types.ObjectId(inviteeId) }).lean();
const rewardEntries = (memberId: string) =>
  app.services.models.ledger.find({ memberId: new Types.ObjectId(memberId), idempotencyKey: /^referral:/ }).lean();
const referralCoupons = (memberId: string) => app.services.models.coupons.countDocuments({ memberId: new Types.ObjectId(memberId), channel: 'referral' });

describe('referral', () => {
  it('given a friend who joined through an invitation, when five first purchases arrive at once, then both sides are rewarded exactly once', async () => {
    await setTerms();
    const a = await inviter('ref-alice');
    const preview = await app.api.post('/referral/views', { code: a.code }, (await signInShopper(app.api, 'ref-bob')).body.token);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ code: a.code, reward: { points: 100 }, refusal: null, minPurchaseFen: 1_000 });
    const b = await joinThrough('ref-bob', a.code.toLowerCase(), 'device-of-bob-000001');

    // Under the minimum: no reward yet.
    await buy(b.token, 999);
    expect((await referralOf(b.member.id))!.status).toBe('joined');

    const code = await memberCode(app.api, b.token);
    const answers = await Promise.all(Array.from({ length: 5 }, () => purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('REFP'), amountFen: 6_000 })));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);

    const referral = (await referralOf(b.member.id))!;
    expect(referral).toMatchObject({ status: 'rewarded', couponsPending: false, couponFaceFen: 1_000 });
    expect((await rewardEntries(a.member.id)).map((e) => e.delta)).toEqual([200]);
    expect((await rewardEntries(b.member.id)).map((e) => e.delta)).toEqual([100]);
    expect(await referralCoupons(a.member.id)).toBe(1);
    expect(await referralCoupons(b.member.id)).toBe(0);

    // The job finds nothing left to grant, and re-running a grant changes nothing.
    expect(await app.services.referral.grantDue()).toEqual({ processed: 0 });
    await app.services.referral.grant(referral._id);
    expect(await rewardEntries(a.member.id)).toHaveLength(1);

    const mine = await app.api.get('/me/referral', a.token);
    expect(mine.body.progress).toEqual({ invited: 1, joined: 1, purchased: 1, rewards: { points: 200, coupons: 1 } });
    expect(mine.body.friends).toHaveLength(1);
    expect(mine.body.friends[0]).toMatchObject({ status: 'rewarded', refusal: null });
    const friend = await app.api.get('/me/referral', b.token);
    expect(friend.body.invitedBy).toMatchObject({ status: 'rewarded', refusal: null });
    await expectBooksBalance(app);
  }, 30_000);

  it('given the same shopper joining five times at once through an invitation, then one join and one referral', async () => {
    const a = await inviter('ref-carol');
    const login = await signInShopper(app.api, 'ref-dave');
    const joins = await Promise.all(
      Array.from({ length: 5 }, () => app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', referralCode: a.code }, login.body.token)),
    );
    expect(joins.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const dave = joins.find((r) => r.status === 201)!.body;
    expect(await app.services.models.referrals.countDocuments({ inviteeId: new Types.ObjectId(dave.id) })).toBe(1);
    await Promise.all([buy(login.body.token), buy(login.body.token)]);
    expect((await rewardEntries(a.member.id)).map((e) => e.delta)).toEqual([200]);
  }, 30_000);

  it('given an account erased and joined again, then its referral is refused and earns nothing', async () => {
    const a = await inviter('ref-erin');
    const first = await joinedMember(app.api, 'ref-frank');
    expect((await app.api.delete('/me', first.token)).status).toBe(204);
    const again = await joinThrough('ref-frank', a.code);
    expect(await referralOf(again.member.id)).toMatchObject({ status: 'refused', refusal: 'rejoined' });
    await buy(again.token);
    expect(await rewardEntries(a.member.id)).toHaveLength(0);
    expect(await rewardEntries(again.member.id)).toHaveLength(0);
    expect((await app.api.get('/me/referral', again.token)).body.invitedBy).toMatchObject({ status: 'refused', refusal: 'rejoined' });
  }, 30_000);

  it('given a friend joining on the device the inviter shared from, then the referral is refused', async () => {
    const a = await joinedMember(app.api, 'ref-grace');
    const shared = await app.api.post('/me/referral/invitation', { deviceId: DEVICE_A }, a.token);
    const friend = await joinThrough('ref-heidi', shared.body.code, DEVICE_A);
    expect(await referralOf(friend.member.id)).toMatchObject({ status: 'refused', refusal: 'same_device' });
    await buy(friend.token);
    expect(await rewardEntries(a.member.id)).toHaveLength(0);
  }, 30_000);

  it('given the inviter and the friend bind the same phone, then it is self-referral; and one’s own invitation previews as self', async () => {
    const a = await inviter('ref-ivan');
    expect((await app.api.post('/me/phone', { code: 'ref-same-phone' }, a.token)).status).toBe(200);
    const own = await app.api.post('/referral/views', { code: a.code }, a.token);
    expect(own.body.refusal).toBe('self');
    const friend = await joinThrough('ref-judy', a.code, 'device-of-judy-00001');
    expect((await referralOf(friend.member.id))!.status).toBe('joined');
    expect((await app.api.post('/me/phone', { code: 'ref-same-phone' }, friend.token)).status).toBe(200);
    await buy(friend.token);
    expect(await referralOf(friend.member.id)).toMatchObject({ status: 'refused', refusal: 'self' });
    expect(await rewardEntries(a.member.id)).toHaveLength(0);
    expect(await rewardEntries(friend.member.id)).toHaveLength(0);
  }, 30_000);

  it('given the process stops after the qualifying purchase commits, then the referral-rewards job grants it, once', async () => {
    const a = await inviter('ref-lena');
    const friend = await joinThrough('ref-max', a.code, 'device-of-max-000001');
    // As if the process died between the purchase's commit and the grant that follows it.
    const { afterCommit } = app.services.purchases.bookingHooks;
    app.services.purchases.bookingHooks.afterCommit = async () => undefined;
    try {
      await buy(friend.token);
    } finally {
      app.services.purchases.bookingHooks.afterCommit = afterCommit;
    }
    expect((await referralOf(friend.member.id))!.status).toBe('qualified');
    expect(await rewardEntries(a.member.id)).toHaveLength(0);
    expect(await runJob(app, 'referral-rewards')).toBe(1);
    expect(await runJob(app, 'referral-rewards')).toBe(0);
    expect((await rewardEntries(a.member.id)).map((e) => e.delta)).toEqual([200]);
    expect((await rewardEntries(friend.member.id)).map((e) => e.delta)).toEqual([100]);
    expect(await referralCoupons(a.member.id)).toBe(1);
    await expectBooksBalance(app);
  }, 30_000);

  it('HQ sees invitations, conversions, refusals and cost; bad terms and other callers are refused', async () => {
    const report = await app.api.get('/admin/reports/referral?days=7', admin);
    expect(report.status).toBe(200);
    expect(report.body.totals).toMatchObject({ joined: 6, converted: 3, refused: 3 });
    expect(report.body.totals.views).toBeGreaterThanOrEqual(1);
    expect(report.body.totals.inviters).toBeGreaterThanOrEqual(4);
    expect(report.body.refusals).toEqual({ self: 1, rejoined: 1, same_device: 1, inviter_gone: 0 });
    expect(report.body.cost).toEqual({ points: 900, coupons: 3, couponFaceFen: 3_000 });
    expect(report.body.recent[0].inviter.cardNo).toMatch(/^\d{12}$/);

    const put = (body: unknown, token = admin) => app.api.request('PUT', '/admin/referral/terms', { token, body });
    const unknownTemplate = await put({ enabled: true, inviter: { points: 0, templateId: new Types.ObjectId().toHexString() }, invitee: { points: 0, templateId: null }, minPurchaseFen: 0, windowDays: 30 });
    expect(unknownTemplate.status).toBe(400);
    expect(unknownTemplate.body.error.details.fields[0].field).toBe('body.inviter.templateId');
    const nothing = await put({ enabled: true, inviter: { points: 0, templateId: null }, invitee: { points: 0, templateId: null }, minPurchaseFen: 0, windowDays: 30 });
    expect(nothing.status).toBe(400);
    expect((await put({ enabled: true, inviter: { points: -1, templateId: null }, invitee: { points: 0, templateId: null }, minPurchaseFen: 0, windowDays: 30 })).status).toBe(400);
    expect((await put({ enabled: false, inviter: { points: 0, templateId: null }, invitee: { points: 0, templateId: null }, minPurchaseFen: 0, windowDays: 30 }, clerk)).status).toBe(403);
    const audit = await app.services.models.audit.countDocuments({ action: 'referral_terms.update' });
    expect(audit).toBeGreaterThanOrEqual(1);

    const prospect = await signInShopper(app.api, 'ref-prospect');
    expect((await app.api.get('/me/referral', prospect.body.token)).status).toBe(403);
    expect((await app.api.get('/admin/reports/referral', prospect.body.token)).status).toBe(403);
    expect((await app.api.post('/referral/views', { code: 'ZZZZZZZZ' }, prospect.body.token)).status).toBe(404);
    expect((await app.api.post('/referral/views', { code: 'bad' }, prospect.body.token)).status).toBe(400);
    const badDevice = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', deviceId: 'x' }, prospect.body.token);
    expect(badDevice.status).toBe(400);
  }, 30_000);

  it('gives the invitation as a mini-program code of the join page with the scene r=<code>', async () => {
    const a = await inviter('ref-kim');
    const image = await app.api.get('/me/referral/code-image', a.token);
    expect(image.status).toBe(200);
    expect(image.body).toMatchObject({ scene: `r=${a.code}`, page: 'pages/join/index' });
    expect(image.body.dataUrl).toMatch(/^data:image\/png;base64,iVBOR/);
    // Drawn once: the second answer is the kept image.
    expect((await app.api.get('/me/referral/code-image', a.token)).body.dataUrl).toBe(image.body.dataUrl);
  }, 30_000);
});
