import type { z } from 'zod';
import type { AdminSignupSchema, ActivityStatus, SignupStatus } from '../activities/schema';
import type { EntrySourceSchema } from '../acquisition/schema';
import type { AutomationRuleKind } from '../campaigns/marketing';
import type { CampaignStatus } from '../campaigns/schema';
import type { CouponStatus, CouponType, RedemptionCodeBatchSchema, RedemptionSchema } from '../coupons/schema';
import type { Gender, StaffRole } from '../members/schema';
import type { MessagePurpose } from '../messaging/templates';
import type { HqRole, StaffAccountSchema } from '../org/schema';
import type { PaymentAlertSchema } from '../payments/schema';
import type { LedgerSource, PurchaseStatusSchema } from '../points/schema';
import type { PosCredentialSchema, PosOrderSchema } from '../pos/schema';
import type { WebhookDeliverySchema, WebhookEndpointSchema, WebhookEventType } from '../webhooks';

// The dictionary of every status, role, kind and action a person reads, in Chinese and English.
// Each map is typed by the enum it names, so a value added to an enum without a label fails typecheck,
// and a label left for a value that no longer exists fails it too.

export type Lang = 'zh' | 'en';
export interface Label {
  readonly zh: string;
  readonly en: string;
}
/** A label for every value of K, and nothing else. */
export type LabelsOf<K extends string> = { readonly [Key in K]: Label };

const l = (zh: string, en: string): Label => ({ zh, en });

export const COUPON_STATUS_LABELS: LabelsOf<CouponStatus> = {
  issued: l('未使用', 'Unused'),
  redeemed: l('已核销', 'Redeemed'),
  expired: l('已过期', 'Expired'),
  revoked: l('已作废', 'Revoked'),
};

export const COUPON_TYPE_LABELS: LabelsOf<CouponType> = {
  cash: l('满减券', 'Cash off'),
  discount: l('折扣券', 'Discount'),
  gift: l('礼品券', 'Gift'),
};

export const COUPON_TEMPLATE_STATUS_LABELS: LabelsOf<'active' | 'archived'> = {
  active: l('使用中', 'Active'),
  archived: l('已停用', 'Archived'),
};

export const SIGNUP_STATUS_LABELS: LabelsOf<SignupStatus> = {
  confirmed: l('已报名', 'Confirmed'),
  waitlisted: l('候补中', 'Waitlisted'),
  pending_payment: l('待支付', 'Awaiting payment'),
  cancelled: l('已取消', 'Cancelled'),
  attended: l('已签到', 'Attended'),
};

export const SIGNUP_PAYMENT_STATUS_LABELS: LabelsOf<NonNullable<z.infer<typeof AdminSignupSchema>['paymentStatus']>> = {
  pending: l('待支付', 'Pending'),
  paid: l('已支付', 'Paid'),
  closing: l('关闭中', 'Closing'),
  closed: l('已关闭', 'Closed'),
  refunding: l('退款中', 'Refunding'),
  refunded: l('已退款', 'Refunded'),
  refund_failed: l('退款失败', 'Refund failed'),
};

export const PAYMENT_ALERT_KIND_LABELS: LabelsOf<z.infer<typeof PaymentAlertSchema>['kind']> = {
  refund_abnormal: l('退款异常（用户银行卡无法入账）', 'Refund abnormal (card refused it)'),
  refund_closed: l('退款关闭（款项未退出）', 'Refund closed (nothing refunded)'),
};

export const ACTIVITY_STATUS_LABELS: LabelsOf<ActivityStatus> = {
  draft: l('草稿', 'Draft'),
  published: l('报名中', 'Published'),
  cancelled: l('已取消', 'Cancelled'),
  finished: l('已结束', 'Finished'),
};

export const CAMPAIGN_STATUS_LABELS: LabelsOf<CampaignStatus> = {
  draft: l('草稿', 'Draft'),
  scheduled: l('已定时', 'Scheduled'),
  running: l('推送中', 'Running'),
  paused: l('已暂停', 'Paused'),
  completed: l('已完成', 'Completed'),
  failed: l('失败', 'Failed'),
};

