import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { chinaIsoDate } from '@membercard/shared';

export interface FetchedAccessToken {
  token: string;
  expiresInSeconds: number;
}

export interface AccessTokenFetchContext {
  /**
   * Ask stable_token with force_refresh. Only after WeChat rejected a token and then, asked again in normal
   * mode, handed out that same token; limited to FORCE_REFRESH_LIMIT_PER_DAY, FORCE_REFRESH_MIN_INTERVAL_MS apart.
   */
  forceRefresh: boolean;
}

export interface GetOrRefreshOptions {
  /**
   * WeChat answered 40001/42001: replace the cached token even though it has not expired. WeChat is asked
   * again in normal mode first (force_refresh invalidates the token every instance holds, and is limited);
   * only if it answers with the token just rejected is a force refresh spent.
   */
  force?: boolean;
  /**
   * The token WeChat rejected. With it, a forced refresh only happens while the cache still holds that
   * token, so instances that all saw the same rejection refresh it once instead of once each.
   */
  invalidToken?: string;
}

export interface AccessTokenCache {
  getOrRefresh(
    appId: string,
    fetch: (context: AccessTokenFetchContext) => Promise<FetchedAccessToken>,
    options?: GetOrRefreshOptions,
  ): Promise<string>;
}

/** Tokens are replaced this long before WeChat says they expire (stable_token hands out a new one then). */
export const ACCESS_TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** stable_token force_refresh limits (wechat.md §2): at most 20 a day, at least 30 s apart, for the appid. */
export const FORCE_REFRESH_LIMIT_PER_DAY = 20;
export const FORCE_REFRESH_MIN_INTERVAL_MS = 30_000;

/** A token was rejected, WeChat keeps handing it out, and no force refresh is left for now. */
export class AccessTokenForceLimitError extends Error {
  constructor(
    readonly appId: string,
    message: string,
  ) {
    super(message);
    this.name = 'AccessTokenForceLimitError';
  }
}

interface CachedToken {
  token: string;
  expiresAt: Date;
  fetchedAt: Date;
}

function isUsable(cached: CachedToken | undefined, startedAt: Date, options: GetOrRefreshOptions, now: number): boolean {
  if (!cached?.token) return false;
  if (cached.expiresAt.getTime() - ACCESS_TOKEN_REFRESH_MARGIN_MS <= now) return false;
  if (!options.force) return true;
  // A forced call accepts a token only if it is not the rejected one: either a different token, or
  // (when the caller did not say which token failed) one fetched after the call started.
  if (options.invalidToken !== undefined) return cached.token !== options.invalidToken;
  return cached.fetchedAt.getTime() >= startedAt.getTime();
}

function expiryFrom(fetched: FetchedAccessToken, now: number): Date {
  return new Date(now + fetched.expiresInSeconds * 1000);
}

interface AccessTokenDocument {
  _id: string;
  token?: string;
  expiresAt?: Date;
  fetchedAt?: Date;
  leaseOwner?: string | null;
  leaseExpiresAt?: Date | null;
  /** Force refreshes spent on `forceDay` (China date), and the last one: shared by every instance. */
  forceDay?: string | null;
  forceCount?: number;
  lastForcedAt?: Date | null;
}

const accessTokenSchema = new mongoose.Schema<AccessTokenDocument>(
  {
    _id: { type: String, required: true },
    token: String,
    expiresAt: Date,
    fetchedAt: Date,
    leaseOwner: { type: String, default: null },
    leaseExpiresAt: { type: Date, default: null },
    forceDay: { type: String, default: null },
    forceCount: { type: Number, default: 0 },
    lastForcedAt: { type: Date, default: null },
  },
  { collection: 'wechat_access_tokens', versionKey: false },
);

export interface MongoAccessTokenCacheOptions {
  /** How long one instance may hold the fetch lease before others may take it over. */
  leaseMs?: number;
  /** How often a waiting instance re-reads the shared token. */
  pollMs?: number;
  /** Give up waiting for a token after this long. */
  waitTimeoutMs?: number;
  /** Force-refresh limits (WeChat's: 20 a day, 30 s apart); tests lower them. */
  forceLimitPerDay?: number;
  forceMinIntervalMs?: number;
  now?: () => Date;
}

/**
 * Shares one access token between all server instances through MongoDB. WeChat invalidates older tokens
 * when a new one is fetched, so only the holder of a short lease (an atomic compare-and-set on the
 * document) calls WeChat; everyone else polls until the new token is written.
 */
export class MongoAccessTokenCache implements AccessTokenCache {
  private readonly model: mongoose.Model<AccessTokenDocument>;
  private readonly instanceId = randomUUID();
  private readonly local = new Map<string, CachedToken>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly waitTimeoutMs: number;
  private readonly forceLimitPerDay: number;
  private readonly forceMinIntervalMs: number;
  private readonly now: () => Date;

  constructor(connection: mongoose.Connection, options: MongoAccessTokenCacheOptions = {}) {
    this.model =
      (connection.models.WeChatAccessToken as mongoose.Model<AccessTokenDocument> | undefined) ??
      connection.model<AccessTokenDocument>('WeChatAccessToken', accessTokenSchema);
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 100;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 20_000;
    this.forceLimitPerDay = options.forceLimitPerDay ?? FORCE_REFRESH_LIMIT_PER_DAY;
    this.forceMinIntervalMs = options.forceMinIntervalMs ?? FORCE_REFRESH_MIN_INTERVAL_MS;
    this.now = options.now ?? (() => new Date());
  }

