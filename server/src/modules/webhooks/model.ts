import type { WebhookEventType } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

/** An HQ-registered receiver. The secret signs every delivery, so it is kept sealed, not hashed (service.ts). */
export interface WebhookEndpointDoc {
  /** `whe_<16 hex>`. */
  _id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  status: 'active' | 'disabled';
  /** base64url(iv ‖ ciphertext ‖ tag) of the secret. */
  secretSealed: string;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
}

const EndpointSchema = new Schema<WebhookEndpointDoc>(
  {
    _id: { type: String, required: true },
    url: { type: String, required: true },
    description: { type: String, default: '' },
    events: { type: [String], required: true },
    status: { type: String, enum: ['active', 'disabled'], required: true },
    secretSealed: { type: String, required: true },
    createdAt: { type: Date, required: true },
    createdBy: { type: String, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'webhook_endpoints' },
);

export interface WebhookAttempt {
  n: number;
  at: Date;
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * The outbox row: one event for one endpoint, inserted in the transaction of the change that caused it.
 * `memberSeq` comes from the member's event counter (webhook_member_seqs), taken in that same transaction,
 * so for one member it follows commit order; a delivery waits while an earlier one of its (endpoint, member)
 * is still pending.
 */
export interface WebhookDeliveryDoc {
  _id: Types.ObjectId;
  endpointId: string;
  eventId: string;
  eventType: WebhookEventType;
  memberId: string;
  memberSeq: number;
  /** The exact JSON body sent on every attempt (the event id inside never changes). */
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  createdAt: Date;
  /** Retried with backoff until then (24 h after it was recorded, or after a redeliver). */
  giveUpAt: Date;
  nextAttemptAt: Date | null;
  /** Attempts claimed so far; a claim is the conditional update that moves it from n to n + 1. */
  attemptCount: number;
  /** While a sender holds the attempt; a lapsed lease lets another instance take the next attempt. */
  leaseUntil: Date | null;
  attempts: WebhookAttempt[];
  deliveredAt: Date | null;
}

const DeliverySchema = new Schema<WebhookDeliveryDoc>(
  {
    endpointId: { type: String, required: true },
    eventId: { type: String, required: true },
    eventType: { type: String, required: true },
    memberId: { type: String, required: true },
    memberSeq: { type: Number, required: true },
    body: { type: String, required: true },
    status: { type: String, enum: ['pending', 'delivered', 'failed'], required: true },
    createdAt: { type: Date, required: true },
    giveUpAt: { type: Date, required: true },
    nextAttemptAt: { type: Date, default: null },
    attemptCount: { type: Number, default: 0 },
    leaseUntil: { type: Date, default: null },
    attempts: {
      type: [{ _id: false, n: Number, at: Date, ok: Boolean, httpStatus: { type: Number, default: null }, error: { type: String, default: null }, durationMs: Number }],
      default: [],
    },
    deliveredAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'webhook_deliveries' },
);
// One delivery per event per endpoint, whatever retries the recording transaction goes through.
DeliverySchema.index({ eventId: 1, endpointId: 1 }, { unique: true });
// The job's scan of what is due, and the per-member predecessor check.
DeliverySchema.index({ status: 1, nextAttemptAt: 1 });
DeliverySchema.index({ endpointId: 1, memberId: 1, memberSeq: 1 });
// Acknowledged deliveries are kept 30 days for the log, then removed; pending and failed ones stay until then too.
DeliverySchema.index({ createdAt: 1 }, { expireAfterSeconds: 30 * 24 * 3600 });

export interface WebhookMemberSeqDoc {
  _id: string;
  seq: number;
}
const MemberSeqSchema = new Schema<WebhookMemberSeqDoc>({ _id: { type: String, required: true }, seq: { type: Number, required: true } }, { versionKey: false, collection: 'webhook_member_seqs' });

export function webhookEndpointModel(connection: mongoose.Connection) {
  return connection.models.WebhookEndpoint ?? connection.model<WebhookEndpointDoc>('WebhookEndpoint', EndpointSchema);
}
export function webhookDeliveryModel(connection: mongoose.Connection) {
  return connection.models.WebhookDelivery ?? connection.model<WebhookDeliveryDoc>('WebhookDelivery', DeliverySchema);
}
export function webhookMemberSeqModel(connection: mongoose.Connection) {
  return connection.models.WebhookMemberSeq ?? connection.model<WebhookMemberSeqDoc>('WebhookMemberSeq', MemberSeqSchema);
}
