import mongoose, { Schema, Types } from 'mongoose';

/**
 * One WeChat Pay JSAPI order, kept like money: amounts in integer fen, one document per out_trade_no
 * (unique), one per purpose (a sign-up pays once), and every state change a conditional update on the
 * previous state, so a replayed notification or a job running twice finds nothing left to change.
 *
 *   pending ──paid──▶ paid ──refund──▶ refunding ──▶ refunded | refund_failed
 *      │                                    ▲
 *      └──▶ closing ──▶ closed ── (paid after all: money arrived, so it is refunded) ─┘
 */
export type PaymentStatus = 'pending' | 'paid' | 'closing' | 'closed' | 'refunding' | 'refunded' | 'refund_failed';

export type PaymentAlertKind = 'refund_abnormal' | 'refund_closed';

/** signup: a paid activity seat; topup: stored value (modules/stored-value/topup.ts). */
export type PaymentPurposeType = 'signup' | 'topup';

export interface PaymentDoc {
  _id: Types.ObjectId;
  outTradeNo: string;
  /** What the money is for; the purpose's module decides what "paid" does. */
  purpose: { type: PaymentPurposeType; id: Types.ObjectId };
  memberId: Types.ObjectId;
  /** Sign-up payments' activity; null for stored-value top-ups. */
  activityId: Types.ObjectId | null;
  openid: string;
  description: string;
  amountFen: number;
  status: PaymentStatus;
  prepayId: string | null;
  /** The order's time_expire: after it the shopper can no longer pay. */
  dueAt: Date;
  transactionId: string | null;
  paidAt: Date | null;
  closedAt: Date | null;
  outRefundNo: string;
  refund: {
    reason: string;
    requestedAt: Date;
    /** A partial refund's amount (stored-value principal); null or absent: the whole payment. */
    amountFen?: number | null;
    refundId: string | null;
    providerStatus: string | null;
    succeededAt: Date | null;
  } | null;
  /**
   * Raised when WeChat Pay ends the refund ABNORMAL (the shopper's card refused the money) or CLOSED: HQ
   * must act in the WeChat Pay merchant platform (see README); resolved by HQ in the console.
   */
  alert: {
    kind: PaymentAlertKind;
    raisedAt: Date;
    resolvedAt: Date | null;
    resolvedBy: string | null;
    note: string | null;
  } | null;
  /** Notification ids already applied, for the log; idempotency itself comes from the state guards. */
  notificationIds: string[];
  lastQueriedAt: Date | null;
  /** The last provider call that failed (the settling job retries it). */
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const PaymentSchema = new Schema<PaymentDoc>(
  {
    outTradeNo: { type: String, required: true },
    purpose: { type: { type: String, enum: ['signup', 'topup'], required: true }, id: { type: Schema.Types.ObjectId, required: true } },
    memberId: { type: Schema.Types.ObjectId, required: true },
    activityId: { type: Schema.Types.ObjectId, default: null },
    openid: { type: String, required: true },
    description: { type: String, required: true },
    amountFen: { type: Number, required: true, min: 1, validate: Number.isSafeInteger },
    status: { type: String, enum: ['pending', 'paid', 'closing', 'closed', 'refunding', 'refunded', 'refund_failed'], required: true },
    prepayId: { type: String, default: null },
    dueAt: { type: Date, required: true },
    transactionId: { type: String, default: null },
    paidAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
    outRefundNo: { type: String, required: true },
    refund: {
      type: {
        reason: String,
        requestedAt: Date,
        amountFen: { type: Number, default: null },
        refundId: { type: String, default: null },
        providerStatus: { type: String, default: null },
        succeededAt: { type: Date, default: null },
      },
      default: null,
      _id: false,
    },
    alert: {
      type: {
        kind: { type: String, enum: ['refund_abnormal', 'refund_closed'], required: true },
        raisedAt: { type: Date, required: true },
        resolvedAt: { type: Date, default: null },
        resolvedBy: { type: String, default: null },
        note: { type: String, default: null },
      },
      default: null,
      _id: false,
    },
    notificationIds: { type: [String], default: [] },
    lastQueriedAt: { type: Date, default: null },
    lastError: { type: String, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'payments' },
);

PaymentSchema.index({ outTradeNo: 1 }, { unique: true });
PaymentSchema.index({ outRefundNo: 1 }, { unique: true });
PaymentSchema.index({ 'purpose.type': 1, 'purpose.id': 1 }, { unique: true });
// The settling jobs look for payments stuck in one state since before a cut-off.
PaymentSchema.index({ status: 1, updatedAt: 1 });
PaymentSchema.index({ activityId: 1, status: 1 });
// HQ's list of open payment alerts.
PaymentSchema.index({ 'alert.kind': 1, 'alert.resolvedAt': 1, 'alert.raisedAt': -1 });

export function paymentModel(conn: mongoose.Connection) {
  return (conn.models.Payment as mongoose.Model<PaymentDoc>) ?? conn.model<PaymentDoc>('Payment', PaymentSchema);
}
