import Router from '@koa/router';
import Koa from 'koa';
import type mongoose from 'mongoose';
import type { Logger } from 'pino';
import type { Config } from './config';
import { AppError, errors } from './lib/errors';
import { IdempotencyStore, idempotencyModel, requestHash } from './lib/idempotency';
import { errorHandler, jsonBody, requestContext } from './lib/middleware';
import { buildOpenApiDocument } from './lib/openapi';
import { NOT_READY_RETRY_AFTER_SECONDS, notReadyError, Readiness, readinessGate } from './lib/readiness';
import type { AppContext } from './lib/requestContext';
import { securityHeaders } from './lib/securityHeaders';
import { hqRoleNeeded, mountRoutes, type RouteRuntime, type RouteSpec } from './lib/route';
import { staticSite } from './lib/staticSite';
import { compression } from './lib/compression';
import { ErrorCode, hqRoleAtLeast } from '@membercard/shared';
import type { Services } from './services';
import { allRoutes } from './routes';

export interface AppDeps {
  config: Config;
  logger: Logger;
  connection: mongoose.Connection;
  services: Services;
  /** Routers mounted before the API, e.g. the WeChat emulator in demo mode. */
  extraRouters?: Router[];
  /** Built single-page apps to serve: prefix → directory. */
  sites?: Array<{ prefix: string; root: string; title: string }>;
  /** Start-up's progress: until it is done the app answers 503 NOT_READY (default: ready at once). */
  readiness?: Readiness;
  /** Path prefixes served while still starting (the demo's WeChat emulator, which start-up may call). */
  openDuringStart?: string[];
}

const API_PREFIX = '/api/v1';

export function createApp(deps: AppDeps): { app: Koa; routes: RouteSpec[] } {
  const { services, connection } = deps;
  // X-Forwarded-For is read only through the proxies we run (TRUST_PROXY_HOPS): with none, anyone could
  // name any address and walk around every per-address limit.
  const hops = deps.config.trustProxyHops ?? 0;
  const app = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  const routes = allRoutes(services);
  const idempotency = new IdempotencyStore(idempotencyModel(connection), { now: services.clock.now });

  const runtime: RouteRuntime = {
    authorize: (ctx, spec) => authorize(ctx, spec, services),
    checkMember: (ctx) => checkMember(ctx, services),
    runIdempotent: (ctx, spec, key, run, knownRefusal) => {
      const actor = ctx.state.actor;
      // Keys are scoped to who sends them and the route, so two callers can never collide on a key.
      const owner =
        actor.type === 'shopper' ? `m:${actor.memberId}` : actor.type === 'staff' ? `s:${actor.storeId}` : actor.type === 'admin' ? 'hq' : 'anon';
      const scoped = `${spec.method}:${spec.path}:${owner}:${key}`;
      const hash = requestHash(ctx.method, ctx.path, ctx.request.body);
      return knownRefusal ? idempotency.runUnlessRefused(scoped, hash, knownRefusal, run) : idempotency.run(scoped, hash, run);
    },
  };

  const api = new Router({ prefix: API_PREFIX });
  const apiRoutes = mountRoutes(API_PREFIX, routes, runtime);
  const openapi = buildOpenApiDocument(routes, { title: 'membercard API', version: '1.0.0' });
  api.get('/openapi.json', (ctx) => {
    ctx.body = openapi;
  });

  const root = healthRoutes(connection, deps.readiness ?? new Readiness([]));
  root.get('/', (ctx) => ctx.redirect(deps.config.demo ? '/admin/' : '/healthz'));

  app.use(requestContext(deps.logger));
  app.use(securityHeaders({ https: isHttps(deps.config) }));
  app.use(compression());
  app.use(errorHandler());
  app.use(root.routes());
  if (deps.readiness) app.use(readinessGate(deps.readiness, deps.openDuringStart));
  for (const site of deps.sites ?? []) app.use(staticSite(site.prefix, site.root, site.title));
  app.use(jsonBody());
  for (const router of deps.extraRouters ?? []) app.use(router.routes()).use(router.allowedMethods());
  app.use(apiRoutes);
  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true, methodNotAllowed: () => errors.notFound('No such route.'), notImplemented: () => errors.notFound('No such route.') }));
  app.use(() => {
    throw errors.notFound('No such route.');
  });
  return { app, routes };
}

/**
 * What the HTTP server answers between binding its port and the app existing (start-up needs the port
 * before it can build the services): /healthz and /readyz as the app answers them, 503 NOT_READY for
 * everything else, so no request waits on a server that has no handler yet.
 */
