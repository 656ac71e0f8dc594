import {
  ErrorCode,
  WEBHOOK_HEADERS,
  webhookStringToSign,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointCreateBody,
  type WebhookEndpointCreated,
  type WebhookEndpointUpdateBody,
  type WebhookEventType,
} from '@membercard/shared';
import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { SecretBox } from '../../lib/secretBox';
import { SerialRunner } from '../../lib/serialRunner';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import { assertWebhookUrl, refusedAttemptError, webhookUrlRefusal, type WebhookUrlPolicy } from './urlPolicy';
import type { WebhookDeliveryDoc, WebhookEndpointDoc, webhookDeliveryModel, webhookEndpointModel, webhookMemberSeqModel } from './model';

// Outbound webhooks as a transactional outbox.
//
// Recording: a service calls `events.record(session, type, memberId, data)` inside the transaction of the change
// itself, so an event exists exactly when its change committed. It writes only when an active endpoint subscribes
// to that type: the subscriptions are read at most once a second per instance (and at once after a change made on
// this instance), so a database with no endpoints — and the campaign benchmark — pays no write at all, and an
// endpoint created on another instance starts receiving within a second. Always recording and letting a TTL clean up
// would add a write (and a member-counter conflict point) to every points change for nobody.
//
// Ordering: each recorded event takes the member's next number from webhook_member_seqs in the same transaction.
// Two transactions of one member conflict on that counter, so the numbers follow commit order; a delivery is not
// attempted while an earlier one of the same (endpoint, member) is pending (neither acknowledged nor given up).
//
// Sending: the `webhooks` job, and a kick once the recording transaction's session has ended, claim each attempt
// with a conditional update (status pending, due, no live lease, attemptCount n → n + 1), so two instances or two
// runs never send one attempt twice. The body is stored once, so every attempt and a redeliver carry the same event
// id; receivers de-duplicate on it (README: Webhooks). A 2xx acknowledges; anything else is retried with backoff until
// 24 hours after the event, then given up.

/** The secret box's purpose label; part of the stored data (a new label leaves every sealed secret unreadable). */
const SECRET_BOX_PURPOSE = 'membercard/webhook-endpoint-secret/v1';
/** How long a subscription read is trusted by the recorder. */
const SUBSCRIPTION_CACHE_MS = 1_000;
/** Waits after failed attempt 1, 2, …; the last repeats until the 24-hour give-up. */
export const WEBHOOK_BACKOFF_SECONDS = [10, 30, 120, 600, 1800, 3600, 7200, 14400, 21600];
export const WEBHOOK_RETRY_HOURS = 24;
const DEFAULT_TIMEOUT_MS = 10_000;
const DUE_BATCH = 200;
const PARALLEL_LANES = 8;

/** What services call inside their transactions (one line each). */
export interface EventRecorder {
  record(session: ClientSession, type: WebhookEventType, memberId: string | Types.ObjectId, data: Record<string, unknown>): Promise<void>;
}

interface Deps {
  connection: mongoose.Connection;
  endpoints: ReturnType<typeof webhookEndpointModel>;
  deliveries: ReturnType<typeof webhookDeliveryModel>;
  memberSeqs: ReturnType<typeof webhookMemberSeqModel>;
  audit: AuditService;
  serverSecret: string;
  now: () => Date;
  /** Per-attempt HTTP timeout (default 10 s). */
  timeoutMs?: number;
  /** Where deliveries may go (urlPolicy.ts); absent: https and public addresses only. */
  urlPolicy?: WebhookUrlPolicy;
  /** Told about a failed background run before the job retries it. */
  onError?: (err: unknown) => void;
}

export class WebhooksService implements EventRecorder {
  private readonly secretBox: SecretBox;
  private subscriptions: { readAt: number; byType: Map<string, string[]> } | null = null;
  private subscriptionRead: Promise<Map<string, string[]>> | null = null;
  private subscriptionGeneration = 0;
  private readonly kickedSessions = new WeakSet<ClientSession>();
  private readonly sender = new SerialRunner(() => this.runDue(), (err) => this.deps.onError?.(err));
  /** Where deliveries may go; bootstrap sets it from the configuration (tests may tighten it). */
  urlPolicy: WebhookUrlPolicy;

  constructor(private readonly deps: Deps) {
    this.secretBox = new SecretBox(deps.serverSecret, SECRET_BOX_PURPOSE);
    this.urlPolicy = deps.urlPolicy ?? { httpsOnly: true, allowPrivate: false };
  }

  // ---- recording (inside the caller's transaction) ----

