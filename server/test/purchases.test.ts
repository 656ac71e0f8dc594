import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';
import { adjust, DAY, expectBooksBalance, memberCode, memberDoc, orderNo, purchase, runJob, tokenAt } from './points-helpers';

// Purchases at the counter over HTTP: earning, bad input, idempotency on orderNo, reversals, tier upgrades,
// earn-rule campaigns, the spend window and the yearly review, with the app's clock moved as needed.

let app: TestApp;
let admin: string;
let clerk: string;
let manager: string;
let bjManager: string;

// A Wednesday, noon in China: member-day campaigns below run on ISO weekday 3.
const WEDNESDAY_NOON = new Date('2026-03-04T04:00:00Z');

async function signInAll(): Promise<void> {
  admin = await tokenAt(app, { username: 'hq' });
  clerk = await tokenAt(app, { username: 'sh01-clerk' });
  manager = await tokenAt(app, { username: 'sh01-manager' });
  bjManager = await tokenAt(app, { username: 'bj01-manager' });
}

/** Moves the app's clock and signs everyone in again (access tokens last 30 minutes of that clock). */
async function moveClock(to: Date): Promise<void> {
  app.clock.set(to);
  await signInAll();
}


beforeAll(async () => {
  app = await startTestApp();
  app.clock.set(WEDNESDAY_NOON);
  admin = await adminToken(app.api);
  const created = await app.api.post('/admin/staff', { username: 'bj01-manager', name: '朝阳店长', role: 'manager', storeId: 'BJ01', password: 'chaoyang-first-pass' }, admin);
  expect(created.status).toBe(201);
  // An account HQ made chooses its own password at first sign-in.
  const first = await app.api.post('/auth/staff', { username: 'bj01-manager', password: 'chaoyang-first-pass' });
  expect((await app.api.post('/auth/password', { currentPassword: 'chaoyang-first-pass', newPassword: 'chaoyang-own-pass' }, first.body.token)).status).toBe(200);
  await signInAll();
}, 30_000);
afterAll(async () => {
  await app.stop();
});

