import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@membercard/shared';
import { AppError, errors } from '../../lib/errors';
import type { LimitSpec, RateLimits } from '../../lib/rateLimit';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';

// Look-ups of the codes members show (scan, purchase by member code, redemption, check-in) are limited per
// staff account and per store, counting only codes that fail: a till scanning real codes all day is never
// held up, while a stolen clerk token guessing codes gets 60 wrong guesses per 10 minutes and a store 300
// (README, Security, for what that buys an attacker). Going over blocks every look-up of that clerk or store
// for 10 minutes, and the first time in a window HQ gets an audit entry (security.scan_failures).

export const LOOKUP_LIMITS = {
  'lookup-staff': { points: 60, windowSeconds: 10 * 60, blockSeconds: 10 * 60 },
  'lookup-store': { points: 300, windowSeconds: 10 * 60, blockSeconds: 10 * 60 },
} satisfies Record<string, LimitSpec>;

export class CodeLookups {
  constructor(private readonly deps: { rateLimits: RateLimits; audit: AuditService }) {}

  /**
   * Runs one code look-up under the staff member's and the store's limits. A point is taken from both before
   * the look-up (so parallel guesses cannot all slip under the limit; both at once, so the counter's scans
   * and purchases wait one round trip, not two) and given back unless the code was invalid: only failures
   * stay counted. A refused look-up gives back the point of a limit that was not over.
   */
  async guard<T>(actor: Actor, requestId: string | undefined, look: () => Promise<T>): Promise<T> {
    if (actor.type !== 'staff') throw errors.forbidden('Only store staff look up codes.');
    const { rateLimits } = this.deps;
    const [staff, store] = await Promise.all([rateLimits.attempt('lookup-staff', actor.staffId), rateLimits.attempt('lookup-store', actor.storeId)]);
    if (!staff.allowed || !store.allowed) {
      await Promise.all([
        staff.allowed ? rateLimits.refund('lookup-staff', actor.staffId) : this.alert(actor, requestId, staff, 'staff', actor.staffId),
        store.allowed ? rateLimits.refund('lookup-store', actor.storeId) : this.alert(actor, requestId, store, 'store', actor.storeId),
      ]);
      throw errors.rateLimited(Math.max(staff.allowed ? 0 : staff.retryAfterSeconds, store.allowed ? 0 : store.retryAfterSeconds));
    }
    let failed = false;
    try {
      return await look();
    } catch (err) {
      failed = err instanceof AppError && err.code === ErrorCode.CODE_INVALID;
      throw err;
    } finally {
      if (!failed) await Promise.all([rateLimits.refund('lookup-staff', actor.staffId), rateLimits.refund('lookup-store', actor.storeId)]);
    }
  }

  /** The first look-up over a limit in its window tells HQ (once: `crossed` is true for one attempt only). */
  private async alert(
    actor: Actor & { type: 'staff' },
    requestId: string | undefined,
    counted: { crossed: boolean },
    targetType: 'staff' | 'store',
    targetId: string,
  ): Promise<void> {
    if (!counted.crossed) return;
    await this.deps.audit.record(actor, requestId ?? `scan-${randomUUID()}`, {
      action: 'security.scan_failures',
      targetType,
      targetId,
      after: { failures: LOOKUP_LIMITS[`lookup-${targetType}`].points, windowMinutes: LOOKUP_LIMITS[`lookup-${targetType}`].windowSeconds / 60 },
    });
  }
}
