import { reconcilePoints } from '../src/modules/points/reconcile';
import { adjust, expectBooksBalance, memberCode, memberDoc, orderNo, purchase, runJob, tokenAt } from './points-helpers';
import { joinedMember, startTestApp, type TestApp } from './support/harness';

// The points ledger over HTTP: parallel earning and overdrawing, HQ adjustments, the member's ledger and
// expiry with the app's clock moved, and the reconciliation that must stay clean throughout.

let app: TestApp;
let admin: string;
let clerk: string;
let manager: string;

const MID_MARCH = new Date('2026-03-16T04:00:00Z'); // a Monday, noon in China

async function signInAll(): Promise<void> {
  admin = await tokenAt(app, { username: 'hq' });
  clerk = await tokenAt(app, { username: 'sh01-clerk' });
  manager = await tokenAt(app, { username: 'sh01-manager' });
}

beforeAll(async () => {
  app = await startTestApp();
  app.clock.set(MID_MARCH);
  await signInAll();
}, 30_000);
afterAll(async () => {
  await app.stop();
});

describe('parallel changes to one member', () => {
  it('given 40 parallel purchases and 10 overdrawing spends, the balance never goes below 0 and ledger = balance = lots', async () => {
    const { token, member } = await joinedMember(app.api, 'hot-member');
    const code = await memberCode(app.api, token);
    // 40 purchases of ¥10 earn 400 points; 10 spends of 60 want 600, so at least 4 must be refused.
    const purchases = Array.from({ length: 40 }, () => purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('hot'), amountFen: 1_000 }));
    const spends = Array.from({ length: 10 }, (_, i) => adjust(app.api, admin, member.id, -60, `hot-spend-${i}`, '兑换'));
    const [bought, spent] = await Promise.all([Promise.all(purchases), Promise.all(spends)]);

    for (const res of bought) expect(res.status).toBe(200);
    for (const res of spent) {
      expect([201, 422]).toContain(res.status);
      if (res.status === 422) expect(res.body.error.code).toBe('INSUFFICIENT_POINTS');
    }
    const granted = spent.filter((r) => r.status === 201).length;
    expect(granted).toBeLessThanOrEqual(6);
    expect(spent.filter((r) => r.status === 422).length).toBeGreaterThanOrEqual(4);

    const stored = await memberDoc(app, member.id);
    expect(stored!.pointsBalance).toBe(400 - 60 * granted);
    expect(stored!.pointsBalance).toBeGreaterThanOrEqual(0);
    expect(stored!.spend12mFen).toBe(40_000);
    const entries = await app.services.models.ledger.find({ memberId: member.id }).lean();
    expect(entries).toHaveLength(40 + granted);
    expect(entries.reduce((sum, e) => sum + e.delta, 0)).toBe(stored!.pointsBalance);
    const lots = await app.services.models.lots.find({ memberId: member.id }).lean();
    expect(lots.reduce((sum, l) => sum + l.remaining, 0)).toBe(stored!.pointsBalance);
    // Every balanceAfter is a distinct step of one sequence: no two changes saw the same balance.
    const steps = entries.map((e) => e.balanceAfter - e.delta).sort((a, b) => a - b);
    expect(new Set(steps).size).toBe(entries.length);
    await expectBooksBalance(app);
  }, 120_000);

  it('given the same adjustment key sent 10 times at once, it is booked once', async () => {
    const { member } = await joinedMember(app.api, 'adjusted-once');
    const answers = await Promise.all(Array.from({ length: 10 }, () => adjust(app.api, admin, member.id, 500, 'same-key')));
    const booked = answers.filter((r) => r.status === 201);
    expect(booked.length).toBeGreaterThanOrEqual(1);
    for (const res of booked) expect(res.body).toEqual(booked[0]!.body);
    for (const res of answers.filter((r) => r.status !== 201)) expect(res.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 500 });
  });
});

