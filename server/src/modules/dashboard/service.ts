import { chinaCalendarDate, type Dashboard } from '@membercard/shared';
import type { Actor } from '../../lib/requestContext';
import type { CampaignDoc, campaignModel } from '../campaigns/model';
import { pathSafe } from '../campaigns/pusher';
import type { couponModel, redemptionModel } from '../coupons/model';
import type { memberModel } from '../members/model';
import type { MessagingService } from '../messaging/service';
import type { lotModel } from '../points/model';
import type { SettingsService } from '../settings/service';
import { actingStoreId, assertStoreScope } from '../staff/service';
import { dayKey, type MemberFigures, type MemberRollups } from './memberRollups';

// HQ's figures. Member figures come from the rollups by store and tier (memberRollups.ts), so the cost does not
// grow with the member base; coupons and campaigns from indexed counts. A manager gets their own store's:
// members by home store, redemptions by redeeming store.

const DAY_MS = 24 * 3600_000;
const PARETO_POINTS = 20;
const CAMPAIGNS_SHOWN = 20;

interface Deps {
  members: ReturnType<typeof memberModel>;
  lots: ReturnType<typeof lotModel>;
  coupons: ReturnType<typeof couponModel>;
  redemptions: ReturnType<typeof redemptionModel>;
  campaigns: ReturnType<typeof campaignModel>;
  settings: SettingsService;
  messaging: MessagingService;
  rollups: MemberRollups;
  now: () => Date;
}

export class DashboardService {
  constructor(private readonly deps: Deps) {}

  async figures(actor: Actor, requestedStoreId: string | undefined): Promise<Dashboard> {
    if (requestedStoreId) assertStoreScope(actor, requestedStoreId);
    const storeId = actingStoreId(actor) ?? requestedStoreId ?? null;
    const at = this.deps.now();
    const [members, expiringIn30Days, couponRedemption, campaignRedemption, { tiers }, { fenPerPoint }] = await Promise.all([
      this.deps.rollups.figures(storeId),
      this.expiringPoints(storeId, at),
      this.couponRedemption(storeId),
      this.campaignRedemption(storeId),
      this.deps.settings.get(),
      this.deps.messaging.settings(),
    ]);
    const fromDay = (days: number) => dayKey(new Date(at.getTime() - days * DAY_MS));
    const since = (byDay: Map<string, number>, day: string) => [...byDay].reduce((sum, [d, n]) => (d >= day ? sum + n : sum), 0);
    const pareto = spendPareto(members);
    const known = tiers.map((tier) => ({ code: tier.code, name: tier.name, count: members.byTier.get(tier.code) ?? 0 }));
    const others = [...members.byTier].filter(([code, count]) => count > 0 && !tiers.some((t) => t.code === code)).map(([code, count]) => ({ code, name: code, count }));
    return {
      asOf: at.toISOString(),
      storeId,
      members: {
        total: members.count,
        newLast30Days: since(members.joined, fromDay(30)),
        activeLast30Days: since(members.lastVisit, fromDay(30)),
        activeLast90Days: since(members.lastVisit, fromDay(90)),
      },
      growth: growth(members, at),
      pointsLiability: { points: members.points, fenPerPoint, valueFen: Math.round(members.points * fenPerPoint), expiringIn30Days },
      tierDistribution: [...known, ...others],
      spendPareto: pareto.curve,
      top20SpendShare: pareto.top20,
      couponRedemption,
      campaignRedemption,
    };
  }

  /** Points of the brand's (or a store's members') lots due to expire within 30 days. */
  private async expiringPoints(storeId: string | null, at: Date): Promise<number> {
    const window = { remaining: { $gt: 0 }, expiredAt: null, expiresAt: { $gt: at, $lte: new Date(at.getTime() + 30 * DAY_MS) } };
    const [expiring] = await this.deps.lots.aggregate<{ points: number }>([
      { $match: window },
      ...(storeId
        ? [
            { $lookup: { from: this.deps.members.collection.collectionName, localField: 'memberId', foreignField: '_id', as: 'member' } },
            { $match: { 'member.homeStoreId': storeId } },
          ]
        : []),
      { $group: { _id: null, points: { $sum: '$remaining' } } },
    ]);
    return expiring?.points ?? 0;
  }

