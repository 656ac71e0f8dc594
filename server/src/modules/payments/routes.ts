import { PaymentAlertListSchema, PaymentAlertSchema, ResolvePaymentAlertBodySchema, type PaymentAlert } from '@membercard/shared';
import { errors } from '../../lib/errors';
import { ObjectIdParamsSchema } from '../../lib/params';
import type { Actor } from '../../lib/requestContext';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import type { PaymentDoc } from './model';
import { NotificationRefused } from './service';

function alertView(payment: PaymentDoc): PaymentAlert {
  return {
    id: String(payment._id),
    kind: payment.alert!.kind,
    raisedAt: payment.alert!.raisedAt.toISOString(),
    memberId: String(payment.memberId),
    activityId: String(payment.activityId),
    description: payment.description,
    amountFen: payment.amountFen,
    outTradeNo: payment.outTradeNo,
    outRefundNo: payment.outRefundNo,
    transactionId: payment.transactionId,
    refundId: payment.refund?.refundId ?? null,
    reason: payment.refund?.reason ?? null,
  };
}

function actorId(actor: Actor): string {
  return actor.type === 'admin' || actor.type === 'staff' ? actor.staffId : 'unknown';
}

export function paymentRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/payments/alerts', tag: 'payments', auth: 'admin',
      summary: 'Refunds WeChat Pay ended ABNORMAL or CLOSED that HQ has not yet settled by hand, newest first',
      response: PaymentAlertListSchema,
      handler: async () => ({ items: (await s.payments.openAlerts()).map(alertView) }),
    }),
    route({
      method: 'post', path: '/admin/payments/alerts/:id/resolve', tag: 'payments', auth: 'admin',
      summary: 'HQ records that it completed the refund in the WeChat Pay merchant platform (audited)',
      params: ObjectIdParamsSchema, body: ResolvePaymentAlertBodySchema, response: PaymentAlertSchema,
      handler: async ({ params, body, actor, ctx }) => {
        const resolved = await s.payments.resolveAlert(params.id, actorId(actor), body.note, ({ before, after }, session) =>
          s.audit.record(
            actor,
            ctx.state.requestId,
            { action: 'payment.alert.resolve', targetType: 'payment', targetId: String(params.id), memberId: String(after.memberId), before: before.alert, after: after.alert },
            session,
          ),
        );
        if (!resolved) throw errors.notFound('No open payment alert with this id.');
        return alertView(resolved.after);
      },
    }),
    route({
      method: 'post', path: '/payments/wechat/notify', tag: 'payments', auth: 'public', raw: true,
      summary: 'WeChat Pay payment and refund notifications (signature-verified; 204, or 4xx/5xx {code: "FAIL", message})',
      handler: async ({ ctx }) => {
        // The signature covers the exact bytes WeChat Pay sent, which the JSON body parser keeps.
        const rawBody = (ctx.request as { rawBody?: string }).rawBody ?? '';
        try {
          const outcome = await s.payments.handleNotification(ctx.headers, rawBody);
          // A refund WeChat Pay could not complete is an operator matter too (HQ sees it in the console).
          if (/^REFUND\.(ABNORMAL|CLOSED) refund-failed$/.test(outcome)) ctx.state.log.error({ outcome }, 'wechat pay refund needs HQ: see /admin/payments/alerts');
          else ctx.state.log.info({ outcome }, 'wechat pay notification applied');
          ctx.status = 204;
          ctx.body = null;
        } catch (error) {
          const refused = error instanceof NotificationRefused;
          const message = refused ? error.message : 'temporarily unable to process the notification';
          if (refused) ctx.state.log.warn({ reason: message }, 'wechat pay notification refused');
          else ctx.state.log.error({ err: error }, 'wechat pay notification failed');
          ctx.status = refused ? error.status : 500;
          ctx.body = { code: 'FAIL', message };
        }
        return undefined;
      },
    }),
  ];
}
