import { ActivityInputSchema, SignupSchema, WechatPaymentParamsSchema } from './schema';

describe('activity input', () => {
  const activity = {
    title: '咖啡品鉴会',
    description: '门店咖啡师带你品鉴三款单品豆',
    storeId: 'SH01',
    signupClosesAt: '2025-03-20T00:00:00Z',
    startAt: '2025-03-21T06:00:00Z',
    endAt: '2025-03-21T08:00:00Z',
    capacity: 20,
    feeFen: 0,
    attendancePoints: 50,
  };

  it('given sign-up closing before a start before the end, then it is valid', () => {
    expect(ActivityInputSchema.safeParse(activity).success).toBe(true);
  });

  it('given sign-up closing exactly at the start, then it is valid', () => {
    expect(ActivityInputSchema.safeParse({ ...activity, signupClosesAt: activity.startAt }).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['sign-up closing after the start', { signupClosesAt: '2025-03-21T07:00:00Z' }, 'signupClosesAt'],
    ['an end at the start', { endAt: '2025-03-21T06:00:00Z' }, 'endAt'],
    ['capacity 0', { capacity: 0 }, 'capacity'],
    ['a fractional fee', { feeFen: 9.9 }, 'feeFen'],
    ['an unknown field', { published: true }, ''],
  ])('given %s, then it is refused', (_case, change, field) => {
    const result = ActivityInputSchema.safeParse({ ...activity, ...change });
    expect(result.success).toBe(false);
    if (field) expect(result.error?.issues[0]?.path).toEqual([field]);
  });
});

describe('signups and payment params', () => {
  const payment = { timeStamp: '1741500000', nonceStr: 'abc123', package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA', paySign: 'c2ln' };

  it('given a pending-payment signup with wx.requestPayment params, then it parses', () => {
    expect(SignupSchema.safeParse({ id: 's1', activityId: 'a1', status: 'pending_payment', payment }).success).toBe(true);
  });

  it('given payment params with a millisecond timestamp or another sign type, then they are refused', () => {
    expect(WechatPaymentParamsSchema.safeParse({ ...payment, timeStamp: '1741500000000' }).success).toBe(false);
    expect(WechatPaymentParamsSchema.safeParse({ ...payment, signType: 'MD5' }).success).toBe(false);
  });

  it('given an unknown signup status, then it is refused', () => {
    expect(SignupSchema.safeParse({ id: 's1', activityId: 'a1', status: 'maybe' }).success).toBe(false);
  });
});
