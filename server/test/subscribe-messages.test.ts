import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chinaDateText, chinaDateTimeText, templateIds } from '@membercard/shared';
import { Types } from 'mongoose';
import { DEMO_APP_SECRET } from '../src/bootstrap';
import { ConfigError, loadConfig } from '../src/config';
import { pagesOfAppConfig } from '../src/emulator/pages';
import { JOBS } from '../src/jobs/registry';
import { RETRY_DELAYS_MS } from '../src/modules/messaging/service';
import { DEMO_SUBSCRIBE_TEMPLATES } from '../src/modules/messaging/templates';
import { adminToken, joinedMember, startTestApp, type TestApp } from './support/harness';

// Every subscribe message the product sends, through the strict emulator (which refuses what WeChat refuses:
// keywords not in the template, values breaking their type's rule, unknown templates, unpublished pages):
// coupon arrival (campaign), points expiry (automation), the activity reminder job, cancellation and waitlist
// notices with their own templates, the refund result once WeChat Pay has refunded a paid sign-up, and busy
// WeChat (-1) retried with backoff until delivered.

const IDS = templateIds(DEMO_SUBSCRIBE_TEMPLATES);
const HOUR = 3600_000;

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});
afterEach(() => app.clock.set(new Date()));

interface SentMessage {
  template_id: string;
  page?: string;
  data: Record<string, { value: string }>;
}
const openidOf = async (memberId: string) => (await app.services.models.members.findById(memberId).lean())!.openid as string;
const messagesTo = async (memberId: string) => (await app.api.get(`/__emulator/messages?openid=${await openidOf(memberId)}`)).body.messages as SentMessage[];
const accept = async (token: string, ...purposes: Array<keyof typeof IDS>) =>
  expect((await app.api.post('/me/subscriptions', { accepted: purposes.map((p) => IDS[p]) }, token)).status).toBe(204);
const job = (name: string) => JOBS.find((j) => j.name === name)!;
async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
const forceSendErrors = async (...errcodes: number[]) => expect((await app.api.post('/__emulator/subscribe-send-failures', { errcodes })).status).toBe(204);

async function createActivity(overrides: Record<string, unknown>) {
  const now = app.clock.now().getTime();
  const res = await app.api.post(
    '/admin/activities',
    {
      title: '周末手冲咖啡品鉴会',
      description: '三款单品豆',
      storeId: 'SH01',
      signupClosesAt: new Date(now + HOUR).toISOString(),
      startAt: new Date(now + 6 * HOUR).toISOString(),
      endAt: new Date(now + 8 * HOUR).toISOString(),
      capacity: 10,
      feeFen: 0,
      attendancePoints: 0,
      ...overrides,
    },
    admin,
  );
  expect(res.status).toBe(201);
  return res.body as { id: string; title: string; startAt: string };
}

async function signUp(activityId: string, token: string) {
  const res = await app.api.post(`/activities/${activityId}/signups`, {}, token);
  expect(res.status).toBe(201);
  return res.body as { id: string; status: string };
}

