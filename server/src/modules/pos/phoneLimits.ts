import { randomUUID } from 'node:crypto';
import type { LimitSpec, RateLimits } from '../../lib/rateLimit';
import { errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';

// A till identifying members by phone number could be used to learn which numbers belong to members. Each
// POS key may look up 120 numbers per 10 minutes (one every 5 seconds, more than a till at a busy counter
// types) and miss 20 of them; going over blocks the key's phone look-ups for 10 minutes (429 RATE_LIMITED with
// Retry-After) and, the first time in a window, tells HQ (audit: security.pos_phone_lookups). Member codes
// are not counted here: they are limited like the counter's scans (CodeLookups).

export const POS_PHONE_LIMITS = {
  'pos-phone': { points: 120, windowSeconds: 10 * 60, blockSeconds: 10 * 60 },
  'pos-phone-miss': { points: 20, windowSeconds: 10 * 60, blockSeconds: 10 * 60 },
} satisfies Record<string, LimitSpec>;

export class PosPhoneLookups {
  constructor(private readonly deps: { rateLimits: RateLimits; audit: AuditService }) {}

  /** Runs one phone look-up under the key's limits; a miss (no member) keeps its point in the miss limit. */
  async guard<T>(actor: Extract<Actor, { type: 'staff' }>, requestId: string, look: () => Promise<T | null>, miss: () => Error): Promise<T> {
    const { rateLimits } = this.deps;
    const key = actor.staffId; // pos:<keyId>
    const [all, misses] = await Promise.all([rateLimits.attempt('pos-phone', key), rateLimits.attempt('pos-phone-miss', key)]);
    if (!all.allowed || !misses.allowed) {
      if (all.allowed) await rateLimits.refund('pos-phone', key);
      if (misses.allowed) await rateLimits.refund('pos-phone-miss', key);
      const crossed = (all.crossed && !all.allowed) || (misses.crossed && !misses.allowed);
      if (crossed) {
        await this.deps.audit.record(actor, requestId || `pos-${randomUUID()}`, {
          action: 'security.pos_phone_lookups',
          targetType: 'store',
          targetId: actor.storeId,
          after: { keyId: key.replace(/^pos:/, ''), lookups: all.count, misses: misses.count, windowMinutes: 10 },
        });
      }
      throw errors.rateLimited(Math.max(all.allowed ? 0 : all.retryAfterSeconds, misses.allowed ? 0 : misses.retryAfterSeconds));
    }
    const found = await look();
    if (found === null) throw miss();
    await rateLimits.refund('pos-phone-miss', key);
    return found;
  }
}
