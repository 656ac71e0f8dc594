import {
  ErrorCode,
  splitCharge,
  splitRefund,
  type CounterStoredValue,
  type StoredValueAwaiting,
  type StoredValueCharge,
  type StoredValueChargeInput,
  type StoredValueRefund,
  type StoredValueRefundBody,
} from '@membercard/shared';
import { createHash } from 'node:crypto';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { canonicalJson } from '../../lib/idempotency';
import type { Actor } from '../../lib/requestContext';
import type { Reply } from '../../lib/route';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { CodeLookups } from '../counter/lookupLimits';
import type { MessagingService } from '../messaging/service';
import type { MemberDoc, memberModel } from '../members/model';
import type { MembersService } from '../members/service';
import type { storeModel } from '../staff/model';
import { assertStoreScope } from '../staff/service';
import type { ChargeConfirmations, ConfirmationDoc } from './confirmations';
import type { ChargeDoc, ChargeRefundDoc, chargeModel, chargeRefundModel } from './charge-model';
import type { StoredValueLedger } from './ledger';
import type { PaymentPins } from './pin';
import type { StoredValueSettingsService } from './settings';

// Paying with the stored-value balance (储值支付) at the counter and through the POS API, and refunds back to it.
//
// Who may charge: a clerk of the store (the counter's panel ticket, itself a fresh scan of the member's code) or
// the store's POS key (a fresh member code in the request), for that store only; above HQ's "confirm above"
// amount also the member: their 6-digit PIN typed on the till, or their approval on the phone (confirmations.ts).
//
// Exactly once per (store, till order number): the charge and its ledger entry are written in one transaction,
// the charge under a unique (storeId, orderNo) and the entry under the unique key `sv-charge:<store>:<orderNo>`,
// so parallel repeats, a resend after a lost answer or a crash in between book one charge or none. A repeat with
// the same content (member, amounts, payments, lines) answers the charge booked; other content is 409. The
// balance guard is the ledger's conditional update: parallel charges that together exceed the balance get
// 422 INSUFFICIENT_BALANCE for those that do not fit, and no part of the balance ever goes below 0. The member's
// 储值消费通知 is recorded in the same transaction (messaging's enqueue) and sent after the commit, or by the
// subscribe-retries job when the process stopped in between.
//
// Refunds give back the stored-value share of the refunded lines (or of the rest of the order), principal and
// bonus in the charge's proportion (shared splitRefund), never more than was charged: the charge's refunded
// order amount is the version of its refunds, so two refunds of the same line cannot both pass.

type TillActor = Extract<Actor, { type: 'staff' }>;

/** How the member came to the till: the counter's panel ticket, a code the POS read, or their approved confirmation. */
export type ChargeAuthority = { kind: 'ticket'; memberId: string; expired: boolean } | { kind: 'code'; code: string } | { kind: 'confirmation'; id: string };

interface Deps {
  connection: mongoose.Connection;
  charges: ReturnType<typeof chargeModel>;
  refunds: ReturnType<typeof chargeRefundModel>;
  members: ReturnType<typeof memberModel>;
  stores: ReturnType<typeof storeModel>;
  membersService: MembersService;
  lookups: CodeLookups;
  ledger: StoredValueLedger;
  settings: StoredValueSettingsService;
  pins: PaymentPins;
  confirmations: ChargeConfirmations;
  audit: AuditService;
  /** The 储值消费通知 subscribe message of each charge: recorded with it, sent after the commit (when the member granted one). */
  messaging: Pick<MessagingService, 'enqueue' | 'deliverQueued'>;
  now: () => Date;
}

/** A parallel refund of the same charge moved it first: compute again. */
class RefundRaced extends Error {}

export class StoredValueCharges {
  private readonly storeNames = new Map<string, { name: string; at: number }>();
  private readonly memberQueues = new Map<string, Promise<void>>();

  /**
   * What follows a charge's commit: sending its 储值消费通知 now rather than at the subscribe-retries job's next run
   * (a minute at most). Replaced in tests to act as if the process had stopped right after the commit.
   */
  readonly chargeHooks: { afterCommit: (messageKey: string) => Promise<unknown> } = {
    afterCommit: (messageKey) => this.deps.messaging.deliverQueued(messageKey),
  };

