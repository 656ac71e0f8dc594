import { randomUUID } from 'node:crypto';
import bodyParser from '@koa/bodyparser';
import { ErrorCode, findForbiddenKey } from '@membercard/shared';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { AppError, errors } from './errors';
import type { AppContext } from './requestContext';

// The request pipeline's cross-cutting steps, in the order app.ts installs them.

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Gives every request an id (the caller's X-Request-Id when sane), a child logger carrying it, and one access-log line. */
export function requestContext(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const state = ctx.state as AppContext['state'];
    state.requestId = requestId;
    state.log = logger.child({ requestId });
    state.actor = { type: 'anonymous' };
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}

/** The single place errors become answers: the contract's body, a fitting status, never a stack trace. */
export function errorHandler(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const state = ctx.state as AppContext['state'];
      const appError = toAppError(err);
      if (appError) {
        ctx.status = appError.status;
        ctx.body = {
          error: { code: appError.code, message: appError.message, ...(appError.details ? { details: appError.details } : {}) },
          requestId: state.requestId,
        };
        // Any refusal that says when to come back (rate limits, an unreachable database) says it in the header too.
        const retryAfterSeconds = appError.details?.retryAfterSeconds;
        if (typeof retryAfterSeconds === 'number') ctx.set('Retry-After', String(retryAfterSeconds));
        state.log.info({ code: appError.code }, appError.message);
        return;
      }
      state.log.error({ err }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { error: { code: ErrorCode.INTERNAL, message: 'Something went wrong on our side.' }, requestId: state.requestId };
    }
  };
}

/** Errors raised by the HTTP layer itself (body parser, Koa) that are the caller's fault. */
function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (isDatabaseConnectionError(err)) {
    // A dropped connection or a failover the driver could not retry: the write was not acknowledged, and every
    // write that matters is idempotent, so the caller's retry is the way forward (503, not a 500 error page).
    return new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'The database could not be reached; send the request again.', { retryAfterSeconds: 1 });
  }
  if ((err as { code?: unknown } | null)?.code === EXCEEDED_MEMORY_LIMIT) {
    // The embedded database past its heap ceiling refuses writes that add data: nothing was written, and a
    // retry will not help until an operator frees memory or moves to a replica set (its log says so).
    return new AppError(ErrorCode.DATABASE_FULL, 'The database refused the write: it is out of memory for more data.');
  }
  const e = err as { status?: number; type?: string; expose?: boolean; message?: string };
  if (typeof e?.status !== 'number' || e.status >= 500) return null;
  if (e.status === 413 || e.type === 'entity.too.large') {
    return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than 1 MB.');
  }
  if (e.status === 415) return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send JSON (Content-Type: application/json).');
  if (e.status === 400) return errors.validation('The request body is not valid JSON.', { fields: [{ field: 'body', message: 'Malformed JSON' }] });
  if (e.status === 404) return errors.notFound();
  return errors.validation(e.expose && e.message ? e.message : 'Bad request.');
}

/** MongoDB's ExceededMemoryLimit. */
const EXCEEDED_MEMORY_LIMIT = 146;

/** The driver's errors for a connection that failed or a server it could not select (its network error classes). */
function isDatabaseConnectionError(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'MongoNetworkError' || name === 'MongoNetworkTimeoutError' || name === 'MongoServerSelectionError' || name === 'MongoPoolClearedError';
}

const BODY_LIMIT = '1mb';

/**
 * JSON bodies only, at most 1 MB, and no key starting with `$` or containing `.` anywhere in a body or
 * query: MongoDB would read such keys as operators or paths, so they are refused before any handler.
 */
export function jsonBody(): Koa.Middleware {
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: BODY_LIMIT, encoding: 'utf-8', enableRawChecking: false } as any);
  return async (ctx, next) => {
    const hasBody = Number(ctx.get('Content-Length') || 0) > 0 || Boolean(ctx.get('Transfer-Encoding'));
    if (hasBody && !ctx.is('application/json')) {
      throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send JSON (Content-Type: application/json).');
    }
    await parse(ctx as any, async () => undefined);
    const queryKey = findForbiddenKey(ctx.query);
    const bodyKey = findForbiddenKey(ctx.request.body);
    const offending = queryKey ? `query.${queryKey}` : bodyKey ? `body.${bodyKey}` : null;
    if (offending) {
      throw errors.validation('Keys may not start with "$" or contain ".".', {
        fields: [{ field: offending, message: 'Forbidden key' }],
      });
    }
    await next();
  };
}
