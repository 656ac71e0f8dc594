import mongoose, { Schema } from 'mongoose';
import type { BrandImageType } from '@membercard/shared';

/** HQ's brand (`_id: 'brand'`): one document, so every instance serves the same theme. */
export interface BrandDoc {
  _id: 'brand';
  name: string;
  primaryColor: string;
  accentColor: string;
  /** Asset ids (sha256 of the bytes) of the logo and of each tier's card art. */
  logoAssetId: string | null;
  tierArt: Record<string, string>;
  updatedAt: Date;
}

const BrandSchema = new Schema<BrandDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    primaryColor: { type: String, required: true },
    accentColor: { type: String, required: true },
    logoAssetId: { type: String, default: null },
    tierArt: { type: Schema.Types.Mixed, default: {} },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'brand', minimize: false },
);

/**
 * An uploaded brand image, stored in the database (at most 256 KB, far under a document's 16 MB, so no chunking)
 * and keyed by the SHA-256 of its bytes: the same picture uploaded twice is one document, and a URL names
 * one picture for ever, which is what lets it be cached as immutable.
 */
export interface BrandAssetDoc {
  _id: string;
  contentType: BrandImageType;
  data: Buffer;
  size: number;
  width: number;
  height: number;
  createdAt: Date;
}

const BrandAssetSchema = new Schema<BrandAssetDoc>(
  {
    _id: { type: String, required: true },
    contentType: { type: String, required: true },
    data: { type: Buffer, required: true },
    size: { type: Number, required: true },
    width: { type: Number, required: true },
    height: { type: Number, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'brand_assets' },
);

export function brandModel(conn: mongoose.Connection) {
  return conn.models.Brand ?? conn.model<BrandDoc>('Brand', BrandSchema);
}
export function brandAssetModel(conn: mongoose.Connection) {
  return conn.models.BrandAsset ?? conn.model<BrandAssetDoc>('BrandAsset', BrandAssetSchema);
}