  constructor(private readonly deps: Deps) {}

  /** Charges the order once (201), or answers 202 while the member's approval is awaited. */
  async charge(actor: TillActor, requestId: string, authority: ChargeAuthority, input: StoredValueChargeInput): Promise<Reply<StoredValueCharge | StoredValueAwaiting>> {
    assertStoreScope(actor, actor.storeId);
    checkTotals(input);
    const existing = await this.deps.charges.findOne({ storeId: actor.storeId, orderNo: input.orderNo }).lean<ChargeDoc>();
    if (existing) return { status: 201, body: this.replay(existing, input) };

    const member = await this.memberOf(actor, requestId, authority);
    const fingerprint = chargeFingerprint(String(member._id), input);
    const settings = await this.deps.settings.cached();
    let authorizedBy: ChargeDoc['authorizedBy'] = 'code';
    let confirmation: ConfirmationDoc | null = null;
    if (authority.kind === 'confirmation' || (input.amountFen > settings.confirmAboveFen && !input.pin)) {
      confirmation = await this.deps.confirmations.ask({
        storeId: actor.storeId,
        orderNo: input.orderNo,
        memberId: member._id,
        amountFen: input.amountFen,
        orderTotalFen: input.orderTotalFen,
        fingerprint,
      });
      if (authority.kind === 'confirmation' && String(confirmation._id) !== authority.id) {
        throw new AppError(ErrorCode.CODE_INVALID, 'This confirmation is not for this order: scan the member’s code again.');
      }
      if (confirmation.status === 'used') {
        // Spent by a charge that committed after the check above: that charge is the answer.
        const booked = await this.deps.charges.findOne({ storeId: actor.storeId, orderNo: input.orderNo }).lean<ChargeDoc>();
        if (booked) return { status: 201, body: this.replay(booked, input) };
      }
      if (confirmation.status !== 'approved') {
        return {
          status: 202,
          body: { status: 'awaiting_confirmation', confirmationId: String(confirmation._id), expiresAt: confirmation.expiresAt.toISOString(), amountFen: input.amountFen },
        };
      }
      authorizedBy = 'confirmation';
    } else if (input.amountFen > settings.confirmAboveFen) {
      await this.deps.pins.verify(member._id, input.pin!);
      authorizedBy = 'pin';
    }

    const storeName = await this.storeName(actor.storeId);
    try {
      const charge = await this.oneAtATime(String(member._id), async () => {
        // Refused at once when the balance plainly does not cover it (no transaction for a charge that cannot
        // fit); the transaction's conditional update is what guarantees it.
        const held = await this.deps.ledger.balanceOf(member._id);
        if (held.totalFen < input.amountFen) throw insufficient(held, input.amountFen);
        return this.book(actor, requestId, member, input, { fingerprint, authorizedBy, confirmation, policy: settings.chargePolicy, storeName });
      });
      // Without holding up the till's answer; the message's own record says what became of it.
      void this.chargeHooks.afterCommit(chargeMessageKey(charge._id)).catch(() => undefined);
      return { status: 201, body: chargeView(charge) };
    } catch (err) {
      if (isDuplicateKeyError(err) || (err instanceof AppError && err.code === ErrorCode.CONFLICT)) {
        // A parallel request with the same order number (or the same confirmation) committed first.
        const booked = await this.deps.charges.findOne({ storeId: actor.storeId, orderNo: input.orderNo }).lean<ChargeDoc>();
        if (booked) return { status: 201, body: this.replay(booked, input) };
      }
      throw err;
    }
  }

