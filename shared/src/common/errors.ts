import { z } from 'zod';

/** Every stable error code a client may branch on. The HTTP status each one travels with is in `errorHttpStatus`. */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  PASSWORD_CHANGE_REQUIRED: 'PASSWORD_CHANGE_REQUIRED',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL: 'INTERNAL',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_IN_PROGRESS: 'IDEMPOTENCY_IN_PROGRESS',
  /** The store's order number is already a purchase of another member. */
  ORDER_NO_OTHER_MEMBER: 'ORDER_NO_OTHER_MEMBER',
  NOT_A_MEMBER: 'NOT_A_MEMBER',
  ALREADY_MEMBER: 'ALREADY_MEMBER',
  CODE_INVALID: 'CODE_INVALID',
  CODE_NOT_FOUND: 'CODE_NOT_FOUND',
  CODE_ALREADY_USED: 'CODE_ALREADY_USED',
  /** The redemption code's batch was voided by HQ. */
  CODE_VOIDED: 'CODE_VOIDED',
  INSUFFICIENT_POINTS: 'INSUFFICIENT_POINTS',
  COUPON_ALREADY_USED: 'COUPON_ALREADY_USED',
  COUPON_EXPIRED: 'COUPON_EXPIRED',
  COUPON_NOT_APPLICABLE: 'COUPON_NOT_APPLICABLE',
  MIN_SPEND_NOT_MET: 'MIN_SPEND_NOT_MET',
  WRONG_STORE: 'WRONG_STORE',
  REVERSAL_WINDOW_CLOSED: 'REVERSAL_WINDOW_CLOSED',
  ALREADY_SIGNED_UP: 'ALREADY_SIGNED_UP',
  TIER_NOT_ELIGIBLE: 'TIER_NOT_ELIGIBLE',
  ALREADY_CHECKED_IN: 'ALREADY_CHECKED_IN',
  CHECKIN_NOT_OPEN: 'CHECKIN_NOT_OPEN',
  CHECKIN_CLOSED: 'CHECKIN_CLOSED',
  CAMPAIGN_ALREADY_LAUNCHED: 'CAMPAIGN_ALREADY_LAUNCHED',
  BIRTHDAY_ALREADY_SET: 'BIRTHDAY_ALREADY_SET',
  SIGNUP_CLOSED: 'SIGNUP_CLOSED',
  PAYMENT_UNAVAILABLE: 'PAYMENT_UNAVAILABLE',
  TEMPLATE_EXHAUSTED: 'TEMPLATE_EXHAUSTED',
  TEMPLATE_ARCHIVED: 'TEMPLATE_ARCHIVED',
  COUPON_LIMIT_REACHED: 'COUPON_LIMIT_REACHED',
  /** The server is still starting (or stopping): try again after Retry-After seconds. */
  NOT_READY: 'NOT_READY',
  /** The database could not be reached for this request (a dropped connection, a failover); nothing half-done is kept, send it again. */
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  /** The database refused a write for lack of memory (the embedded server past its heap ceiling): nothing was written; it needs an operator. */
  DATABASE_FULL: 'DATABASE_FULL',
  /** POS requests (/pos/…): no or incomplete signature headers. */
  POS_UNSIGNED: 'POS_UNSIGNED',
  /** POS requests: the key id is unknown, revoked or past its rotation grace. */
  POS_KEY_INVALID: 'POS_KEY_INVALID',
  /** POS requests: the timestamp is more than 5 minutes from the server's clock. */
  POS_TIMESTAMP_STALE: 'POS_TIMESTAMP_STALE',
  /** POS requests: the nonce was already used with this key. */
  POS_NONCE_REPLAYED: 'POS_NONCE_REPLAYED',
  /** POS requests: the signature does not match the request. */
  POS_SIGNATURE_INVALID: 'POS_SIGNATURE_INVALID',
  /** An order line whose amount is not qty × unit price, or lines not adding up to the total (details name it). */
  LINE_TOTAL_MISMATCH: 'LINE_TOTAL_MISMATCH',
  /** A return of more than the order has left to return. */
  RETURN_EXCEEDS_ORDER: 'RETURN_EXCEEDS_ORDER',
  /** A purchase line names a category that is not an active product category (details name the line). */
  CATEGORY_UNKNOWN: 'CATEGORY_UNKNOWN',
  /** A webhook URL the server will not send to: not https in production, or a private, loopback or link-local address. */
  WEBHOOK_URL_REFUSED: 'WEBHOOK_URL_REFUSED',
  /** A stored-value charge above HQ's amount with a PIN, but the member has set none (they confirm on the phone instead). */
  PIN_NOT_SET: 'PIN_NOT_SET',
  /** The payment PIN typed is wrong (details: attemptsLeft before it locks). */
  PIN_INVALID: 'PIN_INVALID',
  /** Too many wrong payment PINs: locked until details.lockedUntil. */
  PIN_LOCKED: 'PIN_LOCKED',
  /** The member declined the stored-value charge on the phone. */
  CHARGE_DECLINED: 'CHARGE_DECLINED',
  /** The member's confirmation of a charge lapsed before they decided. */
  CONFIRMATION_EXPIRED: 'CONFIRMATION_EXPIRED',
  /** A refund of more than is left of the stored-value charge (a line refunded before, nothing left). */
  REFUND_EXCEEDS_CHARGE: 'REFUND_EXCEEDS_CHARGE',
  /** The payments of an order (stored value + cash + WeChat Pay) or its lines do not add up to its total (details name the field). */
  PAYMENT_TOTAL_MISMATCH: 'PAYMENT_TOTAL_MISMATCH',
  /** A brand colour on which the white text printed over it would be unreadable (details give the ratio and the one needed). */
  COLOUR_CONTRAST_TOO_LOW: 'COLOUR_CONTRAST_TOO_LOW',
  /** Stored value: the balance (principal or bonus as the charge policy draws them) does not cover the change. */
  INSUFFICIENT_BALANCE: 'INSUFFICIENT_BALANCE',
  /** Stored value: a top-up beyond the member's balance cap or the day's top-up cap (details say which and what is left). */
  STORED_VALUE_CAP_EXCEEDED: 'STORED_VALUE_CAP_EXCEEDED',
  /** Stored value: the top-up rule is not open to this member, store, time or amount (details say why). */
  TOPUP_RULE_UNAVAILABLE: 'TOPUP_RULE_UNAVAILABLE',
  /** Erasure refused: the member still holds stored value (the message says how to get the money back). */
  STORED_VALUE_HELD: 'STORED_VALUE_HELD',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The status each code is answered with (api-contract.md: 409 for state conflicts, 422 for business-rule refusals). */