  async record(session: ClientSession, type: WebhookEventType, memberId: string | Types.ObjectId, data: Record<string, unknown>): Promise<void> {
    const endpointIds = (await this.subscribers()).get(type);
    if (!endpointIds?.length) return;
    const { memberSeqs, deliveries, now } = this.deps;
    const member = String(memberId);
    const counter = await memberSeqs.findOneAndUpdate({ _id: member }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after', session }).lean();
    const at = now();
    const eventId = `evt_${new Types.ObjectId().toHexString()}`;
    const body = JSON.stringify({ id: eventId, type, createdAt: at.toISOString(), memberId: member, data });
    const giveUpAt = new Date(at.getTime() + WEBHOOK_RETRY_HOURS * 3600_000);
    await deliveries.insertMany(
      endpointIds.map((endpointId) => ({
        endpointId, eventId, eventType: type, memberId: member, memberSeq: counter!.seq, body, status: 'pending',
        createdAt: at, giveUpAt, nextAttemptAt: at, attemptCount: 0, leaseUntil: null, attempts: [], deliveredAt: null,
      })),
      { session },
    );
    // The delivery becomes visible when the caller's transaction commits; its session ends right after.
    if (!this.kickedSessions.has(session)) {
      this.kickedSessions.add(session);
      session.once('ended', () => this.kick());
    }
  }

  private async subscribers(): Promise<Map<string, string[]>> {
    const cached = this.subscriptions;
    if (cached && performance.now() - cached.readAt < SUBSCRIPTION_CACHE_MS) return cached.byType;
    // Concurrent transactions that find the cache stale share one read.
    const generation = this.subscriptionGeneration;
    this.subscriptionRead ??= this.deps.endpoints
      .find({ status: 'active' }, { _id: 1, events: 1 })
      .lean<Array<Pick<WebhookEndpointDoc, '_id' | 'events'>>>()
      .then((active) => {
        const byType = new Map<string, string[]>();
        for (const endpoint of active) for (const type of endpoint.events) byType.set(type, [...(byType.get(type) ?? []), endpoint._id]);
        // A read that began before an endpoint changed here answers its callers but is not kept.
        if (generation === this.subscriptionGeneration) this.subscriptions = { readAt: performance.now(), byType };
        return byType;
      })
      .finally(() => {
        if (generation === this.subscriptionGeneration) this.subscriptionRead = null;
      });
    return this.subscriptionRead;
  }

  private forgetSubscriptions(): void {
    this.subscriptionGeneration += 1;
    this.subscriptions = null;
    this.subscriptionRead = null;
  }

  // ---- HQ's endpoints and log ----

  async listEndpoints(): Promise<{ items: WebhookEndpoint[] }> {
    const docs = await this.deps.endpoints.find().sort({ createdAt: -1 }).lean<WebhookEndpointDoc[]>();
    return { items: docs.map(endpointView) };
  }

  async createEndpoint(actor: Actor, requestId: string, body: WebhookEndpointCreateBody): Promise<WebhookEndpointCreated> {
    if (actor.type !== 'admin') throw errors.forbidden('Only HQ manages webhooks.');
    await assertWebhookUrl(body.url, this.urlPolicy);
    const id = `whe_${randomBytes(8).toString('hex')}`;
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const at = this.deps.now();
    const doc: WebhookEndpointDoc = {
      _id: id, url: body.url, description: body.description ?? '', events: [...new Set(body.events)], status: 'active',
      secretSealed: this.secretBox.seal(id, secret), createdAt: at, createdBy: actor.staffId, updatedAt: at,
    };
    await inTransaction(this.deps.connection, undefined, async (session) => {
      await this.deps.endpoints.create([doc], { session });
      await this.deps.audit.record(actor, requestId, { action: 'webhook.endpoint.create', targetType: 'webhook_endpoint', targetId: id, after: { url: doc.url, events: doc.events } }, session);
    });
    this.forgetSubscriptions();
    return { ...endpointView(doc), secret };
  }

  async updateEndpoint(actor: Actor, requestId: string, id: string, body: WebhookEndpointUpdateBody): Promise<WebhookEndpoint> {
    const set: Partial<WebhookEndpointDoc> = { updatedAt: this.deps.now() };
    if (body.url !== undefined) await assertWebhookUrl(body.url, this.urlPolicy);
    if (body.url !== undefined) set.url = body.url;
    if (body.description !== undefined) set.description = body.description;
    if (body.events !== undefined) set.events = [...new Set(body.events)];
    if (body.status !== undefined) set.status = body.status;
    const updated = await inTransaction(this.deps.connection, undefined, async (session) => {
      const before = await this.deps.endpoints.findOneAndUpdate({ _id: id }, { $set: set }, { session }).lean<WebhookEndpointDoc>();
      if (!before) throw errors.notFound('No such webhook endpoint.');
      await this.deps.audit.record(
        actor, requestId,
        { action: 'webhook.endpoint.update', targetType: 'webhook_endpoint', targetId: id, before: { url: before.url, events: before.events, status: before.status }, after: { ...body } },
        session,
      );
      return { ...before, ...set } as WebhookEndpointDoc;
    });
    this.forgetSubscriptions();
    if (updated.status === 'active') this.kick();
    return endpointView(updated);
  }

  async listDeliveries(query: { endpointId?: string; status?: WebhookDeliveryDoc['status']; limit: number }): Promise<{ items: WebhookDelivery[] }> {
    const filter: Record<string, unknown> = {};
    if (query.endpointId) filter.endpointId = query.endpointId;
    if (query.status) filter.status = query.status;
    const docs = await this.deps.deliveries.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.limit).lean<WebhookDeliveryDoc[]>();
    return { items: docs.map(deliveryView) };
  }

