import type { CouponStatus, CouponType } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

/** How a coupon reached its member; with `channelRef` it says which campaign, exchange, code, grant or offer run. */
export type IssueChannel = 'campaign' | 'mall' | 'code' | 'automation' | 'grant' | 'centre' | 'referral' | 'offer';

/** The terms a coupon carries; copied from the template at issue, so later template edits never change held coupons. */
interface CouponTermsFields {
  title: string;
  type: CouponType;
  minSpendFen?: number | null;
  amountOffFen?: number | null;
  percentOff?: number | null;
  maxOffFen?: number | null;
  giftName?: string | null;
  storeIds: string[];
  tiers: string[];
}

export interface CouponTemplateDoc extends CouponTermsFields {
  _id: Types.ObjectId;
  validFrom?: Date | null;
  validUntil?: Date | null;
  validDays?: number | null;
  totalQuantity: number;
  perMemberLimit: number;
  pointsCost?: number | null;
  /** Claimable for free in the coupon centre (领券中心). */
  inCouponCentre?: boolean;
  status: 'active' | 'archived';
  issuedCount: number;
  /** totalQuantity − issuedCount, kept as a field so the issue guard is a plain `remaining > 0` match. */
  remaining: number;
  createdAt: Date;
  updatedAt: Date;
}

const termsFields = {
  title: { type: String, required: true },
  type: { type: String, enum: ['cash', 'discount', 'gift'], required: true },
  minSpendFen: { type: Number, default: null },
  amountOffFen: { type: Number, default: null },
  percentOff: { type: Number, default: null },
  maxOffFen: { type: Number, default: null },
  giftName: { type: String, default: null },
  storeIds: { type: [String], default: [] },
  tiers: { type: [String], default: [] },
};

