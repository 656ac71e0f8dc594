import mongoose, { Schema, Types } from 'mongoose';

/** A batch of printed redemption codes (兑换码), each worth one coupon of `templateId` or `points` points. */
export interface CodeBatchDoc {
  _id: Types.ObjectId;
  templateId?: Types.ObjectId | null;
  points?: number | null;
  /** What HQ calls it; batches from before names carry none (shown as 兑换码 and their China date). */
  name?: string | null;
  purpose?: string | null;
  count: number;
  claimedCount: number;
  /** `generating` while its codes are being stored; only a `ready` batch's codes can be claimed; `voided` by HQ. */
  status: 'generating' | 'ready' | 'voided';
  expiresAt: Date;
  createdAt: Date;
  createdBy: string;
  voidedAt?: Date | null;
  voidedBy?: string | null;
  voidReason?: string | null;
}

const CodeBatchSchema = new Schema<CodeBatchDoc>(
  {
    templateId: { type: Schema.Types.ObjectId, default: null },
    points: { type: Number, default: null },
    name: { type: String, default: null },
    purpose: { type: String, default: null },
    count: { type: Number, required: true, min: 1 },
    claimedCount: { type: Number, required: true, min: 0 },
    status: { type: String, enum: ['generating', 'ready', 'voided'], required: true },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    createdBy: { type: String, required: true },
    voidedAt: { type: Date, default: null },
    voidedBy: { type: String, default: null },
    voidReason: { type: String, default: null },
  },
  { versionKey: false, collection: 'redemption_code_batches' },
);
CodeBatchSchema.index({ createdAt: -1, _id: -1 });

/**
 * One code. The code itself is the `_id` (unique by construction, and the claim is a lookup by primary key).
 * It is kept in plain text, not hashed, because HQ downloads the batch's CSV for printing: the codes are as
 * secret as the print files, and the claim's rate limits are what stop guessing.
 */
export interface RedemptionCodeDoc {
  _id: string;
  batchId: Types.ObjectId;
  claimedBy?: Types.ObjectId | null;
  claimedAt?: Date | null;
  /**
   * Set on every unclaimed code when HQ voids its batch. The claim's conditional update requires it unset, so
   * each code ends either claimed or voided, never both, however a claim and the void interleave.
   */
  voidedAt?: Date | null;
}

const RedemptionCodeSchema = new Schema<RedemptionCodeDoc>(
  {
    _id: { type: String, required: true },
    batchId: { type: Schema.Types.ObjectId, required: true },
    claimedBy: { type: Schema.Types.ObjectId, default: null },
    claimedAt: { type: Date, default: null },
    voidedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'redemption_codes' },
);
// The CSV streams a batch's codes in code order.
RedemptionCodeSchema.index({ batchId: 1, _id: 1 });

export function codeBatchModel(conn: mongoose.Connection) {
  return conn.models.RedemptionCodeBatch ?? conn.model<CodeBatchDoc>('RedemptionCodeBatch', CodeBatchSchema);
}

export function redemptionCodeModel(conn: mongoose.Connection) {
  return conn.models.RedemptionCode ?? conn.model<RedemptionCodeDoc>('RedemptionCode', RedemptionCodeSchema);
}
