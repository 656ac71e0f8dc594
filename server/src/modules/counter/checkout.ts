import {
  activeCampaignMultiplier,
  ErrorCode,
  planCheckout,
  topMemberFlags,
  type CounterCheckoutAnswer,
  type CounterCheckoutBody,
  type CounterCoupon,
  type CounterPanel,
  type CounterPanelBody,
  type CounterStoredValue,
  type CouponRefusal,
  type PlannableCoupon,
} from '@membercard/shared';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { canonicalJson, IdempotencyStore, idempotencyModel } from '../../lib/idempotency';
import type { Actor } from '../../lib/requestContext';
import type { Reply } from '../../lib/route';
import { deriveKey } from '../../lib/secretBox';
import type { CouponDoc, RedemptionDoc, couponModel, redemptionModel } from '../coupons/model';
import type { RedemptionService } from '../coupons/redemptions';
import type { MemberDoc, memberModel } from '../members/model';
import type { MembersService } from '../members/service';
import type { PurchaseDoc, purchaseModel } from '../purchases/model';
import type { PurchasesService } from '../purchases/service';
import type { SettingsService } from '../settings/service';
import type { CodeLookups } from './lookupLimits';

// The counter's one-scan checkout. A scan of the member's code (or of one of their coupon codes) opens the
// member panel: the masked member with their last visit and purchases, and their coupons with the terms and
// whether this store may take them. The panel carries a ticket, signed by the server, that this store scanned
// this member: member codes change every minute and the clerk still has to key in the amount and the receipt
// number, so the confirmation is bound to the scan, not to a code that may have turned over meanwhile.
//
// The confirmation books through the same path as a POS order: PurchasesService.bookInTransaction with the
// chosen coupons redeemed by RedemptionService.redeemWith alongside, in one transaction, on the net amount.
// It is idempotent on (store, till receipt number): the request record (IdempotencyStore, so parallel repeats
// wait for the first and get its answer) is fingerprinted by member, amount and coupons; once the record has
// expired the purchase's unique (storeId, orderNo) still books it once, and the answer is rebuilt from the
// purchase and the redemptions booked with it.

const TICKET_TTL_MS = 10 * 60_000;

type StaffActor = Extract<Actor, { type: 'staff' }>;

interface Deps {
  connection: mongoose.Connection;
  members: ReturnType<typeof memberModel>;
  coupons: ReturnType<typeof couponModel>;
  purchaseRecords: ReturnType<typeof purchaseModel>;
  redemptionRecords: ReturnType<typeof redemptionModel>;
  membersService: MembersService;
  purchases: PurchasesService;
  redemptions: RedemptionService;
  lookups: CodeLookups;
  settings: SettingsService;
  serverSecret: string;
  now: () => Date;
}

interface Planned {
  member: MemberDoc;
  applied: Array<{ coupon: CouponDoc; orderAmountFen: number; savingFen: number }>;
  netFen: number;
}

export class CounterCheckout {
  private readonly requests: IdempotencyStore;
  private readonly idempotencyRecords: ReturnType<typeof idempotencyModel>;
  private readonly ticketKey: Buffer;
  /** The member's stored-value balance for the panel (set by the stored-value module, which owns it). */
  storedValueOf?: (memberId: Types.ObjectId) => Promise<CounterStoredValue>;

  constructor(private readonly deps: Deps) {
    this.idempotencyRecords = idempotencyModel(deps.connection);
    this.requests = new IdempotencyStore(this.idempotencyRecords, { now: deps.now });
    this.ticketKey = deriveKey(deps.serverSecret, 'counter-ticket');
  }

