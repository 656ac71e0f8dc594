import { adminToken, joinedMember, startTestApp, type TestApp } from './support/harness';
import { memberCode, orderNo, purchase } from './points-helpers';

// Input rules over HTTP: a cash coupon takes less than its minimum spend off (or HQ confirms a fixed amount off
// any order), and text a person types is refused with 400 VALIDATION_FAILED naming the field when it carries
// control characters, lone surrogates or bidirectional overrides, or shows nothing at all.

let app: TestApp;
let admin: string;

const HOUR = 3600_000;
const ZERO_WIDTH_SPACE = '\u200b';
const RIGHT_TO_LEFT_OVERRIDE = '\u202e';
const NUL = '\u0000';
const LONE_SURROGATE = '\ud83d';

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

function expectRefusedAt(res: { status: number; body: any }, field: string): void {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('VALIDATION_FAILED');
  expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
}

const cash = { title: '满减券', type: 'cash', validDays: 30, totalQuantity: 100, perMemberLimit: 1 };

describe('what a cash coupon may take off', () => {
  it('given ¥100 off a ¥1 minimum spend, when HQ saves it, then 400 naming amountOffFen and nothing is stored', async () => {
    const before = await app.services.models.couponTemplates.countDocuments();
    const res = await app.api.post('/admin/coupon-templates', { ...cash, minSpendFen: 100, amountOffFen: 10_000 }, admin);
    expectRefusedAt(res, 'body.amountOffFen');
    expect(await app.services.models.couponTemplates.countDocuments()).toBe(before);
  });

  it('given a fixed amount off with no minimum spend, when HQ saves it without and then with the confirmation, then 400 naming noMinSpendConfirmed, then 201', async () => {
    const unconfirmed = await app.api.post('/admin/coupon-templates', { ...cash, minSpendFen: 0, amountOffFen: 1_000 }, admin);
    expectRefusedAt(unconfirmed, 'body.noMinSpendConfirmed');
    const confirmed = await app.api.post('/admin/coupon-templates', { ...cash, minSpendFen: 0, amountOffFen: 1_000, noMinSpendConfirmed: true }, admin);
    expect(confirmed.status).toBe(201);
    expect(confirmed.body).toMatchObject({ type: 'cash', minSpendFen: 0, amountOffFen: 1_000 });
    expect(confirmed.body).not.toHaveProperty('noMinSpendConfirmed');

    // An edit is held to the same rule.
    const edited = await app.api.patch(`/admin/coupon-templates/${confirmed.body.id}`, { ...cash, minSpendFen: 500, amountOffFen: 1_000 }, admin);
    expectRefusedAt(edited, 'body.amountOffFen');
  });
});

describe('text a person types', () => {
  it('given a profile name of one zero-width space, NUL, a lone surrogate or a right-to-left override, then 400 naming body.name; a plain name is trimmed', async () => {
    const { token } = await joinedMember(app.api, 'text-rules-member');
    for (const name of [ZERO_WIDTH_SPACE, `张${NUL}三`, `张三${LONE_SURROGATE}`, `${RIGHT_TO_LEFT_OVERRIDE}三张`, ' \u200b\u200d\ufeff ']) {
      expectRefusedAt(await app.api.patch('/me/profile', { name }, token), 'body.name');
    }
    expectRefusedAt(await app.api.patch('/me/profile', { city: `上海${NUL}` }, token), 'body.city');
    expectRefusedAt(await app.api.patch('/me/profile', { interests: ['咖啡', '\u2066烘焙'] }, token), 'body.interests.1');
    const ok = await app.api.patch('/me/profile', { name: '  张三 ', city: '上海' }, token);
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe('张三');
  });

  it('given HQ text with controls or overrides (store, staff, activity, coupon, campaign copy, tiers), then each is refused at its field', async () => {
    expectRefusedAt(await app.api.post('/admin/stores', { id: 'GZ01', name: `广州店${RIGHT_TO_LEFT_OVERRIDE}` }, admin), 'body.name');
    expectRefusedAt(await app.api.post('/admin/staff', { username: 'zwsp-clerk', name: ZERO_WIDTH_SPACE, role: 'clerk', storeId: 'SH01', password: 'a-long-first-password' }, admin), 'body.name');
    expectRefusedAt(await app.api.post('/admin/coupon-templates', { ...cash, minSpendFen: 10_000, amountOffFen: 2_000, title: `券${LONE_SURROGATE}` }, admin), 'body.title');
    expectRefusedAt(await app.api.post('/admin/segments', { name: `\u2067名单`, segment: { tiers: ['silver'] } }, admin), 'body.name');
    expectRefusedAt(await app.api.patch('/admin/automation-rules/welcome', { message: `欢迎${NUL}` }, admin), 'body.message');

    const now = app.clock.now().getTime();
    const activity = {
      title: '咖啡品鉴会',
      description: '第一行\n第二行\t（可多行）',
      storeId: 'SH01',
      signupClosesAt: new Date(now + 24 * HOUR).toISOString(),
      startAt: new Date(now + 48 * HOUR).toISOString(),
      endAt: new Date(now + 50 * HOUR).toISOString(),
      capacity: 3,
      feeFen: 0,
      attendancePoints: 0,
    };
    expectRefusedAt(await app.api.post('/admin/activities', { ...activity, title: ZERO_WIDTH_SPACE }, admin), 'body.title');
    expectRefusedAt(await app.api.post('/admin/activities', { ...activity, description: `说明${NUL}` }, admin), 'body.description');
    // A multi-line description keeps its line breaks and tabs.
    const created = await app.api.post('/admin/activities', activity, admin);
    expect(created.status).toBe(201);
    expect(created.body.description).toBe('第一行\n第二行\t（可多行）');

    const ladder = (await app.api.get('/admin/tiers', admin)).body.tiers as Array<{ name: string; benefits: string[] }>;
    expectRefusedAt(await app.api.request('PUT', '/admin/tiers', { token: admin, body: { tiers: ladder.map((t, i) => (i === 0 ? { ...t, name: ZERO_WIDTH_SPACE } : t)) } }), 'body.tiers.0.name');
  });

  it('given a purchase line with a control character or an adjustment reason that shows nothing, then 400 naming the field', async () => {
    const clerk = (await app.api.post('/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' })).body.token as string;
    const { token } = await joinedMember(app.api, 'text-rules-buyer');
    const line = { sku: 'LATTE', name: `拿铁${NUL}`, category: 'COFFEE_TEA', qty: 1, amountFen: 3_000 };
    expectRefusedAt(await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('text'), amountFen: 3_000, lines: [line] }), 'body.lines.0.name');
    expectRefusedAt(
      await app.api.post('/admin/members/000000000000000000000000/points-adjustments', { delta: 10, reason: ZERO_WIDTH_SPACE }, admin, { 'Idempotency-Key': 'text-rules-adjust' }),
      'body.reason',
    );
  });
});
