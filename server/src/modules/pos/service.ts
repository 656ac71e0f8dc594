import {
  activeCampaignMultiplier,
  earnPoints,
  ErrorCode,
  maskName,
  maskPhone,
  type PosIdentifyBody,
  type PosLine,
  type PosMember,
  type PosOrder,
  type PosOrderBody,
  type PosQuoteAnswer,
  type PosQuoteBody,
  type PosReturnAnswer,
  type PosReturnBody,
  type TierLadder,
} from '@membercard/shared';
import { createHash } from 'node:crypto';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { canonicalJson, IdempotencyStore, idempotencyModel } from '../../lib/idempotency';
import type { Actor } from '../../lib/requestContext';
import type { Reply } from '../../lib/route';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import { spendOf } from '../categories/summary';
import type { PosPhoneLookups } from './phoneLimits';
import type { CategoriesService } from '../categories/service';
import type { CodeLookups } from '../counter/lookupLimits';
import type { CouponDoc, couponModel } from '../coupons/model';
import type { RedemptionService } from '../coupons/redemptions';
import type { MemberDoc, memberModel } from '../members/model';
import type { MembersService } from '../members/service';
import type { PurchasesService } from '../purchases/service';
import type { SettingsService } from '../settings/service';
import type { PosOrderDoc, PosReturnDoc, posOrderModel, posReturnModel } from './model';

// What a store's till does over the signed POS API: find the member, price the order with their coupons,
// book it, and take back returns. Booking and returning go through the same paths as the counter:
// PurchasesService.bookInTransaction (points, spend, tier, purchase, audit) with the coupons redeemed by
// RedemptionService.redeemWith and the order record written alongside, all in one transaction; returns
// through PurchasesService.takeBackWith and RedemptionService.restoreWith.
//
// An order is idempotent on (store, orderNo): the request record (IdempotencyStore, so parallel repeats wait
// for the first and get its answer) is fingerprinted by member, lines and coupons; the unique (storeId,
// orderNo) of the order and of the purchase books it once even after the records expire. A return is
// idempotent on (store, returnNo) the same way.

type PosActor = Extract<Actor, { type: 'staff' }>;

interface Deps {
  connection: mongoose.Connection;
  orders: ReturnType<typeof posOrderModel>;
  returns: ReturnType<typeof posReturnModel>;
  members: ReturnType<typeof memberModel>;
  coupons: ReturnType<typeof couponModel>;
  membersService: MembersService;
  purchases: PurchasesService;
  redemptions: RedemptionService;
  lookups: CodeLookups;
  /** Phone look-ups are limited per key (phoneLimits.ts). */
  phoneLookups: PosPhoneLookups;
  categories: CategoriesService;
  settings: SettingsService;
  audit: AuditService;
  now: () => Date;
}

interface OrderPlan {
  member: MemberDoc;
  applied: Array<{ coupon: CouponDoc; orderAmountFen: number; savingFen: number }>;
  netFen: number;
}

/** Optimistic concurrency on an order's returns: a parallel return moved it, so compute again. */
class ReturnRaced extends Error {}

export class PosService {
  private readonly requests: IdempotencyStore;
  private readonly idempotencyRecords: ReturnType<typeof idempotencyModel>;

  constructor(private readonly deps: Deps) {
    this.idempotencyRecords = idempotencyModel(deps.connection);
    this.requests = new IdempotencyStore(this.idempotencyRecords, { now: deps.now });
  }

  /** The member behind a code the member shows (counted like the counter's scans) or a bound phone number. */
  async identify(actor: PosActor, requestId: string, body: PosIdentifyBody): Promise<PosMember> {
    if (body.memberCode !== undefined) {
      const code = body.memberCode;
      return this.deps.lookups.guard(actor, requestId, async () => {
        const { parsed, member } = await this.deps.membersService.verifyScannedCode(code);
        // A coupon's or sign-up's code names its owner too, but the till asked for the member's card.
        if (parsed.kind !== 'member') throw new AppError(ErrorCode.CODE_INVALID, 'This is not a member code; ask for the member card.');
        return this.memberView(member);
      });
    }
    const member = await this.deps.phoneLookups.guard(
      actor,
      requestId,
      () => this.deps.members.findOne({ phone: body.phone, status: 'active' }).lean<MemberDoc>(),
      () => errors.notFound('No member has bound this phone number.'),
    );
    return this.memberView(member);
  }

