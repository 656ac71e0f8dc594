import { z } from 'zod';
import { humanText } from '../common';
import { TierCodeSchema } from '../tiers/schema';
import { HEX_COLOUR } from './colour';

// The programme's brand as HQ sets it in the console (品牌设置) and every screen shows it: name, logo, two
// colours and card art per tier. Images are uploaded to the server and served from it (content-addressed, so a
// URL never changes meaning and can be cached for good).

export const HexColourSchema = z
  .string()
  .regex(HEX_COLOUR, 'a colour as #rrggbb')
  .toLowerCase()
  .meta({ id: 'HexColour', description: 'An sRGB colour as `#rrggbb`.' });

/** Brand images: PNG, JPEG or WebP (no SVG: it can carry script), at most this many bytes. */
export const BRAND_IMAGE_MAX_BYTES = 256 * 1024;
export const BRAND_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type BrandImageType = (typeof BRAND_IMAGE_TYPES)[number];

/** White text (the card face, the navigation bar) on the primary colour needs the WCAG AA ratio for body text. */
export const PRIMARY_MIN_CONTRAST = 4.5;
/** White bold button text on the accent colour needs the WCAG AA ratio for large text; below 4.5 is a warning. */
export const ACCENT_MIN_CONTRAST = 3;
export const ACCENT_GOOD_CONTRAST = 4.5;

export const BrandThemeSchema = z
  .object({
    name: z.string().min(1).max(16).describe('The programme’s name, printed on the card face.'),
    primaryColor: HexColourSchema.describe('The card face and the navigation bar; white text is printed on it.'),
    accentColor: HexColourSchema.describe('Buttons and highlights; white text is printed on it.'),
    logoUrl: z.string().nullable().describe('Path of the logo image on this server (under /api/v1), or null.'),
    tierArt: z.record(TierCodeSchema, z.string()).describe('Path of each tier’s card art on this server; a tier without art gets the primary colour.'),
  })
  .meta({ id: 'BrandTheme', description: 'The programme’s brand as every screen applies it.' });
export type BrandTheme = z.infer<typeof BrandThemeSchema>;

export const BrandSettingsSchema = BrandThemeSchema.extend({
  contrast: z
    .object({
      primary: z.number().describe('Contrast ratio of white text on the primary colour (at least 4.5).'),
      accent: z.number().describe('Contrast ratio of white text on the accent colour (at least 3; below 4.5 is warned of).'),
    })
    .describe('WCAG contrast ratios of the text printed on each colour.'),
  warnings: z.array(z.string()).describe('Accepted but worth fixing (Chinese), e.g. an accent that is only large-text readable.'),
  updatedAt: z.string().nullable().describe('When HQ last changed the brand; null while it is the default.'),
}).meta({ id: 'BrandSettings', description: 'The brand as the console edits it, with the contrast it achieves.' });
export type BrandSettings = z.infer<typeof BrandSettingsSchema>;

export const BrandSettingsPatchSchema = z
  .strictObject({
    name: humanText({ max: 16 }).optional(),
    primaryColor: HexColourSchema.optional(),
    accentColor: HexColourSchema.optional(),
  })
  .meta({ id: 'BrandSettingsPatch', description: 'Name and colours; colours whose white text would be unreadable are refused (422 COLOUR_CONTRAST_TOO_LOW).' });
export type BrandSettingsPatch = z.infer<typeof BrandSettingsPatchSchema>;

export const BrandImageUploadSchema = z
  .strictObject({
    // No length limit here: too large an image is 413 PAYLOAD_TOO_LARGE with its size (the server's, or the 1 MB body limit).
    data: z.string().min(1).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64').describe('The image file, base64; PNG, JPEG or WebP, at most 256 KB.'),
  })
  .meta({ id: 'BrandImageUpload', description: 'An image file sent as base64 (the API takes JSON only); its type is read from its bytes.' });
export type BrandImageUpload = z.infer<typeof BrandImageUploadSchema>;

export const BrandAssetParamsSchema = z.strictObject({ id: z.string().regex(/^[0-9a-f]{64}$/, 'an asset id') }).meta({ id: 'BrandAssetParams' });
export const BrandTierParamsSchema = z.strictObject({ tierCode: TierCodeSchema }).meta({ id: 'BrandTierParams' });
