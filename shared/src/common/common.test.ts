import { z } from 'zod';
import { ErrorAnswerSchema, ErrorCode, errorHttpStatus } from './errors';
import { FenSchema, IsoDateTimeSchema, ListQuerySchema, pageOf } from './primitives';
import { findForbiddenKey } from './forbidden-keys';
import { chinaCalendarDate, chinaIsoDate, endOfChinaMonth } from './china-time';

describe('error codes', () => {
  it('given every code, then each has an HTTP status in the contract’s classes (503 when WeChat Pay is down)', () => {
    for (const code of Object.values(ErrorCode)) {
      expect([400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503]).toContain(errorHttpStatus[code]);
    }
    expect(errorHttpStatus.COUPON_ALREADY_USED).toBe(409);
    expect(errorHttpStatus.MIN_SPEND_NOT_MET).toBe(422);
  });

  it('given an error body with an unknown code, when parsed, then it is refused', () => {
    expect(ErrorAnswerSchema.safeParse({ error: { code: 'NOT_A_MEMBER', message: 'join first' }, requestId: 'r1' }).success).toBe(true);
    expect(ErrorAnswerSchema.safeParse({ error: { code: 'OOPS', message: 'x' }, requestId: 'r1' }).success).toBe(false);
  });
});

describe('Fen', () => {
  it('given amounts, then only whole non-negative fen up to ¥1,000,000 pass', () => {
    expect(FenSchema.safeParse(0).success).toBe(true);
    expect(FenSchema.safeParse(100_000_000).success).toBe(true);
    expect(FenSchema.safeParse(100_000_001).success).toBe(false);
    expect(FenSchema.safeParse(-1).success).toBe(false);
    expect(FenSchema.safeParse(12.5).success).toBe(false);
    expect(FenSchema.safeParse('100').success).toBe(false);
  });
});

describe('IsoDateTime', () => {
  it('given date-times, then ISO-8601 with a zone passes and other text fails', () => {
    expect(IsoDateTimeSchema.safeParse('2025-03-01T08:00:00.000Z').success).toBe(true);
    expect(IsoDateTimeSchema.safeParse('2025-03-01T16:00:00+08:00').success).toBe(true);
    expect(IsoDateTimeSchema.safeParse('2025-03-01').success).toBe(false);
    expect(IsoDateTimeSchema.safeParse('yesterday').success).toBe(false);
  });
});

describe('listQuery', () => {
  it('given no parameters, when parsed, then limit defaults to 20', () => {
    expect(ListQuerySchema.parse({})).toEqual({ limit: 20 });
  });

  it('given query-string values, when parsed, then limit is coerced and capped at 100', () => {
    expect(ListQuerySchema.parse({ limit: '50', cursor: 'abc' })).toEqual({ limit: 50, cursor: 'abc' });
    expect(ListQuerySchema.safeParse({ limit: '101' }).success).toBe(false);
    expect(ListQuerySchema.safeParse({ limit: '0' }).success).toBe(false);
    expect(ListQuerySchema.safeParse({ limit: 'ten' }).success).toBe(false);
  });

  it('given an unknown parameter, when parsed, then it is refused', () => {
    expect(ListQuerySchema.safeParse({ limit: '5', sort: 'x' }).success).toBe(false);
  });
});

describe('pageOf', () => {
  it('given an item schema, then pages hold items and a nullable cursor', () => {
    const page = pageOf(z.object({ id: z.string() }));
    expect(page.parse({ items: [{ id: 'a' }], nextCursor: null })).toEqual({ items: [{ id: 'a' }], nextCursor: null });
    expect(page.safeParse({ items: [{ id: 1 }], nextCursor: null }).success).toBe(false);
    expect(page.safeParse({ items: [] }).success).toBe(false);
  });
});

describe('findForbiddenKey', () => {
  it('given plain JSON, then nothing is found', () => {
    expect(findForbiddenKey({ a: 1, b: [{ c: 'x.$y' }], d: null })).toBeNull();
    expect(findForbiddenKey('$string values are fine')).toBeNull();
  });

  it('given an operator key at the top, then its name is returned', () => {
    expect(findForbiddenKey({ $where: 'sleep(1000)' })).toBe('$where');
  });

  it('given an operator deep inside arrays and objects, then its full path is returned', () => {
    expect(findForbiddenKey({ segment: { tags: [{ ok: 1 }, { $ne: null }] } })).toBe('segment.tags[1].$ne');
  });

  it('given a dotted key, then it is found', () => {
    expect(findForbiddenKey({ profile: { 'name.first': 'x' } })).toBe('profile.name.first');
  });

  it('given very deep nesting, then it is searched without overflowing the stack', () => {
    let value: unknown = { $gt: 1 };
    for (let depth = 0; depth < 100_000; depth++) value = [value];
    expect(findForbiddenKey(value)).toMatch(/\$gt$/);
  });
});

describe('China time', () => {
  it('given 2025-01-31T16:30Z, then it is already February 1st, a Saturday, in China', () => {
    expect(chinaCalendarDate(new Date('2025-01-31T16:30:00Z'))).toEqual({ year: 2025, month: 2, day: 1, isoWeekday: 6 });
    expect(chinaIsoDate(new Date('2025-01-31T16:30:00Z'))).toBe('2025-02-01');
  });

  it('given February 2024, then its last millisecond in China is 2024-02-29T15:59:59.999Z', () => {
    expect(endOfChinaMonth(2024, 2).toISOString()).toBe('2024-02-29T15:59:59.999Z');
  });

  it('given month 14, then it rolls into February of the next year', () => {
    expect(endOfChinaMonth(2024, 14).toISOString()).toBe('2025-02-28T15:59:59.999Z');
  });
});
