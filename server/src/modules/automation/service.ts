import {
  chinaCalendarDate,
  chinaIsoDate,
  type AutomationRule,
  type AutomationRuleKind,
  type AutomationRulePatch,
  type Page,
} from '@membercard/shared';
import type { ExpiryWarning, expiryWarningModel } from '../points/model';
import { Types } from 'mongoose';
import { errors, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';
import { couponArrivalFields, type PushDelivery } from '../campaigns/delivery';
import type { CouponTemplateDoc, couponTemplateModel } from '../coupons/model';
import type { MemberDoc, memberModel } from '../members/model';
import type { PointsLedger } from '../points/ledger';
import type { SettingsService } from '../settings/service';
import type { AutomationOccurrenceDoc, AutomationRuleDoc, automationOccurrenceModel, automationRuleModel } from './model';

// Rules HQ switches on that send a coupon, points and/or a subscribe message when something happens to a member:
// joining, the birthday month, points about to expire, lapsing, a tier upgrade. Each firing is keyed by its
// occurrence (`birthday:2026:<memberId>`), taken by a unique insert, and delivered through the same push
// machinery as campaigns (coupon keyed by channel 'automation' + the occurrence), so reruns fire nothing twice.

const DAY_MS = 24 * 3600_000;
const SCAN_BATCH = 500;
const RECENT_SHOWN = 5;
/** How long a run holds an occurrence it is delivering before another run may take it over. */
const OCCURRENCE_CLAIM_MS = 5 * 60_000;

interface RuleDefinition {
  name: string;
  message: string;
  params: Record<string, number>;
  /** Marketing messages count against the frequency cap; notices about the member's own account do not. */
  marketing: boolean;
}

export const AUTOMATION_RULES: Record<AutomationRuleKind, RuleDefinition> = {
  welcome: { name: '入会礼', message: '欢迎入会，礼券已到账', params: { withinDays: 7 }, marketing: true },
  birthday: { name: '生日礼', message: '生日快乐，礼券已到账', params: {}, marketing: true },
  points_expiry: { name: '积分到期提醒', message: '您有积分即将到期', params: { daysBefore: 30 }, marketing: false },
  win_back: { name: '沉睡唤醒', message: '好久不见，送您一张券', params: { days: 90 }, marketing: true },
  tier_upgrade: { name: '升级祝贺', message: '恭喜您升级', params: { withinDays: 7 }, marketing: false },
};
const KINDS = Object.keys(AUTOMATION_RULES) as AutomationRuleKind[];

interface Deps {
  rules: ReturnType<typeof automationRuleModel>;
  occurrences: ReturnType<typeof automationOccurrenceModel>;
  members: ReturnType<typeof memberModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  /** The points module's expiry-warning records (its job writes one per member per expiry date; we set notifiedAt). */
  expiryWarnings: ReturnType<typeof expiryWarningModel>;
  settings: SettingsService;
  delivery: PushDelivery;
  /** Points a rule grants go through the ledger, keyed by the occurrence (once per occurrence, whatever reruns). */
  ledger: PointsLedger;
  audit: AuditService;
  now: () => Date;
}

type Recipient = Pick<MemberDoc, '_id' | 'homeStoreId'>;


export class AutomationService {
  constructor(private readonly deps: Deps) {}

  async list(): Promise<Page<AutomationRule>> {
    return { items: await Promise.all(KINDS.map((kind) => this.get(kind))), nextCursor: null };
  }

  async get(kind: AutomationRuleKind): Promise<AutomationRule> {
    const [rule, recent] = await Promise.all([
      this.rule(kind),
      this.deps.occurrences.find({ rule: kind, status: 'done' }).sort({ createdAt: -1 }).limit(RECENT_SHOWN).lean<AutomationOccurrenceDoc[]>(),
    ]);
    return {
      id: kind,
      kind,
      name: AUTOMATION_RULES[kind].name,
      enabled: rule.enabled,
      templateId: rule.templateId ? String(rule.templateId) : null,
      message: rule.message,
      points: rule.points ?? 0,
      params: rule.params,
      sentCount: rule.sentCount,
      couponsIssued: rule.couponsIssued,
      messagesSent: rule.messagesSent,
      lastRunAt: rule.lastRunAt ? rule.lastRunAt.toISOString() : null,
      recent: recent.map((o) => ({ occurrence: o._id, memberId: String(o.memberId), couponIssued: o.couponIssued, notified: o.notified, at: o.createdAt.toISOString() })),
    };
  }

  async patch(actor: Actor, requestId: string, kind: AutomationRuleKind, patch: AutomationRulePatch): Promise<AutomationRule> {
    if (patch.templateId) {
      const template = Types.ObjectId.isValid(patch.templateId) ? await this.deps.templates.findById(patch.templateId, { status: 1 }).lean<CouponTemplateDoc>() : null;
      if (!template) throw errors.validation('No such coupon template.', { fields: [{ field: 'body.templateId', message: 'Unknown coupon template' }] });
    }
    if (patch.params) {
      const allowed = Object.keys(AUTOMATION_RULES[kind].params);
      const unknown = Object.keys(patch.params).find((key) => !allowed.includes(key));
      if (unknown) throw errors.validation(`Unknown parameter ${unknown}.`, { fields: [{ field: `body.params.${unknown}`, message: `Allowed: ${allowed.join(', ') || 'none'}` }] });
    }
    if (patch.points && kind === 'points_expiry') {
      throw errors.validation('The expiry reminder grants no points.', { fields: [{ field: 'body.points', message: 'Not for points_expiry' }] });
    }
    const before = await this.get(kind);
    const set: Record<string, unknown> = { updatedAt: this.deps.now() };
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    if (patch.templateId !== undefined) set.templateId = patch.templateId ? new Types.ObjectId(patch.templateId) : null;
    if (patch.message !== undefined) set.message = patch.message;
    if (patch.points !== undefined) set.points = patch.points;
    if (patch.params) for (const [key, value] of Object.entries(patch.params)) set[`params.${key}`] = value;
    await this.ensure(kind);
    await this.deps.rules.updateOne({ _id: kind }, { $set: set });
    const after = await this.get(kind);
    await this.deps.audit.record(actor, requestId, { action: 'automation_rule.update', targetType: 'automation_rule', targetId: kind, before, after });
    return after;
  }

  /** members.extensions.onJoined: the welcome gift right away (the scheduled run catches any that failed here). */
  async onJoined(member: MemberDoc): Promise<void> {
    const rule = await this.rule('welcome');
    // The welcome gift is once per person: a WeChat account that was a member before gets none on rejoining.
    if (!rule.enabled || member.rejoined) return;
    // The member has joined whatever happens here: a failed gift is retried by the scheduled run, not the join.
    await this.fire(rule, member, `welcome:${String(member._id)}`).catch(() => false);
  }

  /** The scheduled run of every enabled rule; answers the occurrences fired. */
  async runDue(): Promise<{ processed: number }> {
    let processed = 0;
    const now = this.deps.now();
    for (const kind of KINDS) {
      const rule = await this.rule(kind);
      if (!rule.enabled) continue;
      processed += await this.runRule(rule, now);
      await this.deps.rules.updateOne({ _id: kind }, { $set: { lastRunAt: now } });
    }
    return { processed };
  }

  private async runRule(rule: AutomationRuleDoc, now: Date): Promise<number> {
    const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const param = (name: string) => rule.params[name] ?? AUTOMATION_RULES[rule._id].params[name]!;
    switch (rule._id) {
      case 'welcome':
        return this.scan({ joinedAt: { $gte: daysAgo(param('withinDays')) }, rejoined: { $ne: true } }, rule, (m) => `welcome:${String(m._id)}`);
      case 'birthday': {
        const { year, month } = chinaCalendarDate(now);
        return this.scan({ birthdayMonth: month }, rule, (m) => `birthday:${year}:${String(m._id)}`);
      }
      case 'win_back': {
        // Each lapse is its own occurrence: a member who comes back and lapses again is won back again.
        const cutoff = daysAgo(param('days'));
        return this.scan({ joinedAt: { $lt: cutoff }, lastPurchaseAt: { $not: { $gte: cutoff } } }, rule, (m) =>
          `win_back:${m.lastPurchaseAt ? chinaIsoDate(m.lastPurchaseAt) : 'never'}:${String(m._id)}`,
        );
      }
      case 'tier_upgrade': {
        const { tiers } = await this.deps.settings.get();
        return this.scan({ tier: { $ne: tiers[0]!.code }, tierSince: { $gte: daysAgo(param('withinDays')) } }, rule, (m) =>
          `tier_upgrade:${m.tier}:${chinaIsoDate(m.tierSince ?? now)}:${String(m._id)}`,
        );
      }
      case 'points_expiry':
        return this.warnExpiringPoints(rule, now, param('daysBefore'));
    }
  }

  /** Walks the matching active members in `_id` batches (memory flat) and fires the rule for each. */
  private async scan(filter: Record<string, unknown>, rule: AutomationRuleDoc, occurrenceOf: (m: MemberDoc) => string): Promise<number> {
    let fired = 0;
    let after: Types.ObjectId | null = null;
    for (;;) {
      const batch: MemberDoc[] = await this.deps.members
        .find({ ...filter, status: 'active', ...(after ? { _id: { $gt: after } } : {}) }, { _id: 1, homeStoreId: 1, tier: 1, tierSince: 1, lastPurchaseAt: 1 })
        .sort({ _id: 1 })
        .limit(SCAN_BATCH)
        .lean<MemberDoc[]>();
      if (batch.length === 0) return fired;
      // Occurrences already done are skipped with one read per batch: the hourly run sees the same birthday and
      // win-back members all month, and each would otherwise cost a failed claim.
      const keys = batch.map(occurrenceOf);
      const done = new Set(
        (await this.deps.occurrences.find({ _id: { $in: keys }, status: 'done' }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((o) => o._id),
      );
      for (const [i, member] of batch.entries()) if (!done.has(keys[i]!) && (await this.fire(rule, member, keys[i]!))) fired++;
      after = batch[batch.length - 1]!._id;
    }
  }

  /** Points expiring within `daysBefore` days, as the points module's expiry-warning job recorded them. */
  private async warnExpiringPoints(rule: AutomationRuleDoc, now: Date, daysBefore: number): Promise<number> {
    let fired = 0;
    for (;;) {
      const due = await this.deps.expiryWarnings
        .find({ notifiedAt: null, expiresAt: { $gt: now, $lte: new Date(now.getTime() + daysBefore * DAY_MS) }, amount: { $gt: 0 } })
        .sort({ expiresAt: 1 })
        .limit(SCAN_BATCH)
        .lean<ExpiryWarning[]>();
      if (due.length === 0) return fired;
      // The batch's members in one read, not one per warning.
      const members = await this.deps.members
        .find({ _id: { $in: due.map((w) => w.memberId) }, status: 'active' }, { _id: 1, homeStoreId: 1 })
        .lean<Recipient[]>();
      const memberById = new Map(members.map((m) => [String(m._id), m]));
      for (const warning of due) {
        const member = memberById.get(String(warning.memberId));
        if (member && (await this.fire(rule, member, `points_expiry:${String(warning._id)}`, { amount: warning.amount, expiresAt: warning.expiresAt }))) fired++;
        await this.deps.expiryWarnings.updateOne({ _id: warning._id, notifiedAt: null }, { $set: { notifiedAt: now } });
      }
    }
  }

  /**
   * Fires once per occurrence: the occurrence is claimed, delivered, then marked done (the rule's counters
   * move only on that transition). A run that died in between is redelivered once its claim lapses, which the
   * coupon and message keys make harmless. Answers whether this call completed the occurrence.
   */
  private async fire(rule: AutomationRuleDoc, member: Recipient, occurrence: string, expiring?: { amount: number; expiresAt: Date }): Promise<boolean> {
    const { occurrences, rules, delivery, now } = this.deps;
    const at = now();
    try {
      // Claims the occurrence: inserted pending, or pending with a lapsed claim (a run that died). One done, or
      // claimed by a parallel run, makes the upsert collide with it.
      await occurrences.updateOne(
        { _id: occurrence, status: 'pending', claimedUntil: { $not: { $gt: at } } },
        {
          $set: { claimedUntil: new Date(at.getTime() + OCCURRENCE_CLAIM_MS) },
          $setOnInsert: { rule: rule._id, memberId: member._id, couponIssued: false, notified: false, createdAt: at, doneAt: null },
        },
        { upsert: true },
      );
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }

    const copy = rule.message;
    const purpose = rule._id === 'points_expiry' ? 'pointsExpiry' : 'couponArrival';
    const result = await delivery.deliver(member, {
      templateId: rule.templateId,
      channel: 'automation',
      channelRef: occurrence,
      message: copy
        ? {
            key: `automation:${occurrence}`,
            purpose,
            marketing: AUTOMATION_RULES[rule._id].marketing,
            fields: (coupon) => (expiring ? { points: expiring.amount, expiresAt: expiring.expiresAt, note: copy } : couponArrivalFields(coupon, copy)),
          }
        : null,
    });
    const pointsGranted = (rule.points ?? 0) > 0 && (await this.grantPoints(rule, member, occurrence));
    const done = await occurrences.updateOne(
      { _id: occurrence, status: 'pending' },
      { $set: { status: 'done', couponIssued: result.issued, notified: result.notified, doneAt: now() } },
    );
    if (done.modifiedCount !== 1) return false;
    const fired = result.issued || result.notified || pointsGranted;
    await rules.updateOne(
      { _id: rule._id },
      { $inc: { sentCount: fired ? 1 : 0, couponsIssued: result.issued ? 1 : 0, messagesSent: result.notified ? 1 : 0 } },
    );
    return fired;
  }

  /**
   * The rule's points for this occurrence, booked by the ledger in its own transaction under the occurrence's
   * key: a redelivery after a crash, or the join and the scheduled run firing together, finds it booked.
   * False when the member is no longer active.
   */
  private async grantPoints(rule: AutomationRuleDoc, member: Recipient, occurrence: string): Promise<boolean> {
    const booked = await this.deps.ledger.earnWith(
      { memberId: member._id, amount: rule.points!, reason: AUTOMATION_RULES[rule._id].name, source: 'bonus', idempotencyKey: `automation:${occurrence}` },
      {},
    );
    return booked !== null;
  }

  private async rule(kind: AutomationRuleKind): Promise<AutomationRuleDoc> {
    const found = await this.deps.rules.findById(kind).lean<AutomationRuleDoc>();
    return found ?? this.defaults(kind);
  }

  private async ensure(kind: AutomationRuleKind): Promise<void> {
    const { _id, ...fields } = this.defaults(kind);
    await this.deps.rules.updateOne({ _id }, { $setOnInsert: fields }, { upsert: true });
  }

  private defaults(kind: AutomationRuleKind): AutomationRuleDoc {
    const definition = AUTOMATION_RULES[kind];
    return {
      _id: kind,
      enabled: false,
      templateId: null,
      message: definition.message,
      points: 0,
      params: { ...definition.params },
      sentCount: 0,
      couponsIssued: 0,
      messagesSent: 0,
      lastRunAt: null,
      updatedAt: new Date(0),
    };
  }
}
