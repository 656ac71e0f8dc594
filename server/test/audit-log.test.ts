import { adjust, memberCode, orderNo, purchase } from './points-helpers';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

// The audit log as HQ reads it: who (the account's name, role and store, read when listed), what (the
// target's name), and the filters by person, action, store and time, over HTTP against the real product.

let app: TestApp;
let admin: string;
let clerk: string;
let manager: string;
let clerkId: string;
let adminId: string;
let memberId: string;
let templateId: string;
let order: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
  manager = await staffToken(app.api, 'sh01-manager');
  clerkId = String((await app.services.models.staff.findOne({ username: 'sh01-clerk' }).lean<{ _id: unknown }>())!._id);
  adminId = String((await app.services.models.staff.findOne({ username: 'hq' }).lean<{ _id: unknown }>())!._id);

  const { token, member } = await joinedMember(app.api, 'audit-reader');
  memberId = member.id;
  expect((await app.api.patch('/me/profile', { name: '林晓雨' }, token)).status).toBe(200);
  order = orderNo('AUD');
  expect((await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: order, amountFen: 12_800 })).status).toBe(200);
  expect((await adjust(app.api, admin, memberId, 50, 'audit-adjust', '补录积分')).status).toBe(201);
  const template = await app.api.post('/admin/coupon-templates', { title: '审计测试满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 10, perMemberLimit: 1 }, admin);
  expect(template.status).toBe(201);
  templateId = template.body.id;
}, 60_000);
afterAll(async () => {
  await app.stop();
});

const list = (query: string, token = admin) => app.api.get(`/admin/audit-log?${query}`, token);

describe('the audit log names people and things', () => {
  it('given a clerk’s purchase, HQ’s adjustment and a new template, each entry carries the actor’s name, the store’s name and the target’s name', async () => {
    const res = await list('limit=50');
    expect(res.status).toBe(200);
    const byAction = new Map(res.body.items.map((e: { action: string }) => [e.action, e]));
    expect(byAction.get('purchase.create')).toMatchObject({ actorId: clerkId, actorName: '静安店员', role: 'clerk', storeId: 'SH01', storeName: '上海静安店', targetType: 'purchase', targetName: order, memberId });
    expect(byAction.get('points.adjust')).toMatchObject({ actorId: adminId, actorName: '总部运营', role: 'hq', hqRole: 'admin', storeId: null, storeName: null, targetType: 'member', targetId: memberId, targetName: '林晓雨' });
    expect(byAction.get('coupon_template.create')).toMatchObject({ targetId: templateId, targetName: '审计测试满100减20' });
    // Names are read at listing time: a renamed account reads with its new name in old entries too.
    await app.services.models.staff.updateOne({ _id: clerkId }, { $set: { name: '静安店员（改名）' } });
    const renamed = await list(`actorId=${clerkId}`);
    expect(renamed.body.items[0].actorName).toBe('静安店员（改名）');
    await app.services.models.staff.updateOne({ _id: clerkId }, { $set: { name: '静安店员' } });
  });

  it('given a target that no longer exists, its name is null and the entry still lists', async () => {
    await app.services.models.couponTemplates.deleteOne({ _id: templateId });
    const res = await list('action=coupon_template.create');
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ targetId: templateId, targetName: null, actorName: '总部运营' });
  });

  it('a member’s 操作记录 carries the same names, for HQ and for the manager of the member’s store', async () => {
    for (const token of [admin, manager]) {
      const res = await app.api.get(`/admin/members/${memberId}/audit`, token);
      expect(res.status).toBe(200);
      const actions = res.body.items.map((e: { action: string }) => e.action).sort();
      expect(actions).toEqual(['points.adjust', 'purchase.create']);
      for (const entry of res.body.items) expect(entry.actorName).toMatch(/静安店员|总部运营/);
    }
  });
});

describe('filters', () => {
  it('by person, action, store and time range, each alone and together', async () => {
    const byClerk = await list(`actorId=${clerkId}&limit=50`);
    expect(byClerk.body.items.length).toBeGreaterThan(0);
    for (const entry of byClerk.body.items) expect(entry.actorId).toBe(clerkId);

    const byAction = await list('action=points.adjust');
    expect(byAction.body.items.map((e: { action: string }) => e.action)).toEqual(['points.adjust']);

    const byStore = await list('storeId=SH01&limit=50');
    expect(byStore.body.items.length).toBeGreaterThan(0);
    for (const entry of byStore.body.items) expect(entry.storeId).toBe('SH01');
    expect((await list('storeId=BJ01')).body.items).toEqual([]);

    const both = await list(`actorId=${adminId}&action=purchase.create`);
    expect(both.body.items).toEqual([]);

    const now = app.clock.now().getTime();
    const recent = await list(`from=${new Date(now - 3600_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}&limit=50`);
    expect(recent.body.items.length).toBeGreaterThanOrEqual(3);
    const future = await list(`from=${new Date(now + 3600_000).toISOString()}`);
    expect(future.body.items).toEqual([]);
  });

  it('pages newest first with a cursor, without repeats', async () => {
    const first = await list('limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(`limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    const ids = [...first.body.items, ...second.body.items].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const times = [...first.body.items, ...second.body.items].map((e: { at: string }) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('is HQ admins’ alone, and refuses a malformed filter with 400', async () => {
    expect((await list('', manager)).status).toBe(403);
    expect((await list('', clerk)).status).toBe(403);
    const bad = await list('from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });
});
