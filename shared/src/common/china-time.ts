// The retailer lives in China Standard Time (UTC+8, no daylight saving), so calendar rules — month ends
// for points expiry, member-day weekdays, "today" for birthdays — are evaluated there, whatever the
// time zone of the server or the phone.
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

/** Year, month (1–12), day of month and ISO weekday (1 = Monday … 7 = Sunday) of an instant in China. */
export function chinaCalendarDate(instant: Date): { year: number; month: number; day: number; isoWeekday: number } {
  const shifted = new Date(instant.getTime() + CHINA_OFFSET_MS);
  const weekday = shifted.getUTCDay();
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    isoWeekday: weekday === 0 ? 7 : weekday,
  };
}

/** The last millisecond, in China, of the given month (month 1–12; months past 12 roll into later years). */
export function endOfChinaMonth(year: number, month: number): Date {
  return new Date(Date.UTC(year, month, 1) - CHINA_OFFSET_MS - 1);
}

/** Today's date in China as `YYYY-MM-DD`. */
export function chinaIsoDate(instant: Date): string {
  return new Date(instant.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}
