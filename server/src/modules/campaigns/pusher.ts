import { randomUUID } from 'node:crypto';
import { compileSegment, holdoutDraw } from '@membercard/shared';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../lib/errors';
import { SerialRunner } from '../../lib/serialRunner';
import type { CouponIssuer } from '../coupons/issuer';
import type { MemberDoc, memberModel } from '../members/model';
import { couponArrivalFields, PUSH_ENDING_REFUSALS, type DeliveryResult, type PushDelivery } from './delivery';
import type { CampaignDoc, campaignAudienceModel, campaignModel } from './model';

// Runs campaign pushes in the background. A worker claims one running campaign at a time by taking its
// lease (a conditional update, so two instances never push the same campaign at once), walks the audience
// over an `_id`-ordered cursor in batches (memory stays flat whatever the audience), issues each batch with one
// CouponIssuer.issueBatch keyed by the batch's resume point, and records each batch together with the resume
// point, in walk order. A worker that stops or dies mid-batch records nothing for that batch: the next one re-runs
// it under the same batch key, which reuses the batch's quantity reservation and answers the coupons already
// issued, so each member gets the coupon once, is counted once, and the template gives no unit twice. When a push
// ends, batches crashed runs left open (ones no re-run read again) are settled, so their units go back.
// Before a batch is issued, each of its members is recorded in the campaign's audience with their holdout draw
// (a pure function of the campaign's seed and the member id, so every run of the batch draws the same); held-out
// members get no coupon and no message.

/**
 * Each batch costs a handful of round trips whatever its size (reservation, settle, progress), so larger batches
 * spread them thinner; the worker holds PUSH_IN_FLIGHT batches of members and coupons (~2.5 MB each at 1000), so
 * memory stays flat. Tests that need a push to stop mid-way pass a small `batchSize` (or set the pusher's).
 */
export const PUSH_BATCH_SIZE = 1000;
/**
 * Batches issued but not yet recorded at once. The next batch starts as soon as one holds its units, so its
 * reservation reaches the database while the one before is encoded and inserted: with two, neither the worker nor
 * the database waits for the other (scripts/bench/campaigns.ts has the figures; three gained nothing and contend
 * more on the template).
 */
export const PUSH_IN_FLIGHT = 2;
/** How long a claim lasts without renewal: a crashed worker's campaign is picked up again after this. */
export const PUSH_LEASE_MS = 60_000;

interface Deps {
  campaigns: ReturnType<typeof campaignModel>;
  members: ReturnType<typeof memberModel>;
  /** Each pushed member's group (targeted or held out), recorded before their batch is issued. */
  audience: ReturnType<typeof campaignAudienceModel>;
  delivery: PushDelivery;
  /** For settling batches left open when a push ends. */
  issuer: CouponIssuer;
  now: () => Date;
  batchSize?: number;
  inFlight?: number;
  /** Told about a failed run (a transient database error, say) before the pusher retries it. */
  onError?: (err: unknown) => void;
}

/** After a failed run, try again this soon rather than leave the push waiting for the next scheduled job. */
const RETRY_AFTER_FAILURE_MS = 2_000;

export class CampaignPusher {
  readonly workerId = randomUUID();
  /** Members per batch (deps.batchSize, else PUSH_BATCH_SIZE); a running push takes a change at its next claim. */
  batchSize: number;
  /** Batches issued at once (deps.inFlight, else PUSH_IN_FLIGHT). */
  inFlight: number;
  private readonly runner = new SerialRunner(
    () => this.runDue(),
    (err) => {
      // The failed run released its lease (push's finally), so the campaign is free for this retry or the job.
      this.deps.onError?.(err);
      setTimeout(() => this.kick(), RETRY_AFTER_FAILURE_MS).unref();
    },
  );

  constructor(private readonly deps: Deps) {
    this.batchSize = deps.batchSize ?? PUSH_BATCH_SIZE;
    this.inFlight = deps.inFlight ?? PUSH_IN_FLIGHT;
  }

  /** Starts pushing in this process now (after a launch or resume, and at start-up to pick up interrupted pushes). */
  kick(): void {
    this.runner.kick();
  }

