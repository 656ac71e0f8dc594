import { z } from 'zod';

/** Largest amount of money the system accepts in one field: ¥1,000,000. */
export const MAX_FEN = 100_000_000;

export const IdSchema = z.string().min(1).max(128).meta({ id: 'Id', description: 'Opaque identifier.' });
export type Id = z.infer<typeof IdSchema>;

export const FenSchema = z
  .number()
  .int()
  .min(0)
  .max(MAX_FEN)
  .meta({ id: 'Fen', description: 'Money as an integer number of fen (1 yuan = 100 fen), at most ¥1,000,000.' });
export type Fen = z.infer<typeof FenSchema>;

export const PointsAmountSchema = z.number().int().meta({ id: 'PointsAmount', description: 'A whole number of points.' });
export type PointsAmount = z.infer<typeof PointsAmountSchema>;

// Offsets are accepted on input; the server always answers in UTC ("Z").
export const IsoDateTimeSchema = z
  .iso.datetime({ offset: true })
  .meta({ id: 'IsoDateTime', description: 'ISO-8601 date-time, answered in UTC.' });
export type IsoDateTime = z.infer<typeof IsoDateTimeSchema>;

export const ListQuerySchema = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().min(1).max(512).optional(),
  })
  .meta({ id: 'ListQuery', description: 'Paging for every list: `limit` (default 20, max 100) and an opaque `cursor`.' });
export type ListQuery = z.infer<typeof ListQuerySchema>;

/** The answer shape of every list: one page of items and the cursor of the next page, or null on the last one. */
export function pageOf<Item extends z.ZodType>(itemSchema: Item) {
  return z.object({ items: z.array(itemSchema), nextCursor: z.string().nullable() });
}
export type Page<Item> = { items: Item[]; nextCursor: string | null };

/** `{code, expiresAt}`: a short-lived payload shown as QR and barcode (member card, coupon, sign-up). */
export const ShortLivedCodeAnswerSchema = z
  .object({ code: z.string(), expiresAt: IsoDateTimeSchema })
  .meta({ id: 'ShortLivedCodeAnswer', description: 'A signed code valid until `expiresAt` (plus one step of grace).' });
export type ShortLivedCodeAnswer = z.infer<typeof ShortLivedCodeAnswerSchema>;
