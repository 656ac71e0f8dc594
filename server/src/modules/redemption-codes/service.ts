import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ErrorCode,
  isWellFormedRedemptionCode,
  makeRedemptionCode,
  normalizeRedemptionCode,
  REDEMPTION_CODE_RANDOM_BYTES,
  type Page,
  type RedemptionCodeBatch,
  type RedemptionCodeBatchBody,
  type RedemptionCodeClaimAnswer,
  chinaIsoDate,
} from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { AppError, errors } from '../../lib/errors';
import type { RateLimits } from '../../lib/rateLimit';
import type { Actor } from '../../lib/requestContext';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { CouponIssuer } from '../coupons/issuer';
import type { CouponTemplateDoc, couponTemplateModel } from '../coupons/model';
import { pageBy } from '../../lib/cursor';
import { couponView } from '../coupons/service';
import type { PointsLedger } from '../points/ledger';
import type { CodeBatchDoc, RedemptionCodeDoc, codeBatchModel, redemptionCodeModel } from './model';

// Printed redemption codes (兑换码). A batch's codes come from crypto random bytes (55 bits each plus a
// check symbol) and are stored with unordered bulk inserts in chunks, the code as `_id`, so a collision
// (vanishingly rare) is just a duplicate-key failure that is drawn again. A claim is one transaction: the
// conditional update `{_id: code, claimedBy: null, voidedAt: null}` (of any number of parallel claims, one
// matches), then the coupon issue or points award keyed by the code, so a claim never pays twice nor is lost
// half-way. A coupon's unit is taken before that transaction by the issuer's one conditional update
// (CouponIssuer.issueWith) and given back if the claim fails, so a drop of codes for a limited coupon never
// conflicts on the template; the batch's claimedCount (a display figure) is counted after the commit, outside
// the transaction, for the same reason.
//
// Voiding (HQ, audited, with a reason): the batch is marked voided first (new claims are refused at once), then
// every unclaimed code gets `voidedAt`. A claim racing the void either committed first (its code is claimed and
// the void leaves it alone: a write outside a transaction waits for the transaction holding the document) or
// finds its code voided and is refused CODE_VOIDED, giving its unit back.

export const CLAIM_LIMITS = {
  'code-claim-member': { points: 10, windowSeconds: 10 * 60, blockSeconds: 10 * 60 },
  'code-claim-ip': { points: 60, windowSeconds: 10 * 60, blockSeconds: 10 * 60 },
};

const INSERT_CHUNK = 10_000;

interface Deps {
  connection: mongoose.Connection;
  batches: ReturnType<typeof codeBatchModel>;
  codes: ReturnType<typeof redemptionCodeModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  issuer: CouponIssuer;
  ledger: PointsLedger;
  rateLimits: RateLimits;
  audit: AuditService;
  now: () => Date;
}

/** Ready batches whose terms a process keeps (see readyBatches); past this it starts afresh. */
const READY_BATCHES_KEPT = 1_000;

export class RedemptionCodesService {
  constructor(private readonly deps: Deps) {}

  /**
   * Batch id → the batch as read once it was ready: what a code gives (template or points) and its expiry never
   * change from then on, and a void reaches claims through the codes themselves (it marks every unclaimed code
   * before it answers, and a claim needs its code unvoided), so a drop's claims read their batch once per process
   * (claims arriving together share that read; a batch not ready is read again by the next claim).
   */
  private readonly readyBatches = new Map<string, Promise<CodeBatchDoc | null>>();

