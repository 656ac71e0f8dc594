import { chinaCalendarDate } from '../common/china-time';

// WeChat subscribe-message values: every keyword of a template is named by its value type and a number
// (`thing1`, `time2`, `amount3`), and WeChat refuses a send (errcode 47003, naming the field) whose value
// breaks that type's rule. The rules below are WeChat's documented ones; the server formats every message
// through `formatMessageData` and the emulator checks every send with `checkValue`, so both agree.
// Lengths are counted in code points (what WeChat counts as characters), and times are China time.

export const VALUE_TYPES = [
  'thing',
  'number',
  'letter',
  'symbol',
  'character_string',
  'time',
  'date',
  'amount',
  'phone_number',
  'car_number',
  'name',
  'phrase',
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

/** What our side hands the formatter: text, a count, money in fen, or an instant. */
export type FieldValue = string | number | Date | { fen: number };
export type FieldKind = 'text' | 'count' | 'money' | 'instant';

/** Which WeChat value types a field of each kind can fill (anything else is a configuration mistake). */
export const KIND_FITS: Record<FieldKind, readonly ValueType[]> = {
  text: ['thing', 'character_string', 'letter', 'symbol', 'phrase', 'name', 'phone_number', 'car_number'],
  count: ['number', 'thing', 'character_string'],
  money: ['amount', 'thing'],
  instant: ['time', 'date', 'thing'],
};

const KEYWORD_PATTERN = new RegExp(`^(${[...VALUE_TYPES].sort((a, b) => b.length - a.length).join('|')})(\\d{1,2})$`);

/** `time2` → `time`, `character_string13` → `character_string`; null for a name that is not a WeChat keyword. */
export function keywordType(keyword: string): ValueType | null {
  const match = KEYWORD_PATTERN.exec(keyword);
  return match ? (match[1] as ValueType) : null;
}

export const codePoints = (text: string): number => [...text].length;

const HAN = /^\p{Script=Han}+$/u;
const LETTERS = /^[A-Za-z]+$/;
const SYMBOLS = /^[\p{P}\p{S}]+$/u;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
// One time point: optional date (年 optional, as WeChat's own examples), then HH:MM[:SS]; a date point is the date with an optional time.
const DATE_PART = '(?:(\\d{4})年)?(\\d{1,2})月(\\d{1,2})日';
const TIME_PART = '(\\d{1,2}):(\\d{2})(?::(\\d{2}))?';
const TIME_POINT = new RegExp(`^(?:${DATE_PART}\\s?)?${TIME_PART}$`);
const DATE_POINT = new RegExp(`^${DATE_PART}(?:\\s?${TIME_PART})?$`);

function validPoint(pattern: RegExp, text: string): boolean {
  const match = pattern.exec(text.trim());
  if (!match) return false;
  // Both patterns capture year, month, day, hour, minute, second in that order (absent parts undefined).
  const [, , month, day, hour, minute, second] = match.map((part) => (part === undefined ? undefined : Number(part)));
  const outside = (n: number | undefined, low: number, high: number) => n !== undefined && (n < low || n > high);
  return !(outside(month, 1, 12) || outside(day, 1, 31) || outside(hour, 0, 23) || outside(minute, 0, 59) || outside(second, 0, 59));
}

/** Time and date values may be a range of two points joined by `~`. */
const validPoints = (pattern: RegExp, text: string) => {
  const points = text.split('~');
  return points.length <= 2 && points.every((point) => validPoint(pattern, point));
};

/** Why WeChat would refuse `value` for a keyword of `type`, or null if it would take it. */
export function checkValue(type: ValueType, value: string): string | null {
  if (value.length === 0) return 'empty';
  const length = codePoints(value);
  switch (type) {
    case 'thing':
      return length > 20 ? 'longer than 20 characters' : /[\n\r\t]/.test(value) ? 'line breaks' : null;
    case 'number':
      return !/^\d+(\.\d+)?$/.test(value) ? 'not a number' : value.replace('.', '').length > 32 ? 'more than 32 digits' : null;
    case 'letter':
      return !LETTERS.test(value) ? 'not letters only' : length > 32 ? 'longer than 32 letters' : null;
    case 'symbol':
      return !SYMBOLS.test(value) ? 'not symbols only' : length > 5 ? 'longer than 5 symbols' : null;
    case 'character_string':
      return !PRINTABLE_ASCII.test(value) ? 'only digits, letters and symbols' : length > 32 ? 'longer than 32 characters' : null;
    case 'time':
      return validPoints(TIME_POINT, value) ? null : 'not a time like 2019年10月1日 15:01';
    case 'date':
      return validPoints(DATE_POINT, value) ? null : 'not a date like 2019年10月1日';
    case 'amount': {
      const match = /^(?:[¥￥$€£](\d+(?:\.\d+)?)元?|(\d+(?:\.\d+)?)元)$/.exec(value);
      if (!match) return 'not an amount like ¥1.00';
      return (match[1] ?? match[2]!).replace('.', '').length > 10 ? 'more than 10 digits' : null;
    }
    case 'phone_number':
      return !/^\+?[\d\-() ]+$/.test(value) ? 'not a phone number' : length > 17 ? 'longer than 17 characters' : null;
    case 'car_number': {
      const chars = [...value];
      const inner = chars.slice(1, -1).join('');
      const edge = (ch: string | undefined) => ch === undefined || /^[A-Za-z0-9]$/.test(ch) || HAN.test(ch);
      if (length > 8) return 'longer than 8 characters';
      return edge(chars[0]) && edge(chars[chars.length - 1]) && /^[A-Za-z0-9]*$/.test(inner) ? null : 'not a plate number';
    }
    case 'name':
      if (/\p{Script=Han}/u.test(value)) return length > 10 ? 'longer than 10 characters' : /^[\p{Script=Han}A-Za-z·]+$/u.test(value) ? null : 'not a name';
      return /^[A-Za-z .'-]+$/.test(value) ? (length > 20 ? 'longer than 20 letters' : null) : 'not a name';
    case 'phrase':
      return !HAN.test(value) ? 'not Chinese characters only' : length > 5 ? 'longer than 5 characters' : null;
  }
}

export type Formatted = { ok: true; value: string } | { ok: false; reason: string };

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `2019年10月1日` in China. */
export function chinaDateText(instant: Date): string {
  const { year, month, day } = chinaCalendarDate(instant);
  return `${year}年${month}月${day}日`;
}

/** `2019年10月1日 15:01` in China (24-hour clock). */
export function chinaDateTimeText(instant: Date): string {
  const shifted = new Date(instant.getTime() + 8 * 3600_000);
  return `${chinaDateText(instant)} ${pad2(shifted.getUTCHours())}:${pad2(shifted.getUTCMinutes())}`;
}

/**
 * WeChat's amount form: a currency sign and plain digits (`¥1731.50`). Unlike the rest of the product it has no
 * thousands separators, because WeChat's rule allows only digits and one decimal point.
 */
export function amountText(fen: number): string {
  return `¥${Math.floor(fen / 100)}.${pad2(fen % 100)}`;
}

/** One value in the form a keyword of `type` takes; a `thing` too long is cut with an ellipsis, anything else that breaks its rule is refused. */
export function formatValue(type: ValueType, value: FieldValue): Formatted {
  let text: string;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return { ok: false, reason: 'invalid date' };
    text = type === 'date' ? chinaDateText(value) : chinaDateTimeText(value);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: 'not a finite number' };
    text = Number.isInteger(value) ? value.toFixed(0) : String(value);
  } else if (typeof value === 'object') {
    if (!Number.isInteger(value.fen) || value.fen < 0) return { ok: false, reason: 'money must be whole non-negative fen' };
    text = amountText(value.fen);
  } else {
    // WeChat shows one line: line breaks and runs of spaces become one space.
    text = value.replace(/\s+/g, ' ').trim();
  }
  if (type === 'thing' && codePoints(text) > 20) text = `${[...text].slice(0, 19).join('')}…`;
  const refusal = checkValue(type, text);
  return refusal ? { ok: false, reason: refusal } : { ok: true, value: text };
}

export type MessageData = Record<string, { value: string }>;
export type FormattedMessage = { ok: true; data: MessageData } | { ok: false; keyword: string; reason: string };

/**
 * A template's `data` from our fields: `keywords` maps each of the template's keywords (`thing1`) to one of our
 * field names (`couponName`); every keyword must get a valid value, or the message is refused naming the keyword.
 */
export function formatMessageData(keywords: Record<string, string>, fields: Record<string, FieldValue | null | undefined>): FormattedMessage {
  const data: MessageData = {};
  for (const [keyword, field] of Object.entries(keywords)) {
    const type = keywordType(keyword);
    if (!type) return { ok: false, keyword, reason: 'not a WeChat keyword' };
    const value = fields[field];
    if (value === null || value === undefined) return { ok: false, keyword, reason: `no ${field}` };
    const formatted = formatValue(type, value);
    if (!formatted.ok) return { ok: false, keyword, reason: formatted.reason };
    data[keyword] = { value: formatted.value };
  }
  return { ok: true, data };
}