  /** All coupons issued and redeemed (a store: coupons of its members; redemptions at the store). */
  private async couponRedemption(storeId: string | null): Promise<Dashboard['couponRedemption']> {
    let issued: number;
    let redeemed: number;
    if (storeId) {
      const [held] = await this.deps.coupons.aggregate<{ n: number }>([
        { $lookup: { from: this.deps.members.collection.collectionName, localField: 'memberId', foreignField: '_id', as: 'member' } },
        { $match: { 'member.homeStoreId': storeId } },
        { $count: 'n' },
      ]);
      issued = held?.n ?? 0;
      redeemed = await this.deps.redemptions.countDocuments({ storeId, status: 'redeemed' });
    } else {
      [issued, redeemed] = await Promise.all([this.deps.coupons.estimatedDocumentCount(), this.deps.coupons.countDocuments({ status: 'redeemed' })]);
    }
    return { issued, redeemed, redemptionRate: rate(redeemed, issued) };
  }

  /** The latest launched campaigns (not drafts, not those waiting for their launch time): issued (a store: to its members) and redeemed (a store: at the store). */
  private async campaignRedemption(storeId: string | null): Promise<Dashboard['campaignRedemption']> {
    const campaigns = await this.deps.campaigns
      .find({ status: { $nin: ['draft', 'scheduled'] } }, { name: 1, progress: 1, issuedBy: 1, createdAt: 1 })
      .sort({ createdAt: -1, _id: -1 })
      .limit(CAMPAIGNS_SHOWN)
      .lean<CampaignDoc[]>();
    return Promise.all(
      campaigns.map(async (campaign) => {
        const id = String(campaign._id);
        const issued = storeId ? (campaign.issuedBy?.homeStore?.[pathSafe(storeId)] ?? 0) : campaign.progress.issued;
        const redeemed = await this.deps.redemptions.countDocuments({ channel: 'campaign', channelRef: id, status: 'redeemed', ...(storeId ? { storeId } : {}) });
        return { campaignId: id, name: campaign.name, issued, redeemed, redemptionRate: rate(redeemed, issued) };
      }),
    );
  }
}

function rate(part: number, whole: number): number {
  return whole > 0 ? Math.min(1, round(part / whole)) : 0;
}

function round(share: number): number {
  return Math.round(share * 10_000) / 10_000;
}

/** Joiners per China calendar month over the last 12 months, and the member count at each month's end. */
function growth(members: MemberFigures, at: Date): Dashboard['growth'] {
  const { year, month } = chinaCalendarDate(at);
  const months = Array.from({ length: 12 }, (_, i) => {
    const m = month - 11 + i;
    const y = year + Math.floor((m - 1) / 12);
    const mm = ((((m - 1) % 12) + 12) % 12) + 1;
    return `${y}${String(mm).padStart(2, '0')}`;
  });
  const joinedIn = new Map<string, number>();
  let before = 0;
  for (const [day, n] of members.joined) {
    const monthKey = day.slice(0, 6);
    if (monthKey < months[0]!) before += n;
    else joinedIn.set(monthKey, (joinedIn.get(monthKey) ?? 0) + n);
  }
  let total = before;
  return months.map((key) => {
    const joined = joinedIn.get(key) ?? 0;
    total += joined;
    return { month: `${key.slice(0, 4)}-${key.slice(4)}`, joined, total };
  });
}

/**
 * Members sorted by 12-month spend, top first: cumulative member share → cumulative spend share, in 5% steps,
 * read from the spend buckets (members in a bucket taken at its mean spend).
 */
function spendPareto(members: MemberFigures): { curve: Dashboard['spendPareto']; top20: number } {
  const buckets = [...members.spendMembers].filter(([, n]) => n > 0).sort((a, b) => b[0] - a[0]).map(([bucket, n]) => ({ n, fen: members.spendFen.get(bucket) ?? 0 }));
  const count = buckets.reduce((sum, b) => sum + b.n, 0);
  const totalSpend = buckets.reduce((sum, b) => sum + b.fen, 0);
  if (count === 0 || totalSpend === 0) {
    return { curve: Array.from({ length: PARETO_POINTS }, (_, i) => ({ memberShare: (i + 1) / PARETO_POINTS, spendShare: 0 })), top20: 0 };
  }
  const shareOfTop = (memberShare: number) => {
    let left = Math.round(count * memberShare);
    let sum = 0;
    for (const bucket of buckets) {
      if (left <= 0) break;
      const taken = Math.min(left, bucket.n);
      sum += (bucket.fen * taken) / bucket.n;
      left -= taken;
    }
    return round(sum / totalSpend);
  };
  return {
    curve: Array.from({ length: PARETO_POINTS }, (_, i) => ({ memberShare: (i + 1) / PARETO_POINTS, spendShare: shareOfTop((i + 1) / PARETO_POINTS) })),
    top20: shareOfTop(0.2),
  };
}
