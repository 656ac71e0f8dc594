import mongoose, { Schema, Types } from 'mongoose';

/**
 * A store till's credential. The secret itself is needed to check each request's HMAC, so it cannot be
 * stored as a one-way hash: it is stored encrypted (AES-256-GCM under a key derived from the server's
 * JWT_SECRET, see credentials.ts), so a copy of the database alone does not let anyone sign as a till.
 */
export interface PosCredentialDoc {
  /** The key id the till sends in X-POS-Key: `pk_<storeId>_<16 hex>`. */
  _id: string;
  storeId: string;
  label: string;
  /** base64url(iv ‖ ciphertext ‖ tag) of the secret. */
  secretSealed: string;
  status: 'active' | 'revoked';
  createdAt: Date;
  createdBy: string;
  /** Set by a rotation: the old key keeps working until then. */
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** The key this one replaced, when made by a rotation. */
  replaces: string | null;
  lastUsedAt: Date | null;
}

const PosCredentialSchema = new Schema<PosCredentialDoc>(
  {
    _id: { type: String, required: true },
    storeId: { type: String, required: true },
    label: { type: String, required: true },
    secretSealed: { type: String, required: true },
    status: { type: String, enum: ['active', 'revoked'], required: true },
    createdAt: { type: Date, required: true },
    createdBy: { type: String, required: true },
    expiresAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    replaces: { type: String, default: null },
    lastUsedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'pos_credentials' },
);
PosCredentialSchema.index({ storeId: 1, createdAt: -1 });

export function posCredentialModel(conn: mongoose.Connection) {
  return conn.models.PosCredential ?? conn.model<PosCredentialDoc>('PosCredential', PosCredentialSchema);
}

/**
 * A nonce a till has used: `_id` is `<keyId>:<nonce>`, so the unique _id refuses a replay on every instance
 * at once. Kept (TTL) a little longer than a timestamp can be accepted, after which the window refuses it.
 */
export interface PosNonceDoc {
  _id: string;
  usedAt: Date;
}

export const NONCE_RETENTION_SECONDS = 15 * 60;

const PosNonceSchema = new Schema<PosNonceDoc>(
  { _id: { type: String, required: true }, usedAt: { type: Date, required: true } },
  { versionKey: false, collection: 'pos_nonces' },
);
PosNonceSchema.index({ usedAt: 1 }, { expireAfterSeconds: NONCE_RETENTION_SECONDS });

export function posNonceModel(conn: mongoose.Connection) {
  return conn.models.PosNonce ?? conn.model<PosNonceDoc>('PosNonce', PosNonceSchema);
}

export interface PosOrderLine {
  sku: string;
  name: string;
  category: string;
  qty: number;
  unitFen: number;
  amountFen: number;
  returnedQty: number;
}

/**
 * A till's order: its lines with what has been returned of each, the coupons it used and what it paid. The
 * purchase booked with it (purchases, same storeId and orderNo) carries the points and the spend; this keeps
 * what a return needs to know. Unique per (storeId, orderNo) like the purchase.
 */
export interface PosOrderDoc {
  _id: Types.ObjectId;
  storeId: string;
  orderNo: string;
  keyId: string;
  memberId: Types.ObjectId;
  purchaseId: Types.ObjectId;
  totalFen: number;
  discountFen: number;
  netFen: number;
  lines: PosOrderLine[];
  coupons: Array<{ couponId: Types.ObjectId; redemptionId: Types.ObjectId; savingFen: number; restored: boolean }>;
  pointsEarned: number;
  balanceAfter: number;
  tier: { code: string; name: string };
  /** Σ amountFen of the returned quantities (before coupons), the net given back and the points taken back. */
  returnedTotalFen: number;
  returnedNetFen: number;
  pointsTakenBack: number;
  status: 'booked' | 'partly_returned' | 'returned';
  /** sha256 of what identifies the order (member, lines, coupons): a repeat with another is refused. */
  fingerprint: string;
  createdAt: Date;
}

const PosOrderSchema = new Schema<PosOrderDoc>(
  {
    storeId: { type: String, required: true },
    orderNo: { type: String, required: true },
    keyId: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    purchaseId: { type: Schema.Types.ObjectId, required: true },
    totalFen: { type: Number, required: true },
    discountFen: { type: Number, required: true },
    netFen: { type: Number, required: true },
    lines: {
      type: [new Schema({ sku: String, name: String, category: String, qty: Number, unitFen: Number, amountFen: Number, returnedQty: Number }, { _id: false })],
      default: [],
    },
    coupons: {
      type: [new Schema({ couponId: Schema.Types.ObjectId, redemptionId: Schema.Types.ObjectId, savingFen: Number, restored: Boolean }, { _id: false })],
      default: [],
    },
    pointsEarned: { type: Number, required: true },
    balanceAfter: { type: Number, required: true },
    tier: { type: { code: String, name: String }, _id: false, required: true },
    returnedTotalFen: { type: Number, required: true },
    returnedNetFen: { type: Number, required: true },
    pointsTakenBack: { type: Number, required: true },
    status: { type: String, enum: ['booked', 'partly_returned', 'returned'], required: true },
    fingerprint: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'pos_orders' },
);
PosOrderSchema.index({ storeId: 1, orderNo: 1 }, { unique: true });

export function posOrderModel(conn: mongoose.Connection) {
  return conn.models.PosOrder ?? conn.model<PosOrderDoc>('PosOrder', PosOrderSchema);
}

/** One return a till made, unique per (storeId, returnNo): a repeat gets this answer again. */
export interface PosReturnDoc {
  _id: Types.ObjectId;
  storeId: string;
  returnNo: string;
  orderNo: string;
  orderId: Types.ObjectId;
  whole: boolean;
  lines: Array<{ line: number; qty: number }>;
  totalFen: number;
  netFen: number;
  pointsTakenBack: number;
  shortfall: number;
  balanceAfter: number;
  couponsRestored: Types.ObjectId[];
  fingerprint: string;
  createdAt: Date;
}

const PosReturnSchema = new Schema<PosReturnDoc>(
  {
    storeId: { type: String, required: true },
    returnNo: { type: String, required: true },
    orderNo: { type: String, required: true },
    orderId: { type: Schema.Types.ObjectId, required: true },
    whole: { type: Boolean, required: true },
    lines: { type: [new Schema({ line: Number, qty: Number }, { _id: false })], default: [] },
    totalFen: { type: Number, required: true },
    netFen: { type: Number, required: true },
    pointsTakenBack: { type: Number, required: true },
    shortfall: { type: Number, required: true },
    balanceAfter: { type: Number, required: true },
    couponsRestored: { type: [Schema.Types.ObjectId], default: [] },
    fingerprint: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'pos_returns' },
);
PosReturnSchema.index({ storeId: 1, returnNo: 1 }, { unique: true });

export function posReturnModel(conn: mongoose.Connection) {
  return conn.models.PosReturn ?? conn.model<PosReturnDoc>('PosReturn', PosReturnSchema);
}
