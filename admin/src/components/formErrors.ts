import type { FormInstance } from 'antd';
import type { z } from 'zod';
import { ApiError, readableErrorMessage } from '../api';
import { issuesToFieldErrors, placeFieldErrors, type IssueLike } from '../lib/forms';

// Client-side checks use the same shared zod schema the server validates with; whatever still comes
// back as VALIDATION_FAILED is shown on the same fields.

export type Checked<T> = { ok: true; data: T } | { ok: false; errors: Record<string, string> };

export function checkWith<S extends z.ZodType>(schema: S, body: unknown, lang: 'zh' | 'en' = 'zh'): Checked<z.infer<S>> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, errors: issuesToFieldErrors(result.error.issues as unknown as IssueLike[], lang) };
}

/**
 * Puts the messages on the form's fields, clearing what an earlier check left on the others; returns the
 * messages that fit no field.
 */
export function showFieldErrors(form: FormInstance, errors: Record<string, string>, rename: Record<string, string> = {}): string[] {
  // The store's values and the mounted fields: a field nobody has touched yet is in the second only.
  const known = [...new Set([...Object.keys(form.getFieldsValue(true) as Record<string, unknown>), ...Object.keys(form.getFieldsValue() as Record<string, unknown>)])];
  const placed = placeFieldErrors(errors, [...known, ...Object.values(rename)], rename);
  const erred = new Set(placed.fields.map((field) => String(field.name[0])));
  form.setFields([...known.filter((name) => !erred.has(name)).map((name) => ({ name, errors: [] })), ...placed.fields]);
  return placed.unplaced;
}

/**
 * A form's onValuesChange that takes the error off each field the user edits: errors placed by
 * showFieldErrors are not re-checked by antd (the fields have no rules), so without this a fixed field
 * kept its stale 必填 until the next submit.
 */
export function clearErrorsOnEdit(form: FormInstance): (changed: Record<string, unknown>) => void {
  return (changed) => {
    const edited = Object.keys(changed).filter((name) => form.getFieldError(name).length > 0);
    if (edited.length) form.setFields(edited.map((name) => ({ name, errors: [] })));
  };
}

/** The server's field errors for a failed save, or null when the error is not about fields. */
export function serverFieldErrors(error: unknown): Record<string, string> | null {
  if (error instanceof ApiError && error.code === 'VALIDATION_FAILED') {
    const fields = error.fieldErrors;
    return Object.keys(fields).length ? fields : null;
  }
  return null;
}

/**
 * What a form shows after a failed save: the server's field errors go onto their fields, and the message to
 * show is the readable error plus any field error that fits no field. One way for every form in the console.
 */
export function failedSaveMessage(form: FormInstance, cause: unknown, lang: 'zh' | 'en', rename: Record<string, string> = {}): string {
  const fields = serverFieldErrors(cause);
  const unplaced = fields ? showFieldErrors(form, fields, rename) : [];
  return [readableErrorMessage(cause, lang), ...unplaced].join('; ');
}
