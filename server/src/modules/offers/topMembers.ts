import { TOP_MEMBER_SHARE, TOP_MEMBER_TAGS, type TopMembersSummary } from '@membercard/shared';
import { isDuplicateKeyError } from '../../lib/errors';
import type { memberTagModel } from '../members/admin-model';
import type { memberModel } from '../members/model';
import type { TopMembersDoc, topMembersModel } from './model';

// The head of the Pareto curve (seed 000: personal service for the head): the top 20% of members with spend by
// 12-month spend, brand-wide and within each home store, kept daily as two member tags, so segments, the member
// list and the counter read them like any tag. Each run finds the cut-off spend through the (status, spend12mFen)
// index, tags everyone at or above it who is not tagged, and untags everyone tagged below it: both updates are
// conditional, so a repeat (or a run after a crash) changes only what is still wrong.

interface Deps {
  members: ReturnType<typeof memberModel>;
  tags: ReturnType<typeof memberTagModel>;
  top: ReturnType<typeof topMembersModel>;
  now: () => Date;
}

export class TopMembers {
  constructor(private readonly deps: Deps) {}

  /** The daily job: answers how many members' tags changed. */
  async refresh(): Promise<{ processed: number }> {
    const { members, top, now } = this.deps;
    await this.ensureTags();
    let processed = 0;
    const brand = await this.flag({}, TOP_MEMBER_TAGS.brand);
    processed += brand.changed;
    const storeIds = (await members.distinct('homeStoreId', { status: 'active', spend12mFen: { $gt: 0 } })).filter((s): s is string => typeof s === 'string').sort();
    const stores: TopMembersDoc['stores'] = [];
    for (const storeId of storeIds) {
      const store = await this.flag({ homeStoreId: storeId }, TOP_MEMBER_TAGS.store);
      processed += store.changed;
      stores.push({ storeId, members: store.members, thresholdFen: store.thresholdFen });
    }
    // Members whose home store has no spender left (or who have none) lose the store flag.
    processed += (await members.updateMany({ tags: TOP_MEMBER_TAGS.store, homeStoreId: { $nin: storeIds } }, { $pull: { tags: TOP_MEMBER_TAGS.store } })).modifiedCount;
    const spendShare = await this.spendShare(brand.thresholdFen);
    await top.updateOne(
      { _id: 'latest' },
      { $set: { computedAt: now(), brand: { members: brand.members, thresholdFen: brand.thresholdFen, spendShare }, stores } },
      { upsert: true },
    );
    return { processed };
  }

  async summary(): Promise<TopMembersSummary> {
    const doc = await this.deps.top.findById('latest').lean<TopMembersDoc>();
    return {
      computedAt: doc ? doc.computedAt.toISOString() : null,
      share: TOP_MEMBER_SHARE,
      brand: doc?.brand ?? { members: 0, thresholdFen: null, spendShare: null },
      stores: doc?.stores ?? [],
      tags: { ...TOP_MEMBER_TAGS },
    };
  }

  /** Tags the top share of `scope` (active members with spend) and untags the rest of the scope. */
  private async flag(scope: Record<string, unknown>, tag: string): Promise<{ members: number; thresholdFen: number | null; changed: number }> {
    const { members } = this.deps;
    const spenders = { ...scope, status: 'active', spend12mFen: { $gt: 0 } };
    const count = await members.countDocuments(spenders);
    const head = Math.ceil(count * TOP_MEMBER_SHARE);
    let thresholdFen: number | null = null;
    if (head > 0) {
      const cut = await members.find(spenders, { spend12mFen: 1 }).sort({ spend12mFen: -1 }).skip(head - 1).limit(1).lean<Array<{ spend12mFen: number }>>();
      thresholdFen = cut[0]?.spend12mFen ?? null;
    }
    let changed = 0;
    if (thresholdFen !== null) {
      changed += (await members.updateMany({ ...scope, status: 'active', spend12mFen: { $gte: thresholdFen }, tags: { $ne: tag } }, { $addToSet: { tags: tag } })).modifiedCount;
    }
    const below = thresholdFen === null ? {} : { $or: [{ spend12mFen: { $lt: thresholdFen } }, { status: { $ne: 'active' } }] };
    changed += (await members.updateMany({ ...scope, tags: tag, ...below }, { $pull: { tags: tag } })).modifiedCount;
    const flagged = thresholdFen === null ? 0 : await members.countDocuments({ ...scope, status: 'active', tags: tag });
    return { members: flagged, thresholdFen, changed };
  }

  /** The share of all active members' 12-month spend the brand's top members bring. */
  private async spendShare(thresholdFen: number | null): Promise<number | null> {
    if (thresholdFen === null) return null;
    const [row] = await this.deps.members.aggregate<{ all: number; head: number }>([
      { $match: { status: 'active', spend12mFen: { $gt: 0 } } },
      { $group: { _id: null, all: { $sum: '$spend12mFen' }, head: { $sum: { $cond: [{ $gte: ['$spend12mFen', thresholdFen] }, '$spend12mFen', 0] } } } },
    ]);
    return row && row.all > 0 ? row.head / row.all : null;
  }

  /** The two tags exist in HQ's tag list (so the segment builder offers them). */
  private async ensureTags(): Promise<void> {
    for (const name of Object.values(TOP_MEMBER_TAGS)) {
      try {
        await this.deps.tags.updateOne({ name }, { $setOnInsert: { name, createdBy: 'system', createdAt: this.deps.now() } }, { upsert: true });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
  }
}
