import {
  activeCampaignMultiplier,
  earnPoints,
  ErrorCode,
  type EarnRules,
  spendWindowStart,
  tierAfterPurchase,
  type MaskedMember,
  type Page,
  type Purchase,
  type PurchaseAnswer,
  type PurchaseBody,
  type PurchaseLine,
  type PurchaseReversalAnswer,
  type TierLadder,
} from '@membercard/shared';
import { createHash } from 'node:crypto';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { pageBy } from '../../lib/cursor';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { canonicalJson, IdempotencyStore, idempotencyModel } from '../../lib/idempotency';
import type { Actor } from '../../lib/requestContext';
import type { Reply } from '../../lib/route';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { CategoriesService } from '../categories/service';
import { categorySpendLess, spendOf, type CategorySummary } from '../categories/summary';
import type { MemberDoc, memberModel } from '../members/model';
import type { MembersService } from '../members/service';
import type { PointsLedger } from '../points/ledger';
import { memberInScope } from '../points/service';
import { assertMayReverse, type Reverser } from '../staff/service';
import type { SettingsService } from '../settings/service';
import type { PurchaseDoc, purchaseModel } from './model';
import type { EventRecorder } from '../webhooks/service';

// Purchases recorded at the counter. Booking one is a single transaction: the member update (balance,
// spend12mFen, lastPurchaseAt and, when the purchase crosses a threshold, the tier), the ledger entry and
// lot (PointsLedger.earnWith), and the purchase itself under its unique (storeId, orderNo). A repeat of the
// order collides on that index (or on the ledger key) and is answered from the stored purchase.
//
// spend12mFen is a trailing 12-month sum kept incrementally: a purchase adds its amount and flags itself
// `inSpendWindow`; the `spend-window` job clears the flag on purchases older than 12 months and subtracts
// their amounts (reversals do the same at once). So spend12mFen always equals Σ amountFen of the member's
// flagged purchases, and a purchase costs one $inc rather than a sum over the member's history; the price
// is that an aged-out purchase still counts until the job's next run (at most an hour), which can only
// ever make a member look better, never refuse an upgrade they earned.
//
// The earning uses the tier held when the purchase is made; the purchase that crosses a threshold upgrades
// the member for the next one. The tier read with the member code is part of the update's filter, so if a
// parallel purchase upgraded the member meanwhile the update matches nothing, and the booking reads the
// member again inside the transaction and decides again. Everything else about parallel purchases of one
// member is the transactions' business: the second writer of the member document retries.
//
// Round trips: the member read (code check) and then, in the transaction, the member update, the ledger
// entry, the lot, the purchase and the commit; the programme settings come from a one-second cache.
//
// Idempotency is on the store's order number and the member the code resolves to, never on the code itself:
// member codes change every minute, so a till that re-scans the card before retrying sends a different body
// for the same purchase. The request record (the shared IdempotencyStore, so parallel repeats wait for the
// first and get its status and body) is keyed by (store, orderNo) and fingerprinted by (member, amount,
// lines); the purchase's unique (storeId, orderNo) still books it once when the records have expired.

export const REVERSAL_WINDOW_MS = 24 * 3600_000;
const RECENT_PURCHASES = 3;

/** A purchase to book (bookInTransaction): the counter's, or a POS order's net amount. */
export interface Booking {
  /** Who books it: a clerk, or a store's POS credential acting as its store's clerk (modules/pos). */
  actor: Extract<Actor, { type: 'staff' }>;
  requestId: string;
  orderNo: string;
  /** What the member paid: spend and points follow it. */
  amountFen: number;
  lines: PurchaseLine[];
  member: MemberDoc;
  /** Writes that must commit or abort with the purchase (a POS order's coupon redemptions and its record). */
  alongside?: (session: ClientSession, booked: BookedPurchase) => Promise<void>;
}

export interface BookedPurchase {
  purchaseId: Types.ObjectId;
  pointsEarned: number;
  pointsBalance: number;
  tier: { code: string; name: string };
  at: Date;
}