describe('HQ adjustments', () => {
  it('answers 201 with the ledger entry, refuses going below 0 with 422, needs a key, and is audited', async () => {
    const { token, member } = await joinedMember(app.api, 'adjusted');
    const credit = await adjust(app.api, admin, member.id, 300, 'adj-1', '补录积分');
    expect(credit.status).toBe(201);
    expect(credit.body).toMatchObject({ delta: 300, balanceAfter: 300, reason: '补录积分', source: 'adjustment' });
    expect(credit.body.expiresAt).toBe('2027-03-31T15:59:59.999Z');
    // The same key again replays the first answer and books nothing.
    const replay = await adjust(app.api, admin, member.id, 300, 'adj-1', '补录积分');
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(credit.body);

    const over = await adjust(app.api, admin, member.id, -301, 'adj-2');
    expect(over.status).toBe(422);
    expect(over.body.error.code).toBe('INSUFFICIENT_POINTS');
    const debit = await adjust(app.api, admin, member.id, -300, 'adj-3', '扣回');
    expect(debit.status).toBe(201);
    expect(debit.body).toMatchObject({ delta: -300, balanceAfter: 0 });

    const noKey = await app.api.post(`/admin/members/${member.id}/points-adjustments`, { delta: 5, reason: 'x' }, admin);
    expect(noKey.status).toBe(400);
    for (const body of [{ delta: 0, reason: 'x' }, { delta: 1.5, reason: 'x' }, { delta: 5, reason: '' }, { delta: 5 }]) {
      expect((await app.api.post(`/admin/members/${member.id}/points-adjustments`, body, admin, { 'Idempotency-Key': `bad-${JSON.stringify(body).length}` })).status).toBe(400);
    }
    expect((await adjust(app.api, admin, '0123456789abcdef01234567', 5, 'adj-none')).status).toBe(404);
    expect((await adjust(app.api, manager, member.id, 5, 'adj-mgr')).status).toBe(403);
    expect((await adjust(app.api, token, member.id, 5, 'adj-self')).status).toBe(403);

    const audit = await app.api.get(`/admin/audit-log?action=points.adjust`, admin);
    const mine = audit.body.items.filter((a: { targetId: string }) => a.targetId === member.id);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ actorType: 'admin', targetType: 'member', after: { delta: -300, balanceAfter: 0, reason: '扣回' } });
  });
});

describe('reading the ledger', () => {
  it('pages the member’s own ledger newest first, and shows it to HQ and the home store’s manager only', async () => {
    const { token, member } = await joinedMember(app.api, 'pager');
    for (let i = 1; i <= 5; i++) expect((await adjust(app.api, admin, member.id, i, `page-${i}`)).status).toBe(201);
    const first = await app.api.get('/me/points/ledger?limit=2', token);
    expect(first.status).toBe(200);
    expect(first.body.items.map((e: { delta: number }) => e.delta)).toEqual([5, 4]);
    const second = await app.api.get(`/me/points/ledger?limit=2&cursor=${first.body.nextCursor}`, token);
    expect(second.body.items.map((e: { delta: number }) => e.delta)).toEqual([3, 2]);
    const third = await app.api.get(`/me/points/ledger?limit=2&cursor=${second.body.nextCursor}`, token);
    expect(third.body.items.map((e: { delta: number }) => e.delta)).toEqual([1]);
    expect(third.body.nextCursor).toBeNull();
    expect((await app.api.get('/me/points/ledger?cursor=garbage', token)).status).toBe(400);
    expect((await app.api.get('/me/points/ledger?limit=500', token)).status).toBe(400);

    expect((await app.api.get(`/admin/members/${member.id}/ledger`, admin)).body.items).toHaveLength(5);
    expect((await app.api.get(`/admin/members/${member.id}/ledger`, manager)).status).toBe(200);
    const { member: beijing } = await joinedMember(app.api, 'pager-bj', 'BJ01');
    expect((await app.api.get(`/admin/members/${beijing.id}/ledger`, manager)).status).toBe(404);
    expect((await app.api.get(`/admin/members/${beijing.id}/purchases`, manager)).status).toBe(404);
    expect((await app.api.get(`/admin/members/${beijing.id}/ledger`, clerk)).status).toBe(403);
  });
});

