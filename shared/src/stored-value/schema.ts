import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, MAX_FEN, humanText, pageOf } from '../common';

/** What a stored-value ledger entry records. */
export const StoredValueEntryKindSchema = z
  .enum(['topup', 'topup_bonus', 'charge', 'charge_refund', 'principal_refund', 'bonus_forfeit', 'adjustment'])
  .meta({
    id: 'StoredValueEntryKind',
    description:
      'topup: principal paid in; topup_bonus: the bonus a top-up rule added; charge: paid with the balance; charge_refund: a charge given back to the balance; principal_refund: unspent principal paid back to WeChat Pay; bonus_forfeit: bonus given up with it; adjustment: an HQ correction.',
  });
export type StoredValueEntryKind = z.infer<typeof StoredValueEntryKindSchema>;

export const StoredValueBalanceSchema = z
  .object({
    principalFen: FenSchema.describe('The money the member paid in and has not spent: refundable to WeChat Pay.'),
    bonusFen: FenSchema.describe('What top-up rules added: spendable, never paid out as cash.'),
    totalFen: z.number().int().min(0).describe('principalFen + bonusFen: what the member can spend.'),
  })
  .meta({ id: 'StoredValueBalance', description: 'A member’s stored-value (储值) balance.' });
export type StoredValueBalance = z.infer<typeof StoredValueBalanceSchema>;

export const ChargePolicySchema = z
  .discriminatedUnion('mode', [
    z.strictObject({ mode: z.literal('principal_first') }),
    z.strictObject({ mode: z.literal('ratio'), bonusPerThousand: z.number().int().min(0).max(1000).describe('Fen of bonus per 1000 fen charged.') }),
  ])
  .meta({ id: 'StoredValueChargePolicy', description: 'How a charge draws on principal and bonus.' });

export const BonusForfeitRuleSchema = z
  .enum(['all', 'proportional'])
  .meta({ id: 'StoredValueBonusForfeitRule', description: 'What a principal refund does to the bonus: all of it, or the withdrawn share.' });

export const DEFAULT_STORED_VALUE_CAP_FEN = 500_000;
export const DEFAULT_CONFIRM_ABOVE_FEN = 20_000;

export const StoredValueSettingsSchema = z
  .object({
    enabled: z.boolean().describe('Shoppers may top up (charges of an existing balance always work).'),
    chargePolicy: ChargePolicySchema,
    memberBalanceCapFen: FenSchema.describe('Most a member may hold, principal and bonus together (default ¥5,000).'),
    dailyTopupCapFen: FenSchema.describe('Most a member may top up in one China day, principal only (default ¥5,000).'),
    confirmAboveFen: FenSchema.describe('Charges above this need the member’s confirmation or PIN (default ¥200).'),
    bonusForfeit: BonusForfeitRuleSchema,
    updatedAt: IsoDateTimeSchema.nullable(),
  })
  .meta({ id: 'StoredValueSettings', description: 'HQ’s stored-value settings.' });
export type StoredValueSettings = z.infer<typeof StoredValueSettingsSchema>;

export const DEFAULT_STORED_VALUE_SETTINGS: Omit<StoredValueSettings, 'updatedAt'> = {
  enabled: true,
  chargePolicy: { mode: 'principal_first' },
  memberBalanceCapFen: DEFAULT_STORED_VALUE_CAP_FEN,
  dailyTopupCapFen: DEFAULT_STORED_VALUE_CAP_FEN,
  confirmAboveFen: DEFAULT_CONFIRM_ABOVE_FEN,
  bonusForfeit: 'all',
};

export const StoredValueSettingsPatchSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    chargePolicy: ChargePolicySchema.optional(),
    memberBalanceCapFen: FenSchema.optional(),
    dailyTopupCapFen: FenSchema.optional(),
    confirmAboveFen: FenSchema.optional(),
    bonusForfeit: BonusForfeitRuleSchema.optional(),
  })
  .meta({ id: 'StoredValueSettingsPatch', description: 'The settings HQ changes; fields left out keep their value.' });
export type StoredValueSettingsPatch = z.infer<typeof StoredValueSettingsPatchSchema>;

/** The member's statement line as it reads on a receipt. */
export const StoredValueEntrySchema = z
  .object({
    id: IdSchema,
    kind: StoredValueEntryKindSchema,
    principalDelta: z.number().int(),
    bonusDelta: z.number().int(),
    principalAfter: z.number().int().min(0),
    bonusAfter: z.number().int().min(0),
    storeId: z.string().nullable(),
    storeName: z.string().nullable(),
    reason: z.string(),
    ref: z.object({ type: z.string(), id: z.string() }).nullable(),
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'StoredValueEntry', description: 'One append-only stored-value ledger entry.' });
export type StoredValueEntry = z.infer<typeof StoredValueEntrySchema>;

export const StoredValueEntryPageSchema = pageOf(StoredValueEntrySchema).meta({ id: 'StoredValueEntryPage' });
export type StoredValueEntryPage = z.infer<typeof StoredValueEntryPageSchema>;

export const StoredValueAdjustmentBodySchema = z
  .strictObject({
    principalDelta: z.number().int().min(-MAX_FEN).max(MAX_FEN),
    bonusDelta: z.number().int().min(-MAX_FEN).max(MAX_FEN),
    reason: humanText({ max: 200 }),
  })
  .refine((b) => b.principalDelta !== 0 || b.bonusDelta !== 0, { message: 'principalDelta or bonusDelta must not be 0', path: ['principalDelta'] })
  .meta({ id: 'StoredValueAdjustmentBody', description: 'An HQ correction; needs an Idempotency-Key header.' });
export type StoredValueAdjustmentBody = z.infer<typeof StoredValueAdjustmentBodySchema>;