  /** The member behind a scanned member or coupon code, with the coupons this store may take (counted like every scan). */
  async panel(actor: Actor, requestId: string, body: CounterPanelBody): Promise<CounterPanel> {
    const staff = staffOnly(actor);
    return this.deps.lookups.guard(staff, requestId, async () => {
      const { parsed, member } = await this.deps.membersService.verifyScannedCode(body.code);
      if (parsed.kind === 'signup') throw new AppError(ErrorCode.CODE_INVALID, 'This is an activity sign-up code: check the member in instead.');
      const scannedCouponId = parsed.kind === 'coupon' ? parsed.subject : null;
      const at = this.deps.now();
      const { tiers, earnRules } = await this.deps.settings.cached();
      const tier = tiers.find((t) => t.code === member.tier) ?? tiers[0]!;
      const held = await this.deps.coupons
        .find({ memberId: member._id, $or: [{ status: 'issued' }, ...(scannedCouponId && Types.ObjectId.isValid(scannedCouponId) ? [{ _id: new Types.ObjectId(scannedCouponId) }] : [])] })
        .sort({ validUntil: 1 })
        .limit(100)
        .lean<CouponDoc[]>();
      const coupons = held
        .map((coupon): CounterCoupon => {
          const refusal = this.standingRefusal(coupon, staff.storeId, member.tier, at);
          const savingFen = body.amountFen ? planCheckout(body.amountFen, [plannable(coupon, refusal)]).applied[0]!.savingFen : 0;
          return {
            id: String(coupon._id),
            title: coupon.title,
            type: coupon.type,
            validUntil: coupon.validUntil.toISOString(),
            ...(coupon.minSpendFen ? { minSpendFen: coupon.minSpendFen } : {}),
            ...(coupon.amountOffFen ? { amountOffFen: coupon.amountOffFen } : {}),
            ...(coupon.percentOff ? { percentOff: coupon.percentOff } : {}),
            ...(coupon.maxOffFen ? { maxOffFen: coupon.maxOffFen } : {}),
            ...(coupon.giftName ? { giftName: coupon.giftName } : {}),
            refusal,
            savingFen,
            scanned: String(coupon._id) === scannedCouponId,
          };
        })
        .sort((a, b) => Number(a.refusal !== null) - Number(b.refusal !== null) || Number(b.scanned) - Number(a.scanned) || b.savingFen - a.savingFen);
      const expiresAt = new Date(at.getTime() + TICKET_TTL_MS);
      return {
        member: await this.deps.membersService.masked(member),
        ticket: this.signTicket(String(member._id), staff.storeId, expiresAt),
        ticketExpiresAt: expiresAt.toISOString(),
        earning: {
          baseRate: earnRules.baseRate,
          tierMultiplier: tier.pointsMultiplier,
          campaignMultiplier: activeCampaignMultiplier(earnRules, { now: at, storeId: staff.storeId, tier: member.tier }),
        },
        coupons,
        ...(this.storedValueOf ? { storedValue: await this.storedValueOf(member._id) } : {}),
        topMember: topMemberFlags(member.tags),
      };
    });
  }

