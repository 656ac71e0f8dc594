// Bridges between validation messages (client-side zod issues, or the server's error.details) and the
// form fields that show them. Wire field names sometimes differ from the form's (amountOffFen is typed
// in yuan as amountOffYuan), so a rename map sends each message to the field the user typed in.

export interface IssueLike {
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

export function issuesToFieldErrors(issues: ReadonlyArray<IssueLike>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const issue of issues) {
    const key = issue.path.map(String).join('.');
    if (!(key in result)) result[key] = issue.message;
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
