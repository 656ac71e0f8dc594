import mongoose, { Schema, Types } from 'mongoose';

/** One-time subscribe-message quota a member granted for one template: `_id` is `memberId:templateId`. */
export interface SubscribeQuotaDoc {
  _id: string;
  memberId: Types.ObjectId;
  templateId: string;
  remaining: number;
  updatedAt: Date;
}

const SubscribeQuotaSchema = new Schema<SubscribeQuotaDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    templateId: { type: String, required: true },
    remaining: { type: Number, required: true, min: 0 },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'subscribe_quotas' },
);

/**
 * The member's latest marketing sends, newest first (at most MAX_RECENT_SENDS): the frequency cap is a
 * conditional update on one array slot, so parallel senders cannot exceed it. `_id` is the member id.
 */
export interface MessageCapDoc {
  _id: Types.ObjectId;
  recent: Date[];
}

const MessageCapSchema = new Schema<MessageCapDoc>(
  { _id: { type: Schema.Types.ObjectId, required: true }, recent: { type: [Date], default: [] } },
  { versionKey: false, collection: 'message_caps' },
);

/**
 * `retrying`: WeChat was busy or unreachable; the quota stays reserved and the retry job sends it again at nextAttemptAt.
 * `queued`: recorded inside the transaction of the change it reports (MessagingService.enqueue), sent after the commit.
 */
export type MessageStatus = 'queued' | 'pending' | 'sent' | 'skipped' | 'failed' | 'retrying';

/**
 * Every subscribe message the product meant to send, keyed by what it is about (e.g. `campaign:<id>:<member>`),
 * so a re-run of a push or a rule never messages the same member twice for the same thing.
 */
export interface MessageDoc {
  _id: string;
  memberId: Types.ObjectId;
  templateId: string;
  purpose: string;
  marketing: boolean;
  status: MessageStatus;
  /** Why it was skipped or failed: no_openid, no_quota, capped, refused (43101), bad_openid (40003), format:<keyword>, … */
  reason: string | null;
  /** WeChat's errmsg of the last refusal (a 47003 names the field). */
  error: string | null;
  msgid: string | null;
  /** WeChat calls made for this message, and when the retry job makes the next one (status retrying) or a queued one is due. */
  attempts: number;
  nextAttemptAt: Date | null;
  /** A retry after this is pointless (an activity reminder once the activity started): the message fails instead. */
  expiresAt: Date | null;
  /** What was sent, kept for retries: the formatted data and the page. */
  payload: { data: Record<string, { value: string }>; page: string | null } | null;
  /** The frequency-cap slot a marketing message holds until it is sent or given up. */
  capSlot: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const MessageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    templateId: { type: String, required: true },
    purpose: { type: String, required: true },
    marketing: { type: Boolean, required: true },
    status: { type: String, enum: ['queued', 'pending', 'sent', 'skipped', 'failed', 'retrying'], required: true },
    reason: { type: String, default: null },
    error: { type: String, default: null },
    msgid: { type: String, default: null },
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, default: null },
    expiresAt: { type: Date, default: null },
    payload: { type: Schema.Types.Mixed, default: null },
    capSlot: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'subscribe_messages' },
);
MessageSchema.index({ memberId: 1, createdAt: -1 });
MessageSchema.index({ nextAttemptAt: 1 }, { partialFilterExpression: { status: 'retrying' }, name: 'retries_due' });
MessageSchema.index({ nextAttemptAt: 1 }, { partialFilterExpression: { status: 'queued' }, name: 'queued_due' });

export function subscribeQuotaModel(conn: mongoose.Connection) {
  return conn.models.SubscribeQuota ?? conn.model<SubscribeQuotaDoc>('SubscribeQuota', SubscribeQuotaSchema);
}
export function messageCapModel(conn: mongoose.Connection) {
  return conn.models.MessageCap ?? conn.model<MessageCapDoc>('MessageCap', MessageCapSchema);
}
export function messageModel(conn: mongoose.Connection) {
  return conn.models.SubscribeMessage ?? conn.model<MessageDoc>('SubscribeMessage', MessageSchema);
}
