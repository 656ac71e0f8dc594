import { chinaCalendarDate, endOfChinaMonth, type Dashboard } from '@membercard/shared';
import type { Actor } from '../../lib/requestContext';
import type { CampaignDoc, campaignModel } from '../campaigns/model';
import { pathSafe } from '../campaigns/pusher';
import type { couponModel, redemptionModel } from '../coupons/model';
import type { memberModel } from '../members/model';
import type { MessagingService } from '../messaging/service';
import type { lotModel } from '../points/model';
import type { SettingsService } from '../settings/service';
import { actingStoreId, assertStoreScope } from '../staff/service';

// HQ's figures, computed on request from indexed fields (members carry their RFM summary). A manager gets
// their own store's: members by home store, redemptions by redeeming store.

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
  now: () => Date;
}

export class DashboardService {
  constructor(private readonly deps: Deps) {}

  async figures(actor: Actor, requestedStoreId: string | undefined): Promise<Dashboard> {
    if (requestedStoreId) assertStoreScope(actor, requestedStoreId);
    const storeId = actingStoreId(actor) ?? requestedStoreId ?? null;
    const { members, now } = this.deps;
    const at = now();
    const base: Record<string, unknown> = { status: 'active', ...(storeId ? { homeStoreId: storeId } : {}) };
    const since = (days: number) => new Date(at.getTime() - days * DAY_MS);

    const [total, newLast30Days, activeLast30Days, activeLast90Days, growth, pointsLiability, tierDistribution, pareto, couponRedemption, campaignRedemption] =
      await Promise.all([
        members.countDocuments(base),
        members.countDocuments({ ...base, joinedAt: { $gte: since(30) } }),
        members.countDocuments({ ...base, lastPurchaseAt: { $gte: since(30) } }),
        members.countDocuments({ ...base, lastPurchaseAt: { $gte: since(90) } }),
        this.growth(base, at),
        this.pointsLiability(base, storeId, at),
        this.tiers(base),
        this.spendPareto(base),
        this.couponRedemption(storeId),
        this.campaignRedemption(storeId),
      ]);
    return {
      asOf: at.toISOString(),
      storeId,
      members: { total, newLast30Days, activeLast30Days, activeLast90Days },
      growth,
      pointsLiability,
      tierDistribution,
      spendPareto: pareto.curve,
      top20SpendShare: pareto.top20,
      couponRedemption,
      campaignRedemption,
    };
  }

  /** Joiners per China calendar month over the last 12 months, and the member count at each month's end. */
  private async growth(base: Record<string, unknown>, at: Date): Promise<Dashboard['growth']> {
    const { year, month } = chinaCalendarDate(at);
    const months = Array.from({ length: 12 }, (_, i) => {
      const m = month - 11 + i;
      const y = year + Math.floor((m - 1) / 12);
      const mm = ((((m - 1) % 12) + 12) % 12) + 1;
      return { label: `${y}-${String(mm).padStart(2, '0')}`, start: new Date(endOfChinaMonth(y, mm - 1).getTime() + 1), end: new Date(endOfChinaMonth(y, mm).getTime() + 1) };
    });
    // Each month's total is the one before plus its joiners: one count before the window, then one per month.
    const [before, ...joinedByMonth] = await Promise.all([
      this.deps.members.countDocuments({ ...base, joinedAt: { $lt: months[0]!.start } }),
      ...months.map(({ start, end }) => this.deps.members.countDocuments({ ...base, joinedAt: { $gte: start, $lt: end } })),
    ]);
    let total = before!;
    return months.map(({ label }, i) => {
      const joined = joinedByMonth[i]!;
      total += joined;
      return { month: label, joined, total };
    });
  }

  private async pointsLiability(base: Record<string, unknown>, storeId: string | null, at: Date): Promise<Dashboard['pointsLiability']> {
    const [sum] = await this.deps.members.aggregate<{ points: number }>([{ $match: base }, { $group: { _id: null, points: { $sum: '$pointsBalance' } } }]);
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
    const { fenPerPoint } = await this.deps.messaging.settings();
    const points = sum?.points ?? 0;
    return { points, fenPerPoint, valueFen: Math.round(points * fenPerPoint), expiringIn30Days: expiring?.points ?? 0 };
  }

  private async tiers(base: Record<string, unknown>): Promise<Dashboard['tierDistribution']> {
    const [counts, { tiers }] = await Promise.all([
      this.deps.members.aggregate<{ _id: string; count: number }>([{ $match: base }, { $group: { _id: '$tier', count: { $sum: 1 } } }]),
      this.deps.settings.get(),
    ]);
    const byCode = new Map(counts.map((row) => [row._id, row.count]));
    const known = tiers.map((tier) => ({ code: tier.code, name: tier.name, count: byCode.get(tier.code) ?? 0 }));
    const others = counts.filter((row) => !tiers.some((t) => t.code === row._id)).map((row) => ({ code: row._id, name: row._id, count: row.count }));
    return [...known, ...others];
  }

  /**
   * Members sorted by 12-month spend, top first: cumulative member share → cumulative spend share, in 5% steps.
   * Streams only the spend values (in index order), so memory is one number per member at most.
   */
  private async spendPareto(base: Record<string, unknown>): Promise<{ curve: Dashboard['spendPareto']; top20: number }> {
    const spends: number[] = [];
    const cursor = this.deps.members.find(base, { _id: 0, spend12mFen: 1 }).sort({ spend12mFen: -1 }).lean().cursor({ batchSize: 5000 });
    for await (const doc of cursor) spends.push((doc as { spend12mFen?: number }).spend12mFen ?? 0);
    const totalSpend = spends.reduce((sum, v) => sum + v, 0);
    if (spends.length === 0 || totalSpend === 0) {
      return { curve: Array.from({ length: PARETO_POINTS }, (_, i) => ({ memberShare: (i + 1) / PARETO_POINTS, spendShare: 0 })), top20: 0 };
    }
    const shareOfTop = (memberShare: number) => {
      const n = Math.round(spends.length * memberShare);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += spends[i]!;
      return round(sum / totalSpend);
    };
    return {
      curve: Array.from({ length: PARETO_POINTS }, (_, i) => ({ memberShare: (i + 1) / PARETO_POINTS, spendShare: shareOfTop((i + 1) / PARETO_POINTS) })),
      top20: shareOfTop(0.2),
    };
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

  /** The latest launched campaigns: issued (a store: to its members) and redeemed (a store: at the store). */
  private async campaignRedemption(storeId: string | null): Promise<Dashboard['campaignRedemption']> {
    const campaigns = await this.deps.campaigns
      .find({ status: { $ne: 'draft' } }, { name: 1, progress: 1, issuedBy: 1, createdAt: 1 })
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