  async getOrRefresh(
    appId: string,
    fetch: (context: AccessTokenFetchContext) => Promise<FetchedAccessToken>,
    options: GetOrRefreshOptions = {},
  ): Promise<string> {
    const startedAt = new Date();
    const localCopy = this.local.get(appId);
    if (!options.force && isUsable(localCopy, startedAt, options, Date.now())) return localCopy!.token;

    const deadline = startedAt.getTime() + this.waitTimeoutMs;
    for (;;) {
      const shared = await this.model.findById(appId).lean<AccessTokenDocument>().exec();
      const sharedToken = toCachedToken(shared);
      if (isUsable(sharedToken, startedAt, options, Date.now())) {
        this.local.set(appId, sharedToken!);
        return sharedToken!.token;
      }

      const leased = await this.tryTakeLease(appId);
      if (leased) {
        // Another instance may have written a token between our read and taking the lease.
        const current = toCachedToken(leased);
        if (isUsable(current, startedAt, options, Date.now())) {
          await this.releaseLease(appId);
          this.local.set(appId, current!);
          return current!.token;
        }
        return this.fetchAndStore(appId, fetch, options);
      }

      if (Date.now() > deadline) throw new Error(`Timed out waiting for another instance to refresh the WeChat access token of ${appId}`);
      await sleep(this.pollMs);
    }
  }

  private async tryTakeLease(appId: string): Promise<AccessTokenDocument | null> {
    // Make sure the document exists first, so taking the lease is a plain compare-and-set that matches
    // nothing (null) while someone else holds an unexpired lease.
    try {
      await this.model.updateOne({ _id: appId }, { $setOnInsert: { leaseOwner: null, leaseExpiresAt: null } }, { upsert: true }).exec();
    } catch (error) {
      // Two instances inserting the first document at once: one insert loses, the document exists.
      if (!isDuplicateKeyError(error)) throw error;
    }
    const now = new Date();
    return this.model
      .findOneAndUpdate(
        { _id: appId, $or: [{ leaseExpiresAt: null }, { leaseExpiresAt: { $lte: now } }] },
        { $set: { leaseOwner: this.instanceId, leaseExpiresAt: new Date(now.getTime() + this.leaseMs) } },
        { returnDocument: 'after' },
      )
      .lean<AccessTokenDocument>()
      .exec();
  }

  private async fetchAndStore(
    appId: string,
    fetch: (context: AccessTokenFetchContext) => Promise<FetchedAccessToken>,
    options: GetOrRefreshOptions,
  ): Promise<string> {
    let fetched: FetchedAccessToken;
    try {
      // Normal mode first, always: it hands out a newer token if WeChat has one, and costs nothing.
      fetched = await fetch({ forceRefresh: false });
      const rejected = options.invalidToken ?? (options.force ? this.local.get(appId)?.token : undefined);
      if (options.force && rejected !== undefined && fetched.token === rejected) {
        // WeChat still hands out the token it just refused: only a force refresh (limited) replaces it.
        await this.spendForceRefresh(appId);
        fetched = await fetch({ forceRefresh: true });
      }
    } catch (error) {
      await this.releaseLease(appId);
      throw error;
    }
    const now = Date.now();
    const entry: CachedToken = { token: fetched.token, expiresAt: expiryFrom(fetched, now), fetchedAt: new Date(now) };
    await this.model
      .updateOne(
        { _id: appId, leaseOwner: this.instanceId },
        { $set: { ...entry, leaseOwner: null, leaseExpiresAt: null } },
      )
      .exec();
    this.local.set(appId, entry);
    return entry.token;
  }

  /**
   * Takes one force refresh from the budget in the shared document (we hold the lease; the conditions keep
   * it right regardless): at most forceLimitPerDay per China day, forceMinIntervalMs apart.
   */
  private async spendForceRefresh(appId: string): Promise<void> {
    const now = this.now();
    // WeChat's daily limits count China calendar days.
    const day = chinaIsoDate(now);
    const spacedOut = { $or: [{ lastForcedAt: null }, { lastForcedAt: { $lte: new Date(now.getTime() - this.forceMinIntervalMs) } }] };
    const sameDay = await this.model
      .updateOne(
        { _id: appId, leaseOwner: this.instanceId, forceDay: day, forceCount: { $lt: this.forceLimitPerDay }, ...spacedOut },
        { $inc: { forceCount: 1 }, $set: { lastForcedAt: now } },
      )
      .exec();
    if (sameDay.modifiedCount === 1) return;
    const newDay = await this.model
      .updateOne(
        { _id: appId, leaseOwner: this.instanceId, forceDay: { $ne: day }, ...spacedOut },
        { $set: { forceDay: day, forceCount: 1, lastForcedAt: now } },
      )
      .exec();
    if (newDay.modifiedCount === 1) return;
    const doc = await this.model.findById(appId).lean<AccessTokenDocument>().exec();
    const reason =
      doc?.forceDay === day && (doc.forceCount ?? 0) >= this.forceLimitPerDay
        ? `all ${this.forceLimitPerDay} force refreshes of ${day} are spent`
        : `the last force refresh was less than ${this.forceMinIntervalMs / 1000} s ago`;
    throw new AccessTokenForceLimitError(appId, `WeChat keeps handing out the rejected access token of ${appId} and ${reason}`);
  }

  private async releaseLease(appId: string): Promise<void> {
    await this.model
      .updateOne({ _id: appId, leaseOwner: this.instanceId }, { $set: { leaseOwner: null, leaseExpiresAt: null } })
      .exec();
  }
}

function toCachedToken(doc: AccessTokenDocument | null): CachedToken | undefined {
  if (!doc?.token || !doc.expiresAt || !doc.fetchedAt) return undefined;
  return { token: doc.token, expiresAt: new Date(doc.expiresAt), fetchedAt: new Date(doc.fetchedAt) };
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