  private async book(
    actor: TillActor,
    requestId: string,
    member: MemberDoc,
    input: StoredValueChargeInput,
    how: { fingerprint: string; authorizedBy: ChargeDoc['authorizedBy']; confirmation: ConfirmationDoc | null; policy: Parameters<typeof splitCharge>[2]; storeName: string },
  ): Promise<ChargeDoc> {
    const { ledger, confirmations, audit, now } = this.deps;
    const chargeId = new Types.ObjectId();
    return inTransaction(this.deps.connection, undefined, async (session) => {
      const balance = await ledger.balanceOf(member._id, session);
      const parts = splitCharge(balance, input.amountFen, how.policy);
      if (!parts) throw insufficient(balance, input.amountFen);
      const entry = await ledger.apply(session, {
        memberId: member._id,
        kind: 'charge',
        principalDelta: -parts.principalFen,
        bonusDelta: -parts.bonusFen,
        storeId: actor.storeId,
        ref: { type: 'charge', id: String(chargeId) },
        reason: `储值消费 · ${how.storeName}`,
        idempotencyKey: `sv-charge:${actor.storeId}:${input.orderNo}`,
        actor: actorName(actor),
      });
      // Booked and committed by a parallel request: its charge (inserted with it) answers.
      if (entry.replayed) throw Object.assign(new Error('charge booked meanwhile'), { code: 11000 });
      if (how.confirmation) await confirmations.use(session, how.confirmation._id);
      const charge: ChargeDoc = {
        _id: chargeId,
        storeId: actor.storeId,
        orderNo: input.orderNo,
        memberId: member._id,
        orderTotalFen: input.orderTotalFen,
        amountFen: input.amountFen,
        principalFen: parts.principalFen,
        bonusFen: parts.bonusFen,
        otherPayments: input.otherPayments.map((p) => ({ method: p.method, amountFen: p.amountFen, ...(p.reference ? { reference: p.reference } : {}) })),
        lines: (input.lines ?? []).map((line) => ({ ...line, refunded: false })),
        refundedOrderFen: 0,
        refundedFen: 0,
        refundedPrincipalFen: 0,
        refundedBonusFen: 0,
        balanceAfter: { principalFen: entry.principalAfter, bonusFen: entry.bonusAfter },
        authorizedBy: how.authorizedBy,
        confirmationId: how.confirmation?._id ?? null,
        actor: actorName(actor),
        fingerprint: how.fingerprint,
        createdAt: now(),
      };
      await this.deps.charges.collection.insertOne(charge, { session });
      await audit.record(
        actor,
        requestId,
        {
          action: 'stored_value.charge',
          targetType: 'member',
          targetId: String(member._id),
          memberId: String(member._id),
          after: { orderNo: input.orderNo, amountFen: input.amountFen, principalFen: parts.principalFen, bonusFen: parts.bonusFen, authorizedBy: how.authorizedBy },
        },
        session,
      );
      // The member's 储值消费通知, recorded with the charge (its outbox entry), keyed by it so it is sent once; the
      // messaging module spends the member's quota (none granted: skipped) and retries a busy WeChat itself.
      await this.deps.messaging.enqueue(session, {
        key: chargeMessageKey(chargeId),
        memberId: member._id,
        purpose: 'storedValueCharge',
        fields: {
          storeName: how.storeName,
          chargeAmount: { fen: charge.amountFen },
          balance: { fen: entry.principalAfter + entry.bonusAfter },
          chargedAt: charge.createdAt,
          note: null,
        },
        page: 'pages/stored-value-pay/index',
      });
      return charge;
    });
  }

  /** What the counter's member panel shows: the balance and what a charge of it needs. */
  async panelView(memberId: Types.ObjectId): Promise<CounterStoredValue> {
    const [balance, settings, pin] = await Promise.all([this.deps.ledger.balanceOf(memberId), this.deps.settings.cached(), this.deps.pins.status(memberId)]);
    return { ...balance, confirmAboveFen: settings.confirmAboveFen, pinSet: pin.set && !pin.lockedUntil };
  }

  /** The charge of this store's order number. */
  async chargeOf(actor: TillActor, orderNo: string): Promise<StoredValueCharge> {
    const charge = await this.deps.charges.findOne({ storeId: actor.storeId, orderNo }).lean<ChargeDoc>();
    if (!charge) throw errors.notFound('No stored-value charge under this order number at this store.');
    return chargeView(charge);
  }

