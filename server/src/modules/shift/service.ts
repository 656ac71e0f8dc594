import {
  chinaDayRange,
  chinaIsoDate,
  emptyShiftTotals,
  maskName,
  reversalBlock,
  REVERSAL_WINDOW_MS,
  type CounterEvent,
  type CounterEventKind,
  type Page,
  type ShiftEventsQuery,
  type ShiftQuery,
  type ShiftSummary,
  type ShiftTotals,
} from '@membercard/shared';
import { Types } from 'mongoose';
import { decodeCursor, encodeCursor, type CursorPosition } from '../../lib/cursor';
import { errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import type { ActivityDoc, SignupDoc, activityModel, signupModel } from '../activities/model';
import type { CouponDoc, RedemptionDoc, couponModel, redemptionModel } from '../coupons/model';
import type { MemberDoc, memberModel } from '../members/model';
import { memberInScope } from '../points/service';
import type { PurchaseDoc, purchaseModel } from '../purchases/model';
import type { StaffAccount, Store, staffModel, storeModel } from '../staff/model';

// "Today at the counter": one store's purchases, coupon redemptions and check-ins of a China day, newest
// first, read from where each is kept (purchases, coupon_redemptions, activity_signups) by index ranges on
// (store, time) — check-ins by (checkedInBy, attendedAt) over the store's accounts, since a check-in at an
// activity open to every store is the checking clerk's store's work — and merged by (time, id) so one
// cursor pages all three. The summary (a till's Z-report) sums the same day by clerk and kind.
//
// Who sees what, as a store works: everyone at the counter sees the whole store's day and its totals (they
// share one till, hand over the shift together, and a member coming back about a purchase may have been
// served by a colleague), but only today; other days, reversals and the printed shift are a manager's (and HQ's). Entries a reversal undid stay in the list,
// marked reversed with who and when; totals count them apart, as a Z-report lists voids.

const POS_STAFF_PREFIX = 'pos:';

interface Deps {
  purchases: ReturnType<typeof purchaseModel>;
  redemptions: ReturnType<typeof redemptionModel>;
  coupons: ReturnType<typeof couponModel>;
  signups: ReturnType<typeof signupModel>;
  activities: ReturnType<typeof activityModel>;
  members: ReturnType<typeof memberModel>;
  staff: ReturnType<typeof staffModel>;
  stores: ReturnType<typeof storeModel>;
  now: () => Date;
}

interface Day {
  storeId: string;
  date: string;
  from: Date;
  to: Date;
  staffId: string | null;
}

/** One entry before names are attached: the source document in the list's common terms. */
interface Row {
  kind: CounterEventKind;
  id: Types.ObjectId;
  at: Date;
  doc: PurchaseDoc | RedemptionDoc | SignupDoc;
}

export class ShiftService {
  constructor(private readonly deps: Deps) {}

  /** The store's entries of the day (newest first, paged), each with whether this caller may reverse it. */
  async events(actor: Actor, storeId: string | null, query: ShiftEventsQuery): Promise<Page<CounterEvent>> {
    const day = await this.dayFor(actor, storeId, query);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const kinds: CounterEventKind[] = query.kind ? [query.kind] : ['purchase', 'redemption', 'checkin'];
    const take = query.limit + 1;
    const batches = await Promise.all(kinds.map((kind) => this.rowsOf(kind, day, after, take)));
    const rows = batches.flat().sort(newestFirst).slice(0, take);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: await this.views(actor, page, day.storeId),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.at, id: last.id }) : null,
    };
  }

  /** A member's purchases and redemptions at any store, newest first, for HQ's member page. */
  async memberEvents(actor: Actor, memberId: string, limit: number, cursor: string | undefined): Promise<Page<CounterEvent>> {
    const member = await memberInScope(this.deps.members, actor, memberId, ['active', 'erased']);
    const after = cursor ? decodeCursor(cursor) : null;
    const take = limit + 1;
    const [purchases, redemptions] = await Promise.all([
      this.deps.purchases.find({ memberId: member._id, ...before(after, 'createdAt') }).sort({ createdAt: -1, _id: -1 }).limit(take).lean<PurchaseDoc[]>(),
      this.deps.redemptions.find({ memberId: member._id, ...before(after, 'createdAt') }).sort({ createdAt: -1, _id: -1 }).limit(take).lean<RedemptionDoc[]>(),
    ]);
    const rows = [
      ...purchases.map((doc): Row => ({ kind: 'purchase', id: doc._id, at: doc.createdAt, doc })),
      ...redemptions.map((doc): Row => ({ kind: 'redemption', id: doc._id, at: doc.createdAt, doc })),
    ].sort(newestFirst).slice(0, take);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: await this.views(actor, page),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.at, id: last.id }) : null,
    };
  }

  /** The day's totals by kind and by clerk (a Z-report), optionally for one clerk. */
  async summary(actor: Actor, storeId: string | null, query: ShiftQuery): Promise<ShiftSummary> {
    const day = await this.dayFor(actor, storeId, query);
    const { purchases, redemptions, signups, stores } = this.deps;
    const staffIds = await this.checkInStaff(day);
    const [purchaseSums, redemptionSums, checkinSums, store] = await Promise.all([
      purchases.aggregate<{ _id: { staffId: string; status: string }; count: number; amountFen: number; points: number }>([
        { $match: this.purchaseMatch(day) },
        { $group: { _id: { staffId: '$staffId', status: '$status' }, count: { $sum: 1 }, amountFen: { $sum: '$amountFen' }, points: { $sum: '$pointsEarned' } } },
      ]),
      redemptions.aggregate<{ _id: { staffId: string; status: string }; count: number; orderAmountFen: number; faceValueFen: number }>([
        { $match: this.redemptionMatch(day) },
        // A cash coupon redeemed without an order amount has no saving recorded; its face value is its amount off.
        { $lookup: { from: this.deps.coupons.collection.collectionName, localField: 'couponId', foreignField: '_id', as: 'coupon' } },
        { $project: { staffId: 1, status: 1, orderAmountFen: { $ifNull: ['$orderAmountFen', 0] }, faceValueFen: { $ifNull: ['$savingFen', { $ifNull: [{ $arrayElemAt: ['$coupon.amountOffFen', 0] }, 0] }] } } },
        { $group: { _id: { staffId: '$staffId', status: '$status' }, count: { $sum: 1 }, orderAmountFen: { $sum: '$orderAmountFen' }, faceValueFen: { $sum: '$faceValueFen' } } },
      ]),
      staffIds.length === 0
        ? Promise.resolve([])
        : signups.aggregate<{ _id: string; count: number; points: number }>([
            { $match: { checkedInBy: { $in: staffIds }, attendedAt: { $gte: day.from, $lt: day.to } } },
            { $lookup: { from: this.deps.activities.collection.collectionName, localField: 'activityId', foreignField: '_id', as: 'activity' } },
            { $project: { checkedInBy: 1, points: { $ifNull: [{ $arrayElemAt: ['$activity.attendancePoints', 0] }, 0] } } },
            { $group: { _id: '$checkedInBy', count: { $sum: 1 }, points: { $sum: '$points' } } },
          ]),
      stores.findById(day.storeId, { name: 1 }).lean<Store>(),
    ]);

    const byClerk = new Map<string, ShiftTotals>();
    const totalsOf = (staffId: string) => {
      let totals = byClerk.get(staffId);
      if (!totals) byClerk.set(staffId, (totals = emptyShiftTotals()));
      return totals;
    };
    const everyone = emptyShiftTotals();
    for (const row of purchaseSums) {
      for (const totals of [totalsOf(row._id.staffId), everyone]) {
        const bucket = row._id.status === 'reversed' ? totals.purchaseReversals : totals.purchases;
        bucket.count += row.count;
        bucket.amountFen += row.amountFen;
        bucket.points += row.points;
      }
    }
    for (const row of redemptionSums) {
      for (const totals of [totalsOf(row._id.staffId), everyone]) {
        const bucket = row._id.status === 'reversed' ? totals.redemptionReversals : totals.redemptions;
        bucket.count += row.count;
        bucket.orderAmountFen += row.orderAmountFen;
        bucket.faceValueFen += row.faceValueFen;
      }
    }
    for (const row of checkinSums) {
      for (const totals of [totalsOf(row._id), everyone]) {
        totals.checkins.count += row.count;
        totals.checkins.points += row.points;
      }
    }
    for (const totals of [...byClerk.values(), everyone]) totals.pointsIssued = totals.purchases.points + totals.checkins.points;
    const names = await this.staffNames([...byClerk.keys()]);
    return {
      storeId: day.storeId,
      storeName: store?.name ?? day.storeId,
      date: day.date,
      from: day.from.toISOString(),
      to: day.to.toISOString(),
      staffId: day.staffId,
      generatedAt: this.deps.now().toISOString(),
      totals: everyone,
      byClerk: [...byClerk.entries()]
        .map(([staffId, totals]) => ({ staffId, staffName: names.get(staffId) ?? staffId, totals }))
        .sort((a, b) => a.staffName.localeCompare(b.staffName, 'zh-CN')),
    };
  }

  /**
   * The store and day a caller may read: staff their own store (a store in the path is HQ's), clerks today
   * only, a day no later than today.
   */
  private async dayFor(actor: Actor, storeId: string | null, query: ShiftQuery): Promise<Day> {
    const today = chinaIsoDate(this.deps.now());
    const date = query.date ?? today;
    let store: string;
    if (actor.type === 'staff') {
      store = actor.storeId;
      if (actor.role !== 'manager' && date !== today) throw errors.forbidden('A clerk sees today only; other days are the manager’s.');
    } else if (actor.type === 'admin' && storeId) {
      store = storeId;
      if (!(await this.deps.stores.exists({ _id: storeId }))) throw errors.notFound('No such store.');
    } else {
      throw errors.forbidden();
    }
    if (date > today) throw errors.validation('The day has not come yet.', { fields: [{ field: 'query.date', message: 'must not be in the future' }] });
    const { from, to } = chinaDayRange(date);
    return { storeId: store, date, from, to, staffId: query.staffId ?? null };
  }

  private purchaseMatch(day: Day): Record<string, unknown> {
    return { storeId: day.storeId, createdAt: { $gte: day.from, $lt: day.to }, ...(day.staffId ? { staffId: day.staffId } : {}) };
  }

  private redemptionMatch(day: Day): Record<string, unknown> {
    return { storeId: day.storeId, createdAt: { $gte: day.from, $lt: day.to }, ...(day.staffId ? { staffId: day.staffId } : {}) };
  }

  /** The accounts whose check-ins count for the store (one of them when the day is filtered by clerk). */
  private async checkInStaff(day: Day): Promise<string[]> {
    if (day.staffId?.startsWith(POS_STAFF_PREFIX)) return [];
    const accounts = await this.deps.staff.find({ storeId: day.storeId }, { _id: 1 }).lean<Pick<StaffAccount, '_id'>[]>();
    const ids = accounts.map((account) => String(account._id));
    return day.staffId ? ids.filter((id) => id === day.staffId) : ids;
  }

  private async rowsOf(kind: CounterEventKind, day: Day, after: CursorPosition | null, take: number): Promise<Row[]> {
    const { purchases, redemptions, signups } = this.deps;
    if (kind === 'purchase') {
      const docs = await purchases.find({ ...this.purchaseMatch(day), ...before(after, 'createdAt') }).sort({ createdAt: -1, _id: -1 }).limit(take).lean<PurchaseDoc[]>();
      return docs.map((doc) => ({ kind, id: doc._id, at: doc.createdAt, doc }));
    }
    if (kind === 'redemption') {
      const docs = await redemptions.find({ ...this.redemptionMatch(day), ...before(after, 'createdAt') }).sort({ createdAt: -1, _id: -1 }).limit(take).lean<RedemptionDoc[]>();
      return docs.map((doc) => ({ kind, id: doc._id, at: doc.createdAt, doc }));
    }
    const staffIds = await this.checkInStaff(day);
    if (staffIds.length === 0) return [];
    const docs = await signups
      .find({ checkedInBy: { $in: staffIds }, attendedAt: { $gte: day.from, $lt: day.to }, ...before(after, 'attendedAt') })
      .sort({ attendedAt: -1, _id: -1 })
      .limit(take)
      .lean<SignupDoc[]>();
    return docs.map((doc) => ({ kind, id: doc._id, at: doc.attendedAt!, doc }));
  }

  /** Rows as the wire shows them: names, masked members, coupon and activity titles, the caller's reversal state. */
  private async views(actor: Actor, rows: Row[], checkInStoreId = ''): Promise<CounterEvent[]> {
    const { members, coupons, activities } = this.deps;
    const purchases = rows.filter((row) => row.kind === 'purchase').map((row) => row.doc as PurchaseDoc);
    const redemptions = rows.filter((row) => row.kind === 'redemption').map((row) => row.doc as RedemptionDoc);
    const signups = rows.filter((row) => row.kind === 'checkin').map((row) => row.doc as SignupDoc);
    const staffIds = new Set<string>();
    for (const p of purchases) {
      staffIds.add(p.staffId);
      if (p.reversal) staffIds.add(p.reversal.staffId);
    }
    for (const r of redemptions) {
      staffIds.add(r.staffId);
      if (r.reversedBy) staffIds.add(r.reversedBy);
    }
    for (const s of signups) if (s.checkedInBy) staffIds.add(s.checkedInBy);
    const memberIds = [...purchases, ...redemptions, ...signups].map((doc) => doc.memberId);
    const [names, memberDocs, couponDocs, activityDocs] = await Promise.all([
      this.staffNames([...staffIds]),
      memberIds.length ? members.find({ _id: { $in: memberIds } }, { name: 1, cardNo: 1, status: 1 }).lean<MemberDoc[]>() : [],
      redemptions.length ? coupons.find({ _id: { $in: redemptions.map((r) => r.couponId) } }, { title: 1, type: 1, amountOffFen: 1 }).lean<CouponDoc[]>() : [],
      signups.length ? activities.find({ _id: { $in: signups.map((s) => s.activityId) } }, { title: 1, storeId: 1, attendancePoints: 1 }).lean<ActivityDoc[]>() : [],
    ]);
    const memberById = new Map(memberDocs.map((m) => [String(m._id), m]));
    const couponById = new Map(couponDocs.map((c) => [String(c._id), c]));
    const activityById = new Map(activityDocs.map((a) => [String(a._id), a]));
    const now = this.deps.now();
    const mayReverse = actor.type === 'admin' || (actor.type === 'staff' && actor.role === 'manager');
    const nameOf = (id: string) => names.get(id) ?? id;
    const memberOf = (id: Types.ObjectId): CounterEvent['member'] => {
      const member = memberById.get(String(id));
      if (!member || member.status === 'erased') return null;
      return { maskedName: member.name ? maskName(member.name) : null, cardNoTail: (member.cardNo ?? '').slice(-4) };
    };

    return rows.map((row): CounterEvent => {
      const common = { id: String(row.id), kind: row.kind, at: row.at.toISOString(), member: memberOf(row.doc.memberId) };
      if (row.kind === 'purchase') {
        const p = row.doc as PurchaseDoc;
        const reversed = p.status === 'reversed';
        return {
          ...common,
          storeId: p.storeId,
          staffId: p.staffId,
          staffName: nameOf(p.staffId),
          orderNo: p.orderNo,
          amountFen: p.amountFen,
          points: p.pointsEarned,
          coupon: null,
          activityTitle: null,
          status: reversed ? 'reversed' : 'done',
          reversal: p.reversal ? { reason: p.reversal.reason, at: p.reversal.at.toISOString(), byId: p.reversal.staffId, byName: nameOf(p.reversal.staffId) } : null,
          reversibleUntil: new Date(p.createdAt.getTime() + REVERSAL_WINDOW_MS).toISOString(),
          reversalBlock: reversalBlock({ kind: 'purchase', reversed, at: p.createdAt }, { mayReverse }, now),
        };
      }
      if (row.kind === 'redemption') {
        const r = row.doc as RedemptionDoc;
        const coupon = couponById.get(String(r.couponId));
        const reversed = r.status === 'reversed';
        return {
          ...common,
          storeId: r.storeId,
          staffId: r.staffId,
          staffName: nameOf(r.staffId),
          orderNo: r.orderNo ?? null,
          amountFen: r.orderAmountFen ?? null,
          points: 0,
          coupon: { title: coupon?.title ?? '优惠券', faceValueFen: r.savingFen ?? coupon?.amountOffFen ?? null },
          activityTitle: null,
          status: reversed ? 'reversed' : 'done',
          reversal: reversed && r.reversedAt ? { reason: r.reversalReason ?? '', at: r.reversedAt.toISOString(), byId: r.reversedBy ?? '', byName: nameOf(r.reversedBy ?? '') } : null,
          reversibleUntil: new Date(r.createdAt.getTime() + REVERSAL_WINDOW_MS).toISOString(),
          reversalBlock: reversalBlock({ kind: 'redemption', reversed, at: r.createdAt }, { mayReverse }, now),
        };
      }
      const s = row.doc as SignupDoc;
      const activity = activityById.get(String(s.activityId));
      const by = s.checkedInBy ?? '';
      return {
        ...common,
        storeId: activity?.storeId ?? checkInStoreId,
        staffId: by,
        staffName: nameOf(by),
        orderNo: null,
        amountFen: null,
        points: activity?.attendancePoints ?? 0,
        coupon: null,
        activityTitle: activity?.title ?? null,
        status: 'done',
        reversal: null,
        reversibleUntil: null,
        reversalBlock: 'NOT_REVERSIBLE',
      };
    });
  }

  /** Account names by id; a POS key's entries read as the till system with its key id. */
  private async staffNames(ids: string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const accountIds = ids.filter((id) => Types.ObjectId.isValid(id) && !id.startsWith(POS_STAFF_PREFIX));
    if (accountIds.length) {
      const accounts = await this.deps.staff.find({ _id: { $in: accountIds } }, { name: 1 }).lean<Pick<StaffAccount, '_id' | 'name'>[]>();
      for (const account of accounts) names.set(String(account._id), account.name);
    }
    for (const id of ids) if (id.startsWith(POS_STAFF_PREFIX)) names.set(id, `收银系统 ${id.slice(POS_STAFF_PREFIX.length)}`);
    return names;
  }
}

/** Newest first by time, then by id, as the cursor orders. */
function newestFirst(a: Row, b: Row): number {
  return b.at.getTime() - a.at.getTime() || (String(b.id) < String(a.id) ? -1 : String(b.id) > String(a.id) ? 1 : 0);
}

/** The part of a range after the cursor's position, in a collection whose time field is `field`. */
function before(after: CursorPosition | null, field: string): Record<string, unknown> {
  if (!after) return {};
  return { $or: [{ [field]: { $lt: after.at } }, { [field]: after.at, _id: { $lt: after.id } }] };
}
