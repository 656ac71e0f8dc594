import {
  MemberOfferReasonsSchema,
  OfferAssignmentSchema,
  OfferPoolBodySchema,
  OfferPoolEntrySchema,
  OfferPoolListSchema,
  OfferRunLaunchBodySchema,
  OfferRunListSchema,
  OfferRunResultsSchema,
  OfferRunSchema,
  OfferScheduleSchema,
  TopMembersSummarySchema,
} from '@membercard/shared';
import { z } from 'zod';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';

const TemplateParamsSchema = z.strictObject({ templateId: z.string().regex(/^[0-9a-f]{24}$/, 'an id') });
const MemberOffersSchema = z
  .object({ items: z.array(OfferAssignmentSchema.extend({ runId: z.string(), createdAt: z.string() })) })
  .meta({ id: 'MemberOffers', description: 'A member’s selections in the latest personalised runs, newest first.' });

export function offerRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/offers/pool', tag: 'offers', auth: 'admin',
      summary: 'The offer pool: templates tagged with the categories they serve, and 满减 templates with the baskets they suit', response: OfferPoolListSchema,
      handler: () => s.offers.listPool(),
    }),
    route({
      method: 'post', path: '/admin/offers/pool', tag: 'offers', auth: 'admin', hq: 'marketing',
      summary: 'Put a template in the pool or change its entry (404 for an unknown template; 400 for a threshold offer without a minimum spend, or an unknown category)',
      body: OfferPoolBodySchema, response: OfferPoolEntrySchema,
      handler: ({ body, actor, ctx }) => s.offers.putPool(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'delete', path: '/admin/offers/pool/:templateId', tag: 'offers', auth: 'admin', hq: 'marketing', status: 204, params: TemplateParamsSchema,
      summary: 'Take a template out of the pool (coupons already issued stay)',
      handler: async ({ params, actor, ctx }) => {
        await s.offers.removePool(actor, ctx.state.requestId, params.templateId);
        return { status: 204, body: undefined };
      },
    }),
    route({
      method: 'get', path: '/admin/offers/runs', tag: 'offers', auth: 'admin',
      summary: 'Personalised runs, newest first', response: OfferRunListSchema,
      handler: () => s.offers.listRuns(),
    }),
    route({
      method: 'post', path: '/admin/offers/runs', tag: 'offers', auth: 'admin', hq: 'marketing', status: 202,
      summary: 'Launch a personalised run in the background (409 CONFLICT while one runs or with an empty pool)',
      body: OfferRunLaunchBodySchema, response: OfferRunSchema,
      handler: ({ body, actor, ctx }) => s.offers.launch(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/offers/runs/:id', tag: 'offers', auth: 'admin', params: ObjectIdParamsSchema,
      summary: 'A run with its progress', response: OfferRunSchema,
      handler: ({ params }) => s.offers.getRun(params.id),
    }),
    route({
      method: 'get', path: '/admin/offers/runs/:id/results', tag: 'offers', auth: 'admin', params: ObjectIdParamsSchema,
      summary: 'A run against its holdout (overall, by category, by tier) and against broadcast campaigns of the same period', response: OfferRunResultsSchema,
      handler: ({ params }) => s.offers.results(params.id),
    }),
    route({
      method: 'get', path: '/admin/offers/schedule', tag: 'offers', auth: 'admin',
      summary: 'Whether runs start on their own, and how often', response: OfferScheduleSchema,
      handler: () => s.offers.schedule(),
    }),
    route({
      method: 'put', path: '/admin/offers/schedule', tag: 'offers', auth: 'admin', hq: 'marketing',
      summary: 'Turn the schedule on or off, or change its period', body: OfferScheduleSchema, response: OfferScheduleSchema,
      handler: ({ body, actor, ctx }) => s.offers.setSchedule(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/offers/top-members', tag: 'offers', auth: 'admin',
      summary: 'The top 20% by 12-month spend, brand-wide and per home store, as the daily job left them', response: TopMembersSummarySchema,
      handler: () => s.topMembers.summary(),
    }),
    route({
      method: 'get', path: '/admin/members/:id/offers', tag: 'offers', auth: 'adminOrManager', params: ObjectIdParamsSchema,
      summary: 'A member’s personalised selections with their reasons (managers: members of their store)', response: MemberOffersSchema,
      handler: ({ params, actor }) => s.offers.forMember(actor, params.id),
    }),
    route({
      method: 'get', path: '/me/offers/reasons', tag: 'offers', auth: 'member',
      summary: 'Why each of the member’s personalised coupons was chosen (你常买 …)', response: MemberOfferReasonsSchema,
      handler: ({ actor }) => s.offers.reasonsFor(shopperId(actor)),
    }),
  ];
}
