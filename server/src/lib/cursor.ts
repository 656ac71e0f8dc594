import type { Page } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types } from 'mongoose';
import { errors } from './errors';

// Cursors are opaque to clients: base64url JSON of the last item's sort key (a date and an _id), so paging
// is a range query on an index and never skips or repeats items when new ones arrive.

export interface CursorPosition {
  at: Date;
  id: Types.ObjectId;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ t: position.at.getTime(), i: String(position.id) })).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    if (typeof parsed.t !== 'number' || typeof parsed.i !== 'string' || !Types.ObjectId.isValid(parsed.i)) throw new Error();
    return { at: new Date(parsed.t), id: new Types.ObjectId(parsed.i) };
  } catch {
    throw errors.validation('The cursor is not valid.', { fields: [{ field: 'query.cursor', message: 'Invalid cursor' }] });
  }
}

/**
 * One page, newest first by `field` then _id; the cursor is the last item's (field, _id). After a cursor the range
 * is added beside the filter's own fields (not wrapped in `$and`), so a planner still sees those fields for its index.
 */
export async function pageBy<D extends { _id: Types.ObjectId }, V>(
  model: mongoose.Model<any>,
  filter: Record<string, unknown>,
  field: keyof D & string,
  limit: number,
  cursor: string | undefined,
  view: (doc: D) => V,
): Promise<Page<V>> {
  const after = cursor ? decodeCursor(cursor) : null;
  const range = after ? { $or: [{ [field]: { $lt: after.at } }, { [field]: after.at, _id: { $lt: after.id } }] } : null;
  const query = !range ? filter : '$or' in filter ? { $and: [filter, range] } : { ...filter, ...range };
  const docs = await model.find(query).sort({ [field]: -1, _id: -1 }).limit(limit + 1).lean<D[]>();
  const page = docs.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    nextCursor: docs.length > limit && last ? encodeCursor({ at: last[field] as unknown as Date, id: last._id }) : null,
  };
}
