import { randomUUID } from 'node:crypto';
import { DAY_MS, isHeldOut, reasonText, selectOffers, type OfferReason, type PoolOffer, type ScoringSettings } from '@membercard/shared';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../lib/errors';
import { SerialRunner } from '../../lib/serialRunner';
import type { categoryModel, CategoryDoc } from '../categories/model';
import type { CouponIssuer } from '../coupons/issuer';
import type { couponModel, couponTemplateModel, CouponTemplateDoc, redemptionModel } from '../coupons/model';
import type { memberModel } from '../members/model';
import type { purchaseModel } from '../purchases/model';
import type { OfferAssignmentDoc, offerAssignmentModel, OfferPickDoc, offerPoolModel, OfferPoolDoc, OfferRunDoc, offerRunModel, OfferRunProgress } from './model';

// The selection run's worker. A run walks active members in _id order, a chunk at a time:
//  1. plan: each member of the chunk without a plan in this run gets one (shared selectOffers over their category
//     summary, 12-month baskets, held and recently redeemed coupons; the holdout by the run's seed), inserted
//     unordered under the (runId, memberId) unique index; the stored plans are read back and are what is issued;
//  2. issue: the treated members' picks, grouped by template, through CouponIssuer.issueBatch under the key
//     (template, 'offer', runId, member), with the chunk's start as batch key: quantity and per-member limits are
//     the issuer's, and a re-run of the chunk answers the coupons already issued instead of issuing again;
//  3. record: the picks get their coupon ids, then the run's cursor moves past the chunk together with the chunk's
//     counts, conditional on the lease and on the cursor the chunk started from.
// A run that dies anywhere in a chunk leaves the cursor where the chunk began; whoever takes the lease next (this
// process's retry, or the offer-runs job on any instance) redoes the chunk to the same result.

/** Members per chunk (one plan insert, one issue batch per template, one cursor move). */
export const OFFER_CHUNK = 500;
/** A worker holds a run this long without moving its cursor; then another may take it over. */
export const OFFER_LEASE_MS = 2 * 60_000;

interface Deps {
  runs: ReturnType<typeof offerRunModel>;
  assignments: ReturnType<typeof offerAssignmentModel>;
  pool: ReturnType<typeof offerPoolModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  members: ReturnType<typeof memberModel>;
  purchases: ReturnType<typeof purchaseModel>;
  coupons: ReturnType<typeof couponModel>;
  redemptions: ReturnType<typeof redemptionModel>;
  categories: ReturnType<typeof categoryModel>;
  issuer: CouponIssuer;
  now: () => Date;
}

/** Test-only: stop a run with an error after this many issue batches, as a process dying mid-chunk would. */
export interface OfferRunFaults {
  crashAfterIssueBatches?: number;
}

/** The pool as a run reads it: offers for selectOffers, and each template's title. */
interface LoadedPool {
  offers: PoolOffer[];
  titles: Map<string, string>;
}

type MemberRow = { _id: Types.ObjectId; tier: string; homeStoreId: string | null; categoryStats?: Array<{ category: string; lastAt: Date; spend12mFen: number; visits: number }> };

export class OfferRunner {
  readonly workerId = randomUUID();
  chunkSize = OFFER_CHUNK;
  faults: OfferRunFaults = {};
  private issueBatches = 0;
  private readonly serial = new SerialRunner(() => this.runDue(), () => {
    // The failed run let its lease go; the offer-runs job (or the next kick) takes it up again.
  });

  constructor(private readonly deps: Deps) {}

  /** Works the runs in this process in the background (after a launch). */
  kick(): void {
    this.serial.kick();
  }

  async stop(): Promise<void> {
    await this.serial.stop();
  }

  /** Works every running run whose lease is free, until none is left (the offer-runs job calls this). */
  async runDue(): Promise<{ processed: number }> {
    let processed = 0;
    for (;;) {
      if (this.serial.stopping) return { processed };
      const run = await this.claim();
      if (!run) return { processed };
      try {
        processed += await this.work(run);
      } finally {
        await this.deps.runs.updateOne({ _id: run._id, leaseOwner: this.workerId }, { $set: { leaseOwner: null, leaseUntil: null } });
      }
    }
  }

  private async claim(): Promise<OfferRunDoc | null> {
    const at = this.deps.now();
    return this.deps.runs
      .findOneAndUpdate(
        { status: 'running', $or: [{ leaseUntil: null }, { leaseUntil: { $lt: at } }] },
        { $set: { leaseOwner: this.workerId, leaseUntil: new Date(at.getTime() + OFFER_LEASE_MS) } },
        { returnDocument: 'after', sort: { startedAt: 1 } },
      )
      .lean<OfferRunDoc>();
  }

