import { randomUUID } from 'node:crypto';
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
// issueBatch (many members, one key per member; campaign pushes): a transaction per coupon costs ~2 ms on the
// embedded server and a transactional insertMany runs ~10× slower than a plain one, so a batch takes its quantity
// once and writes the rest with plain bulk writes, in an order that any crash can resume. The caller passes members
// it read as active (the push's audience query pins status: 'active'); the issuer does not read them again.
//  1. Reserve: one short transaction takes the units the batch needs with a conditional $inc on the template
//     (which answers the template's terms) and records them (`taken`, and this run's id) in the batch document
//     `templateId:channel:channelRef:batchKey`. A re-run of the batch (same key) finds the document, looks up who
//     already holds the key's coupon, and first uses the units the batch still holds (`taken` − its coupons),
//     taking only the difference, so a crash never makes a batch take twice.
//  2. Count: per-member counters through one unordered insertMany (first coupon of the template) and, for the
//     members who have a counter, one unordered bulkWrite of `count < limit` $inc's; each records the key it
//     counted (`keys`), so a re-run never counts a member twice, and refused members free their unit for the
//     next members in order; members left without a unit are refused TEMPLATE_EXHAUSTED.
//  3. Insert the coupons, stamped with the batch id, in one unordered insertMany; duplicate keys (a run that
//     died after inserting, or another batch of the key) are expected and answered as held.
//  4. Settle: when this run used every unit the batch holds and nobody reserved for the batch since (its run id
//     is still this run's), the batch's coupons are those counted at the reservation plus this run's, and one
//     conditional update marks it settled. Otherwise one short transaction counts the batch's coupons (by the
//     batch id they carry, within its member range), sets `taken` to them and gives the difference back to the
//     template; it is recomputed from the stored state, so safe to repeat, and a run that was overtaken (two runs
//     of one batch after a lapsed lease) settles after its own inserts: if its coupons exceed what the batch
//     holds it takes the excess from the template, or, when none is left, deletes its own surplus coupons.
//     A re-run finally takes back the counts a crashed run made for members in the batch's range who hold no
//     coupon of the key (they left the audience before the re-run).
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

/** A member of a batch with its id's hex string, computed once. */
type Member = { hex: string; id: Types.ObjectId };

type Reservation = { template: null; refusal: AppError } | TakenUnits;

interface TakenUnits {
  /** The template's terms as the reservation saw them. */
  template: CouponTemplateDoc;
  /** Units this run may use: what the batch held unused plus what it took now. */
  units: number;
  /** Coupons already issued under the key to this run's members (looked up on re-runs only). */
  held: CouponDoc[];
  /** The batch's coupons when the reservation was made. */
  couponsBefore: number;
  /** Marks the batch as this run's; a later reservation for the same batch replaces it. */
  runId: string;
  /** The batch existed: a crashed or parallel run came first. */
  rerun: boolean;
  /** Everyone any run of the batch reserved for. */
  range: Pick<CouponIssueBatchDoc, 'firstMemberId' | 'lastMemberId'>;
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
    const { coupons, now } = this.deps;
    if (!Types.ObjectId.isValid(request.templateId)) throw errors.notFound('No such coupon template.');
    const base = { templateId: new Types.ObjectId(request.templateId), channel: request.channel, channelRef: request.channelRef };
    const batchId = `${String(base.templateId)}:${base.channel}:${base.channelRef}:${request.batchKey}`;
    // Each member's hex string once: an ObjectId's costs about a microsecond, and every step keys by it.
    const byHex = new Map<string, Types.ObjectId>();
    for (const id of request.memberIds) {
      const hex = id.toHexString();
      if (!byHex.has(hex)) byHex.set(hex, id);
    }
    const members: Member[] = [...byHex].map(([hex, id]) => ({ hex, id }));
    const outcomes = new Map<string, BatchIssueOutcome>();
    const answer = (member: Member, coupon: CouponDoc | null, created: boolean, refusal: ErrorCode | null) =>
      outcomes.set(member.hex, { memberId: member.id, coupon, created, refusal });
    const answerHeld = async (among: Member[]) => {
      if (among.length === 0) return;
      for (const coupon of await coupons.find({ ...base, memberId: { $in: among.map((m) => m.id) } }).lean<CouponDoc[]>()) {
        answer({ hex: coupon.memberId.toHexString(), id: coupon.memberId }, coupon, false, null);
      }
    };
    const ordered = () => members.map((m) => outcomes.get(m.hex)!);
    if (members.length === 0) return [];

