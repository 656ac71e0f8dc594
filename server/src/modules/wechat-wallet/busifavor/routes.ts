import { z } from 'zod';
import { ObjectIdParamsSchema } from '../../../lib/params';
import { route, type RouteSpec } from '../../../lib/route';
import type { Services } from '../../../services';
import { shopperId } from '../../members/routes';
import { NotificationRefused } from '../../payments/service';

const WalletStateSchema = z.enum(['offered', 'in_wallet', 'refused', 'used', 'deactivated', 'expired']);

export const WalletTemplateStatusSchema = z.object({
  templateId: z.string(),
  enabled: z.boolean(),
  stockId: z.string().nullable(),
  stockStatus: z.enum(['off', 'pending', 'synced', 'failed']),
  stockError: z.string().nullable(),
  offered: z.number().int(),
  inWallet: z.number().int(),
  usedViaWechatPay: z.number().int(),
  usedAtCounter: z.number().int(),
  refused: z.number().int(),
  refusals: z.array(z.object({ reason: z.string(), count: z.number().int() })),
  conflicts: z.number().int(),
  failures: z.array(z.object({ couponId: z.string(), kind: z.enum(['use', 'return', 'deactivate']), attempts: z.number().int(), lastError: z.string().nullable(), at: z.string() })),
  failureCount: z.number().int(),
  pendingCount: z.number().int(),
});

const WalletSwitchBodySchema = z.strictObject({ enabled: z.boolean() });

export const WalletSendAnswerSchema = z.object({
  couponId: z.string(),
  state: WalletStateSchema,
  refusalReason: z.string().nullable(),
  openid: z.string(),
  plugin: z
    .object({
      send_coupon_params: z.array(z.object({ stock_id: z.string(), out_request_no: z.string(), coupon_code: z.string().optional() })),
      send_coupon_merchant: z.string(),
      sign: z.string(),
    })
    .nullable(),
});

/** What the send-coupon plugin reported for this coupon (one item of send_coupon_result). */
const SendResultBodySchema = z.strictObject({ code: z.string().min(1).max(64).regex(/^[A-Z0-9_]+$/, 'a WeChat result code'), message: z.string().max(200).optional() });

export function busifavorRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/coupon-templates/:id/wechat-wallet', tag: 'coupons', auth: 'admin',
      summary: 'WeChat wallet (商家券) figures of a template: in wallets, used through WeChat Pay or at our counter, refusals, sync failures',
      params: ObjectIdParamsSchema, response: WalletTemplateStatusSchema,
      handler: ({ params }) => s.walletCoupons.status(params.id),
    }),
    route({
      method: 'put', path: '/admin/coupon-templates/:id/wechat-wallet', tag: 'coupons', auth: 'admin', hq: 'marketing',
      summary: 'Switch "也放入微信卡包" for a template: creates (and keeps in sync) its WeChat Pay merchant-coupon stock',
      params: ObjectIdParamsSchema, body: WalletSwitchBodySchema, response: WalletTemplateStatusSchema,
      handler: ({ params, body, actor, ctx }) => s.walletCoupons.setEnabled(actor, ctx.state.requestId, params.id, body.enabled),
    }),
    route({
      method: 'post', path: '/admin/coupon-templates/:id/wechat-wallet/retry', tag: 'coupons', auth: 'admin', hq: 'marketing',
      summary: 'Retry the template’s failed WeChat wallet syncs now (the stock, and use/return/deactivate calls)',
      params: ObjectIdParamsSchema, response: WalletTemplateStatusSchema,
      handler: ({ params, actor, ctx }) => s.walletCoupons.retry(actor, ctx.state.requestId, params.id),
    }),
    route({
      method: 'get', path: '/me/coupons/:id/wechat-wallet', tag: 'coupons', auth: 'member',
      summary: 'The send-coupon plugin’s signed parameters to put this coupon into the WeChat wallet (or its wallet state)',
      params: ObjectIdParamsSchema, response: WalletSendAnswerSchema,
      handler: ({ params, actor }) => s.walletCoupons.sendParams(shopperId(actor), params.id),
    }),
    route({
      method: 'post', path: '/me/coupons/:id/wechat-wallet/result', tag: 'coupons', auth: 'member',
      summary: 'What the send-coupon plugin answered: a refusal is kept with its reason (success is taken only from WeChat’s signed event)',
      params: ObjectIdParamsSchema, body: SendResultBodySchema, response: WalletSendAnswerSchema,
      handler: ({ params, body, actor }) => s.walletCoupons.reportSendResult(shopperId(actor), params.id, body),
    }),
    route({
      method: 'post', path: '/wechat-wallet/busifavor/notify', tag: 'coupons', auth: 'public', raw: true,
      summary: 'WeChat Pay merchant-coupon events (COUPON.SEND, COUPON.USE): signature-verified; 204, or 4xx/5xx {code: "FAIL", message}',
      handler: async ({ ctx }) => {
        const rawBody = (ctx.request as { rawBody?: string }).rawBody ?? '';
        try {
          const outcome = await s.walletCoupons.handleNotification(ctx.headers, rawBody);
          ctx.state.log.info({ outcome }, 'busifavor notification applied');
          ctx.status = 204;
          ctx.body = null;
        } catch (error) {
          const refused = error instanceof NotificationRefused;
          const message = refused ? error.message : 'temporarily unable to process the notification';
          if (refused) ctx.state.log.warn({ reason: message }, 'busifavor notification refused');
          else ctx.state.log.error({ err: error }, 'busifavor notification failed');
          ctx.status = refused ? error.status : 500;
          ctx.body = { code: 'FAIL', message };
        }
        return undefined;
      },
    }),
  ];
}
