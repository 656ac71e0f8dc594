import { campaignLift, DAY_MS, RunningSummary, type CampaignResults, type OfferResultRow, type OfferRunResults } from '@membercard/shared';
import type { Types } from 'mongoose';
import type { categoryModel, CategoryDoc } from '../categories/model';
import type { CampaignDoc, campaignModel } from '../campaigns/model';
import { couponCostFen } from '../campaigns/rollups';
import type { CouponTemplateDoc, couponTemplateModel, RedemptionDoc, redemptionModel } from '../coupons/model';
import type { purchaseModel } from '../purchases/model';
import type { OfferAssignmentDoc, offerAssignmentModel, OfferRunDoc } from './model';

// A run's results against its holdout (members planned alike but issued nothing), in the window after the run:
// redemption rate and cost of the run's coupons, visit rate and spend per member treated vs holdout and the
// increments they imply; per category (members whose plan had an offer for the category, their spend on that
// category) and per tier; and, beside them, the brand's broadcast campaigns launched in the same period with the
// campaigns' own results. Purchases are read a slice of members at a time through the member/time index.

const MEMBERS_PER_READ = 2000;

interface Deps {
  assignments: ReturnType<typeof offerAssignmentModel>;
  purchases: ReturnType<typeof purchaseModel>;
  redemptions: ReturnType<typeof redemptionModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  campaigns: ReturnType<typeof campaignModel>;
  /** A campaign's own results (the campaigns module's answer to HQ). */
  campaignResults: (campaignId: string) => Promise<CampaignResults>;
  categories: ReturnType<typeof categoryModel>;
}

interface Tally {
  treated: { members: number; visitors: number; spend: RunningSummary };
  held: { members: number; visitors: number; spend: RunningSummary };
  issued: number;
  redeemed: number;
  costFen: number;
}

const newTally = (): Tally => ({
  treated: { members: 0, visitors: 0, spend: new RunningSummary() },
  held: { members: 0, visitors: 0, spend: new RunningSummary() },
  issued: 0, redeemed: 0, costFen: 0,
});

export async function offerRunResults(deps: Deps, run: OfferRunDoc, now: Date): Promise<OfferRunResults> {
  const from = run.startedAt;
  const windowEnd = new Date(from.getTime() + run.settings.windowDays * DAY_MS);
  const until = windowEnd < now ? windowEnd : now;
  const total = newTally();
  const byCategory = new Map<string, Tally>();
  const byTier = new Map<string, Tally>();
  const tallyOf = (map: Map<string, Tally>, key: string) => map.get(key) ?? map.set(key, newTally()).get(key)!;
  /** The category (or null) and tier of each coupon the run issued, for its redemptions. */
  const coupons = new Map<string, { category: string | null; tier: string }>();

  let slice: OfferAssignmentDoc[] = [];
  const readSlice = async () => {
    if (slice.length === 0) return;
    const bought = await purchasesInWindow(deps, slice.map((a) => a.memberId), from, until);
    for (const plan of slice) {
      const purchase = bought.get(plan.memberId.toHexString());
      const spend = purchase?.spendFen ?? 0;
      for (const tally of [total, tallyOf(byTier, plan.tier)]) {
        const group = plan.holdout ? tally.held : tally.treated;
        group.members += 1;
        if (purchase) group.visitors += 1;
        group.spend.add(spend);
      }
      for (const category of new Set(plan.picks.map((p) => p.category).filter((c): c is string => c !== null))) {
        const group = plan.holdout ? tallyOf(byCategory, category).held : tallyOf(byCategory, category).treated;
        const categorySpend = purchase?.byCategory.get(category) ?? 0;
        group.members += 1;
        if (categorySpend > 0) group.visitors += 1;
        group.spend.add(categorySpend);
      }
      if (plan.holdout) continue;
      for (const pick of plan.picks) {
        if (!pick.couponId) continue;
        coupons.set(String(pick.couponId), { category: pick.category, tier: plan.tier });
        total.issued += 1;
        tallyOf(byTier, plan.tier).issued += 1;
        if (pick.category) tallyOf(byCategory, pick.category).issued += 1;
      }
    }
    slice = [];
  };
  const cursor = deps.assignments.find({ runId: run._id }).sort({ memberId: 1 }).lean<OfferAssignmentDoc[]>().cursor({ batchSize: MEMBERS_PER_READ });
  for await (const plan of cursor) {
    slice.push(plan);
    if (slice.length >= MEMBERS_PER_READ) await readSlice();
  }
  await readSlice();

  // The run's redemptions (the redemptions' channel index), costed by their template's terms.
  const redemptions = await deps.redemptions
    .find({ channel: 'offer', channelRef: String(run._id), status: 'redeemed' }, { couponId: 1, templateId: 1, savingFen: 1 })
    .lean<Array<Pick<RedemptionDoc, 'couponId' | 'templateId' | 'savingFen'>>>();
  const templates = new Map(
    (await deps.templates.find({ _id: { $in: [...new Set(redemptions.map((r) => String(r.templateId)))] } }, { type: 1, amountOffFen: 1 }).lean<CouponTemplateDoc[]>()).map((t) => [String(t._id), t]),
  );
  for (const redemption of redemptions) {
    const cost = couponCostFen(templates.get(String(redemption.templateId)) ?? null, redemption.savingFen);
    const coupon = coupons.get(String(redemption.couponId));
    const tallies = [total];
    if (coupon) tallies.push(tallyOf(byTier, coupon.tier));
    if (coupon?.category) tallies.push(tallyOf(byCategory, coupon.category));
    for (const tally of tallies) {
      tally.redeemed += 1;
      tally.costFen += cost;
    }
  }

  const names = new Map((await deps.categories.find({ _id: { $in: [...byCategory.keys()] } }, { name: 1 }).lean<Array<Pick<CategoryDoc, '_id' | 'name'>>>()).map((c) => [c._id, c.name]));
  const rows = (map: Map<string, Tally>, name: (key: string) => string | null) =>
    [...map].sort(([a, x], [b, y]) => y.issued - x.issued || a.localeCompare(b)).map(([key, tally]) => row(key, name(key), tally));

  return {
    runId: String(run._id),
    window: { from: from.toISOString(), until: until.toISOString(), open: windowEnd > now },
    total: row(null, null, total),
    byCategory: rows(byCategory, (key) => names.get(key) ?? key),
    byTier: rows(byTier, () => null),
    broadcast: await broadcastInPeriod(deps, from, windowEnd),
  };
}

