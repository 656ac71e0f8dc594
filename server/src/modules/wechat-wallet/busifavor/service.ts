import { ErrorCode } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { AppError, errors } from '../../../lib/errors';
import type { Actor } from '../../../lib/requestContext';
import { inTransaction } from '../../../lib/transactions';
import { WeChatPayApiError, WeChatPaySignatureError, type WeChatPayClient } from '../../../wechat';
import type { AuditService } from '../../audit/service';
import type { CouponDoc, CouponTemplateDoc, couponModel, couponTemplateModel } from '../../coupons/model';
import type { RedemptionService } from '../../coupons/redemptions';
import type { memberModel } from '../../members/model';
import { NotificationRefused } from '../../payments/service';
import type { WalletCouponDoc, WalletOp, WalletOpKind, WalletStockDoc, walletCouponModel, walletStockModel } from './model';
import { pluginSign, refusalReason, type SendCouponParam } from './plugin';
import { chinaRfc3339, stockBody, stockUpdateBody, type StockBranding } from './stock';

// WeChat Pay merchant coupons (商家券) for templates HQ puts into WeChat wallets. Our coupon stays the truth:
// - HQ's switch creates the template's stock in WeChat and the job keeps it in step with the template.
// - A member's coupon goes into the wallet through the mini-program's send-coupon plugin, with parameters this
//   service signs on request (any channel issued the coupon: the tap is the member's, WeChat requires it); the
//   coupon's id is its code in WeChat, so every event names our coupon. WeChat confirms with COUPON.SEND.
// - Used through WeChat Pay (COUPON.USE): redeemed in our ledger through RedemptionService.redeemWith in the same
//   transaction as the wallet record's conditional move to `used`, so a parallel scan at our counter and any
//   number of repeated notifications make one redemption.
// - Used at our counter, reversed, revoked or expired here: the job's sweep sees the coupon's new state and
//   queues the call WeChat must get (use, return, deactivate) on the wallet record (the outbox), sent with a fixed
//   request number and retried with back-off; failures are shown to HQ with a retry.

export type BusifavorPayApi = Pick<WeChatPayClient, 'v3Request' | 'verifyAndDecryptNotification'>;

export interface BusifavorMerchant {
  appId: string;
  mchId: string;
  /** The API v2 key the send-coupon plugin's signature needs; null: not configured (sending into wallets is refused). */
  apiV2Key: string | null;
  /** Where WeChat posts busifavor events (https, no query). */
  notifyUrl: string | null;
  /** Shown on the coupon in the wallet. */
  merchantName: string;
}

interface Deps {
  connection: mongoose.Connection;
  stocks: ReturnType<typeof walletStockModel>;
  walletCoupons: ReturnType<typeof walletCouponModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  coupons: ReturnType<typeof couponModel>;
  members: ReturnType<typeof memberModel>;
  redemptions: RedemptionService;
  audit: AuditService;
  client: BusifavorPayApi;
  merchant: BusifavorMerchant;
  /** Logo and colour from the brand settings when they exist; the merchant name otherwise. */
  branding?: () => Promise<Partial<StockBranding>>;
  now: () => Date;
}

/** Who redeems a coupon used through WeChat Pay: WeChat Pay itself, at no store of ours. */
export const WECHAT_PAY_REDEEMER = { type: 'staff', staffId: 'wechat-pay', role: 'clerk', storeId: 'WECHAT_PAY', sessionId: 'wechat-pay-notification' } as const;

/** Automatic attempts before an op or a stock waits for HQ's retry. */
export const MAX_AUTO_ATTEMPTS = 8;
const SWEEP_PAGE = 500;

