import { DEFAULT_TIERS, type TierDefinition, type TierLadder } from '@membercard/shared';
import mongoose, { Schema } from 'mongoose';

// Programme settings HQ can change (tiers now; earn rules, bonus sizes and the like as they land) live in
// one document, so every instance reads the same values. Reads are one indexed lookup by _id.

export interface ProgramSettings {
  _id: 'program';
  tiers: TierLadder;
  profileBonusPoints: number;
  privacyPolicyVersion: string;
  updatedAt: Date;
}

const SettingsSchema = new Schema<ProgramSettings>(
  {
    _id: { type: String, required: true },
    tiers: { type: Schema.Types.Mixed, required: true },
    profileBonusPoints: { type: Number, required: true },
    privacyPolicyVersion: { type: String, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'settings', minimize: false },
);

export function settingsModel(conn: mongoose.Connection) {
  return conn.models.ProgramSettings ?? conn.model<ProgramSettings>('ProgramSettings', SettingsSchema);
}

export const DEFAULT_SETTINGS: Omit<ProgramSettings, '_id' | 'updatedAt'> = {
  tiers: [...DEFAULT_TIERS],
  profileBonusPoints: 200,
  privacyPolicyVersion: '2026-01',
};

export class SettingsService {
  constructor(
    private readonly model: ReturnType<typeof settingsModel>,
    private readonly now: () => Date,
  ) {}

  async get(): Promise<ProgramSettings> {
    const found = await this.model.findById('program').lean<ProgramSettings>();
    return found ?? { _id: 'program', ...DEFAULT_SETTINGS, updatedAt: new Date(0) };
  }

  async update(patch: Partial<Omit<ProgramSettings, '_id' | 'updatedAt'>>): Promise<ProgramSettings> {
    const { _id, ...current } = await this.get();
    const next = { ...current, ...patch, updatedAt: this.now() };
    await this.model.updateOne({ _id }, { $set: next }, { upsert: true });
    return { _id, ...next };
  }

  async tierByCode(code: string): Promise<TierDefinition> {
    const { tiers } = await this.get();
    return tiers.find((t) => t.code === code) ?? tiers[0]!;
  }
}