describe('configuration', () => {
  const production = {
    MONGODB_URI: 'mongodb://db.example/membercard',
    JWT_SECRET: 'x'.repeat(32),
    WECHAT_APP_ID: 'wx1234567890abcdef',
    WECHAT_APP_SECRET: 's',
    WECHATPAY_MCH_ID: '1612345678',
    PUBLIC_BASE_URL: 'https://mc.example.com',
    WECHATPAY_KEY_DIR: '/keys',
  };

  it('takes the appid and mch id only from the environment outside demo mode (the emulator samples are for demo mode)', () => {
    const templates = JSON.stringify(DEMO_SUBSCRIBE_TEMPLATES);
    for (const name of ['WECHAT_APP_ID', 'WECHATPAY_MCH_ID'] as const) {
      const { [name]: _left, ...without } = production;
      expect(() => loadConfig({ ...without, SUBSCRIBE_TEMPLATES: templates })).toThrow(new ConfigError(`Invalid configuration: ${name} is required when MONGODB_URI is set`));
    }
    const config = loadConfig({ ...production, SUBSCRIBE_TEMPLATES: templates });
    expect(config.wechat.appId).toBe('wx1234567890abcdef');
    expect(config.wechatPay.mchId).toBe('1612345678');
    expect(loadConfig({}).wechat.appId).toBe('wxdemo0000000001');
  });

  it('refuses a production start without templates, or with a purpose missing, in one line naming it', () => {
    expect(() => loadConfig(production)).toThrow(new ConfigError('Invalid configuration: SUBSCRIBE_TEMPLATES (or SUBSCRIBE_TEMPLATES_FILE) is required when MONGODB_URI is set'));
    const { waitlistPromoted: _left, ...partial } = DEMO_SUBSCRIBE_TEMPLATES;
    expect(() => loadConfig({ ...production, SUBSCRIBE_TEMPLATES: JSON.stringify(partial) })).toThrow(
      new ConfigError('Invalid configuration: SUBSCRIBE_TEMPLATES: waitlistPromoted is missing (the 候补成功通知 template)'),
    );
    const wrongField = { ...DEMO_SUBSCRIBE_TEMPLATES, couponArrival: { id: 'x', keywords: { thing1: 'title' } } };
    expect(() => loadConfig({ ...production, SUBSCRIBE_TEMPLATES: JSON.stringify(wrongField) })).toThrow(/SUBSCRIBE_TEMPLATES: couponArrival\.keywords\.thing1: title is not a field of couponArrival/);
    expect(() => loadConfig({ ...production, SUBSCRIBE_TEMPLATES: '{' })).toThrow('Invalid configuration: SUBSCRIBE_TEMPLATES: not valid JSON');
  });

  it('reads the templates from SUBSCRIBE_TEMPLATES_FILE, and the reminder lead time', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mc-templates-')), 'templates.json');
    fs.writeFileSync(file, JSON.stringify(DEMO_SUBSCRIBE_TEMPLATES));
    const config = loadConfig({ ...production, SUBSCRIBE_TEMPLATES_FILE: file, ACTIVITY_REMINDER_LEAD_MINUTES: '90' });
    expect(config.subscribeTemplates).toEqual(DEMO_SUBSCRIBE_TEMPLATES);
    expect(config.activityReminderLeadMinutes).toBe(90);
    expect(() => loadConfig({ ...production, SUBSCRIBE_TEMPLATES_FILE: `${file}.missing` })).toThrow(/SUBSCRIBE_TEMPLATES_FILE: cannot read/);
  });

  it('serves every purpose’s template id in /app-config, the contract’s three keys included', async () => {
    const res = await app.api.get('/app-config');
    expect(res.body.subscribeTemplates).toEqual(IDS);
    expect(Object.keys(res.body.subscribeTemplates)).toEqual(expect.arrayContaining(['couponArrival', 'pointsExpiry', 'activityReminder']));
  });
});

