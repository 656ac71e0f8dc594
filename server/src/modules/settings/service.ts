import { DEFAULT_CHECKIN_WINDOW, DEFAULT_EARN_RULES, DEFAULT_MARKETING_SETTINGS, type CheckInWindow, DEFAULT_TIERS, type EarnRules, type MarketingSettings, type MessagePurpose, type SubscribeTemplate, type TierDefinition, type TierLadder } from '@membercard/shared';
import mongoose, { Schema } from 'mongoose';

// Programme settings HQ can change (tiers, earn rules, bonus sizes and the like as they land) live in
// one document, so every instance reads the same values. Reads are one indexed lookup by _id.

export interface ProgramSettings {
  _id: 'program';
  tiers: TierLadder;
  /** Base rate and multiplier campaigns; tier multipliers live on the tiers. */
  earnRules: EarnRules;
  profileBonusPoints: number;
  privacyPolicyVersion: string;
  /** Marketing messages per member per window (subscribe messages). */
  frequencyCap: MarketingSettings['frequencyCap'];
  /** What one outstanding point costs the brand (the dashboard's points liability). */
  fenPerPoint: number;
  /** HQ's subscribe templates, by purpose, replacing the environment's (SUBSCRIBE_TEMPLATES) for those purposes. */
  subscribeTemplates: Partial<Record<MessagePurpose, SubscribeTemplate>>;
  /** When staff may check a sign-up in, around its activity. */
  checkInWindow: CheckInWindow;
  updatedAt: Date;
}

const SettingsSchema = new Schema<ProgramSettings>(
  {
    _id: { type: String, required: true },
    tiers: { type: Schema.Types.Mixed, required: true },
    earnRules: { type: Schema.Types.Mixed, required: true },
    profileBonusPoints: { type: Number, required: true },
    privacyPolicyVersion: { type: String, required: true },
    frequencyCap: { type: Schema.Types.Mixed, required: true },
    fenPerPoint: { type: Number, required: true },
    subscribeTemplates: { type: Schema.Types.Mixed, default: {} },
    checkInWindow: { type: Schema.Types.Mixed },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'settings', minimize: false },
);

export function settingsModel(conn: mongoose.Connection) {
  return conn.models.ProgramSettings ?? conn.model<ProgramSettings>('ProgramSettings', SettingsSchema);
}

export const DEFAULT_SETTINGS: Omit<ProgramSettings, '_id' | 'updatedAt'> = {
  tiers: [...DEFAULT_TIERS],
  earnRules: DEFAULT_EARN_RULES,
  profileBonusPoints: 200,
  privacyPolicyVersion: '2026-01',
  ...DEFAULT_MARKETING_SETTINGS,
  subscribeTemplates: {},
  checkInWindow: DEFAULT_CHECKIN_WINDOW,
};

export class SettingsService {
  constructor(
    private readonly model: ReturnType<typeof settingsModel>,
    private readonly now: () => Date,
  ) {}

  private cache: { at: number; value: Promise<ProgramSettings> } | null = null;

  /**
   * The settings as read at most `maxAgeMs` ago, for hot paths (a purchase reads the earn rules and tiers):
   * edits made through this instance apply at once, those made through another within `maxAgeMs`.
   */
  cached(maxAgeMs = 1_000): Promise<ProgramSettings> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > maxAgeMs) {
      const value = this.get();
      this.cache = { at: now, value };
      value.catch(() => {
        if (this.cache?.value === value) this.cache = null;
      });
    }
    return this.cache.value;
  }

  async get(): Promise<ProgramSettings> {
    const found = await this.model.findById('program').lean<ProgramSettings>();
    // Settings written before a field existed read that field's default.
    return { ...DEFAULT_SETTINGS, updatedAt: new Date(0), ...found, _id: 'program' };
  }

  /** Writes only the fields given, so two HQ edits of different settings never undo each other. */
  async update(patch: Partial<Omit<ProgramSettings, '_id' | 'updatedAt'>>): Promise<ProgramSettings> {
    const defaults = Object.fromEntries(Object.entries(DEFAULT_SETTINGS).filter(([field]) => !(field in patch)));
    const updated = await this.model
      .findOneAndUpdate(
        { _id: 'program' },
        { $set: { ...patch, updatedAt: this.now() }, $setOnInsert: defaults },
        { upsert: true, returnDocument: 'after' },
      )
      .lean<ProgramSettings>();
    this.cache = null; // after the write, so a read racing it cannot keep the old value
    return { ...DEFAULT_SETTINGS, ...updated!, _id: 'program' };
  }

  async tierByCode(code: string): Promise<TierDefinition> {
    const { tiers } = await this.get();
    return tiers.find((t) => t.code === code) ?? tiers[0]!;
  }
}
