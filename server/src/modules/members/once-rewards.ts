import { createHmac } from 'node:crypto';
import type { ClientSession } from 'mongoose';
import { isDuplicateKeyError } from '../../lib/errors';
import { deriveKey } from '../../lib/secretBox';
import type { onceRewardClaimModel } from './model';

// Rewards a person may have once in their life with the programme, not once per membership: erasing the
// account and joining again with the same WeChat account must not pay them again. Each is claimed against the
// WeChat identity in the same transaction that pays it (an upsert on `<reward>:<hash>`, so of two parallel
// claims one inserts and the other finds it). The identity is kept only as HMAC-SHA256(openid) under a key
// derived with HKDF from IDENTITY_HASH_SECRET (or JWT_SECRET when that is unset): the same on every instance,
// not reversible without the secret, and not linkable to the erased member's record (no member id or date is
// stored with it). A new secret forgets every claim, so IDENTITY_HASH_SECRET lets JWT_SECRET be rotated alone.

/** `join`: the first membership (the welcome gift follows it); `profile_bonus`: the profile-completion bonus. */
export type OnceReward = 'join' | 'profile_bonus';

const HKDF_INFO = 'membercard once-only rewards: WeChat identity hash v1';

export class OnceRewards {
  private readonly key: Buffer;

  constructor(
    private readonly claims: ReturnType<typeof onceRewardClaimModel>,
    serverSecret: string,
  ) {
    this.key = deriveKey(serverSecret, HKDF_INFO);
  }

  /** The keyed hash that stands for the WeChat account (hex). */
  identity(openid: string): string {
    return createHmac('sha256', this.key).update(openid, 'utf8').digest('hex');
  }

  /** Claims the reward for this WeChat account; true if this is the first claim ever. */
  async claim(openid: string, reward: OnceReward, session?: ClientSession): Promise<boolean> {
    try {
      const result = await this.claims.updateOne(
        { _id: `${reward}:${this.identity(openid)}` },
        { $setOnInsert: { reward } },
        { upsert: true, session },
      );
      return result.upsertedCount === 1;
    } catch (err) {
      // Two upserts outside a transaction can both miss and race to insert: the loser was not first.
      if (!session && isDuplicateKeyError(err)) return false;
      throw err;
    }
  }
}
