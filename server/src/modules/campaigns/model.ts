import type { CampaignMessage, CampaignStatus, HqRole, Segment } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

export interface CampaignProgress {
  /** The audience size, counted at launch (holdout included). */
  targeted: number;
  /** Members the push held out (no coupon, no message); absent on campaigns from before holdouts. */
  holdout?: number;
  issued: number;
  notified: number;
  failed: number;
}

/**
 * An HQ coupon push. While running, one worker at a time holds its lease (`leaseOwner` until `leaseUntil`)
 * and walks the audience in `_id` order; each batch adds to `progress` and moves `resumeAfter` in one
 * conditional update, so a restart continues after the last recorded batch and never counts a member twice.
 */
export interface CampaignDoc {
  _id: Types.ObjectId;
  name: string;
  templateId: Types.ObjectId;
  segment: Segment;
  message: CampaignMessage | null;
  status: CampaignStatus;
  progress: CampaignProgress;
  /** Share of the audience held out (0–0.5); each member's draw comes from `holdoutSeed` (shared isHeldOut). */
  holdoutShare: number;
  /** Random per campaign, fixed at creation: the same member is held out on every run of the push. */
  holdoutSeed: string;
  /** The saved segment the audience was copied from. */
  source: { savedSegmentId: Types.ObjectId; name: string } | null;
  /** While scheduled: when the launch job launches it. */
  launchAt: Date | null;
  /** Who scheduled it: the scheduled launch is audited in their name. */
  scheduledBy: { staffId: string; hqRole: HqRole } | null;
  /** End of the results window: when the campaign's coupons expire (set at launch). */
  windowEndsAt: Date | null;
  /** Members the push has been through (issued or failed). */
  processed: number;
  /** Coupons issued by the member's tier and home store at push time (keys made path-safe). */
  issuedBy: { tier: Record<string, number>; homeStore: Record<string, number> };
  /** The audience is fixed at launch: relative windows are read at `launchedAt`, and ids stop at `lastTargetId`. */
  lastTargetId: Types.ObjectId | null;
  resumeAfter: Types.ObjectId | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  failureReason: string | null;
  createdAt: Date;
  launchedAt: Date | null;
  completedAt: Date | null;
}

const CampaignSchema = new Schema<CampaignDoc>(
  {
    name: { type: String, required: true },
    templateId: { type: Schema.Types.ObjectId, required: true },
    segment: { type: Schema.Types.Mixed, required: true },
    message: { type: Schema.Types.Mixed, default: null },
    status: { type: String, enum: ['draft', 'scheduled', 'running', 'paused', 'completed', 'failed'], required: true },
    progress: {
      type: { targeted: Number, holdout: Number, issued: Number, notified: Number, failed: Number },
      required: true,
      _id: false,
    },
    holdoutShare: { type: Number, required: true, default: 0, min: 0, max: 0.5 },
    holdoutSeed: { type: String, required: true, default: '' },
    source: { type: { savedSegmentId: Schema.Types.ObjectId, name: String }, default: null, _id: false },
    launchAt: { type: Date, default: null },
    scheduledBy: { type: { staffId: String, hqRole: String }, default: null, _id: false },
    windowEndsAt: { type: Date, default: null },
    processed: { type: Number, required: true, default: 0 },
    issuedBy: { type: Schema.Types.Mixed, required: true },
    lastTargetId: { type: Schema.Types.ObjectId, default: null },
    resumeAfter: { type: Schema.Types.ObjectId, default: null },
    leaseOwner: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    failureReason: { type: String, default: null },
    createdAt: { type: Date, required: true },
    launchedAt: { type: Date, default: null },
    completedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'campaigns', minimize: false },
);
CampaignSchema.index({ createdAt: -1, _id: -1 });
// The worker looks for running campaigns whose lease is free or lapsed.
CampaignSchema.index({ status: 1, leaseUntil: 1 });
// The launch job looks for scheduled campaigns whose time has come.
CampaignSchema.index({ status: 1, launchAt: 1 });

/**
 * One member of a launched campaign's audience and the group the push put them in, written by the push before it
 * issues that batch (unique per campaign and member, so a re-run finds the record already there). It makes the
 * holdout auditable and is what the results compare: who was targeted, who was held out, and their home store
 * and tier at push time.
 */
export interface CampaignAudienceDoc {
  _id: Types.ObjectId;
  campaignId: Types.ObjectId;
  memberId: Types.ObjectId;
  holdout: boolean;
  /** The member's draw (shared holdoutDraw): held out when below the campaign's holdoutShare. */
  draw: number;
  homeStoreId: string | null;
  tier: string;
  at: Date;
}

const CampaignAudienceSchema = new Schema<CampaignAudienceDoc>(
  {
    campaignId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    holdout: { type: Boolean, required: true },
    draw: { type: Number, required: true },
    homeStoreId: { type: String, default: null },
    tier: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'campaign_audience' },
);
CampaignAudienceSchema.index({ campaignId: 1, memberId: 1 }, { unique: true });
// The campaign rollups (rollups.ts): a member's campaigns when they buy or redeem, and the records written since the mark.
CampaignAudienceSchema.index({ memberId: 1 });
CampaignAudienceSchema.index({ at: 1, _id: 1 });

export interface SavedSegmentDoc {
  _id: Types.ObjectId;
  name: string;
  segment: Segment;
  createdAt: Date;
}

const SavedSegmentSchema = new Schema<SavedSegmentDoc>(
  {
    name: { type: String, required: true },
    segment: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'saved_segments', minimize: false },
);
SavedSegmentSchema.index({ createdAt: -1, _id: -1 });

export function campaignModel(conn: mongoose.Connection) {
  return conn.models.Campaign ?? conn.model<CampaignDoc>('Campaign', CampaignSchema);
}
export function campaignAudienceModel(conn: mongoose.Connection) {
  return conn.models.CampaignAudience ?? conn.model<CampaignAudienceDoc>('CampaignAudience', CampaignAudienceSchema);
}
export function savedSegmentModel(conn: mongoose.Connection) {
  return conn.models.SavedSegment ?? conn.model<SavedSegmentDoc>('SavedSegment', SavedSegmentSchema);
}
