import type { MarketingSettings, MarketingSettingsPatch } from '@membercard/shared';
import { Types } from 'mongoose';
import { errors, isDuplicateKeyError } from '../../lib/errors';
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

/** The subscribe-message templates the mini-program asks members to accept, by purpose. */
export interface SubscribeTemplates {
  couponArrival: string;
  pointsExpiry: string;
  activityReminder: string;
}
export type TemplatePurpose = keyof SubscribeTemplates;

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
  data: Record<string, { value: string }>;
  page?: string;
}

export interface SendOutcome {
  status: MessageStatus;
  reason: string | null;
  /** False when the key had been handled before: nothing was sent now. */
  firstAttempt: boolean;
}

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

  get templates(): SubscribeTemplates {
    return this.deps.templates;
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
    const known = new Set(Object.values(this.deps.templates));
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
    const found = await this.deps.quotas.findById(`${String(memberId)}:${this.deps.templates[purpose]}`).lean();
    return found?.remaining ?? 0;
  }

  // ---- sending ----

  async send(request: SendRequest): Promise<SendOutcome> {
    const { messages, members, now } = this.deps;
    const templateId = this.deps.templates[request.purpose];
    const at = now();
    try {
      await messages.create([
        { _id: request.key, memberId: request.memberId, templateId, marketing: request.marketing, status: 'pending', reason: null, msgid: null, createdAt: at, updatedAt: at },
      ]);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const earlier = await messages.findById(request.key).lean<MessageDoc>();
      return { status: earlier?.status ?? 'pending', reason: earlier?.reason ?? null, firstAttempt: false };
    }
    const finish = async (status: MessageStatus, reason: string | null, msgid: string | null = null): Promise<SendOutcome> => {
      await messages.updateOne({ _id: request.key }, { $set: { status, reason, msgid, updatedAt: now() } });
      return { status, reason, firstAttempt: true };
    };

    const member = await members.findOne({ _id: request.memberId, status: 'active' }, { openid: 1 }).lean();
    if (!member?.openid) return finish('skipped', 'no_openid');
    const quotaId = `${String(request.memberId)}:${templateId}`;
    const tookQuota = await this.deps.quotas.updateOne({ _id: quotaId, remaining: { $gt: 0 } }, { $inc: { remaining: -1 }, $set: { updatedAt: at } });
    if (tookQuota.modifiedCount !== 1) return finish('skipped', 'no_quota');
    const giveQuotaBack = () => this.deps.quotas.updateOne({ _id: quotaId }, { $inc: { remaining: 1 } });
    let capSlot: Date | null = null;
    if (request.marketing) {
      capSlot = await this.takeCapSlot(request.memberId, at);
      if (!capSlot) {
        await giveQuotaBack();
        return finish('skipped', 'capped');
      }
    }
    const releaseCapSlot = async () => {
      if (capSlot) await this.deps.caps.updateOne({ _id: request.memberId }, { $pull: { recent: capSlot } });
    };

    try {
      const sent = await this.deps.wechat.sendSubscribeMessage({ touser: member.openid, templateId, data: request.data, ...(request.page ? { page: request.page } : {}) });
      return finish('sent', null, sent.msgid ?? null);
    } catch (err) {
      await releaseCapSlot();
      if (err instanceof WeChatApiError) {
        if (err.errcode === 43101) {
          // WeChat says the member has no quota left (or refused): ours was wrong, so it is gone too.
          await this.deps.quotas.updateOne({ _id: quotaId }, { $set: { remaining: 0 } });
          return finish('failed', 'refused');
        }
        await giveQuotaBack();
        if (err.errcode === 40003) return finish('failed', 'bad_openid');
        return finish('failed', `errcode_${err.errcode}`);
      }
      // Not delivered (network, WeChat down): the member's quota was not used.
      await giveQuotaBack();
      return finish('failed', 'transport');
    }
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
