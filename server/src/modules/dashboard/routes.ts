import { DashboardQuerySchema, DashboardSchema } from '@membercard/shared';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

export function dashboardRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/dashboard', tag: 'admin', auth: 'adminOrManager',
      summary: 'Programme figures: members, growth, points liability, tiers, spend concentration, coupon redemption (a manager: their store)',
      query: DashboardQuerySchema, response: DashboardSchema,
      handler: ({ query, actor }) => s.dashboard.figures(actor, query.storeId),
    }),
  ];
}
