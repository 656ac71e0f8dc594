import type { ErrorCode } from '@membercard/shared';

/** Codes the client makes up itself, for failures that never reached a server answer. */
export type ClientErrorCode = 'NETWORK' | 'BAD_ANSWER' | 'UNKNOWN' | 'CANCELLED';

// Every contract code has a shopper-readable sentence; the raw code is never shown.
const messages: Record<ErrorCode | ClientErrorCode, string> = {
  VALIDATION_FAILED: '填写的信息有误，请检查后再试',
  UNAUTHENTICATED: '登录已过期，请重新登录',
  FORBIDDEN: '没有权限进行此操作',
  PASSWORD_CHANGE_REQUIRED: '请先修改总部设置的初始密码，再重新登录',
  NOT_FOUND: '内容不存在或已下架',
  CONFLICT: '操作冲突，请刷新后再试',
  RATE_LIMITED: '操作太频繁，请稍后再试',
  INTERNAL: '服务开小差了，请稍后再试',
  PAYLOAD_TOO_LARGE: '提交的内容过大',
  UNSUPPORTED_MEDIA_TYPE: '请求格式有误，请更新小程序后再试',
  IDEMPOTENCY_KEY_REUSED: '请求重复，请刷新后再试',
  IDEMPOTENCY_IN_PROGRESS: '正在处理上一次请求，请稍候',
  ORDER_NO_OTHER_MEMBER: '该订单号已用于其他会员的消费',
  NOT_A_MEMBER: '您还不是会员，请先开卡',
  ALREADY_MEMBER: '您已经是会员了',
  CODE_INVALID: '码无效或已过期，请让顾客刷新后重新出示',
  CODE_NOT_FOUND: '兑换码不存在，请核对后重新输入',
  CODE_ALREADY_USED: '该兑换码已被使用',
  CODE_VOIDED: '该兑换码已作废，无法兑换',
  INSUFFICIENT_POINTS: '积分不足',
  COUPON_ALREADY_USED: '该券已被使用',
  COUPON_EXPIRED: '该券已过期',
  COUPON_NOT_APPLICABLE: '该券不适用于本次消费',
  MIN_SPEND_NOT_MET: '未达到该券的最低消费金额',
  WRONG_STORE: '该券不能在本门店使用',
  REVERSAL_WINDOW_CLOSED: '已超过 24 小时，无法撤销',
  ALREADY_SIGNED_UP: '您已报名该活动',
  TIER_NOT_ELIGIBLE: '您的会员等级暂不能报名该活动',
  ALREADY_CHECKED_IN: '该报名已签到，无需重复签到',
  CHECKIN_NOT_OPEN: '签到尚未开始，请在活动开始前不久再签到',
  CHECKIN_CLOSED: '活动已结束，签到已关闭',
  CAMPAIGN_ALREADY_LAUNCHED: '活动已发起',
  BIRTHDAY_ALREADY_SET: '生日已设置过，如需修改请联系门店',
  SIGNUP_CLOSED: '报名已截止',
  PAYMENT_UNAVAILABLE: '支付暂时不可用，请稍后再试',
  TEMPLATE_EXHAUSTED: '这张券已经被领完了',
  TEMPLATE_ARCHIVED: '这张券已停止发放',
  COUPON_LIMIT_REACHED: '您已达到这张券的领取上限',
  NOT_READY: '服务正在启动，请稍后再试',
  DATABASE_UNAVAILABLE: '网络繁忙，请稍后重试',
  DATABASE_FULL: '系统繁忙，本次操作未保存，请稍后再试',
  // The POS integration's codes reach only tills, never the mini-program; listed because the table is complete.
  POS_UNSIGNED: '收银系统请求未签名',
  POS_KEY_INVALID: '收银系统密钥无效或已停用',
  POS_TIMESTAMP_STALE: '收银系统时间与服务器相差过大',
  POS_NONCE_REPLAYED: '收银系统请求重复',
  POS_SIGNATURE_INVALID: '收银系统签名错误',
  LINE_TOTAL_MISMATCH: '商品行金额与合计不符',
  RETURN_EXCEEDS_ORDER: '退货数量超过订单',
  CATEGORY_UNKNOWN: '商品品类不存在或已停用',
  WEBHOOK_URL_REFUSED: '不允许推送到这个地址',
  PIN_NOT_SET: '会员未设置支付密码，请在手机上确认付款',
  PIN_INVALID: '支付密码错误',
  PIN_LOCKED: '支付密码错误次数过多，已暂时锁定',
  CHARGE_DECLINED: '会员已在手机上拒绝本次付款',
  CONFIRMATION_EXPIRED: '付款确认已超时，请重新发起',
  REFUND_EXCEEDS_CHARGE: '退款超过储值支付的金额',
  PAYMENT_TOTAL_MISMATCH: '各支付方式合计与订单金额不符',
  COLOUR_CONTRAST_TOO_LOW: '这个颜色上的文字看不清，请换深一些的颜色',
  INSUFFICIENT_BALANCE: '储值余额不足',
  STORED_VALUE_CAP_EXCEEDED: '超过储值上限，请减少充值金额',
  TOPUP_RULE_UNAVAILABLE: '该充值方案当前不可用',
  STORED_VALUE_HELD: '您的会员卡还有储值余额，请先申请退还余额后再注销',
  NETWORK: '网络不给力，请检查网络后重试',
  BAD_ANSWER: '服务暂时不可用，请稍后再试',
  UNKNOWN: '出了点问题，请稍后再试',
  CANCELLED: '已取消',
};

/** A readable Chinese sentence for any error code, known or not. */
export function messageForCode(code: string): string {
  return (messages as Record<string, string>)[code] ?? messages.UNKNOWN;
}

/** Fallbacks by HTTP status, for an answer whose body carries no recognisable code. */
export function codeForStatus(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'INTERNAL';
  return 'UNKNOWN';
}

export class ApiError extends Error {
  constructor(
    /** Stable code from the contract (or a ClientErrorCode); for branching, never for display. */
    readonly code: string,
    readonly status: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(messageForCode(code));
    this.name = 'ApiError';
  }
}

/** What to show for any thrown value: ApiError text, else a generic sentence. */
export function readableError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return messages.UNKNOWN;
}