  /** Gives back the stored-value share of refunded lines or of the rest of the order; once per refund number. */
  async refund(actor: TillActor, requestId: string, body: StoredValueRefundBody): Promise<Reply<StoredValueRefund>> {
    assertStoreScope(actor, actor.storeId);
    const fingerprint = createHash('sha256').update(canonicalJson({ orderNo: body.orderNo, whole: body.whole ?? false, lines: body.lines ?? [] })).digest('hex');
    for (let attempt = 0; ; attempt++) {
      const earlier = await this.existingRefund(actor.storeId, body.refundNo, fingerprint);
      if (earlier) return { status: 201, body: earlier };
      try {
        return { status: 201, body: await this.refundOnce(actor, requestId, body, fingerprint) };
      } catch (err) {
        if (isDuplicateKeyError(err)) continue; // the same refund number committed by a parallel request
        if (err instanceof RefundRaced && attempt < 10) continue;
        if (err instanceof RefundRaced) throw new AppError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'Another refund of this order is being booked; retry shortly.');
        throw err;
      }
    }
  }

  private async refundOnce(actor: TillActor, requestId: string, body: StoredValueRefundBody, fingerprint: string): Promise<StoredValueRefund> {
    const charge = await this.deps.charges.findOne({ storeId: actor.storeId, orderNo: body.orderNo }).lean<ChargeDoc>();
    if (!charge) throw errors.notFound('No stored-value charge under this order number at this store.');
    const exceeds = (message: string, field?: string) => new AppError(ErrorCode.REFUND_EXCEEDS_CHARGE, message, field ? { field } : undefined);
    if (charge.refundedOrderFen >= charge.orderTotalFen) throw exceeds('Everything paid from the balance for this order was refunded already.');

    // What of the order this refund covers: the chosen lines, or everything not refunded yet.
    const refunding = new Set<number>();
    let orderFen: number;
    if (body.whole) {
      charge.lines.forEach((line, i) => !line.refunded && refunding.add(i));
      orderFen = charge.orderTotalFen - charge.refundedOrderFen;
    } else {
      if (charge.lines.length === 0) throw errors.validation('This charge was made without lines: refund it whole.', { fields: [{ field: 'body.lines', message: 'No lines to refund' }] });
      orderFen = 0;
      for (const [i, index] of body.lines!.entries()) {
        const line = charge.lines[index];
        if (!line) throw exceeds(`The order has no line ${index}.`, `body.lines.${i}`);
        if (line.refunded || refunding.has(index)) throw exceeds(`Line ${index} (${line.sku}) was refunded already.`, `body.lines.${i}`);
        refunding.add(index);
        orderFen += line.amountFen;
      }
    }
    const refundedOrderFen = charge.refundedOrderFen + orderFen;
    const all = refundedOrderFen === charge.orderTotalFen;
    // Counted on the running total, so refunds adding up to the whole order give back exactly what was charged.
    const target = all ? charge.amountFen : Math.floor((charge.amountFen * refundedOrderFen) / charge.orderTotalFen);
    const amountFen = target - charge.refundedFen;
    const parts = splitRefund(
      { principalFen: charge.principalFen, bonusFen: charge.bonusFen },
      { principalFen: charge.refundedPrincipalFen, bonusFen: charge.refundedBonusFen },
      amountFen,
    );
    if (!parts) throw exceeds('This is more than is left of the charge.');
    const storeName = await this.storeName(actor.storeId);

    return inTransaction(this.deps.connection, undefined, async (session) => {
      const at = this.deps.now();
      const moved = await this.deps.charges.updateOne(
        { _id: charge._id, refundedOrderFen: charge.refundedOrderFen },
        {
          $set: {
            lines: charge.lines.map((line, i) => ({ ...line, refunded: line.refunded || refunding.has(i) })),
            refundedOrderFen,
            refundedFen: target,
            refundedPrincipalFen: charge.refundedPrincipalFen + parts.principalFen,
            refundedBonusFen: charge.refundedBonusFen + parts.bonusFen,
          },
        },
        { session },
      );
      if (moved.matchedCount !== 1) throw new RefundRaced();
      let balance = await this.deps.ledger.balanceOf(charge.memberId, session);
      if (amountFen > 0) {
        const entry = await this.deps.ledger.apply(session, {
          memberId: charge.memberId,
          kind: 'charge_refund',
          principalDelta: parts.principalFen,
          bonusDelta: parts.bonusFen,
          storeId: actor.storeId,
          ref: { type: 'charge', id: String(charge._id) },
          reason: `储值退款 · ${storeName}`,
          idempotencyKey: `sv-refund:${actor.storeId}:${body.refundNo}`,
          actor: actorName(actor),
        });
        balance = { principalFen: entry.principalAfter, bonusFen: entry.bonusAfter, totalFen: entry.principalAfter + entry.bonusAfter };
      }
      const doc: ChargeRefundDoc = {
        _id: new Types.ObjectId(),
        storeId: actor.storeId,
        refundNo: body.refundNo,
        orderNo: charge.orderNo,
        chargeId: charge._id,
        memberId: charge.memberId,
        whole: all,
        lines: [...refunding].sort((a, b) => a - b),
        amountFen,
        principalFen: parts.principalFen,
        bonusFen: parts.bonusFen,
        otherRefundFen: orderFen - amountFen,
        balanceAfter: { principalFen: balance.principalFen, bonusFen: balance.bonusFen },
        actor: actorName(actor),
        fingerprint,
        createdAt: at,
      };
      await this.deps.refunds.collection.insertOne(doc, { session });
      await this.deps.audit.record(
        actor,
        requestId,
        {
          action: 'stored_value.refund',
          targetType: 'member',
          targetId: String(charge.memberId),
          memberId: String(charge.memberId),
          after: { orderNo: charge.orderNo, refundNo: body.refundNo, lines: doc.lines, amountFen, principalFen: parts.principalFen, bonusFen: parts.bonusFen },
        },
        session,
      );
      const after = (await this.deps.charges.findById(charge._id).session(session).lean<ChargeDoc>())!;
      return refundView(doc, after);
    });
  }

  private async existingRefund(storeId: string, refundNo: string, fingerprint: string): Promise<StoredValueRefund | null> {
    const existing = await this.deps.refunds.findOne({ storeId, refundNo }).lean<ChargeRefundDoc>();
    if (!existing) return null;
    if (existing.fingerprint !== fingerprint) throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This refund number was already used for a different refund.');
    const charge = (await this.deps.charges.findById(existing.chargeId).lean<ChargeDoc>())!;
    return refundView(existing, charge);
  }

  /** The booked charge for a repeat of the same order; 409 when the number was used for another charge. */
  private replay(existing: ChargeDoc, input: StoredValueChargeInput): StoredValueCharge {
    if (chargeFingerprint(String(existing.memberId), input) !== existing.fingerprint) {
      throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This order number was already used for a different stored-value charge.');
    }
    return chargeView(existing);
  }

  private async memberOf(actor: TillActor, requestId: string, authority: ChargeAuthority): Promise<MemberDoc> {
    let memberId: Types.ObjectId;
    if (authority.kind === 'code') {
      // Counted like every scan: invalid codes count against the clerk (or key) and the store.
      return this.deps.lookups.guard(actor, requestId, async () => {
        const { parsed, member } = await this.deps.membersService.verifyScannedCode(authority.code);
        if (parsed.kind !== 'member') throw new AppError(ErrorCode.CODE_INVALID, 'This is not a member code; ask for the member card.');
        return member;
      });
    }
    if (authority.kind === 'confirmation') memberId = (await this.deps.confirmations.named(authority.id, actor.storeId)).memberId;
    else {
      // A resend of a booked charge was answered above; anything new needs a fresh scan.
      if (authority.expired) throw new AppError(ErrorCode.CODE_INVALID, 'The scan is more than 10 minutes old: scan the member’s code again.');
      memberId = new Types.ObjectId(authority.memberId);
    }
    const member = await this.deps.members.findOne({ _id: memberId, status: 'active' }).lean<MemberDoc>();
    if (!member) throw new AppError(ErrorCode.CODE_INVALID, 'This member’s card is no longer active.');
    return member;
  }

  /**
   * Runs one member's charges of this instance one after another. Not for correctness (the transaction and the
   * ledger's conditional update are that, across instances too) but for a hot member: parallel transactions on
   * one account abort each other with write conflicts and retry, so n at once cost about n²/2 attempts.
   */
  private oneAtATime<T>(memberId: string, work: () => Promise<T>): Promise<T> {
    const before = this.memberQueues.get(memberId) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.memberQueues.set(memberId, settled);
    void settled.then(() => {
      if (this.memberQueues.get(memberId) === settled) this.memberQueues.delete(memberId);
    });
    return run;
  }

  private async storeName(storeId: string): Promise<string> {
    const cached = this.storeNames.get(storeId);
    if (cached && Date.now() - cached.at < 60_000) return cached.name;
    const store = await this.deps.stores.findById(storeId, { name: 1 }).lean<{ name: string }>();
    const name = store?.name ?? storeId;
    this.storeNames.set(storeId, { name, at: Date.now() });
    return name;
  }
}

