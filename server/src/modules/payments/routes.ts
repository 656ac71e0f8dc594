import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { NotificationRefused } from './service';

export function paymentRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/payments/wechat/notify', tag: 'payments', auth: 'public', raw: true,
      summary: 'WeChat Pay payment and refund notifications (signature-verified; 204, or 4xx/5xx {code: "FAIL", message})',
      handler: async ({ ctx }) => {
        // The signature covers the exact bytes WeChat Pay sent, which the JSON body parser keeps.
        const rawBody = (ctx.request as { rawBody?: string }).rawBody ?? '';
        try {
          const outcome = await s.payments.handleNotification(ctx.headers, rawBody);
          ctx.state.log.info({ outcome }, 'wechat pay notification applied');
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