describe('expiry', () => {
  it('warns 30 days ahead, then turns what is left of due lots into expiry entries, soonest-expiring spent first', async () => {
    const { member } = await joinedMember(app.api, 'expiring');
    expect((await adjust(app.api, admin, member.id, 100, 'exp-march')).status).toBe(201); // lot expires 31 March 2027
    app.clock.set(new Date('2026-04-10T04:00:00Z'));
    await signInAll();
    expect((await adjust(app.api, admin, member.id, 50, 'exp-april')).status).toBe(201); // lot expires 30 April 2027
    expect((await adjust(app.api, admin, member.id, -30, 'exp-spend')).status).toBe(201); // drawn from the March lot
    const lots = await app.services.models.lots.find({ memberId: member.id }).sort({ expiresAt: 1 }).lean();
    expect(lots.map((l) => l.remaining)).toEqual([70, 50]);

    try {
      // 20 days before the March lot expires: the card warns, and the warning job records it once.
      app.clock.set(new Date('2027-03-11T04:00:00Z'));
      const token = await tokenAt(app, { memberId: member.id });
      const me = await app.api.get('/me', token);
      expect(me.body.pointsExpiringSoon).toEqual({ amount: 70, at: '2027-03-31T15:59:59.999Z' });
      await runJob(app, 'points-expiry-warnings');
      await runJob(app, 'points-expiry-warnings');
      const warnings = await app.services.models.expiryWarnings.find({ memberId: member.id }).lean();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ amount: 70, expiresAt: new Date('2027-03-31T15:59:59.999Z'), notifiedAt: null });

      // Nothing is due before the end of the month.
      app.clock.set(new Date('2027-03-31T15:59:59.000Z'));
      await runJob(app, 'points-expiry');
      expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 120 });

      app.clock.set(new Date('2027-04-01T00:00:00Z'));
      expect(await runJob(app, 'points-expiry')).toBeGreaterThanOrEqual(1);
      expect(await runJob(app, 'points-expiry')).toBe(0); // a re-run books nothing twice
      expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 50 });
      const [latest] = (await app.api.get(`/admin/members/${member.id}/ledger`, await tokenAt(app, { username: 'hq' }))).body.items;
      expect(latest).toMatchObject({ delta: -70, balanceAfter: 50, source: 'expiry' });

      // The April lot now warns in its turn, as a record of its own.
      app.clock.set(new Date('2027-04-05T00:00:00Z'));
      await runJob(app, 'points-expiry-warnings');
      const both = await app.services.models.expiryWarnings.find({ memberId: member.id }).sort({ expiresAt: 1 }).lean();
      expect(both.map((w) => w.amount)).toEqual([70, 50]);
      const report = await reconcilePoints(app.services.models);
      expect(report.breaks).toEqual([]);
    } finally {
      app.clock.set(MID_MARCH);
      await signInAll();
    }
  });
});

describe('reconciliation', () => {
  it('reports a member whose balance disagrees with the ledger and the lots', async () => {
    const { member } = await joinedMember(app.api, 'broken-books');
    expect((await adjust(app.api, admin, member.id, 10, 'broken-1')).status).toBe(201);
    await app.services.models.members.updateOne({ _id: member.id }, { $inc: { pointsBalance: 5 } });
    try {
      const report = await reconcilePoints(app.services.models);
      expect(report.breaks).toEqual([
        expect.objectContaining({ memberId: member.id, balance: 15, ledgerSum: 10, lotSum: 10 }),
      ]);
      expect(report.breaks[0]!.problems).toHaveLength(2);
      expect(report.membersChecked).toBeGreaterThan(1);
    } finally {
      await app.services.models.members.updateOne({ _id: member.id }, { $inc: { pointsBalance: -5 } });
    }
    await expectBooksBalance(app);
  });
});