    // 1–2. Reserve the units the batch needs (the same transaction reads the template's terms); a re-run also
    // learns who holds the key's coupon already.
    const at = now();
    const reservation = await this.oneAtATime(String(base.templateId), () => this.reserve(batchId, base, request.batchKey, members, at));
    if (!reservation.template) {
      // Nothing can be issued: members who hold the key's coupon (an earlier run) are told so, the others why;
      // a batch a crashed run left open gives back its counts and units.
      await answerHeld(members);
      for (const m of members) if (!outcomes.has(m.hex)) answer(m, null, false, reservation.refusal.code);
      const open = await this.batches.findOne({ _id: batchId, status: 'open' }).lean<CouponIssueBatchDoc>();
      if (open) {
        await this.uncountStray(base, open);
        await this.settleBatch(batchId, base, []);
      }
      return ordered();
    }
    const { template } = reservation;
    for (const coupon of reservation.held) answer({ hex: coupon.memberId.toHexString(), id: coupon.memberId }, coupon, false, null);
    const candidates = members.filter((m) => !outcomes.has(m.hex));
    const units = reservation.units;
    if (this.deps.faults?.crashBatchAfter === 'reservation') throw new Error('injected crash after the reservation');

    // 3. Count towards per-member limits in order; a refused member's unit goes to the next one.
    const counterRef = `${base.channel}:${base.channelRef}`;
    const allocated: Member[] = [];
    let pending = candidates;
    let free = units;
    while (free > 0 && pending.length > 0) {
      const round = pending.slice(0, free);
      pending = pending.slice(free);
      const limited = await this.countBatch(String(base.templateId), round, template.perMemberLimit, counterRef);
      for (const m of round) {
        if (limited.has(m.hex)) answer(m, null, false, ErrorCode.COUPON_LIMIT_REACHED);
        else allocated.push(m);
      }
      free -= round.length - limited.size;
    }
    if (pending.length > 0) {
      // Left without a unit (rare: the template ran short). One may hold the coupon from another batch of the key;
      // the others are told why, as a run that had units would have told them, so a re-run answers alike.
      await answerHeld(pending);
      const unheld = pending.filter((m) => !outcomes.has(m.hex));
      if (units > 0) await this.uncount(base, unheld.map((m) => m.id)); // a crashed run may have counted them
      const atLimit = new Set(
        (await this.deps.counts.find({ _id: { $in: unheld.map((m) => `${String(base.templateId)}:${m.hex}`) }, count: { $gte: template.perMemberLimit } }, { _id: 1 }).lean())
          .map((c) => String(c._id).split(':')[1]),
      );
      for (const m of unheld) answer(m, null, false, atLimit.has(m.hex) ? ErrorCode.COUPON_LIMIT_REACHED : ErrorCode.TEMPLATE_EXHAUSTED);
    }
    if (this.deps.faults?.crashBatchAfter === 'counting') throw new Error('injected crash after counting');

    // 4. Insert; a duplicate key is a coupon a run that died (or a parallel run of this batch) already inserted.
    // The terms are the same for every member: built once, each coupon is that plus its member and id.
    const terms = { ...couponDocument(template, { ...base, memberId: base.templateId }, at), issueBatchId: batchId };
    const docs = allocated.map((m) => ({ _id: new Types.ObjectId(), ...terms, memberId: m.id }));
    const failed = new Set<number>();
    if (docs.length > 0) {
      try {
        await coupons.collection.insertMany(docs, { ordered: false });
      } catch (err) {
        for (const e of writeErrorsOf(err)) failed.add(e.index);
      }
    }
    const created: CouponDoc[] = [];
    const collided: Member[] = [];
    docs.forEach((doc, i) => (failed.has(i) ? collided.push(allocated[i]!) : created.push(doc as CouponDoc)));
    if (collided.length > 0) {
      await answerHeld(collided);
      if (collided.some((m) => !outcomes.has(m.hex))) throw new Error('coupon insert failed for a reason other than an existing coupon');
    }
    if (this.deps.faults?.crashBatchAfter === 'insert') throw new Error('injected crash after the insert');