/** Part or all of a booked purchase given back (takeBackWith). */
export interface TakeBack {
  purchaseId: Types.ObjectId;
  /** A store's manager or POS, or HQ reversing from the console. */
  actor: Reverser;
  /** The whole purchase (what is left of it): it ends `reversed`; otherwise `amountFen` and `points` of it. */
  whole: boolean;
  amountFen?: number;
  points?: number;
  /** For a part: each category's share of what goes back (returned lines at their amounts), off the category spend. */
  categorySpend?: Array<{ category: string; amountFen: number }>;
  /** Only a purchase booked after this may be taken back (the manager's 24-hour window). */
  bookedAfter?: Date;
  /** Ledger text, the reversal's reason and the ledger entry's unique key. */
  ledgerReason: string;
  reason: string;
  idempotencyKey: string;
  at: Date;
}

export interface TakenBack {
  purchase: PurchaseDoc;
  amountFen: number;
  pointsTakenBack: number;
  shortfall: number;
  balanceAfter: number;
  ledgerEntryId: Types.ObjectId | null;
}

interface Deps {
  connection: mongoose.Connection;
  purchases: ReturnType<typeof purchaseModel>;
  members: ReturnType<typeof memberModel>;
  membersService: MembersService;
  ledger: PointsLedger;
  settings: SettingsService;
  audit: AuditService;
  now: () => Date;
  /** Outbound webhooks' outbox (order.recorded). */
  events?: EventRecorder;
  /** Lines must name active categories; the member's per-category summary moves with the purchase. */
  categories: CategoriesService;
  categorySummary: CategorySummary;
}

export class PurchasesService {
  private readonly requests: IdempotencyStore;
  /**
   * Referral (modules/referral): a referred member's first purchase qualifies in the booking's transaction, so it
   * commits or rolls back with the purchase; the reward is granted after the commit (the job catches up otherwise).
   */
  readonly bookingHooks: {
    inTransaction: (session: ClientSession, member: MemberDoc, booked: BookedPurchase, amountFen: number) => Promise<void>;
    afterCommit: (member: MemberDoc) => Promise<void>;
  } = { inTransaction: async () => undefined, afterCommit: async () => undefined };

  constructor(private readonly deps: Deps) {
    this.requests = new IdempotencyStore(idempotencyModel(deps.connection), { now: deps.now });
  }

  /** Books the purchase once; a repeat for the same member, amount and lines gets the first answer. */
  async record(actor: Actor, requestId: string, body: PurchaseBody): Promise<Reply<PurchaseAnswer>> {
    if (actor.type !== 'staff') throw errors.forbidden('Only store staff record purchases.');
    const buyer = await this.buyer(actor.storeId, body);
    const fingerprint = createHash('sha256')
      .update(canonicalJson({ memberId: String(buyer._id), amountFen: body.amountFen, lines: body.lines ?? [] }))
      .digest('hex');
    try {
      return (await this.requests.run(`purchase:${actor.storeId}:${body.orderNo}`, fingerprint, async () => ({
        status: 200,
        body: await this.book(actor, requestId, body, buyer),
      }))) as Reply<PurchaseAnswer>;
    } catch (err) {
      if (!(err instanceof AppError && err.code === ErrorCode.IDEMPOTENCY_KEY_REUSED)) throw err;
      // The record keeps only a fingerprint, and may be another member's refusal (taken after the records of
      // the booking expired): the booked purchase, if any, decides between its answer, 409 for another member
      // and 409 for a changed amount or lines.
      const booked = await this.deps.purchases.findOne({ storeId: actor.storeId, orderNo: body.orderNo }).lean<PurchaseDoc>();
      if (!booked) throw err;
      return { status: 200, body: await this.answerFrom(booked, body, buyer._id) };
    }
  }