export interface WalletTemplateStatus {
  templateId: string;
  enabled: boolean;
  stockId: string | null;
  stockStatus: 'off' | 'pending' | 'synced' | 'failed';
  stockError: string | null;
  offered: number;
  inWallet: number;
  usedViaWechatPay: number;
  usedAtCounter: number;
  refused: number;
  refusals: Array<{ reason: string; count: number }>;
  conflicts: number;
  failures: Array<{ couponId: string; kind: WalletOpKind; attempts: number; lastError: string | null; at: string }>;
  failureCount: number;
  pendingCount: number;
}

export interface WalletSendAnswer {
  couponId: string;
  state: WalletCouponDoc['state'];
  refusalReason: string | null;
  /** The WeChat user the coupon goes to (the member's own openid): the H5 demo hands it to the emulated plugin. */
  openid: string;
  /** The send-coupon plugin's attributes, while WeChat may still take the coupon. */
  plugin: { send_coupon_params: SendCouponParam[]; send_coupon_merchant: string; sign: string } | null;
}

type Outcome = 'sent' | 'used' | 'already-applied' | 'conflict' | 'ignored';

export class WalletCoupons {
  private callbacksSet: Promise<void> | null = null;

  constructor(private readonly deps: Deps) {}

  // ---- HQ: the switch, the stock, the figures ----

  async setEnabled(actor: Actor, requestId: string, templateId: string, enabled: boolean): Promise<WalletTemplateStatus> {
    const { stocks, templates, now } = this.deps;
    const id = objectId(templateId, 'No such coupon template.');
    const template = await templates.findById(id).lean<CouponTemplateDoc>();
    if (!template) throw errors.notFound('No such coupon template.');
    if (enabled && !this.deps.merchant.notifyUrl) throw new AppError(ErrorCode.CONFLICT, 'WeChat Pay merchant coupons are not configured (PUBLIC_BASE_URL).');
    const at = now();
    const before = await stocks.findById(id).lean<WalletStockDoc>();
    await stocks.updateOne(
      { _id: id },
      {
        $set: { enabled, updatedAt: at, ...(enabled && before?.status !== 'synced' ? { status: 'pending', nextAttemptAt: at, attempts: 0 } : {}) },
        $setOnInsert: { stockId: null, outRequestNo: `MCT${String(id)}`, syncedTemplateAt: null, syncedQuantity: null, lastError: null, createdAt: at, ...(enabled ? {} : { status: 'pending', nextAttemptAt: at, attempts: 0 }) },
      },
      { upsert: true },
    );
    await this.deps.audit.record(actor, requestId, {
      // The switch is part of the template as HQ sees it, so it is audited as a template change.
      action: 'coupon_template.update', targetType: 'coupon_template', targetId: String(id),
      before: { inWechatWallet: before?.enabled ?? false }, after: { inWechatWallet: enabled },
    });
    if (enabled) await this.syncStock(id);
    return this.status(templateId);
  }

