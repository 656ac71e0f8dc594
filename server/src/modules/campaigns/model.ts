import type { CampaignMessage, CampaignStatus, Segment } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

export interface CampaignProgress {
  /** The audience size, counted at launch. */
  targeted: number;
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
    status: { type: String, enum: ['draft', 'running', 'paused', 'completed', 'failed'], required: true },
    progress: {
      type: { targeted: Number, issued: Number, notified: Number, failed: Number },
      required: true,
      _id: false,
    },
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
export function savedSegmentModel(conn: mongoose.Connection) {
  return conn.models.SavedSegment ?? conn.model<SavedSegmentDoc>('SavedSegment', SavedSegmentSchema);
}