  /** Stops at the next member, recording nothing for the batch in hand, and lets the lease go. */
  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** Pushes every running campaign whose lease is free until none is left (the scheduled job calls this). */
  async runDue(): Promise<{ processed: number }> {
    let processed = 0;
    for (;;) {
      if (this.runner.stopping) return { processed };
      const campaign = await this.claim();
      if (!campaign) return { processed };
      processed += await this.push(campaign);
    }
  }

  private async claim(): Promise<CampaignDoc | null> {
    const at = this.deps.now();
    return this.deps.campaigns
      .findOneAndUpdate(
        { status: 'running', $or: [{ leaseUntil: null }, { leaseUntil: { $lt: at } }] },
        { $set: { leaseOwner: this.workerId, leaseUntil: new Date(at.getTime() + PUSH_LEASE_MS) } },
        { returnDocument: 'after', sort: { leaseUntil: 1 } },
      )
      .lean<CampaignDoc>();
  }

  private async release(campaignId: Types.ObjectId): Promise<void> {
    await this.deps.campaigns.updateOne({ _id: campaignId, leaseOwner: this.workerId }, { $set: { leaseOwner: null, leaseUntil: null } });
  }

  /**
   * Pushes one claimed campaign until done, paused, stopped or out of coupons; answers members recorded.
   * Up to `inFlight` batches are issued at once: while the database inserts one batch's coupons, the worker reads
   * and prepares the next, so neither side waits for the other. Batches are still recorded strictly in walk order, and
   * a batch that was issued is recorded even when the one before it paused or ended the push (its coupons exist);
   * only then does the push stop starting batches.
   */
  private async push(claimed: CampaignDoc): Promise<number> {
    const { campaigns, members, now } = this.deps;
    const batchSize = this.batchSize;
    const audience = compileSegment(claimed.segment, claimed.launchedAt ?? claimed.createdAt);
    // One cursor over the rest of the audience, read a batch at a time (a getMore per batch, not a query).
    const idRange: Record<string, unknown> = { $lte: claimed.lastTargetId ?? new Types.ObjectId('000000000000000000000000') };
    if (claimed.resumeAfter) idRange.$gt = claimed.resumeAfter;
    // The driver's cursor, taking a batch's documents from its buffer at once (a mongoose cursor's
    // document-at-a-time next() took about a third of the worker's time per batch).
    const cursor = members.collection.find<Recipient>(
      { ...audience, _id: idRange },
      { projection: { _id: 1, homeStoreId: 1, tier: 1 }, sort: { _id: 1 }, batchSize },
    );
    const readBatch = async () => {
      const batch: Recipient[] = [];
      while (batch.length < batchSize && (await cursor.hasNext())) batch.push(...cursor.readBufferedDocuments(batchSize - batch.length));
      return batch;
    };
    const state: PushState = { recorded: 0, resumeAfter: claimed.resumeAfter ?? null, ended: false, go: true };
    // Both promises are awaited later; a no-op handler keeps a failure meanwhile from counting as unhandled.
    const later = <T>(promise: Promise<T>) => (promise.catch(() => undefined), promise);
    let reading = later(readBatch());
    let recording: Promise<void> = Promise.resolve();
    const unrecorded: Promise<void>[] = [];
    let startsAfter = claimed.resumeAfter ?? null;
    try {
      for (;;) {
        const batch = await reading;
        if (batch.length === 0) break;
        reading = later(readBatch());
        if (this.runner.stopping || !state.go) break;
        let reserved!: () => void;
        const holdsUnits = new Promise<void>((resolve) => (reserved = resolve));
        const issuing = this.issue(claimed, batch, startsAfter, reserved);
        startsAfter = batch[batch.length - 1]!._id;
        // Recorded after the batch before it; at most `inFlight` batches are issued but unrecorded at any time.
        recording = later(Promise.all([recording, issuing]).then(([, results]) => this.record(claimed, batch, results, state)));
        unrecorded.push(recording);
        // The next batch starts once this one holds its units, so its reservation reaches the database while this
        // one's coupons are encoded, rather than queued behind their insert.
        await Promise.race([holdsUnits, issuing.then(noop, noop)]);
        if (unrecorded.length >= this.inFlight) await unrecorded.shift();
      }
      await recording;
      let ended = state.ended;
      if (state.go && !this.runner.stopping) {
        const completed = await campaigns.updateOne(
          { _id: claimed._id, status: 'running', leaseOwner: this.workerId, resumeAfter: state.resumeAfter },
          { $set: { status: 'completed', completedAt: now(), leaseOwner: null, leaseUntil: null } },
        );
        ended = completed.modifiedCount === 1;
      }
      // No run of this push is left to settle a batch a crashed run left open: its held units go back now.
      if (ended) await this.deps.issuer.settleOpenBatches({ templateId: claimed.templateId, channel: 'campaign', channelRef: String(claimed._id) });
      return state.recorded;
    } finally {
      // Whatever stopped the loop, nothing may still be reading the cursor or recording when the lease goes.
      await Promise.allSettled([reading, recording]);
      await cursor.close().catch(() => undefined);
      await this.release(claimed._id);
    }
  }

