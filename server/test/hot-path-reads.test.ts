import { memberCode, orderNo, purchase } from './points-helpers';
import { adminToken, joinedMember, staffToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';

// Hot paths read each document at most once per request: the member-route check hands the member it read to the
// handler, and a scanned coupon code's owner look-up hands on the coupon it read. Proven by watching the driver's
// commands (command monitoring, switched on through the connection string) while one request runs alone, and
// counting the documents each `find` returned, by collection and _id.

let app: TestApp;
let admin: string;
let clerk: string;

/** collection → _id → how many times a `find` answered that document, while `watching`. */
let reads = new Map<string, Map<string, number>>();
let watching = false;
const pendingFinds = new Map<number, string>();

beforeAll(async () => {
  app = await startTestApp({ monitorCommands: true });
  const client = app.connection.getClient();
  client.on('commandStarted', (event) => {
    if (watching && event.commandName === 'find') pendingFinds.set(event.requestId, String(event.command.find));
  });
  client.on('commandSucceeded', (event) => {
    const collection = pendingFinds.get(event.requestId);
    if (collection === undefined) return;
    pendingFinds.delete(event.requestId);
    const docs = (event.reply as { cursor?: { firstBatch?: Array<{ _id?: unknown }> } }).cursor?.firstBatch ?? [];
    const byId = reads.get(collection) ?? new Map<string, number>();
    for (const doc of docs) byId.set(String(doc._id), (byId.get(String(doc._id)) ?? 0) + 1);
    reads.set(collection, byId);
  });
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
}, 30_000);

afterAll(async () => {
  await app.stop();
});

/** Runs one request alone and answers it with every document its finds returned more than once. */
async function readsOf(send: () => Promise<ApiResponse>): Promise<{ res: ApiResponse; twice: string[]; read: (collection: string, id: string) => number }> {
  reads = new Map();
  watching = true;
  let res: ApiResponse;
  try {
    res = await send();
  } finally {
    watching = false;
  }
  const snapshot = reads;
  const twice = [...snapshot].flatMap(([collection, byId]) => [...byId].filter(([, n]) => n > 1).map(([id, n]) => `${collection}/${id} ×${n}`));
  return { res, twice, read: (collection, id) => snapshot.get(collection)?.get(id) ?? 0 };
}

async function couponFor(memberId: string): Promise<string> {
  const template = await app.api.post(
    '/admin/coupon-templates',
    { title: '一次读取券', type: 'gift', giftName: '帆布袋', validDays: 30, totalQuantity: 100, perMemberLimit: 5 },
    admin,
  );
  expect(template.status).toBe(201);
  const granted = await app.api.post(`/admin/coupon-templates/${template.body.id}/grants`, { memberId }, admin, { 'Idempotency-Key': `once-${memberId}` });
  expect(granted.status).toBe(201);
  return granted.body.id;
}

it('GET /me, a purchase, the coupon code, a coupon scan and its redemption read each document once', async () => {
  const { token, member } = await joinedMember(app.api, 'read-once');
  const couponId = await couponFor(member.id);

  const card = await readsOf(() => app.api.get('/me', token));
  expect(card.res.status).toBe(200);
  expect(card.read('members', member.id)).toBe(1);
  expect(card.twice).toEqual([]);

  const code = await memberCode(app.api, token);
  const bought = await readsOf(() => purchase(app.api, clerk, { memberCode: code, orderNo: orderNo('once'), amountFen: 12_800 }));
  expect(bought.res.status).toBe(200);
  expect(bought.res.body.pointsEarned).toBeGreaterThan(0);
  expect(bought.read('members', member.id)).toBe(1);
  expect(bought.twice).toEqual([]);

  const shown = await readsOf(() => app.api.get(`/me/coupons/${couponId}/code`, token));
  expect(shown.res.status).toBe(200);
  expect(shown.read('coupons', couponId)).toBe(1);
  expect(shown.read('members', member.id)).toBe(1);
  expect(shown.twice).toEqual([]);

  const scanned = await readsOf(() => app.api.post('/staff/scan', { code: shown.res.body.code }, clerk));
  expect(scanned.res.status).toBe(200);
  expect(scanned.res.body).toMatchObject({ type: 'coupon', coupon: { id: couponId } });
  expect(scanned.read('coupons', couponId)).toBe(1);
  expect(scanned.twice).toEqual([]);

  const redeemed = await readsOf(() => app.api.post('/staff/redemptions', { code: shown.res.body.code }, clerk));
  expect(redeemed.res.status).toBe(201);
  expect(redeemed.res.body).toMatchObject({ couponId });
  expect(redeemed.read('coupons', couponId)).toBe(1);
  expect(redeemed.read('members', member.id)).toBe(1);
  expect(redeemed.twice).toEqual([]);

  // The profile and the member-code routes answer from the check's read too.
  const profile = await readsOf(() => app.api.patch('/me/profile', { city: '上海' }, token));
  expect(profile.res.status).toBe(200);
  expect(profile.res.body).toMatchObject({ city: '上海', pointsBalance: bought.res.body.pointsBalance });
  expect(profile.read('members', member.id)).toBe(1);
  const again = await readsOf(() => app.api.get('/me/member-code', token));
  expect(again.res.status).toBe(200);
  expect(again.read('members', member.id)).toBe(1);
});
