import { couponValidity, ErrorCode } from '@membercard/shared';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { inTransaction } from '../../lib/transactions';
import type { memberModel } from '../members/model';
import {
  couponIssueBatchModel,
  type CouponDoc,
  type CouponIssueBatchDoc,
  type CouponTemplateDoc,
  type IssueChannel,
  type MemberTemplateCountDoc,
  type couponModel,
  type couponTemplateModel,
  type memberTemplateCountModel,
} from './model';

// The one way a coupon comes into existence, whatever the channel (campaign push, points mall, redemption
// code, automation, HQ grant). Two paths share the template checks (`templateRefusal`) and the coupon's terms
// (`couponDocument`):
//
// issue (one coupon): one transaction takes a unit of the template's quantity (conditional $inc on
// `remaining > 0`), counts the member's holding of the template (a per-(template, member) counter guarded by
// `count < perMemberLimit` → else COUPON_LIMIT_REACHED) and inserts the coupon under the unique key (template,
// channel, channelRef, member). Any refusal or crash rolls all three back, so quantity and limits hold under any
// concurrency, and the same campaign, exchange, claim or grant asked twice answers the coupon it already issued.
//
// issueBatch (many members, one key per member; campaign pushes, automation): a transaction per coupon costs
// ~2 ms on the embedded server and a transactional insertMany runs ~10× slower than a plain one, so a batch
// takes its quantity once and writes the rest with plain bulk writes, in an order that any crash can resume:
//  1. Members who already hold the key's coupon (an earlier run) answer it; inactive members are refused (one
//     $in query each).
//  2. Reserve: one short transaction takes the units the batch needs with a conditional $inc on the template
//     and records them (`taken`) in the batch document `templateId:channel:channelRef:batchKey`. A re-run of the
//     batch (same key) finds it open and first uses what it holds (`taken` − its coupons), taking only the
//     difference, so a crash never makes a batch take twice.
//  3. Count: per-member counters through one unordered insertMany (first coupon of the template) and, for the
//     members who have a counter, one unordered bulkWrite of `count < limit` $inc's; each records the key it
//     counted (`keys`), so a re-run never counts a member twice, and refused members free their unit for the
//     next members in order; members left without a unit are refused TEMPLATE_EXHAUSTED (their counter, if a
//     crashed run counted them, is undone).
//  4. Insert the coupons, stamped with the batch id, in one unordered insertMany; duplicate keys (a run that
//     died after inserting) are expected and answered as held.
//  5. Settle: the batch's coupons are counted (by the batch id they carry, within its member range). When they
//     equal `taken` (the usual case) one conditional update marks the batch settled; otherwise one short
//     transaction sets `taken` to them and gives the difference back to the template. Settling is recomputed from the stored state, so
//     it is safe to repeat, and a run that was overtaken (two runs of one batch after a lapsed lease) settles
//     after its own inserts: if its coupons exceed what the batch holds it takes the excess from the template,
//     or, when none is left, deletes its own surplus coupons before answering.
// At every point the template's issuedCount equals its coupons plus the units open batches hold, so totalQuantity
// is never exceeded; a batch left open by a crash keeps its units until its re-run settles it.

export interface IssueRequest {
  templateId: string | Types.ObjectId;
  memberId: string | Types.ObjectId;
  channel: IssueChannel;
  /** What within the channel issues it: campaign id, exchange key, redemption code, automation run, grant key. */
  channelRef: string;
  /** The caller's transaction, so the issue commits or aborts with the caller's other writes. */
  session?: ClientSession;
}

export interface IssueResult {
  coupon: CouponDoc;
  /** False when this (template, channel, channelRef, member) had already issued the coupon. */
  created: boolean;
}

export interface BatchIssueRequest {
  templateId: string | Types.ObjectId;
  channel: IssueChannel;
  /** As for issue: the campaign id, automation run… Each member gets at most one coupon per (template, channel, channelRef). */
  channelRef: string;
  /** Names the batch within channelRef (a campaign's resume point); a re-run with the same key reuses its reservation. */
  batchKey: string;
  /** In the order units are handed out when the template runs short. */
  memberIds: Types.ObjectId[];
}

export interface BatchIssueOutcome {
  memberId: Types.ObjectId;
  /** The member's coupon under this key (issued now or earlier), or null when refused. */
  coupon: CouponDoc | null;
  created: boolean;
  refusal: ErrorCode | null;
}

