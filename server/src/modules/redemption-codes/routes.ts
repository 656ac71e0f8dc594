import {
  ListQuerySchema,
  RedemptionCodeBatchAnswerSchema,
  RedemptionCodeBatchBodySchema,
  RedemptionCodeBatchPageSchema,
  RedemptionCodeClaimAnswerSchema,
  RedemptionCodeClaimBodySchema,
  RedemptionCodeBatchSchema,
  RedemptionCodeBatchVoidBodySchema,
} from '@membercard/shared';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';


export function redemptionCodeRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/admin/redemption-code-batches', tag: 'redemption-codes', auth: 'admin', hq: 'marketing', status: 201,
      summary: 'Generate a batch of printed redemption codes for a coupon or for points',
      body: RedemptionCodeBatchBodySchema, response: RedemptionCodeBatchAnswerSchema,
      handler: ({ body, actor, ctx }) => s.redemptionCodes.createBatch(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/redemption-code-batches', tag: 'redemption-codes', auth: 'admin',
      summary: 'Code batches, newest first', query: ListQuerySchema, response: RedemptionCodeBatchPageSchema,
      handler: ({ query }) => s.redemptionCodes.listBatches(query.limit, query.cursor),
    }),
    route({
      method: 'get', path: '/admin/redemption-code-batches/:id/codes.csv', tag: 'redemption-codes', auth: 'admin', hq: 'marketing', raw: true,
      summary: 'The batch’s codes as CSV (header `code`), streamed', params: ObjectIdParamsSchema,
      handler: async ({ params, ctx }) => {
        const { filename, stream } = await s.redemptionCodes.csv(params.id);
        ctx.type = 'text/csv; charset=utf-8';
        ctx.attachment(filename);
        ctx.body = stream;
        return undefined as never;
      },
    }),
    route({
      method: 'post', path: '/admin/redemption-code-batches/:id/void', tag: 'redemption-codes', auth: 'admin', hq: 'marketing',
      summary: 'Void a batch: its unclaimed codes refuse claims (422 CODE_VOIDED) from now on; 409 CONFLICT if already voided',
      params: ObjectIdParamsSchema, body: RedemptionCodeBatchVoidBodySchema, response: RedemptionCodeBatchSchema,
      handler: ({ params, body, actor, ctx }) => s.redemptionCodes.voidBatch(actor, ctx.state.requestId, params.id, body.reason),
    }),
    route({
      method: 'post', path: '/me/redemption-codes/claim', tag: 'redemption-codes', auth: 'member',
      summary: 'Claim a printed code for its coupon or points; once per code across all members',
      body: RedemptionCodeClaimBodySchema, response: RedemptionCodeClaimAnswerSchema,
      handler: ({ body, actor, ctx }) => s.redemptionCodes.claim(shopperId(actor), ctx.ip, body.code, ctx.state.member !== undefined),
    }),
  ];
}
