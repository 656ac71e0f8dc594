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

/** A top-up rule (充值方案) HQ offers. */
export interface TopupRuleDoc {
  _id: Types.ObjectId;
  title: string;
  kind: 'fixed' | 'range';
  amountFen: number | null;
  minFen: number | null;
  maxFen: number | null;
  bonusFen: number;
  bonusPoints: number;
  couponTemplateId: Types.ObjectId | null;
  validFrom: Date | null;
  validUntil: Date | null;
  storeIds: string[];
  tiers: string[];
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const TopupRuleSchema = new Schema<TopupRuleDoc>(
  {
    title: { type: String, required: true },
    kind: { type: String, enum: ['fixed', 'range'], required: true },
    amountFen: { type: Number, default: null },
    minFen: { type: Number, default: null },
    maxFen: { type: Number, default: null },
    bonusFen: { type: Number, required: true, min: 0 },
    bonusPoints: { type: Number, required: true, min: 0 },
    couponTemplateId: { type: Schema.Types.ObjectId, default: null },
    validFrom: { type: Date, default: null },
    validUntil: { type: Date, default: null },
    storeIds: { type: [String], default: [] },
    tiers: { type: [String], default: [] },
    active: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'stored_value_topup_rules' },
);
TopupRuleSchema.index({ active: 1, createdAt: -1 });

export type TopupStatus = 'pending' | 'paid' | 'closed';

/**
 * One top-up order: the rule's terms as they were when ordered, the store it is for, and its WeChat Pay
 * payment (purpose 'topup'). pending → paid (credited once, with the payment) | closed (never paid).
 */
export interface TopupDoc {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  ruleId: Types.ObjectId;
  title: string;
  amountFen: number;
  bonusFen: number;
  bonusPoints: number;
  couponTemplateId: Types.ObjectId | null;
  /** The store the money is attributed to: the one the shopper chose, else their home store. */
  storeId: string | null;
  /** The China day it counts against the per-day cap. */
  chinaDay: string;
  status: TopupStatus;
  dueAt: Date;
  createdAt: Date;
  paidAt: Date | null;
  closedAt: Date | null;
  /** The coupon of the rule, once issued (after the credit, retried by the job). */
  couponIssuedAt: Date | null;
}

const TopupSchema = new Schema<TopupDoc>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    ruleId: { type: Schema.Types.ObjectId, required: true },
    title: { type: String, required: true },
    amountFen: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
    bonusFen: { type: Number, required: true, min: 0, validate: Number.isSafeInteger },
    bonusPoints: { type: Number, required: true, min: 0 },
    couponTemplateId: { type: Schema.Types.ObjectId, default: null },
    storeId: { type: String, default: null },
    chinaDay: { type: String, required: true },
    status: { type: String, enum: ['pending', 'paid', 'closed'], required: true },
    dueAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    paidAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
    couponIssuedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'stored_value_topups' },
);
TopupSchema.index({ memberId: 1, createdAt: -1 });
// The hold job walks unpaid orders past their due time.
TopupSchema.index({ status: 1, dueAt: 1 });

export type RefundRequestStatus = 'requested' | 'rejected' | 'refunding' | 'refunded';

/** A shopper's request to have unspent principal paid back to the WeChat Pay payments it came from. */
export interface RefundRequestDoc {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  status: RefundRequestStatus;
  /** True while requested or refunding: a member has at most one open request (unique partial index). */
  open: boolean;
  reason: string | null;
  principalFen: number;
  bonusForfeitFen: number;
  requestedAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  note: string | null;
  /** The payments refunded, each once, newest top-up first. */
  parts: Array<{ paymentId: Types.ObjectId; outTradeNo: string; amountFen: number; status: 'refunding' | 'refunded' }>;
}

const RefundRequestSchema = new Schema<RefundRequestDoc>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    status: { type: String, enum: ['requested', 'rejected', 'refunding', 'refunded'], required: true },
    open: { type: Boolean, required: true },
    reason: { type: String, default: null },
    principalFen: { type: Number, required: true, min: 0 },
    bonusForfeitFen: { type: Number, required: true, min: 0 },
    requestedAt: { type: Date, required: true },
    decidedAt: { type: Date, default: null },
    decidedBy: { type: String, default: null },
    note: { type: String, default: null },
    parts: { type: [{ paymentId: Schema.Types.ObjectId, outTradeNo: String, amountFen: Number, status: String, _id: false }], default: [] },
  },
  { versionKey: false, collection: 'stored_value_refund_requests' },
);
RefundRequestSchema.index({ memberId: 1 }, { unique: true, partialFilterExpression: { open: true } });
RefundRequestSchema.index({ status: 1, requestedAt: -1 });
RefundRequestSchema.index({ 'parts.paymentId': 1 });

export function topupRuleModel(conn: mongoose.Connection) {
  return (conn.models.TopupRule as mongoose.Model<TopupRuleDoc>) ?? conn.model<TopupRuleDoc>('TopupRule', TopupRuleSchema);
}

export function topupModel(conn: mongoose.Connection) {
  return (conn.models.Topup as mongoose.Model<TopupDoc>) ?? conn.model<TopupDoc>('Topup', TopupSchema);
}

export function refundRequestModel(conn: mongoose.Connection) {
  return (conn.models.StoredValueRefundRequest as mongoose.Model<RefundRequestDoc>) ?? conn.model<RefundRequestDoc>('StoredValueRefundRequest', RefundRequestSchema);
}
