import { couponApplicability, couponSavingFen, ErrorCode, type CouponRefusal, type Redemption, type RedemptionBody } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { MembersService } from '../members/service';
import { assertMayReverse, assertStoreScope, type Reverser } from '../staff/service';
import type { CouponDoc, RedemptionDoc, couponModel, redemptionModel } from './model';
import type { EventRecorder } from '../webhooks/service';

// A clerk redeems the coupon code a member shows. After the reads that decide whether it may be redeemed,
// the redemption is exactly two writes in one transaction: the coupon's conditional update
// `{_id, status: 'issued'} → redeemed` (of any number of parallel scans, one matches) and the redemption
// insert. A manager may reverse within 24 h, which makes the coupon usable again.

export const REVERSAL_WINDOW_MS = 24 * 3600_000;

interface Deps {
  connection: mongoose.Connection;
  coupons: ReturnType<typeof couponModel>;
  redemptions: ReturnType<typeof redemptionModel>;
  members: MembersService;
  audit: AuditService;
  now: () => Date;
  /** Outbound webhooks' outbox (coupon.redeemed). */
  events?: EventRecorder;
}

export class RedemptionService {
  constructor(private readonly deps: Deps) {}

  async redeem(actor: Actor, requestId: string, body: RedemptionBody): Promise<Redemption> {
    if (actor.type !== 'staff') throw errors.forbidden('Only store staff redeem coupons.');
    const { coupons, members, connection, now } = this.deps;
    const invalid = () => new AppError(ErrorCode.CODE_INVALID, 'The code is invalid or has expired; ask the member to refresh it.');
    // Signature and window against the coupon owner's key: a code made with anyone else's key fails here.
    const { parsed, member, subject } = await members.verifyScannedCode(body.code);
    if (parsed.kind !== 'coupon') throw invalid();
    // The QR form's owner look-up read the coupon already (`subject`); the numeric form's found only its id.
    const coupon = (subject as CouponDoc | undefined) ?? (await coupons.findById(parsed.subject).lean<CouponDoc>());
    if (!coupon || !coupon.memberId.equals(member._id)) throw invalid();

    const at = now();
    const verdict = couponApplicability({ ...coupon, minSpendFen: coupon.minSpendFen ?? undefined }, { now: at, storeId: actor.storeId, tier: member.tier, orderAmountFen: body.orderAmountFen });
    if (!verdict.ok) {
      if (verdict.code === 'COUPON_ALREADY_USED') return this.replayOrRefuse(coupon._id, actor.storeId, body.orderNo);
      throw new AppError(ErrorCode[verdict.code], refusalMessages[verdict.code]);
    }

    try {
      const doc = await inTransaction(connection, undefined, (session) =>
        this.redeemWith(session, { actor, requestId, coupon, orderNo: body.orderNo ?? null, orderAmountFen: body.orderAmountFen ?? null, at }),
      );
      return redemptionView(doc);
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.COUPON_ALREADY_USED) return this.replayOrRefuse(coupon._id, actor.storeId, body.orderNo);
      throw err;
    }
  }

  /** Whether the coupon may be used on this order (the shared terms), and what it takes off it. */
  verdictFor(coupon: CouponDoc, context: { storeId: string; tier: string; orderAmountFen: number; at: Date }): { ok: true; savingFen: number } | { ok: false; code: CouponRefusal } {
    const verdict = couponApplicability({ ...coupon, minSpendFen: coupon.minSpendFen ?? undefined }, { now: context.at, storeId: context.storeId, tier: context.tier, orderAmountFen: context.orderAmountFen });
    if (!verdict.ok) return verdict;
    return { ok: true, savingFen: couponSavingFen(termsOf(coupon), context.orderAmountFen).savingFen };
  }

  /** A refusal of `verdictFor` as the error the counter answers. */
  refusal(code: CouponRefusal, details?: Record<string, unknown>): AppError {
    return new AppError(ErrorCode[code], refusalMessages[code], details);
  }

  /**
   * The one way a coupon is redeemed (the counter's scan, a POS order), in the caller's transaction: the
   * coupon's conditional update `{_id, status: 'issued'} → redeemed` (of any number of parallel takers, one
   * matches; the others get 409 COUPON_ALREADY_USED and their transaction aborts) and the redemption insert.
   */
  async redeemWith(
    session: ClientSession,
    input: { actor: Extract<Actor, { type: 'staff' }>; requestId: string; coupon: CouponDoc; orderNo: string | null; orderAmountFen: number | null; at: Date },
  ): Promise<RedemptionDoc> {
    const { coupons, redemptions, audit } = this.deps;
    const { actor, coupon, at } = input;
    const doc: RedemptionDoc = {
      _id: new Types.ObjectId(),
      couponId: coupon._id,
      memberId: coupon.memberId,
      templateId: coupon.templateId,
      channel: coupon.channel,
      channelRef: coupon.channelRef,
      storeId: actor.storeId,
      staffId: actor.staffId,
      orderNo: input.orderNo,
      orderAmountFen: input.orderAmountFen,
      savingFen: input.orderAmountFen === null ? null : couponSavingFen(termsOf(coupon), input.orderAmountFen).savingFen,
      status: 'redeemed',
      createdAt: at,
    };
    const taken = await coupons.updateOne(
      { _id: coupon._id, status: 'issued' },
      { $set: { status: 'redeemed', redeemedAt: at, redemptionId: doc._id } },
      { session },
    );
    if (taken.modifiedCount !== 1) throw new AppError(ErrorCode.COUPON_ALREADY_USED, refusalMessages.COUPON_ALREADY_USED);
    await redemptions.collection.insertOne(doc, { session });
    await this.deps.events?.record(session, 'coupon.redeemed', doc.memberId, { couponId: String(doc.couponId), redemptionId: String(doc._id), templateId: String(doc.templateId), storeId: doc.storeId, orderNo: doc.orderNo, orderAmountFen: doc.orderAmountFen, savingFen: doc.savingFen });
    await audit.record(
      actor,
      input.requestId,
      {
        action: 'redemption.create',
        targetType: 'redemption',
        targetId: String(doc._id),
        memberId: String(doc.memberId),
        before: { couponStatus: 'issued' },
        after: { couponStatus: 'redeemed', couponId: String(doc.couponId), orderNo: doc.orderNo, orderAmountFen: doc.orderAmountFen },
      },
      session,
    );
    return doc;
  }

  /**
   * A coupon already redeemed: the same store repeating the same order number gets the first answer (the
   * orderNo is the request's idempotency key); anyone else gets 409 COUPON_ALREADY_USED.
   */
  private async replayOrRefuse(couponId: Types.ObjectId, storeId: string, orderNo: string | undefined): Promise<Redemption> {
    if (orderNo) {
      const first = await this.deps.redemptions.findOne({ couponId, status: 'redeemed', storeId, orderNo }).lean<RedemptionDoc>();
      if (first) return redemptionView(first);
    }
    throw new AppError(ErrorCode.COUPON_ALREADY_USED, refusalMessages.COUPON_ALREADY_USED);
  }

  /**
   * A manager of the redeeming store or HQ, within 24 h. Reversing an already reversed redemption answers it as
   * it is (the redemption id is the natural idempotency key), so a retried reversal changes nothing more.
   */
  async reverse(actor: Actor, requestId: string, redemptionId: string, reason: string): Promise<Redemption> {
    assertMayReverse(actor, 'redemption');
    const { redemptions, connection, now } = this.deps;
    const found = Types.ObjectId.isValid(redemptionId) ? await redemptions.findById(redemptionId).lean<RedemptionDoc>() : null;
    if (!found) throw errors.notFound('No such redemption.');
    assertStoreScope(actor, found.storeId);
    if (found.status === 'reversed') return redemptionView(found);
    const at = now();
    if (at.getTime() - found.createdAt.getTime() > REVERSAL_WINDOW_MS) {
      throw new AppError(ErrorCode.REVERSAL_WINDOW_CLOSED, 'A redemption can be reversed only within 24 hours.');
    }
    const reversed = await inTransaction(connection, undefined, (session) =>
      this.restoreWith(session, { actor, requestId, redemptionId: found._id, reason, at }),
    );
    return redemptionView(reversed ?? (await redemptions.findById(found._id).lean<RedemptionDoc>())!);
  }

  /**
   * The one way a redemption is undone (a manager's reversal, a POS order's whole return), in the caller's
   * transaction: the redemption's conditional update `redeemed → reversed` and the coupon back to issued.
   * Null when it was reversed already (a parallel reversal or return won), having changed nothing.
   */
  async restoreWith(
    session: ClientSession,
    input: { actor: Reverser; requestId: string; redemptionId: Types.ObjectId; reason: string; at: Date },
  ): Promise<RedemptionDoc | null> {
    const { coupons, redemptions, audit } = this.deps;
    const { actor, at, reason } = input;
    const updated = await redemptions
      .findOneAndUpdate(
        { _id: input.redemptionId, status: 'redeemed' },
        { $set: { status: 'reversed', reversedAt: at, reversedBy: actor.staffId, reversalReason: reason } },
        { returnDocument: 'after', session },
      )
      .lean<RedemptionDoc>();
    if (!updated) return null;
    const restored = await coupons.updateOne(
      { _id: updated.couponId, status: 'redeemed', redemptionId: updated._id },
      { $set: { status: 'issued', redeemedAt: null, redemptionId: null } },
      { session },
    );
    if (restored.modifiedCount !== 1) throw new Error(`Coupon ${String(updated.couponId)} is not held by redemption ${String(updated._id)}`);
    await audit.record(
      actor,
      input.requestId,
      {
        action: 'redemption.reverse',
        targetType: 'redemption',
        targetId: String(updated._id),
        memberId: String(updated.memberId),
        before: { status: 'redeemed', couponId: String(updated.couponId) },
        after: { status: 'reversed', couponId: String(updated.couponId), reason },
      },
      session,
    );
    return updated;
  }
}

