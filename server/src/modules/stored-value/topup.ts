import {
  ErrorCode,
  chinaIsoDate,
  type MyStoredValue,
  type Topup,
  type TopupCreateBody,
  type TopupOffer,
  type TopupRule,
  type TopupRuleBody,
} from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, isDuplicateKeyError } from '../../lib/errors';
import { inTransaction } from '../../lib/transactions';
import type { couponTemplateModel } from '../coupons/model';
import type { CouponIssuer } from '../coupons/issuer';
import type { MemberDoc, memberModel } from '../members/model';
import type { PaymentsService } from '../payments/service';
import type { PointsLedger } from '../points/ledger';
import type { storeModel } from '../staff/model';
import type { StoredValueLedger } from './ledger';
import type { StoredValueAccount, TopupDoc, TopupRuleDoc, storedValueAccountModel, topupModel, topupRuleModel } from './model';
import type { StoredValueSettingsService } from './settings';

// Top-ups: HQ's rules, the shopper's order (which reserves room under the balance cap and the day's cap on
// the account in one conditional update, so parallel orders can never together pass either cap), its WeChat
// Pay JSAPI payment (purpose 'topup' of the payments module), and the credit when WeChat Pay's verified
// notification arrives: principal and bonus through the ledger, in the payment's own transaction, once.

/** How long an order waits for payment before the hold job closes it (as paid activity seats). */
export const TOPUP_HOLD_MS = 15 * 60_000;

interface Deps {
  connection: mongoose.Connection;
  rules: ReturnType<typeof topupRuleModel>;
  topups: ReturnType<typeof topupModel>;
  accounts: ReturnType<typeof storedValueAccountModel>;
  members: ReturnType<typeof memberModel>;
  stores: ReturnType<typeof storeModel>;
  couponTemplates: ReturnType<typeof couponTemplateModel>;
  ledger: StoredValueLedger;
  settings: StoredValueSettingsService;
  payments: PaymentsService;
  points: PointsLedger;
  issuer: CouponIssuer;
  now: () => Date;
}

export class StoredValueTopups {
  constructor(private readonly deps: Deps) {}

  // ---- HQ's rules ----

  async listRules(): Promise<TopupRule[]> {
    const docs = await this.deps.rules.find({}).sort({ active: -1, createdAt: -1 }).limit(200).lean<TopupRuleDoc[]>();
    return docs.map(ruleView);
  }

  async createRule(body: TopupRuleBody): Promise<TopupRule> {
    await this.assertTemplate(body.couponTemplateId);
    const at = this.deps.now();
    const [doc] = await this.deps.rules.create([{ ...ruleFields(body), createdAt: at, updatedAt: at }]);
    return ruleView(doc!.toObject() as TopupRuleDoc);
  }

  async updateRule(id: string, body: TopupRuleBody): Promise<{ before: TopupRule; after: TopupRule }> {
    await this.assertTemplate(body.couponTemplateId);
    const before = await this.deps.rules.findById(objectId(id)).lean<TopupRuleDoc>();
    if (!before) throw new AppError(ErrorCode.NOT_FOUND, 'No such top-up rule.');
    const after = await this.deps.rules
      .findOneAndUpdate({ _id: before._id }, { $set: { ...ruleFields(body), updatedAt: this.deps.now() } }, { returnDocument: 'after' })
      .lean<TopupRuleDoc>();
    return { before: ruleView(before), after: ruleView(after!) };
  }

  // ---- the shopper ----

  /** Balance, the offers open to this member now, and how much room the caps leave. */
  async overview(member: MemberDoc): Promise<Omit<MyStoredValue, 'refundRequest'>> {
    const settings = await this.deps.settings.getStoredValueSettings();
    const [balance, account, rules] = await Promise.all([
      this.deps.ledger.balanceOf(member._id),
      this.deps.accounts.findById(member._id).lean<StoredValueAccount>(),
      this.openRules(member, member.homeStoreId),
    ]);
    const offers = settings.enabled ? await this.offersOf(rules) : [];
    return {
      balance,
      enabled: settings.enabled,
      offers,
      topupRoomFen: topupRoom(account, settings, chinaIsoDate(this.deps.now())),
      memberBalanceCapFen: settings.memberBalanceCapFen,
      dailyTopupCapFen: settings.dailyTopupCapFen,
    };
  }

