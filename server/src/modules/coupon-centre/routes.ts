import { CouponCentreClaimAnswerSchema, CouponCentreClaimParamsSchema, CouponCentreSchema, JoinGiftSchema } from '@membercard/shared';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';

export function couponCentreRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/coupon-centre', tag: 'coupons', auth: 'shopper',
      summary: 'The coupon centre (领券中心): claimable templates with stock left and the caller’s allowance (a shopper who has not joined may browse)',
      response: CouponCentreSchema,
      handler: ({ actor }) => s.couponCentre.list(shopperId(actor)),
    }),
    route({
      method: 'post', path: '/coupon-centre/:templateId/claim', tag: 'coupons', auth: 'member', status: 201,
      summary: 'Claim one coupon of a centre template, once per Idempotency-Key (sold out: TEMPLATE_EXHAUSTED; at the limit: COUPON_LIMIT_REACHED)',
      idempotency: { header: true }, params: CouponCentreClaimParamsSchema, response: CouponCentreClaimAnswerSchema,
      admit: ({ params }) => s.couponCentre.admit(params.templateId),
      handler: ({ params, actor, ctx }) => s.couponCentre.claim(shopperId(actor), params.templateId, ctx.get('Idempotency-Key'), ctx.state.member !== undefined),
    }),
    route({
      method: 'get', path: '/join-gift', tag: 'coupons', auth: 'public',
      summary: 'What joining gives (入会礼): the welcome automation rule’s coupon, for the join page before the shopper joins',
      response: JoinGiftSchema,
      handler: () => s.couponCentre.joinGift(),
    }),
  ];
}
