import {
  ConfirmationDecisionBodySchema,
  ConfirmationParamsSchema,
  CounterStoredValueChargeBodySchema,
  PaymentPinBodySchema,
  PaymentPinStatusSchema,
  PosStoredValueChargeBodySchema,
  StoredValueChargeAnswerSchema,
  StoredValueChargeSchema,
  StoredValueConfirmationListSchema,
  StoredValueConfirmationSchema,
  StoredValueOrderParamsSchema,
  StoredValueRefundBodySchema,
  StoredValueRefundSchema,
} from '@membercard/shared';
import { Types } from 'mongoose';
import { errors } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';

// Paying with the stored-value balance: the counter (a clerk, with the panel's ticket), the POS API (the store's
// signed key, with the member's code or their approved confirmation), and the member's PIN and confirmations.
// Charges and refunds are idempotent in the service on (store, orderNo) and (store, refundNo), fingerprinted by
// what they resolve to (as the counter checkout is), so a resend with a fresh scan replays too.

type TillActor = Extract<Actor, { type: 'staff' }>;

function till(actor: Actor): TillActor {
  if (actor.type !== 'staff') throw errors.forbidden('Only store staff or the store’s till take stored-value payments.');
  return actor;
}

export function storedValueChargeRoutes(s: Services): RouteSpec[] {
  const { storedValueCharges: charges, paymentPins: pins, chargeConfirmations: confirmations } = s;
  const chargeSummary =
    'Pay (part of) an order from the member’s stored-value balance, once per order number: 201 charged; 202 awaiting the member’s approval on the phone when above HQ’s amount without a PIN (send the same order again, with confirmationId, to finish); 422 INSUFFICIENT_BALANCE, PIN_INVALID, PIN_LOCKED, CHARGE_DECLINED; 409 for another charge under the number';
  const refundSummary = 'Give back to the balance the stored-value share of refunded lines or of the whole order (principal and bonus in the charge’s proportion), once per refund number; 422 REFUND_EXCEEDS_CHARGE';
  return [
    route({
      method: 'post', path: '/staff/counter/stored-value/charges', tag: 'staff', auth: 'staff',
      summary: `${chargeSummary}. The member is the one the counter panel’s ticket names (a fresh scan).`,
      body: CounterStoredValueChargeBodySchema, response: StoredValueChargeAnswerSchema,
      handler: ({ body, actor, ctx }) => {
        const staff = till(actor);
        const { ticket, confirmationId, ...input } = body;
        const opened = s.counterCheckout.openTicket(ticket, staff.storeId);
        const authority = confirmationId ? { kind: 'confirmation' as const, id: confirmationId } : { kind: 'ticket' as const, ...opened };
        return charges.charge(staff, ctx.state.requestId, authority, input);
      },
    }),
    route({
      method: 'get', path: '/staff/stored-value/charges/:orderNo', tag: 'staff', auth: 'staff',
      summary: 'The stored-value charge of this store’s order number, with what was refunded',
      params: StoredValueOrderParamsSchema, response: StoredValueChargeSchema,
      handler: ({ params, actor }) => charges.chargeOf(till(actor), params.orderNo),
    }),
    route({
      method: 'post', path: '/staff/stored-value/refunds', tag: 'staff', auth: 'staff', status: 201,
      summary: refundSummary,
      body: StoredValueRefundBodySchema, response: StoredValueRefundSchema,
      handler: ({ body, actor, ctx }) => charges.refund(till(actor), ctx.state.requestId, body),
    }),
    route({
      method: 'post', path: '/pos/stored-value/charges', tag: 'pos', auth: 'pos',
      summary: `${chargeSummary}. The member is the one whose fresh code the till read (counted like every scan), or the one who approved confirmationId.`,
      body: PosStoredValueChargeBodySchema, response: StoredValueChargeAnswerSchema,
      handler: ({ body, actor, ctx }) => {
        const { memberCode, confirmationId, ...input } = body;
        const authority = confirmationId ? { kind: 'confirmation' as const, id: confirmationId } : { kind: 'code' as const, code: memberCode! };
        return charges.charge(till(actor), ctx.state.requestId, authority, input);
      },
    }),
    route({
      method: 'get', path: '/pos/stored-value/charges/:orderNo', tag: 'pos', auth: 'pos',
      summary: 'The stored-value charge of this store’s order number, with what was refunded',
      params: StoredValueOrderParamsSchema, response: StoredValueChargeSchema,
      handler: ({ params, actor }) => charges.chargeOf(till(actor), params.orderNo),
    }),
    route({
      method: 'post', path: '/pos/stored-value/refunds', tag: 'pos', auth: 'pos', status: 201,
      summary: refundSummary,
      body: StoredValueRefundBodySchema, response: StoredValueRefundSchema,
      handler: ({ body, actor, ctx }) => charges.refund(till(actor), ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/me/stored-value/pin', tag: 'stored-value', auth: 'member',
      summary: 'Whether the member has set a payment PIN, and whether it is locked after wrong attempts',
      response: PaymentPinStatusSchema,
      handler: ({ actor }) => pins.status(new Types.ObjectId(shopperId(actor))),
    }),
    route({
      method: 'post', path: '/me/stored-value/pin', tag: 'stored-value', auth: 'member',
      summary: 'Set the 6-digit payment PIN (changing it needs the current one, unless it is locked); stored as a scrypt hash',
      body: PaymentPinBodySchema, response: PaymentPinStatusSchema,
      handler: ({ body, actor }) => pins.set(new Types.ObjectId(shopperId(actor)), body),
    }),
    route({
      method: 'get', path: '/me/stored-value/confirmations', tag: 'stored-value', auth: 'member',
      summary: 'Stored-value payments waiting for the member’s approval (the till asks above HQ’s amount)',
      response: StoredValueConfirmationListSchema,
      handler: async ({ actor }) => ({ items: await confirmations.pendingFor(new Types.ObjectId(shopperId(actor))) }),
    }),
    route({
      method: 'post', path: '/me/stored-value/confirmations/:id/decision', tag: 'stored-value', auth: 'member',
      summary: 'Approve or decline a stored-value payment; deciding again the same way answers the same, a lapsed one is 422 CONFIRMATION_EXPIRED',
      params: ConfirmationParamsSchema, body: ConfirmationDecisionBodySchema, response: StoredValueConfirmationSchema,
      handler: ({ params, body, actor }) => confirmations.decide(new Types.ObjectId(shopperId(actor)), params.id, body.approve),
    }),
  ];
}
