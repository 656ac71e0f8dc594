import { ErrorCode, bonusForfeitFor, type StoredValueRefundRequest } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { memberModel } from '../members/model';
import type { PaymentDoc, paymentModel } from '../payments/model';
import type { PaymentsService } from '../payments/service';
import type { StoredValueLedger } from './ledger';
import type { RefundRequestDoc, TopupDoc, refundRequestModel, topupModel } from './model';
import type { StoredValueSettingsService } from './settings';

// Refunds of unspent principal (储值退款): the shopper asks, HQ approves, and the principal goes back to the
// WeChat Pay payments it came from, newest top-up first, each payment refunded once (whole or in part).
// Approval books the principal refund (one entry per payment, attributed to that top-up's store) and the bonus
// forfeit in the same transaction that marks the payments refunding; the WeChat Pay calls follow the commit,
// and the settling job retries any a crash or outage left. Bonus is never paid out.

/** The payments module's reason key (it shows the shopper 储值余额退款). */
const REFUND_REASON = 'stored value refund';

interface Deps {
  connection: mongoose.Connection;
  requests: ReturnType<typeof refundRequestModel>;
  topups: ReturnType<typeof topupModel>;
  payments: ReturnType<typeof paymentModel>;
  members: ReturnType<typeof memberModel>;
  paymentsService: PaymentsService;
  ledger: StoredValueLedger;
  settings: StoredValueSettingsService;
  audit: AuditService;
  now: () => Date;
}

export class StoredValueRefunds {
  constructor(private readonly deps: Deps) {}

  /** The shopper asks for their unspent principal back; one open request at a time (409 while one is open). */
  async request(memberId: Types.ObjectId, reason: string | undefined): Promise<StoredValueRefundRequest> {
    const balance = await this.deps.ledger.balanceOf(memberId);
    if (balance.principalFen === 0) throw new AppError(ErrorCode.INSUFFICIENT_BALANCE, 'There is no unspent principal to refund.', { principalFen: 0 });
    try {
      const [doc] = await this.deps.requests.create([
        {
          memberId,
          status: 'requested',
          open: true,
          reason: reason ?? null,
          principalFen: balance.principalFen,
          bonusForfeitFen: 0,
          requestedAt: this.deps.now(),
          decidedAt: null,
          decidedBy: null,
          note: null,
          parts: [],
        },
      ]);
      return this.view(doc!.toObject() as RefundRequestDoc);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AppError(ErrorCode.CONFLICT, 'A refund request is already open.');
      throw error;
    }
  }

  /** The member's open request, else their latest. */
  async latestOf(memberId: Types.ObjectId): Promise<StoredValueRefundRequest | null> {
    const doc = await this.deps.requests.findOne({ memberId }).sort({ open: -1, requestedAt: -1 }).lean<RefundRequestDoc>();
    return doc ? this.view(doc) : null;
  }

  async hasOpen(memberId: Types.ObjectId, session?: ClientSession): Promise<boolean> {
    const query = this.deps.requests.exists({ memberId, open: true });
    if (session) query.session(session);
    return (await query) !== null;
  }

  async list(status: RefundRequestDoc['status'] | undefined, limit = 100): Promise<StoredValueRefundRequest[]> {
    const docs = await this.deps.requests.find(status ? { status } : {}).sort({ requestedAt: -1 }).limit(limit).lean<RefundRequestDoc[]>();
    const cards = await this.deps.members.find({ _id: { $in: docs.map((d) => d.memberId) } }, { cardNo: 1 }).lean<Array<{ _id: Types.ObjectId; cardNo?: string | null }>>();
    const cardOf = new Map(cards.map((m) => [String(m._id), m.cardNo ?? null]));
    return docs.map((doc) => this.view(doc, cardOf.get(String(doc.memberId)) ?? null));
  }

