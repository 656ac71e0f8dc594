import { ErrorCode, lotExpiry, planSpend, pointsExpiringSoon } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError } from '../../lib/errors';
import { inTransaction } from '../../lib/transactions';
import type { MemberDoc, memberModel } from '../members/model';
import type { EventRecorder } from '../webhooks/service';
import type { LedgerEntry, LedgerSource, PointsLot, ledgerModel, lotModel } from './model';

// The points ledger. Every change is one MongoDB transaction that inserts the ledger entry, moves the
// member's balance and creates or draws down lots together, so no crash can leave balance, ledger and
// lots disagreeing (balance = Σ deltas = Σ remaining lots). Transactions rather than single-document
// tricks because the three live in three collections and each must stay queryable on its own (the
// ledger pages by member, lots by expiry date). Each entry's idempotency key is unique, so a retried
// or duplicated request finds the entry already booked and books nothing.
//
// Other modules never touch pointsBalance or the lots themselves: they call earn / spend / takeBack here,
// passing their transaction's session so their own writes commit or abort with the points. A purchase,
// which moves spend12mFen and the tier with the balance, uses earnWith to do it in the same member update.

export interface PointsChange {
  memberId: string | Types.ObjectId;
  amount: number;
  reason: string;
  source: LedgerSource;
  idempotencyKey: string;
  storeId?: string | null;
  actorId?: string | null;
  session?: ClientSession;
  /**
   * The caller books a record of its own under a unique key in the same transaction (a purchase's
   * (storeId, orderNo)), which already makes the change once-only, so the lookup of an earlier entry under
   * this key is skipped. The ledger's unique key still refuses a second booking.
   */
  knownNew?: boolean;
}

/** Other member fields a caller changes in the same update as the balance. */
export interface MemberPatch {
  /** Conditions besides `_id` and `status: 'active'`; when they no longer hold, nothing is written. */
  filter?: Record<string, unknown>;
  inc?: Record<string, number>;
  set?: Record<string, unknown>;
}

interface Deps {
  connection: mongoose.Connection;
  members: ReturnType<typeof memberModel>;
  ledger: ReturnType<typeof ledgerModel>;
  lots: ReturnType<typeof lotModel>;
  now: () => Date;
  /** Outbound webhooks' outbox: points.changed is recorded with each entry. */
  events?: EventRecorder;
}

export class PointsLedger {
  constructor(private readonly deps: Deps) {}

  /** Adds points as a new lot expiring at the end of the 12th month after this one. */
  async earn(change: PointsChange): Promise<LedgerEntry> {
    const booked = await this.earnWith(change, {});
    if (!booked) throw new AppError(ErrorCode.NOT_FOUND, 'No such member.');
    return booked.entry;
  }

  /**
   * earn, moving other member fields in the same update as the balance. Answers null, having written
   * nothing, when the member is not active or no longer matches `patch.filter`: the caller re-reads and
   * decides again. `member` is the member after the update (absent when the entry was booked before).
   */
  async earnWith(change: PointsChange, patch: MemberPatch): Promise<{ entry: LedgerEntry; member?: MemberDoc } | null> {
    assertPositive(change.amount);
    const { members, ledger, lots, connection, now } = this.deps;
    return inTransaction(connection, change.session, async (session) => {
      if (!change.knownNew) {
        const existing = await ledger.findOne({ idempotencyKey: change.idempotencyKey }).session(session).lean<LedgerEntry>();
        if (existing) return { entry: existing };
      }
      const at = now();
      // Through the driver, as the entry and the lot below: the patch holds stored types already (every purchase).
      const memberId = memberObjectId(change);
      const member = (await members.collection.findOneAndUpdate(
        { ...patch.filter, _id: memberId, status: 'active' },
        { $inc: { ...patch.inc, pointsBalance: change.amount }, ...(patch.set ? { $set: patch.set } : {}) },
        { returnDocument: 'after', session },
      )) as MemberDoc | null;
      if (!member) return null;
      const entryId = new Types.ObjectId();
      const expiresAt = lotExpiry(at);
      // Earning is on every purchase: the entry and the lot go in through the driver as complete documents (every
      // field the schemas would default is set here), sparing a mongoose document, its casting and validation each.
      const entry: LedgerEntry = {
        _id: entryId,
        memberId: member._id,
        delta: change.amount,
        balanceAfter: member.pointsBalance,
        reason: change.reason,
        source: change.source,
        idempotencyKey: change.idempotencyKey,
        createdAt: at,
        expiresAt,
        storeId: change.storeId ?? null,
        actorId: change.actorId ?? null,
      };
      await ledger.collection.insertOne(entry, { session });
      await this.deps.events?.record(session, 'points.changed', member._id, pointsEvent(entry));
      await lots.collection.insertOne(
        { _id: new Types.ObjectId(), memberId: member._id, entryId, amount: change.amount, remaining: change.amount, earnedAt: at, expiresAt, expiredAt: null },
        { session },
      );
      return { entry, member };
    });
  }

