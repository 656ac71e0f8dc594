import { randomUUID } from 'node:crypto';
import {
  DAY_MS,
  ErrorCode,
  type CampaignResults,
  OfferRunSettingsSchema,
  type MemberOfferReasons,
  type OfferAssignment,
  type OfferPoolBody,
  type OfferPoolEntry,
  type OfferRun,
  type OfferRunLaunchBody,
  type OfferRunResults,
  type OfferSchedule,
  type OfferRunSettings,
} from '@membercard/shared';
import { Types } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';
import type { categoryModel } from '../categories/model';
import type { campaignModel } from '../campaigns/model';
import type { CouponTemplateDoc, couponTemplateModel, redemptionModel } from '../coupons/model';
import type { memberModel } from '../members/model';
import { memberInScope } from '../points/service';
import type { purchaseModel } from '../purchases/model';
import type { settingsModel } from '../settings/service';
import type { OfferAssignmentDoc, offerAssignmentModel, OfferPoolDoc, offerPoolModel, OfferRunDoc, offerRunModel } from './model';
import { offerRunResults } from './results';
import type { OfferRunner } from './runner';

// HQ's personalised offers: the pool, the runs (launched by HQ or on the schedule), their results, and each
// member's reasons. The run itself is runner.ts's.

interface Deps {
  pool: ReturnType<typeof offerPoolModel>;
  runs: ReturnType<typeof offerRunModel>;
  assignments: ReturnType<typeof offerAssignmentModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  members: ReturnType<typeof memberModel>;
  categories: ReturnType<typeof categoryModel>;
  purchases: ReturnType<typeof purchaseModel>;
  redemptions: ReturnType<typeof redemptionModel>;
  campaigns: ReturnType<typeof campaignModel>;
  campaignResults: (campaignId: string) => Promise<CampaignResults>;
  settings: ReturnType<typeof settingsModel>;
  runner: OfferRunner;
  audit: AuditService;
  now: () => Date;
}

const SCHEDULE_ID = 'offer-schedule';
const DEFAULT_SCHEDULE: OfferSchedule = { enabled: false, everyWeeks: 8 };
/** Categories kept as the brand's best sellers (cold-start offers come from these, best first). */
const BEST_SELLERS = 10;

export class OffersService {
  constructor(private readonly deps: Deps) {}

  get runner(): OfferRunner {
    return this.deps.runner;
  }

  // ---- pool ----

  async listPool(): Promise<{ items: OfferPoolEntry[] }> {
    const entries = await this.deps.pool.find().sort({ kind: 1, createdAt: 1 }).lean<OfferPoolDoc[]>();
    const templates = new Map(
      (await this.deps.templates.find({ _id: { $in: entries.map((e) => e._id) } }).lean<CouponTemplateDoc[]>()).map((t) => [String(t._id), t]),
    );
    return { items: entries.map((entry) => poolWire(entry, templates.get(String(entry._id)) ?? null)) };
  }

