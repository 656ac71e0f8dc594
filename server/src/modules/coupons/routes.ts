import {
  AdminCouponListQuerySchema,
  CouponGrantBodySchema,
  CouponListQuerySchema,
  CouponPageSchema,
  CouponSchema,
  CouponTemplateInputSchema,
  CouponTemplateListQuerySchema,
  CouponTemplatePageSchema,
  CouponTemplateSchema,
  ListQuerySchema,
  PointsExchangeAnswerSchema,
  PointsExchangeBodySchema,
  RedemptionBodySchema,
  RedemptionSchema,
  ReversalBodySchema,
  ShortLivedCodeAnswerSchema,
} from '@membercard/shared';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';


export function couponRoutes(s: Services): RouteSpec[] {
  return [
    // ---- templates (HQ) ----
    route({
      method: 'post', path: '/admin/coupon-templates', tag: 'coupons', auth: 'admin', hq: 'marketing', status: 201,
      summary: 'Create a coupon template', body: CouponTemplateInputSchema, response: CouponTemplateSchema,
      handler: ({ body, actor, ctx }) => s.coupons.createTemplate(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/coupon-templates', tag: 'coupons', auth: 'admin',
      summary: 'Coupon templates, newest first', query: CouponTemplateListQuerySchema, response: CouponTemplatePageSchema,
      handler: ({ query }) => s.coupons.listTemplates({ status: query.status }, query.limit, query.cursor),
    }),
    route({
      method: 'get', path: '/admin/coupon-templates/:id', tag: 'coupons', auth: 'admin',
      summary: 'One coupon template', params: ObjectIdParamsSchema, response: CouponTemplateSchema,
      handler: ({ params }) => s.coupons.template(params.id),
    }),
    route({
      method: 'patch', path: '/admin/coupon-templates/:id', tag: 'coupons', auth: 'admin', hq: 'marketing',
      summary: 'Replace a template’s terms; only while none is issued (else 409)',
      params: ObjectIdParamsSchema, body: CouponTemplateInputSchema, response: CouponTemplateSchema,
      handler: ({ params, body, actor, ctx }) => s.coupons.updateTemplate(actor, ctx.state.requestId, params.id, body),
    }),
    route({
      method: 'post', path: '/admin/coupon-templates/:id/archive', tag: 'coupons', auth: 'admin', hq: 'marketing',
      summary: 'Stop issuing a template; held coupons stay valid', params: ObjectIdParamsSchema, response: CouponTemplateSchema,
      handler: ({ params, actor, ctx }) => s.coupons.archiveTemplate(actor, ctx.state.requestId, params.id),
    }),
    route({
      method: 'post', path: '/admin/coupon-templates/:id/grants', tag: 'coupons', auth: 'admin', hq: 'marketing', status: 201,
      summary: 'Give a member one coupon of the template', idempotency: { header: true },
      params: ObjectIdParamsSchema, body: CouponGrantBodySchema, response: CouponSchema,
      admit: ({ params }) => s.coupons.admitGrant(params.id),
      handler: ({ params, body, actor, ctx }) =>
        s.coupons.grant(actor, ctx.state.requestId, params.id, body.memberId, ctx.get('Idempotency-Key')),
    }),
    route({
      method: 'get', path: '/admin/members/:id/coupons', tag: 'admin', auth: 'adminOrManager',
      summary: 'A member’s coupons (a manager: members of their store)', params: ObjectIdParamsSchema, query: AdminCouponListQuerySchema,
      response: CouponPageSchema,
      handler: ({ params, query, actor }) => s.coupons.listForAdmin(actor, params.id, query.status, query.limit, query.cursor),
    }),

    // ---- the wallet ----
    route({
      method: 'get', path: '/me/coupons', tag: 'coupons', auth: 'member',
      summary: 'The wallet: available, used or expired coupons with their terms', query: CouponListQuerySchema, response: CouponPageSchema,
      handler: ({ query, actor }) => s.coupons.listMine(shopperId(actor), query.status, query.limit, query.cursor),
    }),
    route({
      method: 'get', path: '/me/coupons/:id/code', tag: 'coupons', auth: 'member',
      summary: 'The signed short-lived code for the in-store redemption QR', params: ObjectIdParamsSchema, response: ShortLivedCodeAnswerSchema,
      handler: ({ params, actor, ctx }) => s.coupons.codeFor(shopperId(actor), params.id, ctx.state.member),
    }),

    // ---- the points mall ----
    route({
      method: 'get', path: '/me/points/exchangeable', tag: 'coupons', auth: 'member',
      summary: 'Coupons a member may buy with points', query: ListQuerySchema, response: CouponTemplatePageSchema,
      handler: ({ query }) => s.coupons.listTemplates({ exchangeable: true }, query.limit, query.cursor),
    }),
    route({
      method: 'get', path: '/mall/items', tag: 'coupons', auth: 'public',
      summary: 'The points mall for anyone to browse (guests see what joining offers); the same list as /me/points/exchangeable',
      query: ListQuerySchema, response: CouponTemplatePageSchema,
      handler: ({ query }) => s.coupons.listTemplates({ exchangeable: true }, query.limit, query.cursor),
    }),
    route({
      method: 'post', path: '/me/points/exchanges', tag: 'coupons', auth: 'member', status: 201,
      summary: 'Exchange points for a coupon: both or neither', idempotency: { header: true },
      body: PointsExchangeBodySchema, response: PointsExchangeAnswerSchema,
      admit: ({ body }) => s.mall.admit(body.templateId),
      handler: ({ body, actor, ctx }) => s.mall.exchange(shopperId(actor), body.templateId, ctx.get('Idempotency-Key'), ctx.state.member),
    }),

    // ---- the counter ----
    route({
      method: 'post', path: '/staff/redemptions', tag: 'staff', auth: 'staff', status: 201,
      summary: 'Redeem the coupon code a member shows, exactly once', body: RedemptionBodySchema, response: RedemptionSchema,
      handler: ({ body, actor, ctx }) => s.counter.lookups.guard(actor, ctx.state.requestId, () => s.redemptions.redeem(actor, ctx.state.requestId, body)),
    }),
    route({
      method: 'post', path: '/staff/redemptions/:id/reversal', tag: 'staff', auth: 'manager',
      summary: 'Reverse a redemption within 24 h (manager of that store); the coupon is usable again',
      params: ObjectIdParamsSchema, body: ReversalBodySchema, response: RedemptionSchema,
      handler: ({ params, body, actor, ctx }) => s.redemptions.reverse(actor, ctx.state.requestId, params.id, body.reason),
    }),
  ];
}