export const errorHttpStatus: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  CODE_INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PASSWORD_CHANGE_REQUIRED: 403,
  NOT_A_MEMBER: 403,
  NOT_FOUND: 404,
  CODE_NOT_FOUND: 404,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  ORDER_NO_OTHER_MEMBER: 409,
  ALREADY_MEMBER: 409,
  CODE_ALREADY_USED: 409,
  COUPON_ALREADY_USED: 409,
  ALREADY_SIGNED_UP: 409,
  ALREADY_CHECKED_IN: 409,
  CAMPAIGN_ALREADY_LAUNCHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INSUFFICIENT_POINTS: 422,
  CODE_VOIDED: 422,
  COUPON_EXPIRED: 422,
  COUPON_NOT_APPLICABLE: 422,
  MIN_SPEND_NOT_MET: 422,
  WRONG_STORE: 422,
  REVERSAL_WINDOW_CLOSED: 422,
  TIER_NOT_ELIGIBLE: 422,
  BIRTHDAY_ALREADY_SET: 422,
  SIGNUP_CLOSED: 422,
  CHECKIN_NOT_OPEN: 422,
  CHECKIN_CLOSED: 422,
  TEMPLATE_EXHAUSTED: 422,
  TEMPLATE_ARCHIVED: 422,
  COUPON_LIMIT_REACHED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  PAYMENT_UNAVAILABLE: 503,
  NOT_READY: 503,
  DATABASE_UNAVAILABLE: 503,
  DATABASE_FULL: 503,
  POS_UNSIGNED: 401,
  POS_KEY_INVALID: 401,
  POS_TIMESTAMP_STALE: 401,
  POS_NONCE_REPLAYED: 401,
  POS_SIGNATURE_INVALID: 401,
  LINE_TOTAL_MISMATCH: 400,
  RETURN_EXCEEDS_ORDER: 422,
  CATEGORY_UNKNOWN: 400,
  WEBHOOK_URL_REFUSED: 400,
  PIN_NOT_SET: 422,
  PIN_INVALID: 422,
  PIN_LOCKED: 422,
  CHARGE_DECLINED: 422,
  CONFIRMATION_EXPIRED: 422,
  REFUND_EXCEEDS_CHARGE: 422,
  PAYMENT_TOTAL_MISMATCH: 400,
  COLOUR_CONTRAST_TOO_LOW: 422,
  INSUFFICIENT_BALANCE: 422,
  STORED_VALUE_CAP_EXCEEDED: 422,
  TOPUP_RULE_UNAVAILABLE: 422,
  STORED_VALUE_HELD: 422,
};

export const ErrorCodeSchema = z.enum(ErrorCode).meta({ id: 'ErrorCode', description: 'Stable machine-readable error code.' });

export const ErrorAnswerSchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string().describe('Human-readable text; never a stack trace.'),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    requestId: z.string(),
  })
  .meta({ id: 'ErrorAnswer', description: 'The body of every error answer.' });
export type ErrorAnswer = z.infer<typeof ErrorAnswerSchema>;
