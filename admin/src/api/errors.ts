// The contract's error body ({error: {code, message, details?}, requestId}) turned into something a
// screen can show: one readable sentence (Chinese or English) and, for VALIDATION_FAILED, a message per
// form field.

export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  requestId?: string;
}

export type Lang = 'zh' | 'en';

/** Readable text for the codes a console user can meet; anything else falls back to the server's message. */
const messagesByCode: Record<string, { zh: string; en: string }> = {
  VALIDATION_FAILED: { zh: '填写的内容有误，请检查标红的字段', en: 'Some fields are invalid; check the highlighted ones' },
  UNAUTHENTICATED: { zh: '登录已失效，请重新登录', en: 'Your session has expired; please sign in again' },
  FORBIDDEN: { zh: '没有权限执行此操作', en: 'You are not allowed to do this' },
  PASSWORD_CHANGE_REQUIRED: { zh: '请先修改密码', en: 'Change your password first' },
  NOT_FOUND: { zh: '要找的内容不存在', en: 'Not found' },
  CONFLICT: { zh: '状态已变化，请刷新后重试', en: 'The state has changed; refresh and try again' },
  RATE_LIMITED: { zh: '操作太频繁，请稍后再试', en: 'Too many attempts; try again later' },
  INTERNAL: { zh: '服务器出错了，请稍后再试', en: 'Server error; try again later' },
  NOT_READY: { zh: '服务正在启动，请稍后再试', en: 'The server is starting; try again in a moment' },
  DATABASE_UNAVAILABLE: { zh: '数据库暂时无法连接，请稍后重试', en: 'The database is briefly unreachable; try again' },
  DATABASE_FULL: { zh: '数据库容量已满，本次操作未保存，请联系技术人员', en: 'The database is full; nothing was saved. Contact your technical team' },
  NETWORK: { zh: '无法连接服务器，请检查网络', en: 'Cannot reach the server; check the network' },
  INSUFFICIENT_POINTS: { zh: '积分不足，调整后余额不能小于 0', en: 'Not enough points: the balance cannot go below 0' },
  CAMPAIGN_ALREADY_LAUNCHED: { zh: '活动已经发起过了', en: 'This campaign has already been launched' },
  IDEMPOTENCY_KEY_REUSED: { zh: '重复提交的内容不一致', en: 'A repeated request carried different content' },
  IDEMPOTENCY_IN_PROGRESS: { zh: '相同的请求正在处理中', en: 'The same request is still being processed' },
  CODE_NOT_FOUND: { zh: '兑换码不存在', en: 'Code not found' },
  CODE_ALREADY_USED: { zh: '兑换码已被使用', en: 'Code already used' },
  CODE_VOIDED: { zh: '兑换码已作废', en: 'Code voided' },
  TEMPLATE_EXHAUSTED: { zh: '券已发完', en: 'Sold out' },
  WRONG_STORE: { zh: '不属于该门店', en: 'Belongs to another store' },
  CHECKIN_NOT_OPEN: { zh: '签到尚未开始', en: 'Check-in has not opened yet' },
  CHECKIN_CLOSED: { zh: '签到已结束', en: 'Check-in has closed' },
  CATEGORY_UNKNOWN: { zh: '商品品类不存在或已停用', en: 'No such active product category' },
  WEBHOOK_URL_REFUSED: { zh: '不能推送到这个地址：生产环境只允许 https，且不能是内网、本机或链路本地地址', en: 'This URL is not allowed: https only in production, and no private, loopback or link-local addresses' },
  COLOUR_CONTRAST_TOO_LOW: { zh: '这个颜色上的白字看不清（对比度不足），请换深一些的颜色', en: 'White text would be unreadable on this colour (contrast too low); pick a darker one' },
  INSUFFICIENT_BALANCE: { zh: '储值余额不足', en: 'Not enough stored value' },
  STORED_VALUE_CAP_EXCEEDED: { zh: '超过储值上限（余额上限或当日充值上限）', en: 'Beyond the stored-value cap (balance or daily top-up)' },
  TOPUP_RULE_UNAVAILABLE: { zh: '该充值方案当前不可用', en: 'This top-up offer is not available' },
  STORED_VALUE_HELD: { zh: '该会员仍有储值余额，需先退还余额', en: 'The member still holds stored value; refund it first' },
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly serverMessage: string,
    readonly details: Record<string, unknown> | undefined,
    readonly requestId: string | undefined,
  ) {
    super(`${code}: ${serverMessage}`);
    this.name = 'ApiError';
  }

  /** Field path ("segment.tiers") → message, for VALIDATION_FAILED answers; empty otherwise. */
  get fieldErrors(): Record<string, string> {
    return fieldErrorsFromDetails(this.details);
  }

  readableMessage(lang: Lang = 'zh'): string {
    return readableErrorMessage(this, lang);
  }
}

export function readableErrorMessage(error: unknown, lang: Lang = 'zh'): string {
  if (error instanceof ApiError) {
    const known = messagesByCode[error.code];
    if (known) return known[lang];
    return error.serverMessage || (lang === 'zh' ? `请求失败（${error.status}）` : `Request failed (${error.status})`);
  }
  if (error instanceof Error && error.message) return error.message;
  return lang === 'zh' ? '出错了' : 'Something went wrong';
}

/**
 * A refused sign-in: the server answers a wrong username or password with 401 UNAUTHENTICATED, which
 * elsewhere means an ended session; at the sign-in form it means the credentials.
 */
export function readableSignInError(error: unknown, lang: Lang = 'zh'): string {
  if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return lang === 'zh' ? '用户名或密码错误' : 'Wrong username or password';
  return readableErrorMessage(error, lang);
}

/**
 * The server lists VALIDATION_FAILED details as `{fields: [{field: "body.segment.tiers.0", message}]}`;
 * the part of the request (`body.`, `query.`, `params.`) is dropped so the path names the form's field.
 */
export function fieldErrorsFromDetails(details: Record<string, unknown> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  const fields = details?.fields;
  if (!Array.isArray(fields)) return result;
  for (const entry of fields) {
    if (!entry || typeof entry !== 'object') continue;
    const { field, message } = entry as { field?: unknown; message?: unknown };
    if (typeof field !== 'string' || typeof message !== 'string') continue;
    const key = field.replace(/^(body|query|params)(\.|$)/, '');
    if (!(key in result)) result[key] = message;
  }
  return result;
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (!value || typeof value !== 'object') return false;
  const error = (value as { error?: unknown }).error;
  return !!error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string';
}