const CouponTemplateSchema = new Schema<CouponTemplateDoc>(
  {
    ...termsFields,
    validFrom: { type: Date, default: null },
    validUntil: { type: Date, default: null },
    validDays: { type: Number, default: null },
    totalQuantity: { type: Number, required: true, min: 1 },
    perMemberLimit: { type: Number, required: true, min: 1 },
    pointsCost: { type: Number, default: null },
    inCouponCentre: { type: Boolean, default: false },
    status: { type: String, enum: ['active', 'archived'], required: true },
    issuedCount: { type: Number, required: true, min: 0 },
    remaining: { type: Number, required: true, min: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'coupon_templates' },
);
CouponTemplateSchema.index({ createdAt: -1, _id: -1 });
// The points mall lists active templates with a points cost.
CouponTemplateSchema.index({ status: 1, pointsCost: 1 });
// The coupon centre lists active templates marked for it.
CouponTemplateSchema.index({ inCouponCentre: 1, status: 1, createdAt: -1 });

export interface CouponDoc extends CouponTermsFields {
  _id: Types.ObjectId;
  templateId: Types.ObjectId;
  memberId: Types.ObjectId;
  status: CouponStatus;
  validFrom: Date;
  validUntil: Date;
  channel: IssueChannel;
  channelRef: string;
  issuedAt: Date;
  redeemedAt?: Date | null;
  /** The redemption that used it, while redeemed. */
  redemptionId?: Types.ObjectId | null;
  expiredAt?: Date | null;
  /** The issue batch (CouponIssueBatchDoc `_id`) that inserted it, when issued in a batch: its settlement counts these. */
  issueBatchId?: string;
  /** Which of the member's `perMemberLimit` places for the template it takes (0, 1, …); unique per template and member. */
  limitSlot?: number;
}

const CouponSchema = new Schema<CouponDoc>(
  {
    ...termsFields,
    templateId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    status: { type: String, enum: ['issued', 'redeemed', 'expired', 'revoked'], required: true },
    validFrom: { type: Date, required: true },
    validUntil: { type: Date, required: true },
    channel: { type: String, required: true },
    channelRef: { type: String, required: true },
    issuedAt: { type: Date, required: true },
    redeemedAt: { type: Date, default: null },
    redemptionId: { type: Schema.Types.ObjectId, default: null },
    expiredAt: { type: Date, default: null },
    issueBatchId: { type: String },
    limitSlot: { type: Number },
  },
  { versionKey: false, collection: 'coupons' },
);
// The same campaign, exchange, claim or grant never issues the same member a second coupon.
CouponSchema.index({ templateId: 1, channel: 1, channelRef: 1, memberId: 1 }, { unique: true });
// Finds an issue batch's coupons by their batch id (only batch-issued coupons carry the field); the issuer's
// settle count narrows by the coupon key's index instead, which the embedded server can plan with.
CouponSchema.index({ issueBatchId: 1 }, { sparse: true });
// The per-member limit: a member's coupons of a template each take a different slot below perMemberLimit, so a
// second coupon in a slot is refused by the index whatever issues it (coupons from before slots carry none).
CouponSchema.index({ templateId: 1, memberId: 1, limitSlot: 1 }, { unique: true, partialFilterExpression: { limitSlot: { $exists: true } } });
// Wallet tabs and the card's count.
CouponSchema.index({ memberId: 1, status: 1, issuedAt: -1, _id: -1 });
// The expiry job walks issued coupons past their validity.
CouponSchema.index({ status: 1, validUntil: 1 });
// A day's issued coupons, for the reports (reports/service.ts).
CouponSchema.index({ issuedAt: 1 });

/**
 * Quantity one issue batch holds from its template (see `CouponIssuer.issueBatch`). `_id` is
 * `templateId:channel:channelRef:batchKey` (a campaign's batch key is the resume point the batch starts after), so
 * a re-run of the batch after a crash finds and reuses its reservation instead of taking more.
 */
export interface CouponIssueBatchDoc {
  _id: string;
  templateId: Types.ObjectId;
  channel: IssueChannel;
  channelRef: string;
  batchKey: string;
  /** Units taken from the template and not returned: the batch's coupons plus, while open, units not yet used. */
  taken: number;
  /** The range of everyone the batch may have issued to (for operators reading an open batch). */
  firstMemberId: Types.ObjectId;
  lastMemberId: Types.ObjectId;
  /** open: holds units (a run is issuing, or one died); settled: taken equals the coupons issued. */
  status: 'open' | 'settled';
  /** The run that reserved last: its settle may skip the recount only while this is still its id. */
  runId?: string;
  createdAt: Date;
  updatedAt: Date;
}

const CouponIssueBatchSchema = new Schema<CouponIssueBatchDoc>(
  {
    _id: { type: String, required: true },
    templateId: { type: Schema.Types.ObjectId, required: true },
    channel: { type: String, required: true },
    channelRef: { type: String, required: true },
    batchKey: { type: String, required: true },
    taken: { type: Number, required: true, min: 0 },
    firstMemberId: { type: Schema.Types.ObjectId, required: true },
    lastMemberId: { type: Schema.Types.ObjectId, required: true },
    status: { type: String, enum: ['open', 'settled'], required: true },
    runId: { type: String },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'coupon_issue_batches' },
);
// Open batches hold quantity: an operator (or a sweeper) finds them by template.
CouponIssueBatchSchema.index({ templateId: 1, status: 1 });

export interface RedemptionDoc {
  _id: Types.ObjectId;
  couponId: Types.ObjectId;
  memberId: Types.ObjectId;
  templateId: Types.ObjectId;
  /** The coupon's issue channel and reference (e.g. the campaign id), so campaign ROI reads redemptions alone. */
  channel: IssueChannel;
  channelRef: string;
  storeId: string;
  staffId: string;
  orderNo?: string | null;
  orderAmountFen?: number | null;
  /** What the coupon took off the order, when the order amount was given. */
  savingFen: number | null;
  status: 'redeemed' | 'reversed';
  createdAt: Date;
  reversedAt?: Date | null;
  reversedBy?: string | null;
  reversalReason?: string | null;
}

const RedemptionSchema = new Schema<RedemptionDoc>(
  {
    couponId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    templateId: { type: Schema.Types.ObjectId, required: true },
    channel: { type: String, required: true },
    channelRef: { type: String, required: true },
    storeId: { type: String, required: true },
    staffId: { type: String, required: true },
    orderNo: { type: String, default: null },
    orderAmountFen: { type: Number, default: null },
    savingFen: { type: Number, default: null },
    status: { type: String, enum: ['redeemed', 'reversed'], required: true },
    createdAt: { type: Date, required: true },
    reversedAt: { type: Date, default: null },
    reversedBy: { type: String, default: null },
    reversalReason: { type: String, default: null },
  },
  { versionKey: false, collection: 'coupon_redemptions' },
);
// At most one standing redemption per coupon, whatever happens above (a second guard beside the coupon's state).
RedemptionSchema.index({ couponId: 1 }, { unique: true, partialFilterExpression: { status: 'redeemed' } });
// Campaign ROI: redemptions by campaign.
RedemptionSchema.index({ channel: 1, channelRef: 1 });
RedemptionSchema.index({ storeId: 1, createdAt: -1 });
// A day's redemptions across stores, for the reports (reports/service.ts).
RedemptionSchema.index({ createdAt: 1 });
// Reversals since a mark, for the campaign rollups (campaigns/rollups.ts).
RedemptionSchema.index({ reversedAt: 1 });
// A member's redemptions, newest first (HQ's member page, modules/shift).
RedemptionSchema.index({ memberId: 1, createdAt: -1, _id: -1 });

export function couponTemplateModel(conn: mongoose.Connection) {
  return conn.models.CouponTemplate ?? conn.model<CouponTemplateDoc>('CouponTemplate', CouponTemplateSchema);
}

export function couponModel(conn: mongoose.Connection) {
  return conn.models.Coupon ?? conn.model<CouponDoc>('Coupon', CouponSchema);
}


export function couponIssueBatchModel(conn: mongoose.Connection) {
  return conn.models.CouponIssueBatch ?? conn.model<CouponIssueBatchDoc>('CouponIssueBatch', CouponIssueBatchSchema);
}

export function redemptionModel(conn: mongoose.Connection) {
  return conn.models.CouponRedemption ?? conn.model<RedemptionDoc>('CouponRedemption', RedemptionSchema);
}