export const AUTOMATION_RULE_KIND_LABELS: LabelsOf<AutomationRuleKind> = {
  welcome: l('入会礼', 'Welcome gift'),
  birthday: l('生日礼', 'Birthday gift'),
  points_expiry: l('积分过期提醒', 'Points expiry reminder'),
  win_back: l('沉睡唤醒', 'Win-back'),
  tier_upgrade: l('升级礼', 'Tier upgrade gift'),
};

export const STAFF_ROLE_LABELS: LabelsOf<z.infer<typeof StaffAccountSchema>['role']> = {
  clerk: l('店员', 'Clerk'),
  manager: l('店长', 'Manager'),
  hq: l('总部', 'HQ'),
};
/** Store roles alone (the till's accounts). */
export const STORE_ROLE_LABELS: LabelsOf<StaffRole> = { clerk: STAFF_ROLE_LABELS.clerk, manager: STAFF_ROLE_LABELS.manager };

export const HQ_ROLE_LABELS: LabelsOf<HqRole> = {
  admin: l('管理员', 'Admin'),
  marketing: l('市场', 'Marketing'),
  viewer: l('只读', 'Viewer'),
};

export const LEDGER_SOURCE_LABELS: LabelsOf<LedgerSource> = {
  purchase: l('消费', 'Purchase'),
  redemption: l('核销', 'Redemption'),
  exchange: l('积分兑换', 'Exchange'),
  bonus: l('奖励', 'Bonus'),
  adjustment: l('人工调整', 'Adjustment'),
  expiry: l('过期', 'Expiry'),
  reversal: l('冲正', 'Reversal'),
  attendance: l('活动签到', 'Attendance'),
  code: l('兑换码', 'Code'),
};

export const PURCHASE_STATUS_LABELS: LabelsOf<z.infer<typeof PurchaseStatusSchema>> = {
  booked: l('已入账', 'Booked'),
  reversed: l('已冲正', 'Reversed'),
};

export const POS_ORDER_STATUS_LABELS: LabelsOf<z.infer<typeof PosOrderSchema>['status']> = {
  booked: l('已入账', 'Booked'),
  partly_returned: l('部分退货', 'Partly returned'),
  returned: l('已退货', 'Returned'),
};

export const REDEMPTION_STATUS_LABELS: LabelsOf<z.infer<typeof RedemptionSchema>['status']> = {
  redeemed: l('已核销', 'Redeemed'),
  reversed: l('已撤销', 'Reversed'),
};

export const CODE_BATCH_STATUS_LABELS: LabelsOf<z.infer<typeof RedemptionCodeBatchSchema>['status']> = {
  generating: l('生成中', 'Generating'),
  ready: l('可兑换', 'Ready'),
  voided: l('已作废', 'Voided'),
};

export const POS_KEY_STATUS_LABELS: LabelsOf<z.infer<typeof PosCredentialSchema>['status']> = {
  active: l('使用中', 'Active'),
  revoked: l('已停用', 'Revoked'),
};

export const WEBHOOK_ENDPOINT_STATUS_LABELS: LabelsOf<z.infer<typeof WebhookEndpointSchema>['status']> = {
  active: l('启用', 'Active'),
  disabled: l('已停用', 'Disabled'),
};

export const WEBHOOK_DELIVERY_STATUS_LABELS: LabelsOf<z.infer<typeof WebhookDeliverySchema>['status']> = {
  pending: l('待推送', 'Pending'),
  delivered: l('已送达', 'Delivered'),
  failed: l('已放弃', 'Given up'),
};

export const WEBHOOK_EVENT_TYPE_LABELS: LabelsOf<WebhookEventType> = {
  'member.joined': l('会员入会', 'Member joined'),
  'points.changed': l('积分变动', 'Points changed'),
  'coupon.issued': l('优惠券发放', 'Coupon issued'),
  'coupon.redeemed': l('优惠券核销', 'Coupon redeemed'),
  'order.recorded': l('消费入账', 'Order recorded'),
  'signup.paid': l('活动报名已支付', 'Sign-up paid'),
};

