import { compileSegment, DEFAULT_CATEGORIES, type Segment } from '@membercard/shared';
import { posRequest, type PosConnection } from '../../scripts/pos-client';
import { Collection } from '../../embedded-mongo/src/collection';
import { adminToken, joinedMember, staffToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';
import { DAY, expectBooksBalance, memberCode, memberDoc, orderNo, purchase, runJob } from './points-helpers';

// Product categories (HQ's list, the default set seeded on first start), lines checked against them, the
// per-member category summary kept in the purchase's and the return's transaction, and the segments on it.

let app: TestApp;
let admin: string;
let till: PosConnection;
let seq = 0;

function expectError(res: Pick<ApiResponse, 'status' | 'body'>, status: number, code: string): void {
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
}

/** A category of this test's own (so segment counts see only this test's members). */
async function category(prefix: string, name = '测试品类'): Promise<string> {
  const code = `${prefix}_${++seq}_${Date.now().toString(36).toUpperCase()}`;
  const res = await app.api.post('/admin/categories', { code, name, nameEn: 'Test category', situation: 'young_family' }, admin);
  expect(res.status).toBe(201);
  return code;
}

function line(sku: string, categoryCode: string, qty: number, unitFen: number) {
  return { sku, name: `商品 ${sku}`, category: categoryCode, qty, unitFen, amountFen: qty * unitFen };
}

async function order(memberId: string, lines: ReturnType<typeof line>[], no = orderNo('CAT')) {
  const res = await posRequest(till, 'POST', '/pos/orders', { orderNo: no, memberId, lines, totalFen: lines.reduce((s, l) => s + l.amountFen, 0) });
  expect(res.status).toBe(201);
  return res.body;
}

async function stats(memberId: string) {
  const doc = await memberDoc(app, memberId);
  return Object.fromEntries((doc.categoryStats ?? []).map((s: { category: string; spend12mFen: number; visits: number; lastAt: Date }) => [s.category, { spend12mFen: s.spend12mFen, visits: s.visits, lastAt: s.lastAt.toISOString() }]));
}

async function audience(segment: Segment): Promise<number> {
  const res = await app.api.post('/admin/campaigns/preview', { segment }, admin);
  expect(res.status).toBe(200);
  return res.body.count;
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  const key = await app.api.post('/admin/pos/credentials', { storeId: 'SH01', label: '品类测试收银' }, admin);
  expect(key.status).toBe(201);
  till = { baseUrl: app.url, keyId: key.body.keyId, secret: key.body.secret };
}, 30_000);
afterAll(async () => {
  await app.stop();
});

