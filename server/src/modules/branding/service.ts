import { createHash } from 'node:crypto';
import {
  BRAND_IMAGE_MAX_BYTES,
  checkBrandColours,
  DEFAULT_BRAND_THEME,
  ErrorCode,
  type BrandSettings,
  type BrandSettingsPatch,
  type BrandTheme,
} from '@membercard/shared';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import type { AuditService } from '../audit/service';
import type { SettingsService } from '../settings/service';
import { sniffImage } from './images';
import type { BrandAssetDoc, BrandDoc, brandAssetModel, brandModel } from './model';

// The programme's brand (品牌设置): name, colours, logo and card art per tier, set by HQ and read by /app-config,
// the console's preview and whatever else prints the brand (getBrandSettings). Images live in the database keyed
// by their SHA-256, served by GET /brand/assets/:id as immutable.

/** Where the API serves a brand image (the API is mounted under /api/v1). */
export const brandAssetPath = (id: string) => `/api/v1/brand/assets/${id}`;

/** Larger pictures are refused: a card is 686×400 rpx, a logo a few dozen pixels; 2048 px is ample for either. */
const MAX_IMAGE_SIDE = 2048;
/** The theme is read on every /app-config; HQ edits through this instance apply at once, others within this. */
const CACHE_MS = 1_000;

interface Deps {
  brand: ReturnType<typeof brandModel>;
  assets: ReturnType<typeof brandAssetModel>;
  settings: SettingsService;
  audit: AuditService;
  now: () => Date;
}

export class BrandingService {
  private cache: { at: number; value: Promise<BrandDoc | null> } | null = null;

  constructor(private readonly deps: Deps) {}

  /** The brand as every screen applies it (the default until HQ sets one); read at most a second ago. */
  async getBrandSettings(): Promise<BrandTheme> {
    return themeOf(await this.stored());
  }

  /** The console's view: the theme, the contrast it achieves and what is worth fixing. */
  async settings(): Promise<BrandSettings> {
    const doc = await this.stored(0);
    const theme = themeOf(doc);
    const check = checkBrandColours(theme.primaryColor, theme.accentColor);
    return { ...theme, contrast: check.contrast, warnings: check.warnings, updatedAt: doc ? doc.updatedAt.toISOString() : null };
  }

