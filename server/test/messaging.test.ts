import { Types } from 'mongoose';
import { DEFAULT_BRAND_THEME, DEFAULT_PROGRAMME_NAME, templateIds } from '@membercard/shared';
import { DEMO_SUBSCRIBE_TEMPLATES } from '../src/modules/messaging/templates';
import { adminToken, joinedMember, startTestApp, type TestApp } from './support/harness';

const SUBSCRIBE_TEMPLATES = templateIds(DEMO_SUBSCRIBE_TEMPLATES);

// Subscribe messages over HTTP and at the WeChat emulator: quota from accepted subscriptions, the frequency
// cap (also under parallel sends), per-store copy, WeChat's refusal, and /app-config.

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const openidOf = async (memberId: string) => (await app.services.models.members.findById(memberId).lean())!.openid as string;
const messagesTo = async (openid: string) => (await app.api.get(`/__emulator/messages?openid=${openid}`)).body.messages as Array<{ data: Record<string, { value: string }> }>;

async function waitCompleted(id: string) {
  for (let i = 0; i < 400; i++) {
    const res = await app.api.get(`/admin/campaigns/${id}`, admin);
    if (res.body.status === 'completed') return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('campaign did not complete');
}

describe('app config', () => {
  it('answers the privacy policy version, the subscribe template ids, the programme name and the brand theme to anyone', async () => {
    const res = await app.api.get('/app-config');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ privacyPolicyVersion: '2026-01', subscribeTemplates: SUBSCRIBE_TEMPLATES, programme: { name: DEFAULT_PROGRAMME_NAME }, theme: DEFAULT_BRAND_THEME });
  });
});

