import { base32Decode, generateCode, groupDigits, numericFormOf, posStringToSign } from '@membercard/shared';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { adminToken, joinedMember, staffToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';
import { orderNo } from './points-helpers';

// The typeable 18-digit form of member, coupon and sign-up codes, over HTTP at every route that takes a code:
// the scan, purchases, redemptions, check-ins and the POS identify. Same OTP and window as the QR.

let app: TestApp;
let admin: string;
let clerk: string;
const HOUR = 3600_000;

beforeAll(async () => {
  app = await startTestApp();
  admin = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

function expectError(res: ApiResponse, status: number, code: string): void {
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
}

let grantSeq = 0;
async function grantCoupon(memberId: string): Promise<string> {
  const template = await app.api.post(
    '/admin/coupon-templates',
    { title: '满50减10', type: 'cash', minSpendFen: 5_000, amountOffFen: 1_000, validDays: 30, totalQuantity: 100, perMemberLimit: 5 },
    admin,
  );
  expect(template.status).toBe(201);
  const granted = await app.api.post(`/admin/coupon-templates/${template.body.id}/grants`, { memberId }, admin, { 'Idempotency-Key': `numeric-grant-${++grantSeq}` });
  expect(granted.status).toBe(201);
  return granted.body.id;
}

async function confirmedSignup(token: string): Promise<string> {
  const now = app.clock.now().getTime();
  const activity = await app.api.post(
    '/admin/activities',
    {
      title: '烘焙体验课', description: '现场签到', storeId: 'SH01', capacity: 5, feeFen: 0, attendancePoints: 30,
      signupClosesAt: new Date(now + 0.5 * HOUR).toISOString(),
      startAt: new Date(now + HOUR).toISOString(),
      endAt: new Date(now + 3 * HOUR).toISOString(),
    },
    admin,
  );
  expect(activity.status).toBe(201);
  const signup = await app.api.post(`/activities/${activity.body.id}/signups`, {}, token);
  expect(signup.body.status).toBe('confirmed');
  return signup.body.id;
}

const spaced = (digits: string) => groupDigits(digits);

describe('numeric codes', () => {
  it('the code key carries the member’s handle, the same for parallel first uses; the phone makes the server’s numeric code offline', async () => {
    const { token } = await joinedMember(app.api, 'numeric-key');
    const keys = await Promise.all([0, 1, 2, 3, 4].map(() => app.api.get('/me/code-key', token)));
    const handles = new Set(keys.map((k) => k.body.numericHandle));
    expect(handles.size).toBe(1);
    const key = keys[0]!.body;
    expect(key.numericHandle).toMatch(/^[1-9]\d{7}$/);

    const served = await app.api.get('/me/member-code', token);
    expect(served.body.numericCode).toMatch(/^61\d{16}$/);
    expect(served.body.numericCode).toBe('61' + key.numericHandle + served.body.code.slice(-8));
    const me = (await app.api.get('/me', token)).body;
    const onPhone = generateCode({ kind: 'member', subject: me.cardNo, secret: base32Decode(key.secret), now: app.clock.now(), stepSeconds: key.stepSeconds });
    expect(numericFormOf(onPhone.code, key.numericHandle)).toBe(served.body.numericCode);
  });

  it('a member’s numeric code, typed in groups of four, identifies them at the scan, a purchase and the POS', async () => {
    const { token, member } = await joinedMember(app.api, 'numeric-member');
    const numeric = (await app.api.get('/me/member-code', token)).body.numericCode as string;

    const scan = await app.api.post('/staff/scan', { code: spaced(numeric) }, clerk);
    expect(scan.status).toBe(200);
    expect(scan.body).toMatchObject({ type: 'member', member: { id: member.id } });

    const bought = await app.api.post('/staff/purchases', { memberCode: spaced(numeric), orderNo: orderNo('NUM'), amountFen: 12_300 }, clerk);
    expect(bought.status).toBe(200);
    expect((await app.services.models.purchases.find({ memberId: member.id }).lean()).map((p) => p.amountFen)).toEqual([12_300]);

    const key = await app.api.post('/admin/pos/credentials', { storeId: 'SH01', label: '数字码测试' }, admin);
    expect(key.status).toBe(201);
    const body = JSON.stringify({ memberCode: numeric });
    const url = '/api/v1/pos/members/identify';
    const timestamp = String(Math.floor(app.clock.now().getTime() / 1000));
    const nonce = randomBytes(12).toString('base64url');
    const signature = createHmac('sha256', key.body.secret)
      .update(posStringToSign({ method: 'POST', pathWithQuery: url, timestamp, nonce, bodySha256Hex: createHash('sha256').update(body).digest('hex') }))
      .digest('hex');
    const identified = await app.api.request('POST', url, {
      headers: { 'X-POS-Key': key.body.keyId, 'X-POS-Timestamp': timestamp, 'X-POS-Nonce': nonce, 'X-POS-Signature': signature, 'content-type': 'application/json' },
      rawBody: body,
    });
    expect(identified.status).toBe(200);
    expect(identified.body).toMatchObject({ cardNo: member.cardNo });
  });

  it('a coupon’s numeric code names that coupon among the member’s others: scan, redeem once (parallel), rescan shows it used', async () => {
    const { token, member } = await joinedMember(app.api, 'numeric-coupon');
    const others = [await grantCoupon(member.id), await grantCoupon(member.id)];
    const couponId = await grantCoupon(member.id);
    const answer = (await app.api.get(`/me/coupons/${couponId}/code`, token)).body;
    expect(answer.numericCode).toMatch(/^62\d{16}$/);

    const scan = await app.api.post('/staff/scan', { code: spaced(answer.numericCode) }, clerk);
    expect(scan.body).toMatchObject({ type: 'coupon', coupon: { id: couponId, status: 'issued' } });

    const tries = await Promise.all([0, 1, 2].map(() => app.api.post('/staff/redemptions', { code: answer.numericCode, orderAmountFen: 8_000 }, clerk)));
    expect(tries.map((t) => t.status).sort()).toEqual([201, 409, 409]);
    expect(tries.filter((t) => t.status === 409).map((t) => t.body.error.code)).toEqual(['COUPON_ALREADY_USED', 'COUPON_ALREADY_USED']);
    const statuses = await app.services.models.coupons.find({ memberId: member.id }).lean();
    expect(statuses.filter((c) => c.status === 'redeemed').map((c) => String(c._id))).toEqual([couponId]);
    expect(others.every((id) => statuses.find((c) => String(c._id) === id)?.status === 'issued')).toBe(true);

    const rescan = await app.api.post('/staff/scan', { code: answer.numericCode }, clerk);
    expect(rescan.body).toMatchObject({ type: 'coupon', coupon: { id: couponId, status: 'redeemed' } });
  });

  it('a sign-up’s numeric code checks in once', async () => {
    const { token, member } = await joinedMember(app.api, 'numeric-signup');
    const signupId = await confirmedSignup(token);
    const numeric = (await app.api.get(`/me/signups/${signupId}/code`, token)).body.numericCode as string;
    expect(numeric).toMatch(/^63\d{16}$/);
    expect((await app.api.post('/staff/scan', { code: numeric }, clerk)).body).toMatchObject({ type: 'signup', signup: { id: signupId } });
    const checkedIn = await app.api.post('/staff/checkins', { code: spaced(numeric) }, clerk);
    expect(checkedIn.status).toBe(200);
    expect(checkedIn.body).toMatchObject({ id: signupId, status: 'attended' });
    expectError(await app.api.post('/staff/checkins', { code: numeric }, clerk), 409, 'ALREADY_CHECKED_IN');
    expect((await app.services.models.ledger.find({ memberId: member.id, source: 'attendance' }).lean()).map((e) => e.delta)).toEqual([30]);
  });

  it('refused with CODE_INVALID: an altered digit, the wrong kind, another member’s handle, an unknown handle, an expired code', async () => {
    const a = await joinedMember(app.api, 'numeric-bad-a');
    const b = await joinedMember(app.api, 'numeric-bad-b');
    const numeric = (await app.api.get('/me/member-code', a.token)).body.numericCode as string;
    const handleB = (await app.api.get('/me/code-key', b.token)).body.numericHandle as string;
    const altered = numeric.slice(0, -1) + String((Number(numeric.at(-1)) + 1) % 10);
    const asCoupon = '62' + numeric.slice(2);
    const asOtherMember = '61' + handleB + numeric.slice(-8);
    const unknownHandle = '61' + (handleB === '99999999' ? '99999998' : '99999999') + numeric.slice(-8);
    for (const code of [altered, asCoupon, asOtherMember, unknownHandle, numeric.slice(1)]) {
      expectError(await app.api.post('/staff/scan', { code }, clerk), 400, 'CODE_INVALID');
    }
    expectError(await app.api.post('/staff/redemptions', { code: numeric }, clerk), 400, 'CODE_INVALID');
    expectError(await app.api.post('/staff/checkins', { code: numeric }, clerk), 400, 'CODE_INVALID');

    expect((await app.api.post('/staff/scan', { code: numeric }, clerk)).status).toBe(200);
    app.clock.advance(2 * 60_000);
    try {
      // Two steps later the numeric form expires exactly as the QR does.
      expectError(await app.api.post('/staff/scan', { code: numeric }, clerk), 400, 'CODE_INVALID');
    } finally {
      app.clock.advance(-2 * 60_000);
    }
  });
});