  /**
   * Orders a top-up and places its WeChat Pay order; the answer carries wx.requestPayment's parameters. The
   * route's Idempotency-Key makes a retried request answer the first order.
   */
  async create(member: MemberDoc, body: TopupCreateBody): Promise<Topup> {
    const { connection, topups, accounts, payments, now } = this.deps;
    const settings = await this.deps.settings.getStoredValueSettings();
    if (!settings.enabled) throw unavailable('Top-ups are switched off.', 'disabled');
    if (!member.openid) throw new AppError(ErrorCode.PAYMENT_UNAVAILABLE, 'This account cannot pay with WeChat Pay.');
    const storeId = body.storeId ?? member.homeStoreId ?? null;
    if (body.storeId && !(await this.deps.stores.exists({ _id: body.storeId }))) throw new AppError(ErrorCode.NOT_FOUND, 'No such store.');
    const rule = await this.deps.rules.findById(objectId(body.ruleId)).lean<TopupRuleDoc>();
    if (!rule) throw new AppError(ErrorCode.NOT_FOUND, 'No such top-up rule.');
    const at = now();
    const refusal = ruleRefusal(rule, member, storeId, at);
    if (refusal) throw unavailable(refusal.message, refusal.reason);
    const amountFen = rule.kind === 'fixed' ? rule.amountFen! : body.amountFen;
    if (rule.kind === 'fixed' && body.amountFen !== undefined && body.amountFen !== rule.amountFen) throw unavailable(`This offer is for ${rule.amountFen} fen.`, 'amount');
    if (amountFen === undefined || amountFen === null) throw unavailable('Choose an amount for this offer.', 'amount');
    if (rule.kind === 'range' && (amountFen < rule.minFen! || amountFen > rule.maxFen!)) throw unavailable(`The amount must be between ${rule.minFen} and ${rule.maxFen} fen.`, 'amount');

    const chinaDay = chinaIsoDate(at);
    await ensureAccount(accounts, member._id, at);
    const topupId = new Types.ObjectId();
    const created = await inTransaction(connection, undefined, async (session) => {
      await this.reserve(member._id, amountFen, rule.bonusFen, chinaDay, settings, session);
      const [doc] = await topups.create(
        [
          {
            _id: topupId,
            memberId: member._id,
            ruleId: rule._id,
            title: rule.title,
            amountFen,
            bonusFen: rule.bonusFen,
            bonusPoints: rule.bonusPoints,
            couponTemplateId: rule.couponTemplateId,
            storeId,
            chinaDay,
            status: 'pending',
            dueAt: new Date(at.getTime() + TOPUP_HOLD_MS),
            createdAt: at,
            paidAt: null,
            closedAt: null,
            couponIssuedAt: null,
          },
        ],
        { session },
      );
      const payment = await payments.createPending(
        {
          purposeId: topupId,
          purposeType: 'topup',
          memberId: member._id,
          activityId: null,
          openid: member.openid!,
          description: `会员储值 ${rule.title}`,
          amountFen,
          dueAt: new Date(at.getTime() + TOPUP_HOLD_MS),
        },
        session,
      );
      return { topup: doc!.toObject() as TopupDoc, paymentId: payment._id };
    });
    try {
      const params = await payments.prepay(created.paymentId);
      return { ...topupView(created.topup), payment: params };
    } catch {
      // No order at WeChat Pay means no way to pay: close it now so the caps do not stay reserved.
      await this.close(created.topup._id);
      throw new AppError(ErrorCode.PAYMENT_UNAVAILABLE, 'WeChat Pay is unavailable right now; please try again shortly.');
    }
  }

  async mine(memberId: Types.ObjectId, topupId: string): Promise<Topup> {
    const doc = await this.deps.topups.findOne({ _id: objectId(topupId), memberId }).lean<TopupDoc>();
    if (!doc) throw new AppError(ErrorCode.NOT_FOUND, 'No such top-up.');
    return topupView(doc);
  }

  // ---- the payment's hooks ----

