import {
  AuditEntryPageSchema,
  AuditListQuerySchema,
  ListQuerySchema,
  PasswordChangeAnswerSchema,
  PasswordChangeBodySchema,
  StaffAccountPageSchema,
  StaffAccountSchema,
  StaffCreateBodySchema,
  StaffListQuerySchema,
  StaffPatchBodySchema,
  StoreCreateBodySchema,
  StoreDetailPageSchema,
  StoreDetailSchema,
  StorePageSchema,
  StorePatchBodySchema,
  STORE_CODE_PATTERN,
} from '@membercard/shared';
import { z } from 'zod';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

const LogoutBodySchema = z.strictObject({ refreshToken: z.string().min(1).max(256) }).meta({ id: 'LogoutBody' });
const StoreParams = z.strictObject({ id: z.string().regex(STORE_CODE_PATTERN) });

export function staffRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/stores', tag: 'stores', auth: 'public',
      summary: 'Open stores, for the home-store choice', response: StorePageSchema,
      handler: () => s.staff.listStores(false),
    }),
    route({
      method: 'get', path: '/staff/me', tag: 'staff', auth: 'staff', beforePasswordChange: true,
      summary: 'The signed-in staff account', response: StaffAccountSchema,
      handler: ({ actor }) => s.staff.me(actor),
    }),
    route({
      method: 'get', path: '/admin/me', tag: 'admin', auth: 'adminOrManager', beforePasswordChange: true,
      summary: 'The signed-in HQ or manager account', response: StaffAccountSchema,
      handler: ({ actor }) => s.staff.me(actor),
    }),
    route({
      method: 'post', path: '/auth/password', tag: 'auth', auth: 'account', beforePasswordChange: true,
      summary: 'Change one\'s own password (staff or HQ): every session of the account ends; answers a new token pair',
      body: PasswordChangeBodySchema, response: PasswordChangeAnswerSchema,
      handler: ({ body, actor, ctx }) => s.staff.changeOwnPassword(actor, ctx.state.requestId, body.currentPassword, body.newPassword),
    }),
    route({
      method: 'post', path: '/auth/logout', tag: 'auth', auth: 'public', status: 204,
      summary: 'Sign out: the session of this refresh token ends (its access tokens stop too); 204 whether or not it was live',
      body: LogoutBodySchema,
      handler: async ({ body }) => {
        await s.tokens.endSession(body.refreshToken);
        return { status: 204, body: null };
      },
    }),
    // Stores, staff accounts and the audit log are HQ admins' alone (read too): hq 'admin'.
    route({
      method: 'get', path: '/admin/stores', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'All stores, open or closed', query: ListQuerySchema, response: StoreDetailPageSchema,
      handler: () => s.staff.listStores(true),
    }),
    route({
      method: 'post', path: '/admin/stores', tag: 'admin', auth: 'admin', status: 201,
      summary: 'Open a store', body: StoreCreateBodySchema, response: StoreDetailSchema,
      handler: ({ body, actor, ctx }) => s.staff.createStore(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'patch', path: '/admin/stores/:id', tag: 'admin', auth: 'admin',
      summary: 'Rename, move or close a store', params: StoreParams, body: StorePatchBodySchema, response: StoreDetailSchema,
      handler: ({ params, body, actor, ctx }) => s.staff.updateStore(actor, ctx.state.requestId, params.id, body),
    }),
    route({
      method: 'get', path: '/admin/staff', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'Staff accounts', query: StaffListQuerySchema, response: StaffAccountPageSchema,
      handler: ({ query }) => s.staff.listStaff(query.storeId, query.limit, query.cursor),
    }),
    route({
      method: 'post', path: '/admin/staff', tag: 'admin', auth: 'admin', status: 201,
      summary: 'Create a staff or HQ account', body: StaffCreateBodySchema, response: StaffAccountSchema,
      handler: ({ body, actor, ctx }) => s.staff.createStaff(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'patch', path: '/admin/staff/:id', tag: 'admin', auth: 'admin',
      summary: 'Change a staff or HQ account (role, HQ role, store, disable/re-enable, password reset); ends or retires its tokens', params: ObjectIdParamsSchema, body: StaffPatchBodySchema,
      response: StaffAccountSchema,
      handler: ({ params, body, actor, ctx }) => s.staff.updateStaff(actor, ctx.state.requestId, params.id, body),
    }),
    route({
      method: 'get', path: '/admin/audit-log', tag: 'admin', auth: 'admin', hq: 'admin',
      summary: 'Every staff and HQ write, newest first', query: AuditListQuerySchema, response: AuditEntryPageSchema,
      handler: ({ query }) =>
        s.audit.list(
          { ...query, from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined },
          query.limit,
          query.cursor,
        ),
    }),
  ];
}
