import { errors } from '../../../lib/errors';
import { route, type RouteSpec } from '../../../lib/route';
import type { Services } from '../../../services';
import { shopperId } from '../../members/routes';
import {
  ActivateBodySchema,
  CardDesignBodySchema,
  CardFailureListSchema,
  CardLinkSchema,
  CardOverviewSchema,
  CardRetryBodySchema,
  CardRetrySchema,
  OpenParamsQuerySchema,
  OpenParamsSchema,
} from './schemas';
import { designView } from './service';

export function memberCardRoutes(s: Services): RouteSpec[] {
  const overview = async () => {
    const [design, { tiers }, sync] = await Promise.all([s.memberCard.design(), s.settings.cached(), s.memberCardSync.status()]);
    return {
      design: designView(design), colourHex: s.memberCard.colourHex(design.colour), cardId: design.cardId, publishedAt: design.publishedAt ?? null,
      publishError: design.publishError ?? null, tiers: tiers.map(({ code, name }) => ({ code, name })), sync,
    };
  };
  return [
    route({
      method: 'get', path: '/admin/wechat-member-card', tag: 'wechat-member-card', auth: 'admin',
      summary: 'The WeChat member card: its design, whether WeChat has it, and how the sync of points and tier stands',
      response: CardOverviewSchema,
      handler: overview,
    }),
    route({
      method: 'put', path: '/admin/wechat-member-card', tag: 'wechat-member-card', auth: 'admin', hq: 'marketing',
      summary: 'Save the card design and publish it to WeChat (card/create, then card/update); a refusal is kept and shown',
      body: CardDesignBodySchema, response: CardOverviewSchema,
      handler: async ({ body, actor, ctx }) => {
        await s.memberCard.saveDesign(actor, ctx.state.requestId, body);
        return overview();
      },
    }),
    route({
      method: 'get', path: '/admin/wechat-member-card/failures', tag: 'wechat-member-card', auth: 'admin',
      summary: 'Cards whose update WeChat refused, with the last answer and when it is tried again',
      response: CardFailureListSchema,
      handler: async () => ({ items: await s.memberCardSync.failures() }),
    }),
    route({
      method: 'post', path: '/admin/wechat-member-card/retry', tag: 'wechat-member-card', auth: 'admin', hq: 'marketing',
      summary: 'Try the failing cards (or one) again now',
      body: CardRetryBodySchema, response: CardRetrySchema,
      handler: async ({ body, actor, ctx }) => {
        const result = await s.memberCardSync.retry(body.linkId);
        await s.audit.record(actor, ctx.state.requestId, { action: 'wechat_member_card.retry', targetType: 'wechat_member_card', targetId: body.linkId ?? 'all', after: result });
        return result;
      },
    }),
    route({
      method: 'get', path: '/me/wechat-member-card/open-params', tag: 'wechat-member-card', auth: 'shopper',
      summary: 'The card-opening component’s parameters (appId and extraData) for a navigator to the member card',
      query: OpenParamsQuerySchema, response: OpenParamsSchema,
      handler: ({ query }) => s.memberCard.openParams(query.channel),
    }),
    route({
      method: 'post', path: '/me/wechat-member-card/activate', tag: 'wechat-member-card', auth: 'shopper',
      summary: 'Link the card the shopper just opened (activate_ticket and code) to their membership, joining first if needed; once per member and card code',
      body: ActivateBodySchema, response: CardLinkSchema,
      handler: ({ body, actor }) => s.memberCard.activate(shopperId(actor), body),
    }),
    route({
      method: 'get', path: '/me/wechat-member-card', tag: 'wechat-member-card', auth: 'member',
      summary: 'Whether the member has the card in their WeChat wallet (404 when not)',
      response: CardLinkSchema,
      handler: async ({ actor }) => {
        const link = await s.memberCard.linkOf(shopperId(actor));
        if (!link) throw errors.notFound('The member card is not in your WeChat wallet yet.');
        return link;
      },
    }),
  ];
}
