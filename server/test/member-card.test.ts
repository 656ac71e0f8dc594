import { Types } from 'mongoose';
import type { EmulatedUserCard } from '../src/emulator/memberCard';
import { inTransaction } from '../src/lib/transactions';
import { adminToken, joinedMember, signInShopper, startTestApp, type TestApp } from './support/harness';

// The WeChat member card against the emulator: HQ publishes the card, a shopper opens it through the
// card-opening component and is linked exactly once (joining on the way), points changes reach the card
// through the sync job within its per-minute budget, and a refused update is retried from the console.

jest.setTimeout(60_000);

let app: TestApp;
let admin: string;
let cardId: string;

const DESIGN = {
  brandName: '云杉咖啡', title: '云杉会员卡', logoUrl: 'https://img.example.com/logo.png', colour: 'Color040', backgroundUrl: 'https://img.example.com/card.png',
  tierArt: [{ tier: 'gold', backgroundUrl: 'https://img.example.com/gold.png' }], benefits: '消费每 1 元积 1 分；金卡 1.5 倍积分。', notice: '出示会员码享会员权益',
  description: '积分与等级以小程序为准。', servicePhone: '400-820-8820', miniProgramUserName: 'gh_a1b2c3d4e5f6@app', codePage: 'pages/card/index',
};

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
});
afterAll(async () => {
  await app.stop();
});

const emulator = {
  stats: async () => (await app.api.get('/__emulator/card/stats')).body as Record<string, number>,
  userCard: async (code: string) => ((await app.api.get(`/__emulator/card/user-cards?card_id=${cardId}`)).body as EmulatedUserCard[]).find((held) => held.code === code)!,
};

/** The shopper taps the member card in the app: the component's parameters, then WeChat's form, then back in the app. */
async function openCard(nickname: string, channel = 'store-SH01') {
  const login = await signInShopper(app.api, nickname);
  const params = await app.api.get(`/me/wechat-member-card/open-params?channel=${channel}`, login.body.token);
  expect(params.status).toBe(200);
  expect(params.body.appId).toBe('wxeb490c6f9b154ef9');
  const opened = await app.api.post('/__emulator/card/open', { openid: `emu_${nickname}`, ...params.body.extraData, mobile: '13800138000' });
  expect(opened.status).toBe(200);
  const { activate_ticket: activateTicket, card_id: openedCardId, code } = opened.body.referrerInfo.extraData;
  const body = { cardId: openedCardId, code, activateTicket, channel, acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' };
  return { token: login.body.token as string, body, code: code as string };
}

async function memberOf(token: string) {
  const me = await app.api.get('/me', token);
  return app.services.models.members.findById(me.body.id).lean();
}

async function adjust(memberId: string, delta: number, key: string) {
  const res = await app.api.post(`/admin/members/${memberId}/points-adjustments`, { delta, reason: '会员卡同步测试' }, admin, { 'Idempotency-Key': key });
  expect(res.status).toBe(201);
}

const linked: Array<{ token: string; code: string; memberId: string }> = [];

it('HQ publishes the card: card/create with the design, no code of its own, and a 会员码 button to the member code page', async () => {
  const saved = await app.api.request('PUT', '/admin/wechat-member-card', { body: DESIGN, token: admin });
  expect(saved.status).toBe(200);
  expect(saved.body.publishError).toBeNull();
  cardId = saved.body.cardId;
  expect(cardId).toMatch(/^p/);
  const card = (await app.api.get(`/__emulator/card/cards/${cardId}`)).body;
  expect(card.member_card.base_info).toMatchObject({ brand_name: '云杉咖啡', title: '云杉会员卡', color: 'Color040', code_type: 'CODE_TYPE_NONE', center_app_brand_pass: 'pages/card/index' });
  expect(card.member_card).toMatchObject({ supply_bonus: true, prerogative: DESIGN.benefits, activate_app_brand_pass: 'pages/member-card/activate' });
  // A colour WeChat does not have is refused before WeChat is asked.
  const bad = await app.api.request('PUT', '/admin/wechat-member-card', { body: { ...DESIGN, colour: '#ff0000' }, token: admin });
  expect(bad.status).toBe(400);
});

it('parallel duplicate activations from the card-opening component link the card once and join the shopper once', async () => {
  const { token, body, code } = await openCard('card-alice');
  const before = await emulator.stats();
  const answers = await Promise.all(Array.from({ length: 5 }, () => app.api.post('/me/wechat-member-card/activate', body, token)));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
  expect(new Set(answers.map((a) => a.body.code))).toEqual(new Set([code]));
  const member = await memberOf(token);
  expect(member).toMatchObject({ status: 'active', homeStoreId: 'SH01' });
  expect(await app.services.models.memberCardLinks.countDocuments({ memberId: member!._id })).toBe(1);
  expect((await emulator.stats()).activateRequests - before.activateRequests).toBe(1);
  const held = await emulator.userCard(code);
  expect(held).toMatchObject({ status: 'NORMAL', membership_number: member!.cardNo, bonus: member!.pointsBalance, custom_field_value1: '银卡', background_pic_url: DESIGN.backgroundUrl });
  // Replaying the activation answers the same link; another shopper cannot take the same card code.
  expect((await app.api.post('/me/wechat-member-card/activate', body, token)).body).toMatchObject({ status: 'active', code, membershipNumber: member!.cardNo });
  const mallory = await signInShopper(app.api, 'card-mallory');
  const stolen = await app.api.post('/me/wechat-member-card/activate', body, mallory.body.token);
  expect(stolen.status).toBe(409);
  // A ticket WeChat never gave is a 400 with an error code, not a 500.
  const other = await openCard('card-bob');
  const forged = await app.api.post('/me/wechat-member-card/activate', { ...other.body, activateTicket: 'forged' }, other.token);
  expect(forged.status).toBe(400);
  expect(forged.body.error.code).toBe('CODE_INVALID');
  linked.push({ token, code, memberId: String(member!._id) });
});

it('a member who takes the card after paying (支付即会员) is linked through the encrypt_code WeChat appends to the activation page', async () => {
  const { token } = await joinedMember(app.api, 'card-payer');
  const params = await app.api.get('/me/wechat-member-card/open-params?channel=pay', token);
  const opened = await app.api.post('/__emulator/card/open', { openid: 'emu_card-payer', ...params.body.extraData });
  const { activate_ticket: activateTicket, card_id: openedCardId, code } = opened.body.referrerInfo.extraData;
  const answer = await app.api.post('/me/wechat-member-card/activate', { cardId: openedCardId, encryptCode: opened.body.encrypt_code, activateTicket, channel: 'pay' }, token);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ status: 'active', code });
  expect((await app.api.get('/me/wechat-member-card', token)).body).toMatchObject({ status: 'active', code });
  expect((await emulator.userCard(code)).status).toBe('NORMAL');
});

