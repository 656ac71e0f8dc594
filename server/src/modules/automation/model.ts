import type { AutomationRuleKind } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

/** HQ's settings of one rule (`_id` is its kind) and what it has sent. */
export interface AutomationRuleDoc {
  _id: AutomationRuleKind;
  enabled: boolean;
  templateId: Types.ObjectId | null;
  message: string | null;
  /** Points granted with each firing (absent on rules stored before points existed: none). */
  points?: number;
  params: Record<string, number>;
  sentCount: number;
  couponsIssued: number;
  messagesSent: number;
  lastRunAt: Date | null;
  updatedAt: Date;
}

const AutomationRuleSchema = new Schema<AutomationRuleDoc>(
  {
    _id: { type: String, required: true },
    enabled: { type: Boolean, required: true },
    templateId: { type: Schema.Types.ObjectId, default: null },
    message: { type: String, default: null },
    points: { type: Number, default: 0 },
    params: { type: Schema.Types.Mixed, default: {} },
    sentCount: { type: Number, default: 0 },
    couponsIssued: { type: Number, default: 0 },
    messagesSent: { type: Number, default: 0 },
    lastRunAt: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'automation_rules', minimize: false },
);

/**
 * One firing of a rule for one member, keyed by the occurrence (e.g. `birthday:2026:<memberId>`): the unique
 * `_id` is what makes a rule fire at most once per member per occurrence, whatever reruns or parallel runs.
 */
export interface AutomationOccurrenceDoc {
  _id: string;
  rule: AutomationRuleKind;
  memberId: Types.ObjectId;
  status: 'pending' | 'done';
  couponIssued: boolean;
  notified: boolean;
  /** The run delivering it holds it until then. */
  claimedUntil: Date | null;
  createdAt: Date;
  doneAt: Date | null;
}

const AutomationOccurrenceSchema = new Schema<AutomationOccurrenceDoc>(
  {
    _id: { type: String, required: true },
    rule: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    status: { type: String, enum: ['pending', 'done'], required: true },
    couponIssued: { type: Boolean, default: false },
    notified: { type: Boolean, default: false },
    claimedUntil: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    doneAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'automation_occurrences' },
);
AutomationOccurrenceSchema.index({ rule: 1, createdAt: -1 });

export function automationRuleModel(conn: mongoose.Connection) {
  return conn.models.AutomationRule ?? conn.model<AutomationRuleDoc>('AutomationRule', AutomationRuleSchema);
}
export function automationOccurrenceModel(conn: mongoose.Connection) {
  return conn.models.AutomationOccurrence ?? conn.model<AutomationOccurrenceDoc>('AutomationOccurrence', AutomationOccurrenceSchema);
}
