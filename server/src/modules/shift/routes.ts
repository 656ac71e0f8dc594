import {
  CounterEventPageSchema,
  ListQuerySchema,
  PurchaseReversalAnswerSchema,
  PurchaseReversalBodySchema,
  RedemptionSchema,
  ReversalBodySchema,
  ShiftEventsQuerySchema,
  ShiftQuerySchema,
  ShiftSummarySchema,
  StoreParamsSchema,
} from '@membercard/shared';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

// The counter's day for its staff (their own store), the same for HQ by store, and HQ's reversals from the
// console's member page (the store's managers reverse through /staff/purchases|redemptions/:id/reversal).
export function shiftRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/staff/shift/events', tag: 'staff', auth: 'staff',
      summary: 'The store’s purchases, redemptions and check-ins of a China day, newest first (clerks: today only), each with whether the caller may reverse it',
      query: ShiftEventsQuerySchema, response: CounterEventPageSchema,
      handler: ({ query, actor }) => s.shift.events(actor, null, query),
    }),
    route({
      method: 'get', path: '/staff/shift/summary', tag: 'staff', auth: 'staff',
      summary: 'The store’s day by clerk and by kind (the printable shift summary; clerks: today only); optionally one clerk',
      query: ShiftQuerySchema, response: ShiftSummarySchema,
      handler: ({ query, actor }) => s.shift.summary(actor, null, query),
    }),
    route({
      method: 'get', path: '/admin/stores/:storeId/shift/events', tag: 'admin', auth: 'admin',
      summary: 'A store’s counter entries of a China day, newest first',
      params: StoreParamsSchema, query: ShiftEventsQuerySchema, response: CounterEventPageSchema,
      handler: ({ params, query, actor }) => s.shift.events(actor, params.storeId, query),
    }),
    route({
      method: 'get', path: '/admin/stores/:storeId/shift/summary', tag: 'admin', auth: 'admin',
      summary: 'A store’s day by clerk and by kind',
      params: StoreParamsSchema, query: ShiftQuerySchema, response: ShiftSummarySchema,
      handler: ({ params, query, actor }) => s.shift.summary(actor, params.storeId, query),
    }),
    route({
      method: 'get', path: '/admin/members/:id/counter-events', tag: 'admin', auth: 'admin',
      summary: 'A member’s purchases and coupon redemptions at any store, newest first, with their reversal state',
      params: ObjectIdParamsSchema, query: ListQuerySchema, response: CounterEventPageSchema,
      handler: ({ params, query, actor }) => s.shift.memberEvents(actor, params.id, query.limit, query.cursor),
    }),
    route({
      method: 'post', path: '/admin/purchases/:id/reversal', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'HQ reverses a purchase within 24 h (as a manager would): points taken back up to the balance; repeating answers the first reversal',
      params: ObjectIdParamsSchema, body: PurchaseReversalBodySchema, response: PurchaseReversalAnswerSchema,
      handler: ({ params, body, actor, ctx }) => s.purchases.reverse(actor, params.id, body.reason, ctx.state.requestId),
    }),
    route({
      method: 'post', path: '/admin/redemptions/:id/reversal', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'HQ reverses a coupon redemption within 24 h: the coupon is usable again; repeating answers the reversal',
      params: ObjectIdParamsSchema, body: ReversalBodySchema, response: RedemptionSchema,
      handler: ({ params, body, actor, ctx }) => s.redemptions.reverse(actor, ctx.state.requestId, params.id, body.reason),
    }),
  ];
}