/** amountFen + other payments = orderTotalFen, and the lines (when sent) add up to it: 400 PAYMENT_TOTAL_MISMATCH otherwise. */
function checkTotals(input: StoredValueChargeInput): void {
  const paid = input.amountFen + input.otherPayments.reduce((sum, p) => sum + p.amountFen, 0);
  if (paid !== input.orderTotalFen) {
    throw new AppError(ErrorCode.PAYMENT_TOTAL_MISMATCH, `Stored value ${input.amountFen} fen and the other payments add up to ${paid} fen, not orderTotalFen ${input.orderTotalFen}.`, {
      fields: [{ field: 'body.otherPayments', message: `amountFen + Σ otherPayments = ${paid}` }],
    });
  }
  if (input.lines) {
    const lines = input.lines.reduce((sum, line) => sum + line.amountFen, 0);
    if (lines !== input.orderTotalFen) {
      throw new AppError(ErrorCode.PAYMENT_TOTAL_MISMATCH, `The lines add up to ${lines} fen, not orderTotalFen ${input.orderTotalFen}.`, {
        fields: [{ field: 'body.lines', message: `Σ lines = ${lines}` }],
      });
    }
  }
}

function insufficient(balance: { principalFen: number; bonusFen: number }, amountFen: number): AppError {
  return new AppError(ErrorCode.INSUFFICIENT_BALANCE, `Not enough stored value: ${balance.principalFen + balance.bonusFen} fen held, ${amountFen} fen asked.`, {
    principalFen: balance.principalFen,
    bonusFen: balance.bonusFen,
    amountFen,
  });
}

