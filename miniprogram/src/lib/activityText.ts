import type { Activity, Signup } from '@membercard/shared';
import { yuan } from './format';

export const signupStatusText: Record<Signup['status'], string> = {
  confirmed: '报名成功',
  waitlisted: '候补中',
  pending_payment: '待支付',
  cancelled: '已取消',
  attended: '已签到',
};

const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const CHINA_OFFSET_MS = 8 * 3600_000;

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The wall clock in China (UTC+8, no DST) as UTC fields, whatever the phone's own zone. */
function chinaClock(iso: string): Date {
  return new Date(Date.parse(iso) + CHINA_OFFSET_MS);
}

/** ISO time → "12月10日 周四" in China time. */
export function chinaDayWithWeekday(iso: string): string {
  const t = chinaClock(iso);
  return `${t.getUTCMonth() + 1}月${t.getUTCDate()}日 ${WEEKDAYS[t.getUTCDay()]}`;
}

/** ISO time → "15:51" in China time. */
export function chinaClockTime(iso: string): string {
  const t = chinaClock(iso);
  return `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
}

/**
 * An activity's time as a shopper reads it, in China time: "12月10日 周四 15:51–17:51" on one day,
 * "12月10日 周四 15:51 – 12月11日 周五 10:00" across days.
 */
export function activityTimeRange(startIso: string, endIso: string): string {
  const startDay = chinaDayWithWeekday(startIso);
  const endDay = chinaDayWithWeekday(endIso);
  if (startDay === endDay) return `${startDay} ${chinaClockTime(startIso)}–${chinaClockTime(endIso)}`;
  return `${startDay} ${chinaClockTime(startIso)} – ${endDay} ${chinaClockTime(endIso)}`;
}

/** "剩余 3 个名额", "名额已满" or, with people waiting, "名额已满（候补 2 人）". */
export function seatsLeftText(activity: Pick<Activity, 'capacity' | 'confirmedCount' | 'seatsLeft' | 'waitlistCount'>): string {
  const left = activity.seatsLeft ?? Math.max(0, activity.capacity - activity.confirmedCount);
  if (left > 0) return `剩余 ${left} 个名额（共 ${activity.capacity}）`;
  return activity.waitlistCount ? `名额已满（候补 ${activity.waitlistCount} 人）` : '名额已满，可排候补';
}

/** The sign-up that still counts for this activity (not cancelled), if the member has one. */
export function liveSignupFor(signups: readonly Signup[], activityId: string): Signup | null {
  return signups.find((signup) => signup.activityId === activityId && signup.status !== 'cancelled') ?? null;
}

/** What the shopper confirms before WeChat Pay opens: the amount and when the fee comes back (the server's rule:
 * a cancel before the sign-up deadline refunds a paid seat; a cancelled activity refunds everyone). */
export function paymentConfirmText(activity: Pick<Activity, 'feeFen' | 'signupClosesAt'>): { amount: string; refundRule: string } {
  return {
    amount: yuan(activity.feeFen),
    refundRule: `${chinaDayWithWeekday(activity.signupClosesAt)} ${chinaClockTime(activity.signupClosesAt)}（报名截止）前可在「我的报名」取消，费用原路退回；之后不可取消。活动如被取消，费用全额退回。`,
  };
}
