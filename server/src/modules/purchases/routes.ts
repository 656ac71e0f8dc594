import {
  ListQuerySchema,
  PurchaseAnswerSchema,
  PurchaseBodySchema,
  PurchasePageSchema,
  PurchaseReversalAnswerSchema,
  PurchaseReversalBodySchema,
  TierLadderBodySchema,
  TierListSchema,
} from '@membercard/shared';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';


export function purchaseRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/staff/purchases', tag: 'staff', auth: 'staff',
      summary: 'Record a purchase against the member code shown; idempotent on the store’s orderNo and the member the code resolves to',
      // Not the route's body-hash idempotency: the code in the body changes every minute, so the service keys
      // its request record on (store, orderNo) and fingerprints it by member, amount and lines.
      body: PurchaseBodySchema, response: PurchaseAnswerSchema,
      handler: ({ body, actor, ctx }) => s.counter.lookups.guard(actor, ctx.state.requestId, () => s.purchases.record(actor, ctx.state.requestId, body)),
    }),
    route({
      method: 'post', path: '/staff/purchases/:id/reversal', tag: 'staff', auth: 'manager',
      summary: 'Reverse a purchase of this store within 24 h: points taken back up to the balance, the shortfall recorded',
      params: ObjectIdParamsSchema, body: PurchaseReversalBodySchema, response: PurchaseReversalAnswerSchema,
      handler: ({ params, body, actor, ctx }) => s.purchases.reverse(actor, params.id, body.reason, ctx.state.requestId),
    }),
    route({
      method: 'get', path: '/admin/members/:id/purchases', tag: 'admin', auth: 'adminOrManager',
      summary: 'A member’s purchases with their lines, newest first (managers: members of their store)',
      params: ObjectIdParamsSchema, query: ListQuerySchema, response: PurchasePageSchema,
      handler: ({ params, query, actor }) => s.purchases.adminPage(actor, params.id, query.limit, query.cursor),
    }),
    route({
      method: 'get', path: '/tiers', tag: 'tiers', auth: 'public',
      summary: 'The tiers with thresholds, multipliers and benefits, lowest first', response: TierListSchema,
      handler: () => s.tiers.list(),
    }),
    route({
      method: 'get', path: '/admin/tiers', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'The tier ladder', response: TierLadderBodySchema,
      handler: () => s.tiers.ladder(),
    }),
    route({
      method: 'put', path: '/admin/tiers', tag: 'admin', auth: 'admin',
      summary: 'Replace the tier ladder (thresholds, names, multipliers, benefits)',
      body: TierLadderBodySchema, response: TierLadderBodySchema,
      handler: ({ body, actor, ctx }) => s.tiers.update(actor, body.tiers, ctx.state.requestId),
    }),
  ];
}
