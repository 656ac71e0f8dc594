import { Types } from 'mongoose';
import { inTransaction } from '../src/lib/transactions';
import type { StoredValueChange } from '../src/modules/stored-value/ledger';
import { startTestApp, type TestApp } from './support/harness';

// The stored-value ledger against the real database: parallel debits that together exceed the balance,
// replays of one idempotency key, and the books (balance = Σ entries) after them.

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ seed: false });
}, 30_000);
afterAll(async () => {
  await app.stop();
});

function book(change: Omit<StoredValueChange, 'actor' | 'reason'> & { reason?: string }) {
  const { connection, services } = app;
  return inTransaction(connection, undefined, (session) => services.storedValueLedger.apply(session, { actor: 'system', reason: '测试', ...change }));
}

async function expectBooksBalance(memberId: Types.ObjectId): Promise<void> {
  const entries = await app.services.models.storedValueEntries.find({ memberId }).lean();
  const balance = await app.services.storedValueLedger.balanceOf(memberId);
  expect(entries.reduce((sum, e) => sum + e.principalDelta, 0)).toBe(balance.principalFen);
  expect(entries.reduce((sum, e) => sum + e.bonusDelta, 0)).toBe(balance.bonusFen);
  // Each entry's balance after is one step of a single sequence: no two changes saw the same balance.
  const before = entries.map((e) => `${e.principalAfter - e.principalDelta}/${e.bonusAfter - e.bonusDelta}`);
  expect(new Set(before).size).toBe(entries.length);
}

describe('StoredValueLedger', () => {
  it('given ¥200 principal and ¥20 bonus, 30 parallel ¥10 principal debits: 20 succeed, 10 are 422 INSUFFICIENT_BALANCE, never below 0', async () => {
    const memberId = new Types.ObjectId();
    await book({ memberId, kind: 'topup', principalDelta: 20_000, bonusDelta: 0, idempotencyKey: `t:${String(memberId)}` });
    await book({ memberId, kind: 'topup_bonus', principalDelta: 0, bonusDelta: 2_000, idempotencyKey: `tb:${String(memberId)}` });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => book({ memberId, kind: 'charge', principalDelta: -1_000, bonusDelta: 0, idempotencyKey: `c:${String(memberId)}:${i}` })),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'INSUFFICIENT_BALANCE', status: 422 });
    }
    expect(await app.services.storedValueLedger.balanceOf(memberId)).toEqual({ principalFen: 0, bonusFen: 2_000, totalFen: 2_000 });
    await expectBooksBalance(memberId);
  });

  it('given 20 parallel replays of one idempotency key, one entry is booked and every answer is that entry', async () => {
    const memberId = new Types.ObjectId();
    const key = `replay:${String(memberId)}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => book({ memberId, kind: 'topup', principalDelta: 50_000, bonusDelta: 0, idempotencyKey: key })));
    expect(new Set(results.map((r) => String(r._id))).size).toBe(1);
    expect(results.filter((r) => !r.replayed).length).toBeLessThanOrEqual(1);
    expect(await app.services.models.storedValueEntries.countDocuments({ memberId })).toBe(1);
    expect((await app.services.storedValueLedger.balanceOf(memberId)).principalFen).toBe(50_000);
    await expectBooksBalance(memberId);
  });

  it('given a debit on a member who never topped up, it is refused and opens no account', async () => {
    const memberId = new Types.ObjectId();
    await expect(book({ memberId, kind: 'charge', principalDelta: -1, bonusDelta: 0, idempotencyKey: `none:${String(memberId)}` })).rejects.toMatchObject({
      code: 'INSUFFICIENT_BALANCE',
    });
    expect(await app.services.models.storedValueAccounts.countDocuments({ _id: memberId })).toBe(0);
  });

  it('refuses to run outside a transaction', async () => {
    const session = await app.connection.startSession();
    try {
      await expect(
        app.services.storedValueLedger.apply(session, { memberId: new Types.ObjectId(), kind: 'topup', principalDelta: 1, bonusDelta: 0, idempotencyKey: 'x', actor: 'system', reason: 'x' }),
      ).rejects.toThrow(/transaction/);
    } finally {
      await session.endSession();
    }
  });
});
