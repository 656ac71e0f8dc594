import { JOBS } from '../src/jobs/registry';
import { reconcilePoints } from '../src/modules/points/reconcile';
import type { ApiClient, TestApp } from './support/harness';

// Helpers the points, purchases and jobs tests share.

let orderSeq = 0;
/** A fresh till order number. */
export function orderNo(prefix = 'T'): string {
  return `${prefix}-${process.pid}-${++orderSeq}`;
}

/** The member's current code, as the card shows it (valid at the app's clock). */
export async function memberCode(api: ApiClient, memberToken: string): Promise<string> {
  const res = await api.get('/me/member-code', memberToken);
  if (res.status !== 200) throw new Error(`member code: ${res.status} ${res.text}`);
  return res.body.code;
}

export function purchase(api: ApiClient, staff: string, body: { memberCode: string; orderNo: string; amountFen: number; lines?: unknown[] }) {
  return api.post('/staff/purchases', body, staff);
}

export function adjust(api: ApiClient, admin: string, memberId: string, delta: number, key: string, reason = '测试调整') {
  return api.post(`/admin/members/${memberId}/points-adjustments`, { delta, reason }, admin, { 'Idempotency-Key': key });
}

export async function runJob(app: TestApp, name: string): Promise<number> {
  const job = JOBS.find((j) => j.name === name);
  if (!job) throw new Error(`no job ${name}`);
  return (await job.run(app.services)).processed;
}

/** The reconciliation finds nothing wrong, and spend12mFen matches the purchases still counted. */
export async function expectBooksBalance(app: TestApp): Promise<void> {
  const points = await reconcilePoints(app.services.models);
  expect(points.breaks).toEqual([]);
  expect(await app.services.purchases.reconcileSpend()).toEqual([]);
}

export async function memberDoc(app: TestApp, memberId: string) {
  return app.services.models.members.findById(memberId).lean();
}

export const DAY = 24 * 3600_000;

/**
 * A fresh access token for a seeded account or a member, issued at the app's current clock. Tests that move
 * the clock by months use it instead of signing in again (sign-ins are rate-limited per account).
 */
export async function tokenAt(app: TestApp, who: { username: string } | { memberId: string }): Promise<string> {
  if ('memberId' in who) return (await app.services.tokens.issue({ type: 'shopper', memberId: who.memberId })).token;
  const account = await app.services.models.staff.findOne({ username: who.username }).lean<{ _id: unknown; role: string; storeId: string | null }>();
  if (!account) throw new Error(`no account ${who.username}`);
  const actor =
    account.role === 'hq'
      ? { type: 'admin' as const, staffId: String(account._id), role: 'hq' as const }
      : { type: 'staff' as const, staffId: String(account._id), role: account.role as 'clerk' | 'manager', storeId: account.storeId! };
  return (await app.services.tokens.issue(actor)).token;
}