  /**
   * The member the scanned code resolves to. A code that is no longer valid still names its member when the
   * till resends a request for an order already booked: it must have been that member's valid code at the
   * moment of booking (checked against their secret at that time), so only a genuine resend gets through.
   */
  private async buyer(storeId: string, body: PurchaseBody): Promise<MemberDoc> {
    const { membersService, purchases } = this.deps;
    try {
      const { parsed, member } = await membersService.verifyScannedCode(body.memberCode);
      if (parsed.kind !== 'member') throw codeInvalid();
      return member;
    } catch (err) {
      if (!(err instanceof AppError && err.code === ErrorCode.CODE_INVALID)) throw err;
      const booked = await purchases.findOne({ storeId, orderNo: body.orderNo }, { memberId: 1, createdAt: 1 }).lean<PurchaseDoc>();
      if (!booked) throw err;
      const then = await membersService.verifyScannedCode(body.memberCode, booked.createdAt).catch(() => null);
      if (then?.parsed.kind !== 'member' || !then.member._id.equals(booked.memberId)) throw err;
      return then.member;
    }
  }

  private async book(actor: Extract<Actor, { type: 'staff' }>, requestId: string, body: PurchaseBody, scanned: MemberDoc): Promise<PurchaseAnswer> {
    try {
      const booked = await this.bookInTransaction(undefined, { actor, requestId, orderNo: body.orderNo, amountFen: body.amountFen, lines: body.lines ?? [], member: scanned });
      return { pointsEarned: booked.pointsEarned, pointsBalance: booked.pointsBalance, tier: booked.tier };
    } catch (err) {
      if (isDuplicateKeyError(err)) return this.replay(actor.storeId, body, scanned._id);
      throw err;
    }
  }

  /**
   * The one way a purchase is booked, for the counter and the POS alike: the points and spend (with the tier
   * when the purchase crosses a threshold), the purchase under its unique (storeId, orderNo), the audit entry,
   * and `booking.alongside` (a POS order's coupon redemptions and order record) in one transaction, the
   * caller's when `session` is given. A repeat of the order fails on a unique key; the caller answers it.
   */
  async bookInTransaction(session: ClientSession | undefined, booking: Booking): Promise<BookedPurchase> {
    const { settings, connection, now } = this.deps;
    await this.deps.categories.checkLines(booking.lines);
    const { tiers, earnRules } = await settings.cached();
    const result = await inTransaction(connection, session, async (txn) => {
      // The last member read is only a hint (its tier is checked by the update's filter), so a retried
      // transaction may start from it rather than from the scan.
      let member = booking.member;
      for (;;) {
        const booked = await this.bookWith(txn, booking, member, tiers, earnRules, now());
        if (booked) {
          await booking.alongside?.(txn, booked);
          await this.bookingHooks.inTransaction(txn, member, booked, booking.amountFen);
          return booked;
        }
        // A parallel purchase changed this member's tier since the scan: read the member again and redo.
        const fresh = await this.deps.members.findById(member._id).session(txn).lean<MemberDoc>();
        if (!fresh || fresh.status !== 'active') throw codeInvalid();
        member = fresh;
      }
    });
    // Only when this call owned the transaction: a caller's transaction has not committed yet (the job grants then).
    if (!session) await this.bookingHooks.afterCommit(booking.member);
    return result;
  }

