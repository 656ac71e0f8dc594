import {
  CampaignCreateBodySchema,
  CampaignPageSchema,
  CampaignPreviewAnswerSchema,
  CampaignPreviewBodySchema,
  CampaignResultsSchema,
  CampaignScheduleBodySchema,
  CampaignSchema,
  ListQuerySchema,
  SavedSegmentBodySchema,
  SavedSegmentPageSchema,
  SavedSegmentSchema,
} from '@membercard/shared';
import { ObjectIdParamsSchema } from '../../lib/params';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';


export function campaignRoutes(s: Services): RouteSpec[] {
  return [
    route({
      // A POST only because a segment is a body; it reads (counts), so viewers may use it too.
      method: 'post', path: '/admin/campaigns/preview', tag: 'campaigns', auth: 'admin', hq: 'viewer',
      summary: 'The exact audience size of a segment and a few of its members', body: CampaignPreviewBodySchema, response: CampaignPreviewAnswerSchema,
      handler: ({ body }) => s.campaigns.preview(body.segment),
    }),
    route({
      method: 'get', path: '/admin/segments', tag: 'campaigns', auth: 'admin',
      summary: 'Saved segments, newest first', query: ListQuerySchema, response: SavedSegmentPageSchema,
      handler: ({ query }) => s.campaigns.listSegments(query.limit, query.cursor),
    }),
    route({
      method: 'post', path: '/admin/segments', tag: 'campaigns', auth: 'admin', hq: 'marketing', status: 201,
      summary: 'Save a segment under a name', body: SavedSegmentBodySchema, response: SavedSegmentSchema,
      handler: ({ body, actor, ctx }) => s.campaigns.saveSegment(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'delete', path: '/admin/segments/:id', tag: 'campaigns', auth: 'admin', hq: 'marketing', status: 204, params: ObjectIdParamsSchema,
      summary: 'Delete a saved segment',
      handler: async ({ params, actor, ctx }) => {
        await s.campaigns.deleteSegment(actor, ctx.state.requestId, params.id);
        return { status: 204, body: undefined };
      },
    }),
    route({
      method: 'post', path: '/admin/campaigns', tag: 'campaigns', auth: 'admin', hq: 'marketing', status: 201,
      summary: 'Create a campaign (draft); 422 on an archived or exhausted template', body: CampaignCreateBodySchema, response: CampaignSchema,
      handler: ({ body, actor, ctx }) => s.campaigns.create(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'get', path: '/admin/campaigns', tag: 'campaigns', auth: 'admin',
      summary: 'Campaigns, newest first', query: ListQuerySchema, response: CampaignPageSchema,
      handler: ({ query }) => s.campaigns.list(query.limit, query.cursor),
    }),
    route({
      method: 'get', path: '/admin/campaigns/:id', tag: 'campaigns', auth: 'admin', params: ObjectIdParamsSchema,
      summary: 'A campaign with its progress and results', response: CampaignSchema,
      handler: ({ params }) => s.campaigns.get(params.id),
    }),
    route({
      method: 'post', path: '/admin/campaigns/:id/launch', tag: 'campaigns', auth: 'admin', hq: 'marketing', status: 202, params: ObjectIdParamsSchema,
      summary: 'Start the push in the background; a second launch → 409 CAMPAIGN_ALREADY_LAUNCHED', response: CampaignSchema,
      handler: ({ params, actor, ctx }) => s.campaigns.launch(actor, ctx.state.requestId, params.id),
    }),
    route({
      method: 'post', path: '/admin/campaigns/:id/schedule', tag: 'campaigns', auth: 'admin', hq: 'marketing', params: ObjectIdParamsSchema,
      summary: 'Schedule (or move) the launch of a draft or scheduled campaign; 409 CAMPAIGN_ALREADY_LAUNCHED once it has started',
      body: CampaignScheduleBodySchema, response: CampaignSchema,
      handler: ({ params, body, actor, ctx }) => s.campaigns.schedule(actor, ctx.state.requestId, params.id, body.launchAt),
    }),
    route({
      method: 'post', path: '/admin/campaigns/:id/unschedule', tag: 'campaigns', auth: 'admin', hq: 'marketing', params: ObjectIdParamsSchema,
      summary: 'Cancel a scheduled launch (back to a draft); 409 CAMPAIGN_ALREADY_LAUNCHED once it has started', response: CampaignSchema,
      handler: ({ params, actor, ctx }) => s.campaigns.unschedule(actor, ctx.state.requestId, params.id),
    }),
    route({
      method: 'get', path: '/admin/campaigns/:id/results', tag: 'campaigns', auth: 'admin', params: ObjectIdParamsSchema,
      summary: 'Results against the holdout, overall, by home store and by tier, with 95% intervals for the lift', response: CampaignResultsSchema,
      handler: ({ params }) => s.campaigns.results(params.id),
    }),
    route({
      method: 'post', path: '/admin/campaigns/:id/pause', tag: 'campaigns', auth: 'admin', hq: 'marketing', params: ObjectIdParamsSchema,
      summary: 'Pause a running push after the batch in hand', response: CampaignSchema,
      handler: ({ params, actor, ctx }) => s.campaigns.pause(actor, ctx.state.requestId, params.id),
    }),
    route({
      method: 'post', path: '/admin/campaigns/:id/resume', tag: 'campaigns', auth: 'admin', hq: 'marketing', params: ObjectIdParamsSchema,
      summary: 'Resume a paused push where it stopped', response: CampaignSchema,
      handler: ({ params, actor, ctx }) => s.campaigns.resume(actor, ctx.state.requestId, params.id),
    }),
  ];
}
