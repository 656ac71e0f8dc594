import type mongoose from 'mongoose';
import type { ClientSession, Types } from 'mongoose';
import { inTransaction } from '../../lib/transactions';
import {
  WeChatPayApiError,
  WeChatPaySignatureError,
  type RequestPaymentParams,
  type WeChatPayClient,
  type WeChatPayRefundNotice,
  type WeChatPayTransaction,
} from '../../wechat';
import type { PaymentDoc, PaymentPurposeType, PaymentStatus, paymentModel } from './model';

/** The WeChat Pay calls this module makes (the real client, pointed at WeChat Pay or the emulator). */
export type WeChatPayApi = Pick<
  WeChatPayClient,
  'jsapiPrepay' | 'buildRequestPayment' | 'queryByOutTradeNo' | 'closeOrder' | 'refund' | 'queryRefund' | 'verifyAndDecryptNotification'
>;

/** What the module a payment is for does when the money arrives; false = the purpose is gone, refund it. */
export interface PaymentPurposeHandler {
  onPaid(purposeId: Types.ObjectId, session: ClientSession): Promise<boolean>;
  /** The shopper has the money back (WeChat Pay: refund SUCCESS), in the transaction that records it: once per payment. */
  onRefunded?(payment: PaymentDoc, session: ClientSession): Promise<void>;
}

/** A notification we refuse: WeChat Pay gets this status and `{code: "FAIL", message}`, and retries. */
export class NotificationRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'NotificationRefused';
  }
}

export interface PendingPaymentInput {
  purposeId: Types.ObjectId;
  memberId: Types.ObjectId;
  activityId: Types.ObjectId | null;
  /** Default 'signup'. */
  purposeType?: PaymentPurposeType;
  openid: string;
  description: string;
  amountFen: number;
  dueAt: Date;
}

interface Deps {
  connection: mongoose.Connection;
  payments: ReturnType<typeof paymentModel>;
  client: WeChatPayApi;
  appId: string;
  mchId: string;
  now: () => Date;
}

/** How long a payment may sit in one state before the settling job asks WeChat Pay about it. */
export const STALE_PAYMENT_MS = 2 * 60_000;

const PAYABLE: PaymentStatus[] = ['pending', 'closing', 'closed'];
const SETTLED_PAID: PaymentStatus[] = ['paid', 'refunding', 'refunded', 'refund_failed'];

/**
 * WeChat Pay JSAPI orders for paid sign-ups. State changes are conditional updates on the previous state,
 * so notifications (which WeChat Pay repeats until it gets a 2xx), the query job and the close/refund calls
 * can all race and each change still happens once. Provider calls are never made inside a transaction:
 * the caller commits its intent (a pending, closing or refunding payment) first, then the call is made,
 * and the settling job retries whatever a crash or an outage left half-done.
 */
export class PaymentsService {
  readonly purposes: Partial<Record<PaymentPurposeType, PaymentPurposeHandler>> = {};

  constructor(private readonly deps: Deps) {}

  /** In the caller's transaction: records the order for a held seat; `prepay` places it after commit. */
  async createPending(input: PendingPaymentInput, session: ClientSession): Promise<PaymentDoc> {
    const at = this.deps.now();
    const suffix = String(input.purposeId);
    const type = input.purposeType ?? 'signup';
    const [tradePrefix, refundPrefix] = type === 'topup' ? ['TU', 'TR'] : ['SU', 'RF'];
    const [payment] = await this.deps.payments.create(
      [
        {
          outTradeNo: `${tradePrefix}${suffix}`,
          outRefundNo: `${refundPrefix}${suffix}`,
          purpose: { type, id: input.purposeId },
          memberId: input.memberId,
          activityId: input.activityId,
          openid: input.openid,
          description: input.description.slice(0, 120),
          amountFen: input.amountFen,
          status: 'pending',
          dueAt: input.dueAt,
          createdAt: at,
          updatedAt: at,
        },
      ],
      { session },
    );
    return payment!.toObject();
  }