describe('recording a purchase', () => {
  it('earns floor(yuan) × base × tier × campaign, keeps the lines, and moves spend and last purchase', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-basic');
    const lines = [
      { sku: 'LATTE-L', name: '大杯拿铁', category: 'COFFEE_TEA', qty: 2, amountFen: 6_000 },
      { sku: 'CROISSANT', name: '可颂', category: 'BAKERY', qty: 1, amountFen: 6_345 },
    ];
    const no = orderNo('basic');
    const res = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: no, amountFen: 12_345, lines });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ pointsEarned: 123, pointsBalance: 123, tier: { code: 'silver', name: '银卡' } });

    const stored = await memberDoc(app, member.id);
    expect(stored).toMatchObject({ pointsBalance: 123, spend12mFen: 12_345, tier: 'silver' });
    expect(stored!.lastPurchaseAt!.getTime()).toBeGreaterThanOrEqual(WEDNESDAY_NOON.getTime());

    const history = await app.api.get(`/admin/members/${member.id}/purchases`, admin);
    expect(history.status).toBe(200);
    expect(history.body.items).toHaveLength(1);
    expect(history.body.items[0]).toMatchObject({ orderNo: no, storeId: 'SH01', amountFen: 12_345, pointsEarned: 123, status: 'booked', lines, reversal: null });

    // The counter view shows the last visit and the recent purchases with their lines.
    const scan = await app.api.post('/staff/scan', { code: await memberCode(app.api, token) }, clerk);
    expect(scan.status).toBe(200);
    expect(scan.body.member.lastVisitAt).toBe(history.body.items[0].createdAt);
    expect(scan.body.member.recentPurchases[0]).toMatchObject({ orderNo: no, amountFen: 12_345, storeId: 'SH01', lines });

    const ledger = await app.api.get('/me/points/ledger', token);
    expect(ledger.body.items[0]).toMatchObject({ delta: 123, balanceAfter: 123, source: 'purchase' });
    expect(ledger.body.items[0].expiresAt).toBe('2027-03-31T15:59:59.999Z');
  });

  it('records a purchase under ¥1 that earns nothing, without a ledger entry', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-small');
    const res = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('small'), amountFen: 99 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ pointsEarned: 0, pointsBalance: 0 });
    expect(await memberDoc(app, member.id)).toMatchObject({ spend12mFen: 99, pointsBalance: 0 });
    expect((await app.api.get(`/admin/members/${member.id}/purchases`, admin)).body.items).toHaveLength(1);
    expect((await app.api.get('/me/points/ledger', token)).body.items).toHaveLength(0);
  });

  it('refuses negative, zero, fractional and absurd amounts, bad codes and non-staff callers', async () => {
    const { token } = await joinedMember(app.api, 'buyer-bad-input');
    const code = await memberCode(app.api, token);
    for (const amountFen of [-100, 0, 99.5, 100_000_001, '100']) {
      const res = await app.api.post('/staff/purchases', { memberCode: code, orderNo: orderNo('bad'), amountFen }, clerk);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain('body.amountFen');
    }
    const badCode = await purchase(app.api, clerk, { memberCode: 'M10000000000812345678', orderNo: orderNo('bad'), amountFen: 1_000 });
    expect(badCode.status).toBe(400);
    expect(badCode.body.error.code).toBe('CODE_INVALID');
    const missingOrder = await app.api.post('/staff/purchases', { memberCode: code, amountFen: 1_000 }, clerk);
    expect(missingOrder.status).toBe(400);
    const unknownField = await app.api.post('/staff/purchases', { memberCode: code, orderNo: orderNo('bad'), amountFen: 1_000, discount: 5 }, clerk);
    expect(unknownField.status).toBe(400);
    const badLine = await purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('bad'), amountFen: 1_000, lines: [{ sku: 'X', name: 'x', category: 'c', qty: 0, amountFen: 1_000 }] });
    expect(badLine.status).toBe(400);
    expect((await purchase(app.api, token, { memberCode: code, orderNo: orderNo('bad'), amountFen: 1_000 })).status).toBe(403);
    expect((await purchase(app.api, admin, { memberCode: code, orderNo: orderNo('bad'), amountFen: 1_000 })).status).toBe(403);
  });

  it('answers a repeated orderNo with the first result, and the same orderNo with another amount with 409', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-repeat');
    const code = await memberCode(app.api, token);
    const no = orderNo('repeat');
    const first = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 5_000 });
    const again = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 5_000 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const other = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 6_000 });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 50, spend12mFen: 5_000 });

    // Even once the request records are gone, the purchase's unique (store, orderNo) keeps it booked once.
    await app.connection.collection('idempotency_records').deleteMany({});
    const late = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 5_000 });
    expect(late.status).toBe(200);
    expect(late.body).toEqual(first.body);
    const lateOther = await purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 7_000 });
    expect(lateOther.status).toBe(409);
    expect(lateOther.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 50, spend12mFen: 5_000 });

    // Order numbers are the till's, per store: BJ01 may use the same one for its own purchase.
    const bjClerk = await staffToken(app.api, 'bj01-clerk');
    const bj = await purchase(app.api, bjClerk, { memberCode: code, orderNo: no, amountFen: 5_000 });
    expect(bj.status).toBe(200);
    expect(bj.body.pointsBalance).toBe(100);
  });

  it('books the same purchase sent 10 times at once exactly once', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-burst');
    const body = { memberCode: await memberCode(app.api, token), orderNo: orderNo('burst'), amountFen: 8_800 };
    const answers = await Promise.all(Array.from({ length: 10 }, () => purchase(app.api, clerk, body)));
    for (const res of answers) {
      expect([200, 409]).toContain(res.status);
      if (res.status === 200) expect(res.body).toEqual({ pointsEarned: 88, pointsBalance: 88, tier: { code: 'silver', name: '银卡' } });
      else expect(res.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 88, spend12mFen: 8_800 });
    expect((await app.api.get('/me/points/ledger', token)).body.items).toHaveLength(1);
    expect(await app.services.models.purchases.countDocuments({ memberId: member.id })).toBe(1);
  });
});

