import { EarnRulesSchema, LedgerEntrySchema, LedgerPageSchema, ListQuerySchema, PointsAdjustmentBodySchema } from '@membercard/shared';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';


export function pointsRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/me/points/ledger', tag: 'points', auth: 'member',
      summary: 'The member’s points ledger, newest first',
      query: ListQuerySchema, response: LedgerPageSchema,
      handler: ({ query, actor }) => s.points.memberPage(shopperId(actor), query.limit, query.cursor),
    }),
    route({
      method: 'get', path: '/admin/members/:id/ledger', tag: 'admin', auth: 'adminOrManager',
      summary: 'A member’s points ledger (managers: members of their store)',
      params: ObjectIdParamsSchema, query: ListQuerySchema, response: LedgerPageSchema,
      handler: ({ params, query, actor }) => s.points.adminPage(actor, params.id, query.limit, query.cursor),
    }),
    route({
      method: 'post', path: '/admin/members/:id/points-adjustments', tag: 'admin', auth: 'admin', status: 201,
      summary: 'Correct a member’s balance; 422 INSUFFICIENT_POINTS when it would go below 0',
      params: ObjectIdParamsSchema, body: PointsAdjustmentBodySchema, response: LedgerEntrySchema,
      idempotency: { header: true },
      handler: ({ params, body, actor, ctx }) => s.points.adjust(actor, params.id, body, ctx.get('Idempotency-Key'), ctx.state.requestId),
    }),
    route({
      method: 'get', path: '/admin/earn-rules', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'Base rate and multiplier campaigns', response: EarnRulesSchema,
      handler: () => s.points.earnRules(),
    }),
    route({
      method: 'put', path: '/admin/earn-rules', tag: 'admin', auth: 'admin',
      summary: 'Replace the earn rules (time-boxed campaigns by weekday or date range, optionally per store or tier)',
      body: EarnRulesSchema, response: EarnRulesSchema,
      handler: ({ body, actor, ctx }) => s.points.updateEarnRules(actor, body, ctx.state.requestId),
    }),
  ];
}