  /** The member's issued coupons for this order (applicable first, biggest saving first) and the points it earns. */
  async quote(actor: PosActor, body: PosQuoteBody): Promise<PosQuoteAnswer> {
    const totalFen = checkLines(body.lines);
    // The quote refuses what the order would (booking checks again, for the counter's lines too).
    await this.deps.categories.checkLines(body.lines);
    const member = await this.member(body.memberId);
    const { tiers, earnRules } = await this.deps.settings.cached();
    const at = this.deps.now();
    const tier = tierOf(tiers, member.tier);
    const earn = (amountFen: number) =>
      earnPoints({
        amountFen,
        baseRate: earnRules.baseRate,
        tierMultiplier: tier.pointsMultiplier,
        campaignMultiplier: activeCampaignMultiplier(earnRules, { now: at, storeId: actor.storeId, tier: member.tier }),
      });
    const held = await this.deps.coupons.find({ memberId: member._id, status: 'issued' }).sort({ validUntil: 1 }).limit(100).lean<CouponDoc[]>();
    const coupons = held
      .map((coupon) => {
        const verdict = this.deps.redemptions.verdictFor(coupon, { storeId: actor.storeId, tier: member.tier, orderAmountFen: totalFen, at });
        const savingFen = verdict.ok ? verdict.savingFen : 0;
        return {
          couponId: String(coupon._id),
          title: coupon.title,
          type: coupon.type,
          validUntil: coupon.validUntil.toISOString(),
          applicable: verdict.ok,
          refusal: verdict.ok ? null : verdict.code,
          savingFen,
          gift: coupon.type === 'gift' ? (coupon.giftName ?? coupon.title) : null,
          pointsToEarn: earn(totalFen - savingFen),
        };
      })
      .sort((a, b) => Number(b.applicable) - Number(a.applicable) || b.savingFen - a.savingFen);
    return {
      member: await this.memberView(member),
      totalFen,
      pointsToEarn: earn(totalFen),
      tierBenefits: tier.benefits,
      pointsMultiplier: tier.pointsMultiplier,
      coupons,
    };
  }