describe('reversing a purchase', () => {
  it('lets a manager of the store take the points back within 24 h, once, and leaves the tier alone', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-reversal');
    const bought = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('rev'), amountFen: 250_000 });
    expect(bought.body).toMatchObject({ pointsEarned: 2_500, tier: { code: 'gold' } });
    const [item] = (await app.api.get(`/admin/members/${member.id}/purchases`, admin)).body.items;

    expect((await app.api.post(`/staff/purchases/${item.id}/reversal`, { reason: '退货' }, clerk)).status).toBe(403);
    expect((await app.api.post(`/staff/purchases/${item.id}/reversal`, { reason: '退货' }, admin)).status).toBe(403);
    expect((await app.api.post(`/staff/purchases/${item.id}/reversal`, { reason: '退货' }, bjManager)).status).toBe(404);
    expect((await app.api.post(`/staff/purchases/${item.id}/reversal`, {}, manager)).status).toBe(400);

    const reversed = await app.api.post(`/staff/purchases/${item.id}/reversal`, { reason: '退货' }, manager);
    expect(reversed.status).toBe(200);
    expect(reversed.body).toMatchObject({ pointsTakenBack: 2_500, shortfall: 0, pointsBalance: 0, purchase: { id: item.id, status: 'reversed', reversal: { reason: '退货', pointsTakenBack: 2_500, shortfall: 0 } } });
    const again = await app.api.post(`/staff/purchases/${item.id}/reversal`, { reason: '退货' }, manager);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(reversed.body);

    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 0, spend12mFen: 0, tier: 'gold' });
    const ledger = (await app.api.get('/me/points/ledger', token)).body.items;
    expect(ledger.map((e: { delta: number; source: string }) => [e.delta, e.source])).toEqual([[-2_500, 'reversal'], [2_500, 'purchase']]);
    const audit = await app.api.get(`/admin/audit-log?action=purchase.reverse`, admin);
    expect(audit.body.items.some((a: { targetId: string }) => a.targetId === item.id)).toBe(true);
  });

  it('takes back only what the balance holds and records the shortfall', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-shortfall');
    await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('short'), amountFen: 30_000 });
    expect((await adjust(app.api, admin, member.id, -200, 'spend-before-reversal')).status).toBe(201);
    const [item] = (await app.api.get(`/admin/members/${member.id}/purchases`, admin)).body.items;
    const reversed = await app.api.post(`/staff/purchases/${item.id}/reversal`, { reason: '整单退货' }, manager);
    expect(reversed.status).toBe(200);
    expect(reversed.body).toMatchObject({ pointsTakenBack: 100, shortfall: 200, pointsBalance: 0 });
    const [entry] = (await app.api.get(`/admin/members/${member.id}/ledger`, admin)).body.items;
    expect(entry).toMatchObject({ delta: -100, source: 'reversal', shortfall: 200, balanceAfter: 0 });
    await expectBooksBalance(app);
  });

  it('refuses after 24 hours with 422 REVERSAL_WINDOW_CLOSED', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-late-reversal');
    await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('late'), amountFen: 10_000 });
    const [item] = (await app.api.get(`/admin/members/${member.id}/purchases`, admin)).body.items;
    await moveClock(new Date(WEDNESDAY_NOON.getTime() + DAY + 10 * 60_000));
    try {
      const late = await app.api.post(`/staff/purchases/${item.id}/reversal`, { reason: '超时' }, manager);
      expect(late.status).toBe(422);
      expect(late.body.error.code).toBe('REVERSAL_WINDOW_CLOSED');
      expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 100 });
    } finally {
      await moveClock(WEDNESDAY_NOON);
    }
  });
});