  async createBatch(actor: Actor, requestId: string, body: RedemptionCodeBatchBody): Promise<{ id: string; count: number }> {
    if (actor.type !== 'admin') throw errors.forbidden();
    const { batches, templates, now } = this.deps;
    const at = now();
    if (Date.parse(body.expiresAt) <= at.getTime()) {
      throw errors.validation('expiresAt must be in the future.', { fields: [{ field: 'body.expiresAt', message: 'In the past' }] });
    }
    if (body.templateId !== undefined) {
      const template = Types.ObjectId.isValid(body.templateId) ? await templates.findById(body.templateId, { status: 1 }).lean<CouponTemplateDoc>() : null;
      if (!template) throw errors.notFound('No such coupon template.');
      if (template.status === 'archived') throw new AppError(ErrorCode.TEMPLATE_ARCHIVED, 'This coupon template is archived.');
    }
    const [batch] = await batches.create([
      {
        templateId: body.templateId ? new Types.ObjectId(body.templateId) : null,
        points: body.points ?? null,
        name: body.name ?? null,
        purpose: body.purpose ?? null,
        count: body.count,
        claimedCount: 0,
        status: 'generating',
        expiresAt: new Date(body.expiresAt),
        createdAt: at,
        createdBy: actor.staffId,
      },
    ]);
    const batchId = batch!._id;
    for (let done = 0; done < body.count; done += INSERT_CHUNK) {
      await this.insertFreshCodes(batchId, Math.min(INSERT_CHUNK, body.count - done));
    }
    await batches.updateOne({ _id: batchId }, { $set: { status: 'ready' } });
    await this.deps.audit.record(actor, requestId, {
      action: 'redemption_code_batch.create',
      targetType: 'redemption_code_batch',
      targetId: String(batchId),
      after: { name: body.name, purpose: body.purpose, templateId: body.templateId, points: body.points, count: body.count, expiresAt: body.expiresAt },
    });
    return { id: String(batchId), count: body.count };
  }

  /** Inserts `count` new codes; any that collide with an existing code are drawn again. */
  private async insertFreshCodes(batchId: Types.ObjectId, count: number): Promise<void> {
    let missing = count;
    while (missing > 0) {
      const random = randomBytes(missing * REDEMPTION_CODE_RANDOM_BYTES);
      const docs: RedemptionCodeDoc[] = [];
      for (let index = 0; index < missing; index++) {
        const offset = index * REDEMPTION_CODE_RANDOM_BYTES;
        docs.push({ _id: makeRedemptionCode(random.subarray(offset, offset + REDEMPTION_CODE_RANDOM_BYTES)), batchId, claimedBy: null, claimedAt: null });
      }
      try {
        // The native driver's insertMany: one unordered bulk insert, without mongoose's per-document work.
        await this.deps.codes.collection.insertMany(docs as unknown as mongoose.mongo.OptionalId<mongoose.mongo.Document>[], { ordered: false });
        missing = 0;
      } catch (err) {
        const bulk = err as { insertedCount?: number; writeErrors?: Array<{ code?: number }> | { code?: number } };
        const writeErrors = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : bulk.writeErrors ? [bulk.writeErrors] : [];
        if (typeof bulk.insertedCount !== 'number' || writeErrors.length === 0 || writeErrors.some((e) => e.code !== 11000)) throw err;
        missing -= bulk.insertedCount;
      }
    }
  }

  async listBatches(limit: number, cursor?: string): Promise<Page<RedemptionCodeBatch>> {
    return pageBy<CodeBatchDoc, RedemptionCodeBatch>(this.deps.batches, {}, 'createdAt', limit, cursor, batchView);
  }