  /**
   * Places the JSAPI order (once: the prepay_id is kept, and WeChat Pay answers a repeated order with the
   * same prepay_id) and signs fresh wx.requestPayment parameters.
   */
  async prepay(paymentId: Types.ObjectId): Promise<RequestPaymentParams> {
    const { payments, client } = this.deps;
    const payment = await payments.findById(paymentId).lean<PaymentDoc>();
    if (!payment || payment.status !== 'pending') throw new Error(`payment ${String(paymentId)} is not awaiting payment`);
    if (payment.prepayId) return client.buildRequestPayment(payment.prepayId);
    const { prepayId, requestPayment } = await client.jsapiPrepay({
      outTradeNo: payment.outTradeNo,
      description: payment.description,
      amountFen: payment.amountFen,
      openid: payment.openid,
      timeExpire: chinaRfc3339(payment.dueAt),
      attach: `${payment.purpose.type}:${String(payment.purpose.id)}`,
    });
    await payments.updateOne({ _id: payment._id, prepayId: null }, { $set: { prepayId, updatedAt: this.deps.now() } });
    return requestPayment;
  }

  requestPaymentParams(prepayId: string): RequestPaymentParams {
    return this.deps.client.buildRequestPayment(prepayId);
  }

  async forPurpose(purposeId: Types.ObjectId, type: PaymentPurposeType = 'signup'): Promise<PaymentDoc | null> {
    return this.deps.payments.findOne({ 'purpose.type': type, 'purpose.id': purposeId }).lean<PaymentDoc>();
  }

  async forPurposes(purposeIds: Types.ObjectId[]): Promise<Map<string, PaymentDoc>> {
    const docs = await this.deps.payments.find({ 'purpose.type': 'signup', 'purpose.id': { $in: purposeIds } }).lean<PaymentDoc[]>();
    return new Map(docs.map((doc) => [String(doc.purpose.id), doc]));
  }

  // ---- notifications ----