  /**
   * Records the batch's members with their groups, then issues the targeted ones (see CouponIssuer.issueBatch),
   * keyed by the resume point the batch starts after. Answers one result per member in batch order, held-out
   * members marked, up to the first push-ending refusal.
   */
  private async issue(claimed: CampaignDoc, batch: Recipient[], startsAfter: Types.ObjectId | null, onReserved: () => void): Promise<PushResult[]> {
    const campaignId = String(claimed._id);
    const share = claimed.holdoutShare ?? 0;
    const draws = batch.map((member) => holdoutDraw(claimed.holdoutSeed ?? '', String(member._id)));
    const held = draws.map((draw) => share > 0 && draw < share);
    await this.recordAudience(claimed, batch, draws, held);
    const targeted = batch.filter((_, i) => !held[i]);
    if (targeted.length === 0) {
      onReserved();
      return batch.map(() => HELD_OUT);
    }
    // A re-run after a crash or stop reads the same batch from the same resume point, so it reuses the batch's
    // reservation and answers the coupons it already issued.
    const delivered = await this.deps.delivery.deliverBatch(targeted, {
      templateId: claimed.templateId,
      channel: 'campaign',
      channelRef: campaignId,
      batchKey: startsAfter ? String(startsAfter) : 'start',
      onReserved,
      message: (member) => {
        const copy = claimed.message ? (claimed.message.byHomeStoreId?.[member.homeStoreId ?? ''] ?? claimed.message.default) : null;
        return copy
          ? { key: `campaign:${campaignId}:${String(member._id)}`, purpose: 'couponArrival', marketing: true, fields: (coupon) => couponArrivalFields(coupon, copy) }
          : null;
      },
    });
    const results: PushResult[] = [];
    let next = 0;
    for (const [i] of batch.entries()) {
      if (held[i]) {
        results.push(HELD_OUT);
        continue;
      }
      const result = delivered[next++];
      if (!result) break; // the push ended at an earlier member
      results.push(result);
    }
    return results;
  }

