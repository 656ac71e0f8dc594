import mongoose, { Schema, Types } from 'mongoose';

export type LedgerSource = 'purchase' | 'redemption' | 'exchange' | 'bonus' | 'adjustment' | 'expiry' | 'reversal' | 'attendance' | 'code';

/** An append-only record of one change to a member's points. */
export interface LedgerEntry {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  delta: number;
  balanceAfter: number;
  reason: string;
  source: LedgerSource;
  /** Unique: the same change can never be booked twice, whatever retries happen above. */
  idempotencyKey: string;
  createdAt: Date;
  /** For earnings: when the lot this entry created expires. */
  expiresAt?: Date | null;
  /** For spends and expiries: which lots it drew from. */
  draws?: Array<{ lotId: Types.ObjectId; amount: number }>;
  /** A reversal that could not take back everything records what it could not. */
  shortfall?: number;
  storeId?: string | null;
  actorId?: string | null;
}

const LedgerSchema = new Schema<LedgerEntry>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    delta: { type: Number, required: true },
    balanceAfter: { type: Number, required: true, min: 0 },
    reason: { type: String, required: true },
    source: { type: String, required: true },
    idempotencyKey: { type: String, required: true, unique: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, default: null },
    draws: { type: [{ lotId: Schema.Types.ObjectId, amount: Number, _id: false }], default: undefined },
    shortfall: { type: Number, default: undefined },
    storeId: { type: String, default: null },
    actorId: { type: String, default: null },
  },
  { versionKey: false, collection: 'points_ledger' },
);
LedgerSchema.index({ memberId: 1, createdAt: -1, _id: -1 });
// A day's entries, for the reports (reports/service.ts).
LedgerSchema.index({ createdAt: 1 });

/** What is left of one earning; spends draw on the soonest-expiring lots first. */
export interface PointsLot {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  entryId: Types.ObjectId;
  amount: number;
  remaining: number;
  earnedAt: Date;
  expiresAt: Date;
  /** Set once the expiry job has turned the remainder into an expiry entry. */
  expiredAt?: Date | null;
}

const LotSchema = new Schema<PointsLot>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    entryId: { type: Schema.Types.ObjectId, required: true },
    amount: { type: Number, required: true, min: 1 },
    remaining: { type: Number, required: true, min: 0 },
    earnedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    expiredAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'points_lots' },
);
LotSchema.index({ memberId: 1, expiresAt: 1 });
// The expiry job walks due lots with something left.
LotSchema.index({ expiresAt: 1, remaining: 1 });

export function ledgerModel(conn: mongoose.Connection) {
  return conn.models.LedgerEntry ?? conn.model<LedgerEntry>('LedgerEntry', LedgerSchema);
}

export function lotModel(conn: mongoose.Connection) {
  return conn.models.PointsLot ?? conn.model<PointsLot>('PointsLot', LotSchema);
}

/**
 * What the expiry-warning job found due within 30 days: one record per member per expiry date, for the
 * campaigns module to send the subscribe message from (and then set `notifiedAt`). `amount` is refreshed on
 * every run until the points expire, so it tells what is still due, not what was due at first sight.
 */
export interface ExpiryWarning {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  expiresAt: Date;
  amount: number;
  createdAt: Date;
  updatedAt: Date;
  notifiedAt: Date | null;
}

const ExpiryWarningSchema = new Schema<ExpiryWarning>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    expiresAt: { type: Date, required: true },
    amount: { type: Number, required: true, min: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    notifiedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'points_expiry_warnings' },
);
ExpiryWarningSchema.index({ memberId: 1, expiresAt: 1 }, { unique: true });
// The notifier walks what is not yet sent, soonest first.
ExpiryWarningSchema.index({ notifiedAt: 1, expiresAt: 1 });

export function expiryWarningModel(conn: mongoose.Connection) {
  return conn.models.ExpiryWarning ?? conn.model<ExpiryWarning>('ExpiryWarning', ExpiryWarningSchema);
}