describe('the category list', () => {
  it('starts with the default retail set, once, grouped by life situation; only HQ admins read and change it', async () => {
    const listed = await app.api.get('/admin/categories', admin);
    expect(listed.status).toBe(200);
    const codes = listed.body.items.map((c: { code: string }) => c.code);
    for (const { code } of DEFAULT_CATEGORIES) expect(codes).toContain(code);
    expect(listed.body.items.find((c: { code: string }) => c.code === 'DIAPERS')).toMatchObject({ name: '纸尿裤', nameEn: 'Nappies', situation: 'young_family', status: 'active' });
    // A second start (another instance) seeds nothing more.
    expect(await app.services.categories.seedDefaults()).toBe(0);
    expect(await app.services.models.categories.countDocuments({ _id: { $in: DEFAULT_CATEGORIES.map((c) => c.code) } })).toBe(DEFAULT_CATEGORIES.length);
    const clerk = await staffToken(app.api, 'sh01-clerk');
    expectError(await app.api.get('/admin/categories', clerk), 403, 'FORBIDDEN');
    expectError(await app.api.post('/admin/categories', { code: 'X_CLERK', name: '店员加的', nameEn: 'x', situation: 'pet_owners' }, clerk), 403, 'FORBIDDEN');
  });

  it('HQ adds, renames and disables; a duplicate code is 409, bad input 400; each change is audited', async () => {
    const code = await category('HQ', '宝宝洗护');
    expectError(await app.api.post('/admin/categories', { code, name: '重复', nameEn: 'Dup', situation: 'young_family' }, admin), 409, 'CONFLICT');
    expectError(await app.api.post('/admin/categories', { code: 'lower', name: '小写', nameEn: 'x', situation: 'young_family' }, admin), 400, 'VALIDATION_FAILED');
    expectError(await app.api.post('/admin/categories', { code: 'NO_SITUATION', name: '无', nameEn: 'x', situation: 'martians' }, admin), 400, 'VALIDATION_FAILED');
    const renamed = await app.api.patch(`/admin/categories/${code}`, { name: '婴童洗护', nameEn: 'Baby bath' }, admin);
    expect(renamed.body).toMatchObject({ code, name: '婴童洗护', nameEn: 'Baby bath', status: 'active' });
    expect((await app.api.patch(`/admin/categories/${code}`, { status: 'disabled' }, admin)).body.status).toBe('disabled');
    expectError(await app.api.patch('/admin/categories/NOPE_NONE', { name: '无' }, admin), 404, 'NOT_FOUND');
    const trail = await app.services.models.audit.find({ targetType: 'category', targetId: code }).sort({ _id: 1 }).lean();
    expect(trail.map((e) => e.action)).toEqual(['category.create', 'category.update', 'category.update']);
    expect(trail[1]).toMatchObject({ before: { name: '宝宝洗护', nameEn: 'Test category' }, after: { name: '婴童洗护', nameEn: 'Baby bath' } });
  });

  it('a category is deleted only when disabled and never bought; one in use stays (409)', async () => {
    const unused = await category('UNUSED');
    expectError(await app.api.delete(`/admin/categories/${unused}`, admin), 409, 'CONFLICT');
    await app.api.patch(`/admin/categories/${unused}`, { status: 'disabled' }, admin);
    expect((await app.api.delete(`/admin/categories/${unused}`, admin)).status).toBe(204);
    expectError(await app.api.delete(`/admin/categories/${unused}`, admin), 404, 'NOT_FOUND');

    const used = await category('USED');
    const { member } = await joinedMember(app.api, 'cat-in-use');
    await order(member.id, [line('U1', used, 1, 1_000)]);
    await app.api.patch(`/admin/categories/${used}`, { status: 'disabled' }, admin);
    expectError(await app.api.delete(`/admin/categories/${used}`, admin), 409, 'CONFLICT');
  });
});

describe('lines are checked against the active categories', () => {
  it('a POS order or quote with an unknown or disabled category → 400 CATEGORY_UNKNOWN naming the line; nothing booked; fixed, the same order number books', async () => {
    const { member } = await joinedMember(app.api, 'cat-check-pos');
    const disabled = await category('OFF');
    await app.api.patch(`/admin/categories/${disabled}`, { status: 'disabled' }, admin);
    const no = orderNo('CATCHK');
    for (const bad of ['乳品', disabled]) {
      const lines = [line('A', 'DAIRY', 1, 500), line('B', bad, 2, 300)];
      const res = await posRequest(till, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines, totalFen: 1_100 });
      expectError(res, 400, 'CATEGORY_UNKNOWN');
      expect(res.body.error.details.fields).toEqual([{ field: 'body.lines.1.category', message: expect.any(String) }]);
      expect(res.body.error.message).toContain('Line 1 (B)');
    }
    // The quote refuses the same basket, so the till learns before it books.
    const quoted = await posRequest(till, 'POST', '/pos/quote', { memberId: member.id, lines: [line('A', 'DAIRY', 1, 500), line('B', '乳品', 2, 300)] });
    expectError(quoted, 400, 'CATEGORY_UNKNOWN');
    expect(quoted.body.error.details.fields[0].field).toBe('body.lines.1.category');
    expect(await app.services.models.purchases.countDocuments({ memberId: member.id })).toBe(0);
    expect((await memberDoc(app, member.id)).categoryStats).toBeUndefined();
    const booked = await posRequest(till, 'POST', '/pos/orders', { orderNo: no, memberId: member.id, lines: [line('A', 'DAIRY', 1, 500), line('B', 'BAKERY', 2, 300)], totalFen: 1_100 });
    expect(booked.status).toBe(201);
  });

  it('the counter’s optional lines are checked the same way; a purchase without lines is not affected', async () => {
    const { member, token } = await joinedMember(app.api, 'cat-check-counter');
    const clerk = await staffToken(app.api, 'sh01-clerk');
    const bad = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('CNT'), amountFen: 3_000, lines: [{ sku: 'LATTE', name: '拿铁', category: '饮品', qty: 1, amountFen: 3_000 }] });
    expectError(bad, 400, 'CATEGORY_UNKNOWN');
    expect(bad.body.error.details.fields[0].field).toBe('body.lines.0.category');
    const good = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('CNT'), amountFen: 3_000, lines: [{ sku: 'LATTE', name: '拿铁', category: 'COFFEE_TEA', qty: 1, amountFen: 3_000 }] });
    expect(good.status).toBe(200);
    expect((await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('CNT'), amountFen: 1_000 })).status).toBe(200);
    expect(await stats(member.id)).toEqual({ COFFEE_TEA: { spend12mFen: 3_000, visits: 1, lastAt: expect.any(String) } });
  });
});

