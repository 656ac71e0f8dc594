import {
  MarketingSettingsPatchSchema,
  MarketingSettingsSchema,
  MessagePurposeParamsSchema,
  SubscribeTemplateBodySchema,
  SubscribeTemplateSettingSchema,
  SubscribeTemplateSettingsSchema,
  SubscriptionsBodySchema,
} from '@membercard/shared';
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
    route({
      method: 'get', path: '/admin/subscribe-templates', tag: 'campaigns', auth: 'admin',
      summary: 'The WeChat subscribe-message template of each purpose, its keyword map and whether HQ or the environment set it',
      response: SubscribeTemplateSettingsSchema,
      handler: () => s.messaging.templateSettings(),
    }),
    route({
      method: 'put', path: '/admin/subscribe-templates/:purpose', tag: 'campaigns', auth: 'admin',
      summary: 'Set the template a purpose uses (id and keyword → field map from the WeChat console), replacing the environment’s',
      params: MessagePurposeParamsSchema, body: SubscribeTemplateBodySchema, response: SubscribeTemplateSettingSchema,
      handler: ({ params, body, actor, ctx }) => s.messaging.setTemplate(actor, ctx.state.requestId, params.purpose, body),
    }),
    route({
      method: 'delete', path: '/admin/subscribe-templates/:purpose', tag: 'campaigns', auth: 'admin',
      summary: 'Go back to the environment’s template for a purpose', params: MessagePurposeParamsSchema, response: SubscribeTemplateSettingSchema,
      handler: ({ params, actor, ctx }) => s.messaging.setTemplate(actor, ctx.state.requestId, params.purpose, null),
    }),
  ];
}
