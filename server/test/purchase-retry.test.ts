import { joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';
import { memberCode, memberDoc, orderNo, purchase } from './points-helpers';

// A till that retries a purchase after re-scanning the card: member codes change every minute, so the retry
// carries a different code. Purchases are idempotent on the store's order number and the member the code
// resolves to, so the retry gets the first answer; another member under the same order number is refused.

let app: TestApp;
let clerk: string;

const STEP_MS = 60_000;
const LINES = [{ sku: 'LATTE-L', name: '大杯拿铁', category: 'COFFEE_TEA', qty: 2, amountFen: 6_000 }];

beforeAll(async () => {
  app = await startTestApp();
  clerk = await staffToken(app.api, 'sh01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

const purchasesOf = (memberId: string) => app.services.models.purchases.countDocuments({ memberId });

describe('purchase retries with a fresh member code', () => {
  it('given an acknowledged purchase, when the till retries with a new code of the same member, then it gets the first answer and nothing is booked twice', async () => {
    const { token, member } = await joinedMember(app.api, 'retry-rescan');
    const no = orderNo('rescan');
    const firstCode = await memberCode(app.api, token);
    const first = await purchase(app.api, clerk, { memberCode: firstCode, orderNo: no, amountFen: 6_000, lines: LINES });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ pointsEarned: 60, pointsBalance: 60, tier: { code: 'silver', name: '银卡' } });

    // Three minutes later the first code has expired; the clerk scans the card again.
    app.clock.advance(3 * STEP_MS);
    const freshCode = await memberCode(app.api, token);
    expect(freshCode).not.toBe(firstCode);
    const retry = await purchase(app.api, clerk, { memberCode: freshCode, orderNo: no, amountFen: 6_000, lines: LINES });
    expect(retry.status).toBe(first.status);
    expect(retry.body).toEqual(first.body);

    // The till resending its very first request (the expired code) also gets the first answer.
    const resent = await purchase(app.api, clerk, { memberCode: firstCode, orderNo: no, amountFen: 6_000, lines: LINES });
    expect(resent.status).toBe(200);
    expect(resent.body).toEqual(first.body);

    // A changed amount or lines under the same order number is still a different purchase: 409.
    const changed = await purchase(app.api, clerk, { memberCode: freshCode, orderNo: no, amountFen: 7_000, lines: LINES });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const changedLines = await purchase(app.api, clerk, { memberCode: freshCode, orderNo: no, amountFen: 6_000 });
    expect(changedLines.status).toBe(409);
    expect(changedLines.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

    expect(await purchasesOf(member.id)).toBe(1);
    expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 60, spend12mFen: 6_000 });
  });

  it('given an order booked for one member, when another member’s code comes with the same order number, then 409 ORDER_NO_OTHER_MEMBER', async () => {
    const owner = await joinedMember(app.api, 'retry-owner');
    const other = await joinedMember(app.api, 'retry-other');
    const no = orderNo('other');
    const first = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, owner.token), orderNo: no, amountFen: 3_000 });
    expect(first.status).toBe(200);
    const wrong = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, other.token), orderNo: no, amountFen: 3_000 });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('ORDER_NO_OTHER_MEMBER');
    // Also once the request records are gone: the purchase itself names its member.
    await app.connection.collection('idempotency_records').deleteMany({});
    const late = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, other.token), orderNo: no, amountFen: 3_000 });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('ORDER_NO_OTHER_MEMBER');
    const lateSame = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, owner.token), orderNo: no, amountFen: 3_000 });
    expect(lateSame.status).toBe(200);
    expect(lateSame.body).toEqual(first.body);
    expect(await purchasesOf(owner.member.id)).toBe(1);
    expect(await purchasesOf(other.member.id)).toBe(0);
    expect(await memberDoc(app, other.member.id)).toMatchObject({ pointsBalance: 0, spend12mFen: 0 });
  });

  it('given two different fresh codes of one member sent at once under one order number, then one purchase and equal answers', async () => {
    for (let round = 0; round < 5; round++) {
      const { token, member } = await joinedMember(app.api, `retry-parallel-${round}`);
      const codeA = await memberCode(app.api, token);
      app.clock.advance(STEP_MS);
      const codeB = await memberCode(app.api, token);
      expect(codeB).not.toBe(codeA);
      const no = orderNo('parallel');
      const answers = await Promise.all(
        [codeA, codeB, codeA, codeB].map((code) => purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 12_345, lines: LINES })),
      );
      for (const res of answers) {
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ pointsEarned: 123, pointsBalance: 123, tier: { code: 'silver', name: '银卡' } });
      }
      expect(await purchasesOf(member.id)).toBe(1);
      expect(await app.services.models.ledger.countDocuments({ memberId: member.id })).toBe(1);
      expect(await memberDoc(app, member.id)).toMatchObject({ pointsBalance: 123, spend12mFen: 12_345 });
    }
  });

  it('given a code that is not valid now and no booked order, then 400 CODE_INVALID and the order number stays free', async () => {
    const { token, member } = await joinedMember(app.api, 'retry-expired');
    const stale = await memberCode(app.api, token);
    app.clock.advance(3 * STEP_MS);
    const no = orderNo('expired');
    const refused = await purchase(app.api, clerk, { memberCode: stale, orderNo: no, amountFen: 1_000 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('CODE_INVALID');
    const rescanned = await purchase(app.api, clerk, { memberCode: await memberCode(app.api, token), orderNo: no, amountFen: 1_000 });
    expect(rescanned.status).toBe(200);
    expect(rescanned.body.pointsEarned).toBe(10);
    expect(await purchasesOf(member.id)).toBe(1);
  });
});
