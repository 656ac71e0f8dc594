import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import mongoose, { Schema, type ClientSession } from 'mongoose';
import { errors } from './errors';
import { readsById } from './readsById';
import type { Actor } from './requestContext';

// Access tokens are short-lived JWTs (HS256, signed with the shared secret so any instance verifies them).
// Each names a session in `sessions`; every request checks that session (one _id read, its answer kept at
// most a second per instance), so ending a session or retiring its tokens holds on every instance within
// a second. Refresh tokens are random, stored only as a hash, and rotated on every use; a refresh signs
// the account as it is now (read through the resolver), never the claims of the token it replaces.

export type SignedInActor = Exclude<Actor, { type: 'anonymous' }>;
/** An actor before a session exists for it (distributes over the union, unlike a plain Omit). */
export type NewSessionActor = SignedInActor extends infer A ? (A extends SignedInActor ? Omit<A, 'sessionId'> : never) : never;

/** Whose session it is. Sessions hold only this; the claims come from the account at each signing. */
export type SessionOwner = { type: 'shopper'; memberId: string } | { type: 'staff' | 'admin'; staffId: string };

/**
 * The claims an account's token carries now, or null when the account may not hold a session any more
 * (disabled, erased, gone, or its password changed since the session signed in with `credential`).
 */
export type AccountResolver = (owner: SessionOwner, credential: number | undefined) => Promise<NewSessionActor | null>;

interface SessionRecord {
  _id: string;
  /** The owner (documents written before sessions followed the account carry the old claims too; only the ids are read). */
  actor: SessionOwner;
  refreshHash: string;
  /** Raised when the account's role or store changes: access tokens signed with an older version are refused. */
  version?: number;
  /** The account's credential version at sign-in (staff): a password change or disable makes refresh fail. */
  credential?: number;
  createdAt: Date;
  expiresAt: Date;
  /** When the database may delete the record: its TTL monitor runs on real time, whatever the app's clock says. */
  purgeAt?: Date;
  revokedAt?: Date | null;
}

const SessionSchema = new Schema<SessionRecord>(
  {
    _id: String,
    actor: { type: Schema.Types.Mixed, required: true },
    refreshHash: { type: String, required: true, unique: true },
    version: { type: Number, default: 0 },
    credential: Number,
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    purgeAt: { type: Date, index: { expireAfterSeconds: 0 } },
    revokedAt: Date,
  },
  { versionKey: false, collection: 'sessions' },
);
SessionSchema.index({ 'actor.staffId': 1 }, { sparse: true });
SessionSchema.index({ 'actor.memberId': 1 }, { sparse: true });