  /** Name and colours; a colour white text cannot be read on is refused with the ratio it reaches. */
  async update(actor: Actor, requestId: string, patch: BrandSettingsPatch): Promise<BrandSettings> {
    const before = await this.settings();
    const primaryColor = patch.primaryColor ?? before.primaryColor;
    const accentColor = patch.accentColor ?? before.accentColor;
    const { problems } = checkBrandColours(primaryColor, accentColor);
    if (problems.length) {
      throw new AppError(ErrorCode.COLOUR_CONTRAST_TOO_LOW, 'White text would be unreadable on this colour.', {
        fields: problems.map((p) => ({ field: `body.${p.field}`, message: `contrast ${p.ratio}:1 with white text, needs ${p.needed}:1` })),
      });
    }
    const set: Partial<BrandDoc> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.primaryColor !== undefined) set.primaryColor = patch.primaryColor;
    if (patch.accentColor !== undefined) set.accentColor = patch.accentColor;
    return this.write(actor, requestId, before, { $set: set });
  }

  async setLogo(actor: Actor, requestId: string, base64: string): Promise<BrandSettings> {
    const before = await this.settings();
    const assetId = await this.storeImage(base64);
    return this.write(actor, requestId, before, { $set: { logoAssetId: assetId } });
  }

  async removeLogo(actor: Actor, requestId: string): Promise<BrandSettings> {
    return this.write(actor, requestId, await this.settings(), { $set: { logoAssetId: null } });
  }

  /** A tier's card art; the tier must be one of the ladder's (404 otherwise). */
  async setTierArt(actor: Actor, requestId: string, tierCode: string, base64: string): Promise<BrandSettings> {
    await this.assertTier(tierCode);
    const before = await this.settings();
    const assetId = await this.storeImage(base64);
    return this.write(actor, requestId, before, { $set: { [`tierArt.${tierCode}`]: assetId } });
  }

  async removeTierArt(actor: Actor, requestId: string, tierCode: string): Promise<BrandSettings> {
    await this.assertTier(tierCode);
    return this.write(actor, requestId, await this.settings(), { $unset: { [`tierArt.${tierCode}`]: '' } });
  }

  /** One stored image, for GET /brand/assets/:id. */
  async asset(id: string): Promise<BrandAssetDoc | null> {
    const found = await this.deps.assets.findById(id).lean<BrandAssetDoc>();
    // A lean read gives the driver's Binary, not a Buffer.
    const data = found?.data as unknown as Buffer | { buffer: Uint8Array } | undefined;
    return found && data ? { ...found, data: Buffer.isBuffer(data) ? data : Buffer.from(data.buffer) } : null;
  }

  /** Checks the bytes (size, real type, pixel size) and stores them once under their hash; answers the id. */
  async storeImage(base64: string): Promise<string> {
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length > BRAND_IMAGE_MAX_BYTES) {
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The image is ${bytes.length} bytes; at most ${BRAND_IMAGE_MAX_BYTES}.`, {
        size: bytes.length, limit: BRAND_IMAGE_MAX_BYTES,
      });
    }
    const info = sniffImage(bytes);
    if (!info) throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send a PNG, JPEG or WebP image.');
    if (info.width > MAX_IMAGE_SIDE || info.height > MAX_IMAGE_SIDE) {
      throw errors.validation(`The image is ${info.width}×${info.height}; at most ${MAX_IMAGE_SIDE} pixels a side.`, {
        fields: [{ field: 'body.data', message: `at most ${MAX_IMAGE_SIDE}×${MAX_IMAGE_SIDE} pixels` }],
      });
    }
    const id = createHash('sha256').update(bytes).digest('hex');
    try {
      await this.deps.assets.updateOne(
        { _id: id },
        { $setOnInsert: { ...info, data: bytes, size: bytes.length, createdAt: this.deps.now() } },
        { upsert: true },
      );
    } catch (err) {
      // The same picture uploaded twice at once: the other upload stored the identical bytes.
      if (!isDuplicateKeyError(err)) throw err;
    }
    return id;
  }

  private async write(actor: Actor, requestId: string, before: BrandSettings, update: Record<string, Record<string, unknown>>): Promise<BrandSettings> {
    // The first write fills in the defaults for the fields it does not set.
    const touched = new Set(Object.values(update).flatMap((fields) => Object.keys(fields).map((k) => k.split('.')[0])));
    const defaults = Object.fromEntries(
      Object.entries({ name: DEFAULT_BRAND_THEME.name, primaryColor: DEFAULT_BRAND_THEME.primaryColor, accentColor: DEFAULT_BRAND_THEME.accentColor, logoAssetId: null, tierArt: {} })
        .filter(([field]) => !touched.has(field)),
    );
    await this.deps.brand.updateOne(
      { _id: 'brand' },
      { ...update, $set: { ...update.$set, updatedAt: this.deps.now() }, $setOnInsert: defaults },
      { upsert: true },
    );
    this.cache = null;
    const after = await this.settings();
    await this.deps.audit.record(actor, requestId, { action: 'brand.update', targetType: 'settings', targetId: 'brand', before, after });
    return after;
  }

  private async assertTier(tierCode: string): Promise<void> {
    const { tiers } = await this.deps.settings.get();
    if (!tiers.some((t) => t.code === tierCode)) throw errors.notFound(`No tier ${tierCode}.`);
  }

  private stored(maxAgeMs = CACHE_MS): Promise<BrandDoc | null> {
    const now = Date.now();
    if (maxAgeMs === 0 || !this.cache || now - this.cache.at > maxAgeMs) {
      const value = this.deps.brand.findById('brand').lean<BrandDoc>().exec();
      this.cache = { at: now, value };
      value.catch(() => {
        if (this.cache?.value === value) this.cache = null;
      });
    }
    return this.cache.value;
  }
}

function themeOf(doc: BrandDoc | null): BrandTheme {
  if (!doc) return { ...DEFAULT_BRAND_THEME, tierArt: {} };
  return {
    name: doc.name,
    primaryColor: doc.primaryColor,
    accentColor: doc.accentColor,
    logoUrl: doc.logoAssetId ? brandAssetPath(doc.logoAssetId) : null,
    tierArt: Object.fromEntries(Object.entries(doc.tierArt ?? {}).map(([tier, id]) => [tier, brandAssetPath(id)])),
  };
}
