import {
  formatMessageData,
  MESSAGE_PURPOSES,
  parseSubscribeTemplates,
  PURPOSE_FIELDS,
  templateIds,
  type FieldValue,
  type MarketingSettings,
  type MarketingSettingsPatch,
  type MessagePurpose,
  type SubscribeTemplate,
  type SubscribeTemplates,
  type SubscribeTemplateSetting,
  type SubscribeTemplateSettings,
} from '@membercard/shared';
import { Types, type ClientSession } from 'mongoose';
import { errors, isDuplicateKeyError } from '../../lib/errors';
import { inTransaction } from '../../lib/transactions';
import type { Actor } from '../../lib/requestContext';
import { WeChatApiError, type SubscribeMessage } from '../../wechat';
import type { AuditService } from '../audit/service';
import type { memberModel } from '../members/model';
import type { SettingsService } from '../settings/service';
import type { MessageDoc, MessageStatus, messageCapModel, messageModel, subscribeQuotaModel } from './model';

// The one way the product sends WeChat subscribe messages. A message goes out only if the member granted
// one-time quota for its template (each accept in wx.requestSubscribeMessage = one send, counted here),
// and, for marketing, only within the frequency cap. Each message has a key naming what it is about, taken
// by a unique insert before anything else, so a re-run push or rule never sends it twice (at most once).
// Its data is the configured template's keywords filled from our fields through the shared formatter, so
// every value keeps WeChat's rule for its type. WeChat being busy (-1) or rate-limited keeps the quota
// reserved and the retry job sends it again later, with growing waits.
//
// A service notice that must not be lost with the process (the 储值消费通知 of a stored-value charge) is recorded
// by `enqueue` inside the transaction of the change it reports: that row is its outbox entry, committed with the
// change or not at all. The caller kicks `deliverQueued(key)` after its commit; the subscribe-retries job sends
// any whose kick never came.

export type { SubscribeTemplates };
export type TemplatePurpose = MessagePurpose;
/** Our fields for a purpose (PURPOSE_FIELDS in shared): text, counts, { fen } and instants. */
export type MessageFields = Record<string, FieldValue | null | undefined>;

export interface SubscribeMessageApi {
  sendSubscribeMessage(message: SubscribeMessage): Promise<{ msgid?: string }>;
}

export interface SendRequest {
  /** What the message is about, unique per member, e.g. `campaign:<campaignId>:<memberId>`. */
  key: string;
  memberId: Types.ObjectId;
  purpose: TemplatePurpose;
  /** Marketing messages count against the frequency cap; service notices (expiring points, a cancelled activity) do not. */
  marketing: boolean;
  fields: MessageFields;
  page?: string;
  /** No retry after this instant (e.g. a reminder once the activity started). */
  expiresAt?: Date;
}

export interface SendOutcome {
  status: MessageStatus;
  reason: string | null;
  /** False when the key had been handled before: nothing was sent now. */
  firstAttempt: boolean;
}

/** WeChat errcodes worth another try later: system busy, and the API's call quotas and rate limits. */
export const TRANSIENT_ERRCODES = new Set([-1, 45009, 45011]);
/** Waits before the 2nd, 3rd… call of a message WeChat was too busy for; after the last one it fails for good. */
export const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 6 * 3600_000];
/** A claimed retry is the claimant's this long; a job that died mid-call is retried after it. */
const RETRY_LEASE_MS = 2 * 60_000;
const RETRIES_PER_RUN = 500;

/** The most marketing sends remembered per member, and so the highest frequency cap that can be set. */
export const MAX_RECENT_SENDS = 20;
const DAY_MS = 24 * 3600_000;

interface Deps {
  quotas: ReturnType<typeof subscribeQuotaModel>;
  caps: ReturnType<typeof messageCapModel>;
  messages: ReturnType<typeof messageModel>;
  settings: SettingsService;
  members: ReturnType<typeof memberModel>;
  wechat: SubscribeMessageApi;
  templates: SubscribeTemplates;
  audit: AuditService;
  now: () => Date;
}

export class MessagingService {
  /** Told about every accepted subscription; demo mode points it at the WeChat emulator so its quota matches. */
  onSubscriptionsAccepted: (openid: string, templateIds: string[]) => Promise<void> = async () => undefined;

  constructor(private readonly deps: Deps) {}

  // ---- templates ----

