import {
  ActivityInputSchema,
  ActivityPageSchema,
  ActivityPatchBodySchema,
  ActivitySchema,
  AdminActivityListQuerySchema,
  AdminSignupListQuerySchema,
  AdminSignupPageSchema,
  CheckinBodySchema,
  CheckInWindowSchema,
  ListQuerySchema,
  ShortLivedCodeAnswerSchema,
  SignupBodySchema,
  SignupPageSchema,
  SignupSchema,
} from '@membercard/shared';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';


export function activityRoutes(s: Services): RouteSpec[] {
  return [
    // ---- HQ, and managers for their own store ----
    route({
      method: 'post', path: '/admin/activities', tag: 'activities', auth: 'adminOrManager', hq: 'marketing', status: 201,
      summary: 'Create an activity (published at once unless `draft: true`)',
      body: ActivityInputSchema, response: ActivitySchema,
      handler: ({ body, actor, ctx }) => s.activities.create(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/activities', tag: 'activities', auth: 'adminOrManager',
      summary: 'Activities, newest first (a manager sees their store’s)',
      query: AdminActivityListQuerySchema, response: ActivityPageSchema,
      handler: ({ query, actor }) => s.activities.adminList(actor, query),
    }),
    route({
      method: 'get', path: '/admin/activities/:id', tag: 'activities', auth: 'adminOrManager',
      summary: 'One activity with its seat counts', params: ObjectIdParamsSchema, response: ActivitySchema,
      handler: ({ params, actor }) => s.activities.adminGet(actor, params.id),
    }),
    route({
      method: 'patch', path: '/admin/activities/:id', tag: 'activities', auth: 'adminOrManager', hq: 'marketing',
      summary: 'Edit an activity (more capacity promotes the waitlist; the fee is fixed once members signed up)',
      params: ObjectIdParamsSchema, body: ActivityPatchBodySchema, response: ActivitySchema,
      handler: ({ params, body, actor, ctx }) => s.activities.update(actor, ctx.state.requestId, params.id, body),
    }),
    route({
      method: 'post', path: '/admin/activities/:id/publish', tag: 'activities', auth: 'adminOrManager', hq: 'marketing',
      summary: 'Publish a draft', params: ObjectIdParamsSchema, response: ActivitySchema,
      handler: ({ params, actor, ctx }) => s.activities.publish(actor, ctx.state.requestId, params.id),
    }),
    route({
      method: 'post', path: '/admin/activities/:id/cancel', tag: 'activities', auth: 'adminOrManager', hq: 'marketing',
      summary: 'Cancel the activity: every sign-up cancelled, every paid seat refunded, members notified',
      params: ObjectIdParamsSchema, response: ActivitySchema,
      handler: ({ params, actor, ctx }) => s.activities.cancel(actor, ctx.state.requestId, params.id),
    }),
    route({
      method: 'get', path: '/admin/activities/:id/signups', tag: 'activities', auth: 'adminOrManager',
      summary: 'Sign-ups in arrival order (the waitlist is promoted in this order)',
      params: ObjectIdParamsSchema, query: AdminSignupListQuerySchema, response: AdminSignupPageSchema,
      handler: ({ params, query, actor }) => s.activities.adminSignups(actor, params.id, query),
    }),

    // ---- anyone ----
    route({
      method: 'get', path: '/activities', tag: 'activities', auth: 'public',
      summary: 'Published activities not yet over, soonest first', query: ListQuerySchema, response: ActivityPageSchema,
      handler: ({ query }) => s.activities.publicList(query),
    }),
    route({
      method: 'get', path: '/activities/:id', tag: 'activities', auth: 'public',
      summary: 'One activity with confirmedCount and waitlistCount', params: ObjectIdParamsSchema, response: ActivitySchema,
      handler: ({ params }) => s.activities.publicGet(params.id),
    }),

    // ---- members ----
    route({
      method: 'post', path: '/activities/:id/signups', tag: 'activities', auth: 'member', status: 201,
      summary: 'Sign up: confirmed, waitlisted, or pending_payment with wx.requestPayment params (seat held 15 minutes)',
      params: ObjectIdParamsSchema, body: SignupBodySchema, response: SignupSchema,
      handler: ({ params, actor, ctx }) => s.activities.signUp(shopperId(actor), params.id, ctx.state.member),
    }),
    route({
      method: 'delete', path: '/activities/:id/signups/me', tag: 'activities', auth: 'member',
      summary: 'Cancel one’s sign-up before the deadline (a paid seat is refunded; the waitlist moves up)',
      params: ObjectIdParamsSchema, response: SignupSchema,
      handler: ({ params, actor }) => s.activities.cancelMine(shopperId(actor), params.id),
    }),
    route({
      method: 'get', path: '/me/signups', tag: 'activities', auth: 'member',
      summary: 'My sign-ups, newest first', query: ListQuerySchema, response: SignupPageSchema,
      handler: ({ query, actor }) => s.activities.mySignups(shopperId(actor), query),
    }),
    route({
      method: 'get', path: '/me/signups/:id/code', tag: 'activities', auth: 'member',
      summary: 'The signed short-lived check-in code of my confirmed sign-up', params: ObjectIdParamsSchema, response: ShortLivedCodeAnswerSchema,
      handler: ({ params, actor }) => s.activities.signupCode(shopperId(actor), params.id),
    }),

    // ---- HQ: when check-in is open ----
    route({
      method: 'get', path: '/admin/checkin-window', tag: 'activities', auth: 'admin',
      summary: 'When staff may check a sign-up in: minutes before the start and after the end', response: CheckInWindowSchema,
      handler: async () => (await s.settings.get()).checkInWindow,
    }),
    route({
      method: 'patch', path: '/admin/checkin-window', tag: 'activities', auth: 'admin', hq: 'marketing',
      summary: 'Set the check-in window for every activity', body: CheckInWindowSchema, response: CheckInWindowSchema,
      handler: async ({ body, actor, ctx }) => {
        const before = (await s.settings.get()).checkInWindow;
        const after = (await s.settings.update({ checkInWindow: body })).checkInWindow;
        await s.audit.record(actor, ctx.state.requestId, { action: 'settings.checkin_window', targetType: 'settings', targetId: 'program', before, after });
        return after;
      },
    }),

    // ---- staff ----
    route({
      method: 'post', path: '/staff/checkins', tag: 'staff', auth: 'staff',
      summary: 'Check an attendee in by their sign-up code (once; attendance points once)',
      body: CheckinBodySchema, response: SignupSchema,
      handler: ({ body, actor, ctx }) => s.counter.lookups.guard(actor, ctx.state.requestId, () => s.activities.checkIn(actor, ctx.state.requestId, body.code)),
    }),
  ];
}
