import {
  ErrorCode,
  POS_HEADERS,
  POS_NONCE_PATTERN,
  POS_SIGNATURE_WINDOW_SECONDS,
  posStringToSign,
  type PosCredential,
  type PosCredentialIssued,
} from '@membercard/shared';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type mongoose from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import type { Actor, AppContext } from '../../lib/requestContext';
import { SecretBox } from '../../lib/secretBox';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { StaffService } from '../staff/service';
import type { PosCredentialDoc, posCredentialModel, posNonceModel } from './model';

// Store tills' credentials and the check of every signed POS request.
//
// The secret has to be at hand for each request's HMAC, so it cannot be kept as a one-way hash. It is sealed
// with AES-256-GCM under a key derived (HKDF-SHA256) from JWT_SECRET, the key id as associated data (lib/secretBox.ts): a copy
// of the database alone signs nothing, and a sealed secret cannot be moved to another key id. Deriving the
// secret from a server key instead (secret = HMAC(serverKey, keyId)) would store nothing, but rotating a
// leaked server key would then silently change every till's secret; sealed secrets survive until HQ rotates
// them. The price is the same: a new JWT_SECRET (after a leak) makes the stored secrets unreadable, so every
// till needs a new credential (README: POS integration).
//
// A request is accepted once: its timestamp within 5 minutes of the server's clock and its nonce inserted
// under the unique `<keyId>:<nonce>` _id (pos_nonces, TTL 15 minutes), so a replay is refused by whichever
// instance it reaches. The nonce is recorded only after the signature checks, so nobody without the secret
// can use up a till's nonces.

