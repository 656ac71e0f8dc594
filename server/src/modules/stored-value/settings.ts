import { DEFAULT_STORED_VALUE_SETTINGS, type StoredValueSettings, type StoredValueSettingsPatch } from '@membercard/shared';
import mongoose, { Schema } from 'mongoose';

// HQ's stored-value settings (charge policy, caps, the confirm-above amount, the bonus forfeit rule) in one
// document, so every instance reads the same values; fields never written read their defaults.

interface StoredValueSettingsDoc extends Omit<StoredValueSettings, 'updatedAt'> {
  _id: 'stored-value';
  updatedAt: Date;
}

const SettingsSchema = new Schema<StoredValueSettingsDoc>(
  {
    _id: { type: String, required: true },
    enabled: Boolean,
    chargePolicy: Schema.Types.Mixed,
    memberBalanceCapFen: Number,
    dailyTopupCapFen: Number,
    confirmAboveFen: Number,
    bonusForfeit: String,
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'stored_value_settings', minimize: false },
);

export function storedValueSettingsModel(conn: mongoose.Connection) {
  return (conn.models.StoredValueSettings as mongoose.Model<StoredValueSettingsDoc>) ?? conn.model<StoredValueSettingsDoc>('StoredValueSettings', SettingsSchema);
}

export class StoredValueSettingsService {
  private cache: { at: number; value: Promise<StoredValueSettings> } | null = null;

  constructor(
    private readonly model: ReturnType<typeof storedValueSettingsModel>,
    private readonly now: () => Date,
  ) {}

  async getStoredValueSettings(): Promise<StoredValueSettings> {
    const found = await this.model.findById('stored-value').lean<StoredValueSettingsDoc>();
    return toSettings(found);
  }

  /** The settings as read at most `maxAgeMs` ago, for hot paths (a charge reads the policy). */
  cached(maxAgeMs = 1_000): Promise<StoredValueSettings> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > maxAgeMs) {
      const value = this.getStoredValueSettings();
      this.cache = { at: now, value };
      value.catch(() => {
        if (this.cache?.value === value) this.cache = null;
      });
    }
    return this.cache.value;
  }

  /** Writes only the fields given, so two HQ edits of different settings never undo each other. */
  async update(patch: StoredValueSettingsPatch): Promise<StoredValueSettings> {
    const set = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const updated = await this.model
      .findOneAndUpdate({ _id: 'stored-value' }, { $set: { ...set, updatedAt: this.now() } }, { upsert: true, returnDocument: 'after' })
      .lean<StoredValueSettingsDoc>();
    this.cache = null;
    return toSettings(updated);
  }
}

function toSettings(doc: StoredValueSettingsDoc | null): StoredValueSettings {
  const stored = Object.fromEntries(Object.entries(doc ?? {}).filter(([field, value]) => field !== '_id' && field !== 'updatedAt' && value !== undefined && value !== null));
  return { ...DEFAULT_STORED_VALUE_SETTINGS, ...stored, updatedAt: doc?.updatedAt ? doc.updatedAt.toISOString() : null } as StoredValueSettings;
}
