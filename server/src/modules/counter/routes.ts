import { CounterCheckoutAnswerSchema, CounterCheckoutBodySchema, CounterPanelBodySchema, CounterPanelSchema } from '@membercard/shared';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

export function counterRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/staff/counter/panel', tag: 'staff', auth: 'staff',
      summary: 'The member panel for a scanned member or coupon code: masked member, last visit, recent purchases, and their coupons with whether this store may take them; with the ticket the checkout needs',
      body: CounterPanelBodySchema, response: CounterPanelSchema,
      handler: ({ body, actor, ctx }) => s.counterCheckout.panel(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'post', path: '/staff/checkout', tag: 'staff', auth: 'staff',
      summary: 'One confirmation: redeems the chosen coupons and records the purchase on the net amount in one transaction; idempotent on the till’s receipt number (orderNo)',
      // Not the route's body-hash idempotency: the service keys its record on (store, orderNo) and fingerprints
      // it by what the ticket resolves to (member, amount, coupons), so a resend with a fresh scan replays too.
      body: CounterCheckoutBodySchema, response: CounterCheckoutAnswerSchema,
      handler: ({ body, actor, ctx }) => s.counterCheckout.checkout(actor, ctx.state.requestId, body),
    }),
  ];
}
