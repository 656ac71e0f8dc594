import { DAY_MS } from '../common/china-time';
import type { Segment } from './schema';

/** A MongoDB filter over the members collection (see compileSegment for the fields it uses). */
export type MemberFilter = Record<string, unknown>;

/**
 * Compiles a segment into ONE MongoDB filter over members, so preview counts and campaign pushes are answered
 * by indexes. Member fields used: status ('active' | 'erased'; only active members are ever targeted), tier,
 * homeStoreId, joinedAt, birthdayMonth (1–12), pointsBalance, spend12mFen, lastPurchaseAt (Date | null),
 * profileComplete, tags. "Within N days" counts back N × 24 h from `now`.
 */
export function compileSegment(segment: Segment, now: Date): MemberFilter {
  const filter: MemberFilter = { status: 'active' };
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);

  if (segment.tiers) filter.tier = { $in: [...segment.tiers] };
  if (segment.homeStoreIds) filter.homeStoreId = { $in: [...segment.homeStoreIds] };
  if (segment.tags) filter.tags = { $in: [...segment.tags] };
  if (segment.birthdayMonth !== undefined) filter.birthdayMonth = segment.birthdayMonth;
  if (segment.profileComplete !== undefined) filter.profileComplete = segment.profileComplete;
  if (segment.minPointsBalance !== undefined) filter.pointsBalance = { $gte: segment.minPointsBalance };
  if (segment.minSpendFen12m !== undefined) filter.spend12mFen = { $gte: segment.minSpendFen12m };

  if (segment.joinedAfter !== undefined || segment.joinedBefore !== undefined) {
    filter.joinedAt = {
      ...(segment.joinedAfter !== undefined && { $gte: new Date(segment.joinedAfter) }),
      ...(segment.joinedBefore !== undefined && { $lt: new Date(segment.joinedBefore) }),
    };
  }

  const { purchasedWithinDays, notPurchasedWithinDays } = segment;
  if (purchasedWithinDays !== undefined) {
    // A range on a Date never matches null, so members who never purchased drop out here.
    filter.lastPurchaseAt = {
      $gte: daysAgo(purchasedWithinDays),
      ...(notPurchasedWithinDays !== undefined && { $lt: daysAgo(notPurchasedWithinDays) }),
    };
  } else if (notPurchasedWithinDays !== undefined) {
    // $not also matches null and missing: members who never purchased have not purchased recently either.
    filter.lastPurchaseAt = { $not: { $gte: daysAgo(notPurchasedWithinDays) } };
  }
  return filter;
}
