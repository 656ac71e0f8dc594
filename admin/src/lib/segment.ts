import type { Segment } from '../api/types';
import { fenToYuanText } from './format';

// The segment builder's form holds friendly values (yuan, date pickers, a tri-state switch); the wire
// segment holds only the conditions that are set, since every key present narrows the audience.

export interface SegmentFormValues {
  tiers?: string[];
  homeStoreIds?: string[];
  joinedAfter?: string | null;
  joinedBefore?: string | null;
  birthdayMonth?: number | null;
  minPointsBalance?: number | null;
  minSpendYuan12m?: number | null;
  purchasedWithinDays?: number | null;
  notPurchasedWithinDays?: number | null;
  profileComplete?: 'any' | 'yes' | 'no';
  tags?: string[];
  /** "Bought this category within N days": both or neither. */
  boughtCategory?: string | null;
  boughtCategoryDays?: number | null;
  /** "Spent at least ¥Y on this category in 12 months": both or neither. */
  spendCategory?: string | null;
  spendCategoryYuan?: number | null;
}

function isSetNumber(value: number | null | undefined): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

export function segmentFromForm(values: SegmentFormValues): Segment {
  const segment: Segment = {};
  if (values.tiers?.length) segment.tiers = values.tiers;
  if (values.homeStoreIds?.length) segment.homeStoreIds = values.homeStoreIds;
  if (values.joinedAfter) segment.joinedAfter = values.joinedAfter;
  if (values.joinedBefore) segment.joinedBefore = values.joinedBefore;
  if (isSetNumber(values.birthdayMonth)) segment.birthdayMonth = values.birthdayMonth;
  if (isSetNumber(values.minPointsBalance)) segment.minPointsBalance = values.minPointsBalance;
  if (isSetNumber(values.minSpendYuan12m)) segment.minSpendFen12m = Math.round(values.minSpendYuan12m * 100);
  if (isSetNumber(values.purchasedWithinDays)) segment.purchasedWithinDays = values.purchasedWithinDays;
  if (isSetNumber(values.notPurchasedWithinDays)) segment.notPurchasedWithinDays = values.notPurchasedWithinDays;
  if (values.profileComplete === 'yes') segment.profileComplete = true;
  if (values.profileComplete === 'no') segment.profileComplete = false;
  const tags = values.tags?.map((tag) => tag.trim()).filter(Boolean);
  if (tags?.length) segment.tags = tags;
  // A category alone (no days or amount yet) is not a condition: it would match every buyer of it.
  if (values.boughtCategory && isSetNumber(values.boughtCategoryDays)) segment.boughtCategory = { category: values.boughtCategory, withinDays: values.boughtCategoryDays };
  if (values.spendCategory && isSetNumber(values.spendCategoryYuan)) segment.categorySpend = { category: values.spendCategory, minFen: Math.round(values.spendCategoryYuan * 100) };
  return segment;
}

export function segmentToForm(segment: Segment): SegmentFormValues {
  return {
    tiers: segment.tiers ?? [],
    homeStoreIds: segment.homeStoreIds ?? [],
    joinedAfter: segment.joinedAfter ?? null,
    joinedBefore: segment.joinedBefore ?? null,
    birthdayMonth: segment.birthdayMonth ?? null,
    minPointsBalance: segment.minPointsBalance ?? null,
    minSpendYuan12m: segment.minSpendFen12m === undefined ? null : segment.minSpendFen12m / 100,
    purchasedWithinDays: segment.purchasedWithinDays ?? null,
    notPurchasedWithinDays: segment.notPurchasedWithinDays ?? null,
    profileComplete: segment.profileComplete === undefined ? 'any' : segment.profileComplete ? 'yes' : 'no',
    tags: segment.tags ?? [],
    boughtCategory: segment.boughtCategory?.category ?? null,
    boughtCategoryDays: segment.boughtCategory?.withinDays ?? null,
    spendCategory: segment.categorySpend?.category ?? null,
    spendCategoryYuan: segment.categorySpend === undefined ? null : segment.categorySpend.minFen / 100,
  };
}

/** A stable key, so the live count is fetched again only when the conditions really change. */
export function segmentKey(segment: Segment): string {
  const sorted = Object.keys(segment)
    .sort()
    .map((key) => [key, segment[key as keyof Segment]]);
  return JSON.stringify(sorted);
}

/** One short phrase per condition, for tags and confirmations. */
export function describeSegment(
  segment: Segment,
  t: (zh: string, en: string) => string,
  names: { tier?: (code: string) => string; store?: (id: string) => string; category?: (code: string) => string } = {},
): string[] {
  const tierName = names.tier ?? ((code: string) => code);
  const categoryName = names.category ?? ((code: string) => code);
  const storeName = names.store ?? ((id: string) => id);
  const parts: string[] = [];
  if (segment.tiers?.length) parts.push(t('等级', 'Tier') + ': ' + segment.tiers.map(tierName).join('/'));
  if (segment.homeStoreIds?.length) parts.push(t('归属门店', 'Home store') + ': ' + segment.homeStoreIds.map(storeName).join('/'));
  if (segment.joinedAfter) parts.push(t('入会晚于 ', 'Joined after ') + segment.joinedAfter.slice(0, 10));
  if (segment.joinedBefore) parts.push(t('入会早于 ', 'Joined before ') + segment.joinedBefore.slice(0, 10));
  if (segment.birthdayMonth) parts.push(t(`${segment.birthdayMonth}月生日`, `Birthday in month ${segment.birthdayMonth}`));
  if (segment.minPointsBalance !== undefined) parts.push(t(`积分 ≥ ${segment.minPointsBalance}`, `Points ≥ ${segment.minPointsBalance}`));
  if (segment.minSpendFen12m !== undefined) parts.push(t(`12个月消费 ≥ ¥${segment.minSpendFen12m / 100}`, `12-month spend ≥ ¥${segment.minSpendFen12m / 100}`));
  if (segment.purchasedWithinDays !== undefined) parts.push(t(`${segment.purchasedWithinDays}天内有消费`, `Bought within ${segment.purchasedWithinDays} days`));
  if (segment.notPurchasedWithinDays !== undefined) parts.push(t(`${segment.notPurchasedWithinDays}天内未消费`, `No purchase in ${segment.notPurchasedWithinDays} days`));
  if (segment.profileComplete !== undefined) parts.push(segment.profileComplete ? t('资料已完善', 'Profile complete') : t('资料未完善', 'Profile incomplete'));
  if (segment.tags?.length) parts.push(t('标签', 'Tags') + ': ' + segment.tags.join('/'));
  if (segment.boughtCategory) {
    const { category, withinDays } = segment.boughtCategory;
    parts.push(t(`${withinDays}天内买过「${categoryName(category)}」`, `Bought ${categoryName(category)} within ${withinDays} days`));
  }
  if (segment.categorySpend) {
    const { category, minFen } = segment.categorySpend;
    parts.push(t(`12个月「${categoryName(category)}」消费 ≥ ${fenToYuanText(minFen)}`, `12-month ${categoryName(category)} spend ≥ ${fenToYuanText(minFen)}`));
  }
  return parts;
}
