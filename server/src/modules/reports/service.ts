import { chinaIsoDate, DAY_MS, emptySketch, estimateDistinct, mergeSketch, REPORT_FIGURES, sketchOf, type Report, type ReportDay, type ReportQuery } from '@membercard/shared';
import mongoose, { Schema } from 'mongoose';
import type { Actor } from '../../lib/requestContext';
import type { couponModel, redemptionModel } from '../coupons/model';
import type { MemberRollups } from '../dashboard/memberRollups';
import type { memberModel } from '../members/model';
import type { MessagingService } from '../messaging/service';
import type { ledgerModel } from '../points/model';
import type { purchaseModel } from '../purchases/model';
import { actingStoreId, assertStoreScope } from '../staff/service';

/**
 * HQ's reports by date range and store. Each China day's figures per store are worked out once from that day's
 * purchases, ledger entries, coupons and redemptions (index ranges on the day) and kept, so a report reads
 * one document per day and store however large the member base. A job closes each finished day (and works the
 * day before again, for a transaction that committed late); days after the last closed one are worked out on
 * read, which is at most a day or two of data.
 */

/** Brand-wide figures that belong to no store (coupons not yet used, expiry, HQ adjustments) sit under this id. */
export const NO_STORE = '';

/** One store's day: its figures, and its buying members as a distinct-count sketch (base64) for ranges. */
export type StoreDay = Omit<ReportDay, 'day'> & { _id: string; day: string; storeId: string; buyersSketch?: string | null };

const StoreDaySchema = new Schema<StoreDay>(
  {
    _id: String,
    day: { type: String, required: true },
    storeId: { type: String, default: NO_STORE },
    ...Object.fromEntries(REPORT_FIGURES.map((name) => [name, { type: Number, default: 0 }])),
    buyersSketch: { type: String, default: null },
  },
  { versionKey: false, collection: 'report_store_days' },
);
StoreDaySchema.index({ day: 1, storeId: 1 });
const ClosedThroughSchema = new Schema<{ _id: string; day: string }>({ _id: String, day: String }, { versionKey: false, collection: 'report_marks' });

const MARK_ID = 'store-days';

interface Deps {
  connection: mongoose.Connection;
  purchases: ReturnType<typeof purchaseModel>;
  ledger: ReturnType<typeof ledgerModel>;
  coupons: ReturnType<typeof couponModel>;
  redemptions: ReturnType<typeof redemptionModel>;
  members: ReturnType<typeof memberModel>;
  rollups: MemberRollups;
  messaging: MessagingService;
  now: () => Date;
}

const dayStart = (day: string) => new Date(`${day}T00:00:00+08:00`);
const nextDay = (day: string) => chinaIsoDate(new Date(dayStart(day).getTime() + DAY_MS));
const emptyFigures = (): Omit<ReportDay, 'day'> => Object.fromEntries(REPORT_FIGURES.map((name) => [name, 0])) as Omit<ReportDay, 'day'>;

export class ReportsService {
  readonly days: mongoose.Model<StoreDay>;
  private readonly marks: mongoose.Model<{ _id: string; day: string }>;

  constructor(private readonly deps: Deps) {
    this.days = (deps.connection.models.ReportStoreDay as mongoose.Model<StoreDay>) ?? deps.connection.model<StoreDay>('ReportStoreDay', StoreDaySchema);
    this.marks = (deps.connection.models.ReportMark as mongoose.Model<{ _id: string; day: string }>) ?? deps.connection.model('ReportMark', ClosedThroughSchema);
  }

  async report(actor: Actor, query: ReportQuery): Promise<Report> {
    if (query.storeId) assertStoreScope(actor, query.storeId);
    const storeId = actingStoreId(actor) ?? query.storeId ?? null;
    const at = this.deps.now();
    const closedThrough = (await this.marks.findById(MARK_ID).lean())?.day ?? null;
    const storeFilter = storeId === null ? {} : { storeId };
    const kept = await this.days.find({ day: { $gte: query.from, $lte: closedThrough && closedThrough < query.to ? closedThrough : query.to }, ...storeFilter }).lean<StoreDay[]>();
    // days the job has not closed yet (today, and any it has not reached) are worked out now
    const open: StoreDay[] = [];
    const today = chinaIsoDate(at);
    for (let day = closedThrough && closedThrough >= query.from ? nextDay(closedThrough) : query.from; day <= query.to && day <= today; day = nextDay(day))
      open.push(...(await this.figuresOf(day)).filter((row) => storeId === null || row.storeId === storeId));
    const byDay = new Map<string, { figures: Omit<ReportDay, 'day'>; buyers: Uint8Array; rows: number }>();
    const allBuyers = emptySketch();
    for (const row of [...kept, ...open]) {
      const into = byDay.get(row.day) ?? { figures: emptyFigures(), buyers: emptySketch(), rows: 0 };
      for (const name of REPORT_FIGURES) into.figures[name] += row[name];
      if (row.buyersSketch) {
        const sketch = new Uint8Array(Buffer.from(row.buyersSketch, 'base64'));
        mergeSketch(into.buyers, sketch);
        mergeSketch(allBuyers, sketch);
      }
      into.rows++;
      byDay.set(row.day, into);
    }
    const days: ReportDay[] = [];
    for (let day = query.from; day <= query.to; day = nextDay(day)) {
      const found = byDay.get(day);
      // one store's day has its exact count; a member who bought at two stores that day counts once
      days.push({ day, ...(found?.figures ?? emptyFigures()), ...(found && found.rows > 1 ? { buyers: estimateDistinct(found.buyers) } : {}) });
    }
    const totals = emptyFigures();
    for (const row of days) for (const name of REPORT_FIGURES) totals[name] += row[name];
    // a member who bought on several days of the range counts once
    totals.buyers = days.filter((day) => day.buyers > 0).length > 1 ? estimateDistinct(allBuyers) : totals.buyers;
    const [members, { fenPerPoint }] = await Promise.all([this.deps.rollups.figures(storeId), this.deps.messaging.settings()]);
    return {
      from: query.from, to: query.to, storeId, asOf: at.toISOString(), days, totals,
      liability: { points: members.points, valueFen: Math.round(members.points * fenPerPoint) },
    };
  }