/** The secret box's purpose label; part of the stored data (a new label leaves every sealed secret unreadable). */
const SECRET_BOX_PURPOSE = 'membercard/pos-credential-secret/v1';
/** lastUsedAt is refreshed at most this often, so a busy till does not write its credential per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

interface Deps {
  connection: mongoose.Connection;
  credentials: ReturnType<typeof posCredentialModel>;
  nonces: ReturnType<typeof posNonceModel>;
  staff: StaffService;
  audit: AuditService;
  serverSecret: string;
  now: () => Date;
}

export class PosCredentials {
  private readonly secretBox: SecretBox;

  constructor(private readonly deps: Deps) {
    this.secretBox = new SecretBox(deps.serverSecret, SECRET_BOX_PURPOSE);
  }

  async list(storeId: string | undefined): Promise<{ items: PosCredential[] }> {
    const docs = await this.deps.credentials.find(storeId ? { storeId } : {}).sort({ storeId: 1, createdAt: -1 }).lean<PosCredentialDoc[]>();
    return { items: docs.map(credentialView) };
  }

  /** HQ makes a till credential for a store; the secret is in this answer only. */
  async create(actor: Actor, requestId: string, input: { storeId: string; label?: string }): Promise<PosCredentialIssued> {
    if (!(await this.deps.staff.storeExists(input.storeId))) throw errors.notFound('No such active store.');
    return inTransaction(this.deps.connection, undefined, (session) => this.issue(session, actor, requestId, input.storeId, input.label ?? `${input.storeId} 收银系统`, null));
  }

  /**
   * A new key id and secret for the same store; the old key keeps working for `graceHours` (0: stops now),
   * so the till can switch without a gap. Rotating a key already rotated or revoked is refused.
   */
  async rotate(actor: Actor, requestId: string, keyId: string, graceHours: number): Promise<PosCredentialIssued> {
    const { credentials, audit, connection, now } = this.deps;
    return inTransaction(connection, undefined, async (session) => {
      const at = now();
      const old = await credentials
        .findOneAndUpdate(
          { _id: keyId, status: 'active', expiresAt: null },
          graceHours > 0 ? { $set: { expiresAt: new Date(at.getTime() + graceHours * 3600_000) } } : { $set: { status: 'revoked', revokedAt: at } },
          { returnDocument: 'after', session },
        )
        .lean<PosCredentialDoc>();
      if (!old) {
        const exists = await credentials.exists({ _id: keyId }).session(session);
        if (!exists) throw errors.notFound('No such POS key.');
        throw new AppError(ErrorCode.CONFLICT, 'This POS key was already rotated or revoked; rotate its replacement.');
      }
      await audit.record(actor, requestId, { action: 'pos.credential.rotate', targetType: 'pos_credential', targetId: keyId, after: { expiresAt: old.expiresAt, status: old.status } }, session);
      return this.issue(session, actor, requestId, old.storeId, old.label, keyId);
    });
  }

  async revoke(actor: Actor, requestId: string, keyId: string): Promise<PosCredential> {
    const { credentials, audit, connection, now } = this.deps;
    return inTransaction(connection, undefined, async (session) => {
      const revoked = await credentials
        .findOneAndUpdate({ _id: keyId, status: 'active' }, { $set: { status: 'revoked', revokedAt: now() } }, { returnDocument: 'after', session })
        .lean<PosCredentialDoc>();
      if (!revoked) {
        const current = await credentials.findById(keyId).session(session).lean<PosCredentialDoc>();
        if (!current) throw errors.notFound('No such POS key.');
        return credentialView(current); // revoking again changes nothing
      }
      await audit.record(actor, requestId, { action: 'pos.credential.revoke', targetType: 'pos_credential', targetId: keyId, before: { status: 'active' }, after: { status: 'revoked' } }, session);
      return credentialView(revoked);
    });
  }

  private async issue(session: mongoose.ClientSession, actor: Actor, requestId: string, storeId: string, label: string, replaces: string | null): Promise<PosCredentialIssued> {
    if (actor.type !== 'admin') throw errors.forbidden('Only HQ manages POS keys.');
    const keyId = `pk_${storeId}_${randomBytes(8).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    const doc: PosCredentialDoc = {
      _id: keyId,
      storeId,
      label,
      secretSealed: this.secretBox.seal(keyId, secret),
      status: 'active',
      createdAt: this.deps.now(),
      createdBy: actor.staffId,
      expiresAt: null,
      revokedAt: null,
      replaces,
      lastUsedAt: null,
    };
    await this.deps.credentials.create([doc], { session });
    await this.deps.audit.record(actor, requestId, { action: 'pos.credential.create', targetType: 'pos_credential', targetId: keyId, after: { storeId, label, replaces } }, session);
    return { ...credentialView(doc), secret };
  }

  /**
   * Checks a POS request's signature and answers the actor it acts as: the credential's store, as a clerk
   * of that store (`staffId` `pos:<keyId>`, so audit entries, purchases and redemptions name the key), which
   * the shared purchase and redemption paths take as they take a clerk. 401 with a code for each refusal.
   */
  async authenticate(ctx: AppContext): Promise<Extract<Actor, { type: 'staff' }>> {
    const { credentials, nonces, now } = this.deps;
    const keyId = ctx.get(POS_HEADERS.key);
    const timestamp = ctx.get(POS_HEADERS.timestamp);
    const nonce = ctx.get(POS_HEADERS.nonce);
    const signature = ctx.get(POS_HEADERS.signature);
    if (!keyId || !timestamp || !nonce || !signature) {
      throw new AppError(ErrorCode.POS_UNSIGNED, `Sign the request: ${Object.values(POS_HEADERS).join(', ')} are required.`);
    }
    if (!/^\d{1,12}$/.test(timestamp) || !POS_NONCE_PATTERN.test(nonce) || !/^[0-9a-f]{64}$/.test(signature) || keyId.length > 64) {
      throw new AppError(ErrorCode.POS_UNSIGNED, 'Malformed signature headers: timestamp in Unix seconds, nonce of 16–64 [A-Za-z0-9_-], signature 64 lowercase hex.');
    }
    const at = now();
    const skewSeconds = Math.abs(at.getTime() / 1000 - Number(timestamp));
    if (skewSeconds > POS_SIGNATURE_WINDOW_SECONDS) {
      throw new AppError(ErrorCode.POS_TIMESTAMP_STALE, `The timestamp is ${Math.round(skewSeconds)} s from the server's clock (at most ${POS_SIGNATURE_WINDOW_SECONDS} s).`, {
        serverTime: Math.floor(at.getTime() / 1000),
      });
    }
    const credential = await credentials.findById(keyId).lean<PosCredentialDoc>();
    const usable = credential && credential.status === 'active' && (credential.expiresAt === null || credential.expiresAt > at);
    // null when sealed under another JWT_SECRET (after a leak) or tampered with
    const secret = usable ? this.secretBox.open(credential._id, credential.secretSealed) : null;
    if (!credential || !secret) throw new AppError(ErrorCode.POS_KEY_INVALID, 'Unknown, revoked or expired POS key.');
    const rawBody = (ctx.request as { rawBody?: string }).rawBody ?? '';
    const expected = createHmac('sha256', secret)
      .update(
        posStringToSign({
          method: ctx.method,
          pathWithQuery: ctx.originalUrl,
          timestamp,
          nonce,
          bodySha256Hex: createHash('sha256').update(rawBody, 'utf8').digest('hex'),
        }),
      )
      .digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw new AppError(ErrorCode.POS_SIGNATURE_INVALID, 'The signature does not match this request (method, path with query, timestamp, nonce, body).');
    }
    try {
      await nonces.create({ _id: `${keyId}:${nonce}`, usedAt: at });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError(ErrorCode.POS_NONCE_REPLAYED, 'This nonce was already used; sign each request, retries included, with a new one.');
      throw err;
    }
    if (!credential.lastUsedAt || at.getTime() - credential.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await credentials.updateOne({ _id: keyId }, { $set: { lastUsedAt: at } });
    }
    return { type: 'staff', staffId: `pos:${keyId}`, role: 'clerk', storeId: credential.storeId, sessionId: `pos:${keyId}` };
  }
}

export function credentialView(doc: PosCredentialDoc): PosCredential {
  return {
    keyId: doc._id,
    storeId: doc.storeId,
    label: doc.label,
    status: doc.status,
    createdAt: doc.createdAt.toISOString(),
    expiresAt: doc.expiresAt?.toISOString() ?? null,
    revokedAt: doc.revokedAt?.toISOString() ?? null,
    lastUsedAt: doc.lastUsedAt?.toISOString() ?? null,
  };
}
