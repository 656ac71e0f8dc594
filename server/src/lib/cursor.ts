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
