import {
  ListQuerySchema,
  MyStoredValueSchema,
  RefundRequestBodySchema,
  StoredValueEntryPageSchema,
  StoredValueRefundRequestSchema,
  TopupCreateBodySchema,
  TopupSchema,
} from '@membercard/shared';
import { Types } from 'mongoose';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import type { MemberDoc } from '../members/model';
import { shopperId } from '../members/routes';

// The shopper's stored value: balance and offers, the statement, top-ups through WeChat Pay, refund requests.

export function storedValueShopperRoutes(s: Services): RouteSpec[] {
  const memberOf = (ctx: { state: { member?: MemberDoc } }): MemberDoc => ctx.state.member!;
  return [
    route({
      method: 'get', path: '/me/stored-value', tag: 'stored-value', auth: 'member',
      summary: 'Balance (principal and bonus), the top-up offers open to the member, the room the caps leave, an open refund request',
      response: MyStoredValueSchema,
      handler: async ({ ctx }) => {
        const member = memberOf(ctx);
        const [overview, refundRequest] = await Promise.all([s.storedValueTopups.overview(member), s.storedValueRefunds.latestOf(member._id)]);
        return { ...overview, refundRequest: refundRequest && ['requested', 'refunding'].includes(refundRequest.status) ? refundRequest : null };
      },
    }),
    route({
      method: 'get', path: '/me/stored-value/entries', tag: 'stored-value', auth: 'member',
      summary: 'The member’s stored-value statement, newest first',
      query: ListQuerySchema, response: StoredValueEntryPageSchema,
      handler: ({ query, actor }) => s.storedValueStatements.page(new Types.ObjectId(shopperId(actor)), query.limit, query.cursor),
    }),
    route({
      method: 'post', path: '/me/stored-value/topups', tag: 'stored-value', auth: 'member', status: 201,
      summary: 'Order a top-up under a rule; answers wx.requestPayment’s parameters. 422 STORED_VALUE_CAP_EXCEEDED or TOPUP_RULE_UNAVAILABLE',
      body: TopupCreateBodySchema, response: TopupSchema,
      idempotency: { header: true },
      handler: ({ body, ctx }) => s.storedValueTopups.create(memberOf(ctx), body),
    }),
    route({
      method: 'get', path: '/me/stored-value/topups/:id', tag: 'stored-value', auth: 'member',
      summary: 'One of the member’s top-ups (pending until WeChat Pay’s notification credits it)',
      params: ObjectIdParamsSchema, response: TopupSchema,
      handler: ({ params, actor }) => s.storedValueTopups.mine(new Types.ObjectId(shopperId(actor)), params.id),
    }),
    route({
      method: 'post', path: '/me/stored-value/refund-requests', tag: 'stored-value', auth: 'member', status: 201,
      summary: 'Ask for the unspent principal back to WeChat Pay (HQ approves; bonus is forfeited as HQ’s rule says). 409 while one is open',
      body: RefundRequestBodySchema, response: StoredValueRefundRequestSchema,
      idempotency: { header: true },
      handler: ({ body, actor }) => s.storedValueRefunds.request(new Types.ObjectId(shopperId(actor)), body.reason),
    }),
  ];
}
