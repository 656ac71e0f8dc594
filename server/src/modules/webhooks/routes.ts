import {
  WebhookDeliveryListSchema,
  WebhookDeliveryParamsSchema,
  WebhookDeliveryQuerySchema,
  WebhookDeliverySchema,
  WebhookEndpointCreateBodySchema,
  WebhookEndpointCreatedSchema,
  WebhookEndpointListSchema,
  WebhookEndpointParamsSchema,
  WebhookEndpointSchema,
  WebhookEndpointUpdateBodySchema,
} from '@membercard/shared';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

// HQ admins manage endpoints and redeliver (they send member data out of the system); any HQ role reads the log.
export function webhookRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/webhooks/endpoints', tag: 'admin', auth: 'admin',
      summary: 'Webhook endpoints (never their secrets)',
      response: WebhookEndpointListSchema,
      handler: () => s.webhooks.listEndpoints(),
    }),
    route({
      method: 'post', path: '/admin/webhooks/endpoints', tag: 'admin', auth: 'admin', hq: 'admin', status: 201,
      summary: 'Register a webhook endpoint for chosen events; the signing secret is in this answer only',
      body: WebhookEndpointCreateBodySchema, response: WebhookEndpointCreatedSchema,
      handler: ({ body, actor, ctx }) => s.webhooks.createEndpoint(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'patch', path: '/admin/webhooks/endpoints/:endpointId', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'Change an endpoint’s URL, events or description, or disable it (status disabled: nothing is sent to it)',
      params: WebhookEndpointParamsSchema, body: WebhookEndpointUpdateBodySchema, response: WebhookEndpointSchema,
      handler: ({ params, body, actor, ctx }) => s.webhooks.updateEndpoint(actor, ctx.state.requestId, params.endpointId, body),
    }),
    route({
      method: 'get', path: '/admin/webhooks/deliveries', tag: 'admin', auth: 'admin',
      summary: 'The delivery log, newest first, each delivery with its attempts',
      query: WebhookDeliveryQuerySchema, response: WebhookDeliveryListSchema,
      handler: ({ query }) => s.webhooks.listDeliveries(query),
    }),
    route({
      method: 'post', path: '/admin/webhooks/deliveries/:deliveryId/redelivery', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'Send a delivery again with the same event id (receivers de-duplicate on it)',
      params: WebhookDeliveryParamsSchema, response: WebhookDeliverySchema,
      handler: ({ params, actor, ctx }) => s.webhooks.redeliver(actor, ctx.state.requestId, params.deliveryId),
    }),
  ];
}
