import { campaignLift, MIN_GROUP_FOR_INTERVAL, type CampaignResultRow, type CampaignResults, type SampleSummary } from '@membercard/shared';
import type { CampaignDoc } from './model';
import type { CampaignRollupDoc } from './rollups';

export { couponCostFen } from './rollups';

// A campaign's results against its holdout, overall and by the member's home store and tier at push time, read from
// its outcome rollups (rollups.ts: one document per home store, tier and group, kept up to date from the audience
// records, the purchases in the window and the campaign's redemptions), so the cost does not grow with the audience.
// The arithmetic (rates, differences, intervals) is shared campaignLift's.

interface Spend {
  n: number;
  sum: number;
  sumSq: number;
}

interface Tally {
  targeted: number;
  holdout: number;
  issued: number;
  redeemed: number;
  orderAmountFen: number;
  couponCostFen: number;
  treated: { visitors: number; spend: Spend };
  held: { visitors: number; spend: Spend };
}

const newTally = (): Tally => ({
  targeted: 0, holdout: 0, issued: 0, redeemed: 0, orderAmountFen: 0, couponCostFen: 0,
  treated: { visitors: 0, spend: { n: 0, sum: 0, sumSq: 0 } },
  held: { visitors: 0, spend: { n: 0, sum: 0, sumSq: 0 } },
});

/** Mean and sample variance of members' spends from their count, sum and sum of squares. */
function summary(spend: Spend): SampleSummary {
  if (spend.n === 0) return { n: 0, mean: 0, variance: 0 };
  const mean = spend.sum / spend.n;
  const variance = spend.n > 1 ? Math.max(0, (spend.sumSq - spend.sum * mean) / (spend.n - 1)) : 0;
  return { n: spend.n, mean, variance };
}

export function campaignResults(campaign: CampaignDoc, rollups: CampaignRollupDoc[], now: Date): CampaignResults {
  const campaignId = String(campaign._id);
  const total = newTally();
  const byStore = new Map<string | null, Tally>();
  const byTier = new Map<string, Tally>();
  const launchedAt = campaign.launchedAt;
  if (!launchedAt) {
    return { campaignId, window: null, recorded: false, minGroupForInterval: MIN_GROUP_FOR_INTERVAL, total: row(null, total), byStore: [], byTier: [] };
  }
  const windowEnd = campaign.windowEndsAt ?? now;
  const until = windowEnd.getTime() < now.getTime() ? windowEnd : now;

  let recorded = false;
  for (const doc of rollups) {
    // A redeemer the push has no record of counts in the total only.
    const tallies = doc.group === 'none' ? [total] : [total, tallyFor(byStore, doc.storeId), tallyFor(byTier, doc.tier ?? '')];
    if (doc.group !== 'none' && doc.targeted > 0) recorded = true;
    for (const tally of tallies) {
      if (doc.group !== 'none') {
        tally.targeted += doc.targeted;
        if (doc.group === 'holdout') tally.holdout += doc.targeted;
        const group = doc.group === 'holdout' ? tally.held : tally.treated;
        group.visitors += doc.visitors;
        group.spend.n += doc.targeted;
        group.spend.sum += doc.spendFen;
        group.spend.sumSq += doc.spendSq;
      }
      tally.redeemed += doc.redeemed;
      tally.orderAmountFen += doc.orderAmountFen;
      tally.couponCostFen += doc.couponCostFen;
    }
  }
  // Rows that hold nothing but reversed redemptions (all counts back to 0) are not shown.
  for (const map of [byStore, byTier] as Array<Map<unknown, Tally>>) {
    for (const [key, tally] of map) if (tally.targeted === 0 && tally.redeemed === 0) map.delete(key);
  }
  if (!recorded) {
    // Launched before the push recorded its audience: the counts it kept, and no comparison.
    total.targeted = campaign.progress.targeted;
    total.holdout = campaign.progress.holdout ?? 0;
  }

  // Coupons issued, by the home store and tier the push recorded for the member.
  total.issued = campaign.progress.issued;
  for (const [key, count] of Object.entries(campaign.issuedBy?.homeStore ?? {})) tallyFor(byStore, key === 'none' ? null : key).issued += count;
  for (const [key, count] of Object.entries(campaign.issuedBy?.tier ?? {})) tallyFor(byTier, key).issued += count;

  const ordered = <K>(map: Map<K, Tally>) => [...map.entries()].sort(([a, x], [b, y]) => y.targeted - x.targeted || y.issued - x.issued || String(a).localeCompare(String(b)));
  return {
    campaignId,
    window: { from: launchedAt.toISOString(), until: until.toISOString(), open: windowEnd.getTime() > now.getTime() },
    recorded,
    minGroupForInterval: MIN_GROUP_FOR_INTERVAL,
    total: row(null, total),
    byStore: ordered(byStore).map(([key, tally]) => row(key, tally)),
    byTier: ordered(byTier).map(([key, tally]) => row(key, tally)),
  };
}

function tallyFor<K>(map: Map<K, Tally>, key: K): Tally {
  return map.get(key) ?? map.set(key, newTally()).get(key)!;
}

function row(key: string | null, tally: Tally): CampaignResultRow {
  const treatedMembers = tally.targeted - tally.holdout;
  const lift = campaignLift(
    { members: treatedMembers, visitors: tally.treated.visitors, spend: summary(tally.treated.spend) },
    { members: tally.holdout, visitors: tally.held.visitors, spend: summary(tally.held.spend) },
  );
  return {
    key,
    targeted: tally.targeted,
    holdout: tally.holdout,
    issued: tally.issued,
    redeemed: tally.redeemed,
    redemptionRate: tally.issued > 0 ? Math.min(1, tally.redeemed / tally.issued) : 0,
    orderAmountFen: tally.orderAmountFen,
    couponCostFen: tally.couponCostFen,
    ...lift,
  };
}
