import { randomUUID } from 'node:crypto';
import { errors } from '../../lib/errors';
import { addressKey, type LimitSpec, type RateLimits } from '../../lib/rateLimit';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';

// Sign-in limits that a stranger cannot turn against the account's owner. Only failures count, and they
// count against the address they came from: 5 in a row for one account from one address, 30 from one
// address over all accounts. No counter refuses an address for failures made elsewhere, so a storm of wrong
// passwords from other addresses never refuses the right password from an address that has not failed.
// The account-wide count only watches: past 20 failures in an hour HQ gets one audit entry
// (security.login_failures), and while it stays over, an address that has already failed on that account
// gets no second try (a botnet gets one guess per address instead of five).

export const SIGN_IN_LIMITS = {
  /** Failures in a row for one account from one address; a success clears it. */
  'login-pair': { points: 5, windowSeconds: 15 * 60, blockSeconds: 15 * 60 },
  /** Failures from one address over all accounts; each success gives its attempt back. */
  'login-address': { points: 30, windowSeconds: 15 * 60, blockSeconds: 15 * 60 },
  /** Failures on one account from anywhere: watched, never refused as such. */
  'login-account-watch': { points: 20, windowSeconds: 60 * 60 },
} satisfies Record<string, LimitSpec>;

const ACCOUNT_ALERT_FAILURES = SIGN_IN_LIMITS['login-account-watch'].points;

interface Deps {
  rateLimits: RateLimits;
  audit: AuditService;
}

/** The account a failed sign-in named, when it exists, to record the alert in its name. */
export interface SignInAccount {
  _id: unknown;
  role: string;
  storeId: string | null;
}

export interface SignInAttempt {
  /** The password was right: clears this address's failures for the account and gives its attempt back. */
  succeeded(): Promise<void>;
  /** The sign-in failed (unknown account, wrong password, disabled, wrong door): the attempt stays counted. */
  failed(found: SignInAccount | null | undefined): Promise<void>;
}

/**
 * Counts a sign-in attempt before the password is checked (parallel guesses cannot all slip under a limit),
 * refusing with 429 RATE_LIMITED when this address is over a limit; the caller then reports the outcome.
 */
export async function beginSignIn(deps: Deps, account: string, ip: string): Promise<SignInAttempt> {
  const { rateLimits, audit } = deps;
  const address = addressKey(ip);
  const pairKey = `${account}|${address}`;
  await rateLimits.consume('login-address', address);
  const pair = await rateLimits.consume('login-pair', pairKey);
  if (pair.count > 1 && (await rateLimits.count('login-account-watch', account)) > ACCOUNT_ALERT_FAILURES) {
    // The account is under a storm: an address that has already failed on it waits out its window.
    throw errors.rateLimited(pair.retryAfterSeconds);
  }
  return {
    async succeeded() {
      await Promise.all([rateLimits.reset('login-pair', pairKey), rateLimits.refund('login-address', address)]);
    },
    async failed(found) {
      const watched = await rateLimits.attempt('login-account-watch', account);
      if (!watched.crossed || !found) return;
      // Once per window, in the name of the account whose sign-ins failed (the audit log names staff or HQ).
      const staffId = String(found._id);
      // HQ accounts are the ones without a store.
      const actor = (
        found.storeId
          ? { type: 'staff', staffId, role: found.role, storeId: found.storeId, sessionId: '' }
          : { type: 'admin', staffId, role: found.role, sessionId: '' }
      ) as Actor;
      await audit.record(actor, `sign-in-${randomUUID()}`, {
        action: 'security.login_failures',
        targetType: 'staff',
        targetId: staffId,
        after: { username: account, failures: watched.count, windowMinutes: SIGN_IN_LIMITS['login-account-watch'].windowSeconds / 60, lastAddress: address },
      });
    },
  };
}
