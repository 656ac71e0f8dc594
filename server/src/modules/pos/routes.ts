import {
  PosCredentialCreateBodySchema,
  PosCredentialIssuedSchema,
  PosCredentialListSchema,
  PosCredentialRotateBodySchema,
  PosCredentialSchema,
  PosIdentifyBodySchema,
  PosKeyParamsSchema,
  PosMemberSchema,
  PosOrderBodySchema,
  PosOrderParamsSchema,
  PosOrderSchema,
  PosQuoteAnswerSchema,
  PosQuoteBodySchema,
  PosReturnAnswerSchema,
  PosReturnBodySchema,
} from '@membercard/shared';
import { z } from 'zod';
import type { Actor } from '../../lib/requestContext';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

/** `auth: 'pos'` routes get the credential's store as a clerk-shaped actor (PosCredentials.authenticate). */
function tillOf(actor: Actor): Extract<Actor, { type: 'staff' }> {
  if (actor.type !== 'staff' || !actor.staffId.startsWith('pos:')) throw new Error('POS route reached without a POS actor');
  return actor;
}

const CredentialsQuerySchema = z.strictObject({ storeId: z.string().min(1).max(16).optional() });

export function posRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/pos/members/identify', tag: 'pos', auth: 'pos',
      summary: 'Identify a member by the code they show (QR, barcode or typed; invalid codes count against the key and store like the counter’s scans) or by their bound phone',
      body: PosIdentifyBodySchema, response: PosMemberSchema,
      handler: ({ body, actor, ctx }) => s.pos.identify(tillOf(actor), ctx.state.requestId, body),
    }),
    route({
      method: 'post', path: '/pos/quote', tag: 'pos', auth: 'pos',
      summary: 'Price an order for a member: their coupons with whether each applies here and what it saves, the points to earn, the tier’s benefits; changes nothing',
      body: PosQuoteBodySchema, response: PosQuoteAnswerSchema,
      handler: ({ body, actor }) => s.pos.quote(tillOf(actor), body),
    }),
    route({
      method: 'post', path: '/pos/orders', tag: 'pos', auth: 'pos', status: 201,
      summary: 'Book an order: the coupons redeemed and the purchase recorded on the net amount, earning points, in one transaction; idempotent on orderNo (a repeat gets the first answer, another order under it 409); 400 LINE_TOTAL_MISMATCH naming the line',
      body: PosOrderBodySchema, response: PosOrderSchema,
      handler: ({ body, actor, ctx }) => s.pos.commit(tillOf(actor), ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/pos/orders/:orderNo', tag: 'pos', auth: 'pos',
      summary: 'An order of this store with what has been returned',
      params: PosOrderParamsSchema, response: PosOrderSchema,
      handler: ({ params, actor }) => s.pos.order(tillOf(actor), params.orderNo),
    }),
    route({
      method: 'post', path: '/pos/returns', tag: 'pos', auth: 'pos', status: 201,
      summary: 'Return lines or the whole order: its share of the paid amount and points taken back (up to the balance, the shortfall recorded), the coupons restored once nothing is left; idempotent on returnNo; 422 RETURN_EXCEEDS_ORDER',
      body: PosReturnBodySchema, response: PosReturnAnswerSchema,
      handler: ({ body, actor, ctx }) => s.pos.returnOrder(tillOf(actor), ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/pos/credentials', tag: 'admin', auth: 'admin',
      summary: 'The stores’ POS keys (never their secrets)',
      query: CredentialsQuerySchema, response: PosCredentialListSchema,
      handler: ({ query }) => s.posCredentials.list(query.storeId),
    }),
    route({
      method: 'post', path: '/admin/pos/credentials', tag: 'admin', auth: 'admin', status: 201,
      summary: 'Create a POS key for a store; the secret is in this answer only',
      body: PosCredentialCreateBodySchema, response: PosCredentialIssuedSchema,
      handler: ({ body, actor, ctx }) => s.posCredentials.create(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'post', path: '/admin/pos/credentials/:keyId/rotation', tag: 'admin', auth: 'admin', status: 201,
      summary: 'Replace a POS key with a new key id and secret (shown once); the old one works for graceHours more',
      params: PosKeyParamsSchema, body: PosCredentialRotateBodySchema, response: PosCredentialIssuedSchema,
      handler: ({ params, body, actor, ctx }) => s.posCredentials.rotate(actor, ctx.state.requestId, params.keyId, body.graceHours),
    }),
    route({
      method: 'post', path: '/admin/pos/credentials/:keyId/revocation', tag: 'admin', auth: 'admin',
      summary: 'Revoke a POS key at once',
      params: PosKeyParamsSchema, response: PosCredentialSchema,
      handler: ({ params, actor, ctx }) => s.posCredentials.revoke(actor, ctx.state.requestId, params.keyId),
    }),
  ];
}
