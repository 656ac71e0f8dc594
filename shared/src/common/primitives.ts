import { z } from 'zod';

/** Largest amount of money the system accepts in one field: ¥1,000,000. */
export const MAX_FEN = 100_000_000;

/** A store's code, which is also its id (`SH01`): 2–16 capital letters or digits. */
export const STORE_CODE_PATTERN = /^[A-Z0-9]{2,16}$/;

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
  .object({
    code: z.string(),
    numericCode: z.string().regex(/^\d{18}$/).describe('The same code as 18 digits a clerk can type (shown in groups of four).'),
    expiresAt: IsoDateTimeSchema,
  })
  .meta({ id: 'ShortLivedCodeAnswer', description: 'A signed code valid until `expiresAt` (plus one step of grace).' });
export type ShortLivedCodeAnswer = z.infer<typeof ShortLivedCodeAnswerSchema>;

// ---- text a person types ----

// Characters no typed text may carry: C0 and C1 controls (a multi-line text keeps tab, line feed and carriage
// return), and the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make
// a name or title display as something other than what it says.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one: not text at all. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/**
 * Characters that show nothing: white space of every kind, zero-width space and joiners (U+200B–U+200D), the
 * word joiner and invisible operators (U+2060–U+2064), the BOM (U+FEFF), soft hyphen, combining grapheme
 * joiner, Mongolian vowel separator, directional marks (U+200E, U+200F, U+061C), Hangul fillers and variation
 * selectors. Allowed inside text (emoji sequences need joiners), but text made only of them is empty.
 */
// eslint-disable-next-line no-misleading-character-class -- each invisible code point is listed on its own on purpose
const INVISIBLE = /[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2060-\u2064\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;

/** The text rules' messages: the API answers with `en`; the console shows `zh` in Chinese. */
export const TEXT_RULE_MESSAGES = {
  controls: { en: 'must not contain control characters', zh: '不能包含控制字符' },
  controlsMultiline: { en: 'must not contain control characters other than tab and line breaks', zh: '除换行和制表符外，不能包含控制字符' },
  surrogates: { en: 'must not contain unpaired surrogates', zh: '包含无效字符（不成对的代理项）' },
  bidi: { en: 'must not contain bidirectional override or isolate characters', zh: '不能包含文字方向控制字符' },
  invisible: { en: 'must contain visible characters', zh: '不能只由空白或不可见字符组成' },
} as const;

/** Whether the text shows at least one character. */
export function hasVisibleText(text: string): boolean {
  return text.replace(INVISIBLE, '').length > 0;
}

/**
 * The one schema for text a person types (names, titles, descriptions, reasons, cities, interests, …): trimmed;
 * refuses control characters (tab and line breaks allowed when `multiline`), lone surrogates and bidirectional
 * overrides and isolates; when `min` ≥ 1 (the default) it must also show something once invisible characters
 * are set aside, so a name of one zero-width space is refused. Lengths count UTF-16 units after trimming.
 */
export function humanText(options: { max: number; min?: number; multiline?: boolean }) {
  const { max, min = 1, multiline = false } = options;
  const controls = multiline ? CONTROL_CHARACTERS_MULTILINE : CONTROL_CHARACTERS;
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .superRefine((text, ctx) => {
      const m = TEXT_RULE_MESSAGES;
      if (controls.test(text)) ctx.addIssue({ code: 'custom', message: multiline ? m.controlsMultiline.en : m.controls.en });
      if (LONE_SURROGATE.test(text)) ctx.addIssue({ code: 'custom', message: m.surrogates.en });
      if (BIDI_CONTROLS.test(text)) ctx.addIssue({ code: 'custom', message: m.bidi.en });
      if (min >= 1 && text.length > 0 && !hasVisibleText(text)) ctx.addIssue({ code: 'custom', message: m.invisible.en });
    });
}
