import {
  CodeKeyAnswerSchema,
  JoinMembershipBodySchema,
  MemberSchema,
  PasswordLoginBodySchema,
  PhoneBindBodySchema,
  ProfilePatchBodySchema,
  ShortLivedCodeAnswerSchema,
  StaffScanAnswerSchema,
  StaffScanBodySchema,
  WechatLoginAnswerSchema,
  WechatLoginBodySchema,
  AdminSignInAnswerSchema,
  StaffSignInAnswerSchema,
  ListQuerySchema,
  SignupPageSchema,
  AuditEntryPageSchema,
} from '@membercard/shared';
import { z } from 'zod';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

const RefreshBodySchema = z.strictObject({ refreshToken: z.string().min(1).max(256) }).meta({ id: 'RefreshBody' });
const RefreshAnswerSchema = z.object({ token: z.string(), refreshToken: z.string(), expiresIn: z.number().int() }).meta({ id: 'RefreshAnswer' });
const withRefresh = <T extends z.ZodObject>(schema: T) => schema.extend({ refreshToken: z.string(), expiresIn: z.number().int() });

export function memberRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/auth/wechat', tag: 'auth', auth: 'public',
      summary: 'Sign in with the code from wx.login',
      body: WechatLoginBodySchema, response: withRefresh(WechatLoginAnswerSchema),
      handler: ({ body }) => s.members.signInWithWechat(body.code),
    }),
    route({
      method: 'post', path: '/auth/staff', tag: 'auth', auth: 'public',
      summary: 'Staff sign-in (clerks and managers)',
      body: PasswordLoginBodySchema, response: withRefresh(StaffSignInAnswerSchema),
      handler: ({ body, ctx }) => s.staff.login('staff', body.username, body.password, ctx.ip) as never,
    }),
    route({
      method: 'post', path: '/auth/admin', tag: 'auth', auth: 'public',
      summary: 'HQ sign-in',
      body: PasswordLoginBodySchema, response: withRefresh(AdminSignInAnswerSchema),
      handler: ({ body, ctx }) => s.staff.login('admin', body.username, body.password, ctx.ip) as never,
    }),
    route({
      method: 'post', path: '/auth/refresh', tag: 'auth', auth: 'public',
      summary: 'Trade a refresh token for a new token pair signed from the account as it is now (the old refresh token stops working)',
      body: RefreshBodySchema, response: RefreshAnswerSchema,
      handler: ({ body }) => s.tokens.refresh(body.refreshToken),
    }),
    route({
      method: 'post', path: '/me/membership', tag: 'members', auth: 'shopper', status: 201,
      summary: 'Join: accept the charter and privacy policy, choose a home store',
      body: JoinMembershipBodySchema, response: MemberSchema,
      handler: ({ body, actor }) => s.members.join(shopperId(actor), body),
    }),
    route({
      method: 'get', path: '/me', tag: 'members', auth: 'member',
      summary: 'The member card: tier, balance, expiring points, progress',
      response: MemberSchema,
      handler: ({ actor, ctx }) => s.members.me(shopperId(actor), ctx.state.member),
    }),
    route({
      method: 'patch', path: '/me/profile', tag: 'members', auth: 'member',
      summary: 'Fill in the profile; completing it awards the one-off bonus',
      body: ProfilePatchBodySchema, response: MemberSchema,
      handler: ({ body, actor, ctx }) => s.members.updateProfile(shopperId(actor), body, ctx.state.member),
    }),
    route({
      method: 'post', path: '/me/phone', tag: 'members', auth: 'member',
      summary: 'Bind the phone number from the getPhoneNumber button code',
      body: PhoneBindBodySchema, response: MemberSchema,
      handler: ({ body, actor, ctx }) => s.members.bindPhone(shopperId(actor), body.code, ctx.state.member),
    }),
    route({
      method: 'get', path: '/me/member-code', tag: 'members', auth: 'member',
      summary: 'The signed short-lived member code shown as QR and barcode',
      response: ShortLivedCodeAnswerSchema,
      handler: ({ actor, ctx }) => s.members.memberCode(shopperId(actor), ctx.state.member),
    }),
    route({
      method: 'get', path: '/me/code-key', tag: 'members', auth: 'member',
      summary: 'The key the app keeps to generate member, coupon and sign-up codes offline',
      response: CodeKeyAnswerSchema,
      handler: ({ actor, ctx }) => s.members.codeKey(shopperId(actor), ctx.state.member),
    }),
    route({
      method: 'delete', path: '/me', tag: 'members', auth: 'member', status: 204,
      summary: 'Erase the account: personal data gone, ledger kept anonymised',
      handler: async ({ actor }) => {
        await s.members.erase(shopperId(actor));
        return { status: 204, body: null };
      },
    }),
    route({
      method: 'post', path: '/staff/scan', tag: 'staff', auth: 'staff',
      summary: 'Identify a scanned member, coupon or sign-up code',
      body: StaffScanBodySchema, response: StaffScanAnswerSchema,
      handler: ({ body, actor }) => s.counter.scan(actor, body.code),
    }),
    route({
      method: 'get', path: '/admin/members/:id', tag: 'admin', auth: 'adminOrManager',
      summary: 'One member', params: ObjectIdParamsSchema, response: MemberSchema,
      handler: ({ params, actor }) => s.members.adminView(actor, params.id),
    }),
    route({
      method: 'get', path: '/admin/members/:id/signups', tag: 'admin', auth: 'adminOrManager',
      summary: 'A member’s activity sign-ups, newest first (a manager: members of their store)',
      params: ObjectIdParamsSchema, query: ListQuerySchema, response: SignupPageSchema,
      handler: async ({ params, query, actor }) => {
        await s.members.adminView(actor, params.id); // 404 outside the caller's scope
        return s.activities.mySignups(params.id, query);
      },
    }),
    route({
      method: 'get', path: '/admin/members/:id/audit', tag: 'admin', auth: 'adminOrManager',
      summary: 'Staff and HQ actions concerning a member, newest first (a manager: members of their store)',
      params: ObjectIdParamsSchema, query: ListQuerySchema, response: AuditEntryPageSchema,
      handler: async ({ params, query, actor }) => {
        await s.members.adminView(actor, params.id); // 404 outside the caller's scope
        return s.audit.list({ memberId: params.id }, query.limit, query.cursor);
      },
    }),
  ];
}

export function shopperId(actor: { type: string; memberId?: string }): string {
  if (actor.type !== 'shopper' || !actor.memberId) throw new Error('shopper route reached without a shopper');
  return actor.memberId;
}
