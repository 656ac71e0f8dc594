import { CategoryCreateBodySchema, CategoryListSchema, CategoryParamsSchema, CategoryPatchBodySchema, CategorySchema, MemberCategoriesSchema } from '@membercard/shared';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

export function categoryRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/categories', tag: 'admin', auth: 'admin',
      summary: 'The product categories purchase lines are booked under, active and disabled, grouped by life situation',
      response: CategoryListSchema,
      handler: () => s.categories.list(),
    }),
    route({
      method: 'post', path: '/admin/categories', tag: 'admin', auth: 'admin', hq: 'admin', status: 201,
      summary: 'Add a product category (409 CONFLICT when the code exists)',
      body: CategoryCreateBodySchema, response: CategorySchema,
      handler: ({ body, actor, ctx }) => s.categories.create(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'patch', path: '/admin/categories/:code', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'Rename, regroup, disable or enable a category; a disabled category is refused on new lines (400 CATEGORY_UNKNOWN) and stays on past purchases',
      params: CategoryParamsSchema, body: CategoryPatchBodySchema, response: CategorySchema,
      handler: ({ params, body, actor, ctx }) => s.categories.update(actor, ctx.state.requestId, params.code, body),
    }),
    route({
      method: 'delete', path: '/admin/categories/:code', tag: 'admin', auth: 'admin', hq: 'admin', status: 204,
      summary: 'Delete a disabled category no member has bought (409 CONFLICT otherwise: it stays disabled)',
      params: CategoryParamsSchema,
      handler: async ({ params, actor, ctx }) => {
        await s.categories.remove(actor, ctx.state.requestId, params.code);
        return { status: 204, body: undefined };
      },
    }),
    route({
      method: 'get', path: '/admin/members/:id/categories', tag: 'admin', auth: 'adminOrManager',
      summary: 'What a member buys, by category: 12-month spend, visits, last bought (managers: members of their store)',
      params: ObjectIdParamsSchema, response: MemberCategoriesSchema,
      handler: ({ params, actor }) => s.categories.forMember(actor, params.id),
    }),
  ];
}
