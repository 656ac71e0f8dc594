import { z } from 'zod';

// Rates and multipliers carry at most two decimals so that earning can be computed exactly in integers
// (hundredths), never in floating point.
export const MultiplierSchema = z
  .number()
  .positive()
  .max(100)
  .refine((value) => hundredthsOf(value) !== null, 'at most two decimals')
  .meta({ id: 'Multiplier', description: 'A positive factor with at most two decimals, e.g. 1.5.' });

/** The value in whole hundredths (1.5 → 150), or null when it has more than two decimals. */
export function hundredthsOf(value: number): number | null {
  const scaled = Math.round(value * 100);
  return Math.abs(scaled - value * 100) < 1e-6 ? scaled : null;
}