export function sessionModel(conn: mongoose.Connection) {
  return conn.models.Session ?? conn.model<SessionRecord>('Session', SessionSchema);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface TokenPair {
  token: string;
  refreshToken: string;
  expiresIn: number;
}

type SessionState = Pick<SessionRecord, 'revokedAt' | 'expiresAt' | 'version'> & { owner: string };

/** How long an instance may answer "is this session live?" from memory: the allowed staleness of a revocation. */
export const SESSION_CHECK_CACHE_MS = 1000;
const CACHE_LIMIT = 50_000;

const ownerOf = (owner: SessionOwner): SessionOwner =>
  owner.type === 'shopper' ? { type: 'shopper', memberId: owner.memberId } : { type: owner.type, staffId: owner.staffId };
const ownerKey = (owner: SessionOwner) => (owner.type === 'shopper' ? `m:${owner.memberId}` : `s:${owner.staffId}`);
const ownerFilter = (filter: { memberId?: string; staffId?: string }) =>
  filter.memberId ? { 'actor.memberId': filter.memberId } : { 'actor.staffId': filter.staffId };

export class TokenService {
  private readonly key: Uint8Array;
  private resolver: AccountResolver | null = null;
  /** sessionId → the session's state as read at `at` (performance.now()); shared by concurrent requests. */
  private readonly checked = new Map<string, { at: number; state: Promise<SessionState | null> }>();
  /**
   * token → its verified claims and expiry (ms): a card holder's app or a till sends the same token for up to
   * 30 minutes, and checking its HMAC again each time is pure CPU. Expiry is still checked against the clock on
   * every use, and the session check (above) on every request, so revocation is unaffected.
   */
  private readonly verified = new Map<string, { actor: SignedInActor; version: number; expiresAtMs: number }>();

  constructor(
    secret: string,
    private readonly sessions: ReturnType<typeof sessionModel>,
    private readonly accessTtlSeconds = 30 * 60,
    private readonly refreshTtlSeconds = 30 * 24 * 3600,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.key = new TextEncoder().encode(secret);
    this.sessionById = readsById<SessionRecord>(() => this.sessions.collection, { projection: { revokedAt: 1, expiresAt: 1, version: 1, actor: 1 } });
  }

  /** Every signed-in request's session read, coalesced with the other requests' (readsById). */
  private readonly sessionById: (id: string) => Promise<SessionRecord | null>;

  /** Wired once the account services exist (services.ts): how a session's owner turns into claims. */
  useResolver(resolver: AccountResolver): void {
    this.resolver = resolver;
  }

  /** Starts a session for an account (its current claims, not the caller's) and signs its first token. */
  async issue(owner: SessionOwner, options: { credential?: number } = {}): Promise<TokenPair> {
    return (await this.issueFor(owner, options)).pair;
  }

  /** `issue`, also answering the claims the token carries (sign-in answers show them). */
  async issueFor(owner: SessionOwner, options: { credential?: number } = {}): Promise<{ pair: TokenPair; actor: SignedInActor }> {
    const sessionId = randomBytes(12).toString('hex');
    const refreshToken = randomBytes(32).toString('base64url');
    const now = this.now();
    // The session exists before the account is read: an account change committed after this read bumps or
    // revokes the session too, so a token signed from a stale read is refused at its first use.
    await this.sessions.create({
      _id: sessionId,
      actor: ownerOf(owner),
      refreshHash: sha256(refreshToken),
      version: 0,
      ...(options.credential !== undefined ? { credential: options.credential } : {}),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.refreshTtlSeconds * 1000),
      purgeAt: this.purgeAt(now),
    });
    const actor = await this.claimsFor(sessionId, owner, options.credential);
    return { pair: { token: await this.sign(actor, 0), refreshToken, expiresIn: this.accessTtlSeconds }, actor };
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const next = randomBytes(32).toString('base64url');
    const now = this.now();
    // Rotation is one conditional update: of two refreshes racing with the same token, one wins. The
    // version is read here, before the account: see issueFor.
    const session = await this.sessions
      .findOneAndUpdate(
        { refreshHash: sha256(refreshToken), revokedAt: null, expiresAt: { $gt: now } },
        { $set: { refreshHash: sha256(next), purgeAt: this.purgeAt(now) } },
        { returnDocument: 'after' },
      )
      .lean<SessionRecord>();
    if (!session) throw errors.unauthenticated('The refresh token is invalid or expired.');
    const actor = await this.claimsFor(session._id, session.actor, session.credential);
    return { token: await this.sign(actor, session.version ?? 0), refreshToken: next, expiresIn: this.accessTtlSeconds };
  }

  /** Signing out: ends the session a refresh token belongs to (its access tokens stop too). Unknown tokens are ignored. */
  async endSession(refreshToken: string): Promise<void> {
    await this.sessions.updateOne({ refreshHash: sha256(refreshToken), revokedAt: null }, { $set: { revokedAt: this.now() } });
    this.forget();
  }

  /** Ends every session of an account (password change, disable, erasure): its tokens and refresh tokens stop. */
  async revokeAll(filter: { memberId?: string; staffId?: string }, session?: ClientSession): Promise<void> {
    await this.sessions.updateMany({ ...ownerFilter(filter), revokedAt: null }, { $set: { revokedAt: this.now() } }, { session });
    this.forget();
  }

  /** Retires an account's access tokens (role or store changed); its sessions refresh into the new claims. */
  async retireTokens(filter: { staffId: string }, session?: ClientSession): Promise<void> {
    await this.sessions.updateMany({ ...ownerFilter(filter), revokedAt: null }, { $inc: { version: 1 } }, { session });
    this.forget();
  }

  /** Drops this instance's cached answers (after a change committed here; other instances catch up within 1 s). */
  forget(): void {
    this.checked.clear();
  }

  /** Verifies a bearer token and that its session is live and its claims current; answers who is calling. */
  async authenticate(token: string): Promise<SignedInActor> {
    const { actor, version } = await this.verify(token);
    const state = await this.sessionState(actor.sessionId);
    if (!state || state.revokedAt || state.expiresAt <= this.now() || state.owner !== ownerKey(actor)) {
      throw errors.unauthenticated('This session has ended. Sign in again.');
    }
    if ((state.version ?? 0) !== version) throw errors.unauthenticated('The account changed; refresh the token.');
    return actor;
  }

  /** Checks the signature and expiry only (authenticate also checks the session). */
  async verify(token: string): Promise<{ actor: SignedInActor; version: number }> {
    const known = this.verified.get(token);
    if (known) {
      if (this.now().getTime() < known.expiresAtMs) return { actor: { ...known.actor }, version: known.version };
      this.verified.delete(token);
    }
    const checked = await this.verifySignature(token);
    if (checked.expiresAtMs !== null) {
      if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
      this.verified.set(token, { actor: { ...checked.actor }, version: checked.version, expiresAtMs: checked.expiresAtMs });
    }
    return { actor: checked.actor, version: checked.version };
  }

  private async verifySignature(token: string): Promise<{ actor: SignedInActor; version: number; expiresAtMs: number | null }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: 'membercard',
        algorithms: ['HS256'],
        currentDate: this.now(),
      });
      const actor = payload.act as SignedInActor | undefined;
      if (!actor || typeof actor !== 'object' || !['shopper', 'staff', 'admin'].includes(actor.type) || typeof actor.sessionId !== 'string') {
        throw errors.unauthenticated('The token is invalid.');
      }
      // Tokens signed before HQ roles existed belong to the one HQ role there was.
      if (actor.type === 'admin' && !actor.hqRole) actor.hqRole = 'admin';
      return { actor, version: typeof payload.sv === 'number' ? payload.sv : 0, expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : null };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw errors.unauthenticated('The token has expired.');
      throw errors.unauthenticated('The token is invalid.');
    }
  }

  private sessionState(sessionId: string): Promise<SessionState | null> {
    const at = performance.now();
    const cached = this.checked.get(sessionId);
    if (cached && at - cached.at < SESSION_CHECK_CACHE_MS) return cached.state;
    if (this.checked.size >= CACHE_LIMIT) this.checked.clear();
    // Every signed-in request's check: through the driver (the lean read's answer, without a mongoose query).
    const state = this.sessionById(sessionId)
      .then((found) => (found ? { revokedAt: found.revokedAt, expiresAt: found.expiresAt, version: found.version ?? 0, owner: ownerKey(found.actor) } : null));
    this.checked.set(sessionId, { at, state });
    state.catch(() => this.checked.delete(sessionId));
    return state;
  }

  private async claimsFor(sessionId: string, owner: SessionOwner, credential: number | undefined): Promise<SignedInActor> {
    if (!this.resolver) throw new Error('TokenService: no account resolver wired');
    const claims = await this.resolver(ownerOf(owner), credential);
    if (!claims) {
      await this.sessions.updateOne({ _id: sessionId }, { $set: { revokedAt: this.now() } });
      throw errors.unauthenticated('This account can no longer sign in.');
    }
    return { ...claims, sessionId } as SignedInActor;
  }

  private purgeAt(now: Date): Date {
    return new Date(Math.max(now.getTime(), Date.now()) + this.refreshTtlSeconds * 1000);
  }

  private async sign(actor: SignedInActor, version: number): Promise<string> {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    return new SignJWT({ act: actor, sv: version })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(actor.type === 'shopper' ? actor.memberId : actor.staffId)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.accessTtlSeconds)
      .setIssuer('membercard')
      .sign(this.key);
  }
}
