import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { OnceRewards } from '../src/modules/members/once-rewards';
import { adminToken, signInShopper, startTestApp, type ApiClient, type TestApp } from './support/harness';

// Once-only rewards are once per person, not per membership: erasing the account and joining again with the
// same WeChat account does not pay the profile bonus or the welcome gift a second time. After erasure the
// WeChat identity survives only as a keyed hash, in a collection kept for this alone.

let app: TestApp;
let admin: string;

const FULL_PROFILE = { name: '李四', gender: 'female', birthday: '1992-07-08', city: '上海', interests: ['咖啡'] };

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
}, 30_000);
afterAll(async () => {
  await app.stop();
});

/** Signs in with the emulator (same nickname → same openid), joins, binds a phone and completes the profile. */
async function joinAndComplete(api: ApiClient, nickname: string) {
  const login = await signInShopper(api, nickname);
  expect(login.status).toBe(200);
  const token = login.body.token as string;
  const joined = await api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, token);
  expect(joined.status).toBe(201);
  expect((await api.post('/me/phone', { code: `phone-${nickname}` }, token)).status).toBe(200);
  const completed = await api.patch('/me/profile', FULL_PROFILE, token);
  expect(completed.status).toBe(200);
  expect(completed.body.profileCompletion).toBe(100);
  return { token, member: joined.body as { id: string; cardNo: string }, balance: completed.body.pointsBalance as number };
}

const bonusesOf = (memberId: string) => app.services.models.ledger.countDocuments({ memberId: new Types.ObjectId(memberId), source: 'bonus' });

describe('once per person', () => {
  it('given a member who got the profile bonus, when they erase, rejoin and complete the profile three times, then no second bonus', async () => {
    const first = await joinAndComplete(app.api, 'once-rejoiner');
    expect(first.balance).toBe(200);
    expect(await bonusesOf(first.member.id)).toBe(1);

    let token = first.token;
    for (let round = 0; round < 3; round++) {
      expect((await app.api.delete('/me', token)).status).toBe(204);
      const again = await joinAndComplete(app.api, 'once-rejoiner');
      expect(again.member.id).not.toBe(first.member.id);
      expect(again.balance).toBe(0);
      expect(await bonusesOf(again.member.id)).toBe(0);
      token = again.token;
    }
    expect(await app.services.models.ledger.countDocuments({ source: 'bonus', reason: '完善资料奖励' })).toBe(1);
  });

  it('given 20 parallel completions after rejoining, then still no bonus', async () => {
    const first = await joinAndComplete(app.api, 'once-parallel');
    expect((await app.api.delete('/me', first.token)).status).toBe(204);
    const login = await signInShopper(app.api, 'once-parallel');
    const token = login.body.token as string;
    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01' }, token);
    expect(joined.status).toBe(201);
    await app.api.post('/me/phone', { code: 'phone-once-parallel' }, token);
    const answers = await Promise.all(Array.from({ length: 20 }, () => app.api.patch('/me/profile', FULL_PROFILE, token)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect((await app.api.get('/me', token)).body.pointsBalance).toBe(0);
    expect(await bonusesOf(joined.body.id)).toBe(0);
  });

  it('given a bonus paid before claims were kept, when the member erases and rejoins, then the erasure claimed it and no second bonus', async () => {
    const first = await joinAndComplete(app.api, 'once-legacy');
    expect(first.balance).toBe(200);
    // As if the bonus (and the join) predated the claims collection.
    await app.services.models.onceRewardClaims.deleteMany({});
    expect((await app.api.delete('/me', first.token)).status).toBe(204);
    const again = await joinAndComplete(app.api, 'once-legacy');
    expect(again.balance).toBe(0);
    expect(await bonusesOf(again.member.id)).toBe(0);
  });

  it('given the welcome gift on, when a person erases and rejoins, then the gift came only with the first membership', async () => {
    const template = await app.api.post('/admin/coupon-templates', { title: '入会礼券', type: 'cash', minSpendFen: 2_000, amountOffFen: 500, validDays: 30, totalQuantity: 100, perMemberLimit: 5 }, admin);
    expect(template.status).toBe(201);
    expect((await app.api.patch('/admin/automation-rules/welcome', { enabled: true, templateId: template.body.id }, admin)).status).toBe(200);
    const welcomeCoupons = (memberId: string) => app.services.models.coupons.countDocuments({ channel: 'automation', memberId: new Types.ObjectId(memberId) });

    const first = await joinAndComplete(app.api, 'once-welcome');
    expect(await welcomeCoupons(first.member.id)).toBe(1);
    expect((await app.api.delete('/me', first.token)).status).toBe(204);
    const again = await joinAndComplete(app.api, 'once-welcome');
    expect(await welcomeCoupons(again.member.id)).toBe(0);
    // The scheduled run (members who joined in the last 7 days) passes the returning member by too.
    await app.services.automation.runDue();
    expect(await welcomeCoupons(again.member.id)).toBe(0);
    // A new person still gets it.
    const newcomer = await joinAndComplete(app.api, 'once-welcome-newcomer');
    expect(await welcomeCoupons(newcomer.member.id)).toBe(1);
    await app.api.patch('/admin/automation-rules/welcome', { enabled: false }, admin);
  });

  it('keeps the WeChat identity after erasure only as a keyed hash, in the claims collection alone', async () => {
    const { token, member } = await joinAndComplete(app.api, 'once-hashed');
    expect((await app.api.delete('/me', token)).status).toBe(204);
    const claims = await app.services.models.onceRewardClaims.find({}).lean();
    expect(claims.length).toBeGreaterThan(0);
    for (const claim of claims) {
      expect(claim._id).toMatch(/^(join|profile_bonus):[0-9a-f]{64}$/);
      expect(Object.keys(claim).sort()).toEqual(['_id', 'reward']);
    }
    const everything = JSON.stringify(claims);
    expect(everything).not.toContain('once-hashed');
    expect(everything).not.toContain(member.id);
    const erased = await app.services.models.members.findById(member.id).lean();
    expect(erased).toMatchObject({ status: 'erased' });
    expect(JSON.stringify(erased)).not.toContain('once-hashed');
  });

  it('given claims made under one identity secret, when another instance (or a rotated JWT_SECRET) uses the same secret, then they hold; under another secret they are forgotten', async () => {
    const identitySecret = randomBytes(32).toString('hex');
    const openid = `emu_rotation-${randomBytes(4).toString('hex')}`;
    const before = new OnceRewards(app.services.models.onceRewardClaims, identitySecret);
    const [first, second] = await Promise.all([before.claim(openid, 'profile_bonus'), before.claim(openid, 'profile_bonus')]);
    expect([first, second].sort()).toEqual([false, true]);

    const sameSecret = new OnceRewards(app.services.models.onceRewardClaims, identitySecret);
    expect(sameSecret.identity(openid)).toBe(before.identity(openid));
    expect(await sameSecret.claim(openid, 'profile_bonus')).toBe(false);
    expect(await new OnceRewards(app.services.models.onceRewardClaims, randomBytes(32).toString('hex')).claim(openid, 'profile_bonus')).toBe(true);
  });
});