  private async bookWith(
    session: ClientSession,
    booking: Booking,
    member: MemberDoc,
    tiers: TierLadder,
    earnRules: EarnRules,
    at: Date,
  ): Promise<BookedPurchase | null> {
    const { purchases, members, ledger, audit } = this.deps;
    const { actor, requestId } = booking;
    const body = { orderNo: booking.orderNo, amountFen: booking.amountFen, lines: booking.lines };
    const held = tiers.find((tier) => tier.code === member.tier) ?? tiers[0]!;
    const points = earnPoints({
      amountFen: body.amountFen,
      baseRate: earnRules.baseRate,
      tierMultiplier: held.pointsMultiplier,
      campaignMultiplier: activeCampaignMultiplier(earnRules, { now: at, storeId: actor.storeId, tier: member.tier }),
    });
    const patch = {
      filter: { tier: member.tier },
      inc: { spend12mFen: body.amountFen },
      set: { lastPurchaseAt: at },
    };
    let after: MemberDoc | null | undefined;
    let entryId: Types.ObjectId | null = null;
    if (points > 0) {
      const earned = await ledger.earnWith(
        {
          memberId: member._id,
          amount: points,
          reason: `消费积分 ${body.orderNo}`,
          source: 'purchase',
          idempotencyKey: `purchase:${actor.storeId}:${body.orderNo}`,
          storeId: actor.storeId,
          actorId: actor.staffId,
          session,
          knownNew: true, // the purchase insert below is unique on (storeId, orderNo)
        },
        patch,
      );
      after = earned?.member;
      entryId = earned?.entry._id ?? null;
    } else {
      // Under ¥1 earns nothing, so no ledger entry; the purchase still counts towards spend and history.
      after = await members
        .findOneAndUpdate({ ...patch.filter, _id: member._id, status: 'active' }, { $inc: patch.inc, $set: patch.set }, { returnDocument: 'after', session })
        .lean<MemberDoc>();
    }
    if (!after) return null;
    // The spend after this purchase is known only now; crossing a threshold costs one more write.
    const reached = tierAfterPurchase(tiers, after.tier, after.spend12mFen);
    if (reached.code !== after.tier) {
      await members.updateOne({ _id: member._id }, { $set: { tier: reached.code, tierSince: at } }, { session });
      after = { ...after, tier: reached.code };
    }
    const purchaseId = new Types.ObjectId();
    const categorySpend = spendOf(body.lines ?? []);
    // The purchase goes in through the driver as a complete document (the schema's fields, lines with the line
    // schema's fields only), sparing a mongoose document, its casting and validation on every booking.
    await purchases.collection.insertOne(
      {
        _id: purchaseId,
        memberId: member._id,
        storeId: actor.storeId,
        orderNo: body.orderNo,
        amountFen: body.amountFen,
        lines: (body.lines ?? []).map(({ sku, name, category, qty, amountFen }) => ({ sku, name, category, qty, amountFen })),
        pointsEarned: points,
        ledgerEntryId: entryId,
        balanceAfter: after.pointsBalance,
        tierBefore: member.tier,
        tierAfter: after.tier,
        staffId: actor.staffId,
        createdAt: at,
        status: 'booked',
        inSpendWindow: true,
        categorySpend,
        reversal: null,
      },
      { session },
    );
    await this.deps.categorySummary.addWith(session, member._id, categorySpend, at);
    await this.deps.events?.record(session, 'order.recorded', member._id, { purchaseId: String(purchaseId), storeId: actor.storeId, orderNo: body.orderNo, amountFen: body.amountFen, lines: body.lines ?? [], pointsEarned: points, tier: after.tier });
    await audit.record(
      actor,
      requestId,
      {
        action: 'purchase.create',
        targetType: 'purchase',
        targetId: String(purchaseId),
        memberId: String(member._id),
        after: { orderNo: body.orderNo, amountFen: body.amountFen, pointsEarned: points, tierBefore: member.tier, tierAfter: after.tier },
      },
      session,
    );
    return { purchaseId, pointsEarned: points, pointsBalance: after.pointsBalance, tier: tierRef(tiers, after.tier), at };
  }