  /** Books the order once: coupons redeemed, the purchase on the net amount, the order record; a repeat answers the same. */
  async commit(actor: PosActor, requestId: string, body: PosOrderBody): Promise<Reply<PosOrder>> {
    const totalFen = checkLines(body.lines);
    if (totalFen !== body.totalFen) {
      throw new AppError(ErrorCode.LINE_TOTAL_MISMATCH, `The lines add up to ${totalFen} fen, not totalFen ${body.totalFen}.`, {
        fields: [{ field: 'body.totalFen', message: `Σ lines = ${totalFen}` }],
      });
    }
    if (new Set(body.couponIds).size !== body.couponIds.length) {
      throw errors.validation('A coupon is listed twice.', { fields: [{ field: 'body.couponIds', message: 'Duplicate' }] });
    }
    const fingerprint = orderFingerprint(body);
    // Deciding the coupons before the request record is taken keeps refusals (a coupon of another store,
    // below its minimum spend) from binding the order number: the till resends it without the coupon.
    const plan = await this.plan(actor, body, fingerprint);
    if ('replay' in plan) return { status: 201, body: plan.replay };
    const key = `pos-order:${actor.storeId}:${body.orderNo}`;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.requests.run(key, fingerprint, async () => ({ status: 201, body: await this.book(actor, requestId, body, fingerprint, plan) }))) as Reply<PosOrder>;
      } catch (err) {
        if (!(err instanceof AppError && err.code === ErrorCode.IDEMPOTENCY_KEY_REUSED)) throw err;
        // The record keeps only a fingerprint: the booked order decides between its answer and 409 for
        // another order. With no order booked the record is a refusal (a coupon taken by a parallel order
        // meanwhile), which does not bind the number either: it gives way to this request, once.
        const replay = await this.existingOrder(actor.storeId, body.orderNo, fingerprint);
        if (replay) return { status: 201, body: replay };
        const freed = await this.idempotencyRecords.deleteOne({ _id: key, state: 'done', responseStatus: { $gte: 400 } });
        if (attempt > 0 || freed.deletedCount !== 1) throw err;
      }
    }
  }

  /** The member and what each coupon takes off, applied in order; or the order itself when it is a repeat. */
  private async plan(actor: PosActor, body: PosOrderBody, fingerprint: string): Promise<OrderPlan | { replay: PosOrder }> {
    const { redemptions, coupons: couponModel } = this.deps;
    const member = await this.member(body.memberId);
    const at = this.deps.now();
    // Each coupon applies to what the ones before it left; the shared terms decide whether and how much.
    const held = await couponModel.find({ _id: { $in: body.couponIds.map(objectIdOf) }, memberId: member._id }).lean<CouponDoc[]>();
    let remaining = body.totalFen;
    const applied: OrderPlan['applied'] = [];
    for (const [index, couponId] of body.couponIds.entries()) {
      const coupon = held.find((c) => String(c._id) === couponId);
      if (!coupon) throw new AppError(ErrorCode.COUPON_NOT_APPLICABLE, 'No such coupon of this member.', { field: `body.couponIds.${index}`, couponId });
      const verdict = redemptions.verdictFor(coupon, { storeId: actor.storeId, tier: member.tier, orderAmountFen: remaining, at });
      if (!verdict.ok) {
        if (verdict.code === 'COUPON_ALREADY_USED') {
          const replay = await this.existingOrder(actor.storeId, body.orderNo, fingerprint);
          if (replay) return { replay };
        }
        throw redemptions.refusal(verdict.code, { field: `body.couponIds.${index}`, couponId });
      }
      applied.push({ coupon, orderAmountFen: remaining, savingFen: verdict.savingFen });
      remaining -= verdict.savingFen;
    }
    return { member, applied, netFen: remaining };
  }

  private async book(actor: PosActor, requestId: string, body: PosOrderBody, fingerprint: string, plan: OrderPlan): Promise<PosOrder> {
    const { purchases, redemptions, orders } = this.deps;
    const { member, applied, netFen } = plan;
    const orderId = new Types.ObjectId();
    let order: PosOrderDoc | undefined;
    try {
      await purchases.bookInTransaction(undefined, {
        actor,
        requestId,
        orderNo: body.orderNo,
        amountFen: netFen,
        lines: body.lines.map(({ sku, name, category, qty, amountFen }) => ({ sku, name, category, qty, amountFen })),
        member,
        alongside: async (session, booked) => {
          const used: PosOrderDoc['coupons'] = [];
          for (const { coupon, orderAmountFen, savingFen } of applied) {
            const redemption = await redemptions.redeemWith(session, { actor, requestId, coupon, orderNo: body.orderNo, orderAmountFen, at: booked.at });
            used.push({ couponId: coupon._id, redemptionId: redemption._id, savingFen, restored: false });
          }
          order = {
            _id: orderId,
            storeId: actor.storeId,
            orderNo: body.orderNo,
            keyId: actor.staffId.replace(/^pos:/, ''),
            memberId: member._id,
            purchaseId: booked.purchaseId,
            totalFen: body.totalFen,
            discountFen: body.totalFen - netFen,
            netFen,
            lines: body.lines.map((line) => ({ ...line, returnedQty: 0 })),
            coupons: used,
            pointsEarned: booked.pointsEarned,
            balanceAfter: booked.pointsBalance,
            tier: booked.tier,
            returnedTotalFen: 0,
            returnedNetFen: 0,
            pointsTakenBack: 0,
            status: 'booked',
            fingerprint,
            createdAt: booked.at,
          };
          await orders.collection.insertOne(order, { session });
        },
      });
    } catch (err) {
      if (isDuplicateKeyError(err) || (err instanceof AppError && err.code === ErrorCode.COUPON_ALREADY_USED)) {
        // Booked by a parallel request (once the request records expired) or the order number was taken.
        const replay = await this.existingOrder(actor.storeId, body.orderNo, fingerprint);
        if (replay) return replay;
        if (isDuplicateKeyError(err)) throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This order number was already used at this store.');
      }
      throw err;
    }
    return orderView(order!);
  }

  /** The order booked under this number, when it is the same order; 409 when it is another. */
  private async existingOrder(storeId: string, orderNo: string, fingerprint: string): Promise<PosOrder | null> {
    const existing = await this.deps.orders.findOne({ storeId, orderNo }).lean<PosOrderDoc>();
    if (!existing) return null;
    if (existing.fingerprint !== fingerprint) throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This order number was already used for a different order.');
    return orderView(existing);
  }

  async order(actor: PosActor, orderNo: string): Promise<PosOrder> {
    const order = await this.deps.orders.findOne({ storeId: actor.storeId, orderNo }).lean<PosOrderDoc>();
    if (!order) throw errors.notFound('No such order at this store.');
    return orderView(order);
  }

  /**
   * Takes back some lines or the whole order. Each return gives back its share of what was paid and of the
   * points, computed cumulatively (so rounding never drifts: the last return gives back exactly the rest);
   * points up to the balance, the shortfall recorded. When nothing is left the purchase is reversed and the
   * coupons are usable again. More than is left → 422 RETURN_EXCEEDS_ORDER naming the line.
   */
  async returnOrder(actor: PosActor, requestId: string, body: PosReturnBody): Promise<Reply<PosReturnAnswer>> {
    const fingerprint = createHash('sha256').update(canonicalJson({ orderNo: body.orderNo, whole: body.whole ?? false, lines: body.lines ?? [] })).digest('hex');
    const earlier = await this.existingReturn(actor.storeId, body.returnNo, fingerprint);
    if (earlier) return { status: 201, body: earlier };
    for (let attempt = 0; ; attempt++) {
      try {
        return { status: 201, body: await this.returnOnce(actor, requestId, body, fingerprint) };
      } catch (err) {
        if (isDuplicateKeyError(err)) {
          const replay = await this.existingReturn(actor.storeId, body.returnNo, fingerprint);
          if (replay) return { status: 201, body: replay };
        }
        if (!(err instanceof ReturnRaced) || attempt >= 10) {
          if (err instanceof ReturnRaced) throw new AppError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'Another return of this order is being booked; retry shortly.');
          throw err;
        }
      }
    }
  }

  private async returnOnce(actor: PosActor, requestId: string, body: PosReturnBody, fingerprint: string): Promise<PosReturnAnswer> {
    const { orders, returns, purchases, redemptions, audit, connection, now } = this.deps;
    const order = await orders.findOne({ storeId: actor.storeId, orderNo: body.orderNo }).lean<PosOrderDoc>();
    if (!order) throw errors.notFound('No such order at this store.');
    const exceeds = (message: string, field?: string) => new AppError(ErrorCode.RETURN_EXCEEDS_ORDER, message, field ? { field } : undefined);
    const returning = order.lines.map(() => 0);
    if (body.whole) {
      order.lines.forEach((line, i) => (returning[i] = line.qty - line.returnedQty));
      if (returning.every((qty) => qty === 0)) throw exceeds('Everything in this order was already returned.');
    } else {
      for (const [i, { line, qty }] of (body.lines ?? []).entries()) {
        if (line >= order.lines.length) throw exceeds(`The order has no line ${line}.`, `body.lines.${i}.line`);
        returning[line]! += qty;
        const sold = order.lines[line]!;
        if (sold.returnedQty + returning[line]! > sold.qty) {
          throw exceeds(`Line ${line} (${sold.sku}) sold ${sold.qty}, ${sold.returnedQty} returned before: ${returning[line]} more is too many.`, `body.lines.${i}.qty`);
        }
      }
    }
    const totalFen = returning.reduce((sum, qty, i) => sum + qty * order.lines[i]!.unitFen, 0);
    const returnedTotalFen = order.returnedTotalFen + totalFen;
    const all = order.lines.every((line, i) => line.returnedQty + returning[i]! === line.qty);
    const share = (whole: number) => (all ? whole : Math.floor((whole * returnedTotalFen) / order.totalFen));
    const returnedNetFen = share(order.netFen);
    const pointsTakenBack = share(order.pointsEarned);
    const netFen = returnedNetFen - order.returnedNetFen;
    const points = pointsTakenBack - order.pointsTakenBack;

    return inTransaction(connection, undefined, async (session: ClientSession) => {
      const at = now();
      // The order's returned total is the version: a parallel return that got there first makes this match nothing.
      const moved = await orders.updateOne(
        { _id: order._id, returnedTotalFen: order.returnedTotalFen },
        {
          $set: {
            lines: order.lines.map((line, i) => ({ ...line, returnedQty: line.returnedQty + returning[i]! })),
            returnedTotalFen,
            returnedNetFen,
            pointsTakenBack,
            status: all ? 'returned' : 'partly_returned',
          },
        },
        { session },
      );
      if (moved.modifiedCount !== 1) throw new ReturnRaced();
      const reason = `退货 ${body.returnNo}`;
      const taken = await purchases.takeBackWith(session, {
        purchaseId: order.purchaseId,
        actor,
        whole: all,
        amountFen: netFen,
        points,
        // Category spend follows the returned lines at their amounts (shelf price, as booked).
        categorySpend: spendOf(returning.flatMap((qty, i) => (qty > 0 ? [{ category: order.lines[i]!.category, amountFen: qty * order.lines[i]!.unitFen }] : []))),
        ledgerReason: `退货 ${order.orderNo}（${body.returnNo}）`,
        reason,
        idempotencyKey: `pos-return:${actor.storeId}:${body.returnNo}`,
        at,
      });
      // A manager reversed the purchase at the counter: there is nothing left to give back.
      if (!taken) throw exceeds('This order’s purchase was reversed at the counter; nothing is left to return.');
      const couponsRestored: Types.ObjectId[] = [];
      if (all) {
        for (const used of order.coupons) {
          // A manager may have reversed the redemption already: the coupon is usable again either way.
          if (await redemptions.restoreWith(session, { actor, requestId, redemptionId: used.redemptionId, reason, at })) couponsRestored.push(used.couponId);
        }
        if (couponsRestored.length > 0) {
          await orders.updateOne({ _id: order._id }, { $set: { 'coupons.$[c].restored': true } }, { session, arrayFilters: [{ 'c.couponId': { $in: couponsRestored } }] });
        }
      }
      const doc: PosReturnDoc = {
        _id: new Types.ObjectId(),
        storeId: actor.storeId,
        returnNo: body.returnNo,
        orderNo: order.orderNo,
        orderId: order._id,
        whole: all,
        lines: returning.flatMap((qty, line) => (qty > 0 ? [{ line, qty }] : [])),
        totalFen,
        netFen: taken.amountFen,
        pointsTakenBack: taken.pointsTakenBack,
        shortfall: taken.shortfall,
        balanceAfter: taken.balanceAfter,
        couponsRestored,
        fingerprint,
        createdAt: at,
      };
      await returns.collection.insertOne(doc, { session });
      await audit.record(
        actor,
        requestId,
        {
          action: 'pos.return',
          targetType: 'purchase',
          targetId: String(order.purchaseId),
          memberId: String(order.memberId),
          after: { orderNo: order.orderNo, returnNo: body.returnNo, lines: doc.lines, netFen: doc.netFen, pointsTakenBack: doc.pointsTakenBack, shortfall: doc.shortfall, couponsRestored: couponsRestored.map(String) },
        },
        session,
      );
      const after = (await orders.findById(order._id).session(session).lean<PosOrderDoc>())!;
      return returnView(doc, after);
    });
  }

  private async existingReturn(storeId: string, returnNo: string, fingerprint: string): Promise<PosReturnAnswer | null> {
    const existing = await this.deps.returns.findOne({ storeId, returnNo }).lean<PosReturnDoc>();
    if (!existing) return null;
    if (existing.fingerprint !== fingerprint) throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This return number was already used for a different return.');
    const order = (await this.deps.orders.findById(existing.orderId).lean<PosOrderDoc>())!;
    return returnView(existing, order);
  }

  private async member(memberId: string): Promise<MemberDoc> {
    const member = Types.ObjectId.isValid(memberId) ? await this.deps.members.findOne({ _id: memberId, status: 'active' }).lean<MemberDoc>() : null;
    if (!member) throw errors.notFound('No such member; identify the member first.');
    return member;
  }

  private async memberView(member: MemberDoc): Promise<PosMember> {
    const { tiers } = await this.deps.settings.cached();
    const tier = tierOf(tiers, member.tier);
    return {
      memberId: String(member._id),
      cardNo: member.cardNo!,
      maskedName: member.name ? maskName(member.name) : null,
      maskedPhone: member.phone ? maskPhone(member.phone) : null,
      tier: { code: tier.code, name: tier.name },
      pointsBalance: member.pointsBalance,
    };
  }
}