  /**
   * Verifies (platform signature), decrypts (APIv3 key) and applies one notification. Throws
   * NotificationRefused for anything WeChat Pay must be told to retry or that is not genuine.
   */
  async handleNotification(headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<string> {
    let notification;
    try {
      notification = await this.deps.client.verifyAndDecryptNotification<Record<string, unknown>>(headers, rawBody);
    } catch (error) {
      if (error instanceof WeChatPaySignatureError) throw new NotificationRefused(401, `${error.reason}: ${error.message}`);
      throw error;
    }
    if (notification.originalType === 'transaction' || notification.eventType.startsWith('TRANSACTION.')) {
      const outcome = await this.settleTransaction(notification.resource as unknown as WeChatPayTransaction, notification.id);
      return `${notification.eventType} ${outcome}`;
    }
    if (notification.originalType === 'refund' || notification.eventType.startsWith('REFUND.')) {
      const outcome = await this.settleRefund(notification.resource as unknown as WeChatPayRefundNotice);
      return `${notification.eventType} ${outcome}`;
    }
    throw new NotificationRefused(400, `unknown event_type ${notification.eventType}`);
  }

  /**
   * Applies a transaction as WeChat Pay reports it (notification or query answer). A SUCCESS for an order
   * we still want confirms its purpose; for one whose seat was already released it is refunded.
   */
  async settleTransaction(transaction: WeChatPayTransaction, notificationId?: string): Promise<'paid' | 'paid-refunding' | 'already-settled' | 'not-paid'> {
    const { payments, connection, now } = this.deps;
    const known = await payments.findOne({ outTradeNo: transaction.out_trade_no }).lean<PaymentDoc>();
    if (!known) throw new NotificationRefused(404, `unknown out_trade_no ${String(transaction.out_trade_no)}`);
    if (transaction.mchid !== this.deps.mchId || transaction.appid !== this.deps.appId) {
      throw new NotificationRefused(400, `mchid/appid ${transaction.mchid}/${transaction.appid} are not ours`);
    }
    if (transaction.amount?.total !== known.amountFen) {
      throw new NotificationRefused(400, `amount ${String(transaction.amount?.total)} does not match the order's ${known.amountFen} fen`);
    }
    if (transaction.trade_state !== 'SUCCESS') return 'not-paid';
    if (SETTLED_PAID.includes(known.status)) return 'already-settled';

    const outcome = await inTransaction(connection, undefined, async (session) => {
      const at = now();
      const paid = await payments
        .findOneAndUpdate(
          { _id: known._id, status: { $in: PAYABLE } },
          {
            $set: { status: 'paid', transactionId: transaction.transaction_id ?? null, paidAt: at, updatedAt: at, lastError: null },
            ...(notificationId ? { $push: { notificationIds: notificationId } } : {}),
          },
          { returnDocument: 'after', session },
        )
        .lean<PaymentDoc>();
      if (!paid) return 'already-settled' as const;
      const handler = this.purposes[paid.purpose.type];
      const kept = handler ? await handler.onPaid(paid.purpose.id, session) : false;
      if (kept) return 'paid' as const;
      await this.markRefunding({ _id: paid._id }, 'seat released before the payment arrived', session);
      return 'paid-refunding' as const;
    });
    if (outcome === 'paid-refunding') await this.issueRefund(known._id);
    return outcome;
  }

  async settleRefund(notice: WeChatPayRefundNotice): Promise<'refunded' | 'refund-failed' | 'already-settled' | 'not-ours'> {
    const { payments, now } = this.deps;
    const payment = await payments.findOne({ outTradeNo: notice.out_trade_no }).lean<PaymentDoc>();
    if (!payment) throw new NotificationRefused(404, `unknown out_trade_no ${String(notice.out_trade_no)}`);
    if (notice.mchid !== this.deps.mchId) throw new NotificationRefused(400, `mchid ${notice.mchid} is not ours`);
    if (notice.out_refund_no !== payment.outRefundNo) throw new NotificationRefused(404, `unknown out_refund_no ${notice.out_refund_no}`);
    const refundFen = payment.refund?.amountFen ?? payment.amountFen;
    if (notice.amount?.refund !== refundFen) {
      throw new NotificationRefused(400, `refund amount ${String(notice.amount?.refund)} does not match ${refundFen} fen`);
    }
    if (payment.status !== 'refunding') return payment.status === 'refunded' || payment.status === 'refund_failed' ? 'already-settled' : 'not-ours';
    if (notice.refund_status === 'PROCESSING') return 'not-ours';
    const at = now();
    const success = notice.refund_status === 'SUCCESS';
    // ABNORMAL: the money left our account but the shopper's card refused it; CLOSED: no money moved.
    // Either way the shopper is still owed: HQ is alerted and acts in the merchant platform (README).
    const alertKind = notice.refund_status === 'ABNORMAL' ? 'refund_abnormal' : notice.refund_status === 'CLOSED' ? 'refund_closed' : null;
    // The purpose hears of a refund in the same transaction (it tells the shopper), so a repeated notification
    // or a racing query finds it settled and tells no one twice.
    return inTransaction(this.deps.connection, undefined, async (session) => {
      const settled = await payments
        .findOneAndUpdate(
          { _id: payment._id, status: 'refunding' },
          {
            $set: {
              status: success ? 'refunded' : 'refund_failed',
              'refund.refundId': notice.refund_id,
              'refund.providerStatus': notice.refund_status,
              'refund.succeededAt': success ? at : null,
              ...(alertKind ? { alert: { kind: alertKind, raisedAt: at, resolvedAt: null, resolvedBy: null, note: null } } : {}),
              updatedAt: at,
            },
          },
          { returnDocument: 'after', session },
        )
        .lean<PaymentDoc>();
      if (!settled) return 'already-settled' as const;
      if (!success) return 'refund-failed' as const;
      await this.purposes[settled.purpose.type]?.onRefunded?.(settled, session);
      return 'refunded' as const;
    });
  }

  // ---- alerts for HQ ----

  /** Refunds WeChat Pay ended ABNORMAL or CLOSED that HQ has not yet marked handled, newest first. */
  async openAlerts(limit = 100): Promise<PaymentDoc[]> {
    return this.deps.payments
      .find({ 'alert.kind': { $in: ['refund_abnormal', 'refund_closed'] }, 'alert.resolvedAt': null })
      .sort({ 'alert.raisedAt': -1 })
      .limit(limit)
      .lean<PaymentDoc[]>();
  }

  /**
   * HQ marks an alert handled (refunded by hand in the merchant platform); once only. Null if no open alert.
   * `record` writes the audit entry in the same transaction, so an alert is never resolved without one.
   */
  async resolveAlert(
    paymentId: Types.ObjectId | string,
    by: string,
    note: string,
    record: (resolved: { before: PaymentDoc; after: PaymentDoc }, session: ClientSession) => Promise<void>,
  ): Promise<{ before: PaymentDoc; after: PaymentDoc } | null> {
    return inTransaction(this.deps.connection, undefined, async (session) => {
      const at = this.deps.now();
      const before = await this.deps.payments.findOne({ _id: paymentId, 'alert.kind': { $exists: true }, 'alert.resolvedAt': null }).session(session).lean<PaymentDoc>();
      if (!before?.alert) return null;
      const after = await this.deps.payments
        .findOneAndUpdate(
          { _id: paymentId, 'alert.resolvedAt': null, 'alert.kind': before.alert.kind },
          { $set: { 'alert.resolvedAt': at, 'alert.resolvedBy': by, 'alert.note': note, updatedAt: at } },
          { returnDocument: 'after', session },
        )
        .lean<PaymentDoc>();
      if (!after) return null;
      await record({ before, after }, session);
      return { before, after };
    });
  }

  // ---- closing and refunding (intent in the caller's transaction, provider call after commit) ----

  /** In the caller's transaction: paid payments matching `filter` are to be refunded. Returns their ids. */
  async markRefunding(filter: Record<string, unknown>, reason: string, session: ClientSession): Promise<Types.ObjectId[]> {
    const { payments, now } = this.deps;
    const due = await payments.find({ ...filter, status: 'paid' }, { _id: 1 }).session(session).lean<Pick<PaymentDoc, '_id'>[]>();
    if (due.length === 0) return [];
    const at = now();
    await payments.updateMany(
      { _id: { $in: due.map((d) => d._id) }, status: 'paid' },
      { $set: { status: 'refunding', refund: { reason, requestedAt: at, refundId: null, providerStatus: null, succeededAt: null }, updatedAt: at } },
      { session },
    );
    return due.map((d) => d._id);
  }

  /**
   * In the caller's transaction: `amountFen` of one paid payment is to be refunded (a stored-value top-up's
   * unspent principal). A payment is refunded once, whole or in part. False if it is no longer paid.
   */
  async markRefundingPart(paymentId: Types.ObjectId, amountFen: number, reason: string, session: ClientSession): Promise<boolean> {
    const at = this.deps.now();
    const marked = await this.deps.payments.updateOne(
      { _id: paymentId, status: 'paid', amountFen: { $gte: amountFen } },
      { $set: { status: 'refunding', refund: { reason, requestedAt: at, amountFen, refundId: null, providerStatus: null, succeededAt: null }, updatedAt: at } },
      { session },
    );
    return marked.modifiedCount === 1;
  }

  /** In the caller's transaction: unpaid orders matching `filter` are to be closed at WeChat Pay. */
  async markClosing(filter: Record<string, unknown>, session: ClientSession): Promise<Types.ObjectId[]> {
    const { payments, now } = this.deps;
    const due = await payments.find({ ...filter, status: 'pending' }, { _id: 1 }).session(session).lean<Pick<PaymentDoc, '_id'>[]>();
    if (due.length === 0) return [];
    await payments.updateMany({ _id: { $in: due.map((d) => d._id) }, status: 'pending' }, { $set: { status: 'closing', updatedAt: now() } }, { session });
    return due.map((d) => d._id);
  }

  /** Asks WeChat Pay to refund a payment in `refunding`; safe to repeat (the out_refund_no is fixed). */
  async issueRefund(paymentId: Types.ObjectId): Promise<void> {
    const { payments, client, now } = this.deps;
    const payment = await payments.findById(paymentId).lean<PaymentDoc>();
    if (!payment || payment.status !== 'refunding') return;
    try {
      const refund = await client.refund({
        outTradeNo: payment.outTradeNo,
        outRefundNo: payment.outRefundNo,
        refundFen: payment.refund?.amountFen ?? payment.amountFen,
        totalFen: payment.amountFen,
        reason: refundReasonForShopper(payment.refund?.reason),
      });
      await payments.updateOne(
        { _id: payment._id, status: 'refunding' },
        { $set: { 'refund.refundId': refund.refund_id, 'refund.providerStatus': refund.status, lastError: null, updatedAt: now() } },
      );
      await this.settleRefundAnswer(refund);
    } catch (error) {
      await payments.updateOne({ _id: payment._id }, { $set: { lastError: describe(error) } });
    }
  }

  /**
   * Closes an unpaid order at WeChat Pay so the shopper can no longer pay it. Answers 'closed', or 'paid'
   * when the shopper paid after all (then settled as paid), or 'retry' when WeChat Pay could not be asked.
   */
  async closeAtProvider(paymentId: Types.ObjectId): Promise<'closed' | 'paid' | 'retry'> {
    const { payments, client, now } = this.deps;
    const payment = await payments.findById(paymentId).lean<PaymentDoc>();
    if (!payment) return 'closed';
    if (payment.status === 'closed') return 'closed';
    if (SETTLED_PAID.includes(payment.status)) return 'paid';
    if (payment.prepayId) {
      try {
        await client.closeOrder(payment.outTradeNo);
      } catch (error) {
        if (error instanceof WeChatPayApiError && error.code === 'ORDERPAID') {
          // Paid after all: settle it now, or leave it for the settling job if WeChat Pay cannot be asked.
          try {
            await this.settleTransaction(await client.queryByOutTradeNo(payment.outTradeNo));
            return 'paid';
          } catch (settleError) {
            await payments.updateOne({ _id: payment._id }, { $set: { lastError: describe(settleError) } });
            return 'retry';
          }
        }
        if (!(error instanceof WeChatPayApiError && error.code === 'ORDER_NOT_EXIST')) {
          await payments.updateOne({ _id: payment._id }, { $set: { lastError: describe(error) } });
          return 'retry';
        }
      }
    }
    const at = now();
    const closed = await payments.updateOne({ _id: payment._id, status: { $in: ['pending', 'closing'] } }, { $set: { status: 'closed', closedAt: at, updatedAt: at, lastError: null } });
    if (closed.modifiedCount === 1) return 'closed';
    const after = await payments.findById(paymentId).lean<PaymentDoc>();
    return after && SETTLED_PAID.includes(after.status) ? 'paid' : 'closed';
  }

  /**
   * Settles a refund from WeChat Pay's answer about it (a refund request's or a query's) unless it is still
   * processing, as its notification would. Answers whether it was settled.
   */
  private async settleRefundAnswer(refund: Awaited<ReturnType<WeChatPayClient['queryRefund']>>): Promise<boolean> {
    if (refund.status === 'PROCESSING') return false;
    await this.settleRefund({
      mchid: this.deps.mchId,
      out_trade_no: refund.out_trade_no,
      transaction_id: refund.transaction_id,
      out_refund_no: refund.out_refund_no,
      refund_id: refund.refund_id,
      refund_status: refund.status,
      amount: { total: refund.amount.total, refund: refund.amount.refund, payer_total: refund.amount.payer_total ?? refund.amount.total, payer_refund: refund.amount.payer_refund ?? refund.amount.refund },
    });
    return true;
  }

  // ---- the settling job ----

  /**
   * For notifications that never came: asks WeChat Pay about orders pending for a while (paid → settled),
   * finishes closes and refunds that failed or whose notification is overdue.
   */
  async settleStalePayments(): Promise<{ processed: number }> {
    const { payments, client, now } = this.deps;
    const cutoff = new Date(now().getTime() - STALE_PAYMENT_MS);
    let processed = 0;
    const pending = await payments.find({ status: 'pending', prepayId: { $ne: null }, createdAt: { $lte: cutoff } }).limit(200).lean<PaymentDoc[]>();
    for (const payment of pending) {
      try {
        const transaction = await client.queryByOutTradeNo(payment.outTradeNo);
        await payments.updateOne({ _id: payment._id }, { $set: { lastQueriedAt: now() } });
        if ((await this.settleTransaction(transaction)) !== 'not-paid') processed += 1;
      } catch (error) {
        await payments.updateOne({ _id: payment._id }, { $set: { lastError: describe(error), lastQueriedAt: now() } });
      }
    }
    const closing = await payments.find({ status: 'closing' }).limit(200).lean<PaymentDoc[]>();
    for (const payment of closing) {
      if ((await this.closeAtProvider(payment._id)) !== 'retry') processed += 1;
    }
    const refunding = await payments.find({ status: 'refunding', 'refund.requestedAt': { $lte: cutoff } }).limit(200).lean<PaymentDoc[]>();
    for (const payment of refunding) {
      if (!payment.refund?.refundId) {
        await this.issueRefund(payment._id);
      } else {
        try {
          if (!(await this.settleRefundAnswer(await client.queryRefund(payment.outRefundNo)))) continue;
        } catch (error) {
          await payments.updateOne({ _id: payment._id }, { $set: { lastError: describe(error) } });
          continue;
        }
      }
      processed += 1;
    }
    return { processed };
  }

  // ---- reconciliation ----

  /** Compares every payment with the provider's order state; one line per mismatch. */
  async reconcile(): Promise<string[]> {
    const { payments, client } = this.deps;
    const mismatches: string[] = [];
    const expected: Record<PaymentStatus, string[]> = {
      pending: ['NOTPAY', 'USERPAYING'],
      closing: ['NOTPAY', 'CLOSED'],
      closed: ['CLOSED'],
      paid: ['SUCCESS'],
      refunding: ['REFUND'],
      refunded: ['REFUND'],
      refund_failed: ['REFUND', 'SUCCESS'],
    };
    for await (const payment of payments.find({}).sort({ createdAt: 1 }).lean<PaymentDoc[]>().cursor() as AsyncIterable<PaymentDoc>) {
      const label = `${payment.outTradeNo} (ours: ${payment.status}, ${payment.amountFen} fen)`;
      let provider: WeChatPayTransaction | null = null;
      try {
        provider = await client.queryByOutTradeNo(payment.outTradeNo);
      } catch (error) {
        if (!(error instanceof WeChatPayApiError && error.code === 'ORDER_NOT_EXIST')) {
          mismatches.push(`${label}: provider query failed: ${describe(error)}`);
          continue;
        }
      }
      if (!provider) {
        if (payment.prepayId || !['pending', 'closing', 'closed'].includes(payment.status)) mismatches.push(`${label}: the provider has no such order`);
        continue;
      }
      if (!expected[payment.status].includes(provider.trade_state)) mismatches.push(`${label}: provider says ${provider.trade_state}`);
      if (provider.amount?.total !== payment.amountFen) mismatches.push(`${label}: provider amount is ${String(provider.amount?.total)} fen`);
      if (payment.transactionId && provider.transaction_id && provider.transaction_id !== payment.transactionId) {
        mismatches.push(`${label}: provider transaction ${provider.transaction_id}, ours ${payment.transactionId}`);
      }
    }
    return mismatches;
  }
}

/**
 * WeChat Pay shows the refund reason to the shopper (in the refund notice and the bill), so it is Chinese;
 * our own records keep the internal reason.
 */
const REFUND_REASONS_FOR_SHOPPER: Record<string, string> = {
  'activity cancelled': '活动取消退款',
  'member cancelled': '会员取消报名退款',
  'seat released before the payment arrived': '报名名额已释放，支付款退回',
  'stored value refund': '储值余额退款',
  'top-up closed before the payment arrived': '充值订单已关闭，支付款退回',
};

export function refundReasonForShopper(reason: string | undefined): string {
  return (reason && REFUND_REASONS_FOR_SHOPPER[reason]) || '活动报名费退款';
}

/** WeChat Pay's RFC 3339 in China time, e.g. 2024-06-08T10:34:56+08:00. */
export function chinaRfc3339(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
}
