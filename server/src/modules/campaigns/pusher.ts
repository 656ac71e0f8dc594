import { randomUUID } from 'node:crypto';
import { compileSegment } from '@membercard/shared';
import { Types } from 'mongoose';
import type { MemberDoc, memberModel } from '../members/model';
import { couponArrivalData, PUSH_ENDING_REFUSALS, type PushDelivery } from './delivery';
import type { CampaignDoc, campaignModel } from './model';

// Runs campaign pushes in the background. A worker claims one running campaign at a time by taking its
// lease (a conditional update, so two instances never push the same campaign at once), walks the audience
// over an `_id`-ordered cursor in batches (memory stays flat whatever the audience), issues each batch with one
// CouponIssuer.issueBatch keyed by the batch's resume point, and records each batch together with the resume
// point. A worker that stops or dies mid-batch records nothing for that batch: the next one re-runs it under the
// same batch key, which reuses the batch's quantity reservation and answers the coupons already issued, so each
// member gets the coupon once, is counted once, and the template gives no unit twice.

/**
 * Each batch costs about ten round trips whatever its size (reservation, settle, progress), so larger batches
 * spread them thinner; the worker holds one batch of members and coupons (~2.5 MB at 1000), so memory stays flat.
 * Measured at 40k members (scripts/bench/campaigns.ts): 400 → 0.50×, 800 → 0.55×, 1000 → 0.60–0.62×, 2000 → 0.59×
 * of a raw insertMany, worker RSS peak 231–259 MB throughout. Tests that need a push to stop mid-way pass a small
 * `batchSize` (or set the pusher's `batchSize`).
 */
export const PUSH_BATCH_SIZE = 1000;
/** How long a claim lasts without renewal: a crashed worker's campaign is picked up again after this. */
export const PUSH_LEASE_MS = 60_000;

interface Deps {
  campaigns: ReturnType<typeof campaignModel>;
  members: ReturnType<typeof memberModel>;
  delivery: PushDelivery;
  now: () => Date;
  batchSize?: number;
  /** Told about a failed run (a transient database error, say) before the pusher retries it. */
  onError?: (err: unknown) => void;
}

/** After a failed run, try again this soon rather than leave the push waiting for the next scheduled job. */
const RETRY_AFTER_FAILURE_MS = 2_000;

export class CampaignPusher {
  readonly workerId = randomUUID();
  /** Members per batch (deps.batchSize, else PUSH_BATCH_SIZE); a running push takes a change at its next claim. */
  batchSize: number;
  private running: Promise<unknown> | null = null;
  private again = false;
  private stopping = false;

  constructor(private readonly deps: Deps) {
    this.batchSize = deps.batchSize ?? PUSH_BATCH_SIZE;
  }

