import { DAY_MS } from '../common/china-time';
import type { Segment } from './schema';

/** A MongoDB filter over the members collection (see compileSegment for the fields it uses). */
export type MemberFilter = Record<string, unknown>;

/**
 * Compiles a segment into ONE MongoDB filter over members, so preview counts and campaign pushes are answered
 * by indexes. Member fields used: status ('active' | 'erased'; only active members are ever targeted), tier,
 * homeStoreId, joinedAt, birthdayMonth (1–12), pointsBalance, spend12mFen, lastPurchaseAt (Date | null),
 * profileComplete, tags, categoryStats (one element per category the member bought: category, lastAt,
 * spend12mFen, visits; maintained with each purchase and return, indexed as (status, category, lastAt) and
 * (status, category, spend12mFen), so category conditions are an $elemMatch on one element, never a scan of
 * purchases). "Within N days" counts back N × 24 h from `now`.
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

  // Both category conditions on one category are one element's; on two categories, two elements. The
  // category's equality also stands beside them (implied by the $elemMatch) so any planner sees the index prefix.
  const { boughtCategory, categorySpend } = segment;
  const bought = boughtCategory && { category: boughtCategory.category, lastAt: { $gte: daysAgo(boughtCategory.withinDays) } };
  const spent = categorySpend && { category: categorySpend.category, spend12mFen: { $gte: categorySpend.minFen } };
  const first = bought ?? spent;
  if (first) filter['categoryStats.category'] = first.category;
  if (bought && spent && bought.category === spent.category) filter.categoryStats = { $elemMatch: { ...bought, ...spent } };
  else if (bought && spent) filter.$and = [{ categoryStats: { $elemMatch: bought } }, { categoryStats: { $elemMatch: spent } }];
  else if (first) filter.categoryStats = { $elemMatch: first };
  return filter;
}
