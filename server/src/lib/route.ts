import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { HqRole } from '@membercard/shared';
import { z } from 'zod';
import { AppError, errors } from './errors';
import type { Actor, AppContext } from './requestContext';

// Every API route is declared once as a RouteSpec: its schemas validate the request, shape the answer and
// feed the OpenAPI document, and its `auth` level is enforced here, so no handler re-checks who may call.

export type AuthLevel =
  | 'public'
  | 'shopper' // signed in through WeChat, joined or not
  | 'member' // a shopper who has joined; others get 403 NOT_A_MEMBER
  | 'staff' // clerk or manager, confined to their store
  | 'manager'
  | 'admin' // HQ (and `hq` names the least HQ role)
  | 'adminOrManager' // HQ (at least `hq`), or a manager confined to their store
  | 'account' // any staff or HQ account, about itself (its own password)
  | 'pos'; // a store's till, by its signed request (modules/pos/credentials.ts), acting for that store only

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type IdempotencySource = { header: true } | { bodyField: string };

export interface HandlerInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  actor: Actor;
  ctx: AppContext;
}

/** RouteSpec.admit's answer. */
export type Admission = { refusal: AppError } | { release: () => void };

export interface Reply<R> {
  status: number;
  body: R;
}

export interface RouteSpec<B = any, Q = any, P = any, R = any> {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  auth: AuthLevel;
  /**
   * On `admin` and `adminOrManager` routes, the least HQ role that may call (viewer < marketing < admin).
   * Unset: `viewer` for a GET, `admin` for anything else, so a new write is HQ-admin-only until marked.
   */
  hq?: HqRole;
  /** Callable by a token that must change its password first (the change itself, reading one's own account). */
  beforePasswordChange?: true;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  response?: z.ZodType<R>;
  /** Status of a successful answer (default 200). */
  status?: number;
  /** Requests that change points, coupons or money name where their idempotency key comes from. */
  idempotency?: IdempotencySource;
  /**
   * A gate before the handler (a flash drop's: CouponIssuer.admit), asked after the caller's authorization: it
   * answers a refusal this instance already knows the handler would give (a template seen sold out within the last
   * second), or lets the request in, to `release` when it is over. A known refusal is answered without running the
   * handler and, on an idempotent route, without claiming the key (nothing is taken, so a retry may be refused
   * again), unless the key was used before: then that request's answer is replayed as usual. On a `member` route
   * the member is read only once the gate lets the request in: a drop's refusals (sold out for everyone) cost the
   * session check and the key's look-up, and the gate is asked without `ctx.state.member`.
   */
  admit?: (input: HandlerInput<B, Q, P>) => Promise<Admission | null>;
  /** Answers that are not JSON (CSV downloads, WeChat Pay notifications) set the body themselves. */
  raw?: boolean;
  handler: (input: HandlerInput<B, Q, P>) => Promise<R | Reply<R>>;
}

/** The least HQ role a route needs (see RouteSpec.hq). */
export function hqRoleNeeded(spec: Pick<RouteSpec, 'method' | 'hq'>): HqRole {
  return spec.hq ?? (spec.method === 'get' ? 'viewer' : 'admin');
}

/** Identity helper so route files get full type inference from their schemas. */
export function route<B = undefined, Q = undefined, P = undefined, R = unknown>(
  spec: RouteSpec<B, Q, P, R>,
): RouteSpec<B, Q, P, R> {
  return spec;
}

export function isReply<R>(value: unknown): value is Reply<R> {
  return (
    typeof value === 'object' &&
    value !== null &&
    'status' in value &&
    'body' in value &&
    Object.keys(value).length === 2
  );
}

/** zod issues → the contract's VALIDATION_FAILED details: one entry per offending field. */
export function validationError(where: 'body' | 'query' | 'params', error: z.ZodError): AppError {
  const fields = error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  return errors.validation(`Invalid ${where}: ${fields.map((f) => f.field).join(', ')}`, { fields });
}

function parsePart<T>(where: 'body' | 'query' | 'params', schema: z.ZodType<T> | undefined, value: unknown): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

export interface RouteRuntime {
  /** The caller's session and role; on a `member` route with a gate (admit) not yet the member (see checkMember). */
  authorize(ctx: AppContext, spec: RouteSpec): Promise<void>;
  /** A `member` route's member read (ctx.state.member), or 403 NOT_A_MEMBER. */
  checkMember(ctx: AppContext): Promise<void>;
  /** `knownRefusal`: thrown instead of running when the key has no record (see RouteSpec.admit). */
  runIdempotent(
    ctx: AppContext,
    spec: RouteSpec,
    key: string,
    run: () => Promise<Reply<unknown>>,
    knownRefusal?: AppError | null,
  ): Promise<Reply<unknown>>;
}