const refusalMessages: Record<'COUPON_ALREADY_USED' | 'COUPON_EXPIRED' | 'COUPON_NOT_APPLICABLE' | 'WRONG_STORE' | 'MIN_SPEND_NOT_MET', string> = {
  COUPON_ALREADY_USED: 'This coupon has already been used.',
  COUPON_EXPIRED: 'This coupon has expired.',
  COUPON_NOT_APPLICABLE: 'This coupon cannot be used now, or not for this member’s tier.',
  WRONG_STORE: 'This coupon cannot be used at this store.',
  MIN_SPEND_NOT_MET: 'The order does not reach this coupon’s minimum spend.',
};

/** The money terms as the shared arithmetic takes them (absent, not null). */
function termsOf(coupon: CouponDoc) {
  return {
    type: coupon.type,
    minSpendFen: coupon.minSpendFen ?? undefined,
    amountOffFen: coupon.amountOffFen ?? undefined,
    percentOff: coupon.percentOff ?? undefined,
    maxOffFen: coupon.maxOffFen ?? undefined,
  };
}

export function redemptionView(doc: RedemptionDoc): Redemption {
  return {
    id: String(doc._id),
    couponId: String(doc.couponId),
    storeId: doc.storeId,
    staffId: doc.staffId,
    ...(doc.orderNo ? { orderNo: doc.orderNo } : {}),
    ...(doc.orderAmountFen !== null && doc.orderAmountFen !== undefined ? { orderAmountFen: doc.orderAmountFen } : {}),
    status: doc.status,
    createdAt: doc.createdAt.toISOString(),
    ...(doc.reversedAt ? { reversedAt: doc.reversedAt.toISOString() } : {}),
  };
}