  /** The templates in force: HQ's (programme settings) where set, else the environment's (or the demo samples). */
  async templates(read: 'fresh' | 'cached' = 'cached'): Promise<SubscribeTemplates> {
    const { subscribeTemplates: hq } = read === 'cached' ? await this.deps.settings.cached() : await this.deps.settings.get();
    return { ...this.deps.templates, ...hq };
  }

  /** The template id of each purpose: what /app-config gives the mini-program for wx.requestSubscribeMessage. */
  async templateIds(): Promise<Record<TemplatePurpose, string>> {
    return templateIds(await this.templates());
  }

  async templateSettings(): Promise<SubscribeTemplateSettings> {
    const { subscribeTemplates: hq } = await this.deps.settings.get();
    return { items: MESSAGE_PURPOSES.map((purpose) => this.templateSetting(purpose, hq[purpose])) };
  }

  /**
   * HQ sets a purpose's template (from its WeChat console), or with null goes back to the environment's. The whole
   * set must still be sound (keywords, fields, one purpose per template id), else 400 naming the field.
   */
  async setTemplate(actor: Actor, requestId: string, purpose: TemplatePurpose, template: SubscribeTemplate | null): Promise<SubscribeTemplateSetting> {
    const { subscribeTemplates: hq } = await this.deps.settings.get();
    const next = { ...hq };
    if (template) next[purpose] = template;
    else delete next[purpose];
    const merged = { ...this.deps.templates, ...next };
    const sharing = MESSAGE_PURPOSES.find((other) => other !== purpose && merged[other].id === merged[purpose].id);
    if (sharing) throw errors.validation('The template does not fit this purpose.', { fields: [{ field: 'body.id', message: `already the template of ${sharing}` }] });
    const checked = parseSubscribeTemplates(merged);
    if (!checked.ok) {
      // Problems read `<purpose>.<path>: <what>`; the path within this purpose is the body's field.
      const [where, ...what] = checked.problem.split(': ');
      const field = where!.startsWith(`${purpose}.`) ? `body.${where!.slice(purpose.length + 1)}` : 'body.id';
      throw errors.validation('The template does not fit this purpose.', { fields: [{ field, message: what.join(': ') || checked.problem }] });
    }
    await this.deps.settings.update({ subscribeTemplates: next });
    await this.deps.audit.record(actor, requestId, {
      action: 'subscribe_template.update', targetType: 'settings', targetId: `subscribeTemplates.${purpose}`, before: hq[purpose] ?? null, after: template,
    });
    return this.templateSetting(purpose, next[purpose]);
  }

  private templateSetting(purpose: TemplatePurpose, hq: SubscribeTemplate | undefined): SubscribeTemplateSetting {
    const { title, fields } = PURPOSE_FIELDS[purpose];
    return {
      purpose,
      title,
      fields: Object.entries(fields).map(([name, field]) => ({ name, ...field })),
      template: hq ?? this.deps.templates[purpose],
      source: hq ? 'hq' : 'environment',
    };
  }

  // ---- settings ----

  /** The marketing part of the programme settings (one settings document for the whole programme). */
  async settings(read: 'fresh' | 'cached' = 'fresh'): Promise<MarketingSettings> {
    const { frequencyCap, fenPerPoint } = read === 'cached' ? await this.deps.settings.cached() : await this.deps.settings.get();
    return { frequencyCap, fenPerPoint };
  }

  async updateSettings(actor: Actor, requestId: string, patch: MarketingSettingsPatch): Promise<MarketingSettings> {
    const before = await this.settings();
    const { frequencyCap, fenPerPoint } = await this.deps.settings.update(patch);
    const after = { frequencyCap, fenPerPoint };
    await this.deps.audit.record(actor, requestId, { action: 'marketing_settings.update', targetType: 'settings', targetId: 'marketing', before, after });
    return after;
  }

  // ---- consent ----

  /** Each accepted template adds one message of quota; ids the mini-program was not given are refused (400). */
  async acceptSubscriptions(memberId: string, templateIds: string[]): Promise<void> {
    const known = new Set(Object.values(await this.templateIds()));
    templateIds.forEach((id, index) => {
      if (!known.has(id)) {
        throw errors.validation('Unknown subscribe template.', { fields: [{ field: `body.accepted.${index}`, message: 'Not a template from /app-config' }] });
      }
    });
    const member = await this.deps.members.findOne({ _id: memberId, status: 'active' }, { openid: 1 }).lean();
    if (!member) throw errors.notFound('No such member.');
    const at = this.deps.now();
    for (const templateId of templateIds) {
      await this.deps.quotas.updateOne(
        { _id: `${memberId}:${templateId}` },
        { $inc: { remaining: 1 }, $set: { updatedAt: at }, $setOnInsert: { memberId: new Types.ObjectId(memberId), templateId } },
        { upsert: true },
      );
    }
    if (member.openid && templateIds.length > 0) await this.onSubscriptionsAccepted(member.openid, templateIds);
  }