/** Test-only: stop a batch with an error at a step, as a process dying there would (the crash tests pass it). */
export interface IssuerFaults {
  crashBatchAfter?: 'reservation' | 'counting' | 'insert';
}

interface Deps {
  connection: mongoose.Connection;
  templates: ReturnType<typeof couponTemplateModel>;
  coupons: ReturnType<typeof couponModel>;
  counts: ReturnType<typeof memberTemplateCountModel>;
  /** Defaults to the model on `connection`. */
  batches?: ReturnType<typeof couponIssueBatchModel>;
  members: ReturnType<typeof memberModel>;
  now: () => Date;
  faults?: IssuerFaults;
}

type CouponKey = { templateId: Types.ObjectId; channel: IssueChannel; channelRef: string; memberId: Types.ObjectId };

export class CouponIssuer {
  private readonly batches: ReturnType<typeof couponIssueBatchModel>;

  constructor(private readonly deps: Deps) {
    this.batches = deps.batches ?? couponIssueBatchModel(deps.connection);
  }

  async issue(request: IssueRequest): Promise<IssueResult> {
    if (!Types.ObjectId.isValid(request.templateId)) throw errors.notFound('No such coupon template.');
    if (!Types.ObjectId.isValid(request.memberId)) throw errors.notFound('No such member.');
    const key = {
      templateId: new Types.ObjectId(request.templateId),
      channel: request.channel,
      channelRef: request.channelRef,
      memberId: new Types.ObjectId(request.memberId),
    };
    try {
      return await inTransaction(this.deps.connection, request.session, (session) => this.issueIn(key, session));
    } catch (err) {
      // A parallel call with the same key won the insert; this one's counters were rolled back with it.
      if (!request.session && isDuplicateKeyError(err)) {
        const existing = await this.deps.coupons.findOne(key).lean<CouponDoc>();
        if (existing) return { coupon: existing, created: false };
      }
      throw err;
    }
  }

