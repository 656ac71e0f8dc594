import { AutomationRuleKindSchema, AutomationRulePageSchema, AutomationRulePatchSchema, AutomationRuleSchema } from '@membercard/shared';
import { z } from 'zod';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

const RuleParams = z.strictObject({ id: AutomationRuleKindSchema });

export function automationRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/automation-rules', tag: 'campaigns', auth: 'admin',
      summary: 'Every automation rule with its settings and what it has sent', response: AutomationRulePageSchema,
      handler: () => s.automation.list(),
    }),
    route({
      method: 'patch', path: '/admin/automation-rules/:id', tag: 'campaigns', auth: 'admin', hq: 'marketing',
      summary: 'Switch a rule on or off, or change its coupon, copy or parameters',
      params: RuleParams, body: AutomationRulePatchSchema, response: AutomationRuleSchema,
      handler: ({ params, body, actor, ctx }) => s.automation.patch(actor, ctx.state.requestId, params.id, body),
    }),
  ];
}