  /** Puts a template in the pool, or changes its entry. */
  async putPool(actor: Actor, requestId: string, body: OfferPoolBody): Promise<OfferPoolEntry> {
    const { pool, templates, categories, now } = this.deps;
    const template = Types.ObjectId.isValid(body.templateId) ? await templates.findById(body.templateId).lean<CouponTemplateDoc>() : null;
    if (!template) throw errors.notFound('No such coupon template.');
    if (body.kind === 'threshold' && !(template.type === 'cash' && (template.minSpendFen ?? 0) > 0)) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'A threshold offer is a 满减 template: cash with a minimum spend.', { fields: [{ field: 'body.kind', message: 'the template has no minimum spend' }] });
    }
    if (body.categories.length > 0) {
      const known = await categories.countDocuments({ _id: { $in: body.categories }, status: 'active' });
      if (known !== new Set(body.categories).size) {
        throw new AppError(ErrorCode.CATEGORY_UNKNOWN, 'Every category must be an active product category.', { fields: [{ field: 'body.categories', message: 'not an active category code' }] });
      }
    }
    const at = now();
    const fields = { kind: body.kind, categories: [...new Set(body.categories)], basketFromFen: body.basketFromFen, basketToFen: body.basketToFen, active: body.active, updatedAt: at };
    const before = await pool
      .findOneAndUpdate({ _id: template._id }, { $set: fields, $setOnInsert: { createdAt: at } }, { upsert: true, returnDocument: 'before' })
      .lean<OfferPoolDoc>();
    await this.deps.audit.record(actor, requestId, { action: 'offer_pool.put', targetType: 'coupon_template', targetId: String(template._id), before, after: fields });
    return poolWire({ _id: template._id, ...fields, createdAt: before?.createdAt ?? at }, template);
  }

  async removePool(actor: Actor, requestId: string, templateId: string): Promise<void> {
    const removed = await this.deps.pool.findOneAndDelete({ _id: new Types.ObjectId(templateId) }).lean<OfferPoolDoc>();
    if (!removed) throw errors.notFound('The template is not in the offer pool.');
    await this.deps.audit.record(actor, requestId, { action: 'offer_pool.remove', targetType: 'coupon_template', targetId: templateId, before: removed });
  }

  // ---- runs ----

  /** Starts a run (HQ, or the schedule with its period key); one runs at a time (409 CONFLICT otherwise). */
  async launch(actor: Actor | null, requestId: string, body: OfferRunLaunchBody, scheduleKey?: string): Promise<OfferRun> {
    const { runs, now } = this.deps;
    if (await runs.exists({ status: 'running' })) throw new AppError(ErrorCode.CONFLICT, 'A personalised run is already running: wait for it to finish.');
    const settings: OfferRunSettings = OfferRunSettingsSchema.parse(body.settings ?? {});
    if ((await this.deps.pool.countDocuments({ active: true })) === 0) throw new AppError(ErrorCode.CONFLICT, 'The offer pool has no active offer: add templates to the pool first.');
    const at = now();
    const doc: OfferRunDoc = {
      _id: new Types.ObjectId(), trigger: scheduleKey ? 'schedule' : 'hq', ...(scheduleKey && { scheduleKey }), status: 'running', settings, seed: randomUUID(),
      bestSellers: await this.bestSellers(), cursor: null, leaseOwner: null, leaseUntil: null,
      progress: { members: 0, treated: 0, holdout: 0, coldStart: 0, issued: 0, refused: 0 },
      launchedBy: actor && actor.type === 'admin' ? actor.staffId : null, startedAt: at, finishedAt: null, error: null,
    };
    try {
      await runs.create(doc);
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError(ErrorCode.CONFLICT, 'This period’s scheduled run has already started.');
      throw err;
    }
    if (actor) await this.deps.audit.record(actor, requestId, { action: 'offer_run.launch', targetType: 'offer_run', targetId: String(doc._id), after: { settings } });
    this.deps.runner.kick();
    return runWire(doc);
  }

  /**
   * The brand's best-selling categories now: 12-month spend summed over active members' category summaries.
   * (Read once per run, when it starts.)
   */
  private async bestSellers(): Promise<string[]> {
    const rows = await this.deps.members.aggregate<{ _id: string; spend: number }>([
      { $match: { status: 'active', 'categoryStats.0': { $exists: true } } },
      { $project: { _id: 0, categoryStats: 1 } },
      { $unwind: '$categoryStats' },
      { $group: { _id: '$categoryStats.category', spend: { $sum: '$categoryStats.spend12mFen' } } },
      { $sort: { spend: -1, _id: 1 } },
      { $limit: BEST_SELLERS },
    ]);
    return rows.filter((r) => r.spend > 0).map((r) => r._id);
  }

  async listRuns(): Promise<{ items: OfferRun[] }> {
    const docs = await this.deps.runs.find().sort({ startedAt: -1 }).limit(50).lean<OfferRunDoc[]>();
    return { items: docs.map(runWire) };
  }

  async getRun(runId: string): Promise<OfferRun> {
    return runWire(await this.runDoc(runId));
  }

  async results(runId: string): Promise<OfferRunResults> {
    const run = await this.runDoc(runId);
    const { assignments, purchases, redemptions, templates, campaigns, campaignResults, categories, now } = this.deps;
    return offerRunResults({ assignments, purchases, redemptions, templates, campaigns, campaignResults, categories }, run, now());
  }

  private async runDoc(runId: string): Promise<OfferRunDoc> {
    const run = Types.ObjectId.isValid(runId) ? await this.deps.runs.findById(runId).lean<OfferRunDoc>() : null;
    if (!run) throw errors.notFound('No such offer run.');
    return run;
  }

  // ---- schedule ----

  async schedule(): Promise<OfferSchedule> {
    const doc = await this.deps.settings.db.collection<{ _id: string } & OfferSchedule>('offer_settings').findOne({ _id: SCHEDULE_ID });
    return doc ? { enabled: doc.enabled, everyWeeks: doc.everyWeeks } : DEFAULT_SCHEDULE;
  }

  async setSchedule(actor: Actor, requestId: string, body: OfferSchedule): Promise<OfferSchedule> {
    const before = await this.schedule();
    await this.deps.settings.db.collection<{ _id: string } & OfferSchedule>('offer_settings').updateOne({ _id: SCHEDULE_ID }, { $set: body }, { upsert: true });
    await this.deps.audit.record(actor, requestId, { action: 'offer_schedule.update', targetType: 'settings', targetId: SCHEDULE_ID, before, after: body });
    return body;
  }

  /**
   * The offer-runs job: when the schedule is on and `everyWeeks` have passed since the last run started, a run
   * starts, keyed by the period (so two instances start one); then running runs with a free lease are worked.
   */
  async runDue(): Promise<{ processed: number }> {
    const schedule = await this.schedule();
    if (schedule.enabled) {
      const last = await this.deps.runs.findOne({}, { startedAt: 1 }).sort({ startedAt: -1 }).lean<Pick<OfferRunDoc, 'startedAt'>>();
      const at = this.deps.now();
      const periodMs = schedule.everyWeeks * 7 * DAY_MS;
      if (!last || at.getTime() - last.startedAt.getTime() >= periodMs) {
        const key = `schedule:${schedule.everyWeeks}:${Math.floor(at.getTime() / periodMs)}`;
        await this.launch(null, 'schedule', {}, key).catch((err: unknown) => {
          if (!(err instanceof AppError && err.code === ErrorCode.CONFLICT)) throw err;
        });
      }
    }
    return this.deps.runner.runDue();
  }

  // ---- members ----

  /** HQ (or a manager, for their store's members): the member's selections in the latest runs, with reasons. */
  async forMember(actor: Actor, memberId: string): Promise<{ items: Array<OfferAssignment & { runId: string; createdAt: string }> }> {
    const member = await memberInScope(this.deps.members, actor, memberId, ['active', 'erased']);
    const docs = await this.deps.assignments.find({ memberId: member._id }).sort({ createdAt: -1 }).limit(5).lean<OfferAssignmentDoc[]>();
    return { items: docs.map((doc) => ({ ...assignmentWire(doc), runId: String(doc.runId), createdAt: doc.createdAt.toISOString() })) };
  }

  /** The wallet: why each of the member's personalised coupons was chosen (their last runs' issued picks). */
  async reasonsFor(memberId: string): Promise<MemberOfferReasons> {
    const docs = await this.deps.assignments
      .find({ memberId: new Types.ObjectId(memberId), holdout: false, issued: true }, { picks: 1 })
      .sort({ createdAt: -1 })
      .limit(6)
      .lean<Array<Pick<OfferAssignmentDoc, 'picks'>>>();
    const items: MemberOfferReasons['items'] = [];
    for (const doc of docs) {
      for (const pick of doc.picks) if (pick.couponId) items.push({ couponId: String(pick.couponId), reason: { zh: pick.reasonZh, en: pick.reasonEn } });
    }
    return { items };
  }
}