  /**
   * Sends a delivery again with the same body, so the same event id: an acknowledged or given-up one becomes
   * pending for another 24 hours; a pending one is made due now.
   */
  async redeliver(actor: Actor, requestId: string, deliveryId: string): Promise<WebhookDelivery> {
    const { deliveries, audit, connection, now } = this.deps;
    const at = now();
    const doc = await inTransaction(connection, undefined, async (session) => {
      const current = await deliveries.findById(deliveryId).session(session).lean<WebhookDeliveryDoc>();
      if (!current) throw errors.notFound('No such webhook delivery.');
      const set =
        current.status === 'pending'
          ? { nextAttemptAt: at }
          : { status: 'pending', nextAttemptAt: at, giveUpAt: new Date(at.getTime() + WEBHOOK_RETRY_HOURS * 3600_000), deliveredAt: null };
      const updated = await deliveries
        .findOneAndUpdate({ _id: current._id, status: current.status, attemptCount: current.attemptCount }, { $set: set }, { returnDocument: 'after', session })
        .lean<WebhookDeliveryDoc>();
      // An attempt finished between the read and the update: the sender's answer stands; HQ looks again.
      if (!updated) throw new AppError(ErrorCode.CONFLICT, 'The delivery changed while being redelivered; try again.');
      await audit.record(actor, requestId, { action: 'webhook.delivery.redeliver', targetType: 'webhook_delivery', targetId: deliveryId, before: { status: current.status }, after: { status: 'pending', eventId: current.eventId } }, session);
      return updated;
    });
    this.kick();
    return deliveryView(doc);
  }

  // ---- sending ----

  /** Sends what is due in this process now (after a commit, a redeliver); runs never overlap within a process. */
  kick(): void {
    this.sender.kick();
  }

  async stop(): Promise<void> {
    await this.sender.stop();
  }