describe('tiers', () => {
  it('upgrades the moment a purchase crosses a threshold; that purchase earns at the old rate, the next at the new', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-upgrade');
    const code = await memberCode(app.api, token);
    const first = await purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('up'), amountFen: 150_000 });
    expect(first.body).toMatchObject({ pointsEarned: 1_500, tier: { code: 'silver' } });
    const crossing = await purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('up'), amountFen: 50_000 });
    expect(crossing.body).toMatchObject({ pointsEarned: 500, pointsBalance: 2_000, tier: { code: 'gold', name: '金卡' } });
    const next = await purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('up'), amountFen: 10_000 });
    expect(next.body).toMatchObject({ pointsEarned: 150, tier: { code: 'gold' } });
    const stored = await memberDoc(app, member.id);
    expect(stored).toMatchObject({ tier: 'gold', spend12mFen: 210_000 });
    const me = await app.api.get('/me', token);
    expect(me.body.tier).toEqual({ code: 'gold', name: '金卡' });
    expect(me.body.tierProgress).toMatchObject({ next: { code: 'platinum' }, spendToNextFen: 790_000 });
  });

  it('publishes the ladder, lets HQ edit it (validated, audited), and refuses removing a tier members hold', async () => {
    const pub = await app.api.get('/tiers');
    expect(pub.status).toBe(200);
    expect(pub.body.items.map((t: { code: string }) => t.code)).toEqual(['silver', 'gold', 'platinum']);
    expect(pub.body.items[1]).toMatchObject({ minSpendFen: 200_000, pointsMultiplier: 1.5 });
    expect(pub.body.items[1].benefits.length).toBeGreaterThan(0);

    const current = await app.api.get('/admin/tiers', admin);
    expect(current.status).toBe(200);
    expect((await app.api.get('/admin/tiers', manager)).status).toBe(403);
    const tiers = current.body.tiers;
    const notRising = await app.api.request('PUT', '/admin/tiers', { token: admin, body: { tiers: [tiers[0], { ...tiers[1], minSpendFen: 0 }, tiers[2]] } });
    expect(notRising.status).toBe(400);
    const withoutGold = await app.api.request('PUT', '/admin/tiers', { token: admin, body: { tiers: [tiers[0], tiers[2]] } });
    expect(withoutGold.status).toBe(409);

    const edited = [tiers[0], { ...tiers[1], benefits: [...tiers[1].benefits, '免费停车'] }, tiers[2]];
    const saved = await app.api.request('PUT', '/admin/tiers', { token: admin, body: { tiers: edited } });
    expect(saved.status).toBe(200);
    expect(saved.body.tiers[1].benefits).toContain('免费停车');
    expect((await app.api.get('/tiers')).body.items[1].benefits).toContain('免费停车');
    const audit = await app.api.get('/admin/audit-log?action=tiers.update', admin);
    expect(audit.body.items[0]).toMatchObject({ action: 'tiers.update', targetType: 'settings' });
  });

  it('keeps spend trailing: purchases older than 12 months leave spend12mFen', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-window');
    await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('win'), amountFen: 40_000 });
    await moveClock(new Date('2027-03-04T03:00:00Z')); // an hour short of 12 months
    try {
      await runJob(app, 'spend-window');
      expect(await memberDoc(app, member.id)).toMatchObject({ spend12mFen: 40_000 });
      await moveClock(new Date('2027-03-04T06:00:00Z'));
      expect(await runJob(app, 'spend-window')).toBeGreaterThanOrEqual(1);
      expect(await memberDoc(app, member.id)).toMatchObject({ spend12mFen: 0 });
      expect(await runJob(app, 'spend-window')).toBe(0);
      await expectBooksBalance(app);
    } finally {
      await moveClock(WEDNESDAY_NOON);
    }
  });

  it('reviews yearly: down at most one tier, once a year', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-review');
    const top = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('review'), amountFen: 1_000_000 });
    expect(top.body.tier.code).toBe('platinum');
    await moveClock(new Date('2027-06-01T00:00:00Z')); // the purchase has left the window: spend 0
    try {
      await runJob(app, 'tier-review');
      expect(await memberDoc(app, member.id)).toMatchObject({ tier: 'gold', spend12mFen: 0 });
      await runJob(app, 'tier-review'); // a re-run in the same year changes nothing
      expect(await memberDoc(app, member.id)).toMatchObject({ tier: 'gold' });
      await moveClock(new Date('2028-01-01T00:00:00Z'));
      await runJob(app, 'tier-review');
      expect(await memberDoc(app, member.id)).toMatchObject({ tier: 'silver' });
      const reviews = await app.services.models.tierReviews.find({ memberId: member.id }).sort({ year: 1 }).lean();
      expect(reviews.map((r) => [r.year, r.from, r.to])).toEqual([
        [2027, 'platinum', 'gold'],
        [2028, 'gold', 'silver'],
      ]);
    } finally {
      await moveClock(WEDNESDAY_NOON);
    }
  });

  it('keeps a member whose spend still earns the tier', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-keeps-gold');
    await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('keep'), amountFen: 300_000 });
    await moveClock(new Date('2026-12-31T20:00:00Z')); // 04:00 on 1 January 2027 in China
    try {
      await runJob(app, 'tier-review');
      expect(await memberDoc(app, member.id)).toMatchObject({ tier: 'gold' });
    } finally {
      await moveClock(WEDNESDAY_NOON);
    }
  });
});