  async quota(memberId: Types.ObjectId, purpose: TemplatePurpose): Promise<number> {
    const found = await this.deps.quotas.findById(`${String(memberId)}:${(await this.templates())[purpose].id}`).lean();
    return found?.remaining ?? 0;
  }

  // ---- sending ----

  async send(request: SendRequest): Promise<SendOutcome> {
    const { messages, members, now } = this.deps;
    const template = (await this.templates())[request.purpose];
    const templateId = template.id;
    const at = now();
    try {
      await messages.create([
        {
          _id: request.key, memberId: request.memberId, templateId, purpose: request.purpose, marketing: request.marketing, status: 'pending',
          reason: null, error: null, msgid: null, attempts: 0, nextAttemptAt: null, expiresAt: request.expiresAt ?? null, payload: null, capSlot: null,
          createdAt: at, updatedAt: at,
        },
      ]);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const earlier = await messages.findById(request.key).lean<MessageDoc>();
      return { status: earlier?.status ?? 'pending', reason: earlier?.reason ?? null, firstAttempt: false };
    }
    const finish = async (status: MessageStatus, reason: string | null, error: string | null = null): Promise<SendOutcome> => {
      await messages.updateOne({ _id: request.key }, { $set: { status, reason, error, updatedAt: now() } });
      return { status, reason, firstAttempt: true };
    };

    const member = await members.findOne({ _id: request.memberId, status: 'active' }, { openid: 1 }).lean();
    if (!member?.openid) return finish('skipped', 'no_openid');
    // Formatted before any quota is taken: a value WeChat would refuse (47003) is refused here, naming the keyword.
    const formatted = formatMessageData(template.keywords, request.fields);
    if (!formatted.ok) return finish('failed', `format:${formatted.keyword}`, formatted.reason);
    const quotaId = `${String(request.memberId)}:${templateId}`;
    const tookQuota = await this.deps.quotas.updateOne({ _id: quotaId, remaining: { $gt: 0 } }, { $inc: { remaining: -1 }, $set: { updatedAt: at } });
    if (tookQuota.modifiedCount !== 1) return finish('skipped', 'no_quota');
    let capSlot: Date | null = null;
    if (request.marketing) {
      capSlot = await this.takeCapSlot(request.memberId, at);
      if (!capSlot) {
        await this.deps.quotas.updateOne({ _id: quotaId }, { $inc: { remaining: 1 } });
        return finish('skipped', 'capped');
      }
    }
    const payload = { data: formatted.data, page: request.page ?? null };
    await messages.updateOne({ _id: request.key }, { $set: { payload, capSlot } });
    const { status, reason } = await this.attempt(
      { _id: request.key, memberId: request.memberId, templateId, payload, capSlot, attempts: 0, expiresAt: request.expiresAt ?? null },
      member.openid,
      { _id: request.key, status: 'pending' },
    );
    return { status, reason, firstAttempt: true };
  }

  /**
   * Records a service notice (never marketing) inside the caller's transaction, due at once: status `queued` under
   * its key, which must be new (the id of what the transaction creates), as a duplicate aborts the transaction. The
   * data is formatted now, so a value WeChat would refuse is recorded as failed (format:<keyword>) and never queued.
   */
  async enqueue(session: ClientSession, request: Omit<SendRequest, 'marketing'>): Promise<void> {
    const template = (await this.templates())[request.purpose];
    const formatted = formatMessageData(template.keywords, request.fields);
    const at = this.deps.now();
    await this.deps.messages.create(
      [
        {
          _id: request.key, memberId: request.memberId, templateId: template.id, purpose: request.purpose, marketing: false,
          ...(formatted.ok
            ? { status: 'queued', reason: null, error: null, payload: { data: formatted.data, page: request.page ?? null }, nextAttemptAt: at }
            : { status: 'failed', reason: `format:${formatted.keyword}`, error: formatted.reason, payload: null, nextAttemptAt: null }),
          msgid: null, attempts: 0, expiresAt: request.expiresAt ?? null, capSlot: null, createdAt: at, updatedAt: at,
        },
      ],
      { session },
    );
  }

