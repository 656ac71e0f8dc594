import { MarketingSettingsPatchSchema, MarketingSettingsSchema, SubscriptionsBodySchema } from '@membercard/shared';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';

export function messagingRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/me/subscriptions', tag: 'members', auth: 'member', status: 204,
      summary: 'Record the subscribe templates the member accepted; each adds one message of quota',
      body: SubscriptionsBodySchema,
      handler: async ({ body, actor }) => {
        await s.messaging.acceptSubscriptions(shopperId(actor), body.accepted);
        return { status: 204, body: undefined };
      },
    }),
    route({
      method: 'get', path: '/admin/marketing-settings', tag: 'campaigns', auth: 'admin',
      summary: 'The message frequency cap and the value of a point', response: MarketingSettingsSchema,
      handler: () => s.messaging.settings(),
    }),
    route({
      method: 'patch', path: '/admin/marketing-settings', tag: 'campaigns', auth: 'admin', hq: 'marketing',
      summary: 'Change the message frequency cap or the value of a point', body: MarketingSettingsPatchSchema, response: MarketingSettingsSchema,
      handler: ({ body, actor, ctx }) => s.messaging.updateSettings(actor, ctx.state.requestId, body),
    }),
  ];
}