describe('earn rules', () => {
  it('applies a Wednesday member-day ×2 campaign, only where it is meant to, and audits the change', async () => {
    const { token, member } = await joinedMember(app.api, 'buyer-member-day');
    const rules = {
      baseRate: 1,
      campaigns: [
        { id: 'member-day', name: '会员日', multiplier: 2, weekdays: [3], enabled: true },
        { id: 'bj-week', name: '北京店周', multiplier: 3, weekdays: [1, 2, 3, 4, 5, 6, 7], storeIds: ['BJ01'], enabled: true },
      ],
    };
    expect((await app.api.request('PUT', '/admin/earn-rules', { token: manager, body: rules })).status).toBe(403);
    const saved = await app.api.request('PUT', '/admin/earn-rules', { token: admin, body: rules });
    expect(saved.status).toBe(200);
    expect((await app.api.get('/admin/earn-rules', admin)).body).toEqual(rules);
    try {
      const wednesday = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('md'), amountFen: 10_100 });
      expect(wednesday.body.pointsEarned).toBe(202);

      await moveClock(new Date(WEDNESDAY_NOON.getTime() + DAY)); // Thursday
      const thursday = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, await tokenAt(app, { memberId: member.id })), orderNo: orderNo('md'), amountFen: 10_100 });
      expect(thursday.body.pointsEarned).toBe(101);
      const audit = await app.api.get('/admin/audit-log?action=earn_rules.update', admin);
      expect(audit.body.items[0]).toMatchObject({ action: 'earn_rules.update', after: rules });
    } finally {
      await moveClock(WEDNESDAY_NOON);
      expect((await app.api.request('PUT', '/admin/earn-rules', { token: admin, body: { baseRate: 1, campaigns: [] } })).status).toBe(200);
    }
  });

  it('refuses campaigns that are not time-boxed or name unknown stores or tiers', async () => {
    const put = (body: unknown) => app.api.request('PUT', '/admin/earn-rules', { token: admin, body });
    expect((await put({ baseRate: 1, campaigns: [{ id: 'x', name: '永久', multiplier: 2, enabled: true }] })).status).toBe(400);
    expect((await put({ baseRate: 1.234, campaigns: [] })).status).toBe(400);
    const unknownStore = await put({ baseRate: 1, campaigns: [{ id: 'x', name: '店', multiplier: 2, weekdays: [1], storeIds: ['ZZ99'], enabled: true }] });
    expect(unknownStore.status).toBe(400);
    expect(unknownStore.body.error.details.fields[0].field).toBe('body.campaigns.0.storeIds');
    const unknownTier = await put({ baseRate: 1, campaigns: [{ id: 'x', name: '钻石', multiplier: 2, weekdays: [1], tiers: ['diamond'], enabled: true }] });
    expect(unknownTier.status).toBe(400);
  });
});

describe('afterwards', () => {
  it('leaves the books balanced: balance = Σ ledger = Σ lots ≥ 0, spend12mFen = Σ purchases in the window', async () => {
    await expectBooksBalance(app);
  });
});
