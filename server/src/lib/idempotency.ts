import { createHash } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { ErrorCode } from '@membercard/shared';
import { AppError, isDuplicateKeyError } from './errors';
import { readsById } from './readsById';
import type { Reply } from './route';

// One idempotency mechanism for every request that changes points, coupons or money.
// The first request with a key claims it by inserting a record under a unique _id (the claim is the
// insert: two instances racing on one key cannot both win). It stores its answer when done; repeats
// replay that answer. A repeat that arrives while the first still runs waits for it, then gets 409
// IDEMPOTENCY_IN_PROGRESS if it is still not done. A claim whose owner died (lease expired) may be
// taken over; that is safe because every write the handlers make is also keyed by a unique index of
// its own collection (ledger entries, purchases, redemptions), so a re-run cannot apply twice.

export interface IdempotencyRecord {
  _id: string;
  requestHash: string;
  state: 'running' | 'done';
  leaseUntil: Date;
  responseStatus?: number;
  responseBody?: unknown;
  createdAt: Date;
  expiresAt: Date;
}

const IdempotencySchema = new Schema<IdempotencyRecord>(
  {
    _id: { type: String, required: true },
    requestHash: { type: String, required: true },
    state: { type: String, enum: ['running', 'done'], required: true },
    leaseUntil: { type: Date, required: true },
    responseStatus: Number,
    responseBody: Schema.Types.Mixed,
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: { expireAfterSeconds: 0 } },
  },
  { versionKey: false, collection: 'idempotency_records', minimize: false },
);

export function idempotencyModel(conn: mongoose.Connection) {
  return conn.models.IdempotencyRecord ?? conn.model<IdempotencyRecord>('IdempotencyRecord', IdempotencySchema);
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

/** JSON with sorted keys, so the same request hashes the same whatever order its fields came in. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface IdempotencyOptions {
  leaseMs?: number;
  waitMs?: number;
  retentionMs?: number;
  now?: () => Date;
}

/** Answers worth replaying: successes and business refusals. Server errors and rate limits are not final. */
function isFinal(status: number): boolean {
  return status < 500 && status !== 429;
}

export class IdempotencyStore {
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly retentionMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly model: ReturnType<typeof idempotencyModel>,
    options: IdempotencyOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.waitMs = options.waitMs ?? 5_000;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? (() => new Date());
    this.recordById = readsById<IdempotencyRecord>(() => this.model.collection);
  }

  /** A known refusal's key look-up: a drop's hundreds at once go out as a few reads (readsById). */
  private readonly recordById: (key: string) => Promise<IdempotencyRecord | null>;

  async run(scopedKey: string, hash: string, execute: () => Promise<Reply<unknown>>): Promise<Reply<unknown>> {
    const claimed = await this.claim(scopedKey, hash);
    if (!claimed) return this.replayOrWait(scopedKey, hash, execute);
    return this.executeClaimed(scopedKey, execute);
  }

  /**
   * A request the caller already knows is refused (RouteSpec.knownRefusal): when the key has no record, `refusal`
   * is thrown and nothing is written (a refusal took nothing, so a retry may be refused again); a key used before
   * replays (or waits for) that request's answer, as run does. One read instead of the claim and its completion.
   */
  async runUnlessRefused(scopedKey: string, hash: string, refusal: Error, execute: () => Promise<Reply<unknown>>): Promise<Reply<unknown>> {
    const record = await this.recordById(scopedKey);
    if (!record) throw refusal;
    return this.replayOrWait(scopedKey, hash, execute, record);
  }

  private async executeClaimed(scopedKey: string, execute: () => Promise<Reply<unknown>>): Promise<Reply<unknown>> {
    let reply: Reply<unknown>;
    try {
      reply = await execute();
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (typeof status === 'number' && isFinal(status) && (err as { code?: string }).code) {
        const appErr = err as { status: number; code: string; message: string; details?: unknown };
        await this.complete(scopedKey, {
          status,
          body: { error: { code: appErr.code, message: appErr.message, ...(appErr.details ? { details: appErr.details } : {}) } },
        });
      } else {
        await this.model.deleteOne({ _id: scopedKey, state: 'running' });
      }
      throw err;
    }
    if (isFinal(reply.status)) await this.complete(scopedKey, reply);
    else await this.model.deleteOne({ _id: scopedKey, state: 'running' });
    return reply;
  }

  private async claim(scopedKey: string, hash: string): Promise<boolean> {
    const now = this.now();
    try {
      // Every field is set here, so the driver's insert stores what the schema would, without a mongoose document.
      const record: IdempotencyRecord = {
        _id: scopedKey,
        requestHash: hash,
        state: 'running',
        leaseUntil: new Date(now.getTime() + this.leaseMs),
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.retentionMs),
      };
      await this.model.collection.insertOne(record as never);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  private async complete(scopedKey: string, reply: Reply<unknown>): Promise<void> {
    // Through the driver like the claim: plain values, nothing for mongoose to cast.
    await this.model.collection.updateOne(
      { _id: scopedKey as never },
      { $set: { state: 'done', responseStatus: reply.status, responseBody: reply.body ?? null } },
    );
  }

  private async replayOrWait(
    scopedKey: string,
    hash: string,
    execute: () => Promise<Reply<unknown>>,
    known?: IdempotencyRecord,
  ): Promise<Reply<unknown>> {
    const deadline = Date.now() + this.waitMs;
    let delay = 20;
    let first = known;
    for (;;) {
      const record = first ?? (await this.model.findById(scopedKey).lean());
      first = undefined;
      if (!record) {
        // The first attempt failed and released its claim: this repeat may run it.
        if (await this.claim(scopedKey, hash)) return this.executeClaimed(scopedKey, execute);
        continue;
      }
      if (record.requestHash !== hash) {
        throw new AppError(
          ErrorCode.IDEMPOTENCY_KEY_REUSED,
          'This idempotency key (or order number) was already used for a different request.',
        );
      }
      if (record.state === 'done') {
        return { status: record.responseStatus ?? 200, body: record.responseBody };
      }
      if (record.leaseUntil.getTime() < this.now().getTime()) {
        const takenOver = await this.model.findOneAndUpdate(
          { _id: scopedKey, state: 'running', leaseUntil: record.leaseUntil },
          { $set: { leaseUntil: new Date(this.now().getTime() + this.leaseMs) } },
        );
        if (takenOver) return this.executeClaimed(scopedKey, execute);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new AppError(ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'The same request is still being processed; retry shortly.');
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
    }
  }
}
