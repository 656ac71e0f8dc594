import { ErrorCode, type StoredValueConfirmation } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Schema, Types, type ClientSession } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';

// A charge above HQ's "confirm above" amount that the till sent without the member's PIN waits for the member
// to approve it on the phone: one confirmation per store and order number, bound to what the till asked for
// (member, amounts, payments, lines: the charge's fingerprint), so an approval cannot be spent on another
// order. The till sends the same charge again (polling) and gets 202 until the member decides; an approved
// confirmation is used up by the charge's own transaction, so it pays once. Undecided, it lapses after
// CONFIRMATION_TTL_MS, and the till's next attempt asks again.

export const CONFIRMATION_TTL_MS = 3 * 60_000;

export interface ConfirmationDoc {
  _id: Types.ObjectId;
  storeId: string;
  orderNo: string;
  memberId: Types.ObjectId;
  amountFen: number;
  orderTotalFen: number;
  fingerprint: string;
  status: 'pending' | 'approved' | 'declined' | 'used';
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
}

const ConfirmationSchema = new Schema<ConfirmationDoc>(
  {
    storeId: { type: String, required: true },
    orderNo: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    amountFen: { type: Number, required: true, min: 1 },
    orderTotalFen: { type: Number, required: true, min: 1 },
    fingerprint: { type: String, required: true },
    status: { type: String, enum: ['pending', 'approved', 'declined', 'used'], required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    decidedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'stored_value_confirmations' },
);
ConfirmationSchema.index({ storeId: 1, orderNo: 1 }, { unique: true });
ConfirmationSchema.index({ memberId: 1, status: 1, expiresAt: -1 });

export function confirmationModel(conn: mongoose.Connection) {
  return conn.models.StoredValueConfirmation ?? conn.model<ConfirmationDoc>('StoredValueConfirmation', ConfirmationSchema);
}

export interface ConfirmationRequest {
  storeId: string;
  orderNo: string;
  memberId: Types.ObjectId;
  amountFen: number;
  orderTotalFen: number;
  fingerprint: string;
}

export class ChargeConfirmations {
  constructor(
    private readonly model: ReturnType<typeof confirmationModel>,
    private readonly storeName: (storeId: string) => Promise<string>,
    private readonly now: () => Date,
  ) {}

  /**
   * The confirmation of this order: approved → the charge may go ahead; pending → wait; lapsed → asked again.
   * 409 IDEMPOTENCY_KEY_REUSED when the order number was asked for another charge, 422 CHARGE_DECLINED when
   * the member said no.
   */
  async ask(request: ConfirmationRequest): Promise<ConfirmationDoc> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const at = this.now();
      const existing = await this.model.findOne({ storeId: request.storeId, orderNo: request.orderNo }).lean<ConfirmationDoc>();
      if (!existing) {
        try {
          const doc: ConfirmationDoc = { _id: new Types.ObjectId(), ...request, status: 'pending', createdAt: at, expiresAt: new Date(at.getTime() + CONFIRMATION_TTL_MS), decidedAt: null };
          await this.model.collection.insertOne(doc);
          return doc;
        } catch (err) {
          if (isDuplicateKeyError(err)) continue; // asked by a parallel attempt: read it
          throw err;
        }
      }
      this.assertSame(existing, request.fingerprint);
      if (existing.status === 'declined') throw declined();
      if (existing.status !== 'pending' || existing.expiresAt > at) return existing;
      // Lapsed undecided: ask again under the same id, so a phone showing it still finds it.
      const renewed = await this.model
        .findOneAndUpdate({ _id: existing._id, status: 'pending', expiresAt: existing.expiresAt }, { $set: { createdAt: at, expiresAt: new Date(at.getTime() + CONFIRMATION_TTL_MS) } }, { returnDocument: 'after' })
        .lean<ConfirmationDoc>();
      if (renewed) return renewed;
    }
    throw new AppError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'The confirmation is changing; send the charge again shortly.');
  }

  /** The confirmation the till names, when it is this store's and for this very charge. */
  async named(id: string, storeId: string): Promise<ConfirmationDoc> {
    const doc = Types.ObjectId.isValid(id) && /^[a-f0-9]{24}$/i.test(id) ? await this.model.findOne({ _id: new Types.ObjectId(id), storeId }).lean<ConfirmationDoc>() : null;
    if (!doc) throw new AppError(ErrorCode.CODE_INVALID, 'No such confirmation at this store: scan the member’s code again.');
    return doc;
  }

  assertSame(doc: ConfirmationDoc, fingerprint: string): void {
    if (doc.fingerprint !== fingerprint) throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This order number was already used for a different charge.');
  }

  /** Spends an approved confirmation inside the charge's transaction; a second use finds nothing to spend. */
  async use(session: ClientSession, id: Types.ObjectId): Promise<void> {
    const used = await this.model.updateOne({ _id: id, status: 'approved' }, { $set: { status: 'used' } }, { session });
    if (used.matchedCount !== 1) throw new AppError(ErrorCode.CONFLICT, 'This confirmation was already used.');
  }

  /** The member's charges waiting for a decision, newest first. */
  async pendingFor(memberId: Types.ObjectId): Promise<StoredValueConfirmation[]> {
    const docs = await this.model
      .find({ memberId, status: 'pending', expiresAt: { $gt: this.now() } })
      .sort({ createdAt: -1 })
      .limit(10)
      .lean<ConfirmationDoc[]>();
    return Promise.all(docs.map((doc) => this.view(doc)));
  }

  /** The member approves or declines; deciding again the same way answers the same, the other way 409. */
  async decide(memberId: Types.ObjectId, id: string, approve: boolean): Promise<StoredValueConfirmation> {
    const _id = new Types.ObjectId(id);
    const at = this.now();
    const status = approve ? 'approved' : 'declined';
    const decided = await this.model
      .findOneAndUpdate({ _id, memberId, status: 'pending', expiresAt: { $gt: at } }, { $set: { status, decidedAt: at } }, { returnDocument: 'after' })
      .lean<ConfirmationDoc>();
    if (decided) return this.view(decided);
    const doc = await this.model.findOne({ _id, memberId }).lean<ConfirmationDoc>();
    if (!doc) throw errors.notFound('No such payment to confirm.');
    if (doc.status === status || (approve && doc.status === 'used')) return this.view(doc);
    if (doc.status === 'pending') throw new AppError(ErrorCode.CONFIRMATION_EXPIRED, 'This payment request has lapsed; the clerk will ask again.');
    throw new AppError(ErrorCode.CONFLICT, 'This payment was already decided.');
  }

  async view(doc: ConfirmationDoc): Promise<StoredValueConfirmation> {
    const at = this.now();
    return {
      id: String(doc._id),
      storeId: doc.storeId,
      storeName: await this.storeName(doc.storeId),
      orderNo: doc.orderNo,
      amountFen: doc.amountFen,
      orderTotalFen: doc.orderTotalFen,
      status: doc.status === 'pending' && doc.expiresAt <= at ? 'expired' : doc.status,
      createdAt: doc.createdAt.toISOString(),
      expiresAt: doc.expiresAt.toISOString(),
    };
  }
}

const declined = () => new AppError(ErrorCode.CHARGE_DECLINED, 'The member declined this payment on the phone; take another way of paying.');