function poolWire(entry: OfferPoolDoc, template: CouponTemplateDoc | null): OfferPoolEntry {
  return {
    templateId: String(entry._id), kind: entry.kind, categories: entry.categories, basketFromFen: entry.basketFromFen, basketToFen: entry.basketToFen, active: entry.active,
    template: template && {
      title: template.title, type: template.type, minSpendFen: template.minSpendFen ?? null, amountOffFen: template.amountOffFen ?? null, percentOff: template.percentOff ?? null,
      status: template.status, remaining: template.remaining,
    },
    updatedAt: entry.updatedAt.toISOString(),
  };
}

function runWire(doc: OfferRunDoc): OfferRun {
  return {
    id: String(doc._id), trigger: doc.trigger, status: doc.status, settings: doc.settings, progress: doc.progress, bestSellers: doc.bestSellers,
    startedAt: doc.startedAt.toISOString(), finishedAt: doc.finishedAt ? doc.finishedAt.toISOString() : null, error: doc.error,
  };
}

function assignmentWire(doc: OfferAssignmentDoc): OfferAssignment {
  return {
    memberId: String(doc.memberId), holdout: doc.holdout, coldStart: doc.coldStart, typicalBasketFen: doc.typicalBasketFen,
    picks: doc.picks.map((p) => ({ templateId: String(p.templateId), title: p.title, kind: p.kind, category: p.category, reason: { zh: p.reasonZh, en: p.reasonEn }, couponId: p.couponId ? String(p.couponId) : null })),
  };
}