/** Campaigns launched from one window before the run to the end of its window, with their own results. */
async function broadcastInPeriod(deps: Deps, from: Date, windowEnd: Date): Promise<OfferRunResults['broadcast']> {
  const length = windowEnd.getTime() - from.getTime();
  const campaigns = await deps.campaigns
    .find({ launchedAt: { $gte: new Date(from.getTime() - length), $lt: windowEnd } })
    .sort({ launchedAt: 1 })
    .limit(20)
    .lean<CampaignDoc[]>();
  const answers: OfferRunResults['broadcast'] = [];
  for (const campaign of campaigns) {
    const results = await deps.campaignResults(String(campaign._id));
    answers.push({
      campaignId: String(campaign._id), name: campaign.name, launchedAt: campaign.launchedAt!.toISOString(),
      issued: results.total.issued, redeemed: results.total.redeemed, redemptionRate: results.total.redemptionRate, couponCostFen: results.total.couponCostFen,
      visitRateDiff: results.total.visitRate.diff, spendPerMemberDiffFen: results.total.spendPerMember.diffFen,
    });
  }
  return answers;
}

function row(key: string | null, name: string | null, tally: Tally): OfferResultRow {
  const lift = campaignLift(
    { members: tally.treated.members, visitors: tally.treated.visitors, spend: tally.treated.spend.summary() },
    { members: tally.held.members, visitors: tally.held.visitors, spend: tally.held.spend.summary() },
  );
  const visitDiff = lift.visitRate.diff;
  const spendDiff = lift.spendPerMember.diffFen;
  return {
    key,
    name,
    treatedMembers: tally.treated.members,
    holdoutMembers: tally.held.members,
    issued: tally.issued,
    redeemed: tally.redeemed,
    redemptionRate: tally.issued > 0 ? Math.min(1, tally.redeemed / tally.issued) : 0,
    couponCostFen: tally.costFen,
    visitRate: { treated: lift.visitRate.treated, holdout: lift.visitRate.holdout, diff: visitDiff },
    spendPerMemberFen: { treated: lift.spendPerMember.treatedFen, holdout: lift.spendPerMember.holdoutFen, diff: spendDiff },
    incrementalVisits: visitDiff === null ? null : visitDiff * tally.treated.members,
    incrementalSpendFen: spendDiff === null ? null : Math.round(spendDiff * tally.treated.members),
    tooSmall: lift.tooSmall,
  };
}

/** Each member's booked purchases in [from, until): spend in all and by category (line amounts). */
async function purchasesInWindow(deps: Deps, memberIds: Types.ObjectId[], from: Date, until: Date): Promise<Map<string, { spendFen: number; byCategory: Map<string, number> }>> {
  const purchases = await deps.purchases.collection
    .find<{ memberId: Types.ObjectId; amountFen: number; lines?: Array<{ category: string; amountFen: number }> }>(
      { memberId: { $in: memberIds }, createdAt: { $gte: from, $lt: until }, status: 'booked' },
      { projection: { _id: 0, memberId: 1, amountFen: 1, 'lines.category': 1, 'lines.amountFen': 1 } },
    )
    .toArray();
  const byMember = new Map<string, { spendFen: number; byCategory: Map<string, number> }>();
  for (const purchase of purchases) {
    const key = purchase.memberId.toHexString();
    const seen = byMember.get(key) ?? byMember.set(key, { spendFen: 0, byCategory: new Map() }).get(key)!;
    seen.spendFen += purchase.amountFen;
    for (const line of purchase.lines ?? []) seen.byCategory.set(line.category, (seen.byCategory.get(line.category) ?? 0) + line.amountFen);
  }
  return byMember;
}