  /** Writes the batch's audience records; a re-run finds them already there (unique per campaign and member). */
  private async recordAudience(claimed: CampaignDoc, batch: Recipient[], draws: number[], held: boolean[]): Promise<void> {
    const at = this.deps.now();
    try {
      await this.deps.audience.insertMany(
        batch.map((member, i) => ({
          campaignId: claimed._id, memberId: member._id, holdout: held[i]!, draw: draws[i]!, homeStoreId: member.homeStoreId ?? null, tier: member.tier, at,
        })),
        { ordered: false, lean: true },
      );
    } catch (err) {
      const writeErrors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }).writeErrors;
      const onlyDuplicates = Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((e) => (e.code ?? e.err?.code) === 11000);
      if (!onlyDuplicates && !isDuplicateKeyError(err)) throw err;
    }
  }

  /**
   * Records one issued batch: its counts and, unless the push has ended, the resume point after it, conditional on
   * the lease and on the resume point the previous recording left (so a worker that lost its lease records
   * nothing). Sets `state.go` false when the push must not start another batch: paused by HQ, out of coupons,
   * lease lost or stopping.
   */
  private async record(claimed: CampaignDoc, batch: Recipient[], results: PushResult[], state: PushState): Promise<void> {
    if (this.runner.stopping) {
      state.go = false; // as a crash would: this batch is not recorded and runs again
      return;
    }
    const inc: Record<string, number> = {};
    const add = (path: string, n = 1) => (inc[path] = (inc[path] ?? 0) + n);
    let last: Types.ObjectId | null = null;
    let endedBy: string | null = null;
    let reached = 0; // members of the batch the push went through
    for (const [i, member] of batch.entries()) {
      const result = results[i];
      if (!result) break;
      reached = i + 1;
      if (result.holdout) {
        last = member._id;
        add('processed');
        add('progress.holdout');
        continue;
      }
      if (result.refusal && PUSH_ENDING_REFUSALS.has(result.refusal)) {
        endedBy = result.refusal;
        reached = i;
        break;
      }
      last = member._id;
      add('processed');
      if (result.issued) {
        add('progress.issued');
        add(`issuedBy.tier.${pathSafe(member.tier)}`);
        add(`issuedBy.homeStore.${pathSafe(member.homeStoreId ?? 'none')}`);
      } else add('progress.failed');
      if (result.notified) add('progress.notified');
    }

    const at = this.deps.now();
    const set: Record<string, unknown> = { leaseUntil: new Date(at.getTime() + PUSH_LEASE_MS) };
    // After the push ended, a batch that was in flight adds its counts but the resume point stays where it ended.
    const advanceTo = state.ended ? null : last;
    if (advanceTo) set.resumeAfter = advanceTo;
    if (endedBy && !state.ended) Object.assign(set, { status: 'failed', failureReason: endedBy, completedAt: at });
    // Answers the status as recorded, so a pause by HQ is seen without another read.
    const saved = await this.deps.campaigns
      .findOneAndUpdate(
        { _id: claimed._id, leaseOwner: this.workerId, resumeAfter: state.resumeAfter },
        { ...(Object.keys(inc).length > 0 ? { $inc: inc } : {}), $set: set },
        { returnDocument: 'after', projection: { status: 1 } },
      )
      .lean<Pick<CampaignDoc, 'status'>>();
    if (!saved) {
      state.go = false; // the lease lapsed and another worker took over
      return;
    }
    // The push ended before the rest of this batch: they were recorded in the audience but never pushed, so they
    // leave it (neither targeted nor held out), and the results compare only members the push went through.
    if ((endedBy || state.ended) && reached < batch.length) {
      await this.deps.audience.deleteMany({ campaignId: claimed._id, memberId: { $in: batch.slice(reached).map((m) => m._id) } });
    }
    state.recorded += inc.processed ?? 0;
    if (advanceTo) state.resumeAfter = advanceTo;
    if (endedBy) state.ended = true;
    if (state.ended || saved.status !== 'running') state.go = false; // out of coupons, or paused by HQ
  }
}

const noop = () => undefined;

/** A member's outcome in a batch: a delivery, or held out (nothing issued or sent). */
type PushResult = DeliveryResult & { holdout?: true };
const HELD_OUT: PushResult = { issued: false, notified: false, refusal: null, holdout: true };

interface PushState {
  /** Members recorded by this run. */
  recorded: number;
  /** The resume point as last recorded: the next recording's condition. */
  resumeAfter: Types.ObjectId | null;
  /** A recording ended the push (out of coupons): later batches add their counts only. */
  ended: boolean;
  /** Whether another batch may start. */
  go: boolean;
}

type Recipient = Pick<MemberDoc, '_id' | 'homeStoreId' | 'tier'>;

/** Tier codes and store ids become keys of an $inc path: dots and dollars would split or refuse it. */
export function pathSafe(key: string): string {
  return key.replace(/[.$]/g, '_');
}
