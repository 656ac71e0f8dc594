import type { SubscribeTemplates } from '@membercard/shared';

// Sample templates for demo mode and tests: what a brand would pick in the WeChat console's template library
// for each purpose (keywords numbered as WeChat numbers them). The emulator owns exactly these, so a message
// with a wrong keyword or value is refused there as the real WeChat would refuse it. Production configures
// its own (SUBSCRIBE_TEMPLATES / SUBSCRIBE_TEMPLATES_FILE, see the README).
export const DEMO_SUBSCRIBE_TEMPLATES: SubscribeTemplates = {
  couponArrival: {
    id: 'demo-CouponArrival-Ub8kQm2xT4vYp7NcLw0eRj',
    keywords: { thing1: 'couponName', time2: 'validUntil', thing3: 'note' }, // 券名称 有效期至 温馨提示
  },
  pointsExpiry: {
    id: 'demo-PointsExpiry-Zr5tHn9gKc3WqXb6MdAs1o',
    keywords: { number1: 'points', date2: 'expiresAt', thing3: 'note' }, // 到期积分 到期时间 温馨提示
  },
  activityReminder: {
    id: 'demo-ActivityStart-Pe2vLj7yFu0BiNo4GtCk8w',
    keywords: { thing1: 'activityTitle', time2: 'startAt', thing3: 'note' }, // 活动名称 开始时间 温馨提示
  },
  activityCancelled: {
    id: 'demo-ActivityCancel-Qa6mSd1hXe9RvTz3JyUp5n',
    keywords: { thing1: 'activityTitle', time2: 'startAt', thing3: 'note' }, // 活动名称 原定时间 取消原因
  },
  waitlistPromoted: {
    id: 'demo-WaitlistSeat-Ki4oWb8cMf2LgYr7EsHt0v',
    keywords: { thing1: 'activityTitle', time2: 'startAt', thing3: 'note' }, // 活动名称 活动时间 报名状态
  },
  refundResult: {
    id: 'demo-RefundDone-Hy3nVc7qBx1ZsKe9PwMd4t',
    keywords: { thing1: 'activityTitle', amount2: 'refundAmount', time3: 'refundedAt', thing4: 'note' }, // 退款项目 退款金额 退款时间 退款原因
  },
  storedValueCharge: {
    id: 'demo-StoredValuePay-Tq8wXm3nLc5VbRz1KeYo7s',
    keywords: { thing1: 'storeName', amount2: 'chargeAmount', amount3: 'balance', time4: 'chargedAt' }, // 消费门店 消费金额 储值余额 消费时间
  },
};

/** The emulator's registration of templates: id → keywords. */
export function emulatorTemplates(templates: SubscribeTemplates): Record<string, string[]> {
  return Object.fromEntries(Object.values(templates).map((template) => [template.id, Object.keys(template.keywords)]));
}
