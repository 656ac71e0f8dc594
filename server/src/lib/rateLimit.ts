import { isIPv6 } from 'node:net';
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

/** One counted attempt: whether it was within the limit, and whether it was the one that first went over. */
export interface Attempt {
  allowed: boolean;
  /** Attempts counted for the key in its window, this one included. */
  count: number;
  /** True for exactly one attempt per window: the first over the limit (the count's increment is atomic). */
  crossed: boolean;
  retryAfterSeconds: number;
}

export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterMongo>();
  /** The collection's indexes, made once before the first count (see indexed). */
  private indexes: Promise<void> | null = null;

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
        disableIndexesCreation: true, // made once by indexed(), awaited
      });
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  /**
   * The limits' indexes (the key's unique one, the expiry's TTL), made before anything is counted. The library
   * makes them in the background when a limiter is first used, so the burst that first uses a limit after a start
   * (a flash drop's thousand code claims) ran its upserts on a collection without the key's index: each scanned
   * every count written so far (a profile of such a drop had half its CPU in the database decoding them).
   */
  private indexed(): Promise<void> {
    this.indexes ??= (async () => {
      const collection = this.connection.collection('rate_limits');
      await collection.createIndex({ expire: -1 }, { expireAfterSeconds: 0 });
      await collection.createIndex({ key: 1 }, { unique: true });
    })().catch((err: unknown) => {
      this.indexes = null; // tried again by the next count
      throw err;
    });
    return this.indexes;
  }

  /** Counts one attempt and says whether it is within the limit, without refusing anything. */
  async attempt(name: string, key: string): Promise<Attempt> {
    await this.indexed();
    const points = this.specs[name]?.points ?? 0;
    const answer = (res: RateLimiterRes, allowed: boolean): Attempt => ({
      allowed,
      count: res.consumedPoints,
      crossed: res.consumedPoints === points + 1,
      retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    });
    try {
      return answer(await this.limiter(name).consume(key), true);
    } catch (err) {
      if (err instanceof RateLimiterRes) return answer(err, false);
      throw err;
    }
  }

  /** Counts one attempt; throws 429 RATE_LIMITED when the key is over its limit. */
  async consume(name: string, key: string): Promise<Attempt> {
    const counted = await this.attempt(name, key);
    if (!counted.allowed) throw errors.rateLimited(counted.retryAfterSeconds);
    return counted;
  }

  /**
   * Gives back one attempt counted by consume. Limits that count only failures take a point before the
   * work (so parallel requests cannot all slip under the limit) and give it back when the work succeeds.
   */
  async refund(name: string, key: string): Promise<void> {
    await this.indexed();
    await this.limiter(name).reward(key, 1);
  }

  /** Attempts counted for the key in its current window (0 when none). */
  async count(name: string, key: string): Promise<number> {
    await this.indexed();
    const res = await this.limiter(name).get(key);
    return res?.consumedPoints ?? 0;
  }

  async reset(name: string, key: string): Promise<void> {
    await this.indexed();
    await this.limiter(name).delete(key);
  }
}

/**
 * The key a client address is limited under: IPv4 as is (also when written IPv4-mapped, ::ffff:a.b.c.d);
 * IPv6 by its /64, since one subscriber is usually handed a whole /64 and could otherwise take a fresh
 * address for every attempt.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.split('%')[0]!.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
