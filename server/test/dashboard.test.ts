import { Types } from 'mongoose';
import { adminToken, staffToken, startTestApp, type TestApp } from './support/harness';

// The HQ dashboard over HTTP: figures computed from stored members, lots, coupons and redemptions; a
// manager sees only their store.

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp({ seed: true });
  admin = await adminToken(app.api);
  const now = Date.now();
  const day = 24 * 3600_000;
  // Ten members: spends 1000, 900, … 100 (×100 fen); SH01 holds the even ones.
  await app.services.models.members.collection.insertMany(
    Array.from({ length: 10 }, (_, i) => ({
      _id: new Types.ObjectId(),
      status: 'active',
      cardNo: `8${String(i).padStart(11, '0')}`,
      homeStoreId: i % 2 === 0 ? 'SH01' : 'BJ01',
      tier: i < 2 ? 'gold' : 'silver',
      pointsBalance: 100,
      spend12mFen: (10 - i) * 10_000,
      lastPurchaseAt: new Date(now - (i < 5 ? 10 : 60) * day),
      joinedAt: new Date(now - i * 40 * day),
      createdAt: new Date(now - i * 40 * day),
      profileComplete: false,
      tags: [],
    })),
  );
}, 30_000);
afterAll(async () => {
  await app.stop();
});

describe('dashboard', () => {
  it('answers member counts, growth, liability, tiers and the spend Pareto curve', async () => {
    await app.api.patch('/admin/marketing-settings', { fenPerPoint: 0.5 }, admin);
    const res = await app.api.get('/admin/dashboard', admin);
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.storeId).toBeNull();
    expect(d.members).toEqual({ total: 10, newLast30Days: 1, activeLast30Days: 5, activeLast90Days: 10 });
    expect(d.growth).toHaveLength(12);
    expect(d.growth[11].total).toBe(10);
    // Joiners over the window = members at the end minus those there before it began.
    expect(d.growth.reduce((sum: number, m: any) => sum + m.joined, 0)).toBe(d.growth[11].total - (d.growth[0].total - d.growth[0].joined));
    expect(d.pointsLiability).toMatchObject({ points: 1000, fenPerPoint: 0.5, valueFen: 500 });
    expect(d.tierDistribution.find((t: any) => t.code === 'gold').count).toBe(2);
    // Top 20% = the two biggest spenders: (100k + 90k) / 550k.
    expect(d.top20SpendShare).toBeCloseTo(190 / 550, 3);
    expect(d.spendPareto[d.spendPareto.length - 1]).toEqual({ memberShare: 1, spendShare: 1 });
    expect(d.couponRedemption).toEqual({ issued: 0, redeemed: 0, redemptionRate: 0 });
  });

  it('confines a manager to their store and refuses other callers', async () => {
    const manager = await staffToken(app.api, 'sh01-manager');
    const own = await app.api.get('/admin/dashboard', manager);
    expect(own.status).toBe(200);
    expect(own.body.storeId).toBe('SH01');
    expect(own.body.members.total).toBe(5);
    expect((await app.api.get('/admin/dashboard?storeId=BJ01', manager)).status).toBe(403);
    expect((await app.api.get('/admin/dashboard?storeId=BJ01', admin)).body.members.total).toBe(5);
    expect((await app.api.get('/admin/dashboard', await staffToken(app.api, 'sh01-clerk'))).status).toBe(403);
    expect((await app.api.get('/admin/dashboard?bogus=1', admin)).status).toBe(400);
  });
});
