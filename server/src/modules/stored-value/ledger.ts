import { ErrorCode, type StoredValueBalance, type StoredValueEntryKind } from '@membercard/shared';
import { Types, type ClientSession } from 'mongoose';
import { AppError } from '../../lib/errors';
import type { StoredValueAccount, StoredValueEntryDoc, StoredValueRef, storedValueAccountModel, storedValueEntryModel } from './model';

// The stored-value ledger. A change is two writes in the caller's transaction: one conditional update of the
// member's account (the condition is the balance guard, so no interleaving of requests can take a part below
// 0) and the insert of its entry under a unique idempotency key (so a retried or duplicated request books
// nothing more). Callers own the transaction because a change always travels with a record of their own
// (a paid top-up order, a charge, a refund request) that must commit or abort with it.

export interface StoredValueChange {
  memberId: Types.ObjectId | string;
  kind: StoredValueEntryKind;
  /** Signed fen: credits positive, debits negative. */
  principalDelta: number;
  bonusDelta: number;
  storeId?: string | null;
  ref?: StoredValueRef | null;
  /** The statement line's words, Chinese (e.g. 充值 ¥500.00, 充值赠送, 储值消费 · 上海静安店). */
  reason: string;
  idempotencyKey: string;
  /** `member:<id>`, `staff:<id>`, `pos:<keyId>`, `wechatpay`, `system`. */
  actor: string;
  /** A paid top-up releases what its order held against the balance cap (account.pendingFen) in the same update. */
  releasePendingFen?: number;
}

/** The entry booked, or found booked before under the same idempotency key (`replayed`). */
export type AppliedEntry = StoredValueEntryDoc & { replayed: boolean };

interface Deps {
  accounts: ReturnType<typeof storedValueAccountModel>;
  entries: ReturnType<typeof storedValueEntryModel>;
  now: () => Date;
}

export class StoredValueLedger {
  constructor(private readonly deps: Deps) {}

  /**
   * Books one change. MUST run inside the caller's `inTransaction` session. Answers the earlier entry when the
   * idempotency key was booked before; 422 INSUFFICIENT_BALANCE when a part would go below 0.
   */
  async apply(session: ClientSession, change: StoredValueChange): Promise<AppliedEntry> {
    assertDelta(change.principalDelta, 'principalDelta');
    assertDelta(change.bonusDelta, 'bonusDelta');
    if (change.principalDelta === 0 && change.bonusDelta === 0) throw new Error('A stored-value change moves at least one part');
    if (!session.inTransaction()) throw new Error('StoredValueLedger.apply runs inside the caller’s transaction');
    const { accounts, entries, now } = this.deps;
    const existing = await entries.findOne({ idempotencyKey: change.idempotencyKey }).session(session).lean<StoredValueEntryDoc>();
    if (existing) return { ...existing, replayed: true };

    const memberId = new Types.ObjectId(String(change.memberId));
    const at = now();
    const release = change.releasePendingFen ?? 0;
    assertDelta(release, 'releasePendingFen');
    const filter: Record<string, unknown> = { _id: memberId };
    if (change.principalDelta < 0) filter.principalFen = { $gte: -change.principalDelta };
    if (change.bonusDelta < 0) filter.bonusFen = { $gte: -change.bonusDelta };
    if (release > 0) filter.pendingFen = { $gte: release };
    // Only a pure credit may open an account; a debit needs one that holds enough.
    const opens = change.principalDelta >= 0 && change.bonusDelta >= 0 && release === 0;
    const account = await accounts
      .findOneAndUpdate(
        filter,
        {
          $inc: { principalFen: change.principalDelta, bonusFen: change.bonusDelta, ...(release > 0 ? { pendingFen: -release } : {}) },
          $set: { updatedAt: at },
          ...(opens ? { $setOnInsert: { topupDay: null, topupDayFen: 0, pendingFen: 0 } } : {}),
        },
        { returnDocument: 'after', upsert: opens, session },
      )
      .lean<StoredValueAccount>();
    if (!account) {
      const current = await this.balanceOf(memberId, session);
      if (release > 0) throw new Error(`Stored-value account ${String(memberId)} does not hold ${release} fen pending`);
      throw new AppError(ErrorCode.INSUFFICIENT_BALANCE, `Not enough stored value: ${current.principalFen} principal and ${current.bonusFen} bonus fen held.`, {
        principalFen: current.principalFen,
        bonusFen: current.bonusFen,
        neededPrincipalFen: Math.max(0, -change.principalDelta),
        neededBonusFen: Math.max(0, -change.bonusDelta),
      });
    }
    const [entry] = await entries.create(
      [
        {
          memberId,
          kind: change.kind,
          principalDelta: change.principalDelta,
          bonusDelta: change.bonusDelta,
          principalAfter: account.principalFen,
          bonusAfter: account.bonusFen,
          storeId: change.storeId ?? null,
          ref: change.ref ?? null,
          reason: change.reason,
          idempotencyKey: change.idempotencyKey,
          actor: change.actor,
          createdAt: at,
        },
      ],
      { session },
    );
    return { ...(entry!.toObject() as StoredValueEntryDoc), replayed: false };
  }

  /** The member's balance (zero when they never topped up). */
  async balanceOf(memberId: Types.ObjectId | string, session?: ClientSession): Promise<StoredValueBalance> {
    const query = this.deps.accounts.findById(new Types.ObjectId(String(memberId)), { principalFen: 1, bonusFen: 1 });
    if (session) query.session(session);
    const account = await query.lean<Pick<StoredValueAccount, 'principalFen' | 'bonusFen'>>();
    const principalFen = account?.principalFen ?? 0;
    const bonusFen = account?.bonusFen ?? 0;
    return { principalFen, bonusFen, totalFen: principalFen + bonusFen };
  }

  /** Entries booked under one reference (a top-up order, a charge), oldest first. */
  async entriesFor(ref: StoredValueRef, session?: ClientSession): Promise<StoredValueEntryDoc[]> {
    const query = this.deps.entries.find({ 'ref.type': ref.type, 'ref.id': ref.id }).sort({ createdAt: 1, _id: 1 });
    if (session) query.session(session);
    return query.lean<StoredValueEntryDoc[]>();
  }
}

function assertDelta(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer number of fen, got ${value}`);
}