  /**
   * PaymentsService calls this in the transaction that marks the payment paid: the order turns paid and the
   * principal and bonus are booked, or nothing is (false: the order was closed or the member erased meanwhile,
   * so the payment is refunded instead). The ledger keys make a second run book nothing.
   */
  async onPaid(topupId: Types.ObjectId, session: ClientSession): Promise<boolean> {
    const { topups, members, ledger, points, now } = this.deps;
    const at = now();
    const topup = await topups
      .findOneAndUpdate({ _id: topupId, status: 'pending' }, { $set: { status: 'paid', paidAt: at } }, { returnDocument: 'after', session })
      .lean<TopupDoc>();
    if (!topup) return false;
    const member = await members.findOne({ _id: topup.memberId, status: 'active' }, { _id: 1 }).session(session).lean();
    if (!member) {
      // Erased before the money came: give the reservation back and refund the payment.
      await this.release(topup, session);
      await topups.updateOne({ _id: topup._id }, { $set: { status: 'closed', paidAt: null, closedAt: at } }, { session });
      return false;
    }
    const ref = { type: 'topup', id: String(topup._id) };
    await ledger.apply(session, {
      memberId: topup.memberId,
      kind: 'topup',
      principalDelta: topup.amountFen,
      bonusDelta: 0,
      storeId: topup.storeId,
      ref,
      reason: `充值 ${topup.title}`,
      idempotencyKey: `sv-topup:${String(topup._id)}`,
      actor: 'wechatpay',
      releasePendingFen: topup.amountFen,
    });
    if (topup.bonusFen > 0) {
      await ledger.apply(session, {
        memberId: topup.memberId,
        kind: 'topup_bonus',
        principalDelta: 0,
        bonusDelta: topup.bonusFen,
        storeId: topup.storeId,
        ref,
        reason: `充值赠送 ${topup.title}`,
        idempotencyKey: `sv-topup-bonus:${String(topup._id)}`,
        actor: 'wechatpay',
        releasePendingFen: topup.bonusFen,
      });
    }
    if (topup.bonusPoints > 0) {
      await points.earn({
        memberId: topup.memberId,
        amount: topup.bonusPoints,
        reason: `充值赠送积分 ${topup.title}`,
        source: 'bonus',
        idempotencyKey: `sv-topup-points:${String(topup._id)}`,
        storeId: topup.storeId,
        session,
      });
    }
    return true;
  }

  /** After the credit commits: the rule's coupon (its own transaction, keyed by the order, so retries issue one). */
  async issueCoupons(limit = 50): Promise<number> {
    const due = await this.deps.topups
      .find({ status: 'paid', couponTemplateId: { $ne: null }, couponIssuedAt: null })
      .limit(limit)
      .lean<TopupDoc[]>();
    let issued = 0;
    for (const topup of due) {
      try {
        await this.deps.issuer.issue({ templateId: topup.couponTemplateId!, memberId: topup.memberId, channel: 'grant', channelRef: `topup:${String(topup._id)}` });
      } catch (error) {
        // An exhausted or archived template: the top-up stands without its coupon (the rule promised it while stock lasts).
        if (!(error instanceof AppError)) continue;
      }
      await this.deps.topups.updateOne({ _id: topup._id, couponIssuedAt: null }, { $set: { couponIssuedAt: this.deps.now() } });
      issued += 1;
    }
    return issued;
  }

  /** The hold job: unpaid orders past due are closed at WeChat Pay, then here (their reservation given back). */
  async closeExpired(): Promise<{ processed: number }> {
    const due = await this.deps.topups.find({ status: 'pending', dueAt: { $lte: this.deps.now() } }).sort({ dueAt: 1 }).limit(200).lean<TopupDoc[]>();
    let processed = 0;
    for (const topup of due) {
      const payment = await this.deps.payments.forPurpose(topup._id, 'topup');
      if (payment && payment.status !== 'closed') {
        const outcome = await this.deps.payments.closeAtProvider(payment._id);
        if (outcome !== 'closed') continue;
      }
      if (await this.close(topup._id)) processed += 1;
    }
    processed += await this.issueCoupons();
    return { processed };
  }

  // ---- internals ----

