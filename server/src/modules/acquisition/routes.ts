import {
  AcquisitionReportQuerySchema,
  AcquisitionReportSchema,
  EntryCodeQuerySchema,
  EntryCodeSchema,
  VisitBodySchema,
  VisitSchema,
} from '@membercard/shared';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';
import { shopperId } from '../members/routes';

/** A download name for a code: what it is for, readable in a folder of printed codes. */
function codeFilename(code: { storeId: string | null; staffId: string | null; campaignId: string | null }, kind: string): string {
  const parts = [code.storeId, code.staffId && `staff-${code.staffId.slice(-6)}`, code.campaignId && `campaign-${code.campaignId.slice(-6)}`];
  return `${parts.filter(Boolean).join('-')}-${kind}.png`;
}

export function acquisitionRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/me/visits', tag: 'acquisition', auth: 'shopper', status: 201,
      summary: 'Record that WeChat opened the app from a store, staff or campaign code (scene or q)',
      body: VisitBodySchema, response: VisitSchema,
      handler: ({ body, actor }) => s.acquisition.recordVisit(shopperId(actor), body),
    }),
    route({
      method: 'get', path: '/admin/entry-codes', tag: 'acquisition', auth: 'adminOrManager', hq: 'marketing',
      summary: 'The scene, page and poster URL of a store, staff or campaign code (a manager: their store)',
      query: EntryCodeQuerySchema, response: EntryCodeSchema,
      handler: ({ query, actor }) => s.acquisition.entryCode(actor, query),
    }),
    route({
      method: 'get', path: '/admin/entry-codes/wxacode.png', tag: 'acquisition', auth: 'adminOrManager', hq: 'marketing', raw: true,
      summary: 'The mini-program code image (WeChat getwxacodeunlimit) opening the card page with the scene',
      query: EntryCodeQuerySchema,
      handler: async ({ query, actor, ctx }) => {
        const { contentType, image, code } = await s.acquisition.miniProgramCode(actor, query);
        ctx.type = contentType;
        ctx.attachment(codeFilename(code, 'wxacode'));
        ctx.body = image;
        return undefined as never;
      },
    }),
    route({
      method: 'get', path: '/admin/entry-codes/poster.png', tag: 'acquisition', auth: 'adminOrManager', hq: 'marketing', raw: true,
      summary: 'An ordinary QR code of the poster URL (opens the mini-program through WeChat’s URL-prefix rule)',
      query: EntryCodeQuerySchema,
      handler: async ({ query, actor, ctx }) => {
        const { image, code } = await s.acquisition.posterCode(actor, query);
        ctx.type = 'image/png';
        ctx.attachment(codeFilename(code, 'poster'));
        ctx.body = image;
        return undefined as never;
      },
    }),
    route({
      method: 'get', path: '/admin/reports/acquisition', tag: 'acquisition', auth: 'admin',
      summary: 'Code visits and the joins they brought, by store, staff member and campaign, over the last days',
      query: AcquisitionReportQuerySchema, response: AcquisitionReportSchema,
      handler: ({ query }) => s.acquisition.report(query.days),
    }),
  ];
}
