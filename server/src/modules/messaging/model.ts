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

export type MessageStatus = 'pending' | 'sent' | 'skipped' | 'failed';

/**
 * Every subscribe message the product meant to send, keyed by what it is about (e.g. `campaign:<id>:<member>`),
 * so a re-run of a push or a rule never messages the same member twice for the same thing.
 */
export interface MessageDoc {
  _id: string;
  memberId: Types.ObjectId;
  templateId: string;
  marketing: boolean;
  status: MessageStatus;
  /** Why it was skipped or failed: no_openid, no_quota, capped, refused (43101), bad_openid (40003), … */
  reason: string | null;
  msgid: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const MessageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    templateId: { type: String, required: true },
    marketing: { type: Boolean, required: true },
    status: { type: String, enum: ['pending', 'sent', 'skipped', 'failed'], required: true },
    reason: { type: String, default: null },
    msgid: { type: String, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'subscribe_messages' },
);
MessageSchema.index({ memberId: 1, createdAt: -1 });

export function subscribeQuotaModel(conn: mongoose.Connection) {
  return conn.models.SubscribeQuota ?? conn.model<SubscribeQuotaDoc>('SubscribeQuota', SubscribeQuotaSchema);
}
export function messageCapModel(conn: mongoose.Connection) {
  return conn.models.MessageCap ?? conn.model<MessageCapDoc>('MessageCap', MessageCapSchema);
}
export function messageModel(conn: mongoose.Connection) {
  return conn.models.SubscribeMessage ?? conn.model<MessageDoc>('SubscribeMessage', MessageSchema);
}