  /**
   * Takes room for `amountFen` (+ bonus) under both caps in one conditional update of the account: the day's
   * cap counts principal ordered this China day, the balance cap counts what is held plus what is ordered.
   */
  private async reserve(memberId: Types.ObjectId, amountFen: number, bonusFen: number, chinaDay: string, settings: { memberBalanceCapFen: number; dailyTopupCapFen: number }, session: ClientSession): Promise<void> {
    const { accounts, now } = this.deps;
    const incoming = amountFen + bonusFen;
    const underBalanceCap = { $expr: { $lte: [{ $add: ['$principalFen', '$bonusFen', '$pendingFen'] }, settings.memberBalanceCapFen - incoming] } };
    if (amountFen <= settings.dailyTopupCapFen && incoming <= settings.memberBalanceCapFen) {
      const sameDay = await accounts.updateOne(
        { _id: memberId, topupDay: chinaDay, topupDayFen: { $lte: settings.dailyTopupCapFen - amountFen }, ...underBalanceCap },
        { $inc: { topupDayFen: amountFen, pendingFen: incoming }, $set: { updatedAt: now() } },
        { session },
      );
      if (sameDay.modifiedCount === 1) return;
      const newDay = await accounts.updateOne(
        { _id: memberId, topupDay: { $ne: chinaDay }, ...underBalanceCap },
        { $set: { topupDay: chinaDay, topupDayFen: amountFen, updatedAt: now() }, $inc: { pendingFen: incoming } },
        { session },
      );
      if (newDay.modifiedCount === 1) return;
    }
    const account = await accounts.findById(memberId).session(session).lean<StoredValueAccount>();
    const dayUsed = account?.topupDay === chinaDay ? account.topupDayFen : 0;
    const dailyLeft = Math.max(0, settings.dailyTopupCapFen - dayUsed);
    const held = (account?.principalFen ?? 0) + (account?.bonusFen ?? 0) + (account?.pendingFen ?? 0);
    const balanceLeft = Math.max(0, settings.memberBalanceCapFen - held);
    const daily = amountFen > dailyLeft;
    throw new AppError(
      ErrorCode.STORED_VALUE_CAP_EXCEEDED,
      daily ? `Today's top-ups are capped at ${settings.dailyTopupCapFen} fen; ${dailyLeft} fen left.` : `The balance is capped at ${settings.memberBalanceCapFen} fen; room for ${balanceLeft} fen (bonus included).`,
      { cap: daily ? 'daily' : 'balance', capFen: daily ? settings.dailyTopupCapFen : settings.memberBalanceCapFen, leftFen: daily ? dailyLeft : balanceLeft },
    );
  }

  /** Gives an unpaid order's reservation back; false if it was paid or closed meanwhile. */
  async close(topupId: Types.ObjectId): Promise<boolean> {
    const { connection, topups, now } = this.deps;
    return inTransaction(connection, undefined, async (session) => {
      const closed = await topups
        .findOneAndUpdate({ _id: topupId, status: 'pending' }, { $set: { status: 'closed', closedAt: now() } }, { returnDocument: 'after', session })
        .lean<TopupDoc>();
      if (!closed) return false;
      await this.release(closed, session);
      return true;
    });
  }

  private async release(topup: TopupDoc, session: ClientSession): Promise<void> {
    const { accounts } = this.deps;
    const incoming = topup.amountFen + topup.bonusFen;
    await accounts.updateOne({ _id: topup.memberId, pendingFen: { $gte: incoming } }, { $inc: { pendingFen: -incoming } }, { session });
    // The day's quota comes back only on the day it was taken (a new day starts from 0 anyway).
    await accounts.updateOne({ _id: topup.memberId, topupDay: topup.chinaDay, topupDayFen: { $gte: topup.amountFen } }, { $inc: { topupDayFen: -topup.amountFen } }, { session });
  }

  private async openRules(member: MemberDoc, storeId: string | null): Promise<TopupRuleDoc[]> {
    const at = this.deps.now();
    const rules = await this.deps.rules.find({ active: true }).sort({ amountFen: 1, minFen: 1, createdAt: 1 }).limit(100).lean<TopupRuleDoc[]>();
    return rules.filter((rule) => !ruleRefusal(rule, member, storeId, at));
  }

  private async offersOf(rules: TopupRuleDoc[]): Promise<TopupOffer[]> {
    const templateIds = rules.map((r) => r.couponTemplateId).filter((id): id is Types.ObjectId => id !== null);
    const templates = templateIds.length ? await this.deps.couponTemplates.find({ _id: { $in: templateIds } }, { title: 1 }).lean<Array<{ _id: Types.ObjectId; title: string }>>() : [];
    const titles = new Map(templates.map((t) => [String(t._id), t.title]));
    return rules.map((rule) => ({
      id: String(rule._id),
      title: rule.title,
      kind: rule.kind,
      amountFen: rule.amountFen,
      minFen: rule.minFen,
      maxFen: rule.maxFen,
      bonusFen: rule.bonusFen,
      bonusPoints: rule.bonusPoints,
      couponTitle: rule.couponTemplateId ? (titles.get(String(rule.couponTemplateId)) ?? null) : null,
      validUntil: rule.validUntil ? rule.validUntil.toISOString() : null,
    }));
  }