/**
 * Each line's amount must be qty × unit price, and the answer is their sum: 400 LINE_TOTAL_MISMATCH naming
 * the first line that does not add up.
 */
export function checkLines(lines: PosLine[]): number {
  let total = 0;
  for (const [i, line] of lines.entries()) {
    if (line.qty * line.unitFen !== line.amountFen) {
      throw new AppError(ErrorCode.LINE_TOTAL_MISMATCH, `Line ${i} (${line.sku}): ${line.qty} × ${line.unitFen} fen is ${line.qty * line.unitFen}, not ${line.amountFen}.`, {
        fields: [{ field: `body.lines.${i}.amountFen`, message: `qty × unitFen = ${line.qty * line.unitFen}` }],
      });
    }
    total += line.amountFen;
  }
  return total;
}

function orderFingerprint(body: PosOrderBody): string {
  return createHash('sha256').update(canonicalJson({ memberId: body.memberId, lines: body.lines, totalFen: body.totalFen, couponIds: body.couponIds })).digest('hex');
}

function objectIdOf(id: string): Types.ObjectId {
  return Types.ObjectId.isValid(id) && /^[a-f0-9]{24}$/i.test(id) ? new Types.ObjectId(id) : new Types.ObjectId('000000000000000000000000');
}

function tierOf(tiers: TierLadder, code: string) {
  return tiers.find((t) => t.code === code) ?? tiers[0]!;
}

