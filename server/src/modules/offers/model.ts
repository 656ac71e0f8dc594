import type { OfferRunSettings } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

// Personalised offers. The pool is a collection of its own rather than fields on coupon templates: a pool entry is
// marketing's view of a template (which categories it serves, which baskets it suits, whether runs may pick it),
// with its own life (paused, retagged) that never touches the terms coupons are issued under, and the coupon
// module stays the one owner of templates.

/** One template in the offer pool; `_id` is the template's id, so a template is in the pool once. */
export interface OfferPoolDoc {
  _id: Types.ObjectId;
  kind: 'category' | 'threshold';
  categories: string[];
  basketFromFen: number | null;
  basketToFen: number | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const OfferPoolSchema = new Schema<OfferPoolDoc>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: ['category', 'threshold'], required: true },
    categories: { type: [String], default: [] },
    basketFromFen: { type: Number, default: null },
    basketToFen: { type: Number, default: null },
    active: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'offer_pool' },
);

export interface OfferRunProgress {
  members: number;
  treated: number;
  holdout: number;
  coldStart: number;
  issued: number;
  refused: number;
}

/**
 * A selection run. It walks active members in _id order; `cursor` is the last member of the last finished chunk,
 * moved only by the worker holding the lease (`leaseOwner` until `leaseUntil`), in the same update that adds the
 * chunk's counts, so a run that dies mid-chunk redoes that chunk (from its stored plans) and counts it once.
 */
export interface OfferRunDoc {
  _id: Types.ObjectId;
  trigger: 'hq' | 'schedule';
  /** A scheduled run's period key ("schedule:<n>"): unique, so a period starts one run however many instances ask. */
  scheduleKey?: string;
  status: 'running' | 'completed' | 'failed';
  settings: OfferRunSettings;
  /** The holdout draw's seed (shared isHeldOut): the same members are held out whoever resumes the run. */
  seed: string;
  bestSellers: string[];
  cursor: Types.ObjectId | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  progress: OfferRunProgress;
  launchedBy: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

const OfferRunSchema = new Schema<OfferRunDoc>(
  {
    trigger: { type: String, enum: ['hq', 'schedule'], required: true },
    scheduleKey: { type: String },
    status: { type: String, enum: ['running', 'completed', 'failed'], required: true },
    settings: { type: Schema.Types.Mixed, required: true },
    seed: { type: String, required: true },
    bestSellers: { type: [String], default: [] },
    cursor: { type: Schema.Types.ObjectId, default: null },
    leaseOwner: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    progress: { type: Schema.Types.Mixed, required: true },
    launchedBy: { type: String, default: null },
    startedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
    error: { type: String, default: null },
  },
  { versionKey: false, collection: 'offer_runs' },
);
OfferRunSchema.index({ scheduleKey: 1 }, { unique: true, partialFilterExpression: { scheduleKey: { $type: 'string' } } });
OfferRunSchema.index({ status: 1, leaseUntil: 1 });
OfferRunSchema.index({ startedAt: -1 });

export interface OfferPickDoc {
  templateId: Types.ObjectId;
  title: string;
  kind: 'category' | 'threshold';
  /** The category the pick is for (its reason), null for threshold picks. */
  category: string | null;
  reasonZh: string;
  reasonEn: string;
  /** The coupon issued for it; null for the holdout, before the issue, or when the issuer refused. */
  couponId: Types.ObjectId | null;
  refusal: string | null;
}

/**
 * One member's selection in one run, stored before anything is issued: unique on (runId, memberId), so a member is
 * planned once per run, and a resumed chunk issues what was planned rather than choosing again (after a partial
 * issue the member already holds some of the offers, and a fresh choice would differ).
 */
export interface OfferAssignmentDoc {
  _id: Types.ObjectId;
  runId: Types.ObjectId;
  memberId: Types.ObjectId;
  holdout: boolean;
  coldStart: boolean;
  typicalBasketFen: number | null;
  tier: string;
  homeStoreId: string | null;
  picks: OfferPickDoc[];
  /** The chunk's issue is recorded on the picks (treated members). */
  issued: boolean;
  createdAt: Date;
}

const OfferAssignmentSchema = new Schema<OfferAssignmentDoc>(
  {
    runId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    holdout: { type: Boolean, required: true },
    coldStart: { type: Boolean, required: true },
    typicalBasketFen: { type: Number, default: null },
    tier: { type: String, required: true },
    homeStoreId: { type: String, default: null },
    picks: {
      type: [{ _id: false, templateId: Schema.Types.ObjectId, title: String, kind: String, category: String, reasonZh: String, reasonEn: String, couponId: Schema.Types.ObjectId, refusal: String }],
      default: [],
    },
    issued: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'offer_assignments' },
);
// Exactly once per member per run.
OfferAssignmentSchema.index({ runId: 1, memberId: 1 }, { unique: true });
// A member's latest selections (the wallet's reasons, HQ's member page).
OfferAssignmentSchema.index({ memberId: 1, createdAt: -1 });

/** The daily top-members figures (one document, `_id` 'latest'); the flags themselves are member tags. */
export interface TopMembersDoc {
  _id: string;
  computedAt: Date;
  brand: { members: number; thresholdFen: number | null; spendShare: number | null };
  stores: Array<{ storeId: string; members: number; thresholdFen: number | null }>;
}

const TopMembersSchema = new Schema<TopMembersDoc>(
  {
    _id: { type: String, required: true },
    computedAt: { type: Date, required: true },
    brand: { type: Schema.Types.Mixed, required: true },
    stores: { type: Schema.Types.Mixed, required: true },
  },
  { versionKey: false, collection: 'top_members' },
);

export function offerPoolModel(conn: mongoose.Connection) {
  return conn.models.OfferPool ?? conn.model<OfferPoolDoc>('OfferPool', OfferPoolSchema);
}
export function offerRunModel(conn: mongoose.Connection) {
  return conn.models.OfferRun ?? conn.model<OfferRunDoc>('OfferRun', OfferRunSchema);
}
export function offerAssignmentModel(conn: mongoose.Connection) {
  return conn.models.OfferAssignment ?? conn.model<OfferAssignmentDoc>('OfferAssignment', OfferAssignmentSchema);
}
export function topMembersModel(conn: mongoose.Connection) {
  return conn.models.TopMembers ?? conn.model<TopMembersDoc>('TopMembers', TopMembersSchema);
}
