import { z } from 'zod';
import { FenSchema, humanText } from '../common';
import { MultiplierSchema } from '../points/multiplier';

export const TierCodeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/)
  .meta({ id: 'TierCode', description: 'Stable tier code, e.g. `silver`, `gold`, `platinum`.' });

export const TierRefSchema = z
  .object({ code: TierCodeSchema, name: z.string() })
  .meta({ id: 'TierRef', description: 'A tier as shown on the card: its code and display name.' });
export type TierRef = z.infer<typeof TierRefSchema>;

export const TierDefinitionSchema = z
  .strictObject({
    code: TierCodeSchema,
    name: humanText({ max: 20 }),
    minSpendFen: FenSchema.describe('Qualifying spend over the trailing 12 months that reaches this tier.'),
    pointsMultiplier: MultiplierSchema,
    benefits: z.array(humanText({ max: 100 })).max(20).describe('Benefit texts for the card.'),
  })
  .meta({ id: 'TierDefinition', description: 'One tier of the ladder, editable by HQ.' });
export type TierDefinition = z.infer<typeof TierDefinitionSchema>;

export const TierLadderSchema = z
  .array(TierDefinitionSchema)
  .min(1)
  .max(10)
  .superRefine((tiers, ctx) => {
    if (tiers[0] && tiers[0].minSpendFen !== 0) {
      ctx.addIssue({ code: 'custom', path: [0, 'minSpendFen'], message: 'the entry tier must start at 0' });
    }
    tiers.forEach((tier, index) => {
      const previous = tiers[index - 1];
      if (previous && tier.minSpendFen <= previous.minSpendFen) {
        ctx.addIssue({ code: 'custom', path: [index, 'minSpendFen'], message: 'thresholds must rise strictly, lowest tier first' });
      }
      if (tiers.findIndex((other) => other.code === tier.code) !== index) {
        ctx.addIssue({ code: 'custom', path: [index, 'code'], message: 'tier codes must be unique' });
      }
    });
  })
  .meta({ id: 'TierLadder', description: 'All tiers, lowest first; the first starts at 0 fen and thresholds rise strictly.' });
export type TierLadder = z.infer<typeof TierLadderSchema>;

export const TierProgressSchema = z
  .object({
    next: TierRefSchema.nullable().describe('The tier directly above the current one; null at the top.'),
    spendToNextFen: FenSchema,
    percent: z.number().int().min(0).max(100),
  })
  .meta({ id: 'TierProgress', description: 'How far the member is from the next tier.' });
export type TierProgress = z.infer<typeof TierProgressSchema>;

/** GET /tiers: the ladder for the card, lowest tier first. */
export const TierListSchema = z
  .object({ items: z.array(TierDefinitionSchema), nextCursor: z.null() })
  .meta({ id: 'TierList', description: 'Every tier with its threshold, multiplier and benefits, lowest first.' });
export type TierList = z.infer<typeof TierListSchema>;

/** GET and PUT /admin/tiers: the whole ladder is replaced at once, so thresholds are checked together. */
export const TierLadderBodySchema = z
  .strictObject({ tiers: TierLadderSchema })
  .meta({ id: 'TierLadderBody', description: 'The tier ladder HQ edits as one document.' });
export type TierLadderBody = z.infer<typeof TierLadderBodySchema>;