describe('subscriptions and sending', () => {
  it('refuses unknown template ids naming the field, and non-members', async () => {
    const { token } = await joinedMember(app.api, 'sub-bad');
    const res = await app.api.post('/me/subscriptions', { accepted: ['tmpl_unknown'] }, token);
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields[0].field).toBe('body.accepted.0');
    expect((await app.api.post('/me/subscriptions', { accepted: 'x' }, token)).status).toBe(400);
    expect((await app.api.post('/me/subscriptions', { accepted: [] }, admin)).status).toBe(403);
  });

  it('notifies only members with quota, at most 2 marketing messages in 7 days, with the home store’s copy', async () => {
    const a = await joinedMember(app.api, 'sub-a', 'SH01'); // accepts three times
    const b = await joinedMember(app.api, 'sub-b', 'SH01'); // never accepts
    const c = await joinedMember(app.api, 'sub-c', 'BJ01'); // accepts once
    for (let i = 0; i < 3; i++) expect((await app.api.post('/me/subscriptions', { accepted: [SUBSCRIBE_TEMPLATES.couponArrival] }, a.token)).status).toBe(204);
    await app.api.post('/me/subscriptions', { accepted: [SUBSCRIBE_TEMPLATES.couponArrival] }, c.token);
    const ids = [a, b, c].map((m) => new Types.ObjectId(m.member.id));
    await app.services.models.members.updateMany({ _id: { $in: ids } }, { $set: { tags: ['subs'] } });
    const template = await app.api.post('/admin/coupon-templates', { title: '新品券', type: 'cash', minSpendFen: 0, amountOffFen: 500, noMinSpendConfirmed: true, validDays: 30, totalQuantity: 100, perMemberLimit: 5 }, admin);

    const notified: number[] = [];
    for (let round = 0; round < 3; round++) {
      const { body: campaign } = await app.api.post(
        '/admin/campaigns',
        { name: `消息${round}`, templateId: template.body.id, segment: { tags: ['subs'] }, message: { default: '新券到账', byHomeStoreId: { BJ01: '北京店新券到账' } } },
        admin,
      );
      await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin);
      const done = await waitCompleted(campaign.id);
      expect(done.progress.issued).toBe(3);
      notified.push(done.progress.notified);
    }
    expect(notified).toEqual([2, 1, 0]); // a twice (then capped), c once (then out of quota), b never

    const [toA, toB, toC] = await Promise.all([a, b, c].map(async (m) => messagesTo(await openidOf(m.member.id))));
    expect(toA).toHaveLength(2);
    expect(toB).toHaveLength(0);
    expect(toC).toHaveLength(1);
    expect(toA[0]!.data.thing3!.value).toBe('新券到账');
    expect(toC[0]!.data.thing3!.value).toBe('北京店新券到账');
    // a still has the third acceptance: the cap, not consent, held it back.
    expect(await app.services.messaging.quota(ids[0]!, 'couponArrival')).toBe(1);
    const skipped = await app.services.models.subscribeMessages.find({ memberId: ids[0] }).lean();
    expect(skipped.map((m) => m.reason).sort()).toEqual(['capped', null, null]);

    // A week later the cap has room again.
    app.clock.advance(8 * 24 * 3600_000);
    const later = await app.services.messaging.send({ key: 'later-a', memberId: ids[0]!, purpose: 'couponArrival', marketing: true, fields: { couponName: 'x', validUntil: new Date(), note: 'x' } });
    expect(later.status).toBe('sent');
    app.clock.set(new Date());
  }, 60_000);

  it('holds the cap under parallel sends and never sends the same key twice', async () => {
    const m = await joinedMember(app.api, 'sub-par');
    for (let i = 0; i < 5; i++) await app.api.post('/me/subscriptions', { accepted: [SUBSCRIBE_TEMPLATES.couponArrival] }, m.token);
    const memberId = new Types.ObjectId(m.member.id);
    const send = (key: string) => app.services.messaging.send({ key, memberId, purpose: 'couponArrival', marketing: true, fields: { couponName: 'x', validUntil: new Date(), note: 'x' } });
    const outcomes = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p1', 'p2'].map(send));
    expect(outcomes.filter((o) => o.status === 'sent' && o.firstAttempt)).toHaveLength(2);
    expect(await messagesTo(await openidOf(m.member.id))).toHaveLength(2);
    expect(await app.services.messaging.quota(memberId, 'couponArrival')).toBe(3);
    // Service notices are not marketing: the cap does not hold them back.
    expect((await app.services.messaging.send({ key: 'notice-1', memberId, purpose: 'couponArrival', marketing: false, fields: { couponName: 'x', validUntil: new Date(), note: 'x' } })).status).toBe('sent');
  });

  it('treats WeChat’s 43101 as quota gone', async () => {
    const m = await joinedMember(app.api, 'sub-drift');
    const memberId = new Types.ObjectId(m.member.id);
    // Our record says one message of quota; WeChat's side has none (e.g. granted on another device long ago).
    await app.services.models.subscribeQuotas.create({ _id: `${m.member.id}:${SUBSCRIBE_TEMPLATES.pointsExpiry}`, memberId, templateId: SUBSCRIBE_TEMPLATES.pointsExpiry, remaining: 1, updatedAt: new Date() });
    const outcome = await app.services.messaging.send({ key: 'drift-1', memberId, purpose: 'pointsExpiry', marketing: false, fields: { points: 10, expiresAt: new Date(), note: 'x' } });
    expect(outcome).toMatchObject({ status: 'failed', reason: 'refused' });
    expect(await app.services.messaging.quota(memberId, 'pointsExpiry')).toBe(0);
  });

  it('lets HQ change the cap and the value of a point, validated', async () => {
    expect((await app.api.get('/admin/marketing-settings', admin)).body).toEqual({ frequencyCap: { maxMessages: 2, windowDays: 7 }, fenPerPoint: 1 });
    const res = await app.api.patch('/admin/marketing-settings', { frequencyCap: { maxMessages: 3, windowDays: 7 } }, admin);
    expect(res.body.frequencyCap.maxMessages).toBe(3);
    expect((await app.api.patch('/admin/marketing-settings', { frequencyCap: { maxMessages: 50, windowDays: 7 } }, admin)).status).toBe(400);
    expect((await app.api.patch('/admin/marketing-settings', { fenPerPoint: 2 }, await joinedMember(app.api, 'sub-x').then((x) => x.token))).status).toBe(403);
    await app.api.patch('/admin/marketing-settings', { frequencyCap: { maxMessages: 2, windowDays: 7 } }, admin);
  });
});