  /**
   * HQ approves: whatever principal is held now is refunded (it may have been spent since the request) and the
   * bonus forfeited as the settings say. 409 if the request was decided already.
   */
  async approve(actor: Actor, requestId: string, id: string, note: string | undefined): Promise<StoredValueRefundRequest> {
    const { connection, requests, payments, topups, ledger, paymentsService, audit, now } = this.deps;
    const settings = await this.deps.settings.getStoredValueSettings();
    const decidedBy = actor.type === 'admin' || actor.type === 'staff' ? actor.staffId : 'unknown';
    const approved = await inTransaction(connection, undefined, async (session) => {
      const at = now();
      const before = await requests
        .findOneAndUpdate({ _id: objectId(id), status: 'requested' }, { $set: { status: 'refunding', decidedAt: at, decidedBy, note: note ?? null } }, { returnDocument: 'before', session })
        .lean<RefundRequestDoc>();
      if (!before) throw new AppError(ErrorCode.CONFLICT, 'This request is not awaiting a decision.');
      const balance = await ledger.balanceOf(before.memberId, session);
      // Newest top-up first: the principal left is most likely what was paid in last.
      const paid = await payments
        .find({ memberId: before.memberId, 'purpose.type': 'topup', status: 'paid' })
        .sort({ paidAt: -1, _id: -1 })
        .session(session)
        .lean<PaymentDoc[]>();
      const orders = await topups.find({ _id: { $in: paid.map((p) => p.purpose.id) } }, { storeId: 1 }).session(session).lean<Array<Pick<TopupDoc, '_id' | 'storeId'>>>();
      const storeOf = new Map(orders.map((o) => [String(o._id), o.storeId]));
      let left = balance.principalFen;
      const parts: RefundRequestDoc['parts'] = [];
      for (const payment of paid) {
        if (left === 0) break;
        const amountFen = Math.min(left, payment.amountFen);
        if (!(await paymentsService.markRefundingPart(payment._id, amountFen, REFUND_REASON, session))) {
          throw new AppError(ErrorCode.CONFLICT, 'A payment changed while approving; try again.');
        }
        await ledger.apply(session, {
          memberId: before.memberId,
          kind: 'principal_refund',
          principalDelta: -amountFen,
          bonusDelta: 0,
          storeId: storeOf.get(String(payment.purpose.id)) ?? null,
          ref: { type: 'refund_request', id: String(before._id) },
          reason: '储值退款（退回微信支付）',
          idempotencyKey: `sv-refund:${String(before._id)}:${String(payment._id)}`,
          actor: `staff:${decidedBy}`,
        });
        parts.push({ paymentId: payment._id, outTradeNo: payment.outTradeNo, amountFen, status: 'refunding' });
        left -= amountFen;
      }
      const principalFen = balance.principalFen - left;
      if (principalFen === 0) throw new AppError(ErrorCode.INSUFFICIENT_BALANCE, 'No principal paid through WeChat Pay is left to refund; reject the request.', { principalFen: balance.principalFen });
      const bonusForfeitFen = bonusForfeitFor({ principalFen: balance.principalFen, bonusFen: balance.bonusFen }, principalFen, settings.bonusForfeit);
      if (bonusForfeitFen > 0) {
        await ledger.apply(session, {
          memberId: before.memberId,
          kind: 'bonus_forfeit',
          principalDelta: 0,
          bonusDelta: -bonusForfeitFen,
          storeId: storeOf.get(String(paid[0]!.purpose.id)) ?? null,
          ref: { type: 'refund_request', id: String(before._id) },
          reason: '退款后赠送金额作废',
          idempotencyKey: `sv-forfeit:${String(before._id)}`,
          actor: `staff:${decidedBy}`,
        });
      }
      const after = await requests
        .findOneAndUpdate({ _id: before._id, status: 'refunding' }, { $set: { principalFen, bonusForfeitFen, parts } }, { returnDocument: 'after', session })
        .lean<RefundRequestDoc>();
      await audit.record(
        actor,
        requestId,
        {
          action: 'stored_value.refund_request.approve',
          targetType: 'member',
          targetId: String(before.memberId),
          memberId: String(before.memberId),
          before: { status: before.status, principalFen: balance.principalFen, bonusFen: balance.bonusFen },
          after: { status: 'refunding', principalFen, bonusForfeitFen, payments: parts.map((p) => ({ outTradeNo: p.outTradeNo, amountFen: p.amountFen })) },
        },
        session,
      );
      return after!;
    });
    for (const part of approved.parts) await paymentsService.issueRefund(part.paymentId);
    const current = await requests.findById(approved._id).lean<RefundRequestDoc>();
    return this.view(current ?? approved);
  }