export const MESSAGE_PURPOSE_LABELS: LabelsOf<MessagePurpose> = {
  couponArrival: l('优惠券到账', 'Coupon arrival'),
  pointsExpiry: l('积分到期提醒', 'Points expiring'),
  activityReminder: l('活动开始提醒', 'Activity reminder'),
  activityCancelled: l('活动取消通知', 'Activity cancelled'),
  waitlistPromoted: l('候补成功通知', 'Waitlist seat'),
  refundResult: l('退款成功通知', 'Refund done'),
  storedValueCharge: l('储值消费通知', 'Stored-value payment'),
};

export const ENTRY_SOURCE_LABELS: LabelsOf<z.infer<typeof EntrySourceSchema>> = {
  wxacode: l('小程序码', 'Mini-program code'),
  url: l('链接', 'Link'),
};

export const GENDER_LABELS: LabelsOf<Gender> = {
  male: l('男', 'Male'),
  female: l('女', 'Female'),
  other: l('其他', 'Other'),
};

/**
 * The key the server counts a member without a home store under (campaign results by store, reports);
 * it is never a store's code (store codes are capitals and digits).
 */
export const NO_STORE_KEY = 'none';
export const NO_STORE_LABEL = l('未指定门店', 'No home store');
/** HQ writes have no store. */
export const HQ_STORE_LABEL = l('总部', 'HQ');

/** A store's name for a store id, the placeholder key or nothing: never the raw key. */
export function storeLabel(storeId: string | null | undefined, nameOf: (id: string) => string | undefined, lang: Lang): string {
  if (!storeId || storeId === NO_STORE_KEY) return NO_STORE_LABEL[lang];
  return nameOf(storeId) ?? storeId;
}

/** The label of a value in one of the maps above; a value the map does not know (an older server) shows as it is. */
export function labelOf<K extends string>(labels: LabelsOf<K>, value: string | null | undefined, lang: Lang): string {
  if (value === null || value === undefined || value === '') return '—';
  const found = (labels as Record<string, Label | undefined>)[value];
  return found ? found[lang] : value;
}

/** A staff or HQ account's role in words: 店员, 店长, 总部 · 管理员. */
export function accountRoleLabel(role: string, hqRole: string | null | undefined, lang: Lang): string {
  if (role === 'hq') return `${STAFF_ROLE_LABELS.hq[lang]} · ${labelOf(HQ_ROLE_LABELS, hqRole || 'admin', lang)}`;
  return labelOf(STAFF_ROLE_LABELS, role, lang);
}

/** The password rules in words, one wording for the console and the till. */
export function passwordRulesText(lang: Lang, minLength: number): string {
  return lang === 'zh' ? `至少 ${minLength} 位；不能是常见密码，也不能包含账号名` : `At least ${minLength} characters; not a common password and not containing the username`;
}

/** The server's password refusals (server/src/lib/passwords.ts, the staff service) in the reader's language. */
export function passwordRuleMessage(serverMessage: string, lang: Lang, minLength: number): string {
  const t = (zh: string, en: string) => (lang === 'zh' ? zh : en);
  if (serverMessage.includes('too common')) return t('密码太常见或太容易猜到，请换一个', 'Too common or too easy to guess; choose another');
  if (serverMessage.includes('username')) return t('密码不能包含账号名', 'Must not contain the username');
  if (serverMessage.includes('at least')) return t(`至少 ${minLength} 位`, `At least ${minLength} characters`);
  if (serverMessage.includes('same as the current')) return t('不能与当前密码相同', 'Must differ from the current password');
  if (serverMessage.includes('wrong password')) return t('当前密码不正确', 'The current password is wrong');
  return t('密码不符合要求，请换一个', 'This password is not accepted; choose another');
}