export function orderView(doc: PosOrderDoc): PosOrder {
  return {
    orderNo: doc.orderNo,
    storeId: doc.storeId,
    memberId: String(doc.memberId),
    totalFen: doc.totalFen,
    discountFen: doc.discountFen,
    netFen: doc.netFen,
    lines: doc.lines.map(({ sku, name, category, qty, unitFen, amountFen, returnedQty }) => ({ sku, name, category, qty, unitFen, amountFen, returnedQty })),
    coupons: doc.coupons.map((c) => ({ couponId: String(c.couponId), redemptionId: String(c.redemptionId), savingFen: c.savingFen, restored: c.restored })),
    pointsEarned: doc.pointsEarned,
    pointsBalance: doc.balanceAfter,
    tier: doc.tier,
    status: doc.status,
    returnedNetFen: doc.returnedNetFen,
    pointsTakenBack: doc.pointsTakenBack,
    createdAt: doc.createdAt.toISOString(),
  };
}

function returnView(doc: PosReturnDoc, order: PosOrderDoc): PosReturnAnswer {
  return {
    returnNo: doc.returnNo,
    netFen: doc.netFen,
    pointsTakenBack: doc.pointsTakenBack,
    shortfall: doc.shortfall,
    couponsRestored: doc.couponsRestored.map(String),
    pointsBalance: doc.balanceAfter,
    order: orderView(order),
  };
}