  /**
   * Closes every finished day since the last run (from the day before the mark, in case a transaction
   * committed late), each day's documents replaced whole: running it twice gives the same documents.
   */
  async closeDays(): Promise<{ processed: number }> {
    const yesterday = chinaIsoDate(new Date(this.deps.now().getTime() - DAY_MS));
    const mark = (await this.marks.findById(MARK_ID).lean())?.day ?? null;
    let day = mark ? chinaIsoDate(new Date(dayStart(mark).getTime() - DAY_MS)) : await this.firstDay();
    if (!day) return { processed: 0 };
    let processed = 0;
    for (; day <= yesterday; day = nextDay(day)) {
      const rows = await this.figuresOf(day);
      await this.days.bulkWrite([
        { deleteMany: { filter: { day } } },
        ...rows.map((row) => ({ insertOne: { document: row } })),
      ]);
      await this.marks.updateOne({ _id: MARK_ID }, { $set: { day } }, { upsert: true });
      processed++;
    }
    return { processed };
  }

  /** The first day anything happened, for the first run on existing data. */
  private async firstDay(): Promise<string | null> {
    const [purchase, entry] = await Promise.all([
      this.deps.purchases.findOne({}, { createdAt: 1 }).sort({ createdAt: 1 }).lean<{ createdAt: Date }>(),
      this.deps.ledger.findOne({}, { createdAt: 1 }).sort({ createdAt: 1 }).lean<{ createdAt: Date }>(),
    ]);
    const first = [purchase?.createdAt, entry?.createdAt].filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0];
    return first ? chinaIsoDate(first) : null;
  }

  /** One China day's figures, one row per store that had any (and one for what belongs to no store). */
  async figuresOf(day: string): Promise<StoreDay[]> {
    const range = { $gte: dayStart(day), $lt: dayStart(nextDay(day)) };
    const [purchases, ledger, issued, redeemed, joined] = await Promise.all([
      this.deps.purchases.aggregate<{ _id: string; purchases: number; purchaseFen: number; buyers: unknown[] }>([
        { $match: { createdAt: range } },
        { $group: { _id: '$storeId', purchases: { $sum: 1 }, purchaseFen: { $sum: '$amountFen' }, buyers: { $addToSet: '$memberId' } } },
      ]),
      this.deps.ledger.aggregate<{ _id: { storeId: string | null; source: string; earned: boolean }; points: number; entries: number }>([
        { $match: { createdAt: range } },
        { $group: { _id: { storeId: '$storeId', source: '$source', earned: { $gt: ['$delta', 0] } }, points: { $sum: '$delta' }, entries: { $sum: 1 } } },
      ]),
      this.deps.coupons.countDocuments({ issuedAt: range }),
      this.deps.redemptions.aggregate<{ _id: string; count: number; savingFen: number }>([
        { $match: { createdAt: range, status: 'redeemed' } },
        { $group: { _id: '$storeId', count: { $sum: 1 }, savingFen: { $sum: { $ifNull: ['$savingFen', 0] } } } },
      ]),
      this.deps.members.aggregate<{ _id: string | null; count: number }>([
        { $match: { joinedAt: range } },
        { $group: { _id: '$homeStoreId', count: { $sum: 1 } } },
      ]),
    ]);
    const rows = new Map<string, StoreDay>();
    const row = (storeId: string | null | undefined) => {
      const key = storeId ?? NO_STORE;
      let found = rows.get(key);
      if (!found) rows.set(key, (found = { _id: `${day}|${key}`, day, storeId: key, ...emptyFigures() }));
      return found;
    };
    for (const p of purchases)
      Object.assign(row(p._id), {
        purchases: p.purchases,
        purchaseFen: p.purchaseFen,
        buyers: p.buyers.length,
        buyersSketch: Buffer.from(sketchOf(p.buyers.map(String))).toString('base64'),
      });
    for (const { _id, points, entries } of ledger) {
      const target = row(_id.storeId);
      if (_id.source === 'reversal') {
        // a reversed purchase's points taken back: earned that day, net
        target.reversals += entries;
        target.pointsEarned += points;
      } else if (_id.source === 'expiry') target.pointsExpired += -points;
      else if (_id.earned) target.pointsEarned += points;
      else target.pointsSpent += -points;
    }
    if (issued) row(NO_STORE).couponsIssued = issued;
    for (const r of redeemed) Object.assign(row(r._id), { couponsRedeemed: r.count, couponCostFen: r.savingFen });
    for (const j of joined) row(j._id).joined += j.count;
    return [...rows.values()];
  }
}
