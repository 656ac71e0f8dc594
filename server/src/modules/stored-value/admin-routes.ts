import {
  ListQuerySchema,
  MemberStoredValueSchema,
  RefundDecisionBodySchema,
  RefundRequestStatusSchema,
  StoredValueEntryPageSchema,
  StoredValueLiabilitySchema,
  StoredValueRefundRequestListSchema,
  StoredValueRefundRequestSchema,
  StoredValueSettingsPatchSchema,
  StoredValueSettingsSchema,
  TopupRuleBodySchema,
  TopupRuleListSchema,
  TopupRuleSchema,
} from '@membercard/shared';
import { z } from 'zod';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { memberInScope } from '../points/service';

// HQ's stored value: settings, top-up rules, liability, refund approvals, and a member's balance and statement.

export function storedValueAdminRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/stored-value/settings', tag: 'stored-value', auth: 'admin',
      summary: 'Charge policy, balance and daily top-up caps, the confirm-above amount, the bonus forfeit rule',
      response: StoredValueSettingsSchema,
      handler: () => s.storedValueSettings.getStoredValueSettings(),
    }),
    route({
      method: 'put', path: '/admin/stored-value/settings', tag: 'stored-value', auth: 'admin', hq: 'admin',
      summary: 'Change stored-value settings (fields left out keep their value; audited)',
      body: StoredValueSettingsPatchSchema, response: StoredValueSettingsSchema,
      handler: async ({ body, actor, ctx }) => {
        const before = await s.storedValueSettings.getStoredValueSettings();
        const after = await s.storedValueSettings.update(body);
        await s.audit.record(actor, ctx.state.requestId, { action: 'stored_value.settings.update', targetType: 'settings', targetId: 'stored-value', before, after });
        return after;
      },
    }),
    route({
      method: 'get', path: '/admin/stored-value/topup-rules', tag: 'stored-value', auth: 'admin',
      summary: 'Top-up rules (充值方案), active first', response: TopupRuleListSchema,
      handler: async () => ({ items: await s.storedValueTopups.listRules() }),
    }),
    route({
      method: 'post', path: '/admin/stored-value/topup-rules', tag: 'stored-value', auth: 'admin', hq: 'admin', status: 201,
      summary: 'Create a top-up rule (audited)', body: TopupRuleBodySchema, response: TopupRuleSchema,
      handler: async ({ body, actor, ctx }) => {
        const rule = await s.storedValueTopups.createRule(body);
        await s.audit.record(actor, ctx.state.requestId, { action: 'topup_rule.create', targetType: 'topup_rule', targetId: rule.id, after: rule });
        return rule;
      },
    }),
    route({
      method: 'put', path: '/admin/stored-value/topup-rules/:id', tag: 'stored-value', auth: 'admin', hq: 'admin',
      summary: 'Replace a top-up rule (orders already placed keep their terms; audited)',
      params: ObjectIdParamsSchema, body: TopupRuleBodySchema, response: TopupRuleSchema,
      handler: async ({ params, body, actor, ctx }) => {
        const { before, after } = await s.storedValueTopups.updateRule(params.id, body);
        await s.audit.record(actor, ctx.state.requestId, { action: 'topup_rule.update', targetType: 'topup_rule', targetId: after.id, before, after });
        return after;
      },
    }),
    route({
      method: 'get', path: '/admin/stored-value/liability', tag: 'stored-value', auth: 'admin',
      summary: 'Outstanding principal and bonus per store, top-ups taken, bonus given and bonus spent (its cost)',
      response: StoredValueLiabilitySchema,
      handler: () => s.storedValueStatements.liability(),
    }),
    route({
      method: 'get', path: '/admin/stored-value/refund-requests', tag: 'stored-value', auth: 'admin',
      summary: 'Refund requests, newest first (?status=requested for those awaiting a decision)',
      query: z.strictObject({ status: RefundRequestStatusSchema.optional() }), response: StoredValueRefundRequestListSchema,
      handler: async ({ query }) => ({ items: await s.storedValueRefunds.list(query.status) }),
    }),
    route({
      method: 'post', path: '/admin/stored-value/refund-requests/:id/approve', tag: 'stored-value', auth: 'admin', hq: 'admin',
      summary: 'Approve: the principal held now goes back to the WeChat Pay payments it came from, bonus forfeited per the rule (audited). 409 if decided already',
      params: ObjectIdParamsSchema, body: RefundDecisionBodySchema, response: StoredValueRefundRequestSchema,
      idempotency: { header: true },
      handler: ({ params, body, actor, ctx }) => s.storedValueRefunds.approve(actor, ctx.state.requestId, params.id, body.note),
    }),
    route({
      method: 'post', path: '/admin/stored-value/refund-requests/:id/reject', tag: 'stored-value', auth: 'admin', hq: 'admin',
      summary: 'Reject a refund request with a note the member sees (audited)',
      params: ObjectIdParamsSchema, body: RefundDecisionBodySchema, response: StoredValueRefundRequestSchema,
      handler: ({ params, body, actor, ctx }) => s.storedValueRefunds.reject(actor, ctx.state.requestId, params.id, body.note),
    }),
    route({
      method: 'get', path: '/admin/members/:id/stored-value', tag: 'stored-value', auth: 'adminOrManager',
      summary: 'A member’s stored-value balance and latest refund request (managers: members of their store)',
      params: ObjectIdParamsSchema, response: MemberStoredValueSchema,
      handler: async ({ params, actor }) => {
        const member = await memberInScope(s.models.members, actor, params.id, ['active', 'erased']);
        const [balance, refundRequest] = await Promise.all([s.storedValueLedger.balanceOf(member._id), s.storedValueRefunds.latestOf(member._id)]);
        return { balance, refundRequest };
      },
    }),
    route({
      method: 'get', path: '/admin/members/:id/stored-value/entries', tag: 'stored-value', auth: 'adminOrManager',
      summary: 'A member’s stored-value statement, newest first',
      params: ObjectIdParamsSchema, query: ListQuerySchema, response: StoredValueEntryPageSchema,
      handler: async ({ params, query, actor }) => {
        const member = await memberInScope(s.models.members, actor, params.id, ['active', 'erased']);
        return s.storedValueStatements.page(member._id, query.limit, query.cursor);
      },
    }),
  ];
}
