/** A WeChat mini-program API answered HTTP 200 with a non-zero errcode. */
export class WeChatApiError extends Error {
  readonly errcode: number;
  readonly errmsg: string;
  constructor(errcode: number, errmsg: string, readonly api: string) {
    super(`WeChat ${api} failed: errcode ${errcode} (${errmsg})`);
    this.name = 'WeChatApiError';
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
}

/** The WeChat API could not be reached, or answered something that is not its documented shape. */
export class WeChatTransportError extends Error {
  constructor(message: string, readonly api: string, readonly httpStatus?: number) {
    super(message);
    this.name = 'WeChatTransportError';
  }
}

/** WeChat Pay v3 answered a 4xx/5xx with its `{code, message}` body. */
export class WeChatPayApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    readonly detail: string,
    readonly api: string,
  ) {
    super(`WeChat Pay ${api} failed: HTTP ${httpStatus} ${code} (${detail})`);
    this.name = 'WeChatPayApiError';
  }
}

export type WeChatPaySignatureFailure =
  | 'missing_headers'
  | 'unknown_serial'
  | 'signtest_probe'
  | 'bad_signature'
  /** Wechatpay-Timestamp not a number, or too far from now (a replay). */
  | 'bad_timestamp'
  | 'decrypt_failed'
  | 'malformed_body';

/**
 * A notification or an API answer that did not come from WeChat Pay (or could not be read): the caller
 * must refuse it — for notifications, with a 4xx and `{code: "FAIL", message}`.
 */
export class WeChatPaySignatureError extends Error {
  constructor(readonly reason: WeChatPaySignatureFailure, message: string) {
    super(message);
    this.name = 'WeChatPaySignatureError';
  }
}
