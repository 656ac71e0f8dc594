import { Types } from 'mongoose';
import { PointsMall } from '../src/modules/coupons/mall';
import { reconcilePoints } from '../src/modules/points/reconcile';
import { adminToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';

// Flash drops (限量抢券): every request of a drop sent at the same moment against one limited template or one small
// activity. The suite keeps the coupon crowd at 150 (200 for the activity) so it stays quick on a shared machine;
// scripts/bench/flash-drop.ts sends 1,000 against 100 units.
const CROWD = 150;
const UNITS = 15;
const SIGNERS = 200;
const POINTS_COST = 100;

let app: TestApp;
let admin: string;
let crowd: Array<{ id: string; token: string }>;

/** The driver's commands as `name collection`, while `watching` (command monitoring, on through the connection string). */
let commands: string[] = [];
let watching = false;

beforeAll(async () => {
  app = await startTestApp({ monitorCommands: true });
  app.connection.getClient().on('commandStarted', (event) => {
    if (watching) commands.push(`${event.commandName} ${String(event.command[event.commandName])}`);
  });
  admin = await adminToken(app.api);
  crowd = await members(SIGNERS, POINTS_COST);
}, 120_000);
afterAll(async () => {
  await app.stop();
});

/** Sends one request alone; answers it with the commands it sent to `collections`, in order. */
async function commandsOf<T = ApiResponse>(send: () => Promise<T>, collections: string[]): Promise<{ res: T; sent: string[] }> {
  commands = [];
  watching = true;
  try {
    const res = await send();
    return { res, sent: commands.filter((c) => collections.includes(c.split(' ')[1]!)) };
  } finally {
    watching = false;
  }
}

/** `count` active members, each with `points` points (one ledger entry and lot) and a signed-in session. */
async function members(count: number, points: number): Promise<Array<{ id: string; token: string }>> {
  const now = app.clock.now();
  const tag = new Types.ObjectId().toHexString().slice(-6);
  const docs = Array.from({ length: count }, (_, i) => ({
    _id: new Types.ObjectId(), status: 'active', cardNo: `F${tag}${String(i).padStart(5, '0')}`, codeSecret: 'AAAAAAAAAAAAAAAA', homeStoreId: 'SH01',
    profileComplete: false, tier: 'silver', tierSince: now, pointsBalance: 0, spend12mFen: 0, tags: [], joinedAt: now, createdAt: now,
  }));
  await app.services.models.members.insertMany(docs);
  const made: Array<{ id: string; token: string }> = [];
  for (const doc of docs) {
    const id = String(doc._id);
    if (points > 0) await app.services.ledger.earn({ memberId: id, amount: points, reason: 'test setup', source: 'bonus', idempotencyKey: `setup:${id}` });
    made.push({ id, token: (await app.services.tokens.issue({ type: 'shopper', memberId: id })).token });
  }
  return made;
}

async function limitedTemplate(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await app.api.post(
    '/admin/coupon-templates',
    { title: '限量抢购券', type: 'cash', amountOffFen: 1_000, noMinSpendConfirmed: true, validDays: 30, totalQuantity: UNITS, perMemberLimit: 1, ...overrides },
    admin,
  );
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A free activity a week ahead, published, with `capacity` seats; its id. */
async function publishedActivity(title: string, description: string, capacity: number): Promise<string> {
  const startAt = new Date(app.clock.now().getTime() + 7 * 86_400_000);
  const created = await app.api.post(
    '/admin/activities',
    { title, description, startAt: startAt.toISOString(), endAt: new Date(startAt.getTime() + 3_600_000).toISOString(), signupClosesAt: new Date(startAt.getTime() - 86_400_000).toISOString(), capacity, feeFen: 0, attendancePoints: 0 },
    admin,
  );
  expect(created.status).toBe(201);
  const activityId: string = created.body.id;
  if (created.body.status === 'draft') expect((await app.api.post(`/admin/activities/${activityId}/publish`, {}, admin)).status).toBe(200);
  return activityId;
}

/** Every answer is a success or the drop's refusal: never a 5xx, never anything else. */
function expectDropAnswers(answers: Array<Pick<ApiResponse, 'status' | 'body'>>, successStatus: number, winners: number) {
  const tally = new Map<string, number>();
  for (const res of answers) {
    const key = res.status === successStatus ? String(successStatus) : `${res.status} ${res.body?.error?.code}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  expect(Object.fromEntries(tally)).toEqual({ [String(successStatus)]: winners, '422 TEMPLATE_EXHAUSTED': answers.length - winners });
}

async function templateState(templateId: string) {
  const template = await app.services.models.couponTemplates.findById(templateId).lean<{ issuedCount: number; remaining: number }>();
  const coupons = await app.services.models.coupons.countDocuments({ templateId: new Types.ObjectId(templateId) });
  return { issuedCount: template!.issuedCount, remaining: template!.remaining, coupons };
}

describe('a flash drop on a limited coupon template', () => {
  it(`${CROWD} parallel mall exchanges for ${UNITS} units: exactly ${UNITS} coupons, the rest TEMPLATE_EXHAUSTED, points spent only for coupons`, async () => {
    const templateId = await limitedTemplate({ pointsCost: POINTS_COST });
    // Ten members also send their request a second time with the same key at the same moment (a client retry).
    const drop = crowd.slice(0, CROWD);
    const requests = [...drop.map((m, i) => ({ m, key: `drop-${i}` })), ...drop.slice(0, 10).map((m, i) => ({ m, key: `drop-${i}` }))];
    const { res: answers, sent } = await commandsOf(
      () => Promise.all(requests.map(({ m, key }) => app.api.post('/me/points/exchanges', { templateId }, m.token, { 'Idempotency-Key': key }))),
      ['coupon_templates', 'idempotency_records'],
    );
    for (const res of answers) expect(res.status).toBeLessThan(500);
    // Through the drop's gate only about as many try for a unit as there are units; once the template is seen sold
    // out the rest are refused having written nothing (each only looked up its key). A few tries more than the units
    // are possible when the terms seen went stale (a second) while the winners ran.
    const count = (command: string) => sent.filter((c) => c === command).length;
    for (const command of ['findAndModify coupon_templates', 'update idempotency_records']) {
      expect(count(command)).toBeGreaterThanOrEqual(UNITS);
      expect(count(command)).toBeLessThanOrEqual(UNITS + 3);
    }
    expect(count('insert idempotency_records')).toBeLessThanOrEqual(UNITS + 3 + 10); // the ten retries may try to claim their key
    // Each refusal looked up its key; look-ups asked for together went out as one read (readsById).
    expect(count('find idempotency_records')).toBeGreaterThan(0);
    expect(count('find idempotency_records')).toBeLessThanOrEqual(CROWD + 10 - UNITS);
    const winners = new Set(answers.filter((res) => res.status === 201).map((res) => res.body.coupon.id));
    expect(winners.size).toBe(UNITS);
    // A retry answers what its first request answered (a refusal carries each request's own id; which of the crowd
    // reaches the gate first is not the order they were sent in, so a first request may be among the refused).
    const answered = ({ status, body }: { status: number; body: Record<string, unknown> }) => ({ status, body: { ...body, requestId: undefined } });
    for (let i = 0; i < 10; i++) expect(answered(answers[CROWD + i]!)).toEqual(answered(answers[i]!));
    expectDropAnswers(answers.slice(0, CROWD), 201, UNITS);
    expect(await templateState(templateId)).toEqual({ issuedCount: UNITS, remaining: 0, coupons: UNITS });

    // Points: exactly the winners paid, once each; the books reconcile.
    const paid = await app.services.models.ledger.find({ source: 'exchange' }).lean<Array<{ memberId: Types.ObjectId; delta: number }>>();
    expect(paid).toHaveLength(UNITS);
    expect(paid.every((e) => e.delta === -POINTS_COST)).toBe(true);
    const holders = new Set((await app.services.models.coupons.find({ templateId: new Types.ObjectId(templateId) }, { memberId: 1 }).lean<Array<{ memberId: Types.ObjectId }>>()).map((c) => String(c.memberId)));
    expect(new Set(paid.map((e) => String(e.memberId)))).toEqual(holders);
    const balances = await app.services.models.members.find({ _id: { $in: drop.map((m) => new Types.ObjectId(m.id)) } }, { pointsBalance: 1 }).lean<Array<{ _id: Types.ObjectId; pointsBalance: number }>>();
    for (const member of balances) expect(member.pointsBalance).toBe(holders.has(String(member._id)) ? 0 : POINTS_COST);
    const books = await reconcilePoints(app.services.models);
    expect(books.breaks).toEqual([]);
  }, 120_000);

  it(`${CROWD} parallel code claims and as many parallel HQ grants for ${UNITS} units each: exactly ${UNITS} coupons, no 5xx`, async () => {
    const claimTemplate = await limitedTemplate();
    const batch = await app.api.post('/admin/redemption-code-batches', { templateId: claimTemplate, count: CROWD, expiresAt: new Date(app.clock.now().getTime() + 86_400_000).toISOString(), name: '快闪兑换码' }, admin);
    expect(batch.status).toBe(201);
    const codes = (await app.api.get(`/admin/redemption-code-batches/${batch.body.id}/codes.csv`, admin)).text.trim().split('\n').slice(1);
    // One address per member, so the per-address claim limit is not what this measures.
    const drop = crowd.slice(0, CROWD);
    const claims = await Promise.all(
      drop.map((m, i) => app.api.post('/me/redemption-codes/claim', { code: codes[i] }, m.token, { 'X-Forwarded-For': `10.9.${i >> 8}.${i & 255}` })),
    );
    expectDropAnswers(claims, 200, UNITS);
    expect(await templateState(claimTemplate)).toEqual({ issuedCount: UNITS, remaining: 0, coupons: UNITS });
    // A refused claim leaves its code unclaimed; the batch counts exactly the claims that got a coupon.
    expect(await app.services.models.redemptionCodes.countDocuments({ batchId: new Types.ObjectId(batch.body.id), claimedBy: { $ne: null } })).toBe(UNITS);
    expect((await app.services.models.codeBatches.findById(batch.body.id).lean<{ claimedCount: number }>())!.claimedCount).toBe(UNITS);

    const grantTemplate = await limitedTemplate();
    const grants = await Promise.all(drop.map((m, i) => app.api.post(`/admin/coupon-templates/${grantTemplate}/grants`, { memberId: m.id }, admin, { 'Idempotency-Key': `grant-${i}` })));
    expectDropAnswers(grants, 201, UNITS);
    expect(await templateState(grantTemplate)).toEqual({ issuedCount: UNITS, remaining: 0, coupons: UNITS });
  }, 120_000);

  it('an exchange that fails after taking its unit gives the unit back and spends nothing; too few points takes no unit', async () => {
    const templateId = await limitedTemplate({ pointsCost: POINTS_COST, totalQuantity: 1 });
    const [buyer] = await members(1, POINTS_COST);
    const dying = new PointsMall({
      ...app.services.mall.deps,
      betweenSpendAndIssue: async () => {
        throw new Error('process died between spend and issue');
      },
    });
    await expect(dying.exchange(buyer!.id, templateId, 'k')).rejects.toThrow('process died');
    expect(await templateState(templateId)).toEqual({ issuedCount: 0, remaining: 1, coupons: 0 });
    expect((await app.services.models.members.findById(buyer!.id).lean<{ pointsBalance: number }>())!.pointsBalance).toBe(POINTS_COST);

    const [poor] = await members(1, POINTS_COST - 1);
    const refused = await app.api.post('/me/points/exchanges', { templateId }, poor!.token, { 'Idempotency-Key': 'poor' });
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 422, code: 'INSUFFICIENT_POINTS' });
    expect(await templateState(templateId)).toEqual({ issuedCount: 0, remaining: 1, coupons: 0 });

    // The retry of the failed exchange gets the last unit; a retry of that after the drop sold out still answers its coupon.
    const first = await app.api.post('/me/points/exchanges', { templateId }, buyer!.token, { 'Idempotency-Key': 'k' });
    expect(first.status).toBe(201);
    const again = await app.services.mall.exchange(buyer!.id, templateId, 'k');
    expect(again.coupon.id).toBe(first.body.coupon.id);
    expect(await templateState(templateId)).toEqual({ issuedCount: 1, remaining: 0, coupons: 1 });
  }, 60_000);
});

describe('what a claim costs the database', () => {
  // The unit's conditional update is the check: a winner touches the template (activity) once and reads neither it
  // nor the member again. Once this instance has seen the template sold out (the last winner's update left none, or
  // an update was refused) within the last second, a claim is refused from those terms before anything is written:
  // it only looks up its idempotency key (a key used before replays its answer), with no record claimed or
  // completed and no update tried. Past that second (or when this instance archived, edited or got a unit back) a
  // refusal takes the full path: the claimed key, the update, the template read that tells why, and, for a mall or
  // centre claim, the look-up for an earlier issue under its key (a retry of one that went through answers its
  // coupon). The member is read once, by the member route's check, and only once the gate lets the request in: a
  // known refusal (sold out for everyone) does not read it.
  it('mall exchange and coupon-centre claim: a winner updates the template once, a refusal in the rush only looks up its key', async () => {
    const watched = ['coupon_templates', 'coupons', 'members', 'idempotency_records'];
    const [winner, loser] = await members(2, POINTS_COST);
    const mallTemplate = await limitedTemplate({ pointsCost: POINTS_COST, totalQuantity: 1 });
    const exchange = (m: { token: string }, key: string) => () => app.api.post('/me/points/exchanges', { templateId: mallTemplate }, m.token, { 'Idempotency-Key': key });
    const won = await commandsOf(exchange(winner!, 'cost-win'), watched);
    expect(won.res.status).toBe(201);
    // The member: the route's check reads it; the ledger's spend updates it in its transaction (its guard is the
    // balance check, nothing read before); the coupon: one insert.
    expect(won.sent).toEqual([
      'find members', 'insert idempotency_records', 'findAndModify coupon_templates', 'findAndModify members', 'insert coupons', 'update idempotency_records',
    ]);
    const lost = await commandsOf(exchange(loser!, 'cost-lose'), watched);
    expect({ status: lost.res.status, code: lost.res.body.error.code }).toEqual({ status: 422, code: 'TEMPLATE_EXHAUSTED' });
    expect(lost.sent).toEqual(['find idempotency_records']);

    const centreTemplate = await limitedTemplate({ inCouponCentre: true, totalQuantity: 1 });
    const claim = (m: { token: string }, key: string) => () => app.api.post(`/coupon-centre/${centreTemplate}/claim`, {}, m.token, { 'Idempotency-Key': key });
    const claimed = await commandsOf(claim(winner!, 'centre-win'), watched);
    expect(claimed.res.status).toBe(201);
    expect(claimed.sent).toEqual(['find members', 'insert idempotency_records', 'findAndModify coupon_templates', 'insert coupons', 'update idempotency_records']);
    const refused = await commandsOf(claim(loser!, 'centre-lose'), watched);
    expect(refused.res.body.error.code).toBe('TEMPLATE_EXHAUSTED');
    expect(refused.sent).toEqual(['find idempotency_records']);
    // Not seen within the last second (as on an instance that took no part): the full path, once.
    app.services.issuer.forgetTerms(centreTemplate);
    const unseen = await commandsOf(claim(loser!, 'centre-unseen'), watched);
    expect(unseen.res.body.error.code).toBe('TEMPLATE_EXHAUSTED');
    expect(unseen.sent).toEqual([
      'find members', 'insert idempotency_records', 'findAndModify coupon_templates', 'find coupon_templates', 'find coupons', 'update idempotency_records',
    ]);
    // Archived on this instance: the next refusal says so at once (the terms it saw are forgotten, and read again).
    expect((await app.api.post(`/admin/coupon-templates/${centreTemplate}/archive`, {}, admin)).status).toBe(200);
    const archived = await commandsOf(claim(loser!, 'centre-archived'), watched);
    expect(archived.res.body.error.code).toBe('TEMPLATE_ARCHIVED');
    expect(archived.sent).toEqual([
      'find members', 'insert idempotency_records', 'findAndModify coupon_templates', 'find coupon_templates', 'find coupons', 'update idempotency_records',
    ]);
    const archivedAgain = await commandsOf(claim(loser!, 'centre-archived-2'), watched);
    expect(archivedAgain.res.body.error.code).toBe('TEMPLATE_ARCHIVED');
    expect(archivedAgain.sent).toEqual(['find idempotency_records']);
    // A template outside the centre is refused by the same update (and the read that tells why).
    const outside = await limitedTemplate();
    const notInCentre = await app.api.post(`/coupon-centre/${outside}/claim`, {}, loser!.token, { 'Idempotency-Key': 'centre-outside' });
    expect({ status: notInCentre.status, code: notInCentre.body.error.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await templateState(outside)).toEqual({ issuedCount: 0, remaining: UNITS, coupons: 0 });
  }, 30_000);

  it('code claim: the batch is read once per process; a claim after the template sold out reads its code only', async () => {
    const [winner, loser] = await members(2, 0);
    const templateId = await limitedTemplate({ totalQuantity: 1 });
    const batch = await app.api.post('/admin/redemption-code-batches', { templateId, count: 2, expiresAt: new Date(app.clock.now().getTime() + 86_400_000).toISOString(), name: '两张兑换码' }, admin);
    const codes = (await app.api.get(`/admin/redemption-code-batches/${batch.body.id}/codes.csv`, admin)).text.trim().split('\n').slice(1);
    const watched = ['redemption_codes', 'redemption_code_batches', 'coupon_templates', 'coupons'];
    const claim = (m: { token: string }, code: string) => () => app.api.post('/me/redemption-codes/claim', { code }, m.token);
    const won = await commandsOf(claim(winner!, codes[0]!), watched);
    expect(won.res.status).toBe(200);
    expect(won.sent).toEqual([
      'find redemption_codes', 'find redemption_code_batches', 'findAndModify coupon_templates',
      'findAndModify redemption_codes', 'insert coupons', 'update redemption_code_batches',
    ]);
    const lost = await commandsOf(claim(loser!, codes[1]!), watched);
    expect({ status: lost.res.status, code: lost.res.body.error.code }).toEqual({ status: 422, code: 'TEMPLATE_EXHAUSTED' });
    expect(lost.sent).toEqual(['find redemption_codes']);
  }, 30_000);

  it('HQ grant: a refusal in the rush only looks up its key', async () => {
    const [first, second] = await members(2, 0);
    const templateId = await limitedTemplate({ totalQuantity: 1 });
    const watched = ['coupon_templates', 'coupons', 'idempotency_records'];
    const grant = (m: { id: string }, key: string) => () => app.api.post(`/admin/coupon-templates/${templateId}/grants`, { memberId: m.id }, admin, { 'Idempotency-Key': key });
    const granted = await commandsOf(grant(first!, 'grant-cost-1'), watched);
    expect(granted.res.status).toBe(201);
    expect(granted.sent).toEqual(['insert idempotency_records', 'findAndModify coupon_templates', 'insert coupons', 'update idempotency_records']);
    const refused = await commandsOf(grant(second!, 'grant-cost-2'), watched);
    expect({ status: refused.res.status, code: refused.res.body.error.code }).toEqual({ status: 422, code: 'TEMPLATE_EXHAUSTED' });
    expect(refused.sent).toEqual(['find idempotency_records']);
  }, 30_000);

  it('activity sign-up: a seat is one update and one insert, and so is a place on the waitlist (its position from the numbering\'s counters) unless the activity is not yet noted full', async () => {
    const [first, second, third, fourth, fifth] = await members(5, 0);
    const activityId = await publishedActivity('一席快闪课', '一个名额', 1);
    const watched = ['activities', 'activity_signups', 'members'];
    const signUp = (m: { token: string }) => () => app.api.post(`/activities/${activityId}/signups`, {}, m.token);
    const seated = await commandsOf(signUp(first!), watched);
    expect(seated.res.body.status).toBe('confirmed');
    expect(seated.sent).toEqual(['find members', 'findAndModify activities', 'insert activity_signups']);
    // The seat's update answered no seat left: the next sign-up within a second joins the waitlist at once.
    const waiting = await commandsOf(signUp(second!), watched);
    expect(waiting.res.body).toMatchObject({ status: 'waitlisted', waitlistPosition: 1 });
    expect(waiting.sent).toEqual(['find members', 'findAndModify activities', 'insert activity_signups']);
    // Signing up twice: the one-live-sign-up index refuses it and the seat count is untouched.
    const again = await app.api.post(`/activities/${activityId}/signups`, {}, first!.token);
    expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 409, code: 'ALREADY_SIGNED_UP' });
    expect(await app.services.models.activities.findById(activityId).lean<{ seatsLeft: number }>()).toMatchObject({ seatsLeft: 0 });
    expect(await app.services.models.signups.countDocuments({ activityId: new Types.ObjectId(activityId) })).toBe(2);

    // Within a second of finding it full, the next one joins the waitlist without trying for a seat.
    const rush = await commandsOf(signUp(third!), watched);
    expect(rush.res.body).toMatchObject({ status: 'waitlisted', waitlistPosition: 2 });
    expect(rush.sent).toEqual(['find members', 'findAndModify activities', 'insert activity_signups']);
    // Past the second the note lapses: the next one tries for a seat first, then takes its number.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const lapsed = await commandsOf(signUp(fifth!), watched);
    expect(lapsed.res.body).toMatchObject({ status: 'waitlisted', waitlistPosition: 3 });
    expect(lapsed.sent).toEqual(['find members', 'findAndModify activities', 'findAndModify activities', 'insert activity_signups']);
    // The refused second sign-up's number counts as gone from the waitlist: three joined and wait, one number lapsed.
    expect(await app.services.models.activities.findById(activityId).lean()).toMatchObject({ waitlistJoined: 4, waitlistLeft: 1 });
    // A later look counts the sign-ups ahead, and agrees.
    expect((await app.api.get('/me/signups', fifth!.token)).body.items[0]).toMatchObject({ status: 'waitlisted', waitlistPosition: 3 });
    // The note is only a hint: the waitlist leaves, then the seat holder; a sign-up at once, though noted full, gets the free seat.
    for (const m of [second!, third!, fifth!, first!]) expect((await app.api.delete(`/activities/${activityId}/signups/me`, m.token)).status).toBe(200);
    expect(await app.services.models.activities.findById(activityId).lean<{ seatsLeft: number }>()).toMatchObject({ seatsLeft: 1 });
    const late = await app.api.post(`/activities/${activityId}/signups`, {}, fourth!.token);
    expect(late.body.status).toBe('confirmed');
    // Every number handed out on the waitlist has left it: the three cancelled, the refused one, and the late one promoted.
    expect(await app.services.models.activities.findById(activityId).lean()).toMatchObject({ seatsLeft: 0, waitlistJoined: 5, waitlistLeft: 5 });
  }, 30_000);
});

describe('a flash drop on a small activity', () => {
  it('200 parallel sign-ups for 20 seats: exactly 20 confirmed, 180 waitlisted in distinct order, no 5xx; a cancellation promotes the first in line', async () => {
    const activityId = await publishedActivity('限量快闪课', '二十个名额', 20);

    const signers = crowd.slice(0, SIGNERS);
    const answers = await Promise.all(signers.map((m) => app.api.post(`/activities/${activityId}/signups`, {}, m.token)));
    expect(answers.map((res) => res.status).filter((s) => s !== 201)).toEqual([]);
    const statuses = answers.map((res) => res.body.status);
    expect(statuses.filter((s) => s === 'confirmed')).toHaveLength(20);
    expect(statuses.filter((s) => s === 'waitlisted')).toHaveLength(180);
    const activity = await app.services.models.activities.findById(activityId).lean<{ seatsLeft: number; signupSeq: number }>();
    expect(activity).toMatchObject({ seatsLeft: 0, signupSeq: 200 });
    const stored = await app.services.models.signups.find({ activityId: new Types.ObjectId(activityId) }).lean<Array<{ _id: Types.ObjectId; seq: number; status: string; memberId: Types.ObjectId }>>();
    expect(new Set(stored.map((s) => s.seq)).size).toBe(200);
    const view = await app.api.get(`/activities/${activityId}`);
    expect(view.body).toMatchObject({ confirmedCount: 20, waitlistCount: 180 });
    // Each waitlisted answer's position came from its own numbering: 1 to 180, none twice, and each the count of
    // sign-ups waiting ahead of it plus one.
    const positions = answers.filter((res) => res.body.status === 'waitlisted').map((res) => res.body.waitlistPosition as number);
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
    const placeById = new Map(stored.filter((s) => s.status === 'waitlisted').sort((a, b) => a.seq - b.seq).map((s, i) => [String(s._id), i + 1]));
    for (const res of answers.filter((r) => r.body.status === 'waitlisted')) expect(res.body.waitlistPosition).toBe(placeById.get(res.body.id));

    // A confirmed member cancels: the lowest-numbered waitlisted sign-up takes the seat.
    const leaver = signers[statuses.indexOf('confirmed')]!;
    const firstInLine = stored.filter((s) => s.status === 'waitlisted').sort((a, b) => a.seq - b.seq)[0]!;
    expect((await app.api.delete(`/activities/${activityId}/signups/me`, leaver.token)).status).toBe(200);
    expect((await app.services.models.signups.findOne({ activityId: new Types.ObjectId(activityId), memberId: firstInLine.memberId }).lean<{ status: string }>())!.status).toBe('confirmed');
    expect((await app.api.get(`/activities/${activityId}`)).body).toMatchObject({ confirmedCount: 20, waitlistCount: 179 });
    expect(await app.services.models.activities.findById(activityId).lean()).toMatchObject({ waitlistJoined: 180, waitlistLeft: 1 });
  }, 60_000);

  it('a seat given back while a sign-up was still joining the waitlist goes to it within the minute', async () => {
    const [holder, joiner] = await members(2, 0);
    const activityId = await publishedActivity('一席候补课', '一个名额', 1);
    expect((await app.api.post(`/activities/${activityId}/signups`, {}, holder!.token)).body.status).toBe('confirmed');
    // The joiner's sign-up is numbered onto the waitlist while the activity is full; its insert is held back until
    // the holder's cancellation has looked for someone waiting (nobody yet) and put the seat back.
    const signups = app.services.models.signups.collection;
    const insertOne = signups.insertOne.bind(signups);
    let cancelled!: Promise<unknown>;
    (signups as { insertOne: unknown }).insertOne = async (...args: Parameters<typeof insertOne>) => {
      (signups as { insertOne: unknown }).insertOne = insertOne;
      cancelled = app.api.delete(`/activities/${activityId}/signups/me`, holder!.token);
      expect((await cancelled as { status: number }).status).toBe(200);
      return insertOne(...args);
    };
    const joined = await app.api.post(`/activities/${activityId}/signups`, {}, joiner!.token);
    expect(joined.body).toMatchObject({ status: 'waitlisted', waitlistPosition: 1 });
    expect(await app.services.models.activities.findById(activityId).lean()).toMatchObject({ seatsLeft: 1 });
    // The every-minute sweep hands the free seat to the first in line, and tells them.
    expect(await app.services.activities.fillWaitingSeats()).toEqual({ processed: 1 });
    expect((await app.api.get('/me/signups', joiner!.token)).body.items[0]).toMatchObject({ status: 'confirmed' });
    expect(await app.services.models.activities.findById(activityId).lean()).toMatchObject({ seatsLeft: 0, waitlistJoined: 1, waitlistLeft: 1 });
    expect(await app.services.models.signupNotifications.countDocuments({ signupId: new Types.ObjectId(joined.body.id), kind: 'waitlist_promoted' })).toBe(1);
    expect(await app.services.activities.fillWaitingSeats()).toEqual({ processed: 0 });
  }, 30_000);
});

describe('retries in a sold-out drop', () => {
  it('a retried refusal is refused again with the same code and takes nothing; a retried success answers its coupon', async () => {
    const [winner, loser, late] = await members(3, POINTS_COST);
    const templateId = await limitedTemplate({ pointsCost: POINTS_COST, totalQuantity: 1 });
    const exchange = (m: { token: string }, key: string) => app.api.post('/me/points/exchanges', { templateId }, m.token, { 'Idempotency-Key': key });
    const won = await exchange(winner!, 'retry-win');
    expect(won.status).toBe(201);

    // Refused from the terms this instance saw: no record is written, so each retry is judged again, the same way.
    const refusal = await exchange(loser!, 'retry-lose');
    expect({ status: refusal.status, code: refusal.body.error.code }).toEqual({ status: 422, code: 'TEMPLATE_EXHAUSTED' });
    expect(await app.connection.collection('idempotency_records').countDocuments({ _id: { $regex: ':retry-lose$' } } as never)).toBe(0);
    const retried = await Promise.all([exchange(loser!, 'retry-lose'), exchange(loser!, 'retry-lose')]);
    for (const res of retried) expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 422, code: 'TEMPLATE_EXHAUSTED' });

    // Refused by the full path (as on an instance that had not seen the template): its record replays that refusal.
    app.services.issuer.forgetTerms(templateId);
    const fullRefusal = await exchange(late!, 'retry-late');
    expect({ status: fullRefusal.status, code: fullRefusal.body.error.code }).toEqual({ status: 422, code: 'TEMPLATE_EXHAUSTED' });
    const lateAgain = await exchange(late!, 'retry-late');
    expect({ status: lateAgain.status, code: lateAgain.body.error.code }).toEqual({ status: 422, code: 'TEMPLATE_EXHAUSTED' });

    // The winner's retry, while refusals are answered from the terms: the same coupon, paid once.
    const replays = await Promise.all([exchange(winner!, 'retry-win'), exchange(winner!, 'retry-win')]);
    for (const res of replays) {
      expect(res.status).toBe(201);
      expect(res.body.coupon.id).toBe(won.body.coupon.id);
    }
    expect(await templateState(templateId)).toEqual({ issuedCount: 1, remaining: 0, coupons: 1 });
    const balances = await app.services.models.members
      .find({ _id: { $in: [winner!, loser!, late!].map((m) => new Types.ObjectId(m.id)) } }, { pointsBalance: 1 })
      .lean<Array<{ _id: Types.ObjectId; pointsBalance: number }>>();
    expect(Object.fromEntries(balances.map((b) => [String(b._id), b.pointsBalance]))).toEqual({ [winner!.id]: 0, [loser!.id]: POINTS_COST, [late!.id]: POINTS_COST });
    expect(await app.services.models.ledger.countDocuments({ source: 'exchange', memberId: new Types.ObjectId(winner!.id) })).toBe(1);

    // A centre claim's success replays its coupon too, a refusal's retry is refused the same way.
    const centreTemplate = await limitedTemplate({ inCouponCentre: true, totalQuantity: 1 });
    const claim = (m: { token: string }, key: string) => app.api.post(`/coupon-centre/${centreTemplate}/claim`, {}, m.token, { 'Idempotency-Key': key });
    const claimed = await claim(winner!, 'centre-retry-win');
    expect(claimed.status).toBe(201);
    expect((await claim(loser!, 'centre-retry-lose')).body.error.code).toBe('TEMPLATE_EXHAUSTED');
    expect((await claim(loser!, 'centre-retry-lose')).body.error.code).toBe('TEMPLATE_EXHAUSTED');
    const replayed = await claim(winner!, 'centre-retry-win');
    expect({ status: replayed.status, id: replayed.body.coupon.id }).toEqual({ status: 201, id: claimed.body.coupon.id });
    expect(await templateState(centreTemplate)).toEqual({ issuedCount: 1, remaining: 0, coupons: 1 });
  }, 30_000);
});