  /**
   * Sends the queued notices that are due (or only the one under `key`: the kick after its commit). Each is claimed
   * in one transaction with the member's quota, becoming a `retrying` message that holds its quota under a lease,
   * so parallel job runs and the kick never send one twice, and one whose sender stopped before WeChat answered is
   * sent by retryDue once the lease is over. No quota (or no openid): skipped, as send() does.
   */
  async deliverQueued(key?: string): Promise<{ processed: number }> {
    let processed = 0;
    while (processed < RETRIES_PER_RUN) {
      const claimed = await this.claimQueued(key);
      if (!claimed) break;
      processed++;
      if (claimed.openid) await this.attempt(claimed.message, claimed.openid, { _id: claimed.message._id, status: 'retrying', nextAttemptAt: claimed.message.nextAttemptAt });
      if (key) break;
    }
    return { processed };
  }

  private claimQueued(key: string | undefined): Promise<{ message: MessageDoc; openid: string | null } | null> {
    const { messages, members, quotas, now } = this.deps;
    return inTransaction(messages.db, undefined, async (session) => {
      const at = now();
      const message = await messages
        .findOne({ ...(key ? { _id: key } : {}), status: 'queued', nextAttemptAt: { $lte: at } })
        .sort({ nextAttemptAt: 1 })
        .session(session)
        .lean<MessageDoc>();
      if (!message) return null;
      // The conditional update makes a parallel claimant's transaction conflict and, retried, find it taken.
      const settle = (fields: Record<string, unknown>) => messages.updateOne({ _id: message._id, status: 'queued' }, { $set: { ...fields, updatedAt: at } }, { session });
      const member = await members.findOne({ _id: message.memberId, status: 'active' }, { openid: 1 }).session(session).lean();
      if (!member?.openid) {
        await settle({ status: 'skipped', reason: 'no_openid', nextAttemptAt: null });
        return { message, openid: null };
      }
      if (message.expiresAt && message.expiresAt <= at) {
        await settle({ status: 'failed', reason: 'expired', nextAttemptAt: null });
        return { message, openid: null };
      }
      const tookQuota = await quotas.updateOne(
        { _id: `${String(message.memberId)}:${message.templateId}`, remaining: { $gt: 0 } },
        { $inc: { remaining: -1 }, $set: { updatedAt: at } },
        { session },
      );
      if (tookQuota.modifiedCount !== 1) {
        await settle({ status: 'skipped', reason: 'no_quota', nextAttemptAt: null });
        return { message, openid: null };
      }
      const leaseEnd = new Date(at.getTime() + RETRY_LEASE_MS);
      await settle({ status: 'retrying', nextAttemptAt: leaseEnd });
      return { message: { ...message, status: 'retrying', nextAttemptAt: leaseEnd }, openid: member.openid };
    });
  }

  /**
   * Sends messages WeChat was too busy for, once their wait is over: each is claimed by a conditional update
   * (a lease, so parallel runs never send one twice) and sent again with its reserved quota.
   */
  async retryDue(): Promise<{ processed: number }> {
    const { messages, members, now } = this.deps;
    let processed = 0;
    while (processed < RETRIES_PER_RUN) {
      const at = now();
      const leaseEnd = new Date(at.getTime() + RETRY_LEASE_MS);
      const claimed = await messages
        .findOneAndUpdate({ status: 'retrying', nextAttemptAt: { $lte: at } }, { $set: { nextAttemptAt: leaseEnd, updatedAt: at } }, { sort: { nextAttemptAt: 1 }, returnDocument: 'after' })
        .lean<MessageDoc>();
      if (!claimed) break;
      processed++;
      const claim = { _id: claimed._id, status: 'retrying', nextAttemptAt: leaseEnd };
      const member = await members.findOne({ _id: claimed.memberId, status: 'active' }, { openid: 1 }).lean();
      if (!member?.openid || !claimed.payload || (claimed.expiresAt && claimed.expiresAt <= at)) {
        await this.release(claimed);
        await messages.updateOne(claim, { $set: { status: 'failed', reason: member?.openid ? 'expired' : 'no_openid', nextAttemptAt: null, updatedAt: at } });
        continue;
      }
      await this.attempt(claimed, member.openid, claim);
    }
    return { processed };
  }