  private async work(run: OfferRunDoc): Promise<number> {
    const { members, runs, now } = this.deps;
    const pool = await this.loadPool();
    const names = await this.categoryNames();
    let cursor = run.cursor;
    let processed = 0;
    for (;;) {
      if (this.serial.stopping) return processed;
      const chunk = await members
        .find({ status: 'active', ...(cursor && { _id: { $gt: cursor } }) }, { tier: 1, homeStoreId: 1, categoryStats: 1 })
        .sort({ _id: 1 })
        .limit(this.chunkSize)
        .lean<MemberRow[]>();
      if (chunk.length === 0) {
        await runs.updateOne({ _id: run._id, leaseOwner: this.workerId, cursor }, { $set: { status: 'completed', finishedAt: now(), leaseOwner: null, leaseUntil: null } });
        return processed;
      }
      const plans = await this.plan(run, chunk, pool, names);
      const counts = await this.issue(run, plans, cursor);
      const last = chunk[chunk.length - 1]!._id;
      const moved = await runs.updateOne(
        { _id: run._id, status: 'running', leaseOwner: this.workerId, cursor },
        { $set: { cursor: last, leaseUntil: new Date(now().getTime() + OFFER_LEASE_MS) }, $inc: Object.fromEntries(Object.entries(counts).map(([k, v]) => [`progress.${k}`, v])) },
      );
      if (moved.matchedCount !== 1) return processed; // the lease lapsed and another worker took the run
      cursor = last;
      processed += chunk.length;
    }
  }

  /** Active pool entries whose template can still be issued, as selectOffers reads them. */
  private async loadPool(): Promise<LoadedPool> {
    const entries = await this.deps.pool.find({ active: true }).lean<OfferPoolDoc[]>();
    const templates = await this.deps.templates
      .find({ _id: { $in: entries.map((e) => e._id) }, status: 'active', remaining: { $gt: 0 } }, { title: 1, minSpendFen: 1, validUntil: 1 })
      .lean<Array<Pick<CouponTemplateDoc, '_id' | 'title' | 'minSpendFen' | 'validUntil'>>>();
    const at = this.deps.now();
    const live = new Map(templates.filter((t) => !t.validUntil || t.validUntil > at).map((t) => [String(t._id), t]));
    const offers: PoolOffer[] = [];
    for (const entry of entries) {
      const template = live.get(String(entry._id));
      if (!template) continue;
      offers.push({
        templateId: String(entry._id), kind: entry.kind, categories: entry.categories,
        minSpendFen: template.minSpendFen ?? null, basketFromFen: entry.basketFromFen, basketToFen: entry.basketToFen,
      });
    }
    return { offers, titles: new Map([...live].map(([id, t]) => [id, t.title])) };
  }

  private async categoryNames(): Promise<(code: string) => { zh: string; en: string }> {
    const docs = await this.deps.categories.find({}, { name: 1, nameEn: 1 }).lean<Array<Pick<CategoryDoc, '_id' | 'name' | 'nameEn'>>>();
    const byCode = new Map(docs.map((d) => [d._id, { zh: d.name, en: d.nameEn }]));
    return (code) => byCode.get(code) ?? { zh: code, en: code };
  }

  /** Step 1: the chunk's plans, made for members without one and read back for all. */
  private async plan(run: OfferRunDoc, chunk: MemberRow[], pool: LoadedPool, names: (code: string) => { zh: string; en: string }): Promise<OfferAssignmentDoc[]> {
    const { assignments, purchases, coupons, redemptions, now } = this.deps;
    const ids = chunk.map((m) => m._id);
    const stored = await assignments.find({ runId: run._id, memberId: { $in: ids } }).lean<OfferAssignmentDoc[]>();
    const planned = new Set(stored.map((a) => String(a.memberId)));
    const fresh = chunk.filter((m) => !planned.has(String(m._id)));
    if (fresh.length === 0) return stored;

    const at = now();
    const freshIds = fresh.map((m) => m._id);
    const settings = run.settings;
    const [baskets, held, redeemed] = await Promise.all([
      purchases.collection
        .find<{ memberId: Types.ObjectId; amountFen: number }>({ memberId: { $in: freshIds }, createdAt: { $gte: new Date(at.getTime() - 365 * DAY_MS) }, status: 'booked' }, { projection: { _id: 0, memberId: 1, amountFen: 1 } })
        .toArray(),
      coupons.collection
        .find<{ memberId: Types.ObjectId; templateId: Types.ObjectId }>({ memberId: { $in: freshIds }, status: 'issued' }, { projection: { _id: 0, memberId: 1, templateId: 1 } })
        .toArray(),
      settings.recentRedemptionDays > 0
        ? redemptions.collection
          .find<{ memberId: Types.ObjectId; templateId: Types.ObjectId }>({ memberId: { $in: freshIds }, status: 'redeemed', createdAt: { $gte: new Date(at.getTime() - settings.recentRedemptionDays * DAY_MS) } }, { projection: { _id: 0, memberId: 1, templateId: 1 } })
          .toArray()
        : Promise.resolve([]),
    ]);
    const basketsOf = groupBy(baskets, (p) => p.amountFen);
    const excludedOf = groupBy([...held, ...redeemed], (c) => String(c.templateId));
    const scoring: ScoringSettings = {
      halfLifeDays: settings.halfLifeDays, minVisits: settings.minVisits, categoryOffers: settings.categoryOffers, thresholdOffers: settings.thresholdOffers,
      maxStretch: 1.6,
    };
    const docs: OfferAssignmentDoc[] = fresh.map((member) => {
      const hex = member._id.toHexString();
      const selection = selectOffers(
        { categoryStats: member.categoryStats ?? [], basketsFen: basketsOf.get(hex) ?? [], excludedTemplateIds: new Set(excludedOf.get(hex) ?? []) },
        pool.offers, run.bestSellers, at, scoring,
      );
      const picks: OfferPickDoc[] = selection.picks.map((pick) => {
        const text = reasonText(pick.reason, names);
        return {
          templateId: new Types.ObjectId(pick.templateId), title: pool.titles.get(pick.templateId) ?? '', kind: pick.kind, category: categoryOf(pick.reason),
          reasonZh: text.zh, reasonEn: text.en, couponId: null, refusal: null,
        };
      });
      return {
        _id: new Types.ObjectId(), runId: run._id, memberId: member._id, holdout: isHeldOut(run.seed, hex, settings.holdoutShare), coldStart: selection.coldStart,
        typicalBasketFen: selection.typicalBasketFen, tier: member.tier, homeStoreId: member.homeStoreId ?? null, picks, issued: false, createdAt: at,
      };
    });
    try {
      await assignments.collection.insertMany(docs, { ordered: false });
      return [...stored, ...docs];
    } catch (err) {
      // A worker whose lease lapsed planned some of them first: theirs stand.
      if (!isDuplicateKeyError(err) && !(err as { writeErrors?: unknown }).writeErrors) throw err;
      return assignments.find({ runId: run._id, memberId: { $in: ids } }).lean<OfferAssignmentDoc[]>();
    }
  }

