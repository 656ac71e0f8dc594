import { activeCampaignMultiplier, chinaCalendarDate, earnPoints, type EarnRules, type TierDefinition } from '@membercard/shared';
import { Types } from 'mongoose';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';
import { memberCode, orderNo, purchase } from './points-helpers';

// Tiers, earn rules and member-day campaigns as HQ edits them in the console: validated with clear codes,
// admin-only, audited, and what the console's ¥100 preview computes with the shared rule is what a purchase earns.

let app: TestApp;
let admin: string;
let clerk: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

function put(path: string, body: unknown, token: string) {
  return app.api.request('PUT', path, { body, token });
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

/** What the console's preview shows for a purchase by a member of `tier` now (the same shared functions the server uses). */
function preview(rules: EarnRules, tier: TierDefinition, amountFen: number, now: Date, storeId = 'SH01'): number {
  return earnPoints({ amountFen, baseRate: rules.baseRate, tierMultiplier: tier.pointsMultiplier, campaignMultiplier: activeCampaignMultiplier(rules, { now, storeId, tier: tier.code }) });
}

async function marketingToken(): Promise<string> {
  const username = `mkt-${new Types.ObjectId().toHexString().slice(-6)}`;
  const first = 'Temp-5d1e9b-Xq7';
  expect((await app.api.post('/admin/staff', { username, name: username, role: 'hq', hqRole: 'marketing', password: first }, admin)).status).toBe(201);
  const signIn = await app.api.post('/auth/admin', { username, password: first });
  return (await app.api.post('/auth/password', { currentPassword: first, newPassword: 'Own-1c8f2a-Kp4z' }, signIn.body.token)).body.token;
}

describe('tiers, earn rules and member days edited by HQ', () => {
  it('a new threshold and multiplier and a member day today: the ¥100 preview equals what purchases earn', async () => {
    const ladder = (await app.api.get('/admin/tiers', admin)).body.tiers as TierDefinition[];
    const edited = ladder.map((tier) => (tier.code === 'gold' ? { ...tier, minSpendFen: 50_000, pointsMultiplier: 1.8 } : tier));
    const saved = await put('/admin/tiers', { tiers: edited }, admin);
    expect(saved.status).toBe(200);
    expect(saved.body.tiers.find((t: TierDefinition) => t.code === 'gold')).toMatchObject({ minSpendFen: 50_000, pointsMultiplier: 1.8 });

    const today = chinaCalendarDate(app.clock.now()).isoWeekday;
    const rules: EarnRules = {
      baseRate: 1,
      campaigns: [{ id: 'member-day', name: '会员日', multiplier: 2, weekdays: [today], tiers: ['gold', 'platinum'], enabled: true }],
    };
    const savedRules = await put('/admin/earn-rules', rules, admin);
    expect(savedRules.status).toBe(200);
    expect(savedRules.body).toEqual(rules);

    // A silver member (no member-day bonus for silver) then, past the new gold threshold, a gold one.
    const { token } = await joinedMember(app.api, 'rules-shopper');
    const silver = edited.find((t) => t.code === 'silver')!;
    const gold = edited.find((t) => t.code === 'gold')!;
    const first = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('R'), amountFen: 60_000 });
    expect(first.status).toBe(200);
    expect(first.body.pointsEarned).toBe(preview(rules, silver, 60_000, app.clock.now()));
    expect(first.body.tier.code).toBe('gold');
    const second = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('R'), amountFen: 10_000 });
    expect(second.body.pointsEarned).toBe(preview(rules, gold, 10_000, app.clock.now()));
    expect(second.body.pointsEarned).toBe(360); // ¥100 × 1 × 1.8 × 2

    // Moved to tomorrow, today is not a member day: the same ¥100 earns the tier's multiplier alone.
    const moved: EarnRules = { ...rules, campaigns: [{ ...rules.campaigns[0]!, weekdays: [(today % 7) + 1] }] };
    expect((await put('/admin/earn-rules', moved, admin)).status).toBe(200);
    const third = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: orderNo('R'), amountFen: 10_000 });
    expect(third.body.pointsEarned).toBe(preview(moved, gold, 10_000, app.clock.now()));
    expect(third.body.pointsEarned).toBe(180);

    const audit = await app.api.get('/admin/audit-log?action=earn_rules.update', admin);
    expect(audit.body.items[0]).toMatchObject({ action: 'earn_rules.update', after: moved });
    expect(audit.body.items[1]).toMatchObject({ action: 'earn_rules.update', after: rules });
    const tierAudit = await app.api.get('/admin/audit-log?action=tiers.update', admin);
    expect(tierAudit.body.items[0].after.find((t: TierDefinition) => t.code === 'gold')).toMatchObject({ minSpendFen: 50_000 });
  });

  it('bad edits are refused with clear codes and change nothing', async () => {
    const before = await app.api.get('/admin/tiers', admin);
    const ladder = before.body.tiers as TierDefinition[];
    const falling = ladder.map((tier) => (tier.code === 'platinum' ? { ...tier, minSpendFen: 1 } : tier));
    const refused = await put('/admin/tiers', { tiers: falling }, admin);
    expectError(refused, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(refused.body.error.details)).toContain('minSpendFen');
    expectError(await put('/admin/tiers', { tiers: ladder.map((t) => ({ ...t, pointsMultiplier: 1.234 })) }, admin), 400, 'VALIDATION_FAILED');

    const unknownTier = await put('/admin/earn-rules', { baseRate: 1, campaigns: [{ id: 'x', name: '会员日', multiplier: 2, weekdays: [3], tiers: ['diamond'], enabled: true }] }, admin);
    expectError(unknownTier, 400, 'VALIDATION_FAILED');
    expect(unknownTier.body.error.details.fields).toEqual([{ field: 'body.campaigns.0.tiers', message: 'Unknown tier diamond' }]);
    expectError(await put('/admin/earn-rules', { baseRate: 1, campaigns: [{ id: 'x', name: '无期限', multiplier: 2, enabled: true }] }, admin), 400, 'VALIDATION_FAILED');
    expectError(await put('/admin/earn-rules', { baseRate: 0, campaigns: [] }, admin), 400, 'VALIDATION_FAILED');

    // A tier an earn campaign names (or a member holds) stays in the ladder.
    const withoutPlatinum = ladder.filter((t) => t.code !== 'platinum');
    const named = await put('/admin/tiers', { tiers: withoutPlatinum }, admin);
    expectError(named, 409, 'CONFLICT');
    expect(named.body.error.details).toMatchObject({ tier: 'platinum', reason: 'campaign', campaignId: 'member-day' });
    expectError(await put('/admin/tiers', { tiers: ladder.filter((t) => t.code !== 'gold') }, admin), 409, 'CONFLICT');
    expect((await app.api.get('/admin/tiers', admin)).body).toEqual(before.body);
  });

  it('only an HQ admin edits them; marketing and staff are refused', async () => {
    const marketing = await marketingToken();
    const ladder = (await app.api.get('/admin/tiers', admin)).body;
    const rules = (await app.api.get('/admin/earn-rules', admin)).body;
    expectError(await put('/admin/tiers', ladder, marketing), 403, 'FORBIDDEN');
    expectError(await put('/admin/earn-rules', rules, marketing), 403, 'FORBIDDEN');
    expectError(await put('/admin/earn-rules', rules, clerk), 403, 'FORBIDDEN');
    expectError(await app.api.get('/admin/earn-rules', clerk), 403, 'FORBIDDEN');
  });
});
