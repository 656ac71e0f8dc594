import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import mongoose, { Schema } from 'mongoose';
import { errors } from './errors';
import type { Actor } from './requestContext';

// Access tokens are short-lived JWTs (HS256, signed with the shared secret so any instance verifies them).
// Refresh tokens are random, stored only as a hash in `sessions`, and rotated on every use, so a stolen
// refresh token stops working once the real client refreshes, and erasing a member revokes every session.

export type SignedInActor = Exclude<Actor, { type: 'anonymous' }>;
/** An actor before a session exists for it (distributes over the union, unlike a plain Omit). */
export type NewSessionActor = SignedInActor extends infer A ? (A extends SignedInActor ? Omit<A, 'sessionId'> : never) : never;

interface SessionRecord {
  _id: string;
  actor: SignedInActor;
  refreshHash: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date | null;
}

const SessionSchema = new Schema<SessionRecord>(
  {
    _id: String,
    actor: { type: Schema.Types.Mixed, required: true },
    refreshHash: { type: String, required: true, unique: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: { expireAfterSeconds: 0 } },
    revokedAt: Date,
  },
  { versionKey: false, collection: 'sessions' },
);

export function sessionModel(conn: mongoose.Connection) {
  return conn.models.Session ?? conn.model<SessionRecord>('Session', SessionSchema);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface TokenPair {
  token: string;
  refreshToken: string;
  expiresIn: number;
}

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly sessions: ReturnType<typeof sessionModel>,
    private readonly accessTtlSeconds = 30 * 60,
    private readonly refreshTtlSeconds = 30 * 24 * 3600,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(actor: NewSessionActor): Promise<TokenPair> {
    const sessionId = randomBytes(12).toString('hex');
    const refreshToken = randomBytes(32).toString('base64url');
    const now = this.now();
    const full = { ...actor, sessionId } as SignedInActor;
    await this.sessions.create({
      _id: sessionId,
      actor: full,
      refreshHash: sha256(refreshToken),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.refreshTtlSeconds * 1000),
    });
    return { token: await this.sign(full), refreshToken, expiresIn: this.accessTtlSeconds };
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const next = randomBytes(32).toString('base64url');
    // Rotation is one conditional update: of two refreshes racing with the same token, one wins.
    const session = await this.sessions.findOneAndUpdate(
      { refreshHash: sha256(refreshToken), revokedAt: null, expiresAt: { $gt: this.now() } },
      { $set: { refreshHash: sha256(next) } },
      { returnDocument: 'after' },
    );
    if (!session) throw errors.unauthenticated('The refresh token is invalid or expired.');
    return { token: await this.sign(session.actor), refreshToken: next, expiresIn: this.accessTtlSeconds };
  }

  async revokeAll(filter: { memberId?: string; staffId?: string }): Promise<void> {
    const query = filter.memberId ? { 'actor.memberId': filter.memberId } : { 'actor.staffId': filter.staffId };
    await this.sessions.updateMany({ ...query, revokedAt: null }, { $set: { revokedAt: this.now() } });
  }

  private async sign(actor: SignedInActor): Promise<string> {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    return new SignJWT({ act: actor })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(actor.type === 'shopper' ? actor.memberId : actor.staffId)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.accessTtlSeconds)
      .setIssuer('membercard')
      .sign(this.key);
  }

  async verify(token: string): Promise<SignedInActor> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: 'membercard',
        algorithms: ['HS256'],
        currentDate: this.now(),
      });
      const actor = payload.act as SignedInActor | undefined;
      if (!actor || typeof actor !== 'object' || !['shopper', 'staff', 'admin'].includes(actor.type)) {
        throw errors.unauthenticated('The token is invalid.');
      }
      return actor;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw errors.unauthenticated('The token has expired.');
      throw errors.unauthenticated('The token is invalid.');
    }
  }
}
