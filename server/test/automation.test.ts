import { Types } from 'mongoose';
import { templateIds } from '@membercard/shared';
import { DEMO_SUBSCRIBE_TEMPLATES } from '../src/modules/messaging/templates';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

const SUBSCRIBE_TEMPLATES = templateIds(DEMO_SUBSCRIBE_TEMPLATES);

// Automation rules over HTTP: HQ switches them on and edits them; each fires at most once per member per
// occurrence however often it runs, and the rule's answer shows what it sent.

let app: TestApp;
let admin: string;
let templateId: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  const template = await app.api.post('/admin/coupon-templates', { title: '礼券', type: 'cash', minSpendFen: 0, amountOffFen: 500, noMinSpendConfirmed: true, validDays: 30, totalQuantity: 1000, perMemberLimit: 10 }, admin);
  templateId = template.body.id;
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const rule = async (id: string) => (await app.api.get('/admin/automation-rules', admin)).body.items.find((r: any) => r.id === id);
const automationCoupons = (memberId: string) => app.services.models.coupons.countDocuments({ channel: 'automation', memberId: new Types.ObjectId(memberId) });

describe('automation rules', () => {
  it('lists every rule switched off by default and refuses bad edits', async () => {
    const list = await app.api.get('/admin/automation-rules', admin);
    expect(list.body.items.map((r: any) => r.kind).sort()).toEqual(['birthday', 'points_expiry', 'tier_upgrade', 'welcome', 'win_back']);
    expect(list.body.items.every((r: any) => r.enabled === false)).toBe(true);
    expect((await app.api.patch('/admin/automation-rules/nope', { enabled: true }, admin)).status).toBe(400);
    const badParam = await app.api.patch('/admin/automation-rules/win_back', { params: { weeks: 3 } }, admin);
    expect(badParam.status).toBe(400);
    expect(badParam.body.error.details.fields[0].field).toBe('body.params.weeks');
    expect((await app.api.patch('/admin/automation-rules/birthday', { templateId: new Types.ObjectId().toHexString() }, admin)).status).toBe(400);
    expect((await app.api.patch('/admin/automation-rules/birthday', { enabled: 'yes' }, admin)).status).toBe(400);
    expect((await app.api.patch('/admin/automation-rules/birthday', { enabled: true }, await staffToken(app.api, 'sh01-manager'))).status).toBe(403);
  });

  it('gives the welcome coupon once on joining, and a rerun adds nothing', async () => {
    const on = await app.api.patch('/admin/automation-rules/welcome', { enabled: true, templateId }, admin);
    expect(on.body).toMatchObject({ enabled: true, templateId });
    const { member } = await joinedMember(app.api, 'auto-welcome');
    expect(await automationCoupons(member.id)).toBe(1);
    await Promise.all([app.services.automation.runDue(), app.services.automation.runDue()]);
    expect(await automationCoupons(member.id)).toBe(1);
    const welcome = await rule('welcome');
    expect(welcome.couponsIssued).toBe(1);
    expect(welcome.recent[0]).toMatchObject({ occurrence: `welcome:${member.id}`, memberId: member.id, couponIssued: true });
    await app.api.patch('/admin/automation-rules/welcome', { enabled: false }, admin);
  });

  it('sends the birthday coupon and message once per year in the birthday month', async () => {
    const { member, token } = await joinedMember(app.api, 'auto-bday');
    await app.api.post('/me/subscriptions', { accepted: [SUBSCRIBE_TEMPLATES.couponArrival, SUBSCRIBE_TEMPLATES.couponArrival] }, token);
    const thisMonth = Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', month: 'numeric' }).format(new Date()));
    await app.services.models.members.updateOne({ _id: new Types.ObjectId(member.id) }, { $set: { birthdayMonth: thisMonth } });
    await app.api.patch('/admin/automation-rules/birthday', { enabled: true, templateId, message: '生日快乐' }, admin);

    await Promise.all([app.services.automation.runDue(), app.services.automation.runDue()]);
    await app.services.automation.runDue();
    expect(await automationCoupons(member.id)).toBe(1);
    const openid = (await app.services.models.members.findById(member.id).lean())!.openid;
    const messages = (await app.api.get(`/__emulator/messages?openid=${openid}`)).body.messages;
    expect(messages).toHaveLength(1);
    expect(messages[0].data.thing3.value).toBe('生日快乐');
    const birthday = await rule('birthday');
    expect(birthday).toMatchObject({ sentCount: 1, couponsIssued: 1, messagesSent: 1, lastRunAt: expect.any(String) });
    expect(birthday.recent[0].occurrence).toMatch(new RegExp(`^birthday:\\d{4}:${member.id}$`));

    // Next year is a new occurrence.
    app.clock.advance(366 * 24 * 3600_000);
    await app.services.automation.runDue();
    app.clock.set(new Date());
    expect(await automationCoupons(member.id)).toBe(2);
    await app.api.patch('/admin/automation-rules/birthday', { enabled: false }, admin);
  });

  it('wins back a lapsed member once per lapse', async () => {
    const { member } = await joinedMember(app.api, 'auto-lapsed');
    const long = new Date(Date.now() - 200 * 24 * 3600_000);
    await app.services.models.members.updateOne({ _id: new Types.ObjectId(member.id) }, { $set: { joinedAt: long, lastPurchaseAt: long } });
    await app.api.patch('/admin/automation-rules/win_back', { enabled: true, templateId, params: { days: 90 } }, admin);
    await app.services.automation.runDue();
    await app.services.automation.runDue();
    expect(await app.services.models.coupons.countDocuments({ channel: 'automation', channelRef: { $regex: '^win_back:' }, memberId: new Types.ObjectId(member.id) })).toBe(1);
    expect((await rule('win_back')).params).toEqual({ days: 90 });
    await app.api.patch('/admin/automation-rules/win_back', { enabled: false }, admin);
  });

  it('warns of expiring points once per warning and marks it notified', async () => {
    const { member, token } = await joinedMember(app.api, 'auto-expiry');
    await app.api.post('/me/subscriptions', { accepted: [SUBSCRIBE_TEMPLATES.pointsExpiry] }, token);
    const warnings = app.connection.db!.collection('points_expiry_warnings');
    const { insertedId } = await warnings.insertOne({
      memberId: new Types.ObjectId(member.id), expiresAt: new Date(Date.now() + 10 * 24 * 3600_000), amount: 120, createdAt: new Date(), updatedAt: new Date(), notifiedAt: null,
    });
    await app.api.patch('/admin/automation-rules/points_expiry', { enabled: true }, admin);
    await app.services.automation.runDue();
    await app.services.automation.runDue();
    expect((await warnings.findOne({ _id: insertedId }))!.notifiedAt).toEqual(expect.any(Date));
    const openid = (await app.services.models.members.findById(member.id).lean())!.openid;
    const messages = (await app.api.get(`/__emulator/messages?openid=${openid}`)).body.messages;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ template_id: SUBSCRIBE_TEMPLATES.pointsExpiry, data: { number1: { value: '120' } } });
    expect((await rule('points_expiry')).messagesSent).toBe(1);
  });
});
