import { randomBytes } from 'node:crypto';
import {
  compileSegment,
  couponValidity,
  ErrorCode,
  type Campaign,
  type CampaignBreakdownRow,
  type CampaignCreateBody,
  type CampaignResults,
  type CampaignPreviewAnswer,
  type Page,
  type SavedSegment,
  type SavedSegmentBody,
  type Segment,
} from '@membercard/shared';
import { Types } from 'mongoose';
import { AppError, errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';
import type { CouponTemplateDoc, couponTemplateModel } from '../coupons/model';
import { pageBy } from '../../lib/cursor';
import type { MemberDoc, memberModel } from '../members/model';
import type { MembersService } from '../members/service';
import type { CampaignDoc, SavedSegmentDoc, campaignModel, savedSegmentModel } from './model';
import type { CampaignPusher } from './pusher';
import { campaignResults } from './results';
import { storeOfKey, type CampaignRollups, type CampaignRollupDoc } from './rollups';

// HQ campaigns: audiences (segments compiled to one member filter), drafts, launch / pause / resume, and
// the figures each push brought back. The push itself is CampaignPusher's. A campaign may be scheduled: the
// campaign-launch job (jobs/registry.ts) launches it when its time comes, through the same conditional update as a
// launch by hand, so however many instances run the job, it launches once.

const PREVIEW_SAMPLE_SIZE = 10;

interface Deps {
  campaigns: ReturnType<typeof campaignModel>;
  segments: ReturnType<typeof savedSegmentModel>;
  members: ReturnType<typeof memberModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  /** Each campaign's outcome (audience, purchases in the window, redemptions) by home store, tier and group. */
  rollups: CampaignRollups;
  memberViews: MembersService;
  pusher: CampaignPusher;
  audit: AuditService;
  now: () => Date;
}

export class CampaignService {
  constructor(private readonly deps: Deps) {}

  get pusher(): CampaignPusher {
    return this.deps.pusher;
  }

  // ---- audiences ----

  async preview(segment: Segment): Promise<CampaignPreviewAnswer> {
    const filter = compileSegment(segment, this.deps.now());
    const [count, sample] = await Promise.all([
      this.deps.members.countDocuments(filter),
      this.deps.members.find(filter).sort({ _id: -1 }).limit(PREVIEW_SAMPLE_SIZE).lean<MemberDoc[]>(),
    ]);
    return { count, sample: await Promise.all(sample.map((member) => this.deps.memberViews.view(member))) };
  }

  async listSegments(limit: number, cursor?: string): Promise<Page<SavedSegment>> {
    return pageBy(this.deps.segments, {}, 'createdAt', limit, cursor, segmentView);
  }

  async saveSegment(actor: Actor, requestId: string, body: SavedSegmentBody): Promise<SavedSegment> {
    const [created] = await this.deps.segments.create([{ name: body.name, segment: body.segment, createdAt: this.deps.now() }]);
    const answer = segmentView(created!.toObject() as SavedSegmentDoc);
    await this.deps.audit.record(actor, requestId, { action: 'segment.create', targetType: 'segment', targetId: answer.id, after: answer });
    return answer;
  }

  async deleteSegment(actor: Actor, requestId: string, id: string): Promise<void> {
    const deleted = await this.deps.segments.findOneAndDelete({ _id: id }).lean<SavedSegmentDoc>();
    if (!deleted) throw errors.notFound('No such segment.');
    await this.deps.audit.record(actor, requestId, { action: 'segment.delete', targetType: 'segment', targetId: id, before: segmentView(deleted) });
  }

  // ---- campaigns ----

  async create(actor: Actor, requestId: string, body: CampaignCreateBody): Promise<Campaign> {
    await this.assertTemplateUsable(body.templateId);
    const at = this.deps.now();
    const launchAt = body.launchAt === undefined ? null : this.futureLaunchTime(body.launchAt, 'body.launchAt');
    // A saved segment is copied into the campaign: deleting it later changes nothing here; its id and name stay as the source.
    let segment = body.segment;
    let source: CampaignDoc['source'] = null;
    if (body.savedSegmentId !== undefined) {
      const saved = Types.ObjectId.isValid(body.savedSegmentId) ? await this.deps.segments.findById(body.savedSegmentId).lean<SavedSegmentDoc>() : null;
      if (!saved) throw errors.validation('No such saved segment.', { fields: [{ field: 'body.savedSegmentId', message: 'Unknown saved segment' }] });
      segment = saved.segment;
      source = { savedSegmentId: saved._id, name: saved.name };
    }
    const [created] = await this.deps.campaigns.create([
      {
        name: body.name,
        templateId: new Types.ObjectId(body.templateId),
        segment: segment!,
        message: body.message ?? null,
        status: launchAt ? 'scheduled' : 'draft',
        progress: { targeted: 0, holdout: 0, issued: 0, notified: 0, failed: 0 },
        holdoutShare: body.holdoutShare ?? 0,
        holdoutSeed: randomBytes(16).toString('hex'),
        source,
        launchAt,
        scheduledBy: launchAt ? scheduler(actor) : null,
        issuedBy: { tier: {}, homeStore: {} },
        createdAt: at,
      },
    ]);
    const answer = await this.view(created!.toObject() as CampaignDoc);
    await this.deps.audit.record(actor, requestId, { action: 'campaign.create', targetType: 'campaign', targetId: answer.id, after: answer });
    return answer;
  }

  async list(limit: number, cursor?: string): Promise<Page<Campaign>> {
    const page = await pageBy(this.deps.campaigns, {}, 'createdAt', limit, cursor, (doc: CampaignDoc) => doc);
    // The page's figures from its campaigns' rollups in one read, not one per campaign.
    const stats = await this.redemptionStats(page.items.filter((doc) => doc.status !== 'draft' && doc.status !== 'scheduled').map((doc) => String(doc._id)));
    return { items: await Promise.all(page.items.map((doc) => this.view(doc, stats))), nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<Campaign> {
    return this.view(await this.load(id));
  }

  /** draft or scheduled → running now, once: the conditional update lets exactly one of any number of launches through. */
  async launch(actor: Actor, requestId: string, id: string): Promise<Campaign> {
    const current = await this.load(id);
    if (current.status !== 'draft' && current.status !== 'scheduled') throw alreadyLaunched();
    const launched = await this.start(current, actor, requestId);
    if (!launched) throw alreadyLaunched();
    return this.view(launched);
  }

  /** Sets or moves the launch time of a draft or scheduled campaign; 409 once it has started. */
  async schedule(actor: Actor, requestId: string, id: string, launchAtText: string): Promise<Campaign> {
    const current = await this.load(id);
    const launchAt = this.futureLaunchTime(launchAtText, 'body.launchAt');
    const updated = await this.deps.campaigns
      .findOneAndUpdate(
        { _id: current._id, status: { $in: ['draft', 'scheduled'] } },
        { $set: { status: 'scheduled', launchAt, scheduledBy: scheduler(actor) } },
        { returnDocument: 'after' },
      )
      .lean<CampaignDoc>();
    if (!updated) throw alreadyLaunched();
    await this.deps.audit.record(actor, requestId, {
      action: 'campaign.schedule', targetType: 'campaign', targetId: id,
      before: { status: current.status, launchAt: current.launchAt?.toISOString() ?? null }, after: { status: 'scheduled', launchAt: launchAt.toISOString() },
    });
    return this.view(updated);
  }

  /** Cancels a scheduled launch: back to a draft. 409 once it has started (the job got there first). */
  async unschedule(actor: Actor, requestId: string, id: string): Promise<Campaign> {
    const current = await this.load(id);
    if (current.status === 'draft') return this.view(current);
    const updated = await this.deps.campaigns
      .findOneAndUpdate({ _id: current._id, status: 'scheduled' }, { $set: { status: 'draft', launchAt: null, scheduledBy: null } }, { returnDocument: 'after' })
      .lean<CampaignDoc>();
    if (!updated) throw alreadyLaunched();
    await this.deps.audit.record(actor, requestId, {
      action: 'campaign.unschedule', targetType: 'campaign', targetId: id,
      before: { status: 'scheduled', launchAt: current.launchAt?.toISOString() ?? null }, after: { status: 'draft' },
    });
    return this.view(updated);
  }

  /** The campaign-launch job: launches every scheduled campaign whose time has come, each once across instances. */
  async launchDue(): Promise<{ processed: number }> {
    const due = await this.deps.campaigns
      .find({ status: 'scheduled', launchAt: { $lte: this.deps.now() } })
      .sort({ launchAt: 1 })
      .limit(LAUNCHES_PER_RUN)
      .lean<CampaignDoc[]>();
    let processed = 0;
    for (const campaign of due) {
      // Audited in the name of whoever scheduled it; the request id says it was the scheduler.
      const by = campaign.scheduledBy;
      const actor: Actor = { type: 'admin', staffId: by?.staffId ?? 'scheduler', role: 'hq', hqRole: by?.hqRole ?? 'marketing', sessionId: 'scheduler' };
      try {
        const launched = await this.start(campaign, actor, `scheduled-launch:${String(campaign._id)}`);
        if (launched) processed += 1;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        // The template can no longer issue (archived, run out, expired): the campaign fails with the reason, once.
        await this.deps.campaigns.updateOne(
          { _id: campaign._id, status: 'scheduled', launchAt: campaign.launchAt },
          { $set: { status: 'failed', failureReason: err.code, completedAt: this.deps.now(), launchAt: null } },
        );
      }
    }
    return { processed };
  }

  /**
   * Starts the push: fixes the audience (its size, the highest id it may reach) and the results window, then moves
   * the campaign to running only if it is still in the state it was read in (same status and launch time), so a
   * cancel, a reschedule or another launch in between wins and this one answers null.
   */
  private async start(current: CampaignDoc, actor: Actor, requestId: string): Promise<CampaignDoc | null> {
    const template = await this.assertTemplateUsable(String(current.templateId));
    const at = this.deps.now();
    const audience = compileSegment(current.segment, at);
    // The audience is fixed now: its size, and the highest id a push may reach (members joining later are not in it).
    const [targeted, last] = await Promise.all([
      this.deps.members.countDocuments(audience),
      this.deps.members.findOne(audience, { _id: 1 }).sort({ _id: -1 }).lean<Pick<MemberDoc, '_id'>>(),
    ]);
    // Results are compared up to the coupon's expiry (as issued now).
    const windowEndsAt = couponValidity(
      { validFrom: template.validFrom ?? undefined, validUntil: template.validUntil ?? undefined, validDays: template.validDays ?? undefined },
      at,
    ).validUntil;
    const launched = await this.deps.campaigns
      .findOneAndUpdate(
        { _id: current._id, status: current.status, launchAt: current.launchAt ?? null },
        { $set: { status: 'running', launchedAt: at, launchAt: null, windowEndsAt, lastTargetId: last?._id ?? null, 'progress.targeted': targeted } },
        { returnDocument: 'after' },
      )
      .lean<CampaignDoc>();
    if (!launched) return null;
    await this.deps.audit.record(actor, requestId, {
      action: 'campaign.launch', targetType: 'campaign', targetId: String(current._id),
      before: { status: current.status, ...(current.launchAt ? { launchAt: current.launchAt.toISOString() } : {}) },
      after: { status: 'running', audience: targeted, holdoutShare: current.holdoutShare ?? 0 },
    });
    this.deps.pusher.kick();
    return launched;
  }

  /** A launch time must lie ahead (a minute's slack for the clock of the person's machine would hide mistakes). */
  private futureLaunchTime(text: string, field: string): Date {
    const launchAt = new Date(text);
    if (!(launchAt.getTime() > this.deps.now().getTime())) throw errors.validation('The launch time must be in the future.', { fields: [{ field, message: 'Must be in the future' }] });
    return launchAt;
  }

  async results(id: string): Promise<CampaignResults> {
    const campaign = await this.load(id);
    const rollups = campaign.launchedAt ? (await this.deps.rollups.current([id])).get(id)! : [];
    return campaignResults(campaign, rollups, this.deps.now());
  }

  async pause(actor: Actor, requestId: string, id: string): Promise<Campaign> {
    return this.transition(actor, requestId, id, 'running', 'paused');
  }

  async resume(actor: Actor, requestId: string, id: string): Promise<Campaign> {
    const resumed = await this.transition(actor, requestId, id, 'paused', 'running');
    this.deps.pusher.kick();
    return resumed;
  }

  private async transition(actor: Actor, requestId: string, id: string, from: 'running' | 'paused', to: 'running' | 'paused'): Promise<Campaign> {
    const current = await this.load(id);
    const updated = await this.deps.campaigns.findOneAndUpdate({ _id: current._id, status: from }, { $set: { status: to } }, { returnDocument: 'after' }).lean<CampaignDoc>();
    if (!updated) throw new AppError(ErrorCode.CONFLICT, `Only a ${from} campaign can be ${to === 'paused' ? 'paused' : 'resumed'}; this one is ${current.status}.`);
    await this.deps.audit.record(actor, requestId, { action: `campaign.${to === 'paused' ? 'pause' : 'resume'}`, targetType: 'campaign', targetId: id, before: { status: from }, after: { status: to } });
    return this.view(updated);
  }

  private async load(id: string): Promise<CampaignDoc> {
    const found = Types.ObjectId.isValid(id) ? await this.deps.campaigns.findById(id).lean<CampaignDoc>() : null;
    if (!found) throw errors.notFound('No such campaign.');
    return found;
  }

  /** A campaign needs a template that can still issue: archived or exhausted → 422. Answers the template. */
  private async assertTemplateUsable(templateId: string): Promise<CouponTemplateDoc> {
    const template = Types.ObjectId.isValid(templateId)
      ? await this.deps.templates.findById(templateId, { status: 1, remaining: 1, validFrom: 1, validUntil: 1, validDays: 1 }).lean<CouponTemplateDoc>()
      : null;
    if (!template) throw errors.validation('No such coupon template.', { fields: [{ field: 'body.templateId', message: 'Unknown coupon template' }] });
    if (template.status === 'archived') throw new AppError(ErrorCode.TEMPLATE_ARCHIVED, 'This coupon template is archived.');
    if (template.remaining <= 0) throw new AppError(ErrorCode.TEMPLATE_EXHAUSTED, 'Every coupon of this template has been issued.');
    return template;
  }

  // ---- figures ----

  /**
   * Redemptions of these campaigns' coupons, by redeeming store and by the redeemer's tier at push time, per
   * campaign, from their outcome rollups.
   */
  async redemptionStats(campaignIds: string[]): Promise<Map<string, RedemptionStats>> {
    const stats = new Map<string, RedemptionStats>(campaignIds.map((id) => [id, { byStore: [], byTier: [] }]));
    const rollups = await this.deps.rollups.current(campaignIds);
    for (const [id, docs] of rollups) stats.set(id, redemptionStatsOf(docs));
    return stats;
  }

  /** The campaign as answered; a list passes its page's figures (see list), everything else reads its own. */
  async view(doc: CampaignDoc, stats?: Map<string, RedemptionStats>): Promise<Campaign> {
    const id = String(doc._id);
    const { byStore, byTier } = doc.status === 'draft' || doc.status === 'scheduled' ? { byStore: [], byTier: [] } : (stats ?? (await this.redemptionStats([id]))).get(id)!;
    const redeemed = byStore.reduce((sum, row) => sum + row.redeemed, 0);
    const orderAmountFen = byStore.reduce((sum, row) => sum + row.orderAmountFen, 0);
    const issued = doc.progress.issued;
    return {
      id: String(doc._id),
      name: doc.name,
      templateId: String(doc.templateId),
      segment: doc.segment,
      ...(doc.message ? { message: doc.message } : {}),
      status: doc.status,
      progress: { ...doc.progress, holdout: doc.progress.holdout ?? 0 },
      holdoutShare: doc.holdoutShare ?? 0,
      ...(doc.source ? { source: { savedSegmentId: String(doc.source.savedSegmentId), name: doc.source.name } } : {}),
      ...(doc.launchAt ? { launchAt: doc.launchAt.toISOString() } : {}),
      stats: {
        redeemed,
        redemptionRate: issued > 0 ? Math.min(1, redeemed / issued) : 0,
        orderAmountFen,
        byStore: breakdown(doc.issuedBy?.homeStore ?? {}, byStore),
        byTier: breakdown(doc.issuedBy?.tier ?? {}, byTier),
      },
      ...(doc.failureReason ? { failureReason: doc.failureReason } : {}),
      createdAt: doc.createdAt.toISOString(),
      ...(doc.launchedAt ? { launchedAt: doc.launchedAt.toISOString() } : {}),
      ...(doc.completedAt ? { completedAt: doc.completedAt.toISOString() } : {}),
    };
  }
}

/** Redemptions by redeeming store and by tier (a redeemer the push has no record of: 'unknown'). */
function redemptionStatsOf(docs: CampaignRollupDoc[]): RedemptionStats {
  const byStore = new Map<string, { redeemed: number; orderAmountFen: number }>();
  const byTier = new Map<string | null, { redeemed: number; orderAmountFen: number }>();
  const add = <K>(map: Map<K, { redeemed: number; orderAmountFen: number }>, key: K, redeemed: number, orderAmountFen: number) => {
    const row = map.get(key) ?? map.set(key, { redeemed: 0, orderAmountFen: 0 }).get(key)!;
    row.redeemed += redeemed;
    row.orderAmountFen += orderAmountFen;
  };
  for (const doc of docs) {
    if (doc.redeemed > 0) add(byTier, doc.tier, doc.redeemed, doc.orderAmountFen);
    for (const [key, count] of Object.entries(doc.redeemedAt ?? {})) if (count > 0) add(byStore, storeOfKey(key), count, doc.redeemedAmountAt?.[key] ?? 0);
  }
  const rows = <K extends string | null>(map: Map<K, { redeemed: number; orderAmountFen: number }>) => [...map].map(([key, row]) => ({ _id: key, ...row }));
  return { byStore: rows(byStore), byTier: rows(byTier) };
}

interface RedemptionStats {
  byStore: Array<{ _id: string | null; redeemed: number; orderAmountFen: number }>;
  byTier: Array<{ _id: string | null; redeemed: number; orderAmountFen: number }>;
}

function breakdown(issued: Record<string, number>, redeemed: Array<{ _id: string | null; redeemed: number; orderAmountFen: number }>): CampaignBreakdownRow[] {
  const rows = new Map<string, CampaignBreakdownRow>();
  const row = (key: string) => rows.get(key) ?? rows.set(key, { key, issued: 0, redeemed: 0, orderAmountFen: 0 }).get(key)!;
  for (const [key, count] of Object.entries(issued)) row(key).issued += count;
  for (const r of redeemed) {
    const target = row(r._id ?? 'unknown');
    target.redeemed += r.redeemed;
    target.orderAmountFen += r.orderAmountFen;
  }
  return [...rows.values()].sort((a, b) => b.issued - a.issued || a.key.localeCompare(b.key));
}

/** Scheduled launches one run takes on; the rest wait for the next minute's run. */
const LAUNCHES_PER_RUN = 20;

function scheduler(actor: Actor): CampaignDoc['scheduledBy'] {
  return actor.type === 'admin' ? { staffId: actor.staffId, hqRole: actor.hqRole } : null;
}

function alreadyLaunched(): AppError {
  return new AppError(ErrorCode.CAMPAIGN_ALREADY_LAUNCHED, 'This campaign has already been launched.');
}

function segmentView(doc: SavedSegmentDoc): SavedSegment {
  return { id: String(doc._id), name: doc.name, segment: doc.segment, createdAt: doc.createdAt.toISOString() };
}
