import { ErrorCode, lotExpiry, planSpend } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError } from '../../lib/errors';
import { inTransaction } from '../../lib/transactions';
import type { memberModel } from '../members/model';
import type { LedgerEntry, LedgerSource, PointsLot, ledgerModel, lotModel } from './model';

// The points ledger. Every change is one MongoDB transaction that inserts the ledger entry, moves the
// member's balance and creates or draws down lots together, so no crash can leave balance, ledger and
// lots disagreeing (balance = Σ deltas = Σ remaining lots). Transactions rather than single-document
// tricks because the three live in three collections and each must stay queryable on its own (the
// ledger pages by member, lots by expiry date). Each entry's idempotency key is unique, so a retried
// or duplicated request finds the entry already booked and books nothing.

export interface PointsChange {
  memberId: string | Types.ObjectId;
  amount: number;
  reason: string;
  source: LedgerSource;
  idempotencyKey: string;
  storeId?: string | null;
  actorId?: string | null;
  session?: ClientSession;
}

interface Deps {
  connection: mongoose.Connection;
  members: ReturnType<typeof memberModel>;
  ledger: ReturnType<typeof ledgerModel>;
  lots: ReturnType<typeof lotModel>;
  now: () => Date;
}

export class PointsLedger {
  constructor(private readonly deps: Deps) {}

  /** Adds points as a new lot expiring at the end of the 12th month after this one. */
  async earn(change: PointsChange): Promise<LedgerEntry> {
    assertPositive(change.amount);
    const { members, ledger, lots, connection, now } = this.deps;
    return inTransaction(connection, change.session, async (session) => {
      const existing = await ledger.findOne({ idempotencyKey: change.idempotencyKey }).session(session).lean<LedgerEntry>();
      if (existing) return existing;
      const at = now();
      const member = await members
        .findOneAndUpdate({ _id: change.memberId, status: 'active' }, { $inc: { pointsBalance: change.amount } }, { returnDocument: 'after', session })
        .lean();
      if (!member) throw new AppError(ErrorCode.NOT_FOUND, 'No such member.');
      const entryId = new Types.ObjectId();
      const expiresAt = lotExpiry(at);
      const [entry] = await ledger.create(
        [
          {
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
          },
        ],
        { session },
      );
      await lots.create(
        [{ memberId: member._id, entryId, amount: change.amount, remaining: change.amount, earnedAt: at, expiresAt }],
        { session },
      );
      return entry!.toObject();
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
      const current = await members.findOne({ _id: change.memberId }, { pointsBalance: 1, status: 1 }).session(session).lean();
      if (!current) throw new AppError(ErrorCode.NOT_FOUND, 'No such member.');
      const amount = mode === 'exact' ? change.amount : Math.min(change.amount, current.pointsBalance);
      const shortfall = change.amount - amount;
      const at = now();
      let balanceAfter = current.pointsBalance;
      let draws: Array<{ lotId: Types.ObjectId; amount: number }> = [];
      if (amount > 0) {
        // The balance guard is the conditional update itself: it cannot go below 0 whatever runs beside it.
        const member = await members
          .findOneAndUpdate({ _id: change.memberId, pointsBalance: { $gte: amount } }, { $inc: { pointsBalance: -amount } }, { returnDocument: 'after', session })
          .lean();
        if (!member) {
          throw new AppError(ErrorCode.INSUFFICIENT_POINTS, `Not enough points: ${current.pointsBalance} available, ${amount} needed.`, {
            balance: current.pointsBalance,
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
            memberId: current._id,
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
      return entry!.toObject();
    });
  }

  /** Points due to expire within `days` days, at the soonest such date. */
  async expiringSoon(memberId: Types.ObjectId | string, days = 30): Promise<{ amount: number; at: Date } | null> {
    const now = this.deps.now();
    const horizon = new Date(now.getTime() + days * 24 * 3600_000);
    const due = await this.deps.lots
      .find({ memberId, remaining: { $gt: 0 }, expiredAt: null, expiresAt: { $lte: horizon } })
      .sort({ expiresAt: 1 })
      .lean<PointsLot[]>();
    if (due.length === 0) return null;
    return { amount: due.reduce((sum, lot) => sum + lot.remaining, 0), at: due[0]!.expiresAt };
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
      return entry!.toObject();
    });
  }
}

function assertPositive(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error(`Points amounts are positive integers, got ${amount}`);
}
