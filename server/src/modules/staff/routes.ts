import { ListQuerySchema } from '@membercard/shared';
import { z } from 'zod';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import {
  AuditListQuerySchema,
  AuditPageSchema,
  StaffAccountAnswerSchema,
  StaffCreateBodySchema,
  StaffListQuerySchema,
  StaffPageSchema,
  StaffPatchBodySchema,
  StoreAnswerSchema,
  StoreCreateBodySchema,
  StorePageSchema,
  StorePatchBodySchema,
} from './schema';

const StoreParams = z.strictObject({ id: z.string().regex(/^[A-Z0-9]{2,16}$/) });
const StaffParams = z.strictObject({ id: z.string().regex(/^[0-9a-f]{24}$/, 'an id') });

export function staffRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/stores', tag: 'stores', auth: 'public',
      summary: 'Open stores, for the home-store choice', response: StorePageSchema,
      handler: () => s.staff.listStores(false),
    }),
    route({
      method: 'get', path: '/staff/me', tag: 'staff', auth: 'staff',
      summary: 'The signed-in staff account', response: StaffAccountAnswerSchema,
      handler: ({ actor }) => s.staff.me(actor),
    }),
    route({
      method: 'get', path: '/admin/me', tag: 'admin', auth: 'adminOrManager',
      summary: 'The signed-in HQ or manager account', response: StaffAccountAnswerSchema,
      handler: ({ actor }) => s.staff.me(actor),
    }),
    route({
      method: 'get', path: '/admin/stores', tag: 'admin', auth: 'admin',
      summary: 'All stores, open or closed', query: ListQuerySchema, response: StorePageSchema,
      handler: () => s.staff.listStores(true),
    }),
    route({
      method: 'post', path: '/admin/stores', tag: 'admin', auth: 'admin', status: 201,
      summary: 'Open a store', body: StoreCreateBodySchema, response: StoreAnswerSchema,
      handler: ({ body, actor, ctx }) => s.staff.createStore(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'patch', path: '/admin/stores/:id', tag: 'admin', auth: 'admin',
      summary: 'Rename, move or close a store', params: StoreParams, body: StorePatchBodySchema, response: StoreAnswerSchema,
      handler: ({ params, body, actor, ctx }) => s.staff.updateStore(actor, ctx.state.requestId, params.id, body),
    }),
    route({
      method: 'get', path: '/admin/staff', tag: 'admin', auth: 'admin',
      summary: 'Staff accounts', query: StaffListQuerySchema, response: StaffPageSchema,
      handler: ({ query }) => s.staff.listStaff(query.storeId, query.limit, query.cursor),
    }),
    route({
      method: 'post', path: '/admin/staff', tag: 'admin', auth: 'admin', status: 201,
      summary: 'Create a staff or HQ account', body: StaffCreateBodySchema, response: StaffAccountAnswerSchema,
      handler: ({ body, actor, ctx }) => s.staff.createStaff(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'patch', path: '/admin/staff/:id', tag: 'admin', auth: 'admin',
      summary: 'Change a staff account (role, store, password, disable)', params: StaffParams, body: StaffPatchBodySchema,
      response: StaffAccountAnswerSchema,
      handler: ({ params, body, actor, ctx }) => s.staff.updateStaff(actor, ctx.state.requestId, params.id, body),
    }),
    route({
      method: 'get', path: '/admin/audit-log', tag: 'admin', auth: 'admin',
      summary: 'Every staff and HQ write, newest first', query: AuditListQuerySchema, response: AuditPageSchema,
      handler: ({ query }) =>
        s.audit.list(
          { ...query, from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined },
          query.limit,
          query.cursor,
        ),
    }),
  ];
}
