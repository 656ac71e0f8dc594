import type { ReferralRefusal } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

// Referral (裂变拉新) records. Glossary:
//   inviter  — the member whose invitation (referral code) was used;
//   invitee  — the friend who joined through it; one referral per invitee, ever (unique index);
//   qualify  — the invitee's first purchase that meets HQ's terms, booked in the purchase's own transaction;
//   grant    — paying both sides the reward snapshotted at qualification, exactly once (see service.ts).

export type ReferralStoredStatus = 'joined' | 'qualified' | 'rewarded' | 'refused';

export interface RewardSnapshot {
  inviterPoints: number;
  inviteePoints: number;
  inviterTemplateId: Types.ObjectId | null;
  inviteeTemplateId: Types.ObjectId | null;
}

export interface ReferralDoc {
  _id: Types.ObjectId;
  inviterId: Types.ObjectId;
  inviteeId: Types.ObjectId;
  code: string;
  status: ReferralStoredStatus;
  refusal: ReferralRefusal | null;
  joinedAt: Date;
  qualifyingPurchaseId: Types.ObjectId | null;
  qualifiedAt: Date | null;
  /** HQ's reward as it stood when the friend qualified: later edits of the terms change nothing owed. */
  reward: RewardSnapshot | null;
  rewardedAt: Date | null;
  /** Set with the points in the grant's transaction; cleared once each side's coupon is issued (or refused). */
  couponsPending: boolean;
  inviterCouponId: Types.ObjectId | null;
  inviteeCouponId: Types.ObjectId | null;
  /** Face value of the cash coupons given (fen), for HQ's cost figure. */
  couponFaceFen: number;
  /** Why a coupon could not be issued (TEMPLATE_EXHAUSTED…); the points were paid regardless. */
  couponRefusal: string | null;
  lastError: string | null;
}

const ReferralSchema = new Schema<ReferralDoc>(
  {
    inviterId: { type: Schema.Types.ObjectId, required: true },
    inviteeId: { type: Schema.Types.ObjectId, required: true },
    code: { type: String, required: true },
    status: { type: String, enum: ['joined', 'qualified', 'rewarded', 'refused'], required: true },
    refusal: { type: String, default: null },
    joinedAt: { type: Date, required: true },
    qualifyingPurchaseId: { type: Schema.Types.ObjectId, default: null },
    qualifiedAt: { type: Date, default: null },
    reward: {
      type: { inviterPoints: Number, inviteePoints: Number, inviterTemplateId: Schema.Types.ObjectId, inviteeTemplateId: Schema.Types.ObjectId },
      default: null,
      _id: false,
    },
    rewardedAt: { type: Date, default: null },
    couponsPending: { type: Boolean, default: false },
    inviterCouponId: { type: Schema.Types.ObjectId, default: null },
    inviteeCouponId: { type: Schema.Types.ObjectId, default: null },
    couponFaceFen: { type: Number, default: 0 },
    couponRefusal: { type: String, default: null },
    lastError: { type: String, default: null },
  },
  { versionKey: false, collection: 'referrals' },
);
// One referral per friend, ever: a second join (or a duplicate of the join) cannot make another.
ReferralSchema.index({ inviteeId: 1 }, { unique: true });
// The member's own list and HQ's recent list.
ReferralSchema.index({ inviterId: 1, joinedAt: -1 });
ReferralSchema.index({ joinedAt: -1 });
// The grant job's sweep: qualified but not yet granted, and granted with coupons still to issue.
ReferralSchema.index({ status: 1, qualifiedAt: 1 });
ReferralSchema.index({ couponsPending: 1 }, { partialFilterExpression: { couponsPending: true } });

export function referralModel(conn: mongoose.Connection) {
  return conn.models.Referral ?? conn.model<ReferralDoc>('Referral', ReferralSchema);
}

/** A device (keyed hash of the app's device id) a member used with the programme: sharing their invitation or joining. */
export interface ReferralDeviceDoc {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  deviceHash: string;
  at: Date;
}

const ReferralDeviceSchema = new Schema<ReferralDeviceDoc>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    deviceHash: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'referral_devices' },
);
ReferralDeviceSchema.index({ memberId: 1, deviceHash: 1 }, { unique: true });

export function referralDeviceModel(conn: mongoose.Connection) {
  return conn.models.ReferralDevice ?? conn.model<ReferralDeviceDoc>('ReferralDevice', ReferralDeviceSchema);
}

/** A shopper who opened a member's invitation (the 邀请 count); one per (inviter, viewer). */
export interface ReferralViewDoc {
  _id: Types.ObjectId;
  inviterId: Types.ObjectId;
  viewerId: Types.ObjectId;
  at: Date;
}

const ReferralViewSchema = new Schema<ReferralViewDoc>(
  {
    inviterId: { type: Schema.Types.ObjectId, required: true },
    viewerId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'referral_views' },
);
ReferralViewSchema.index({ inviterId: 1, viewerId: 1 }, { unique: true });
ReferralViewSchema.index({ at: 1 });

export function referralViewModel(conn: mongoose.Connection) {
  return conn.models.ReferralView ?? conn.model<ReferralViewDoc>('ReferralView', ReferralViewSchema);
}

/**
 * HQ's terms (one document, `_id: 'terms'`) and, per member who opened their invitation to share it, the
 * cached mini-program code (`_id: 'code:<memberId>'`): WeChat draws it once per member, not per page view.
 */
export interface ReferralSettingDoc {
  _id: string;
  enabled?: boolean;
  inviter?: { points: number; templateId: Types.ObjectId | null };
  invitee?: { points: number; templateId: Types.ObjectId | null };
  minPurchaseFen?: number;
  windowDays?: number;
  memberId?: Types.ObjectId;
  image?: Buffer;
  contentType?: string;
  updatedAt: Date;
}

const ReferralSettingSchema = new Schema<ReferralSettingDoc>(
  {
    _id: { type: String, required: true },
    enabled: Boolean,
    inviter: { type: { points: Number, templateId: Schema.Types.ObjectId }, _id: false },
    invitee: { type: { points: Number, templateId: Schema.Types.ObjectId }, _id: false },
    minPurchaseFen: Number,
    windowDays: Number,
    memberId: Schema.Types.ObjectId,
    image: Buffer,
    contentType: String,
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'referral_settings' },
);
// Members who opened their invitation (HQ's "inviters" figure).
ReferralSettingSchema.index({ memberId: 1 }, { partialFilterExpression: { memberId: { $exists: true } } });

export function referralSettingModel(conn: mongoose.Connection) {
  return conn.models.ReferralSetting ?? conn.model<ReferralSettingDoc>('ReferralSetting', ReferralSettingSchema);
}
