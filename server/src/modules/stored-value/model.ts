import type { StoredValueEntryKind } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

// Stored value (储值): money a member has paid in (principal) and what the brand added (bonus), kept apart
// because only principal can ever be paid back. One account document per member holds the balances; the
// entries are the append-only ledger that explains them (balance = Σ entries, checked by `npm run reconcile`).
// Only StoredValueLedger writes either collection.

export interface StoredValueAccount {
  /** The member's id. */
  _id: Types.ObjectId;
  principalFen: number;
  bonusFen: number;
  /** Top-ups ordered (awaiting payment or paid) on `topupDay`, for the per-day cap; see topup.ts. */
  topupDay: string | null;
  topupDayFen: number;
  /** Principal and bonus of top-ups ordered but not yet paid: counted against the balance cap until paid or closed. */
  pendingFen: number;
  updatedAt: Date;
}

// min: 0 guards documents written whole; the balance guard on every change is the ledger's conditional update.
const AccountSchema = new Schema<StoredValueAccount>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    principalFen: { type: Number, required: true, min: 0, validate: Number.isSafeInteger },
    bonusFen: { type: Number, required: true, min: 0, validate: Number.isSafeInteger },
    topupDay: { type: String, default: null },
    topupDayFen: { type: Number, default: 0, min: 0 },
    pendingFen: { type: Number, default: 0, min: 0 },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'stored_value_accounts' },
);
// The liability report and reconcile walk accounts holding something.
AccountSchema.index({ principalFen: 1, bonusFen: 1 });

/** What the entry belongs to: a top-up order, a charge, a principal refund request. */
export interface StoredValueRef {
  type: string;
  id: string;
}

export interface StoredValueEntryDoc {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  kind: StoredValueEntryKind;
  principalDelta: number;
  bonusDelta: number;
  principalAfter: number;
  bonusAfter: number;
  /** The store the money is attributed to (the store a top-up was made for, the store that charged); null for HQ. */
  storeId: string | null;
  ref: StoredValueRef | null;
  reason: string;
  /** Unique: the same change can never be booked twice, whatever retries happen above. */
  idempotencyKey: string;
  /** Who caused it: `member:<id>`, `staff:<id>`, `pos:<keyId>`, `wechatpay`, `system`. */
  actor: string;
  createdAt: Date;
}

const EntrySchema = new Schema<StoredValueEntryDoc>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: ['topup', 'topup_bonus', 'charge', 'charge_refund', 'principal_refund', 'bonus_forfeit', 'adjustment'], required: true },
    principalDelta: { type: Number, required: true, validate: Number.isSafeInteger },
    bonusDelta: { type: Number, required: true, validate: Number.isSafeInteger },
    principalAfter: { type: Number, required: true, min: 0 },
    bonusAfter: { type: Number, required: true, min: 0 },
    storeId: { type: String, default: null },
    ref: { type: new Schema<StoredValueRef>({ type: { type: String, required: true }, id: { type: String, required: true } }, { _id: false }), default: null },
    reason: { type: String, required: true },
    idempotencyKey: { type: String, required: true },
    actor: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'stored_value_entries' },
);
EntrySchema.index({ idempotencyKey: 1 }, { unique: true });
// A member's statement, newest first (cursor paging on createdAt, _id).
EntrySchema.index({ memberId: 1, createdAt: -1, _id: -1 });
// Entries of one top-up order, charge or refund request.
EntrySchema.index({ 'ref.type': 1, 'ref.id': 1 });
// Liability per store and the bonus-cost report.
EntrySchema.index({ storeId: 1, kind: 1 });

export function storedValueAccountModel(conn: mongoose.Connection) {
  return (conn.models.StoredValueAccount as mongoose.Model<StoredValueAccount>) ?? conn.model<StoredValueAccount>('StoredValueAccount', AccountSchema);
}

export function storedValueEntryModel(conn: mongoose.Connection) {
  return (conn.models.StoredValueEntry as mongoose.Model<StoredValueEntryDoc>) ?? conn.model<StoredValueEntryDoc>('StoredValueEntry', EntrySchema);
}