it('a batch of changed members is sent within the per-minute budget, the rest wait for the next minute', async () => {
  for (let i = 0; i < 7; i++) {
    const opened = await openCard(`card-batch-${i}`);
    expect((await app.api.post('/me/wechat-member-card/activate', opened.body, opened.token)).status).toBe(200);
    linked.push({ token: opened.token, code: opened.code, memberId: String((await memberOf(opened.token))!._id) });
  }
  await app.services.memberCardSync.runDue(); // the mark moves past the activations
  app.services.memberCardSync.updatesPerMinute = 5;
  await app.api.post('/__emulator/card/limits', { updateuserPerMinute: 5 });
  for (const [i, { memberId }] of linked.entries()) await adjust(memberId, 10 + i, `batch-${i}`);
  const before = await emulator.stats();
  await app.services.memberCardSync.runDue();
  const after = await emulator.stats();
  expect(after.updateUserApplied - before.updateUserApplied).toBe(5);
  expect(after.updateUserRateLimited - before.updateUserRateLimited).toBe(0);
  expect((await app.services.memberCardSync.status()).waiting).toBe(3);
  // The next minute's budget takes the rest; every card then shows its member's points.
  app.services.memberCardSync.updatesPerMinute = 600;
  await app.api.post('/__emulator/card/limits', { updateuserPerMinute: 1000 });
  await app.services.memberCardSync.runDue();
  expect((await app.services.memberCardSync.status()).waiting).toBe(0);
  for (const { code, memberId } of linked) {
    const member = await app.services.models.members.findById(memberId).lean();
    expect((await emulator.userCard(code)).bonus).toBe(member!.pointsBalance);
  }
});

it('a points change reaches the card once, with the change in WeChat’s message', async () => {
  const { code, memberId } = linked[0]!;
  await adjust(memberId, 120, 'reach-1');
  const before = await emulator.stats();
  await app.services.memberCardSync.runDue();
  await app.services.memberCardSync.runDue(); // nothing changed since: no second call
  const member = await app.services.models.members.findById(memberId).lean();
  const held = await emulator.userCard(code);
  expect(held.bonus).toBe(member!.pointsBalance);
  expect(held.last_message).toMatchObject({ add_bonus: 120, record_bonus: '积分增加' });
  expect((await emulator.stats()).updateUserApplied - before.updateUserApplied).toBe(1);
});

