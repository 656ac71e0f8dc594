import mongoose, { Schema } from 'mongoose';
import type { LifeSituation } from '@membercard/shared';

/** One product category; `_id` is its code, which purchase lines carry and never changes. */
export interface CategoryDoc {
  _id: string;
  name: string;
  nameEn: string;
  situation: LifeSituation;
  status: 'active' | 'disabled';
  createdAt: Date;
  updatedAt: Date;
}

const CategorySchema = new Schema<CategoryDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    nameEn: { type: String, required: true },
    situation: { type: String, required: true },
    status: { type: String, enum: ['active', 'disabled'], required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'categories' },
);

export function categoryModel(conn: mongoose.Connection) {
  return conn.models.Category ?? conn.model<CategoryDoc>('Category', CategorySchema);
}

/**
 * A member's summary for one category (members.categoryStats), kept with each purchase and return so that
 * segments select on it by index: `spend12mFen` follows the same trailing window as the member's spend12mFen
 * (the purchase's categorySpend says what it still counts; the spend-window job takes aged purchases off).
 */
export interface CategoryStat {
  category: string;
  lastAt: Date;
  spend12mFen: number;
  visits: number;
}

/** What one purchase counts in its member's category spend, per category. */
export interface CategorySpend {
  category: string;
  amountFen: number;
}