/** The key of a charge's 储值消费通知 in the messaging module's records. */
export function chargeMessageKey(chargeId: Types.ObjectId): string {
  return `stored-value-charge:${String(chargeId)}`;
}

function actorName(actor: TillActor): string {
  return actor.staffId.startsWith('pos:') ? actor.staffId : `staff:${actor.staffId}`;
}

function chargeFingerprint(memberId: string, input: StoredValueChargeInput): string {
  const { orderNo, orderTotalFen, amountFen, otherPayments, lines } = input;
  return createHash('sha256').update(canonicalJson({ memberId, orderNo, orderTotalFen, amountFen, otherPayments, lines: lines ?? [] })).digest('hex');
}

export function chargeView(doc: ChargeDoc): StoredValueCharge {
  return {
    status: 'charged',
    chargeId: String(doc._id),
    orderNo: doc.orderNo,
    storeId: doc.storeId,
    memberId: String(doc.memberId),
    orderTotalFen: doc.orderTotalFen,
    amountFen: doc.amountFen,
    principalFen: doc.principalFen,
    bonusFen: doc.bonusFen,
    otherPayments: doc.otherPayments.map((p) => ({ method: p.method, amountFen: p.amountFen, ...(p.reference ? { reference: p.reference } : {}) })),
    lines: doc.lines.map(({ sku, name, amountFen, refunded }) => ({ sku, name, amountFen, refunded })),
    refundedFen: doc.refundedFen,
    balanceAfter: { ...doc.balanceAfter, totalFen: doc.balanceAfter.principalFen + doc.balanceAfter.bonusFen },
    authorizedBy: doc.authorizedBy,
    createdAt: doc.createdAt.toISOString(),
  };
}

function refundView(doc: ChargeRefundDoc, charge: ChargeDoc): StoredValueRefund {
  return {
    refundNo: doc.refundNo,
    orderNo: doc.orderNo,
    amountFen: doc.amountFen,
    principalFen: doc.principalFen,
    bonusFen: doc.bonusFen,
    otherRefundFen: doc.otherRefundFen,
    balanceAfter: { ...doc.balanceAfter, totalFen: doc.balanceAfter.principalFen + doc.balanceAfter.bonusFen },
    charge: chargeView(charge),
    createdAt: doc.createdAt.toISOString(),
  };
}