  /** Takes points, soonest-expiring lots first; 422 INSUFFICIENT_POINTS when the balance would go below 0. */
  async spend(change: PointsChange): Promise<LedgerEntry> {
    assertPositive(change.amount);
    return this.draw(change, 'exact');
  }

  /**
   * Takes back up to `amount` (a reversed purchase): whatever the balance cannot cover is recorded on the
   * entry as `shortfall`, never silently dropped.
   */
  async takeBack(change: PointsChange): Promise<LedgerEntry> {
    assertPositive(change.amount);
    return this.draw(change, 'up-to');
  }

  private draw(change: PointsChange, mode: 'exact' | 'up-to'): Promise<LedgerEntry> {
    const { members, ledger, lots, connection, now } = this.deps;
    return inTransaction(connection, change.session, async (session) => {
      const existing = await ledger.findOne({ idempotencyKey: change.idempotencyKey }).session(session).lean<LedgerEntry>();
      if (existing) return existing;
      const readBalance = () => members.findOne({ _id: change.memberId }, { pointsBalance: 1 }).session(session).lean();
      // An exact spend needs no balance before its update (the update's guard decides): the member is read only to
      // tell why it was refused. Taking back up to an amount needs the balance first, to know how much.
      const current = mode === 'exact' ? null : await readBalance();
      if (mode === 'up-to' && !current) throw new AppError(ErrorCode.NOT_FOUND, 'No such member.');
      const amount = current ? Math.min(change.amount, current.pointsBalance) : change.amount;
      const shortfall = change.amount - amount;
      const at = now();
      let balanceAfter = current?.pointsBalance ?? 0;
      let draws: Array<{ lotId: Types.ObjectId; amount: number }> = [];
      if (amount > 0) {
        // The balance guard is the conditional update itself: it cannot go below 0 whatever runs beside it.
        const member = await members
          .findOneAndUpdate({ _id: change.memberId, pointsBalance: { $gte: amount } }, { $inc: { pointsBalance: -amount } }, { returnDocument: 'after', session })
          .lean();
        if (!member) {
          const refused = current ?? (await readBalance());
          if (!refused) throw new AppError(ErrorCode.NOT_FOUND, 'No such member.');
          throw new AppError(ErrorCode.INSUFFICIENT_POINTS, `Not enough points: ${refused.pointsBalance} available, ${amount} needed.`, {
            balance: refused.pointsBalance,
            needed: amount,
          });
        }
        balanceAfter = member.pointsBalance;
        const open = await lots
          .find({ memberId: member._id, remaining: { $gt: 0 }, expiredAt: null })
          .sort({ expiresAt: 1, _id: 1 })
          .session(session)
          .lean<PointsLot[]>();
        const plan = planSpend(
          open.map((lot) => ({ id: String(lot._id), remaining: lot.remaining, expiresAt: lot.expiresAt })),
          amount,
        );
        if (!plan.ok) throw new Error(`Points lots of member ${String(member._id)} do not cover the balance`);
        draws = plan.draws.map((d) => ({ lotId: new Types.ObjectId(d.lotId), amount: d.amount }));
        for (const d of draws) {
          const updated = await lots.updateOne({ _id: d.lotId, remaining: { $gte: d.amount } }, { $inc: { remaining: -d.amount } }, { session });
          if (updated.modifiedCount !== 1) throw new Error(`Lot ${String(d.lotId)} changed under a transaction`);
        }
      }
      const [entry] = await ledger.create(
        [
          {
            memberId: memberObjectId(change),
            delta: -amount,
            balanceAfter,
            reason: change.reason,
            source: change.source,
            idempotencyKey: change.idempotencyKey,
            createdAt: at,
            draws,
            ...(mode === 'up-to' ? { shortfall } : {}),
            storeId: change.storeId ?? null,
            actorId: change.actorId ?? null,
          },
        ],
        { session },
      );
      await this.deps.events?.record(session, 'points.changed', entry!.memberId, pointsEvent(entry!));
      return entry!.toObject();
    });
  }

