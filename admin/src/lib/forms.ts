import { CASH_VALUE_MESSAGES, TEXT_RULE_MESSAGES } from '../shared';

// Bridges between validation messages (client-side zod issues, or the server's error.details) and the
// form fields that show them. Wire field names sometimes differ from the form's (amountOffFen is typed
// in yuan as amountOffYuan), so a rename map sends each message to the field the user typed in.

export interface IssueLike {
  path: ReadonlyArray<PropertyKey>;
  message: string;
  code?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
}

/** The shared rules' own messages in Chinese (the schemas carry the English the API answers with). */
const ruleMessagesZh = new Map<string, string>([...Object.values(TEXT_RULE_MESSAGES), ...Object.values(CASH_VALUE_MESSAGES)].map((m) => [m.en, m.zh]));

/** zod's generic wording made readable for the console user; the schemas' own custom messages are kept (in Chinese where they have it). */
export function readableIssue(issue: IssueLike, lang: 'zh' | 'en' = 'zh'): string {
  const t = (zh: string, en: string) => (lang === 'zh' ? zh : en);
  const text = issue.origin === 'string';
  switch (issue.code) {
    case 'invalid_type':
      return /received undefined/.test(issue.message) ? t('必填', 'Required') : t('格式不正确', 'Invalid value');
    case 'too_small':
      if (text && Number(issue.minimum) === 1) return t('必填', 'Required');
      return text ? t(`至少 ${issue.minimum} 个字符`, `At least ${issue.minimum} characters`) : issue.origin === 'array' ? t(`至少选 ${issue.minimum} 项`, `Pick at least ${issue.minimum}`) : t(`不能小于 ${issue.minimum}`, `Must be at least ${issue.minimum}`);
    case 'too_big':
      return text ? t(`最多 ${issue.maximum} 个字符`, `At most ${issue.maximum} characters`) : t(`不能大于 ${issue.maximum}`, `Must be at most ${issue.maximum}`);
    case 'invalid_format':
      return t('格式不正确', 'Invalid format');
    case 'unrecognized_keys':
      return t('包含不支持的字段', 'Unknown fields');
    default:
      return lang === 'zh' ? (ruleMessagesZh.get(issue.message) ?? issue.message) : issue.message;
  }
}

export function issuesToFieldErrors(issues: ReadonlyArray<IssueLike>, lang: 'zh' | 'en' = 'zh'): Record<string, string> {
  const result: Record<string, string> = {};
  for (const issue of issues) {
    const key = issue.path.map(String).join('.');
    if (!(key in result)) result[key] = issue.code ? readableIssue(issue, lang) : issue.message;
  }
  return result;
}

export interface PlacedErrors {
  /** Form field name path → messages, ready for antd `form.setFields`. */
  fields: Array<{ name: Array<string | number>; errors: string[] }>;
  /** Messages whose field the form does not have (shown in an alert instead). */
  unplaced: string[];
}

/**
 * Places wire-path errors on form fields. `rename` maps a wire path (or its first segment) to the form
 * field name; `known` lists the form's top-level fields so the rest are reported as unplaced.
 */
export function placeFieldErrors(errors: Record<string, string>, known: ReadonlyArray<string>, rename: Record<string, string> = {}): PlacedErrors {
  const placed: PlacedErrors = { fields: [], unplaced: [] };
  for (const [wirePath, message] of Object.entries(errors)) {
    const [head = '', ...rest] = wirePath.split('.');
    const renamed = rename[wirePath] ?? rename[head];
    const formPath: Array<string | number> = renamed !== undefined ? [renamed] : [head, ...rest.map((part) => (/^\d+$/.test(part) ? Number(part) : part))];
    const topLevel = String(formPath[0]);
    if (known.includes(topLevel)) {
      // Errors inside a list field (storeIds.0) are shown on the list itself.
      placed.fields.push({ name: [topLevel], errors: [message] });
    } else {
      placed.unplaced.push(wirePath ? `${wirePath}: ${message}` : message);
    }
  }
  return placed;
}

/** Drops undefined, null, '' and empty arrays so optional wire fields stay absent (the API refuses nulls). */
export function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || item === null || item === '') continue;
    if (Array.isArray(item) && item.length === 0) continue;
    if (typeof item === 'number' && Number.isNaN(item)) continue;
    result[key] = item;
  }
  return result as Partial<T>;
}
