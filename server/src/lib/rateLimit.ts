import type mongoose from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { errors } from './errors';

// Rate limits live in MongoDB so every server instance counts the same attempts.

export interface LimitSpec {
  /** Attempts allowed per window. */
  points: number;
  windowSeconds: number;
  /** How long a key stays blocked once over the limit. */
  blockSeconds?: number;
}

export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterMongo>();

  constructor(
    private readonly connection: mongoose.Connection,
    private readonly specs: Record<string, LimitSpec>,
  ) {}

  private limiter(name: string): RateLimiterMongo {
    let limiter = this.limiters.get(name);
    if (!limiter) {
      const spec = this.specs[name];
      if (!spec) throw new Error(`Unknown rate limit ${name}`);
      limiter = new RateLimiterMongo({
        storeClient: this.connection.db,
        tableName: 'rate_limits',
        keyPrefix: name,
        points: spec.points,
        duration: spec.windowSeconds,
        blockDuration: spec.blockSeconds ?? 0,
      });
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  /** Counts one attempt; throws 429 RATE_LIMITED when the key is over its limit. */
  async consume(name: string, key: string): Promise<void> {
    try {
      await this.limiter(name).consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw errors.rateLimited(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
  }

  async reset(name: string, key: string): Promise<void> {
    await this.limiter(name).delete(key);
  }
}