  private async assertTemplate(templateId: string | null): Promise<void> {
    if (templateId && !(await this.deps.couponTemplates.exists({ _id: objectId(templateId) }))) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'No such coupon template.', { fields: [{ field: 'body.couponTemplateId', message: 'No such coupon template' }] });
    }
  }
}

/** Creates the member's account if missing (outside the order's transaction: two first orders may race). */
async function ensureAccount(accounts: ReturnType<typeof storedValueAccountModel>, memberId: Types.ObjectId, at: Date): Promise<void> {
  try {
    await accounts.updateOne(
      { _id: memberId },
      { $setOnInsert: { principalFen: 0, bonusFen: 0, topupDay: null, topupDayFen: 0, pendingFen: 0, updatedAt: at } },
      { upsert: true },
    );
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/** How much a top-up may be now under both caps (bonus of the rule aside). */
export function topupRoom(account: StoredValueAccount | null, settings: { memberBalanceCapFen: number; dailyTopupCapFen: number }, chinaDay: string): number {
  const dayUsed = account?.topupDay === chinaDay ? account.topupDayFen : 0;
  const held = (account?.principalFen ?? 0) + (account?.bonusFen ?? 0) + (account?.pendingFen ?? 0);
  return Math.max(0, Math.min(settings.dailyTopupCapFen - dayUsed, settings.memberBalanceCapFen - held));
}

function ruleRefusal(rule: TopupRuleDoc, member: MemberDoc, storeId: string | null, at: Date): { reason: string; message: string } | null {
  if (!rule.active) return { reason: 'inactive', message: 'This offer has ended.' };
  if (rule.validFrom && at < rule.validFrom) return { reason: 'not_started', message: 'This offer has not started yet.' };
  if (rule.validUntil && at >= rule.validUntil) return { reason: 'ended', message: 'This offer has ended.' };
  if (rule.storeIds.length > 0 && (!storeId || !rule.storeIds.includes(storeId))) return { reason: 'store', message: 'This offer is not for this store.' };
  if (rule.tiers.length > 0 && !rule.tiers.includes(member.tier)) return { reason: 'tier', message: 'This offer is not for your tier.' };
  return null;
}

function unavailable(message: string, reason: string): AppError {
  return new AppError(ErrorCode.TOPUP_RULE_UNAVAILABLE, message, { reason });
}

function objectId(id: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id) || !/^[0-9a-f]{24}$/i.test(id)) throw new AppError(ErrorCode.NOT_FOUND, 'Not found.');
  return new Types.ObjectId(id);
}

function ruleFields(body: TopupRuleBody) {
  return {
    title: body.title,
    kind: body.kind,
    amountFen: body.kind === 'fixed' ? body.amountFen : null,
    minFen: body.kind === 'range' ? body.minFen : null,
    maxFen: body.kind === 'range' ? body.maxFen : null,
    bonusFen: body.bonusFen,
    bonusPoints: body.bonusPoints,
    couponTemplateId: body.couponTemplateId ? new Types.ObjectId(body.couponTemplateId) : null,
    validFrom: body.validFrom ? new Date(body.validFrom) : null,
    validUntil: body.validUntil ? new Date(body.validUntil) : null,
    storeIds: body.storeIds,
    tiers: body.tiers,
    active: body.active,
  };
}

function ruleView(doc: TopupRuleDoc): TopupRule {
  return {
    id: String(doc._id),
    title: doc.title,
    kind: doc.kind,
    amountFen: doc.amountFen,
    minFen: doc.minFen,
    maxFen: doc.maxFen,
    bonusFen: doc.bonusFen,
    bonusPoints: doc.bonusPoints,
    couponTemplateId: doc.couponTemplateId ? String(doc.couponTemplateId) : null,
    validFrom: doc.validFrom ? doc.validFrom.toISOString() : null,
    validUntil: doc.validUntil ? doc.validUntil.toISOString() : null,
    storeIds: doc.storeIds,
    tiers: doc.tiers,
    active: doc.active,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

export function topupView(doc: TopupDoc): Topup {
  return {
    id: String(doc._id),
    ruleId: String(doc.ruleId),
    title: doc.title,
    amountFen: doc.amountFen,
    bonusFen: doc.bonusFen,
    bonusPoints: doc.bonusPoints,
    storeId: doc.storeId,
    status: doc.status,
    createdAt: doc.createdAt.toISOString(),
    paidAt: doc.paidAt ? doc.paidAt.toISOString() : null,
  };
}