it('a stored-value top-up reaches the card as its balance (the total, in fen)', async () => {
  const { code, memberId } = linked[3]!;
  // Money put on the balance through the stored-value ledger, as a paid top-up and its bonus book it.
  await inTransaction(app.connection, undefined, async (session) => {
    const key = new Types.ObjectId().toHexString();
    await app.services.storedValueLedger.apply(session, { memberId, kind: 'topup', principalDelta: 50_000, bonusDelta: 0, reason: '充值（测试）', idempotencyKey: `card-topup:${key}`, actor: 'system' });
    await app.services.storedValueLedger.apply(session, { memberId, kind: 'topup_bonus', principalDelta: 0, bonusDelta: 5_000, reason: '充值赠送（测试）', idempotencyKey: `card-bonus:${key}`, actor: 'system' });
  });
  const before = (await emulator.userCard(code)).balance;
  await app.services.memberCardSync.runDue();
  expect((await emulator.userCard(code)).balance).toBe(before + 55_000);
  expect((await app.services.storedValueLedger.balanceOf(memberId)).totalFen).toBe(before + 55_000);
});

it('HQ renaming a tier reaches the cards of that tier', async () => {
  const { code } = linked[0]!;
  const ladder = (await app.api.get('/admin/tiers', admin)).body;
  const renamed = ladder.tiers.map((tier: { code: string; name: string }) => (tier.code === 'silver' ? { ...tier, name: '银卡会员' } : tier));
  expect((await app.api.request('PUT', '/admin/tiers', { body: { tiers: renamed }, token: admin })).status).toBe(200);
  await app.services.memberCardSync.runDue();
  expect((await emulator.userCard(code)).custom_field_value1).toBe('银卡会员');
});

it('an update WeChat refuses is kept with its errcode, shown to HQ, and sent again on retry', async () => {
  const { code, memberId } = linked[1]!;
  const shownBefore = (await emulator.userCard(code)).bonus;
  await app.api.post('/__emulator/card/updateuser-failures', { errcodes: [-1] });
  await adjust(memberId, 30, 'fail-1');
  await app.services.memberCardSync.runDue();
  expect((await emulator.userCard(code)).bonus).toBe(shownBefore);
  const failures = await app.api.get('/admin/wechat-member-card/failures', admin);
  expect(failures.status).toBe(200);
  expect(failures.body.items).toEqual([expect.objectContaining({ code, failures: 1, lastError: expect.objectContaining({ errcode: -1 }) })]);
  const overview = await app.api.get('/admin/wechat-member-card', admin);
  expect(overview.body.sync).toMatchObject({ failing: 1, waiting: 1 });
  // The job does not hammer WeChat: the card waits for its backoff.
  await app.services.memberCardSync.runDue();
  expect((await emulator.userCard(code)).bonus).toBe(shownBefore);

  const retried = await app.api.post('/admin/wechat-member-card/retry', {}, admin);
  expect(retried.status).toBe(200);
  expect(retried.body).toEqual({ retried: 1, sent: 1 });
  const member = await app.services.models.members.findById(memberId).lean();
  expect((await emulator.userCard(code)).bonus).toBe(member!.pointsBalance);
  expect((await app.api.get('/admin/wechat-member-card/failures', admin)).body.items).toEqual([]);
});

it('a card the shopper deleted from the wallet ends its link when WeChat refuses the update, and taking the card again links the new code', async () => {
  const { token, code, memberId } = linked[2]!;
  await app.api.post('/__emulator/card/delete', { card_id: cardId, code });
  await adjust(memberId, 5, 'deleted-1');
  await app.services.memberCardSync.runDue();
  const link = await app.services.models.memberCardLinks.findOne({ code }).lean();
  expect(link).toMatchObject({ status: 'removed', dirty: false, lastError: expect.objectContaining({ errcode: 40127 }) });

  const params = await app.api.get('/me/wechat-member-card/open-params?channel=app', token);
  const opened = await app.api.post('/__emulator/card/open', { openid: `emu_card-batch-1`, ...params.body.extraData });
  const again = opened.body.referrerInfo.extraData;
  expect(again.code).not.toBe(code);
  const answer = await app.api.post('/me/wechat-member-card/activate', { cardId, code: again.code, activateTicket: again.activate_ticket }, token);
  expect(answer.body).toMatchObject({ status: 'active', code: again.code });
  const member = await app.services.models.members.findById(memberId).lean();
  expect(await emulator.userCard(again.code)).toMatchObject({ status: 'NORMAL', bonus: member!.pointsBalance, membership_number: member!.cardNo });
});