  /** Redeems the chosen coupons and books the purchase on the net amount, once per receipt number. */
  async checkout(actor: Actor, requestId: string, body: CounterCheckoutBody): Promise<Reply<CounterCheckoutAnswer>> {
    const staff = staffOnly(actor);
    if (new Set(body.couponIds).size !== body.couponIds.length) {
      throw errors.validation('A coupon is listed twice.', { fields: [{ field: 'body.couponIds', message: 'Duplicate' }] });
    }
    const ticket = this.openTicket(body.ticket, staff.storeId);
    const fingerprint = checkoutFingerprint(ticket.memberId, body.amountFen, body.couponIds);
    if (ticket.expired) {
      // A resend of a booked checkout still gets its answer; anything new needs a fresh scan.
      const replay = await this.existingCheckout(staff.storeId, body.orderNo, ticket.memberId, fingerprint);
      if (replay) return { status: 200, body: replay };
      throw new AppError(ErrorCode.CODE_INVALID, 'The scan is more than 10 minutes old: scan the member’s code again.');
    }
    // Coupons are decided before the request record is taken, so a refusal (another store's coupon, a minimum
    // spend not reached) does not bind the receipt number: the clerk unticks the coupon and confirms again.
    const plan = await this.plan(staff, ticket.memberId, body, fingerprint);
    if ('replay' in plan) return { status: 200, body: plan.replay };
    const key = `counter-checkout:${staff.storeId}:${body.orderNo}`;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.requests.run(key, fingerprint, async () => ({ status: 200, body: await this.book(staff, requestId, body, fingerprint, plan) }))) as Reply<CounterCheckoutAnswer>;
      } catch (err) {
        if (!(err instanceof AppError && err.code === ErrorCode.IDEMPOTENCY_KEY_REUSED)) throw err;
        // The record keeps only a fingerprint: the booked purchase decides between its answer and 409. With
        // nothing booked the record is a refusal (a coupon taken meanwhile), which gives way to this request once.
        const replay = await this.existingCheckout(staff.storeId, body.orderNo, ticket.memberId, fingerprint);
        if (replay) return { status: 200, body: replay };
        const freed = await this.idempotencyRecords.deleteOne({ _id: key, state: 'done', responseStatus: { $gte: 400 } });
        if (attempt > 0 || freed.deletedCount !== 1) throw err;
      }
    }
  }

  /** The chosen coupons applied in order by the shared plan, each checked by the shared terms; or the booked answer for a repeat. */
  private async plan(staff: StaffActor, memberId: string, body: CounterCheckoutBody, fingerprint: string): Promise<Planned | { replay: CounterCheckoutAnswer }> {
    const member = await this.deps.members.findOne({ _id: new Types.ObjectId(memberId), status: 'active' }).lean<MemberDoc>();
    if (!member) throw new AppError(ErrorCode.CODE_INVALID, 'This member’s card is no longer active.');
    const at = this.deps.now();
    const ids = body.couponIds.map(objectIdOf);
    const held = ids.length ? await this.deps.coupons.find({ _id: { $in: ids }, memberId: member._id }).lean<CouponDoc[]>() : [];
    const chosen = body.couponIds.map((couponId, index) => {
      const coupon = held.find((c) => String(c._id) === couponId);
      if (!coupon) throw new AppError(ErrorCode.COUPON_NOT_APPLICABLE, 'No such coupon of this member.', { field: `body.couponIds.${index}`, couponId });
      return coupon;
    });
    const planned = planCheckout(
      body.amountFen,
      chosen.map((coupon) => plannable(coupon, this.standingRefusal(coupon, staff.storeId, member.tier, at))),
    );
    for (const [index, step] of planned.applied.entries()) {
      if (!step.refusal) continue;
      if (step.refusal === 'COUPON_ALREADY_USED') {
        const replay = await this.existingCheckout(staff.storeId, body.orderNo, memberId, fingerprint);
        if (replay) return { replay };
      }
      throw this.deps.redemptions.refusal(step.refusal, { field: `body.couponIds.${index}`, couponId: step.id });
    }
    return {
      member,
      applied: planned.applied.map((step, index) => ({ coupon: chosen[index]!, orderAmountFen: step.orderAmountFen, savingFen: step.savingFen })),
      netFen: planned.netFen,
    };
  }

  private async book(staff: StaffActor, requestId: string, body: CounterCheckoutBody, fingerprint: string, plan: Planned): Promise<CounterCheckoutAnswer> {
    const { purchases, redemptions } = this.deps;
    let used: CounterCheckoutAnswer['coupons'] = [];
    try {
      const booked = await purchases.bookInTransaction(undefined, {
        actor: staff,
        requestId,
        orderNo: body.orderNo,
        amountFen: plan.netFen,
        lines: [],
        member: plan.member,
        alongside: async (session, purchase) => {
          used = []; // a retried transaction starts over
          for (const { coupon, orderAmountFen, savingFen } of plan.applied) {
            const redemption = await redemptions.redeemWith(session, { actor: staff, requestId, coupon, orderNo: body.orderNo, orderAmountFen, at: purchase.at });
            used.push({ couponId: String(coupon._id), redemptionId: String(redemption._id), title: coupon.title, savingFen });
          }
        },
      });
      return {
        orderNo: body.orderNo,
        memberId: String(plan.member._id),
        amountFen: body.amountFen,
        discountFen: body.amountFen - plan.netFen,
        netFen: plan.netFen,
        pointsEarned: booked.pointsEarned,
        pointsBalance: booked.pointsBalance,
        tier: booked.tier,
        coupons: used,
        createdAt: booked.at.toISOString(),
      };
    } catch (err) {
      if (isDuplicateKeyError(err) || (err instanceof AppError && err.code === ErrorCode.COUPON_ALREADY_USED)) {
        // Booked by a parallel request once the records expired, or through another path (the POS, the old purchase form).
        const replay = await this.existingCheckout(staff.storeId, body.orderNo, String(plan.member._id), fingerprint);
        if (replay) return replay;
        if (isDuplicateKeyError(err)) throw new AppError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'The same receipt is still being booked; confirm again shortly.');
      }
      throw err;
    }
  }

  /**
   * The checkout booked under this receipt number, rebuilt from the purchase and the redemptions booked with it
   * (same store, number and moment), when it is the same checkout; 409 when it is another member's or another order.
   */
  private async existingCheckout(storeId: string, orderNo: string, memberId: string, fingerprint: string): Promise<CounterCheckoutAnswer | null> {
    const purchase = await this.deps.purchaseRecords.findOne({ storeId, orderNo }).lean<PurchaseDoc>();
    if (!purchase) return null;
    if (String(purchase.memberId) !== memberId) {
      throw new AppError(ErrorCode.ORDER_NO_OTHER_MEMBER, 'This receipt number was already used for another member’s purchase.');
    }
    const redeemed = await this.deps.redemptionRecords.find({ storeId, createdAt: purchase.createdAt, orderNo }).sort({ _id: 1 }).lean<RedemptionDoc[]>();
    const discountFen = redeemed.reduce((sum, r) => sum + (r.savingFen ?? 0), 0);
    const amountFen = purchase.amountFen + discountFen;
    if (checkoutFingerprint(memberId, amountFen, redeemed.map((r) => String(r.couponId))) !== fingerprint) {
      throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This receipt number was already used for a different order.');
    }
    const titles = await this.deps.coupons.find({ _id: { $in: redeemed.map((r) => r.couponId) } }, { title: 1 }).lean<Array<Pick<CouponDoc, '_id' | 'title'>>>();
    const { tiers } = await this.deps.settings.cached();
    const tier = tiers.find((t) => t.code === purchase.tierAfter) ?? tiers[0]!;
    return {
      orderNo,
      memberId,
      amountFen,
      discountFen,
      netFen: purchase.amountFen,
      pointsEarned: purchase.pointsEarned,
      pointsBalance: purchase.balanceAfter,
      tier: { code: tier.code, name: tier.name },
      coupons: redeemed.map((r) => ({
        couponId: String(r.couponId),
        redemptionId: String(r._id),
        title: titles.find((c) => c._id.equals(r.couponId))?.title ?? '',
        savingFen: r.savingFen ?? 0,
      })),
      createdAt: purchase.createdAt.toISOString(),
    };
  }

  /** Why this store cannot take the coupon now whatever the amount (the shared terms, minimum spend left to the plan), or null. */
  private standingRefusal(coupon: CouponDoc, storeId: string, tier: string, at: Date): CouponRefusal | null {
    const verdict = this.deps.redemptions.verdictFor({ ...coupon, minSpendFen: null }, { storeId, tier, orderAmountFen: 0, at });
    return verdict.ok ? null : verdict.code;
  }

  private signTicket(memberId: string, storeId: string, expiresAt: Date): string {
    const body = `${memberId}.${storeId}.${expiresAt.getTime()}`;
    return `${body}.${createHmac('sha256', this.ticketKey).update(body).digest('base64url')}`;
  }

  /** The member a ticket names, when the server signed it for this store; 400 CODE_INVALID otherwise (stored-value charges read it too). */
  openTicket(ticket: string, storeId: string): { memberId: string; expired: boolean } {
    const invalid = () => new AppError(ErrorCode.CODE_INVALID, 'The scan is not valid here: scan the member’s code again.');
    const match = /^([a-f0-9]{24})\.([A-Z0-9]{1,16})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(ticket);
    if (!match) throw invalid();
    const [, memberId, ticketStore, expiresMs, signature] = match as unknown as [string, string, string, string, string];
    const expected = createHmac('sha256', this.ticketKey).update(`${memberId}.${ticketStore}.${expiresMs}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || ticketStore !== storeId) throw invalid();
    return { memberId, expired: this.deps.now().getTime() >= Number(expiresMs) };
  }
}

function staffOnly(actor: Actor): StaffActor {
  if (actor.type !== 'staff') throw errors.forbidden('Only store staff serve members at the counter.');
  return actor;
}

function plannable(coupon: CouponDoc, refusal: CouponRefusal | null): PlannableCoupon {
  return {
    id: String(coupon._id),
    type: coupon.type,
    minSpendFen: coupon.minSpendFen ?? undefined,
    amountOffFen: coupon.amountOffFen ?? undefined,
    percentOff: coupon.percentOff ?? undefined,
    maxOffFen: coupon.maxOffFen ?? undefined,
    refusal,
  };
}

function checkoutFingerprint(memberId: string, amountFen: number, couponIds: readonly string[]): string {
  return createHash('sha256').update(canonicalJson({ memberId, amountFen, couponIds })).digest('hex');
}

function objectIdOf(id: string): Types.ObjectId {
  return /^[a-f0-9]{24}$/i.test(id) ? new Types.ObjectId(id) : new Types.ObjectId('000000000000000000000000');
}
