import type { Signup } from '@membercard/shared';
import { activityTimeRange, chinaDayWithWeekday, liveSignupFor, paymentConfirmText, seatsLeftText } from './activityText';

describe('activity times in China time', () => {
  it('reads one day as "12月10日 周四 15:51–17:51"', () => {
    // 07:51Z is 15:51 in Shanghai; 2026-12-10 is a Thursday.
    expect(activityTimeRange('2026-12-10T07:51:00.000Z', '2026-12-10T09:51:00.000Z')).toBe('12月10日 周四 15:51–17:51');
  });

  it('takes the China date, not the UTC one, around midnight', () => {
    // 2026-12-10T16:30Z is 00:30 on Friday 11 December in China.
    expect(chinaDayWithWeekday('2026-12-10T16:30:00.000Z')).toBe('12月11日 周五');
    expect(activityTimeRange('2026-12-10T15:00:00.000Z', '2026-12-10T17:00:00.000Z')).toBe('12月10日 周四 23:00 – 12月11日 周五 01:00');
  });

  it('names every weekday', () => {
    const week = Array.from({ length: 7 }, (_, i) => chinaDayWithWeekday(new Date(Date.UTC(2026, 11, 6 + i, 2)).toISOString()));
    expect(week).toEqual(['12月6日 周日', '12月7日 周一', '12月8日 周二', '12月9日 周三', '12月10日 周四', '12月11日 周五', '12月12日 周六']);
  });
});

describe('seats and sign-ups', () => {
  it('says how many seats are left, or that the list is full', () => {
    expect(seatsLeftText({ capacity: 20, confirmedCount: 17, seatsLeft: 3, waitlistCount: 0 })).toBe('剩余 3 个名额（共 20）');
    expect(seatsLeftText({ capacity: 5, confirmedCount: 5, seatsLeft: 0, waitlistCount: 2 })).toBe('名额已满（候补 2 人）');
  });

  it("finds the member's live sign-up for an activity and ignores cancelled ones", () => {
    const rows = [
      { id: 's1', activityId: 'a1', status: 'cancelled' },
      { id: 's2', activityId: 'a2', status: 'confirmed' },
      { id: 's3', activityId: 'a1', status: 'confirmed' },
    ] as Signup[];
    expect(liveSignupFor(rows, 'a1')?.id).toBe('s3');
    expect(liveSignupFor(rows.slice(0, 1), 'a1')).toBeNull();
  });

  it('states amount and refund deadline before paying', () => {
    const text = paymentConfirmText({ feeFen: 129_950, signupClosesAt: '2026-12-09T10:00:00.000Z' });
    expect(text.amount).toBe('¥1,299.50');
    expect(text.refundRule).toContain('12月9日 周三 18:00（报名截止）前可在「我的报名」取消，费用原路退回');
  });
});