  /** Starts pushing in this process now (after a launch or resume, and at start-up to pick up interrupted pushes). */
  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runDue()
      .catch((err: unknown) => {
        // The failed run released its lease (push's finally), so the campaign is free for this retry or the job.
        this.deps.onError?.(err);
        setTimeout(() => this.kick(), RETRY_AFTER_FAILURE_MS).unref();
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops at the next member, recording nothing for the batch in hand, and lets the lease go. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** Pushes every running campaign whose lease is free until none is left (the scheduled job calls this). */
  async runDue(): Promise<{ processed: number }> {
    let processed = 0;
    for (;;) {
      if (this.stopping) return { processed };
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

  /** Pushes one claimed campaign until done, paused, stopped or out of coupons; answers members recorded. */
  private async push(claimed: CampaignDoc): Promise<number> {
    const { campaigns, members, delivery, now } = this.deps;
    const batchSize = this.batchSize;
    const audience = compileSegment(claimed.segment, claimed.launchedAt ?? claimed.createdAt);
    const campaignId = String(claimed._id);
    let resumeAfter = claimed.resumeAfter;
    let recorded = 0;
    // One cursor over the rest of the audience, read a batch at a time: the embedded server answers an `_id` range
    // with sort and limit by scanning the collection, so a query per batch would cost O(audience) each time.
    const idRange: Record<string, unknown> = { $lte: claimed.lastTargetId ?? new Types.ObjectId('000000000000000000000000') };
    if (resumeAfter) idRange.$gt = resumeAfter;
    const cursor = members
      .find({ ...audience, _id: idRange }, { _id: 1, homeStoreId: 1, tier: 1 })
      .sort({ _id: 1 })
      .batchSize(batchSize)
      .lean<Array<Pick<MemberDoc, '_id' | 'homeStoreId' | 'tier'>>>()
      .cursor();
    try {
      for (;;) {
        const batch: Array<Pick<MemberDoc, '_id' | 'homeStoreId' | 'tier'>> = [];
        while (batch.length < batchSize) {
          const member = (await cursor.next()) as Pick<MemberDoc, '_id' | 'homeStoreId' | 'tier'> | null;
          if (!member) break;
          batch.push(member);
        }
        if (batch.length === 0) {
          await campaigns.updateOne(
            { _id: claimed._id, status: 'running', leaseOwner: this.workerId },
            { $set: { status: 'completed', completedAt: now(), leaseOwner: null, leaseUntil: null } },
          );
          return recorded;
        }

        if (this.stopping) return recorded;
        // One batch issue (see CouponIssuer.issueBatch) keyed by the resume point this batch starts after, so a
        // re-run after a crash or stop reuses the batch's reservation and answers the coupons it already issued.
        const results = await delivery.deliverBatch(batch, {
          templateId: claimed.templateId,
          channel: 'campaign',
          channelRef: campaignId,
          batchKey: resumeAfter ? String(resumeAfter) : 'start',
          message: (member) => {
            const copy = claimed.message ? (claimed.message.byHomeStoreId?.[member.homeStoreId ?? ''] ?? claimed.message.default) : null;
            return copy
              ? { key: `campaign:${campaignId}:${String(member._id)}`, purpose: 'couponArrival', marketing: true, data: (coupon) => couponArrivalData(coupon, copy) }
              : null;
          },
        });
        if (this.stopping) return recorded; // as a crash would: this batch is not recorded and runs again

        const inc: Record<string, number> = {};
        const add = (path: string, n = 1) => (inc[path] = (inc[path] ?? 0) + n);
        let last: Types.ObjectId | null = null;
        let endedBy: string | null = null;
        for (const [i, member] of batch.entries()) {
          const result = results[i];
          if (!result) break;
          if (result.refusal && PUSH_ENDING_REFUSALS.has(result.refusal)) {
            endedBy = result.refusal;
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

        const at = now();
        const set: Record<string, unknown> = { leaseUntil: new Date(at.getTime() + PUSH_LEASE_MS) };
        if (last) set.resumeAfter = last;
        if (endedBy) Object.assign(set, { status: 'failed', failureReason: endedBy, completedAt: at, leaseOwner: null, leaseUntil: null });
        // Answers the status as recorded, so a pause by HQ is seen without another read.
        const saved = await campaigns
          .findOneAndUpdate(
            { _id: claimed._id, leaseOwner: this.workerId, resumeAfter: resumeAfter },
            { ...(Object.keys(inc).length > 0 ? { $inc: inc } : {}), $set: set },
            { returnDocument: 'after', projection: { status: 1 } },
          )
          .lean<Pick<CampaignDoc, 'status'>>();
        if (!saved) return recorded; // the lease lapsed and another worker took over
        recorded += inc.processed ?? 0;
        if (endedBy) return recorded;
        resumeAfter = last ?? resumeAfter;
        if (saved.status !== 'running') return recorded; // paused by HQ
      }
    } finally {
      await cursor.close().catch(() => undefined);
      await this.release(claimed._id);
    }
  }
}

/** Tier codes and store ids become keys of an $inc path: dots and dollars would split or refuse it. */
export function pathSafe(key: string): string {
  return key.replace(/[.$]/g, '_');
}
