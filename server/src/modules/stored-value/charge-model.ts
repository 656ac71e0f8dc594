import type { OtherPaymentMethod } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Schema, Types } from 'mongoose';

// A charge to a member's stored-value balance for one order of one store (unique store + order number, so the
// order is charged once whatever retries happen), and the refunds back to the balance (unique store + refund
// number). Each is written in the same transaction as its ledger entry (StoredValueLedger, keyed
// `sv-charge:<store>:<orderNo>` / `sv-refund:<store>:<refundNo>`): both or neither.

export interface ChargeDoc {
  _id: Types.ObjectId;
  storeId: string;
  orderNo: string;
  memberId: Types.ObjectId;
  orderTotalFen: number;
  amountFen: number;
  principalFen: number;
  bonusFen: number;
  otherPayments: Array<{ method: OtherPaymentMethod; amountFen: number; reference?: string }>;
  lines: Array<{ sku: string; name: string; amountFen: number; refunded: boolean }>;
  /** Order amount of the lines refunded so far (the whole order once refunded whole): the version of refunds. */
  refundedOrderFen: number;
  refundedFen: number;
  refundedPrincipalFen: number;
  refundedBonusFen: number;
  balanceAfter: { principalFen: number; bonusFen: number };
  authorizedBy: 'code' | 'pin' | 'confirmation';
  confirmationId: Types.ObjectId | null;
  /** `staff:<id>` or `pos:<keyId>`. */
  actor: string;
  fingerprint: string;
  createdAt: Date;
}

const ChargeSchema = new Schema<ChargeDoc>(
  {
    storeId: { type: String, required: true },
    orderNo: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    orderTotalFen: { type: Number, required: true, min: 1 },
    amountFen: { type: Number, required: true, min: 1 },
    principalFen: { type: Number, required: true, min: 0 },
    bonusFen: { type: Number, required: true, min: 0 },
    otherPayments: [{ _id: false, method: String, amountFen: Number, reference: String }],
    lines: [{ _id: false, sku: String, name: String, amountFen: Number, refunded: Boolean }],
    refundedOrderFen: { type: Number, required: true, min: 0 },
    refundedFen: { type: Number, required: true, min: 0 },
    refundedPrincipalFen: { type: Number, required: true, min: 0 },
    refundedBonusFen: { type: Number, required: true, min: 0 },
    balanceAfter: { principalFen: Number, bonusFen: Number },
    authorizedBy: { type: String, enum: ['code', 'pin', 'confirmation'], required: true },
    confirmationId: { type: Schema.Types.ObjectId, default: null },
    actor: { type: String, required: true },
    fingerprint: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'stored_value_charges' },
);
ChargeSchema.index({ storeId: 1, orderNo: 1 }, { unique: true });
ChargeSchema.index({ memberId: 1, createdAt: -1 });

export interface ChargeRefundDoc {
  _id: Types.ObjectId;
  storeId: string;
  refundNo: string;
  orderNo: string;
  chargeId: Types.ObjectId;
  memberId: Types.ObjectId;
  whole: boolean;
  lines: number[];
  amountFen: number;
  principalFen: number;
  bonusFen: number;
  otherRefundFen: number;
  balanceAfter: { principalFen: number; bonusFen: number };
  actor: string;
  fingerprint: string;
  createdAt: Date;
}

const ChargeRefundSchema = new Schema<ChargeRefundDoc>(
  {
    storeId: { type: String, required: true },
    refundNo: { type: String, required: true },
    orderNo: { type: String, required: true },
    chargeId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    whole: { type: Boolean, required: true },
    lines: [Number],
    amountFen: { type: Number, required: true, min: 0 },
    principalFen: { type: Number, required: true, min: 0 },
    bonusFen: { type: Number, required: true, min: 0 },
    otherRefundFen: { type: Number, required: true, min: 0 },
    balanceAfter: { principalFen: Number, bonusFen: Number },
    actor: { type: String, required: true },
    fingerprint: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'stored_value_charge_refunds' },
);
ChargeRefundSchema.index({ storeId: 1, refundNo: 1 }, { unique: true });
ChargeRefundSchema.index({ chargeId: 1 });

export function chargeModel(conn: mongoose.Connection) {
  return (conn.models.StoredValueCharge as mongoose.Model<ChargeDoc>) ?? conn.model<ChargeDoc>('StoredValueCharge', ChargeSchema);
}

export function chargeRefundModel(conn: mongoose.Connection) {
  return (conn.models.StoredValueChargeRefund as mongoose.Model<ChargeRefundDoc>) ?? conn.model<ChargeRefundDoc>('StoredValueChargeRefund', ChargeRefundSchema);
}