  /** HQ's retry: the stock and every failed op of the template are tried again now. */
  async retry(actor: Actor, requestId: string, templateId: string): Promise<WalletTemplateStatus> {
    const { stocks, walletCoupons, now } = this.deps;
    const id = objectId(templateId, 'No such coupon template.');
    const at = now();
    const stockBefore = await stocks.findById(id, { status: 1 }).lean<Pick<WalletStockDoc, 'status'>>();
    // What the job has not looked at yet is queued (and tried) first, so the retry leaves everything in step.
    await this.sweep();
    await stocks.updateOne({ _id: id, enabled: true, status: 'failed' }, { $set: { status: 'pending', attempts: 0, nextAttemptAt: at } });
    const failed = await walletCoupons.find({ templateId: id, 'op.status': 'failed' }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
    await walletCoupons.updateMany({ templateId: id, 'op.status': 'failed' }, { $set: { 'op.status': 'pending', 'op.attempts': 0, 'op.nextAttemptAt': at } });
    await this.deps.audit.record(actor, requestId, { action: 'coupon_template.update', targetType: 'coupon_template', targetId: String(id), before: { wechatWalletFailures: failed.length, stockStatus: stockBefore?.status ?? null }, after: { wechatWalletRetried: true } });
    await this.syncStock(id);
    for (const { _id } of failed) await this.runOp(_id);
    return this.status(templateId);
  }

  async status(templateId: string): Promise<WalletTemplateStatus> {
    const { stocks, walletCoupons } = this.deps;
    const id = objectId(templateId, 'No such coupon template.');
    if (!(await this.deps.templates.exists({ _id: id }))) throw errors.notFound('No such coupon template.');
    const stock = await stocks.findById(id).lean<WalletStockDoc>();
    const counts = await walletCoupons.aggregate<{ _id: { state: string; usedVia: string | null }; n: number }>([
      { $match: { templateId: id } },
      { $group: { _id: { state: '$state', usedVia: '$usedVia' }, n: { $sum: 1 } } },
    ]);
    const count = (state: string, usedVia?: string) => counts.filter((c) => c._id.state === state && (usedVia === undefined || c._id.usedVia === usedVia)).reduce((sum, c) => sum + c.n, 0);
    const refusals = await walletCoupons.aggregate<{ _id: string; n: number }>([
      { $match: { templateId: id, state: 'refused' } },
      { $group: { _id: '$refusal.reason', n: { $sum: 1 } } },
      { $sort: { n: -1 } },
    ]);
    const failures = await walletCoupons.find({ templateId: id, 'op.status': 'failed' }).sort({ updatedAt: -1 }).limit(20).lean<WalletCouponDoc[]>();
    return {
      templateId: String(id),
      enabled: stock?.enabled ?? false,
      stockId: stock?.stockId ?? null,
      stockStatus: !stock?.enabled ? 'off' : stock.status,
      stockError: stock?.enabled ? stock.lastError : null,
      offered: count('offered'),
      inWallet: count('in_wallet'),
      usedViaWechatPay: count('used', 'wechat_pay'),
      usedAtCounter: count('used', 'counter'),
      refused: count('refused'),
      refusals: refusals.map((r) => ({ reason: r._id, count: r.n })),
      conflicts: await walletCoupons.countDocuments({ templateId: id, conflict: { $ne: null } }),
      failures: failures.map((f) => ({ couponId: String(f._id), kind: f.op!.kind, attempts: f.op!.attempts, lastError: f.op!.lastError, at: f.updatedAt.toISOString() })),
      failureCount: await walletCoupons.countDocuments({ templateId: id, 'op.status': 'failed' }),
      pendingCount: await walletCoupons.countDocuments({ templateId: id, 'op.status': 'pending' }),
    };
  }

  /**
   * Creates the template's stock in WeChat, or brings it in step with the template (quantity, name, notes).
   * Never throws for WeChat's refusals: they are kept on the stock for HQ and the job.
   */
  async syncStock(templateId: Types.ObjectId): Promise<WalletStockDoc | null> {
    const { stocks, templates, client, merchant, now } = this.deps;
    const stock = await stocks.findById(templateId).lean<WalletStockDoc>();
    const template = await templates.findById(templateId).lean<CouponTemplateDoc>();
    if (!stock?.enabled || !template) return stock;
    if (stock.stockId && stock.status === 'synced' && stock.syncedTemplateAt?.getTime() === template.updatedAt.getTime()) return stock;
    const at = now();
    const branding = await this.branding();
    try {
      if (!stock.stockId) {
        await this.ensureCallbacks();
        const created = await client.v3Request<{ stock_id: string }>(
          'POST', '/v3/marketing/busifavor/stocks',
          stockBody(template, { mchId: merchant.mchId, appId: merchant.appId, outRequestNo: stock.outRequestNo, at, branding }), 'busifavor.stocks',
        );
        await stocks.updateOne({ _id: templateId, stockId: null }, { $set: { stockId: created.stock_id, syncedQuantity: template.totalQuantity } });
        stock.stockId = created.stock_id;
        stock.syncedQuantity = template.totalQuantity;
      } else {
        if (stock.syncedQuantity !== template.totalQuantity) {
          await client.v3Request('PATCH', `/v3/marketing/busifavor/stocks/${encodeURIComponent(stock.stockId)}/budget`, {
            target_max_coupons: template.totalQuantity,
            ...(stock.syncedQuantity !== null ? { current_max_coupons: stock.syncedQuantity } : {}),
            modify_budget_request_no: `MCB${String(templateId)}${template.updatedAt.getTime().toString(36)}`,
          }, 'busifavor.budget');
        }
        await client.v3Request('PATCH', `/v3/marketing/busifavor/stocks/${encodeURIComponent(stock.stockId)}`, stockUpdateBody(template, {
          requestNo: `MCU${String(templateId)}${template.updatedAt.getTime().toString(36)}`, branding,
        }), 'busifavor.stock_update');
      }
      return stocks
        .findOneAndUpdate(
          { _id: templateId },
          { $set: { status: 'synced', syncedTemplateAt: template.updatedAt, syncedQuantity: template.totalQuantity, attempts: 0, lastError: null, updatedAt: now() } },
          { returnDocument: 'after' },
        )
        .lean<WalletStockDoc>();
    } catch (error) {
      const attempts = stock.attempts + 1;
      return stocks
        .findOneAndUpdate(
          { _id: templateId },
          { $set: { status: 'failed', attempts, lastError: describe(error), nextAttemptAt: backoff(now(), attempts), updatedAt: now() } },
          { returnDocument: 'after' },
        )
        .lean<WalletStockDoc>();
    }
  }

  // ---- the member: sending into the wallet ----

  /** The send-coupon plugin's signed parameters for the member's coupon (or its wallet state once settled). */
  async sendParams(memberId: string, couponId: string): Promise<WalletSendAnswer> {
    const { coupons, stocks, members, walletCoupons, merchant, now } = this.deps;
    const coupon = await coupons.findById(objectId(couponId, 'No such coupon.')).lean<CouponDoc>();
    if (!coupon || String(coupon.memberId) !== memberId) throw errors.notFound('No such coupon.');
    const existing = await walletCoupons.findById(coupon._id).lean<WalletCouponDoc>();
    if (existing && !['offered', 'refused'].includes(existing.state)) return sendAnswer(existing, null);
    if (coupon.status !== 'issued') throw new AppError(ErrorCode.CONFLICT, 'Only an unused coupon can go into the WeChat wallet.');
    const stock = await stocks.findById(coupon.templateId).lean<WalletStockDoc>();
    if (!stock?.enabled || !stock.stockId) throw new AppError(ErrorCode.CONFLICT, 'This coupon cannot go into the WeChat wallet (not offered, or WeChat is not ready yet).');
    if (!merchant.apiV2Key) throw new AppError(ErrorCode.CONFLICT, 'WeChat Pay merchant coupons are not configured (API v2 key).');
    const member = await members.findById(coupon.memberId, { openid: 1 }).lean<{ openid?: string | null }>();
    if (!member?.openid) throw new AppError(ErrorCode.CONFLICT, 'This member has no WeChat account to send the coupon to.');
    const at = now();
    const record = await walletCoupons
      .findOneAndUpdate(
        { _id: coupon._id },
        {
          $setOnInsert: {
            templateId: coupon.templateId, memberId: coupon.memberId, stockId: stock.stockId, openid: member.openid, outRequestNo: `MC${String(coupon._id)}`,
            state: 'offered', usedVia: null, refusal: null, sentAt: null, usedAt: null, transactionId: null, conflict: null, op: null, createdAt: at, updatedAt: at,
          },
        },
        { upsert: true, returnDocument: 'after' },
      )
      .lean<WalletCouponDoc>();
    const params: SendCouponParam[] = [{ stock_id: record!.stockId, out_request_no: record!.outRequestNo, coupon_code: String(coupon._id) }];
    return sendAnswer(record!, { send_coupon_params: params, send_coupon_merchant: merchant.mchId, sign: pluginSign(params, merchant.mchId, merchant.apiV2Key) });
  }

  /**
   * What the plugin told the member (bind:sendcoupon). A refusal is kept with its Chinese reason; success is only
   * believed from WeChat's signed COUPON.SEND, so this never marks a coupon as in the wallet.
   */
  async reportSendResult(memberId: string, couponId: string, result: { code: string; message?: string }): Promise<WalletSendAnswer> {
    const { walletCoupons, now } = this.deps;
    const id = objectId(couponId, 'No such coupon.');
    const record = await walletCoupons.findById(id).lean<WalletCouponDoc>();
    if (!record || String(record.memberId) !== memberId) throw errors.notFound('No such coupon in the WeChat wallet flow.');
    if (result.code === 'SUCCESS') return sendAnswer(record, null);
    const refusal = { code: result.code.slice(0, 40), reason: refusalReason(result.code, result.message) };
    const updated = await walletCoupons
      .findOneAndUpdate({ _id: id, state: { $in: ['offered', 'refused'] } }, { $set: { state: 'refused', refusal, updatedAt: now() } }, { returnDocument: 'after' })
      .lean<WalletCouponDoc>();
    return sendAnswer(updated ?? record, null);
  }

  // ---- WeChat's events ----

  /** Verifies (platform signature), decrypts (APIv3 key) and applies one busifavor event. Throws NotificationRefused to make WeChat retry. */
  async handleNotification(headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<string> {
    let notification;
    try {
      notification = await this.deps.client.verifyAndDecryptNotification<Record<string, unknown>>(headers, rawBody);
    } catch (error) {
      if (error instanceof WeChatPaySignatureError) throw new NotificationRefused(401, `${error.reason}: ${error.message}`);
      throw error;
    }
    const event = notification.resource;
    if (notification.eventType === 'COUPON.SEND') return `COUPON.SEND ${await this.onSent(parseCouponEvent(event))}`;
    if (notification.eventType === 'COUPON.USE') return `COUPON.USE ${await this.onUsed(parseUseEvent(event), notification.id)}`;
    return `${notification.eventType} ignored`;
  }

  private async knownRecord(event: CouponEvent): Promise<WalletCouponDoc> {
    const record = Types.ObjectId.isValid(event.coupon_code) ? await this.deps.walletCoupons.findById(event.coupon_code).lean<WalletCouponDoc>() : null;
    if (!record) throw new NotificationRefused(404, `unknown coupon_code ${event.coupon_code.slice(0, 40)}`);
    if (record.stockId !== event.stock_id || record.openid !== event.openid) throw new NotificationRefused(400, `stock_id/openid do not match coupon ${event.coupon_code}`);
    return record;
  }

  private async onSent(event: CouponEvent): Promise<Outcome> {
    const record = await this.knownRecord(event);
    const sentAt = parseTime(event.send_time) ?? this.deps.now();
    const moved = await this.deps.walletCoupons.updateOne(
      { _id: record._id, state: { $in: ['offered', 'refused'] } },
      { $set: { state: 'in_wallet', sentAt, refusal: null, updatedAt: this.deps.now() } },
    );
    return moved.modifiedCount === 1 ? 'sent' : 'already-applied';
  }

  /**
   * A use through WeChat Pay: the wallet record's conditional move to `used` and the redemption commit together.
   * A repeat finds the record used (no second redemption); a coupon our counter redeemed first is recorded as a
   * conflict for HQ (WeChat already took it; there is nothing to tell WeChat).
   */
  private async onUsed(event: UseEvent, notificationId: string): Promise<Outcome> {
    const { connection, walletCoupons, coupons, redemptions, now } = this.deps;
    const record = await this.knownRecord(event);
    if (record.state === 'used' && record.usedVia === 'wechat_pay') return 'already-applied';
    const usedAt = parseTime(event.use_time) ?? now();
    const transactionId = event.transaction_id ?? null;
    try {
      return await inTransaction(connection, undefined, async (session) => {
        const taken = await walletCoupons.updateOne(
          { _id: record._id, state: { $in: ['offered', 'in_wallet', 'refused'] } },
          { $set: { state: 'used', usedVia: 'wechat_pay', usedAt, transactionId, op: null, updatedAt: now() } },
          { session },
        );
        if (taken.modifiedCount !== 1) return 'already-applied' as const;
        const coupon = await coupons.findById(record._id).session(session).lean<CouponDoc>();
        if (!coupon) throw new NotificationRefused(404, `coupon ${String(record._id)} is gone`);
        await redemptions.redeemWith(session, { actor: WECHAT_PAY_REDEEMER, requestId: `wechat-pay:${notificationId}`, coupon, orderNo: transactionId, orderAmountFen: null, at: now() });
        return 'used' as const;
      });
    } catch (error) {
      if (!(error instanceof AppError && error.code === ErrorCode.COUPON_ALREADY_USED)) throw error;
      // Our coupon was no longer issued: redeemed at the counter a moment earlier, or expired/revoked here.
      const coupon = await coupons.findById(record._id, { status: 1 }).lean<Pick<CouponDoc, 'status'>>();
      const why = coupon?.status === 'redeemed' ? 'also redeemed at our counter' : `ours was ${coupon?.status ?? 'gone'}`;
      await walletCoupons.updateOne(
        { _id: record._id, state: { $ne: 'used' } },
        { $set: { state: 'used', usedVia: coupon?.status === 'redeemed' ? 'counter' : 'wechat_pay', usedAt, transactionId, op: null, conflict: `WeChat Pay used it (transaction ${transactionId ?? '?'}) but ${why}`, updatedAt: now() } },
      );
      return 'conflict';
    }
  }

  // ---- the job: stocks, the sweep, the outbox ----

  async runSync(): Promise<{ processed: number }> {
    const { stocks, walletCoupons, now } = this.deps;
    let processed = 0;
    const at = now();
    for (const stock of await stocks.find({ enabled: true }).lean<WalletStockDoc[]>()) {
      const template = await this.deps.templates.findById(stock._id, { updatedAt: 1 }).lean<Pick<CouponTemplateDoc, 'updatedAt'>>();
      const stale = stock.status === 'synced' && template && stock.syncedTemplateAt?.getTime() !== template.updatedAt.getTime();
      const due = stock.status !== 'synced' && stock.attempts < MAX_AUTO_ATTEMPTS && stock.nextAttemptAt <= at;
      if (stale || due) {
        await this.syncStock(stock._id);
        processed += 1;
      }
    }
    processed += await this.sweep();
    const ops = await walletCoupons
      .find({ 'op.status': { $in: ['pending', 'failed'] }, 'op.nextAttemptAt': { $lte: at }, 'op.attempts': { $lt: MAX_AUTO_ATTEMPTS } }, { _id: 1 })
      .limit(200)
      .lean<Array<{ _id: Types.ObjectId }>>();
    for (const { _id } of ops) if (await this.runOp(_id)) processed += 1;
    return { processed };
  }

  /**
   * Compares what WeChat holds with our coupons and queues what WeChat must be told: a coupon in the wallet that
   * our counter redeemed → use; one redeemed at our counter whose redemption was reversed → return (or the
   * pending use is dropped); one revoked or expired here → deactivate.
   */
  async sweep(): Promise<number> {
    const { walletCoupons, coupons, now } = this.deps;
    let queued = 0;
    let after: Types.ObjectId | null = null;
    for (;;) {
      // What can still change: coupons WeChat holds, and counter uses a reversal may undo.
      const filter: Record<string, unknown> = { $or: [{ state: 'in_wallet' }, { state: 'used', usedVia: 'counter', 'op.kind': 'use' }] };
      if (after) filter._id = { $gt: after };
      const page = await walletCoupons.find(filter).sort({ _id: 1 }).limit(SWEEP_PAGE).lean<WalletCouponDoc[]>();
      if (page.length === 0) return queued;
      after = page[page.length - 1]!._id;
      const ours = new Map(
        (await coupons.find({ _id: { $in: page.map((r) => r._id) } }, { status: 1, redemptionId: 1 }).lean<Array<Pick<CouponDoc, '_id' | 'status' | 'redemptionId'>>>()).map((c) => [String(c._id), c]),
      );
      for (const record of page) {
        const coupon = ours.get(String(record._id));
        const at = now();
        const op = (kind: WalletOpKind, requestNo: string, redemptionId: Types.ObjectId | null): WalletOp => ({
          kind, requestNo, status: 'pending', attempts: 0, nextAttemptAt: at, lastError: null, redemptionId, createdAt: at, doneAt: null,
        });
        let change: { filter: Record<string, unknown>; set: Record<string, unknown> } | null = null;
        if (record.state === 'in_wallet' && coupon?.status === 'redeemed' && coupon.redemptionId) {
          change = { filter: { state: 'in_wallet' }, set: { state: 'used', usedVia: 'counter', usedAt: at, op: op('use', `U${String(coupon.redemptionId)}`, coupon.redemptionId) } };
        } else if (record.state === 'in_wallet' && (coupon?.status === 'revoked' || coupon?.status === 'expired' || !coupon)) {
          change = { filter: { state: 'in_wallet' }, set: { state: coupon?.status === 'expired' ? 'expired' : 'deactivated', op: op('deactivate', `D${String(record._id)}`, null) } };
        } else if (record.state === 'used' && record.usedVia === 'counter' && coupon?.status === 'issued' && record.op?.kind === 'use') {
          // The counter redemption was reversed: an unsent use is dropped, a sent one is returned.
          const sent = record.op.status === 'done';
          change = {
            filter: { state: 'used', 'op.requestNo': record.op.requestNo },
            set: { state: 'in_wallet', usedVia: null, usedAt: null, op: sent ? op('return', `R${String(record.op.redemptionId)}`, record.op.redemptionId) : null },
          };
        }
        if (!change) continue;
        const moved = await walletCoupons.updateOne({ _id: record._id, ...change.filter }, { $set: { ...change.set, updatedAt: at } });
        queued += moved.modifiedCount;
        if (moved.modifiedCount === 1 && (change.set.op as WalletOp | null)) await this.runOp(record._id);
      }
    }
  }

  /** Sends a queued op to WeChat once; answers whether it is done. */
  async runOp(id: Types.ObjectId): Promise<boolean> {
    const { walletCoupons, client, merchant, now } = this.deps;
    const record = await walletCoupons.findById(id).lean<WalletCouponDoc>();
    const op = record?.op;
    if (!record || !op || op.status === 'done') return false;
    const base = { coupon_code: String(record._id), stock_id: record.stockId };
    try {
      if (op.kind === 'use') {
        await client.v3Request('POST', '/v3/marketing/busifavor/coupons/use', { ...base, appid: merchant.appId, use_time: chinaRfc3339(now()), use_request_no: op.requestNo, openid: record.openid }, 'busifavor.use');
      } else if (op.kind === 'return') {
        await client.v3Request('POST', '/v3/marketing/busifavor/coupons/return', { ...base, return_request_no: op.requestNo }, 'busifavor.return');
      } else {
        await client.v3Request('POST', '/v3/marketing/busifavor/coupons/deactivate', { ...base, deactivate_request_no: op.requestNo, deactivate_reason: record.state === 'expired' ? '券已过期' : '商户已作废此券' }, 'busifavor.deactivate');
      }
    } catch (error) {
      // Used in WeChat already (e.g. by the same request before a lost answer): WeChat is where we want it.
      const alreadyThere = error instanceof WeChatPayApiError && error.code === 'RESOURCE_ALREADY_EXISTS' && op.kind === 'use';
      if (!alreadyThere) {
        const attempts = op.attempts + 1;
        await walletCoupons.updateOne(
          { _id: id, 'op.requestNo': op.requestNo, 'op.status': { $ne: 'done' } },
          { $set: { 'op.status': 'failed', 'op.attempts': attempts, 'op.lastError': describe(error), 'op.nextAttemptAt': backoff(now(), attempts), updatedAt: now() } },
        );
        return false;
      }
    }
    const done = await walletCoupons.updateOne(
      { _id: id, 'op.requestNo': op.requestNo },
      { $set: { 'op.status': 'done', 'op.attempts': op.attempts + 1, 'op.lastError': null, 'op.doneAt': now(), updatedAt: now() } },
    );
    return done.modifiedCount === 1;
  }

  private async ensureCallbacks(): Promise<void> {
    const { client, merchant } = this.deps;
    this.callbacksSet ??= client
      .v3Request('POST', '/v3/marketing/busifavor/callbacks', { mchid: merchant.mchId, notify_url: merchant.notifyUrl }, 'busifavor.callbacks')
      .then(() => undefined)
      .catch((error: unknown) => {
        this.callbacksSet = null;
        throw error;
      });
    return this.callbacksSet;
  }

  private async branding(): Promise<StockBranding> {
    const brand: Partial<StockBranding> = (await this.deps.branding?.().catch(() => ({}))) ?? {};
    return { merchantName: brand.merchantName || this.deps.merchant.merchantName, logoUrl: brand.logoUrl ?? null, backgroundColor: brand.backgroundColor ?? null };
  }
}

interface CouponEvent {
  coupon_code: string;
  stock_id: string;
  openid: string;
  send_time?: string;
}

interface UseEvent extends CouponEvent {
  use_time?: string;
  transaction_id?: string;
}

function parseCouponEvent(resource: Record<string, unknown>): CouponEvent {
  const { coupon_code, stock_id, openid } = resource;
  if (typeof coupon_code !== 'string' || typeof stock_id !== 'string' || typeof openid !== 'string') {
    throw new NotificationRefused(400, 'coupon event lacks coupon_code, stock_id or openid');
  }
  return { coupon_code, stock_id, openid, ...(typeof resource.send_time === 'string' ? { send_time: resource.send_time } : {}) };
}

/** The use through WeChat Pay: the one place its (assumed) shape is read — docs/wechat-busifavor.md §5. */
function parseUseEvent(resource: Record<string, unknown>): UseEvent {
  return {
    ...parseCouponEvent(resource),
    ...(typeof resource.use_time === 'string' ? { use_time: resource.use_time } : {}),
    ...(typeof resource.transaction_id === 'string' ? { transaction_id: resource.transaction_id } : {}),
  };
}

function sendAnswer(record: WalletCouponDoc, plugin: WalletSendAnswer['plugin']): WalletSendAnswer {
  return { couponId: String(record._id), state: record.state, refusalReason: record.refusal?.reason ?? null, openid: record.openid, plugin };
}

function objectId(value: string, notFound: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(value)) throw errors.notFound(notFound);
  return new Types.ObjectId(value);
}

function parseTime(value: string | undefined): Date | null {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** 1, 2, 4 … minutes, at most an hour. */
function backoff(at: Date, attempts: number): Date {
  return new Date(at.getTime() + Math.min(60, 2 ** Math.max(0, attempts - 1)) * 60_000);
}

function describe(error: unknown): string {
  if (error instanceof WeChatPayApiError) return `${error.code}: ${error.detail || error.message}`.slice(0, 300);
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
