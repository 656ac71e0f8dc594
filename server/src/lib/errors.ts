import { ErrorCode, errorHttpStatus } from '@membercard/shared';

// One error class for every refusal the API makes on purpose. The code is the stable UPPER_SNAKE name
// clients switch on, and the shared table decides its HTTP status, so a code always travels with the
// same status. Anything thrown that is not an AppError is a programmer error: the error middleware
// answers 500 INTERNAL and logs it, never exposing its message.

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = errorHttpStatus[code];
  }
}

export const errors = {
  validation: (message: string, details?: Record<string, unknown>) =>
    new AppError(ErrorCode.VALIDATION_FAILED, message, details),
  unauthenticated: (message = 'Sign in first.') => new AppError(ErrorCode.UNAUTHENTICATED, message),
  forbidden: (message = 'Not allowed.') => new AppError(ErrorCode.FORBIDDEN, message),
  notFound: (message = 'Not found.') => new AppError(ErrorCode.NOT_FOUND, message),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError(ErrorCode.RATE_LIMITED, 'Too many attempts; try again later.', { retryAfterSeconds }),
};

/** MongoDB's duplicate-key error, as the driver and mongoose report it. */
export function isDuplicateKeyError(err: unknown): err is { code: 11000; keyPattern?: Record<string, unknown> } {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