describe('the member’s category summary and the segments on it', () => {
  it('an order adds each category’s line amounts and one visit; partial returns take the returned units off, the last return the rest', async () => {
    const nappies = await category('NAPPY');
    const fruit = await category('FRUIT');
    const { member } = await joinedMember(app.api, 'cat-summary');
    const no = orderNo('SUM');
    // Three packs of nappies at ¥89, two more nappy lines' worth in one order, and fruit.
    const booked = await order(member.id, [line('N1', nappies, 3, 8_900), line('F1', fruit, 4, 650), line('N2', nappies, 1, 4_500)], no);
    expect(await stats(member.id)).toEqual({
      [nappies]: { spend12mFen: 31_200, visits: 1, lastAt: booked.createdAt },
      [fruit]: { spend12mFen: 2_600, visits: 1, lastAt: booked.createdAt },
    });
    const purchaseDoc = await app.services.models.purchases.findOne({ storeId: 'SH01', orderNo: no }).lean();
    expect(purchaseDoc!.categorySpend).toEqual([{ category: nappies, amountFen: 31_200 }, { category: fruit, amountFen: 2_600 }]);

    // Return 1 of the 3 packs and 1 of the 4 apples: ¥89 off nappies, ¥6.50 off fruit, points back pro rata.
    const partly = [{ line: 0, qty: 1 }, { line: 1, qty: 1 }];
    const first = await posRequest(till, 'POST', '/pos/returns', { returnNo: `${no}-R1`, orderNo: no, lines: partly });
    expect(first.status).toBe(201);
    expect(first.body.pointsTakenBack).toBe(Math.floor((booked.pointsEarned * 9_550) / 33_800));
    expect(first.body.order.lines.map((l: { returnedQty: number }) => l.returnedQty)).toEqual([1, 1, 0]);
    expect(await stats(member.id)).toEqual({
      [nappies]: { spend12mFen: 22_300, visits: 1, lastAt: booked.createdAt },
      [fruit]: { spend12mFen: 1_950, visits: 1, lastAt: booked.createdAt },
    });
    expect((await app.services.models.purchases.findOne({ storeId: 'SH01', orderNo: no }).lean())!.categorySpend).toEqual([{ category: nappies, amountFen: 22_300 }, { category: fruit, amountFen: 1_950 }]);
    // More than is left of a line → 422 naming it; the summary does not move.
    const tooMany = await posRequest(till, 'POST', '/pos/returns', { returnNo: `${no}-R2`, orderNo: no, lines: [{ line: 0, qty: 3 }] });
    expectError(tooMany, 422, 'RETURN_EXCEEDS_ORDER');
    expect(tooMany.body.error.details.field).toBe('body.lines.0.qty');
    expect((await stats(member.id))[nappies].spend12mFen).toBe(22_300);
    // The same return sent again changes nothing more.
    expect((await posRequest(till, 'POST', '/pos/returns', { returnNo: `${no}-R1`, orderNo: no, lines: partly })).status).toBe(201);
    expect((await stats(member.id))[nappies].spend12mFen).toBe(22_300);

    // The rest: the purchase is reversed, its categories lose what was left and the visit.
    const rest = await posRequest(till, 'POST', '/pos/returns', { returnNo: `${no}-R3`, orderNo: no, whole: true });
    expect(rest.status).toBe(201);
    expect(rest.body.pointsTakenBack + first.body.pointsTakenBack).toBe(booked.pointsEarned);
    expect(await stats(member.id)).toEqual({
      [nappies]: { spend12mFen: 0, visits: 0, lastAt: booked.createdAt },
      [fruit]: { spend12mFen: 0, visits: 0, lastAt: booked.createdAt },
    });
    await expectBooksBalance(app);
    expect(await app.services.categories.reconcile()).toEqual([]);
  });

  it('segments select "bought X within N days" and "spent ≥ Y on X", by index', async () => {
    const nappies = await category('SEGN');
    const wine = await category('SEGW');
    const parent = (await joinedMember(app.api, 'cat-seg-parent')).member;
    const collector = (await joinedMember(app.api, 'cat-seg-wine')).member;
    const both = (await joinedMember(app.api, 'cat-seg-both')).member;
    await order(parent.id, [line('N', nappies, 2, 8_900)]);
    await order(collector.id, [line('W', wine, 2, 30_000)]);
    await order(both.id, [line('N', nappies, 1, 8_900), line('W', wine, 1, 9_900)]);
    await order(both.id, [line('W', wine, 1, 9_900)]);

    expect(await audience({ boughtCategory: { category: nappies, withinDays: 30 } })).toBe(2);
    expect(await audience({ categorySpend: { category: wine, minFen: 19_800 } })).toBe(2);
    expect(await audience({ categorySpend: { category: wine, minFen: 19_801 } })).toBe(1);
    expect(await audience({ boughtCategory: { category: nappies, withinDays: 30 }, categorySpend: { category: wine, minFen: 10_000 } })).toBe(1);
    expect(await audience({ boughtCategory: { category: wine, withinDays: 30 }, categorySpend: { category: wine, minFen: 60_000 } })).toBe(1);
    expect((await stats(both.id))[wine]).toMatchObject({ spend12mFen: 19_800, visits: 2 });
    expectError(await app.api.post('/admin/campaigns/preview', { segment: { boughtCategory: { category: nappies } } }, admin), 400, 'VALIDATION_FAILED');

    // The filter is answered from the members' category index (the status and category prefix), not by
    // scanning members or purchases: mongod's plan when the tests run on one, and the embedded server's.
    const filters = [{ boughtCategory: { category: nappies, withinDays: 30 } }, { categorySpend: { category: wine, minFen: 19_800 } }].map((segment) => compileSegment(segment, app.clock.now()));
    if (process.env.MONGODB_URI) {
      for (const filter of filters) {
        const plan = JSON.stringify((await app.services.models.members.collection.find(filter).explain('queryPlanner')).queryPlanner.winningPlan);
        expect(plan).toContain('categoryStats.category');
        expect(plan).not.toContain('COLLSCAN');
      }
    }
    const planned = new Collection('db', 'members');
    for (const [key, options] of app.services.models.members.schema.indexes()) planned.addIndex({ v: 2, key, name: Object.keys(key).join('_'), ...options } as never);
    for (let i = 0; i < 300; i++) {
      const categoryStats = [{ category: i % 30 === 0 ? nappies : 'DAIRY', lastAt: app.clock.now(), spend12mFen: 20_000, visits: 1 }];
      planned.put(`m${i}`, { _id: `m${i}`, status: 'active', tier: 'silver', categoryStats }, 1, false);
    }
    const candidates = planned.plan(compileSegment({ boughtCategory: { category: nappies, withinDays: 30 } }, app.clock.now()));
    expect(candidates.fullScan).toBe(false);
    expect([...candidates.ids]).toHaveLength(10);
  });

  it('parallel orders of one member each count once: 20 repeats of one order, 6 different orders', async () => {
    const snacks = await category('PAR');
    const { member } = await joinedMember(app.api, 'cat-parallel');
    const lines = [line('S', snacks, 2, 1_000)];
    const same = { orderNo: orderNo('PARSAME'), memberId: member.id, lines, totalFen: 2_000 };
    const repeats = await Promise.all(Array.from({ length: 20 }, () => posRequest(till, 'POST', '/pos/orders', same)));
    expect(repeats.every((r) => r.status === 201)).toBe(true);
    const others = await Promise.all(Array.from({ length: 6 }, (_, i) => posRequest(till, 'POST', '/pos/orders', { ...same, orderNo: orderNo(`PAR${i}`) })));
    expect(others.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect((await stats(member.id))[snacks]).toMatchObject({ spend12mFen: 7 * 2_000, visits: 7 });
    expect(await app.services.categories.reconcile()).toEqual([]);
  });

  it('a manager’s reversal of a counter purchase takes its categories off', async () => {
    const { member, token } = await joinedMember(app.api, 'cat-reversal');
    const clerk = await staffToken(app.api, 'sh01-clerk');
    const manager = await staffToken(app.api, 'sh01-manager');
    const no = orderNo('REV');
    expect((await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: no, amountFen: 5_000, lines: [{ sku: 'EGG', name: '鸡蛋', category: 'EGGS', qty: 2, amountFen: 5_000 }] })).status).toBe(200);
    const booked = await app.services.models.purchases.findOne({ storeId: 'SH01', orderNo: no }).lean();
    expect((await app.api.post(`/staff/purchases/${String(booked!._id)}/reversal`, { reason: '录错会员' }, manager)).status).toBe(200);
    expect((await stats(member.id)).EGGS).toMatchObject({ spend12mFen: 0, visits: 0 });
  });

  it('twelve months on, the spend-window job takes aged purchases off their categories; "within N days" no longer matches', async () => {
    const organic = await category('AGE');
    const { member } = await joinedMember(app.api, 'cat-ageing');
    await order(member.id, [line('O', organic, 1, 12_000)]);
    expect(await audience({ categorySpend: { category: organic, minFen: 12_000 } })).toBe(1);
    app.clock.advance(366 * DAY);
    const signedIn = admin;
    try {
      admin = await adminToken(app.api);
      expect(await audience({ boughtCategory: { category: organic, withinDays: 30 } })).toBe(0);
      await runJob(app, 'spend-window');
      expect((await stats(member.id))[organic]).toMatchObject({ spend12mFen: 0, visits: 1 });
      expect(await audience({ categorySpend: { category: organic, minFen: 1 } })).toBe(0);
      expect(await app.services.purchases.reconcileSpend()).toEqual([]);
      expect(await app.services.categories.reconcile()).toEqual([]);
    } finally {
      app.clock.advance(-366 * DAY);
      admin = signedIn;
    }
  });
});