  /** The batch's codes as CSV (header `code`), streamed from a database cursor so 100,000 codes never sit in memory. */
  async csv(batchId: string): Promise<{ filename: string; stream: Readable }> {
    const batch = Types.ObjectId.isValid(batchId) ? await this.deps.batches.findById(batchId).lean<CodeBatchDoc>() : null;
    if (!batch) throw errors.notFound('No such batch.');
    const cursor = this.deps.codes.collection.find({ batchId: batch._id }, { projection: { _id: 1 }, sort: { _id: 1 }, batchSize: 5_000 });
    async function* lines() {
      yield 'code\n';
      let chunk = '';
      for await (const doc of cursor) {
        chunk += `${String(doc._id)}\n`;
        if (chunk.length >= 64 * 1024) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    }
    const stream = Readable.from(lines());
    // A client that disconnects mid-download must not leave the server-side cursor open.
    stream.on('close', () => void cursor.close().catch(() => undefined));
    return { filename: `redemption-codes-${batchId}.csv`, stream };
  }

  /**
   * A member claims a printed code. A mistyped code is refused by its check symbol before anything touches the
   * database (404 CODE_NOT_FOUND: a code that cannot exist is, to the member, a code not found); well-formed
   * attempts count against per-member and per-IP limits (429 RATE_LIMITED) so guessing is slow.
   */
  async claim(memberId: string, ip: string, typed: string, memberActive = false): Promise<RedemptionCodeClaimAnswer> {
    const code = normalizeRedemptionCode(typed);
    if (!isWellFormedRedemptionCode(code)) {
      throw new AppError(ErrorCode.CODE_NOT_FOUND, 'No such code; check it for typos.', { reason: 'check_symbol' });
    }
    const { rateLimits, connection, codes, batches, issuer, ledger, now } = this.deps;
    // The two counts and the code's read go out together (one round trip, not three); a refusal by either limit
    // still comes first, so the answer says nothing about the code to a caller over the limit.
    const [byMember, byAddress, codeRead] = await Promise.allSettled([
      rateLimits.consume('code-claim-member', memberId),
      rateLimits.consume('code-claim-ip', ip),
      codes.findById(code).lean<RedemptionCodeDoc>().exec(),
    ]);
    if (byMember.status === 'rejected') throw byMember.reason;
    if (byAddress.status === 'rejected') throw byAddress.reason;
    if (codeRead.status === 'rejected') throw codeRead.reason;
    const found = codeRead.value;
    const notFound = () => new AppError(ErrorCode.CODE_NOT_FOUND, 'No such code; check it for typos.');
    const voided = () => new AppError(ErrorCode.CODE_VOIDED, 'This code’s batch has been voided.');
    const used = () => new AppError(ErrorCode.CODE_ALREADY_USED, 'This code has already been used.');
    // Refusals that need no write come first, so a refused claim never takes a coupon's unit even briefly.
    if (!found) throw notFound();
    if (found.claimedBy) throw used();
    if (found.voidedAt) throw voided();
    const batchKey = String(found.batchId);
    let reading = this.readyBatches.get(batchKey);
    if (!reading) {
      if (this.readyBatches.size >= READY_BATCHES_KEPT) this.readyBatches.clear();
      reading = batches.findById(found.batchId).lean<CodeBatchDoc>().exec();
      this.readyBatches.set(batchKey, reading);
      // Only a ready batch is kept; anything else (or a failed read) is read afresh next time.
      reading.then((read) => read?.status === 'ready' || this.readyBatches.delete(batchKey), () => this.readyBatches.delete(batchKey));
    }
    const batch = await reading;
    if (!batch || batch.status === 'generating') throw notFound();
    if (batch.status === 'voided') throw voided();
    const at = now();
    if (batch.expiresAt.getTime() <= at.getTime()) throw new AppError(ErrorCode.CODE_NOT_FOUND, 'This code has expired.', { reason: 'expired' });

    /** In the claim's transaction: the code becomes this member's, unless claimed or voided meanwhile. */
    const takeCode = async (session: mongoose.ClientSession) => {
      const claimed = await codes
        .findOneAndUpdate({ _id: code, claimedBy: null, voidedAt: null }, { $set: { claimedBy: new Types.ObjectId(memberId), claimedAt: at } }, { session })
        .lean<RedemptionCodeDoc>();
      if (claimed) return;
      const current = await codes.findById(code, { claimedBy: 1, voidedAt: 1 }).session(session).lean<RedemptionCodeDoc>();
      throw current?.claimedBy ? used() : current?.voidedAt ? voided() : notFound();
    };
    let answer: RedemptionCodeClaimAnswer;
    if (batch.templateId) {
      // The code was read unclaimed, and its coupon commits with its claim: no earlier coupon under this code can
      // exist, so a sold-out refusal does not look for one.
      // Through the drop's gate: once the template is seen sold out, the rush's claims are refused without an update.
      const admission = await issuer.admit(batch.templateId);
      if ('refusal' in admission) throw admission.refusal;
      try {
        answer = await issuer.issueWith(
          { templateId: batch.templateId, memberId, channel: 'code', channelRef: code },
          (issueIn) =>
            inTransaction(connection, undefined, async (session) => {
              await takeCode(session);
              const { coupon } = await issueIn(session);
              return { coupon: couponView(coupon) };
            }),
          { firstClaim: true, memberActive },
        );
      } finally {
        admission.release();
      }
    } else {
      answer = await inTransaction(connection, undefined, async (session) => {
        await takeCode(session);
        await ledger.earn({ memberId, amount: batch.points!, reason: '兑换码积分', source: 'code', idempotencyKey: `code:${code}`, session });
        return { pointsAwarded: batch.points! };
      });
    }
    await batches.updateOne({ _id: batch._id }, { $inc: { claimedCount: 1 } });
    return answer;
  }

  /**
   * HQ voids a batch (see the header): from the answer on, none of its unclaimed codes can be claimed. The answer
   * counts its claimed codes as they stand. 409 CONFLICT for a batch already voided or still generating. Audited.
   */
  async voidBatch(actor: Actor, requestId: string, batchId: string, reason: string): Promise<RedemptionCodeBatch> {
    if (actor.type !== 'admin') throw errors.forbidden();
    const { batches, codes, now } = this.deps;
    const before = Types.ObjectId.isValid(batchId) ? await batches.findById(batchId).lean<CodeBatchDoc>() : null;
    if (!before) throw errors.notFound('No such batch.');
    const at = now();
    const marked = await batches
      .findOneAndUpdate(
        { _id: before._id, status: 'ready' },
        { $set: { status: 'voided', voidedAt: at, voidedBy: actor.staffId, voidReason: reason } },
        { returnDocument: 'after' },
      )
      .lean<CodeBatchDoc>();
    if (!marked) {
      const status = (await batches.findById(before._id, { status: 1 }).lean<CodeBatchDoc>())?.status;
      throw new AppError(ErrorCode.CONFLICT, status === 'voided' ? 'This batch is already voided.' : 'This batch is still being generated.', { status });
    }
    const voidedCodes = await codes.updateMany({ batchId: before._id, claimedBy: null, voidedAt: null }, { $set: { voidedAt: at } });
    const claimed = await codes.countDocuments({ batchId: before._id, claimedBy: { $ne: null } });
    await this.deps.audit.record(actor, requestId, {
      action: 'redemption_code_batch.void',
      targetType: 'redemption_code_batch',
      targetId: String(before._id),
      before: { status: before.status, claimedCount: before.claimedCount },
      after: { status: 'voided', reason, voidedCodes: voidedCodes.modifiedCount, claimedCodes: claimed },
    });
    return { ...batchView(marked), claimedCount: claimed };
  }
}

function batchView(doc: CodeBatchDoc): RedemptionCodeBatch {
  return {
    id: String(doc._id),
    ...(doc.templateId ? { templateId: String(doc.templateId) } : {}),
    ...(doc.points ? { points: doc.points } : {}),
    name: doc.name ?? `兑换码 ${chinaIsoDate(doc.createdAt)}`,
    ...(doc.purpose ? { purpose: doc.purpose } : {}),
    count: doc.count,
    claimedCount: doc.claimedCount,
    status: doc.status,
    expiresAt: doc.expiresAt.toISOString(),
    createdAt: doc.createdAt.toISOString(),
    ...(doc.voidedAt ? { voidedAt: doc.voidedAt.toISOString() } : {}),
    ...(doc.voidReason ? { voidReason: doc.voidReason } : {}),
  };
}
