import { ErrorCode } from '@membercard/shared';
import type Koa from 'koa';
import { AppError } from './errors';

// Alive is not ready: the HTTP server accepts connections as soon as it has a port (the emulator's base
// URL needs it), but only serves once start-up's steps (indexes built, demo data seeded, jobs started)
// are done. Until then every request is answered at once with 503 NOT_READY, never left hanging; a load
// balancer reads /readyz to know when to send traffic, and /healthz to know the process is alive.

export type ReadinessState = 'starting' | 'ready' | 'stopping';

/** The steps start-up still has to finish before this instance takes traffic, each marked done once. */
export class Readiness {
  private readonly pending: Set<string>;
  private stopping = false;

  constructor(steps: readonly string[]) {
    this.pending = new Set(steps);
  }

  done(step: string): void {
    this.pending.delete(step);
  }

  /** Shutting down: /readyz turns 503 so the load balancer stops sending while in-flight requests finish. */
  stop(): void {
    this.stopping = true;
  }

  get state(): ReadinessState {
    return this.stopping ? 'stopping' : this.pending.size ? 'starting' : 'ready';
  }

  /** The steps not done yet, in the order they were named. */
  get pendingSteps(): string[] {
    return [...this.pending];
  }
}

/** Seconds a refused caller is told to wait (start-up takes seconds, not minutes). */
export const NOT_READY_RETRY_AFTER_SECONDS = 1;

export function notReadyError(readiness: Readiness): AppError {
  return new AppError(
    ErrorCode.NOT_READY,
    readiness.state === 'stopping' ? 'The server is shutting down; try another instance.' : 'The server is starting; try again in a moment.',
    { pending: readiness.pendingSteps },
  );
}

/**
 * Until start-up is done, answers every request with 503 NOT_READY and Retry-After, except paths under
 * `open` (the demo's WeChat emulator, which start-up itself may call). Throws into the error handler so
 * the answer carries the contract's error body.
 */
export function readinessGate(readiness: Readiness, open: readonly string[] = []): Koa.Middleware {
  return async (ctx, next) => {
    if (readiness.state === 'starting' && !open.some((prefix) => ctx.path === prefix || ctx.path.startsWith(`${prefix}/`))) {
      ctx.set('Retry-After', String(NOT_READY_RETRY_AFTER_SECONDS));
      throw notReadyError(readiness);
    }
    await next();
  };
}
