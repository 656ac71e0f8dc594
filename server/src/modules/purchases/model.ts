import mongoose, { Schema, Types } from 'mongoose';

/** One purchase a clerk recorded at the counter, with its lines (the counter view and segments read them). */
export interface PurchaseDoc {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  storeId: string;
  /** The till's order number: unique per store, so a re-run of the same order can never book twice. */
  orderNo: string;
  amountFen: number;
  lines: Array<{ sku: string; name: string; category: string; qty: number; amountFen: number }>;
  pointsEarned: number;
  ledgerEntryId: Types.ObjectId | null;
  /** The answer the purchase got, so a repeat after the idempotency records expired still gets it. */
  balanceAfter: number;
  tierBefore: string;
  tierAfter: string;
  staffId: string;
  createdAt: Date;
  status: 'booked' | 'reversed';
  /**
   * Whether amountFen is counted in the member's spend12mFen. Cleared (with the matching decrement) when the
   * purchase ages out of the trailing 12 months or is reversed, so spend12mFen = Σ amountFen of the member's
   * purchases still flagged, which the reconciliation checks.
   */
  inSpendWindow: boolean;
  /**
   * What the purchase counts in its member's categoryStats spend, per category (its lines summed; returns of
   * lines take their amounts off). Taken off the member when the purchase is reversed or ages out.
   */
  categorySpend?: Array<{ category: string; amountFen: number }>;
  reversal: {
    reason: string;
    pointsTakenBack: number;
    shortfall: number;
    balanceAfter: number;
    ledgerEntryId: Types.ObjectId | null;
    staffId: string;
    at: Date;
  } | null;
}

const LineSchema = new Schema(
  { sku: String, name: String, category: String, qty: Number, amountFen: Number },
  { _id: false },
);

const PurchaseSchema = new Schema<PurchaseDoc>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    storeId: { type: String, required: true },
    orderNo: { type: String, required: true },
    amountFen: { type: Number, required: true, min: 0 },
    lines: { type: [LineSchema], default: [] },
    pointsEarned: { type: Number, required: true, min: 0 },
    ledgerEntryId: { type: Schema.Types.ObjectId, default: null },
    balanceAfter: { type: Number, required: true },
    tierBefore: { type: String, required: true },
    tierAfter: { type: String, required: true },
    staffId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    status: { type: String, enum: ['booked', 'reversed'], required: true },
    inSpendWindow: { type: Boolean, required: true },
    categorySpend: { type: [{ _id: false, category: String, amountFen: Number }], default: [] },
    reversal: {
      type: {
        reason: String,
        pointsTakenBack: Number,
        shortfall: Number,
        balanceAfter: Number,
        ledgerEntryId: Schema.Types.ObjectId,
        staffId: String,
        at: Date,
      },
      default: null,
      _id: false,
    },
  },
  { versionKey: false, collection: 'purchases' },
);
PurchaseSchema.index({ storeId: 1, orderNo: 1 }, { unique: true });
// A member's purchase history, newest first (counter view, HQ console, cursor paging).
PurchaseSchema.index({ memberId: 1, createdAt: -1, _id: -1 });
// The spend-window job walks purchases still counted, oldest first.
PurchaseSchema.index({ inSpendWindow: 1, createdAt: 1 });
// A store's day at the counter (modules/shift), newest first.
PurchaseSchema.index({ storeId: 1, createdAt: -1, _id: -1 });
// A day's purchases across stores, for the reports (reports/service.ts).
PurchaseSchema.index({ createdAt: 1 });
// Reversals since a mark, for the campaign rollups (campaigns/rollups.ts); only reversed purchases have one.
PurchaseSchema.index({ 'reversal.at': 1 }, { sparse: true });

export function purchaseModel(conn: mongoose.Connection) {
  return conn.models.Purchase ?? conn.model<PurchaseDoc>('Purchase', PurchaseSchema);
}

/** One member's yearly tier review: the `${year}:${memberId}` key makes a second review that year impossible. */
export interface TierReviewDoc {
  _id: string;
  memberId: Types.ObjectId;
  year: number;
  from: string;
  to: string;
  spendFen: number;
  reviewedAt: Date;
}

const TierReviewSchema = new Schema<TierReviewDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    year: { type: Number, required: true },
    from: { type: String, required: true },
    to: { type: String, required: true },
    spendFen: { type: Number, required: true },
    reviewedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'tier_reviews' },
);
TierReviewSchema.index({ memberId: 1, year: -1 });

export function tierReviewModel(conn: mongoose.Connection) {
  return conn.models.TierReview ?? conn.model<TierReviewDoc>('TierReview', TierReviewSchema);
}
