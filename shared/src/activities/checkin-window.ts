import { z } from 'zod';

/**
 * When a sign-up may be checked in: from `opensMinutesBefore` the activity's start until `closesMinutesAfterEnd`
 * after its end (default: 2 h before the start until the end). Outside it a check-in is refused, so a sign-up
 * for an activity days away cannot be checked in (and its attendance points paid) early. HQ sets it.
 */
export const CheckInWindowSchema = z
  .strictObject({
    opensMinutesBefore: z.number().int().min(0).max(7 * 24 * 60).describe('Check-in opens this many minutes before the start.'),
    closesMinutesAfterEnd: z.number().int().min(0).max(24 * 60).describe('Check-in closes this many minutes after the end.'),
  })
  .meta({ id: 'CheckInWindow' });
export type CheckInWindow = z.infer<typeof CheckInWindowSchema>;

export const DEFAULT_CHECKIN_WINDOW: CheckInWindow = { opensMinutesBefore: 120, closesMinutesAfterEnd: 0 };

export type CheckInVerdict = { ok: true } | { ok: false; code: 'CHECKIN_NOT_OPEN' | 'CHECKIN_CLOSED'; opensAt: Date; closesAt: Date };

/** Whether `now` is inside the activity's check-in window (both ends included). */
export function checkInVerdict(activity: { startAt: Date; endAt: Date }, window: CheckInWindow, now: Date): CheckInVerdict {
  const opensAt = new Date(activity.startAt.getTime() - window.opensMinutesBefore * 60_000);
  const closesAt = new Date(activity.endAt.getTime() + window.closesMinutesAfterEnd * 60_000);
  if (now.getTime() < opensAt.getTime()) return { ok: false, code: 'CHECKIN_NOT_OPEN', opensAt, closesAt };
  if (now.getTime() > closesAt.getTime()) return { ok: false, code: 'CHECKIN_CLOSED', opensAt, closesAt };
  return { ok: true };
}