describe('the emulator refuses what WeChat refuses', () => {
  let token: string;
  const send = async (body: Record<string, unknown>) =>
    (await app.api.post(`/__emulator/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, { touser: 'emu_strict', template_id: IDS.couponArrival, ...body })).body as {
      errcode: number;
      errmsg: string;
    };
  const good = { thing1: { value: '新品券' }, time2: { value: '2025年2月1日 23:59' }, thing3: { value: '新券到账' } };

  beforeAll(async () => {
    const issued = await app.api.get(`/__emulator/cgi-bin/token?grant_type=client_credential&appid=wxtest000000000001&secret=${DEMO_APP_SECRET}`);
    token = issued.body.access_token;
    expect(token).toEqual(expect.any(String));
    await app.api.post('/__emulator/subscriptions', { openid: 'emu_strict', templateIds: [IDS.couponArrival] });
  });

  it('answers 47003 naming the field for foreign keywords, missing keywords and values breaking their rule', async () => {
    expect(await send({ data: { ...good, title: { value: 'x' } } })).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('argument invalid! data.title invalid') });
    expect(await send({ data: { thing1: good.thing1, time2: good.time2 } })).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('data.thing3.value invalid') });
    expect(await send({ data: { ...good, time2: { value: '2025-02-01' } } })).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('data.time2.value invalid') });
    expect(await send({ data: { ...good, thing1: { value: '一'.repeat(21) } } })).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('data.thing1.value invalid') });
  });

  it('refuses the data shapes the product sent before templates were configuration', async () => {
    // Activity notices sent our own field names with a UTC ISO start cut to 20 characters; coupon arrival sent ISO dates.
    const oldNotice = { title: { value: '咖啡品鉴会' }, startAt: { value: '2026-03-01T08:00:00.' }, note: { value: '活动已取消' } };
    expect(await send({ data: oldNotice })).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('data.title invalid') });
    const oldCoupon = { thing1: { value: '新品券' }, thing2: { value: '新券到账' }, date3: { value: '2025-02-01' } };
    expect(await send({ data: oldCoupon })).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('data.thing2 invalid') });
    expect(await send({ data: { ...good, time2: { value: '2025-02-01' } } })).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('data.time2.value invalid') });
  });

  it('answers 40037 for a template the account does not own and 41030 for a page not in app.json', async () => {
    expect(await send({ template_id: 'tmpl_coupon_arrival_v1', data: good })).toMatchObject({ errcode: 40037 });
    expect(await send({ page: 'pages/coupons/nowhere', data: good })).toMatchObject({ errcode: 41030 });
    expect(await send({ page: 'pages/coupons/detail?id=1', data: good })).toMatchObject({ errcode: 0 });
    expect(await send({ data: good })).toMatchObject({ errcode: 43101 }); // the one acceptance is spent
  });

  it('knows the published pages from the mini-program’s app config, sub-packages included', () => {
    const pages = pagesOfAppConfig(fs.readFileSync(path.join(__dirname, '../../miniprogram/src/app.config.ts'), 'utf8'));
    expect(pages).toEqual(expect.arrayContaining(['pages/card/index', 'pages/coupons/detail', 'pages/activities/detail', 'pages/points/index']));
    expect(pagesOfAppConfig('{"pages":["pages/a/index"],"subPackages":[{"root":"pages/b/","pages":["x"]}]}')).toEqual(['pages/a/index', 'pages/b/x']);
  });
});

describe('every message the product sends', () => {
  it('coupon arrival (campaign): the template’s keywords, the valid-until in China time, a long coupon title cut with an ellipsis', async () => {
    const { member, token } = await joinedMember(app.api, 'sm-coupon');
    await accept(token, 'couponArrival');
    await app.services.models.members.updateOne({ _id: new Types.ObjectId(member.id) }, { $set: { tags: ['sm-coupon'] } });
    const title = '春季新品手冲咖啡豆满100减20元限时专享券'; // 22 characters: WeChat's thing holds 20
    const template = await app.api.post('/admin/coupon-templates', { title, type: 'cash', minSpendFen: 10000, amountOffFen: 2000, validDays: 30, totalQuantity: 10, perMemberLimit: 1 }, admin);
    const copy = '春季新品上市，快来门店体验吧';
    const { body: campaign } = await app.api.post('/admin/campaigns', { name: '春季推送', templateId: template.body.id, segment: { tags: ['sm-coupon'] }, message: { default: copy } }, admin);
    expect(campaign.id).toEqual(expect.any(String));
    expect((await app.api.post(`/admin/campaigns/${campaign.id}/launch`, {}, admin)).status).toBe(202);
    let progress: { notified: number } | undefined;
    for (let i = 0; i < 200 && !progress; i++) {
      const res = await app.api.get(`/admin/campaigns/${campaign.id}`, admin);
      if (res.body.status === 'completed') progress = res.body.progress;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(progress).toMatchObject({ notified: 1 });
    const [message] = await messagesTo(member.id);
    const coupon = (await app.services.models.coupons.findOne({ memberId: new Types.ObjectId(member.id) }).lean())!;
    expect(message).toMatchObject({
      template_id: IDS.couponArrival,
      page: `pages/coupons/detail?id=${String(coupon._id)}`,
      data: { thing1: { value: `${[...title].slice(0, 19).join('')}…` }, time2: { value: chinaDateTimeText(coupon.validUntil) }, thing3: { value: copy } },
    });
    expect(message!.data.time2!.value).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/);
  }, 30_000);

  it('points expiry (automation): the points as a number and the expiry as a China date', async () => {
    const { member, token } = await joinedMember(app.api, 'sm-points');
    await accept(token, 'pointsExpiry');
    const expiresAt = new Date(Date.now() + 10 * 24 * HOUR);
    await app.connection.db!.collection('points_expiry_warnings').insertOne({ memberId: new Types.ObjectId(member.id), expiresAt, amount: 120, createdAt: new Date(), updatedAt: new Date(), notifiedAt: null });
    await app.api.patch('/admin/automation-rules/points_expiry', { enabled: true, message: '您有120积分即将到期，记得兑换礼品' }, admin);
    await app.services.automation.runDue();
    await app.api.patch('/admin/automation-rules/points_expiry', { enabled: false }, admin);
    expect(await messagesTo(member.id)).toEqual([
      expect.objectContaining({ template_id: IDS.pointsExpiry, data: { number1: { value: '120' }, date2: { value: chinaDateText(expiresAt) }, thing3: { value: '您有120积分即将到期，记得兑换礼品' } } }),
    ]);
    expect(chinaDateText(expiresAt)).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日$/);
  });

  it('activity reminder: once per sign-up, only to members who asked, within the lead time before the start', async () => {
    const activity = await createActivity({ title: '周末手冲咖啡品鉴会（静安店）' });
    const asker = await joinedMember(app.api, 'sm-remind-yes');
    const silent = await joinedMember(app.api, 'sm-remind-no');
    const signup = await signUp(activity.id, asker.token);
    await signUp(activity.id, silent.token);
    await accept(asker.token, 'activityReminder', 'activityReminder'); // asked twice: still one reminder for one sign-up

    const reminders = job('activity-reminders');
    expect(await reminders.run(app.services)).toEqual({ processed: 0 }); // six hours ahead: too early
    expect(await messagesTo(asker.member.id)).toHaveLength(0);

    app.clock.set(new Date(Date.parse(activity.startAt) - 90 * 60_000));
    const runs = await Promise.all([reminders.run(app.services), reminders.run(app.services), reminders.run(app.services)]);
    expect(runs.reduce((sum, r) => sum + r.processed, 0)).toBe(1);
    expect(await reminders.run(app.services)).toEqual({ processed: 0 });

    expect(await messagesTo(asker.member.id)).toEqual([
      expect.objectContaining({
        template_id: IDS.activityReminder,
        page: `pages/activities/detail?id=${activity.id}`,
        data: { thing1: { value: '周末手冲咖啡品鉴会（静安店）' }, time2: { value: chinaDateTimeText(new Date(activity.startAt)) }, thing3: { value: '活动即将开始，请凭签到码入场' } },
      }),
    ]);
    expect(await messagesTo(silent.member.id)).toHaveLength(0);
    expect(await app.services.models.subscribeMessages.findById(`activity_reminder:${signup.id}`).lean()).toMatchObject({ status: 'sent', purpose: 'activityReminder', attempts: 1 });
    expect(await app.services.messaging.quota(new Types.ObjectId(asker.member.id), 'activityReminder')).toBe(1);

    // After the start nothing more goes out.
    app.clock.set(new Date(Date.parse(activity.startAt) + 60_000));
    expect(await reminders.run(app.services)).toEqual({ processed: 0 });
  });

  it('activity cancelled: its own template, the reminder quota untouched', async () => {
    const activity = await createActivity({ title: '拉花体验课' });
    const { member, token } = await joinedMember(app.api, 'sm-cancelled');
    await signUp(activity.id, token);
    await accept(token, 'activityReminder', 'activityCancelled');
    expect((await app.api.post(`/admin/activities/${activity.id}/cancel`, undefined, admin)).status).toBe(200);
    await job('subscribe-notices').run(app.services);

    const messages = await messagesTo(member.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ template_id: IDS.activityCancelled, data: { thing1: { value: '拉花体验课' }, time2: { value: chinaDateTimeText(new Date(activity.startAt)) } } });
    expect(messages[0]!.data.thing3!.value).toContain('活动已取消');
    expect(await app.services.messaging.quota(new Types.ObjectId(member.id), 'activityReminder')).toBe(1);
  });

  it('waitlist promoted: its own template when a seat comes free', async () => {
    const activity = await createActivity({ title: '烘焙工坊', capacity: 1 });
    const first = await joinedMember(app.api, 'sm-wait-first');
    const second = await joinedMember(app.api, 'sm-wait-second');
    await signUp(activity.id, first.token);
    expect((await signUp(activity.id, second.token)).status).toBe('waitlisted');
    await accept(second.token, 'waitlistPromoted');
    expect((await app.api.delete(`/activities/${activity.id}/signups/me`, first.token)).status).toBe(200);
    await job('subscribe-notices').run(app.services);

    expect(await messagesTo(second.member.id)).toEqual([
      expect.objectContaining({ template_id: IDS.waitlistPromoted, data: { thing1: { value: '烘焙工坊' }, time2: { value: chinaDateTimeText(new Date(activity.startAt)) }, thing3: { value: '候补成功，报名已确认' } } }),
    ]);
  });

  it('refund result: once WeChat Pay has the fee back with the shopper, its own template with the amount, the time and the reason in Chinese', async () => {
    const activity = await createActivity({ title: '手冲咖啡进阶课', feeFen: 173150 });
    const { member, token } = await joinedMember(app.api, 'sm-refund');
    const seat = (await app.api.post(`/activities/${activity.id}/signups`, {}, token)).body as { id: string; payment: { package: string } };
    await accept(token, 'activityCancelled', 'refundResult');
    expect((await app.api.post(`/__emulator/pay/${seat.payment.package.replace('prepay_id=', '')}`, seat.payment)).status).toBe(200);
    const paymentOf = () => app.services.models.payments.findOne({ 'purpose.id': seat.id }).lean();
    await waitUntil(async () => (await paymentOf())?.status === 'paid');
    expect((await app.api.delete(`/activities/${activity.id}/signups/me`, token)).status).toBe(200);
    await waitUntil(async () => (await paymentOf())?.status === 'refunded');
    const paid = (await paymentOf())!;
    const refundedAt = paid.refund!.succeededAt!;
    // A repeated REFUND.SUCCESS (WeChat Pay may repeat after a 2xx) and a settling run queue nothing more.
    const repeated = {
      mchid: '1900000001', // the test app's merchant (support/harness.ts)
      out_trade_no: paid.outTradeNo,
      transaction_id: paid.transactionId!,
      out_refund_no: paid.outRefundNo,
      refund_id: paid.refund!.refundId!,
      refund_status: 'SUCCESS',
      amount: { total: paid.amountFen, refund: paid.amountFen, payer_total: paid.amountFen, payer_refund: paid.amountFen },
    };
    expect(await app.services.payments.settleRefund(repeated as Parameters<typeof app.services.payments.settleRefund>[0])).toBe('already-settled');
    await app.services.payments.settleStalePayments();
    await job('subscribe-notices').run(app.services);
    await job('subscribe-notices').run(app.services);

    expect(await messagesTo(member.id)).toEqual([
      expect.objectContaining({
        template_id: IDS.refundResult,
        data: { thing1: { value: '手冲咖啡进阶课' }, amount2: { value: '¥1731.50' }, time3: { value: chinaDateTimeText(refundedAt) }, thing4: { value: '会员取消报名退款' } },
      }),
    ]);
    expect(await app.services.messaging.quota(new Types.ObjectId(member.id), 'refundResult')).toBe(0);
    expect(await app.services.messaging.quota(new Types.ObjectId(member.id), 'activityCancelled')).toBe(1);
  });

  it('refuses, before spending quota, a message whose fields cannot fill the template (naming the keyword)', async () => {
    const { member, token } = await joinedMember(app.api, 'sm-format');
    await accept(token, 'couponArrival');
    const memberId = new Types.ObjectId(member.id);
    const outcome = await app.services.messaging.send({ key: 'sm-format-1', memberId, purpose: 'couponArrival', marketing: false, fields: { couponName: '礼遇', note: '无券的推送' } });
    expect(outcome).toMatchObject({ status: 'failed', reason: 'format:time2' });
    expect(await app.services.messaging.quota(memberId, 'couponArrival')).toBe(1);
    expect(await messagesTo(member.id)).toHaveLength(0);
  });
});

describe('busy WeChat', () => {
  const fields = { couponName: '新品券', validUntil: new Date('2030-02-01T04:00:00Z'), note: '新券到账' };

  it('retries a -1 after its backoff wait and delivers it once, however many retry runs race for it', async () => {
    const { member, token } = await joinedMember(app.api, 'sm-busy');
    await accept(token, 'couponArrival');
    const memberId = new Types.ObjectId(member.id);
    await forceSendErrors(-1);
    const outcome = await app.services.messaging.send({ key: 'sm-busy-1', memberId, purpose: 'couponArrival', marketing: true, fields });
    expect(outcome).toMatchObject({ status: 'retrying', reason: 'errcode_-1' });
    const waiting = (await app.services.models.subscribeMessages.findById('sm-busy-1').lean())!;
    expect(waiting).toMatchObject({ status: 'retrying', attempts: 1, error: expect.stringContaining('system error') });
    expect(waiting.nextAttemptAt!.getTime() - app.clock.now().getTime()).toBeGreaterThan(RETRY_DELAYS_MS[0]! - 5_000);
    expect(await app.services.messaging.quota(memberId, 'couponArrival')).toBe(0); // reserved, not lost

    const retries = job('subscribe-retries');
    expect(await retries.run(app.services)).toEqual({ processed: 0 }); // not yet due
    app.clock.advance(RETRY_DELAYS_MS[0]! + 1_000);
    const runs = await Promise.all([retries.run(app.services), retries.run(app.services), retries.run(app.services)]);
    expect(runs.reduce((sum, r) => sum + r.processed, 0)).toBe(1);

    expect(await app.services.models.subscribeMessages.findById('sm-busy-1').lean()).toMatchObject({ status: 'sent', attempts: 2, nextAttemptAt: null, msgid: expect.any(String) });
    expect(await messagesTo(member.id)).toEqual([expect.objectContaining({ template_id: IDS.couponArrival, data: expect.objectContaining({ thing1: { value: '新品券' } }) })]);
    expect(await app.services.messaging.quota(memberId, 'couponArrival')).toBe(0);
  });

  it('gives up after the last backoff step and gives the quota back', async () => {
    const { member, token } = await joinedMember(app.api, 'sm-busy-long');
    await accept(token, 'couponArrival');
    const memberId = new Types.ObjectId(member.id);
    await forceSendErrors(...Array<number>(RETRY_DELAYS_MS.length + 1).fill(45009));
    expect((await app.services.messaging.send({ key: 'sm-busy-2', memberId, purpose: 'couponArrival', marketing: false, fields })).status).toBe('retrying');
    for (const delay of RETRY_DELAYS_MS) {
      app.clock.advance(delay + 1_000);
      expect(await app.services.messaging.retryDue()).toEqual({ processed: 1 });
    }
    expect(await app.services.models.subscribeMessages.findById('sm-busy-2').lean()).toMatchObject({ status: 'failed', reason: 'errcode_45009', attempts: RETRY_DELAYS_MS.length + 1 });
    expect(await app.services.messaging.quota(memberId, 'couponArrival')).toBe(1);
    expect(await messagesTo(member.id)).toHaveLength(0);
  });

  it('does not retry a message that would arrive too late (a reminder after the start)', async () => {
    const { member, token } = await joinedMember(app.api, 'sm-busy-late');
    await accept(token, 'activityReminder');
    const memberId = new Types.ObjectId(member.id);
    await forceSendErrors(-1);
    const outcome = await app.services.messaging.send({
      key: 'sm-busy-3', memberId, purpose: 'activityReminder', marketing: false,
      fields: { activityTitle: '品鉴会', startAt: new Date(app.clock.now().getTime() + 30_000), note: '即将开始' },
      expiresAt: new Date(app.clock.now().getTime() + 30_000),
    });
    expect(outcome).toMatchObject({ status: 'failed', reason: 'errcode_-1' });
    expect(await app.services.messaging.quota(memberId, 'activityReminder')).toBe(1);
  });
});

describe('HQ sets a purpose’s template', () => {
  it('lists each purpose with its fields and the template in force, to HQ only', async () => {
    const res = await app.api.get('/admin/subscribe-templates', admin);
    expect(res.status).toBe(200);
    expect(res.body.items.map((item: { purpose: string }) => item.purpose)).toEqual(['couponArrival', 'pointsExpiry', 'activityReminder', 'activityCancelled', 'waitlistPromoted', 'refundResult', 'storedValueCharge']);
    expect(res.body.items[0]).toMatchObject({ title: '优惠券到账通知', source: 'environment', template: DEMO_SUBSCRIBE_TEMPLATES.couponArrival });
    expect(res.body.items[0].fields).toContainEqual({ name: 'validUntil', kind: 'instant', means: '有效期至' });
    const member = await joinedMember(app.api, 'sm-hq-member');
    expect((await app.api.get('/admin/subscribe-templates', member.token)).status).toBe(403);
    expect((await app.api.request('PUT', '/admin/subscribe-templates/couponArrival', { body: DEMO_SUBSCRIBE_TEMPLATES.couponArrival, token: member.token })).status).toBe(403);
  });

  it('refuses a template that does not fit, naming the field', async () => {
    const put = (purpose: string, body: unknown) => app.api.request('PUT', `/admin/subscribe-templates/${purpose}`, { body, token: admin });
    const wrongField = await put('couponArrival', { id: 'hq-coupon', keywords: { thing1: 'activityTitle' } });
    expect(wrongField.status).toBe(400);
    expect(wrongField.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'body.keywords.thing1', message: expect.stringContaining('activityTitle is not a field of couponArrival') }] } });
    const wrongType = await put('couponArrival', { id: 'hq-coupon', keywords: { amount1: 'validUntil' } });
    expect(wrongType.body.error.details.fields[0]).toMatchObject({ field: 'body.keywords.amount1' });
    const taken = await put('couponArrival', { id: IDS.pointsExpiry, keywords: { thing1: 'couponName' } });
    expect(taken.body.error.details.fields[0]).toMatchObject({ field: 'body.id', message: expect.stringContaining('pointsExpiry') });
    expect((await put('orderShipped', { id: 'x', keywords: { thing1: 'note' } })).status).toBe(400);
    expect((await put('couponArrival', { id: 'x' })).status).toBe(400);
  });

  it('HQ’s template replaces the environment’s in /app-config and on sends, and going back restores it', async () => {
    const mine = { id: 'hq-CouponArrival-not-in-the-emulator', keywords: { thing1: 'couponName', date2: 'validUntil' } };
    const set = await app.api.request('PUT', '/admin/subscribe-templates/couponArrival', { body: mine, token: admin });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ purpose: 'couponArrival', source: 'hq', template: mine });
    expect((await app.api.get('/app-config')).body.subscribeTemplates).toEqual({ ...IDS, couponArrival: mine.id });
    expect(await app.services.models.audit.findOne({ action: 'subscribe_template.update' }).lean()).toMatchObject({ targetId: 'subscribeTemplates.couponArrival', after: mine });

    // The member accepts the new id; WeChat (here the emulator) does not know it, and says so (40037).
    const { member, token } = await joinedMember(app.api, 'sm-hq-send');
    await app.api.post('/me/subscriptions', { accepted: [mine.id] }, token);
    expect((await app.api.post('/me/subscriptions', { accepted: [IDS.couponArrival] }, token)).status).toBe(400); // no longer offered
    const memberId = new Types.ObjectId(member.id);
    const outcome = await app.services.messaging.send({ key: 'sm-hq-1', memberId, purpose: 'couponArrival', marketing: false, fields: { couponName: '新品券', validUntil: new Date(), note: '未用到' } });
    expect(outcome).toMatchObject({ status: 'failed', reason: 'errcode_40037' });
    expect(await app.services.models.subscribeMessages.findById('sm-hq-1').lean()).toMatchObject({ templateId: mine.id, payload: { data: { thing1: { value: '新品券' }, date2: { value: expect.stringMatching(/^\d{4}年\d{1,2}月\d{1,2}日$/) } } } });

    const back = await app.api.delete('/admin/subscribe-templates/couponArrival', admin);
    expect(back.body).toMatchObject({ source: 'environment', template: DEMO_SUBSCRIBE_TEMPLATES.couponArrival });
    expect((await app.api.get('/app-config')).body.subscribeTemplates).toEqual(IDS);
  });
});
