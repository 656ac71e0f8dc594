import mongoose, { Schema, Types } from 'mongoose';

/** One staff or HQ write: who, in which role and store, did what to which target, with before and after. */
export interface AuditEntry {
  _id: Types.ObjectId;
  actorType: 'staff' | 'admin';
  actorId: string;
  role: string;
  /** The HQ role (admin/marketing/viewer) an HQ actor acted in; null for store staff. */
  hqRole: string | null;
  storeId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  /** The member the action concerns, when there is one, so a member's audit trail is one indexed query. */
  memberId: string | null;
  before: unknown;
  after: unknown;
  requestId: string;
  at: Date;
}

const AuditSchema = new Schema<AuditEntry>(
  {
    actorType: { type: String, required: true },
    actorId: { type: String, required: true },
    role: { type: String, required: true },
    hqRole: { type: String, default: null },
    storeId: { type: String, default: null },
    action: { type: String, required: true },
    targetType: { type: String, required: true },
    targetId: { type: String, required: true },
    memberId: { type: String, default: null },
    before: Schema.Types.Mixed,
    after: Schema.Types.Mixed,
    requestId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'audit_log', minimize: false },
);
// The audit list pages newest first, filtered by actor, action, store or target.
AuditSchema.index({ at: -1, _id: -1 });
AuditSchema.index({ actorId: 1, at: -1 });
AuditSchema.index({ action: 1, at: -1 });
AuditSchema.index({ storeId: 1, at: -1 });
AuditSchema.index({ targetType: 1, targetId: 1, at: -1 });
AuditSchema.index({ memberId: 1, at: -1 }, { partialFilterExpression: { memberId: { $type: 'string' } } });

export function auditModel(conn: mongoose.Connection) {
  return conn.models.AuditEntry ?? conn.model<AuditEntry>('AuditEntry', AuditSchema);
}
