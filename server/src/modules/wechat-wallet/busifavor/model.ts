import mongoose, { Schema, Types } from 'mongoose';

// The WeChat wallet side of coupon templates and coupons (商家券). Our coupon is the truth; these documents say
// what WeChat has of it and what is still to be told to WeChat. See docs/wechat-busifavor.md.

export type StockSyncStatus = 'pending' | 'synced' | 'failed';

/** One per template HQ has put into WeChat wallets ("也放入微信卡包"); `_id` is the template's id. */
export interface WalletStockDoc {
  _id: Types.ObjectId;
  enabled: boolean;
  /** WeChat's stock id once created. */
  stockId: string | null;
  /** The create call's out_request_no: fixed per template, so a retried create is recognised by WeChat. */
  outRequestNo: string;
  status: StockSyncStatus;
  /** The template's updatedAt and quantity WeChat's stock reflects. */
  syncedTemplateAt: Date | null;
  syncedQuantity: number | null;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const WalletStockSchema = new Schema<WalletStockDoc>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    enabled: { type: Boolean, required: true },
    stockId: { type: String, default: null },
    outRequestNo: { type: String, required: true },
    status: { type: String, enum: ['pending', 'synced', 'failed'], required: true },
    syncedTemplateAt: { type: Date, default: null },
    syncedQuantity: { type: Number, default: null },
    attempts: { type: Number, required: true, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    lastError: { type: String, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'busifavor_stocks' },
);
WalletStockSchema.index({ enabled: 1 });
// A stock id names one template (notifications carry the stock id).
WalletStockSchema.index({ stockId: 1 }, { unique: true, partialFilterExpression: { stockId: { $type: 'string' } } });

/**
 * offered: send parameters were handed to the member, WeChat has not confirmed; in_wallet: WeChat confirmed the
 * send (COUPON.SEND); refused: WeChat refused to send it (our coupon stands); used: used through WeChat Pay or at
 * our counter (`usedVia`); deactivated: HQ revoked ours, WeChat's is made unusable; expired: both expired.
 */
export type WalletCouponState = 'offered' | 'in_wallet' | 'refused' | 'used' | 'deactivated' | 'expired';

export type WalletOpKind = 'use' | 'return' | 'deactivate';

/** Something WeChat must still be told (the outbox entry the job works through, retried until done). */
export interface WalletOp {
  kind: WalletOpKind;
  /** use_request_no / return_request_no / deactivate_request_no: fixed per op, so a repeated call is one call for WeChat. */
  requestNo: string;
  status: 'pending' | 'failed' | 'done';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  /** The counter redemption a use/return op is for. */
  redemptionId: Types.ObjectId | null;
  createdAt: Date;
  doneAt: Date | null;
}

/** One per coupon offered to WeChat; `_id` is the coupon's id, which is also its code in WeChat (MERCHANT_API mode). */
export interface WalletCouponDoc {
  _id: Types.ObjectId;
  templateId: Types.ObjectId;
  memberId: Types.ObjectId;
  stockId: string;
  openid: string;
  outRequestNo: string;
  state: WalletCouponState;
  usedVia: 'wechat_pay' | 'counter' | null;
  /** WeChat's refusal: its code and the Chinese reason shown to the member. */
  refusal: { code: string; reason: string } | null;
  sentAt: Date | null;
  usedAt: Date | null;
  /** WeChat Pay's transaction id for a use through WeChat Pay. */
  transactionId: string | null;
  /** When WeChat Pay reported a use our ledger could not take (used at the counter first, expired or revoked here). */
  conflict: string | null;
  op: WalletOp | null;
  createdAt: Date;
  updatedAt: Date;
}

const WalletCouponSchema = new Schema<WalletCouponDoc>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    templateId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    stockId: { type: String, required: true },
    openid: { type: String, required: true },
    outRequestNo: { type: String, required: true },
    state: { type: String, enum: ['offered', 'in_wallet', 'refused', 'used', 'deactivated', 'expired'], required: true },
    usedVia: { type: String, default: null },
    refusal: { type: Schema.Types.Mixed, default: null },
    sentAt: { type: Date, default: null },
    usedAt: { type: Date, default: null },
    transactionId: { type: String, default: null },
    conflict: { type: String, default: null },
    op: { type: Schema.Types.Mixed, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'busifavor_coupons', minimize: false },
);
// HQ's counts per template, and the sweep over coupons WeChat holds.
WalletCouponSchema.index({ templateId: 1, state: 1, usedVia: 1 });
WalletCouponSchema.index({ state: 1, _id: 1 });
// The outbox: ops due.
WalletCouponSchema.index({ 'op.status': 1, 'op.nextAttemptAt': 1 });
WalletCouponSchema.index({ templateId: 1, 'op.status': 1 });

export function walletStockModel(conn: mongoose.Connection) {
  return conn.models.WalletStock ?? conn.model<WalletStockDoc>('WalletStock', WalletStockSchema);
}

export function walletCouponModel(conn: mongoose.Connection) {
  return conn.models.WalletCoupon ?? conn.model<WalletCouponDoc>('WalletCoupon', WalletCouponSchema);
}