    // 5. Settle: the batch holds exactly its coupons; unused units go back (or, if overtaken, surplus coupons go).
    // Usually this run used every unit it holds and nobody reserved for the batch since (the run id is still
    // its own): the batch's coupons are then those counted at the reservation plus this run's, so one
    // conditional update settles it. Otherwise the transactional path recounts from the stored state.
    const settled =
      collided.length === 0 &&
      (await this.batches.updateOne(
        { _id: batchId, runId: reservation.runId, status: 'open', taken: reservation.couponsBefore + created.length },
        { $set: { status: 'settled', updatedAt: now() } },
      )).matchedCount === 1;
    const removed = settled ? new Set<string>() : await this.settleBatch(batchId, base, created);
    if (reservation.rerun) await this.uncountStray(base, reservation.range);
    for (const coupon of created) {
      const m = { hex: '', id: coupon.memberId };
      m.hex = coupon.memberId.toHexString();
      if (removed.has(String(coupon._id))) answer(m, null, false, ErrorCode.TEMPLATE_EXHAUSTED);
      else answer(m, coupon, true, null);
    }
    // A refused member may hold the coupon after all: a parallel run of this batch counted and issued it.
    await answerHeld(candidates.filter((m) => outcomes.get(m.hex)?.refusal));
    return ordered();
  }

  private readonly reserving = new Map<string, Promise<unknown>>();

  /**
   * Runs this process's reservations on one template one after another: run at once they only conflict on the
   * template's document and retry (the transaction, not this, is what keeps quantity exact across instances).
   */
  private async oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.reserving.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.then(() => undefined, () => undefined);
    this.reserving.set(key, settled);
    try {
      return await mine;
    } finally {
      if (this.reserving.get(key) === settled) this.reserving.delete(key);
    }
  }

  /**
   * Step 2: one transaction takes what the batch lacks from the template and records it with this run's id, and
   * reads the template's terms as it takes them. A re-run (the batch exists) first finds who already holds the
   * key's coupon and uses the units the batch still holds (`taken` − its coupons). Answers the units this run may
   * use, or why the template gives none (then nothing is recorded).
   */
  private async reserve(batchId: string, base: Omit<CouponKey, 'memberId'>, batchKey: string, members: Member[], at: Date): Promise<Reservation> {
    const { templates, coupons, connection } = this.deps;
    const batches = this.batches;
    const runId = randomUUID();
    const [first, last] = idRange(members);
    return inTransaction(connection, undefined, async (session): Promise<Reservation> => {
      const batch = await batches.findById(batchId).session(session).lean<CouponIssueBatchDoc>();
      let held: CouponDoc[] = [];
      let couponsBefore = 0;
      if (batch) {
        held = await coupons.find({ ...base, memberId: { $in: members.map((m) => m.id) } }).session(session).lean<CouponDoc[]>();
        couponsBefore = await this.batchCouponCount(batch);
      }
      const needed = members.length - held.length;
      const unused = batch ? Math.max(0, batch.taken - couponsBefore) : 0;
      const wanted = Math.max(0, needed - unused);
      // Usually the template has enough: one conditional $inc that answers the template. Short of it (or with
      // nothing to take), read it, and take what is left.
      const takeUnits = (n: number) =>
        templates
          .findOneAndUpdate(
            { _id: base.templateId, status: 'active', remaining: { $gte: n }, $or: [{ validUntil: null }, { validUntil: { $gt: at } }] },
            { $inc: { issuedCount: n, remaining: -n }, $set: { updatedAt: at } },
            { returnDocument: 'after', session },
          )
          .lean<CouponTemplateDoc>();
      let take = 0;
      let template = wanted > 0 ? await takeUnits(wanted) : null;
      if (template) take = wanted;
      else {
        template = await templates.findById(base.templateId).session(session).lean<CouponTemplateDoc>();
        const refusal = template ? templateRefusal(template, at) : errors.notFound('No such coupon template.');
        if (refusal || !template) return { template: null, refusal: refusal! };
        take = Math.max(0, Math.min(wanted, template.remaining));
        // The snapshot read above saw `remaining`; a parallel change surfaces as a write conflict, which is retried.
        if (take > 0 && !(template = await takeUnits(take))) throw new Error('the template changed under the reservation');
      }
      if (!batch) {
        await batches.create(
          [{ _id: batchId, ...base, batchKey, taken: take, firstMemberId: first, lastMemberId: last, status: 'open', runId, createdAt: at, updatedAt: at }],
          { session },
        );
      } else {
        await batches.updateOne(
          { _id: batchId },
          { $inc: { taken: take }, $set: { status: 'open', runId, updatedAt: at }, $min: { firstMemberId: first }, $max: { lastMemberId: last } },
          { session },
        );
      }
      const range: Pick<CouponIssueBatchDoc, 'firstMemberId' | 'lastMemberId'> = batch
        ? { firstMemberId: String(batch.firstMemberId) < String(first) ? batch.firstMemberId : first, lastMemberId: String(batch.lastMemberId) > String(last) ? batch.lastMemberId : last }
        : { firstMemberId: first, lastMemberId: last };
      return { template, units: Math.min(needed, unused + take), held, couponsBefore, runId, rerun: !!batch, range };
    });
  }

  /**
   * After a re-run (or when a refused re-run closes an open batch): counts this key made for members in the batch's
   * range who hold no coupon under it are taken back. A crashed run counted members the re-run may no longer be
   * given (they left the audience, or were erased), and their counters would otherwise hold a unit of their limit
   * forever. Costs two range reads, and only re-runs pay them.
   */
  private async uncountStray(base: Omit<CouponKey, 'memberId'>, range: Pick<CouponIssueBatchDoc, 'firstMemberId' | 'lastMemberId'>): Promise<void> {
    const counterRef = `${base.channel}:${base.channelRef}`;
    const templateId = String(base.templateId);
    const counted = await this.deps.counts
      .find({ _id: { $gte: `${templateId}:${String(range.firstMemberId)}`, $lte: `${templateId}:${String(range.lastMemberId)}` }, keys: counterRef }, { _id: 1 })
      .lean<Array<{ _id: string }>>();
    if (counted.length === 0) return;
    const memberIds = counted.map((c) => new Types.ObjectId(c._id.split(':')[1]));
    const holding = new Set(
      (await this.deps.coupons.find({ ...base, memberId: { $in: memberIds } }, { memberId: 1 }).lean<Array<{ memberId: Types.ObjectId }>>()).map((c) => c.memberId.toHexString()),
    );
    const stray = memberIds.filter((id) => !holding.has(id.toHexString()));
    if (stray.length > 0) await this.uncount(base, stray);
  }

  /**
   * Step 3: counts one coupon of the template for each member unless their counter is at the limit; answers the
   * members refused. First counters go in with one unordered insert; existing ones take a guarded $inc. A counter
   * that already lists this key counted this member in an earlier run and is not counted again.
   */
  private async countBatch(templateId: string, members: Member[], perMemberLimit: number, counterRef: string): Promise<Set<string>> {
    const counts = this.deps.counts.collection as unknown as Collection<MemberTemplateCountDoc>;
    const counterId = (m: Member) => `${templateId}:${m.hex}`;
    const exists: Member[] = [];
    try {
      await counts.insertMany(
        members.map((m) => ({ _id: counterId(m), count: 1, keys: [counterRef] })),
        { ordered: false },
      );
    } catch (err) {
      for (const e of writeErrorsOf(err)) exists.push(members[e.index]!);
    }
    if (exists.length === 0) return new Set();
    const ops: AnyBulkWriteOperation<MemberTemplateCountDoc>[] = exists.map((m) => ({
      updateOne: { filter: { _id: counterId(m), count: { $lt: perMemberLimit }, keys: { $ne: counterRef } }, update: { $inc: { count: 1 }, $push: { keys: counterRef } } },
    }));
    const result = await counts.bulkWrite(ops, { ordered: false });
    if (result.matchedCount === exists.length) return new Set();
    // Not matched: at the limit, or counted by an earlier run of this key (which is not a refusal).
    const counted = new Set(
      (await counts.find({ _id: { $in: exists.map(counterId) }, keys: counterRef }, { projection: { _id: 1 } }).toArray()).map((c) => String(c._id)),
    );
    return new Set(exists.filter((m) => !counted.has(counterId(m))).map((m) => m.hex));
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
  ): Promise<Set<string>> {
    const { templates, coupons, connection, now } = this.deps;
    const batches = this.batches;
    const removed = new Set<string>();
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

/** The lowest and highest member ids (hex strings order as the ids do). */
function idRange(members: Member[]): [Types.ObjectId, Types.ObjectId] {
  let first = members[0]!;
  let last = members[0]!;
  for (const m of members) {
    if (m.hex < first.hex) first = m;
    if (m.hex > last.hex) last = m;
  }
  return [first.id, last.id];
}