  /**
   * Issues the key's coupon to each member at most once (see the header for the steps and why a crash at any
   * point is resumed by running the same batch again). Answers one outcome per distinct member, in order.
   */
  async issueBatch(request: BatchIssueRequest): Promise<BatchIssueOutcome[]> {
    const { coupons, members, templates, now } = this.deps;
    if (!Types.ObjectId.isValid(request.templateId)) throw errors.notFound('No such coupon template.');
    const base = { templateId: new Types.ObjectId(request.templateId), channel: request.channel, channelRef: request.channelRef };
    const batchId = `${String(base.templateId)}:${base.channel}:${base.channelRef}:${request.batchKey}`;
    const seen = new Set<string>();
    const ids = request.memberIds.filter((id) => !seen.has(String(id)) && seen.add(String(id)));
    const outcomes = new Map<string, BatchIssueOutcome>();
    const answer = (memberId: Types.ObjectId, coupon: CouponDoc | null, created: boolean, refusal: ErrorCode | null) =>
      outcomes.set(String(memberId), { memberId, coupon, created, refusal });
    const ordered = () => ids.map((id) => outcomes.get(String(id))!);
    if (ids.length === 0) return [];

    // 1. Held already (an earlier run of this batch, or any earlier issue under the key); inactive members refused.
    // One $in each: both are answered by index point lookups (the coupon key's index; members' `_id`).
    for (const coupon of await coupons.find({ ...base, memberId: { $in: ids } }).lean<CouponDoc[]>()) answer(coupon.memberId, coupon, false, null);
    const unheld = ids.filter((id) => !outcomes.has(String(id)));
    const active = new Set(
      unheld.length === 0
        ? []
        : (await members.find({ _id: { $in: unheld }, status: 'active' }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>()).map((m) => String(m._id)),
    );
    const candidates: Types.ObjectId[] = [];
    const gone: Types.ObjectId[] = [];
    for (const id of unheld) {
      if (active.has(String(id))) candidates.push(id);
      else gone.push(id);
    }
    for (const id of gone) answer(id, null, false, ErrorCode.NOT_FOUND);
    // Whether a crashed run left this batch open matters only to the paths that undo its work; the usual path skips it.
    const isOpen = async () => !!(await this.batches.exists({ _id: batchId, status: 'open' }));
    const open = gone.length > 0 || candidates.length === 0 ? await isOpen() : false;
    if (open && gone.length > 0) await this.uncount(base, gone); // a crashed run may have counted them
    if (candidates.length === 0) {
      if (open) await this.settleBatch(batchId, base, []);
      return ordered();
    }

    const at = now();
    const template = await templates.findById(base.templateId).lean<CouponTemplateDoc>();
    const refusal = template ? templateRefusal(template, at) : errors.notFound('No such coupon template.');
    if (refusal || !template) {
      for (const id of candidates) answer(id, null, false, refusal!.code);
      if (open || (gone.length === 0 && (await isOpen()))) {
        await this.uncount(base, candidates);
        await this.settleBatch(batchId, base, []);
      }
      return ordered();
    }

    // 2. Reserve the units the candidates need, reusing what an open batch (a crashed run's) still holds.
    const units = await this.reserve(batchId, base, request.batchKey, candidates, template, at);
    if (this.deps.faults?.crashBatchAfter === 'reservation') throw new Error('injected crash after the reservation');

    // 3. Count towards per-member limits in order; a refused member's unit goes to the next one.
    const counterRef = `${base.channel}:${base.channelRef}`;
    const allocated: Types.ObjectId[] = [];
    let pending = candidates;
    let free = units;
    while (free > 0 && pending.length > 0) {
      const round = pending.slice(0, free);
      pending = pending.slice(free);
      const limited = await this.countBatch(String(base.templateId), round, template.perMemberLimit, counterRef);
      for (const id of round) {
        if (limited.has(String(id))) answer(id, null, false, ErrorCode.COUPON_LIMIT_REACHED);
        else allocated.push(id);
      }
      free -= round.length - limited.size;
    }
    if (pending.length > 0) {
      // Left without a unit. Those already at their limit are told so (as a run that had units would have been),
      // so a re-run of a settled batch answers what the first run answered.
      if (units > 0) await this.uncount(base, pending); // a crashed run may have counted them
      const atLimit = new Set(
        (await this.deps.counts.find({ _id: { $in: pending.map((id) => `${String(base.templateId)}:${String(id)}`) }, count: { $gte: template.perMemberLimit } }, { _id: 1 }).lean())
          .map((c) => String(c._id).split(':')[1]),
      );
      for (const id of pending) answer(id, null, false, atLimit.has(String(id)) ? ErrorCode.COUPON_LIMIT_REACHED : ErrorCode.TEMPLATE_EXHAUSTED);
    }
    if (this.deps.faults?.crashBatchAfter === 'counting') throw new Error('injected crash after counting');

    // 4. Insert; a duplicate key is a coupon a run that died (or a parallel run of this batch) already inserted.
    const docs = allocated.map((memberId) => ({ _id: new Types.ObjectId(), ...couponDocument(template, { ...base, memberId }, at), issueBatchId: batchId }));
    const failed = new Set<number>();
    if (docs.length > 0) {
      try {
        await coupons.collection.insertMany(docs, { ordered: false });
      } catch (err) {
        for (const e of writeErrorsOf(err)) failed.add(e.index);
      }
    }
    const created: CouponDoc[] = [];
    const collided: Types.ObjectId[] = [];
    docs.forEach((doc, i) => (failed.has(i) ? collided.push(doc.memberId) : created.push(doc as CouponDoc)));
    if (collided.length > 0) {
      for (const coupon of await coupons.find({ ...base, memberId: { $in: collided } }).lean<CouponDoc[]>()) answer(coupon.memberId, coupon, false, null);
      if (collided.some((id) => !outcomes.has(String(id)))) throw new Error('coupon insert failed for a reason other than an existing coupon');
    }
    if (this.deps.faults?.crashBatchAfter === 'insert') throw new Error('injected crash after the insert');

    // 5. Settle: the batch holds exactly its coupons; unused units go back (or, if overtaken, surplus coupons go).
    const removed = await this.settleBatch(batchId, base, created, idRange(candidates));
    for (const coupon of created) {
      if (removed.has(String(coupon._id))) answer(coupon.memberId, null, false, ErrorCode.TEMPLATE_EXHAUSTED);
      else answer(coupon.memberId, coupon, true, null);
    }
    // A refused member may hold the coupon after all: a parallel run of this batch counted and issued it.
    const refused = candidates.filter((id) => outcomes.get(String(id))?.refusal);
    if (refused.length > 0) {
      for (const coupon of await coupons.find({ ...base, memberId: { $in: refused } }).lean<CouponDoc[]>()) answer(coupon.memberId, coupon, false, null);
    }
    return ordered();
  }

  /** Step 2: one transaction takes what the batch lacks from the template and records it; answers the units held. */
  private async reserve(
    batchId: string,
    base: Omit<CouponKey, 'memberId'>,
    batchKey: string,
    candidates: Types.ObjectId[],
    template: CouponTemplateDoc,
    at: Date,
  ): Promise<number> {
    const { templates, connection } = this.deps;
    const batches = this.batches;
    return inTransaction(connection, undefined, async (session) => {
      const batch = await batches.findById(batchId).session(session).lean<CouponIssueBatchDoc>();
      const held = batch ? batch.taken - (await this.batchCouponCount(batch)) : 0;
      const wanted = Math.max(0, candidates.length - held);
      const takeUnits = async (n: number) =>
        (await templates.updateOne(
          { _id: template._id, status: 'active', remaining: { $gte: n } },
          { $inc: { issuedCount: n, remaining: -n }, $set: { updatedAt: at } },
          { session },
        )).modifiedCount === 1;
      // Usually the template has enough: one conditional $inc. Short of it, read what is left and take that.
      let take = 0;
      if (wanted > 0 && (await takeUnits(wanted))) take = wanted;
      else if (wanted > 0) {
        const current = await templates.findById(template._id, { remaining: 1, status: 1 }).session(session).lean<CouponTemplateDoc>();
        take = current && current.status === 'active' ? Math.max(0, Math.min(wanted, current.remaining)) : 0;
        // The snapshot read above saw `remaining`; a parallel change surfaces as a write conflict, which is retried.
        if (take > 0 && !(await takeUnits(take))) throw new Error('the template changed under the reservation');
      }
      const [first, last] = idRange(candidates);
      if (!batch) {
        await batches.create(
          [{ _id: batchId, ...base, batchKey, taken: take, firstMemberId: first, lastMemberId: last, status: 'open', createdAt: at, updatedAt: at }],
          { session },
        );
      } else {
        await batches.updateOne(
          { _id: batchId },
          { $inc: { taken: take }, $set: { status: 'open', updatedAt: at }, $min: { firstMemberId: first }, $max: { lastMemberId: last } },
          { session },
        );
      }
      return Math.min(candidates.length, held + take);
    });
  }

  /**
   * Step 3: counts one coupon of the template for each member unless their counter is at the limit; answers the
   * members refused. First counters go in with one unordered insert; existing ones take a guarded $inc. A counter
   * that already lists this key counted this member in an earlier run and is not counted again.
   */
  private async countBatch(templateId: string, memberIds: Types.ObjectId[], perMemberLimit: number, counterRef: string): Promise<Set<string>> {
    const counts = this.deps.counts.collection as unknown as Collection<MemberTemplateCountDoc>;
    const counterId = (id: Types.ObjectId) => `${templateId}:${String(id)}`;
    const exists: Types.ObjectId[] = [];
    try {
      await counts.insertMany(
        memberIds.map((id) => ({ _id: counterId(id), count: 1, keys: [counterRef] })),
        { ordered: false },
      );
    } catch (err) {
      for (const e of writeErrorsOf(err)) exists.push(memberIds[e.index]!);
    }
    if (exists.length === 0) return new Set();
    const ops: AnyBulkWriteOperation<MemberTemplateCountDoc>[] = exists.map((id) => ({
      updateOne: { filter: { _id: counterId(id), count: { $lt: perMemberLimit }, keys: { $ne: counterRef } }, update: { $inc: { count: 1 }, $push: { keys: counterRef } } },
    }));
    const result = await counts.bulkWrite(ops, { ordered: false });
    if (result.matchedCount === exists.length) return new Set();
    // Not matched: at the limit, or counted by an earlier run of this key (which is not a refusal).
    const counted = new Set(
      (await counts.find({ _id: { $in: exists.map(counterId) }, keys: counterRef }, { projection: { _id: 1 } }).toArray()).map((c) => String(c._id)),
    );
    return new Set(exists.filter((id) => !counted.has(counterId(id))).map(String));
  }

  /** Takes back the counts this key made for members who end up without its coupon (idempotent: keyed by `keys`). */
  private async uncount(base: Omit<CouponKey, 'memberId'>, memberIds: Types.ObjectId[]): Promise<void> {
    const counterRef = `${base.channel}:${base.channelRef}`;
    await (this.deps.counts.collection as unknown as Collection<MemberTemplateCountDoc>).bulkWrite(
      memberIds.map((id) => ({
        updateOne: { filter: { _id: `${String(base.templateId)}:${String(id)}`, keys: counterRef }, update: { $inc: { count: -1 }, $pull: { keys: counterRef } } },
      })),
      { ordered: false },
    );
  }

  /**
   * The batch's coupons: those carrying its id, all of them within the member range its document records (a run
   * widens the range before it inserts). The range on the coupon key's index reads only the key's coupons in that
   * range (a batch's worth for a campaign); the embedded server never plans with the sparse issueBatchId index,
   * so counting by the id alone scanned every coupon (the cost grew with the collection). The `count` command,
   * because countDocuments' $group pipeline makes the embedded server copy each matched coupon.
   */
  private async batchCouponCount(batch: Pick<CouponIssueBatchDoc, '_id' | 'templateId' | 'channel' | 'channelRef' | 'firstMemberId' | 'lastMemberId'>): Promise<number> {
    const { coupons } = this.deps;
    const query = {
      templateId: batch.templateId,
      channel: batch.channel,
      channelRef: batch.channelRef,
      memberId: { $gte: batch.firstMemberId, $lte: batch.lastMemberId },
      issueBatchId: batch._id,
    };
    const answer = await coupons.db.db!.command({ count: coupons.collection.collectionName, query });
    return Number(answer.n);
  }

  /**
   * Step 5: the batch then holds exactly its coupons; the template gets back what it held beyond them. If this
   * run was overtaken (its coupons exceed what the batch holds), it takes the excess from the template, or,
   * when the template has none left, deletes as many of its own new coupons. Answers the coupon ids deleted.
   */
  private async settleBatch(
    batchId: string,
    base: Omit<CouponKey, 'memberId'>,
    created: CouponDoc[],
    /** The member range this run reserved for, when it did: allows the fast path. */
    reserved?: [Types.ObjectId, Types.ObjectId],
  ): Promise<Set<string>> {
    const { templates, coupons, connection, now } = this.deps;
    const batches = this.batches;
    const removed = new Set<string>();
    if (reserved) {
      // Usually the batch used exactly the units it holds: settling then changes the batch document alone, so one
      // update conditional on `taken` equal to the count does it without a transaction. The count covers this
      // run's range; the update also requires the batch's recorded range to lie within it, so no coupon of a
      // parallel run of the batch escapes the count. Otherwise (units to give back, an overtaken run, a parallel
      // reservation in between) the transactional path below settles from the batch document.
      const [first, last] = reserved;
      const used = await this.batchCouponCount({ _id: batchId, ...base, firstMemberId: first, lastMemberId: last });
      const settled = await batches.updateOne(
        { _id: batchId, taken: used, firstMemberId: { $gte: first }, lastMemberId: { $lte: last } },
        { $set: { status: 'settled', updatedAt: now() } },
      );
      if (settled.matchedCount === 1) return removed;
    }
    for (;;) {
      const excess = await inTransaction(connection, undefined, async (session) => {
        const batch = await batches.findById(batchId).session(session).lean<CouponIssueBatchDoc>();
        if (!batch) return 0;
        const used = await this.batchCouponCount(batch);
        const unused = batch.taken - used;
        if (unused < 0) {
          const taken = await templates.updateOne(
            { _id: base.templateId, remaining: { $gte: -unused } },
            { $inc: { issuedCount: -unused, remaining: unused } },
            { session },
          );
          if (taken.modifiedCount !== 1) return -unused;
        } else if (unused > 0) {
          await templates.updateOne({ _id: base.templateId }, { $inc: { issuedCount: -unused, remaining: unused } }, { session });
        }
        if (unused !== 0 || batch.status !== 'settled') {
          await batches.updateOne({ _id: batchId }, { $set: { taken: used, status: 'settled', updatedAt: now() } }, { session });
        }
        return 0;
      });
      if (excess === 0) return removed;
      const surplus = created.filter((c) => !removed.has(String(c._id))).slice(-excess);
      if (surplus.length === 0) throw new Error(`issue batch ${batchId} holds fewer units than its coupons and this run has none to give back`);
      await coupons.deleteMany({ _id: { $in: surplus.map((c) => c._id) }, status: 'issued' });
      await this.uncount(base, surplus.map((c) => c.memberId));
      for (const c of surplus) removed.add(String(c._id));
    }
  }

  private async issueIn(
    key: CouponKey,
    session: ClientSession,
  ): Promise<IssueResult> {
    const { templates, coupons, members, now } = this.deps;
    const existing = await coupons.findOne(key).session(session).lean<CouponDoc>();
    if (existing) return { coupon: existing, created: false };
    const member = await members.findOne({ _id: key.memberId, status: 'active' }, { _id: 1 }).session(session).lean();
    if (!member) throw errors.notFound('No such member.');

    const at = now();
    const template = await templates
      .findOneAndUpdate(
        { _id: key.templateId, status: 'active', remaining: { $gt: 0 } },
        { $inc: { issuedCount: 1, remaining: -1 } },
        { returnDocument: 'after', session },
      )
      .lean<CouponTemplateDoc>();
    if (!template) throw await this.refusalFor(key.templateId, session);
    const refusal = templateRefusal(template, at);
    if (refusal) throw refusal;

    await this.countTowardsLimit(`${String(key.templateId)}:${String(key.memberId)}`, template.perMemberLimit, session);

    const [coupon] = await coupons.create([couponDocument(template, key, at)], { session });
    return { coupon: coupon!.toObject() as CouponDoc, created: true };
  }

  /**
   * One more of the template for the member, refused at the limit: a conditional $inc on the member's counter,
   * or, for their first one, the counter's insert. An insert that collides means the counter exists at the limit
   * (a parallel first insert surfaces as a write conflict instead, and the transaction is retried).
   */
  private async countTowardsLimit(counterId: string, perMemberLimit: number, session: ClientSession): Promise<void> {
    const { counts } = this.deps;
    const counted = await counts.updateOne({ _id: counterId, count: { $lt: perMemberLimit } }, { $inc: { count: 1 } }, { session });
    if (counted.matchedCount === 1) return;
    try {
      await counts.create([{ _id: counterId, count: 1 }], { session });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new AppError(ErrorCode.COUPON_LIMIT_REACHED, `A member may hold at most ${perMemberLimit} of this coupon.`, { perMemberLimit });
    }
  }

  /** Why the quantity guard matched nothing: no template, archived, or none left. */
  private async refusalFor(templateId: Types.ObjectId, session: ClientSession): Promise<AppError> {
    const template = await this.deps.templates.findById(templateId, { status: 1, remaining: 1 }).session(session).lean<CouponTemplateDoc>();
    if (!template) return errors.notFound('No such coupon template.');
    if (template.status === 'archived') return new AppError(ErrorCode.TEMPLATE_ARCHIVED, 'This coupon template is archived.');
    return new AppError(ErrorCode.TEMPLATE_EXHAUSTED, 'Every coupon of this template has been issued.');
  }
}

/** Why no coupon of this template can be issued now, whatever the member: archived, or its validity has ended. */
export function templateRefusal(template: Pick<CouponTemplateDoc, 'status' | 'validUntil'>, at: Date): AppError | null {
  if (template.status === 'archived') return new AppError(ErrorCode.TEMPLATE_ARCHIVED, 'This coupon template is archived.');
  if (template.validUntil && template.validUntil.getTime() <= at.getTime()) {
    return new AppError(ErrorCode.COUPON_EXPIRED, 'This coupon template’s validity has already ended.');
  }
  return null;
}

/** A new coupon under `key` with the template's terms as of `at` (copied, so later template edits never change it). */
export function couponDocument(template: CouponTemplateDoc, key: CouponKey, at: Date) {
  const validity = couponValidity(
    { validFrom: template.validFrom ?? undefined, validUntil: template.validUntil ?? undefined, validDays: template.validDays ?? undefined },
    at,
  );
  return {
    ...key,
    title: template.title,
    type: template.type,
    minSpendFen: template.minSpendFen ?? null,
    amountOffFen: template.amountOffFen ?? null,
    percentOff: template.percentOff ?? null,
    maxOffFen: template.maxOffFen ?? null,
    giftName: template.giftName ?? null,
    storeIds: template.storeIds,
    tiers: template.tiers,
    status: 'issued' as const,
    validFrom: validity.validFrom,
    validUntil: validity.validUntil,
    issuedAt: at,
    redeemedAt: null,
    redemptionId: null,
    expiredAt: null,
  };
}

/** The failed writes of an unordered bulk write, if every one is a duplicate key; anything else is rethrown. */
function writeErrorsOf(err: unknown): Array<{ index: number }> {
  const raw = (err as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Array<{ index: number; code: number }>;
  if (list.length === 0 || list.some((e) => e.code !== 11000)) throw err;
  return list;
}

function idRange(ids: Types.ObjectId[]): [Types.ObjectId, Types.ObjectId] {
  let first = ids[0]!;
  let last = ids[0]!;
  for (const id of ids) {
    if (String(id) < String(first)) first = id;
    if (String(id) > String(last)) last = id;
  }
  return [first, last];
}