  /** Steps 2–3: issue the treated members' picks by template; record coupon ids; answer the chunk's counts. */
  private async issue(run: OfferRunDoc, plans: OfferAssignmentDoc[], startCursor: Types.ObjectId | null): Promise<OfferRunProgress> {
    const { assignments, issuer } = this.deps;
    const byTemplate = new Map<string, Types.ObjectId[]>();
    for (const plan of plans) {
      if (plan.holdout || plan.issued) continue;
      for (const pick of plan.picks) {
        const key = String(pick.templateId);
        (byTemplate.get(key) ?? byTemplate.set(key, []).get(key)!).push(plan.memberId);
      }
    }
    const outcomes = new Map<string, { couponId: Types.ObjectId | null; refusal: string | null }>();
    const batchKey = startCursor ? startCursor.toHexString() : 'start';
    for (const [templateId, memberIds] of byTemplate) {
      const answers = await issuer.issueBatch({ templateId, channel: 'offer', channelRef: String(run._id), batchKey, memberIds });
      for (const answer of answers) outcomes.set(`${templateId}:${answer.memberId.toHexString()}`, { couponId: answer.coupon?._id ?? null, refusal: answer.refusal });
      this.issueBatches += 1;
      const crashAt = this.faults.crashAfterIssueBatches;
      if (crashAt !== undefined && this.issueBatches >= crashAt) {
        this.faults = {};
        throw new Error(`injected crash after ${crashAt} issue batches`);
      }
    }
    const updates = plans
      .filter((plan) => !plan.holdout && !plan.issued)
      .map((plan) => {
        const picks = plan.picks.map((pick) => ({ ...pick, ...outcomes.get(`${String(pick.templateId)}:${plan.memberId.toHexString()}`) }));
        plan.picks = picks;
        plan.issued = true;
        return { updateOne: { filter: { _id: plan._id }, update: { $set: { picks, issued: true } } } };
      });
    if (updates.length > 0) await assignments.bulkWrite(updates, { ordered: false });
    const counts: OfferRunProgress = { members: plans.length, treated: 0, holdout: 0, coldStart: 0, issued: 0, refused: 0 };
    for (const plan of plans) {
      if (plan.holdout) counts.holdout += 1;
      else counts.treated += 1;
      if (plan.coldStart) counts.coldStart += 1;
      if (!plan.holdout) {
        for (const pick of plan.picks) {
          if (pick.couponId) counts.issued += 1;
          else if (pick.refusal) counts.refused += 1;
        }
      }
    }
    return counts;
  }
}

function categoryOf(reason: OfferReason): string | null {
  return reason.kind === 'buys' || reason.kind === 'bestseller' ? reason.category : null;
}

function groupBy<T extends { memberId: Types.ObjectId }, V>(rows: T[], value: (row: T) => V): Map<string, V[]> {
  const map = new Map<string, V[]>();
  for (const row of rows) {
    const key = row.memberId.toHexString();
    (map.get(key) ?? map.set(key, []).get(key)!).push(value(row));
  }
  return map;
}