  /** The points that expire at the soonest expiry date within `days` days, for the card's warning. */
  async expiringSoon(memberId: Types.ObjectId | string, days = 30): Promise<{ amount: number; at: Date } | null> {
    const now = this.deps.now();
    const horizon = new Date(now.getTime() + days * 24 * 3600_000);
    // On every card view: through the driver (the lean read's answer, without building a mongoose query).
    const due = await this.deps.lots.collection
      .find<PointsLot>(
        { memberId: typeof memberId === 'string' ? new Types.ObjectId(memberId) : memberId, remaining: { $gt: 0 }, expiredAt: null, expiresAt: { $gt: now, $lte: horizon } },
        { projection: { remaining: 1, expiresAt: 1 } },
      )
      .toArray();
    return pointsExpiringSoon(
      due.map((lot) => ({ id: String(lot._id), remaining: lot.remaining, expiresAt: lot.expiresAt })),
      now,
      days,
    );
  }

  /** Lots past their expiry with points left, oldest first: what the expiry job turns into expiry entries. */
  async dueLotIds(limit: number): Promise<Types.ObjectId[]> {
    const due = await this.deps.lots
      .find({ expiresAt: { $lte: this.deps.now() }, remaining: { $gt: 0 }, expiredAt: null }, { _id: 1 })
      .sort({ expiresAt: 1 })
      .limit(limit)
      .lean<Array<Pick<PointsLot, '_id'>>>();
    return due.map((lot) => lot._id);
  }

  /** Turns the remainder of one due lot into an expiry entry. Safe to repeat: the key is the lot. */
  async expireLot(lotId: Types.ObjectId): Promise<LedgerEntry | null> {
    const { members, ledger, lots, connection, now } = this.deps;
    return inTransaction(connection, undefined, async (session) => {
      const at = now();
      const lot = await lots
        .findOneAndUpdate(
          { _id: lotId, expiredAt: null, expiresAt: { $lte: at } },
          { $set: { expiredAt: at, remaining: 0 } },
          { session },
        )
        .lean<PointsLot>();
      if (!lot || lot.remaining === 0) return null;
      const member = await members
        .findOneAndUpdate({ _id: lot.memberId, pointsBalance: { $gte: lot.remaining } }, { $inc: { pointsBalance: -lot.remaining } }, { returnDocument: 'after', session })
        .lean();
      if (!member) throw new Error(`Member ${String(lot.memberId)} balance is below an open lot`);
      const [entry] = await ledger.create(
        [
          {
            memberId: lot.memberId,
            delta: -lot.remaining,
            balanceAfter: member.pointsBalance,
            reason: '积分过期',
            source: 'expiry',
            idempotencyKey: `expiry:${String(lot._id)}`,
            createdAt: at,
            draws: [{ lotId: lot._id, amount: lot.remaining }],
          },
        ],
        { session },
      );
      await this.deps.events?.record(session, 'points.changed', lot.memberId, pointsEvent(entry!));
      return entry!.toObject();
    });
  }
}

/** The points.changed webhook's data: the ledger entry as the member's statement shows it. */
function pointsEvent(entry: { _id: unknown; delta: number; balanceAfter: number; reason: string; source: string; storeId?: string | null }): Record<string, unknown> {
  return { entryId: String(entry._id), delta: entry.delta, balanceAfter: entry.balanceAfter, reason: entry.reason, source: entry.source, storeId: entry.storeId ?? null };
}

function assertPositive(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error(`Points amounts are positive integers, got ${amount}`);
}

/** The change's member as stored (ObjectId), for writes that go through the driver uncast. */
function memberObjectId(change: PointsChange): Types.ObjectId {
  return typeof change.memberId === 'string' ? new Types.ObjectId(change.memberId) : change.memberId;
}
