import { AppConfigSchema } from '@membercard/shared';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

export function systemRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/app-config', tag: 'system', auth: 'public',
      summary: 'What the mini-program needs before sign-in: privacy policy version, subscribe template ids and the brand (name, colours, logo, card art)',
      response: AppConfigSchema,
      handler: async () => {
        const theme = await s.branding.getBrandSettings();
        return {
          privacyPolicyVersion: (await s.settings.get()).privacyPolicyVersion,
          subscribeTemplates: await s.messaging.templateIds(),
          programme: { name: theme.name },
          theme,
        };
      },
    }),
  ];
}