export function createStartingApp(deps: Pick<AppDeps, 'config' | 'logger' | 'connection'> & { readiness: Readiness }): Koa {
  const app = new Koa();
  const health = healthRoutes(deps.connection, deps.readiness);
  app.use(requestContext(deps.logger));
  app.use(securityHeaders({ https: isHttps(deps.config) }));
  app.use(errorHandler());
  app.use(health.routes());
  app.use((ctx) => {
    ctx.set('Retry-After', String(NOT_READY_RETRY_AFTER_SECONDS));
    throw notReadyError(deps.readiness);
  });
  return app;
}

/**
 * /healthz is liveness (the process answers and the database pings; the contract's `{status, db}`), for
 * restarting a stuck instance; /readyz is readiness (start-up done and the database pings), for the load
 * balancer: 503 with the steps still pending while starting, and while shutting down.
 */
function healthRoutes(connection: mongoose.Connection, readiness: Readiness): Router {
  const router = new Router();
  router.get('/healthz', async (ctx) => {
    const db = await pingDatabase(connection);
    ctx.status = db ? 200 : 503;
    ctx.body = { status: db ? 'ok' : 'degraded', db: db ? 'ok' : 'down' };
  });
  router.get('/readyz', async (ctx) => {
    const db = await pingDatabase(connection);
    const state = readiness.state;
    const ready = db && state === 'ready';
    ctx.status = ready ? 200 : 503;
    if (!ready) ctx.set('Retry-After', String(NOT_READY_RETRY_AFTER_SECONDS));
    ctx.body = { status: state === 'ready' && !db ? 'degraded' : state, db: db ? 'ok' : 'down', pending: readiness.pendingSteps };
  });
  return router;
}

/** Served over https (PUBLIC_BASE_URL says so): only then are browsers told to insist on it (HSTS). */
function isHttps(config: Config): boolean {
  return config.publicBaseUrl?.startsWith('https:') ?? false;
}

async function pingDatabase(connection: mongoose.Connection): Promise<boolean> {
  try {
    const db = connection.db;
    if (!db) return false;
    await db.command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Who may call a route. The token's session is checked on every request (lib/tokens.ts): disabling an
 * account, changing its password or its role or store ends or retires its tokens, so no separate read of
 * the account is needed here. HQ routes also need the route's least HQ role (RouteSpec.hq).
 */
async function authorize(ctx: AppContext, spec: RouteSpec, services: Services): Promise<void> {
  const level = spec.auth;
  if (level === 'public') return;
  if (level === 'pos') {
    // A till signs each request with its store's key instead of carrying a token.
    ctx.state.actor = await services.posCredentials.authenticate(ctx);
    return;
  }
  const header = ctx.get('Authorization');
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
  if (!match) throw errors.unauthenticated();
  const actor = await services.tokens.authenticate(match[1]!);
  ctx.state.actor = actor;
  const forbidden = () => errors.forbidden('This account may not use this route.');
  const hqAllowed = () => {
    if (actor.type === 'admin' && !hqRoleAtLeast(actor.hqRole, hqRoleNeeded(spec))) {
      throw errors.forbidden(`This needs the HQ role ${hqRoleNeeded(spec)}.`);
    }
  };
  switch (level) {
    case 'shopper':
      if (actor.type !== 'shopper') throw forbidden();
      return;
    case 'member':
      if (actor.type !== 'shopper') throw forbidden();
      // A gated route reads the member once its gate lets the request in (mountRoute).
      if (!spec.admit) await checkMember(ctx, services);
      return;
    case 'staff':
      if (actor.type !== 'staff') throw forbidden();
      break;
    case 'manager':
      if (actor.type !== 'staff' || actor.role !== 'manager') throw errors.forbidden('Only a store manager may do this.');
      break;
    case 'admin':
      if (actor.type !== 'admin') throw forbidden();
      hqAllowed();
      break;
    case 'adminOrManager':
      if (!(actor.type === 'admin' || (actor.type === 'staff' && actor.role === 'manager'))) throw forbidden();
      hqAllowed();
      break;
    case 'account':
      if (actor.type !== 'staff' && actor.type !== 'admin') throw forbidden();
      break;
  }
  if (actor.mustChangePassword && !spec.beforePasswordChange) {
    throw new AppError(ErrorCode.PASSWORD_CHANGE_REQUIRED, 'Choose a new password first (POST /auth/password).');
  }
}

/** A `member` route's member: active, or 403 NOT_A_MEMBER (after authorize; on a gated route, after its gate). */
async function checkMember(ctx: AppContext, services: Services): Promise<void> {
  const actor = ctx.state.actor;
  const member = actor.type === 'shopper' ? await services.members.activeMember(actor.memberId) : null;
  if (!member) throw new AppError(ErrorCode.NOT_A_MEMBER, 'Join the membership first.');
  ctx.state.member = member; // the handler reuses this read (e.g. GET /me) instead of reading again
}