describe('the member page’s categories', () => {
  it('HQ and the member’s store manager read spend, visits and last bought per category, biggest first; not another store’s manager', async () => {
    const { member } = await joinedMember(app.api, 'cat-page');
    const first = await order(member.id, [line('M', 'DAIRY', 2, 1_590), line('W', 'WINE', 1, 26_800)]);
    const second = await order(member.id, [line('M', 'DAIRY', 1, 1_590)]);
    const res = await app.api.get(`/admin/members/${member.id}/categories`, admin);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { category: 'WINE', name: '葡萄酒', nameEn: 'Wine', situation: 'entertaining', spend12mFen: 26_800, visits: 1, lastBoughtAt: first.createdAt },
      { category: 'DAIRY', name: '乳品', nameEn: 'Dairy', situation: 'daily_basics', spend12mFen: 4_770, visits: 2, lastBoughtAt: second.createdAt },
    ]);
    expect((await app.api.get(`/admin/members/${member.id}/categories`, await staffToken(app.api, 'sh01-manager'))).status).toBe(200);
    const elsewhere = (await joinedMember(app.api, 'cat-page-bj', 'BJ01')).member;
    expectError(await app.api.get(`/admin/members/${elsewhere.id}/categories`, await staffToken(app.api, 'sh01-manager')), 404, 'NOT_FOUND');
    expectError(await app.api.get(`/admin/members/${member.id}/categories`, await staffToken(app.api, 'sh01-clerk')), 403, 'FORBIDDEN');
  });
});