  /** The job: every due attempt of active endpoints, each (endpoint, member) in order. */
  async runDue(): Promise<{ processed: number }> {
    const { endpoints, deliveries, now } = this.deps;
    const active = await endpoints.find({ status: 'active' }).lean<WebhookEndpointDoc[]>();
    const byId = new Map(active.map((e) => [e._id, e]));
    let processed = 0;
    for (let round = 0; round < 20 && !this.sender.stopping; round++) {
      const at = now();
      const due = await deliveries
        .find({ status: 'pending', nextAttemptAt: { $lte: at }, endpointId: { $in: [...byId.keys()] }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: at } }] })
        .sort({ nextAttemptAt: 1 })
        .limit(DUE_BATCH)
        .lean<WebhookDeliveryDoc[]>();
      const groups = new Map<string, WebhookDeliveryDoc[]>();
      for (const d of due) {
        const key = `${d.endpointId}|${d.memberId}`;
        groups.set(key, [...(groups.get(key) ?? []), d]);
      }
      const queue = [...groups.values()].map((g) => g.sort((a, b) => a.memberSeq - b.memberSeq));
      let acknowledged = 0;
      const lane = async () => {
        for (let group = queue.shift(); group && !this.sender.stopping; group = queue.shift()) {
          for (const delivery of group) {
            const outcome = await this.attemptInOrder(delivery, byId.get(delivery.endpointId)!);
            if (outcome === 'sent-ok' || outcome === 'sent-failed') processed += 1;
            if (outcome === 'sent-ok') acknowledged += 1;
            else break; // later events of this member wait for this one
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL_LANES }, lane));
      // Another round only when a full batch was due and sending moved something along.
      if (due.length < DUE_BATCH || acknowledged === 0) break;
    }
    return { processed };
  }

  private async attemptInOrder(delivery: WebhookDeliveryDoc, endpoint: WebhookEndpointDoc): Promise<'blocked' | 'lost' | 'sent-ok' | 'sent-failed'> {
    const { deliveries, now } = this.deps;
    const earlier = await deliveries.exists({ endpointId: delivery.endpointId, memberId: delivery.memberId, memberSeq: { $lt: delivery.memberSeq }, status: 'pending' });
    if (earlier) return 'blocked';
    const timeoutMs = this.deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const claimedAt = now();
    const claimed = await deliveries
      .findOneAndUpdate(
        {
          _id: delivery._id, status: 'pending', attemptCount: delivery.attemptCount, nextAttemptAt: { $lte: claimedAt },
          $or: [{ leaseUntil: null }, { leaseUntil: { $lte: claimedAt } }],
        },
        { $inc: { attemptCount: 1 }, $set: { leaseUntil: new Date(claimedAt.getTime() + timeoutMs + 30_000) } },
        { returnDocument: 'after' },
      )
      .lean<WebhookDeliveryDoc>();
    if (!claimed) return 'lost'; // another run took this attempt
    const secret = this.secretBox.open(endpoint._id, endpoint.secretSealed);
    const n = claimed.attemptCount;
    const started = performance.now();
    let httpStatus: number | null = null;
    let error: string | null = null;
    const refused = secret ? await webhookUrlRefusal(endpoint.url, this.urlPolicy).catch(() => 'UNRESOLVABLE' as const) : null;
    if (!secret) error = 'The endpoint secret cannot be read (JWT_SECRET changed); create the endpoint again.';
    else if (refused) error = refusedAttemptError(refused);
    else {
      const timestamp = String(Math.floor(now().getTime() / 1000));
      try {
        const res = await fetch(endpoint.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'membercard-webhooks/1',
            [WEBHOOK_HEADERS.eventId]: JSON.parse(claimed.body).id as string,
            [WEBHOOK_HEADERS.eventType]: claimed.eventType,
            [WEBHOOK_HEADERS.timestamp]: timestamp,
            [WEBHOOK_HEADERS.signature]: createHmac('sha256', secret).update(webhookStringToSign(timestamp, claimed.body)).digest('hex'),
          },
          body: claimed.body,
        });
        httpStatus = res.status;
        await res.body?.cancel().catch(() => undefined);
        if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
      } catch (err) {
        error = err instanceof Error ? (err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : String((err as { cause?: { code?: string } }).cause?.code ?? err.message)) : String(err);
      }
    }
    const at = now();
    const attempt = { n, at, ok: error === null, httpStatus, error, durationMs: Math.round(performance.now() - started) };
    const wait = WEBHOOK_BACKOFF_SECONDS[Math.min(n - 1, WEBHOOK_BACKOFF_SECONDS.length - 1)]! * 1000;
    const next = new Date(at.getTime() + wait);
    const giveUp = next > claimed.giveUpAt;
    const set = attempt.ok
      ? { status: 'delivered', deliveredAt: at, nextAttemptAt: null, leaseUntil: null }
      : giveUp
        ? { status: 'failed', nextAttemptAt: null, leaseUntil: null }
        : { nextAttemptAt: next, leaseUntil: null };
    // Written only while this run still holds attempt n (a lapsed lease taken over means the newer run reports).
    await deliveries.updateOne({ _id: claimed._id, attemptCount: n, status: 'pending' }, { $set: set, $push: { attempts: attempt } });
    return attempt.ok ? 'sent-ok' : 'sent-failed';
  }
}

function endpointView(doc: WebhookEndpointDoc): WebhookEndpoint {
  return {
    id: doc._id, url: doc.url, description: doc.description, events: doc.events, status: doc.status,
    createdAt: doc.createdAt.toISOString(), updatedAt: doc.updatedAt.toISOString(),
  };
}

function deliveryView(doc: WebhookDeliveryDoc): WebhookDelivery {
  return {
    id: String(doc._id), endpointId: doc.endpointId, eventId: doc.eventId, eventType: doc.eventType, memberId: doc.memberId, status: doc.status,
    createdAt: doc.createdAt.toISOString(), nextAttemptAt: doc.nextAttemptAt?.toISOString() ?? null, deliveredAt: doc.deliveredAt?.toISOString() ?? null,
    giveUpAt: doc.giveUpAt.toISOString(),
    attempts: doc.attempts.map((a) => ({ n: a.n, at: a.at.toISOString(), ok: a.ok, httpStatus: a.httpStatus ?? null, error: a.error ?? null, durationMs: a.durationMs })),
  };
}