function idempotencyKeyOf(ctx: AppContext, source: IdempotencySource, body: unknown): string {
  const raw =
    'header' in source
      ? ctx.get('Idempotency-Key')
      : String((body as Record<string, unknown> | undefined)?.[source.bodyField] ?? '');
  if (!raw) {
    throw errors.validation(
      'header' in source ? 'The Idempotency-Key header is required.' : `${source.bodyField} is required.`,
      { fields: [{ field: 'header' in source ? 'header.idempotency-key' : `body.${source.bodyField}`, message: 'Required' }] },
    );
  }
  if (raw.length > 128 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw errors.validation('The idempotency key must be 1–128 printable ASCII characters.', {
      fields: [{ field: 'header.idempotency-key', message: 'Invalid' }],
    });
  }
  return raw;
}

/**
 * The routes' middleware, under `prefix`: they are grouped by the first segment of their path ('me', 'staff',
 * 'admin'…), each group a router of its own behind one dispatch on that segment, so a request is matched against
 * its group's routes only, not against all two hundred in turn (which was a measurable part of GET /me's CPU).
 */
export function mountRoutes(prefix: string, specs: RouteSpec[], runtime: RouteRuntime): Middleware {
  const groups = new Map<string, Router>();
  for (const spec of specs) {
    const segment = spec.path.split('/')[1] ?? '';
    if (!segment || segment.startsWith(':')) throw new Error(`Route ${spec.path}: the first path segment must be literal`);
    let group = groups.get(segment);
    if (!group) groups.set(segment, (group = new Router({ prefix })));
    mountRoute(group, spec, runtime);
  }
  const dispatch = new Map([...groups].map(([segment, group]) => [segment, group.routes()]));
  return (ctx, next) => {
    if (!ctx.path.startsWith(`${prefix}/`)) return next();
    const rest = ctx.path.slice(prefix.length + 1);
    const slash = rest.indexOf('/');
    const handle = dispatch.get(slash === -1 ? rest : rest.slice(0, slash));
    return handle ? handle(ctx as Parameters<typeof handle>[0], next) : next();
  };
}

function mountRoute(router: Router, spec: RouteSpec, runtime: RouteRuntime): void {
  router[spec.method](spec.path, async (ctx: any) => {
    const appCtx = ctx as AppContext;
    await runtime.authorize(appCtx, spec);
    const params = parsePart('params', spec.params, ctx.params);
    const query = parsePart('query', spec.query, ctx.query);
    const body = parsePart('body', spec.body, spec.body ? ctx.request.body ?? {} : undefined);

    const execute = async (): Promise<Reply<unknown>> => {
      const out = await spec.handler({ body, query, params, actor: appCtx.state.actor, ctx: appCtx });
      const reply = isReply(out) ? out : { status: spec.status ?? 200, body: out };
      if (spec.raw) return reply;
      // Parsing the answer strips any field the schema does not publish (openids, hashes, internals).
      const shaped = spec.response && reply.status < 300 ? spec.response.parse(reply.body) : reply.body;
      return { status: reply.status, body: shaped };
    };

    const key = spec.idempotency ? idempotencyKeyOf(appCtx, spec.idempotency, body) : null;
    const admission = spec.admit ? await spec.admit({ body, query, params, actor: appCtx.state.actor, ctx: appCtx }) : null;
    const known = admission && 'refusal' in admission ? admission.refusal : null;
    let reply: Reply<unknown>;
    try {
      if (!known && spec.admit && spec.auth === 'member') await runtime.checkMember(appCtx);
      if (key !== null) reply = await runtime.runIdempotent(appCtx, spec, key, execute, known);
      else if (known) throw known;
      else reply = await execute();
    } finally {
      if (admission && 'release' in admission) admission.release();
    }
    if (spec.raw && reply.body === undefined) return; // the handler wrote ctx.body itself
    ctx.status = reply.status;
    // A replayed refusal carries this request's id, like any other error answer.
    ctx.body =
      reply.status === 204
        ? null
        : reply.status >= 400
          ? { ...(reply.body as object), requestId: appCtx.state.requestId }
          : reply.body;
  });
}
