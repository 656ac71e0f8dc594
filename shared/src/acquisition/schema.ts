import { z } from 'zod';
import { IdSchema, IsoDateTimeSchema, STORE_CODE_PATTERN } from '../common';

// Wire shapes of entry codes (store, staff and campaign QR codes) and the visits and joins they bring.

export const EntrySourceSchema = z.enum(['wxacode', 'url']).meta({
  id: 'EntrySource',
  description: '`wxacode`: a mini-program code (scene); `url`: an ordinary URL QR code on a poster (q).',
});
export type EntrySource = z.infer<typeof EntrySourceSchema>;

/** What the mini-program reports when WeChat opened it from a code. */
export const VisitBodySchema = z
  .strictObject({
    scene: z.string().min(1).max(32).optional().describe('The decoded `scene` launch query of a mini-program code.'),
    q: z.string().min(1).max(1024).optional().describe('The decoded `q` launch query: the URL of an ordinary QR code.'),
    launchScene: z.number().int().min(1000).max(9999).optional().describe('WeChat’s scene value (1047 mini-program code, 1011 URL code…).'),
  })
  .refine((body) => Boolean(body.scene) !== Boolean(body.q), { message: 'exactly one of scene and q', path: ['scene'] })
  .meta({ id: 'VisitBody' });
export type VisitBody = z.infer<typeof VisitBodySchema>;

export const VisitSchema = z
  .object({
    id: IdSchema,
    source: EntrySourceSchema,
    storeId: IdSchema.nullable(),
    staffId: IdSchema.nullable(),
    campaignId: IdSchema.nullable(),
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'Visit' });
export type Visit = z.infer<typeof VisitSchema>;

export const EntryCodeQuerySchema = z
  .strictObject({
    storeId: z.string().regex(STORE_CODE_PATTERN).optional(),
    staffId: z.string().regex(/^[0-9a-f]{24}$/).optional(),
    campaignId: z.string().regex(/^[0-9a-f]{24}$/).optional(),
    envVersion: z.enum(['release', 'trial', 'develop']).optional().describe('Which version the mini-program code opens (default release).'),
  })
  .refine((q) => Boolean(q.storeId || q.staffId || q.campaignId), { message: 'a store, staff member or campaign', path: ['storeId'] })
  .meta({ id: 'EntryCodeQuery' });
export type EntryCodeQuery = z.infer<typeof EntryCodeQuerySchema>;

export const EntryCodeSchema = z
  .object({
    scene: z.string(),
    page: z.string().describe('The page the mini-program code opens.'),
    posterUrl: z.string().describe('The URL an ordinary QR code on a poster carries.'),
    storeId: IdSchema.nullable(),
    staffId: IdSchema.nullable(),
    campaignId: IdSchema.nullable(),
  })
  .meta({ id: 'EntryCode' });
export type EntryCode = z.infer<typeof EntryCodeSchema>;

export const AcquisitionReportQuerySchema = z
  .strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) })
  .meta({ id: 'AcquisitionReportQuery' });

export const AcquisitionReportSchema = z
  .object({
    from: IsoDateTimeSchema,
    to: IsoDateTimeSchema,
    stores: z.array(z.object({ storeId: IdSchema, visits: z.number().int(), visitors: z.number().int(), joins: z.number().int() })),
    staff: z.array(z.object({ staffId: IdSchema, storeId: IdSchema.nullable(), name: z.string(), joins: z.number().int() })),
    campaigns: z.array(z.object({ campaignId: IdSchema, visits: z.number().int(), joins: z.number().int() })),
  })
  .meta({ id: 'AcquisitionReport', description: 'Visits opened from entry codes and the members who joined in such a visit.' });
export type AcquisitionReport = z.infer<typeof AcquisitionReportSchema>;
