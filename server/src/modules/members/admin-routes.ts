import {
  MemberCouponGrantAnswerSchema,
  MemberCouponGrantBodySchema,
  MemberExportCreateBodySchema,
  MemberExportSchema,
  MemberImportBodySchema,
  MemberImportReportSchema,
  MemberListPageSchema,
  MemberListQuerySchema,
  MemberTagApplyAnswerSchema,
  MemberTagApplyBodySchema,
  MemberTagCreateBodySchema,
  MemberTagListSchema,
  MemberTagSchema,
} from '@membercard/shared';
import { z } from 'zod';
import { couponView } from '../coupons/service';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

const ImportListSchema = z.object({ items: z.array(MemberImportReportSchema) }).meta({ id: 'MemberImportList' });

/** HQ's member list, tags, exports, one-member grants and legacy import (modules/members/admin.ts). */
export function memberAdminRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/members', tag: 'admin', auth: 'adminOrManager',
      summary: 'Members by filter (tier, home store, joined, points, last visit, tags) or search (card number, phone, name prefix), with the total',
      query: MemberListQuerySchema, response: MemberListPageSchema,
      handler: ({ query, actor }) => s.membersAdmin.list(actor, query),
    }),
    route({
      method: 'get', path: '/admin/member-tags', tag: 'admin', auth: 'adminOrManager',
      summary: 'The tags HQ created, with how many members carry each', response: MemberTagListSchema,
      handler: () => s.membersAdmin.listTags(),
    }),
    route({
      method: 'post', path: '/admin/member-tags', tag: 'admin', auth: 'admin', hq: 'marketing', status: 201,
      summary: 'Create a tag', body: MemberTagCreateBodySchema, response: MemberTagSchema,
      handler: ({ body, actor, ctx }) => s.membersAdmin.createTag(actor, ctx.state.requestId, body.name),
    }),
    route({
      method: 'post', path: '/admin/member-tags/:id/apply', tag: 'admin', auth: 'admin', hq: 'marketing',
      summary: 'Tag the chosen members, or everyone a filter matches (tagging twice changes nothing more)',
      params: ObjectIdParamsSchema, body: MemberTagApplyBodySchema, response: MemberTagApplyAnswerSchema,
      handler: ({ params, body, actor, ctx }) => s.membersAdmin.applyTag(actor, ctx.state.requestId, params.id, body),
    }),
    route({
      method: 'post', path: '/admin/member-tags/:id/remove', tag: 'admin', auth: 'admin', hq: 'marketing',
      summary: 'Take the tag off the chosen members, or everyone a filter matches',
      params: ObjectIdParamsSchema, body: MemberTagApplyBodySchema, response: MemberTagApplyAnswerSchema,
      handler: ({ params, body, actor, ctx }) => s.membersAdmin.applyTag(actor, ctx.state.requestId, params.id, body, true),
    }),
    route({
      method: 'post', path: '/admin/member-exports', tag: 'admin', auth: 'adminOrManager', hq: 'marketing', status: 202,
      summary: 'Start a CSV or XLSX export of the filtered members (phones masked unless HQ admin); poll it, then download',
      body: MemberExportCreateBodySchema, response: MemberExportSchema,
      handler: ({ body, actor, ctx }) => s.membersAdmin.startExport(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/member-exports/:id', tag: 'admin', auth: 'adminOrManager', hq: 'marketing',
      summary: 'An export’s progress (its creator only)', params: ObjectIdParamsSchema, response: MemberExportSchema,
      handler: ({ params, actor }) => s.membersAdmin.getExport(actor, params.id),
    }),
    route({
      method: 'get', path: '/admin/member-exports/:id/file', tag: 'admin', auth: 'adminOrManager', hq: 'marketing', raw: true,
      summary: 'The finished export file (its creator only); 409 CONFLICT while still being written', params: ObjectIdParamsSchema,
      handler: async ({ params, actor, ctx }) => {
        const { doc, stream, size } = await s.membersAdmin.exportFile(actor, params.id);
        ctx.status = 200;
        ctx.type = doc.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
        ctx.set('Content-Disposition', `attachment; filename="${doc.fileName}"`);
        ctx.set('Cache-Control', 'no-store');
        ctx.length = size;
        ctx.body = stream;
        return { status: 200, body: undefined };
      },
    }),
    route({
      method: 'post', path: '/admin/members/:id/coupon-grants', tag: 'admin', auth: 'admin', hq: 'marketing', status: 201,
      summary: 'Give this member one coupon, with a reason (audited); one coupon per Idempotency-Key',
      idempotency: { header: true }, params: ObjectIdParamsSchema, body: MemberCouponGrantBodySchema, response: MemberCouponGrantAnswerSchema,
      handler: async ({ params, body, actor, ctx }) => {
        const { coupon, created } = await s.membersAdmin.grantCoupon(actor, ctx.state.requestId, params.id, body, ctx.get('Idempotency-Key'));
        return { coupon: couponView(coupon), created };
      },
    }),
    route({
      method: 'post', path: '/admin/member-imports', tag: 'admin', auth: 'admin',
      summary: 'Import members from a legacy system’s CSV (dryRun: report every bad row, write nothing); re-runs create nothing twice',
      body: MemberImportBodySchema, response: MemberImportReportSchema,
      handler: ({ body, actor, ctx }) => s.membersAdmin.importMembers(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/member-imports', tag: 'admin', auth: 'admin',
      summary: 'Past import runs, newest first', response: ImportListSchema,
      handler: () => s.membersAdmin.listImports(20),
    }),
  ];
}
