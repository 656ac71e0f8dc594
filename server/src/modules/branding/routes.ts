import { BrandAssetParamsSchema, BrandImageUploadSchema, BrandSettingsPatchSchema, BrandSettingsSchema, BrandTierParamsSchema } from '@membercard/shared';
import { errors } from '../../lib/errors';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

// HQ's brand settings (the console's 品牌设置) and the images they name. Marketing may change the brand; an image
// is public (the card shows it before sign-in) and, being addressed by its hash, cached for good.

export function brandingRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/branding', tag: 'branding', auth: 'admin',
      summary: 'The brand (name, colours, logo, card art per tier) with the contrast its colours achieve',
      response: BrandSettingsSchema,
      handler: () => s.branding.settings(),
    }),
    route({
      method: 'patch', path: '/admin/branding', tag: 'branding', auth: 'admin', hq: 'marketing',
      summary: 'Change the name or colours; a colour white text is unreadable on is 422 COLOUR_CONTRAST_TOO_LOW',
      body: BrandSettingsPatchSchema, response: BrandSettingsSchema,
      handler: ({ body, actor, ctx }) => s.branding.update(actor, ctx.state.requestId, body),
    }),
    route({
      method: 'put', path: '/admin/branding/logo', tag: 'branding', auth: 'admin', hq: 'marketing',
      summary: 'Upload the logo (PNG, JPEG or WebP, at most 256 KB and 2048 px a side; 413 / 415 otherwise)',
      body: BrandImageUploadSchema, response: BrandSettingsSchema,
      handler: ({ body, actor, ctx }) => s.branding.setLogo(actor, ctx.state.requestId, body.data),
    }),
    route({
      method: 'delete', path: '/admin/branding/logo', tag: 'branding', auth: 'admin', hq: 'marketing',
      summary: 'Remove the logo', response: BrandSettingsSchema,
      handler: ({ actor, ctx }) => s.branding.removeLogo(actor, ctx.state.requestId),
    }),
    route({
      method: 'put', path: '/admin/branding/tier-art/:tierCode', tag: 'branding', auth: 'admin', hq: 'marketing',
      summary: 'Upload a tier’s card art (same limits as the logo); 404 for a tier not on the ladder',
      params: BrandTierParamsSchema, body: BrandImageUploadSchema, response: BrandSettingsSchema,
      handler: ({ params, body, actor, ctx }) => s.branding.setTierArt(actor, ctx.state.requestId, params.tierCode, body.data),
    }),
    route({
      method: 'delete', path: '/admin/branding/tier-art/:tierCode', tag: 'branding', auth: 'admin', hq: 'marketing',
      summary: 'Remove a tier’s card art (the card face falls back on the primary colour)',
      params: BrandTierParamsSchema, response: BrandSettingsSchema,
      handler: ({ params, actor, ctx }) => s.branding.removeTierArt(actor, ctx.state.requestId, params.tierCode),
    }),
    route({
      method: 'get', path: '/brand/assets/:id', tag: 'branding', auth: 'public', raw: true,
      summary: 'A brand image by its SHA-256 (immutable: cached for a year; If-None-Match answers 304)',
      params: BrandAssetParamsSchema,
      handler: async ({ params, ctx }) => {
        const asset = await s.branding.asset(params.id);
        if (!asset) throw errors.notFound('No such image.');
        const etag = `"${asset._id}"`;
        ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
        ctx.set('ETag', etag);
        if (ctx.get('If-None-Match') === etag) {
          ctx.status = 304;
          return { status: 304, body: undefined };
        }
        ctx.type = asset.contentType;
        ctx.body = asset.data;
        return { status: 200, body: undefined };
      },
    }),
  ];
}