  /**
   * One call to WeChat for a message that holds its quota (and cap slot), recorded under `claim` (the state
   * the caller found it in). Answers the status and reason it recorded.
   */
  private async attempt(
    message: Pick<MessageDoc, '_id' | 'memberId' | 'templateId' | 'payload' | 'capSlot' | 'attempts' | 'expiresAt'>,
    openid: string,
    claim: Record<string, unknown>,
  ): Promise<{ status: MessageStatus; reason: string | null }> {
    const { messages, now } = this.deps;
    const attempts = message.attempts + 1;
    const record = async (status: MessageStatus, reason: string | null, fields: Record<string, unknown>) => {
      await messages.updateOne(claim, { $set: { status, reason, attempts, nextAttemptAt: null, updatedAt: now(), ...fields } });
      return { status, reason };
    };
    const payload = message.payload!;
    try {
      const sent = await this.deps.wechat.sendSubscribeMessage({ touser: openid, templateId: message.templateId, data: payload.data, ...(payload.page ? { page: payload.page } : {}) });
      return await record('sent', null, { error: null, msgid: sent.msgid ?? null });
    } catch (err) {
      const errcode = err instanceof WeChatApiError ? err.errcode : null;
      const reason = errcode === null ? 'transport' : errcode === 43101 ? 'refused' : errcode === 40003 ? 'bad_openid' : `errcode_${errcode}`;
      const error = err instanceof WeChatApiError ? err.errmsg : err instanceof Error ? err.message : String(err);
      // Busy, rate-limited or unreachable: try again later with the quota still reserved, unless that would be too late.
      const delay = RETRY_DELAYS_MS[attempts - 1];
      const nextAttemptAt = delay === undefined ? null : new Date(now().getTime() + delay);
      const transient = errcode === null || TRANSIENT_ERRCODES.has(errcode);
      if (transient && nextAttemptAt && !(message.expiresAt && nextAttemptAt >= message.expiresAt)) {
        await messages.updateOne(claim, { $set: { status: 'retrying', attempts, nextAttemptAt, reason, error, updatedAt: now() } });
        return { status: 'retrying', reason };
      }
      if (errcode === 43101) {
        // WeChat says the member has no quota left (or refused): ours was wrong, so it is gone too.
        await this.deps.quotas.updateOne({ _id: `${String(message.memberId)}:${message.templateId}` }, { $set: { remaining: 0 } });
        await this.releaseCapSlot(message);
      } else {
        await this.release(message);
      }
      return record('failed', reason, { error });
    }
  }

  /** A message that will not be sent gives back the quota and cap slot it held. */
  private async release(message: Pick<MessageDoc, 'memberId' | 'templateId' | 'capSlot'>): Promise<void> {
    await this.deps.quotas.updateOne({ _id: `${String(message.memberId)}:${message.templateId}` }, { $inc: { remaining: 1 } });
    await this.releaseCapSlot(message);
  }

  private async releaseCapSlot(message: Pick<MessageDoc, 'memberId' | 'capSlot'>): Promise<void> {
    if (message.capSlot) await this.deps.caps.updateOne({ _id: message.memberId }, { $pull: { recent: message.capSlot } });
  }

  /**
   * Takes one marketing slot if fewer than maxMessages were sent within the window. `recent` is newest first,
   * so "already maxMessages in the window" is exactly "slot maxMessages−1 is inside the window": one
   * conditional upsert. A member at the cap makes the upsert collide with their existing document.
   */
  private async takeCapSlot(memberId: Types.ObjectId, at: Date): Promise<Date | null> {
    const { frequencyCap } = await this.settings('cached');
    const windowStart = new Date(at.getTime() - frequencyCap.windowDays * DAY_MS);
    const slot = `recent.${Math.min(frequencyCap.maxMessages, MAX_RECENT_SENDS) - 1}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.deps.caps.updateOne(
          { _id: memberId, [slot]: { $not: { $gte: windowStart } } },
          { $push: { recent: { $each: [at], $position: 0, $slice: MAX_RECENT_SENDS } } },
          { upsert: true },
        );
        return at;
      } catch (err) {
        // The first attempt may only have lost the race to create the member's document: look again.
        if (!isDuplicateKeyError(err) || attempt === 1) {
          if (isDuplicateKeyError(err)) return null;
          throw err;
        }
      }
    }
    return null;
  }
}