  async reject(actor: Actor, requestId: string, id: string, note: string | undefined): Promise<StoredValueRefundRequest> {
    const { connection, requests, audit, now } = this.deps;
    const decidedBy = actor.type === 'admin' || actor.type === 'staff' ? actor.staffId : 'unknown';
    const rejected = await inTransaction(connection, undefined, async (session) => {
      const after = await requests
        .findOneAndUpdate(
          { _id: objectId(id), status: 'requested' },
          { $set: { status: 'rejected', open: false, decidedAt: now(), decidedBy, note: note ?? null } },
          { returnDocument: 'after', session },
        )
        .lean<RefundRequestDoc>();
      if (!after) throw new AppError(ErrorCode.CONFLICT, 'This request is not awaiting a decision.');
      await audit.record(
        actor,
        requestId,
        { action: 'stored_value.refund_request.reject', targetType: 'member', targetId: String(after.memberId), memberId: String(after.memberId), before: { status: 'requested' }, after: { status: 'rejected', note: note ?? null } },
        session,
      );
      return after;
    });
    return this.view(rejected);
  }

  /**
   * The payments module's hook: WeChat Pay has the money back with the shopper, in the transaction recording
   * it. The request's part turns refunded; when all are, the request is done. A top-up payment refunded for
   * another reason (an order closed before the money came) belongs to no request and changes nothing here.
   */
  async onPaymentRefunded(payment: PaymentDoc, session: ClientSession): Promise<void> {
    const request = await this.deps.requests.findOne({ 'parts.paymentId': payment._id }).session(session).lean<RefundRequestDoc>();
    if (!request) return;
    const parts = request.parts.map((p) => (String(p.paymentId) === String(payment._id) ? { ...p, status: 'refunded' as const } : p));
    const done = parts.every((p) => p.status === 'refunded');
    await this.deps.requests.updateOne(
      { _id: request._id, status: 'refunding' },
      { $set: { parts, ...(done ? { status: 'refunded', open: false } : {}) } },
      { session },
    );
  }

  /**
   * Called inside the erasure's transaction: refused (422 STORED_VALUE_HELD, saying why and how to get the
   * money back) while principal is held or a refund is under way; bonus alone cannot be paid out, so it is
   * forfeited with the account.
   */
  async beforeErase(memberId: Types.ObjectId, session: ClientSession): Promise<void> {
    const balance = await this.deps.ledger.balanceOf(memberId, session);
    if (balance.principalFen > 0 || (await this.hasOpen(memberId, session))) {
      const held = balance.principalFen > 0 ? `还有储值本金 ${yuanText(balance.principalFen)}` : '有一笔储值退款正在处理';
      throw new AppError(
        ErrorCode.STORED_VALUE_HELD,
        `您的会员卡${held}，暂不能注销。请先在「我的储值」页申请退还余额，总部审核后原路退回您的微信支付，到账后即可注销。`,
        { principalFen: balance.principalFen, bonusFen: balance.bonusFen },
      );
    }
    if (balance.bonusFen > 0) {
      await this.deps.ledger.apply(session, {
        memberId,
        kind: 'bonus_forfeit',
        principalDelta: 0,
        bonusDelta: -balance.bonusFen,
        ref: { type: 'erasure', id: String(memberId) },
        reason: '注销会员卡，赠送金额作废',
        idempotencyKey: `sv-erase:${String(memberId)}`,
        actor: `member:${String(memberId)}`,
      });
    }
  }

  private view(doc: RefundRequestDoc, cardNo: string | null = null): StoredValueRefundRequest {
    return {
      id: String(doc._id),
      memberId: String(doc.memberId),
      cardNo,
      status: doc.status,
      reason: doc.reason,
      principalFen: doc.principalFen,
      bonusForfeitFen: doc.bonusForfeitFen,
      requestedAt: doc.requestedAt.toISOString(),
      decidedAt: doc.decidedAt ? doc.decidedAt.toISOString() : null,
      note: doc.note,
      parts: doc.parts.map((p) => ({ outTradeNo: p.outTradeNo, amountFen: p.amountFen, status: p.status })),
    };
  }
}

/** Fen → "¥1,731.50" for the messages this module writes. */
function yuanText(fen: number): string {
  const [whole, cents] = (fen / 100).toFixed(2).split('.');
  return `¥${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}.${cents}`;
}

function objectId(id: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id) || !/^[0-9a-f]{24}$/i.test(id)) throw new AppError(ErrorCode.NOT_FOUND, 'Not found.');
  return new Types.ObjectId(id);
}