  /** The order was booked before: the same purchase gets its first answer, a different one 409. */
  private async replay(storeId: string, body: PurchaseBody, memberId: Types.ObjectId): Promise<PurchaseAnswer> {
    const existing = await this.deps.purchases.findOne({ storeId, orderNo: body.orderNo }).lean<PurchaseDoc>();
    // The colliding booking has not committed yet: the till retries and then gets its answer.
    if (!existing) throw new AppError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'The same order is still being booked; retry shortly.');
    return this.answerFrom(existing, body, memberId);
  }

  /** A booked purchase's answer for a repeat of it; 409 if the repeat is another member's or another purchase. */
  private async answerFrom(existing: PurchaseDoc, body: PurchaseBody, memberId: Types.ObjectId): Promise<PurchaseAnswer> {
    if (!existing.memberId.equals(memberId)) throw otherMember();
    const same =
      existing.amountFen === body.amountFen &&
      canonicalJson(existing.lines) === canonicalJson(body.lines ?? []);
    if (!same) {
      throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This order number was already used for a different purchase.');
    }
    const { tiers } = await this.deps.settings.get();
    return { pointsEarned: existing.pointsEarned, pointsBalance: existing.balanceAfter, tier: tierRef(tiers, existing.tierAfter) };
  }

  /**
   * A manager (of the purchase's store) or HQ takes back what a purchase earned, within 24 hours: up to the
   * balance, the shortfall recorded on the ledger entry and the purchase; its amount leaves spend12mFen. The
   * tier stays (downgrades wait for the yearly review). Repeating it answers the first reversal.
   */
  async reverse(actor: Actor, purchaseId: string, reason: string, requestId: string): Promise<PurchaseReversalAnswer> {
    assertMayReverse(actor, 'purchase');
    const { purchases, audit, connection, now } = this.deps;
    const found = Types.ObjectId.isValid(purchaseId) ? await purchases.findById(purchaseId).lean<PurchaseDoc>() : null;
    if (!found || (actor.type === 'staff' && found.storeId !== actor.storeId)) throw errors.notFound('No such purchase.');
    if (found.status === 'reversed') return reversalAnswer(found);
    await inTransaction(connection, undefined, async (session) => {
      const at = now();
      const taken = await this.takeBackWith(session, {
        purchaseId: found._id,
        actor,
        whole: true,
        bookedAfter: new Date(at.getTime() - REVERSAL_WINDOW_MS),
        ledgerReason: `撤销消费 ${found.orderNo}：${reason}`,
        reason,
        idempotencyKey: `reversal:${String(found._id)}`,
        at,
      });
      if (!taken) {
        const current = await purchases.findById(found._id, { status: 1 }).session(session).lean<PurchaseDoc>();
        if (current?.status === 'reversed') return; // a parallel reversal got there first
        throw new AppError(ErrorCode.REVERSAL_WINDOW_CLOSED, 'A purchase can only be reversed within 24 hours.');
      }
      const { reversal } = taken.purchase;
      await audit.record(
        actor,
        requestId,
        { action: 'purchase.reverse', targetType: 'purchase', targetId: String(found._id), memberId: String(found.memberId), before: { status: 'booked' }, after: { status: 'reversed', ...reversal, ledgerEntryId: taken.ledgerEntryId ? String(taken.ledgerEntryId) : null } },
        session,
      );
    });
    return reversalAnswer((await purchases.findById(found._id).lean<PurchaseDoc>())!);
  }

  /**
   * The one way points and spend leave a booked purchase, inside the caller's transaction: a manager's
   * reversal and a POS return (whole or some lines). The purchase's conditional update claims what is taken
   * (status still booked and, for a part, at least that much amount and points left), so two takers can never
   * give back the same fen twice; then the points go back through PointsLedger.takeBack (up to the balance,
   * the shortfall recorded) and the amount leaves spend12mFen while the purchase counts there. A whole take
   * back marks the purchase reversed with its reversal record. Null when nothing could be claimed.
   */
  async takeBackWith(session: ClientSession, input: TakeBack): Promise<TakenBack | null> {
    const { purchases, members, ledger } = this.deps;
    const filter: Record<string, unknown> = { _id: input.purchaseId, status: 'booked' };
    if (input.bookedAfter) filter.createdAt = { $gt: input.bookedAfter };
    const amount = input.amountFen ?? 0;
    const points = input.points ?? 0;
    if (!input.whole) {
      if (!Number.isSafeInteger(amount) || amount < 0 || !Number.isSafeInteger(points) || points < 0) throw new Error('take back needs whole non-negative amounts');
      filter.amountFen = { $gte: amount };
      filter.pointsEarned = { $gte: points };
    }
    const claimed = await purchases
      .findOneAndUpdate(
        filter,
        input.whole ? { $set: { status: 'reversed', inSpendWindow: false } } : { $inc: { amountFen: -amount, pointsEarned: -points } },
        { returnDocument: 'before', session },
      )
      .lean<PurchaseDoc>();
    if (!claimed) return null;
    // A part also takes its categories' amounts off what the purchase counts per category (the claim above
    // holds the purchase for this transaction, so the two writes move together).
    const part = input.whole ? [] : (input.categorySpend ?? []);
    if (part.length > 0) await purchases.collection.updateOne({ _id: claimed._id }, [{ $set: { categorySpend: categorySpendLess(part) } }], { session });
    const categoriesBack = input.whole ? (claimed.categorySpend ?? []) : part;
    await this.deps.categorySummary.takeBackWith(
      session,
      claimed.memberId,
      categoriesBack.map((c) => ({ category: c.category, amountFen: claimed.inSpendWindow ? c.amountFen : 0 })),
      { visit: input.whole },
    );
    const amountBack = input.whole ? claimed.amountFen : amount;
    const pointsBack = input.whole ? claimed.pointsEarned : points;
    let taken = { pointsTakenBack: 0, shortfall: 0, ledgerEntryId: null as Types.ObjectId | null, balanceAfter: null as number | null };
    if (pointsBack > 0) {
      const entry = await ledger.takeBack({
        memberId: claimed.memberId,
        amount: pointsBack,
        reason: input.ledgerReason,
        source: 'reversal',
        idempotencyKey: input.idempotencyKey,
        storeId: claimed.storeId,
        actorId: input.actor.staffId,
        session,
      });
      taken = { pointsTakenBack: -entry.delta, shortfall: entry.shortfall ?? 0, ledgerEntryId: entry._id, balanceAfter: entry.balanceAfter };
    }
    const member = claimed.inSpendWindow && amountBack > 0
      ? await members.findOneAndUpdate({ _id: claimed.memberId }, { $inc: { spend12mFen: -amountBack } }, { returnDocument: 'after', session }).lean<MemberDoc>()
      : await members.findById(claimed.memberId, { pointsBalance: 1 }).session(session).lean<MemberDoc>();
    const balanceAfter = taken.balanceAfter ?? member?.pointsBalance ?? 0;
    let purchase: PurchaseDoc = input.whole
      ? { ...claimed, status: 'reversed', inSpendWindow: false }
      : { ...claimed, amountFen: claimed.amountFen - amount, pointsEarned: claimed.pointsEarned - points };
    if (input.whole) {
      const reversal = {
        reason: input.reason,
        pointsTakenBack: taken.pointsTakenBack,
        shortfall: taken.shortfall,
        balanceAfter,
        ledgerEntryId: taken.ledgerEntryId,
        staffId: input.actor.staffId,
        at: input.at,
      };
      await purchases.updateOne({ _id: claimed._id }, { $set: { reversal } }, { session });
      purchase = { ...purchase, reversal };
    }
    return { purchase, amountFen: amountBack, ...taken, balanceAfter };
  }

  async adminPage(actor: Actor, memberId: string, limit: number, cursor?: string): Promise<Page<Purchase>> {
    const member = await memberInScope(this.deps.members, actor, memberId, ['active', 'erased']);
    return pageBy(this.deps.purchases, { memberId: member._id }, 'createdAt', limit, cursor, toWirePurchase);
  }

  /** The counter view's history: the last visit and the latest purchases with their lines. */
  async counterHistory(memberId: Types.ObjectId): Promise<Pick<MaskedMember, 'lastVisitAt' | 'recentPurchases'>> {
    const recent = await this.deps.purchases
      .find({ memberId, status: 'booked' }, { orderNo: 1, amountFen: 1, storeId: 1, createdAt: 1, lines: 1 })
      .sort({ createdAt: -1, _id: -1 })
      .limit(RECENT_PURCHASES)
      .lean<PurchaseDoc[]>();
    return {
      lastVisitAt: recent[0]?.createdAt.toISOString() ?? null,
      recentPurchases: recent.map((p) => ({ orderNo: p.orderNo, amountFen: p.amountFen, storeId: p.storeId, createdAt: p.createdAt.toISOString(), lines: p.lines })),
    };
  }

  /**
   * The spend-window job's work: purchases made 12 months ago or earlier leave spend12mFen. One transaction
   * per member clears the flags and subtracts exactly what it cleared, so a re-run or a parallel run finds
   * nothing left to do.
   */
  async ageOutSpend(options: { batchSize?: number; touch?: () => Promise<void> } = {}): Promise<number> {
    const { purchases, members, connection, now } = this.deps;
    const batchSize = options.batchSize ?? 500;
    const cutoff = spendWindowStart(now());
    let processed = 0;
    for (;;) {
      const due = await purchases.find({ inSpendWindow: true, createdAt: { $lte: cutoff } }, { memberId: 1 }).sort({ createdAt: 1 }).limit(batchSize).lean<PurchaseDoc[]>();
      if (due.length === 0) return processed;
      const memberIds = [...new Map(due.map((p) => [String(p.memberId), p.memberId])).values()];
      for (const memberId of memberIds) {
        processed += await inTransaction(connection, undefined, async (session) => {
          const aged = await purchases
            .find({ memberId, inSpendWindow: true, createdAt: { $lte: cutoff } }, { amountFen: 1, categorySpend: 1 })
            .session(session)
            .lean<PurchaseDoc[]>();
          if (aged.length === 0) return 0;
          await purchases.updateMany({ _id: { $in: aged.map((p) => p._id) }, inSpendWindow: true }, { $set: { inSpendWindow: false } }, { session });
          await members.updateOne({ _id: memberId }, { $inc: { spend12mFen: -aged.reduce((sum, p) => sum + p.amountFen, 0) } }, { session });
          await this.deps.categorySummary.takeBackWith(session, memberId, spendOf(aged.flatMap((p) => p.categorySpend ?? [])), { visit: false });
          return aged.length;
        });
      }
      await options.touch?.();
    }
  }

  /** spend12mFen = Σ amountFen of the member's purchases still in the window, for every member. */
  async reconcileSpend(): Promise<Array<{ memberId: string; spend12mFen: number; purchasesSum: number }>> {
    const rows = await this.deps.purchases.aggregate<{ _id: Types.ObjectId; total: number }>([
      { $match: { inSpendWindow: true } },
      { $group: { _id: '$memberId', total: { $sum: '$amountFen' } } },
    ]);
    const sums = new Map(rows.map((row) => [String(row._id), row.total]));
    const breaks: Array<{ memberId: string; spend12mFen: number; purchasesSum: number }> = [];
    const cursor = this.deps.members.find({}, { spend12mFen: 1 }).lean<Array<{ _id: Types.ObjectId; spend12mFen: number }>>().cursor();
    for await (const member of cursor) {
      const purchasesSum = sums.get(String(member._id)) ?? 0;
      if (member.spend12mFen !== purchasesSum) breaks.push({ memberId: String(member._id), spend12mFen: member.spend12mFen, purchasesSum });
    }
    return breaks;
  }
}

