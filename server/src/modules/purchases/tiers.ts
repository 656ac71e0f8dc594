import { reviewTier, tierReviewYear, type TierLadder, type TierList } from '@membercard/shared';
import type mongoose from 'mongoose';
import type { Types } from 'mongoose';
import { AppError, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { inTransaction } from '../../lib/transactions';
import { ErrorCode } from '@membercard/shared';
import type { AuditService } from '../audit/service';
import type { MemberDoc, memberModel } from '../members/model';
import type { SettingsService } from '../settings/service';
import type { tierReviewModel } from './model';
import type { PurchasesService } from './service';

// The tier ladder HQ edits, and the yearly review. Upgrades happen at the purchase that crosses a threshold
// (PurchasesService); downgrades only here, once a calendar year (China time), at most one tier. The
// review's `${year}:${memberId}` record is inserted in the same transaction as the member's change, so a
// re-run (crash, second instance, manual `npm run job`) reviews nobody twice in a year.

interface Deps {
  connection: mongoose.Connection;
  members: ReturnType<typeof memberModel>;
  reviews: ReturnType<typeof tierReviewModel>;
  purchases: PurchasesService;
  settings: SettingsService;
  audit: AuditService;
  now: () => Date;
}

export class TiersService {
  constructor(private readonly deps: Deps) {}

  async list(): Promise<TierList> {
    return { items: (await this.deps.settings.get()).tiers, nextCursor: null };
  }

  async ladder(): Promise<{ tiers: TierLadder }> {
    return { tiers: (await this.deps.settings.get()).tiers };
  }

  /**
   * Replaces the ladder; a tier some member still holds, or that an earn campaign names, may not be removed
   * (409 CONFLICT naming it: the campaign would silently stop matching anyone). Audited.
   */
  async update(actor: Actor, tiers: TierLadder, requestId: string): Promise<{ tiers: TierLadder }> {
    const { settings, members, audit } = this.deps;
    const current = await settings.get();
    const kept = new Set(tiers.map((tier) => tier.code));
    for (const removed of current.tiers.filter((tier) => !kept.has(tier.code))) {
      if (await members.exists({ status: 'active', tier: removed.code })) {
        throw new AppError(ErrorCode.CONFLICT, `Members still hold tier ${removed.code}; keep it in the ladder.`, { tier: removed.code, reason: 'held' });
      }
      const campaign = current.earnRules.campaigns.find((c) => c.tiers?.includes(removed.code));
      if (campaign) {
        throw new AppError(ErrorCode.CONFLICT, `Earn campaign ${campaign.name} names tier ${removed.code}; change the campaign first.`, { tier: removed.code, reason: 'campaign', campaignId: campaign.id });
      }
    }
    const updated = await settings.update({ tiers });
    await audit.record(actor, requestId, { action: 'tiers.update', targetType: 'settings', targetId: 'tiers', before: current.tiers, after: updated.tiers });
    return { tiers: updated.tiers };
  }

  /**
   * The yearly review: each member above the entry tier, or with the spend for a higher one, gets the tier
   * reviewTier gives for their trailing spend (down one tier at most). spend12mFen is brought up to date
   * first, since the review reads it.
   */
  async review(options: { batchSize?: number; touch?: () => Promise<void> } = {}): Promise<number> {
    const { members, reviews, connection, settings, purchases, now } = this.deps;
    await purchases.ageOutSpend(options);
    const { tiers } = await settings.get();
    const ladder = [...tiers].sort((a, b) => a.minSpendFen - b.minSpendFen);
    const entry = ladder[0]!;
    const year = tierReviewYear(now());
    const candidates: Record<string, unknown> = {
      status: 'active',
      $or: [{ tier: { $ne: entry.code } }, ...(ladder[1] ? [{ spend12mFen: { $gte: ladder[1].minSpendFen } }] : [])],
    };
    let changed = 0;
    let seen = 0;
    const cursor = members.find(candidates, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>().cursor({ batchSize: options.batchSize ?? 500 });
    for await (const { _id } of cursor) {
      const moved = await inTransaction(connection, undefined, async (session) => {
        const member = await members.findById(_id, { status: 1, tier: 1, spend12mFen: 1 }).session(session).lean<MemberDoc>();
        if (!member || member.status !== 'active') return false;
        const key = `${year}:${String(_id)}`;
        if (await reviews.exists({ _id: key }).session(session)) return false; // reviewed this year already
        const at = now();
        const next = reviewTier(ladder, member.tier, member.spend12mFen);
        await reviews.create([{ _id: key, memberId: _id, year, from: member.tier, to: next.code, spendFen: member.spend12mFen, reviewedAt: at }], { session });
        if (next.code === member.tier) return false;
        await members.updateOne({ _id, tier: member.tier }, { $set: { tier: next.code, tierSince: at } }, { session });
        return true;
      }).catch((err) => {
        // A parallel run booked this member's review first.
        if (isDuplicateKeyError(err)) return false;
        throw err;
      });
      if (moved) changed++;
      if (++seen % 500 === 0) await options.touch?.();
    }
    return changed;
  }
}
