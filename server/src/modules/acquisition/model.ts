import type { EntrySource } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

/** One opening of the mini-program from an entry code (store, staff or campaign QR), by a signed-in shopper. */
export interface VisitDoc {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  source: EntrySource;
  storeId: string | null;
  staffId: Types.ObjectId | null;
  campaignId: Types.ObjectId | null;
  /** WeChat's launch scene value, when the app reported it (1047, 1011…). */
  launchScene: number | null;
  createdAt: Date;
}

const VisitSchema = new Schema<VisitDoc>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true },
    source: { type: String, enum: ['wxacode', 'url'], required: true },
    storeId: { type: String, default: null },
    staffId: { type: Schema.Types.ObjectId, default: null },
    campaignId: { type: Schema.Types.ObjectId, default: null },
    launchScene: { type: Number, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'visits' },
);
// The join looks up the shopper's latest visit; reports count a period's visits.
VisitSchema.index({ memberId: 1, createdAt: -1 });
VisitSchema.index({ createdAt: 1 });

/**
 * How a member came to join: the entry-code visit they joined in. One per member (the unique index
 * makes the record exactly-once even if the join's follow-up runs twice).
 */
export interface AcquisitionDoc {
  _id: Types.ObjectId;
  memberId: Types.ObjectId;
  visitId: Types.ObjectId;
  source: EntrySource;
  storeId: string | null;
  staffId: Types.ObjectId | null;
  campaignId: Types.ObjectId | null;
  joinedAt: Date;
}

const AcquisitionSchema = new Schema<AcquisitionDoc>(
  {
    memberId: { type: Schema.Types.ObjectId, required: true, unique: true },
    visitId: { type: Schema.Types.ObjectId, required: true },
    source: { type: String, enum: ['wxacode', 'url'], required: true },
    storeId: { type: String, default: null },
    staffId: { type: Schema.Types.ObjectId, default: null },
    campaignId: { type: Schema.Types.ObjectId, default: null },
    joinedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'acquisitions' },
);
AcquisitionSchema.index({ joinedAt: 1 });

export function visitModel(conn: mongoose.Connection) {
  return conn.models.Visit ?? conn.model<VisitDoc>('Visit', VisitSchema);
}

export function acquisitionModel(conn: mongoose.Connection) {
  return conn.models.Acquisition ?? conn.model<AcquisitionDoc>('Acquisition', AcquisitionSchema);
}