function codeInvalid(): AppError {
  return new AppError(ErrorCode.CODE_INVALID, 'The code is invalid or has expired; ask the member to refresh it.');
}

function otherMember(): AppError {
  return new AppError(ErrorCode.ORDER_NO_OTHER_MEMBER, 'This order number was already used for another member’s purchase.');
}

function tierRef(tiers: TierLadder, code: string) {
  const tier = tiers.find((t) => t.code === code) ?? tiers[0]!;
  return { code: tier.code, name: tier.name };
}

export function toWirePurchase(p: PurchaseDoc): Purchase {
  return {
    id: String(p._id),
    memberId: String(p.memberId),
    orderNo: p.orderNo,
    storeId: p.storeId,
    amountFen: p.amountFen,
    pointsEarned: p.pointsEarned,
    status: p.status,
    lines: p.lines,
    createdAt: p.createdAt.toISOString(),
    reversal: p.reversal
      ? { reason: p.reversal.reason, pointsTakenBack: p.reversal.pointsTakenBack, shortfall: p.reversal.shortfall, at: p.reversal.at.toISOString() }
      : null,
  };
}

function reversalAnswer(p: PurchaseDoc): PurchaseReversalAnswer {
  return {
    purchase: toWirePurchase(p),
    pointsTakenBack: p.reversal?.pointsTakenBack ?? 0,
    shortfall: p.reversal?.shortfall ?? 0,
    pointsBalance: p.reversal?.balanceAfter ?? 0,
  };
}
