import { Types } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { DUMMY_PASSWORD_HASH, assertAcceptableNewPassword, hashPassword, verifyPassword } from '../../lib/passwords';
import type { RateLimits } from '../../lib/rateLimit';
import type { Actor } from '../../lib/requestContext';
import type { NewSessionActor, TokenService } from '../../lib/tokens';
import { inTransaction } from '../../lib/transactions';
import { ErrorCode, type HqRole } from '@membercard/shared';
import type { AuditService } from '../audit/service';
import { ACTIVE_HQ_ADMIN, hqRoleOf, staffGuardModel, type StaffAccount, type Store, type staffModel, type storeModel } from './model';
import { beginSignIn } from './signInLimits';

const toStore = (s: Store) => ({ id: s._id, name: s.name, ...(s.city ? { city: s.city } : {}), active: s.active });
const toStaff = (s: StaffAccount) => ({
  id: String(s._id),
  username: s.username,
  name: s.name,
  role: s.role,
  hqRole: s.role === 'hq' ? hqRoleOf(s) : null,
  storeId: s.storeId,
  active: s.active,
  mustChangePassword: Boolean(s.mustChangePassword),
  createdAt: s.createdAt.toISOString(),
});

/** The claims a token of this account carries, as the account is now. */
function claimsOf(s: StaffAccount): NewSessionActor {
  const staffId = String(s._id);
  const must = s.mustChangePassword ? { mustChangePassword: true } : {};
  if (s.role === 'hq') return { type: 'admin', staffId, role: 'hq', hqRole: hqRoleOf(s), ...must };
  return { type: 'staff', staffId, role: s.role, storeId: s.storeId!, ...must };
}

/** Matches an account whose credential version is still `version` (missing counts as 0). */
const credentialIs = (version: number) => (version === 0 ? { credentialVersion: { $in: [0, null] } } : { credentialVersion: version });

/** A stolen token must not become a way to guess its account's password: five wrong current passwords per 15 minutes. */
export const PASSWORD_CHANGE_LIMITS = {
  'password-change': { points: 5, windowSeconds: 15 * 60, blockSeconds: 15 * 60 },
};

/** The store a staff actor acts for; HQ acts for all stores (null). The one place store scope is decided. */
export function actingStoreId(actor: Actor): string | null {
  if (actor.type === 'staff') return actor.storeId;
  if (actor.type === 'admin') return null;
  throw errors.forbidden();
}

/** Refuses a staff actor touching another store's records (403); HQ may touch any. */
export function assertStoreScope(actor: Actor, storeId: string | null | undefined): void {
  const own = actingStoreId(actor);
  if (own !== null && storeId !== own) throw errors.forbidden('Staff act only for their own store.');
}

/** Someone who may reverse a purchase or redemption. */
export type Reverser = Extract<Actor, { type: 'staff' | 'admin' }>;

/**
 * Who may reverse a purchase or a redemption (within its 24 hours): a store manager, for their own store (the
 * caller checks the record's store), or HQ (any store; the route asks for the HQ admin role). Clerks may not.
 */
export function assertMayReverse(actor: Actor, what: string): asserts actor is Reverser {
  if (actor.type === 'admin' || (actor.type === 'staff' && actor.role === 'manager')) return;
  throw errors.forbidden(`Only a store manager or HQ may reverse a ${what}.`);
}

interface Deps {
  stores: ReturnType<typeof storeModel>;
  staff: ReturnType<typeof staffModel>;
  tokens: TokenService;
  rateLimits: RateLimits;
  audit: AuditService;
  now: () => Date;
}

export class StaffService {
  constructor(private readonly deps: Deps) {}

  /** Staff and HQ sign-in; failures are limited per address and per (account, address) (signInLimits.ts). */
  async login(kind: 'staff' | 'admin', username: string, password: string, ip: string) {
    const { staff, tokens } = this.deps;
    const account = username.trim().toLowerCase();
    const attempt = await beginSignIn(this.deps, account, ip);
    const found = await staff.findOne({ username: account }).lean<StaffAccount>();
    const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_PASSWORD_HASH);
    const roleFits = found && (kind === 'admin' ? found.role === 'hq' : found.role !== 'hq');
    if (!found || !ok || !found.active || !roleFits) {
      await attempt.failed(found);
      throw errors.unauthenticated('Wrong username or password.');
    }
    await attempt.succeeded();
    const id = String(found._id);
    // The session carries the credential version the password was checked against: a password change or a
    // disable between this check and the session's creation makes the new session unusable.
    const { pair, actor } = await tokens.issueFor({ type: found.role === 'hq' ? 'admin' : 'staff', staffId: id }, { credential: found.credentialVersion ?? 0 });
    const mustChangePassword = actor.type !== 'shopper' && Boolean(actor.mustChangePassword);
    if (actor.type === 'admin') return { ...pair, admin: { id, name: found.name, role: 'hq' as const, hqRole: actor.hqRole }, mustChangePassword };
    if (actor.type !== 'staff') throw errors.unauthenticated('Wrong username or password.');
    return { ...pair, staff: { id, name: found.name, role: actor.role, storeId: actor.storeId }, mustChangePassword };
  }

  /** The claims a session of this account may carry now (lib/tokens.ts resolver); null ends the session. */
  async currentClaims(staffId: string, credential: number | undefined): Promise<NewSessionActor | null> {
    if (!Types.ObjectId.isValid(staffId)) return null;
    const found = await this.deps.staff.findById(staffId).lean<StaffAccount>();
    if (!found || !found.active) return null;
    if (credential !== undefined && (found.credentialVersion ?? 0) !== credential) return null;
    return claimsOf(found);
  }

  /**
   * A signed-in staff or HQ user changes their own password with the current one. Every session of the
   * account ends (a thief's too); the answer is a new session for the caller.
   */
  async changeOwnPassword(actor: Actor, requestId: string, currentPassword: string, newPassword: string) {
    if (actor.type !== 'staff' && actor.type !== 'admin') throw errors.forbidden();
    const { staff, tokens, rateLimits } = this.deps;
    const found = await staff.findById(actor.staffId).lean<StaffAccount>();
    if (!found || !found.active) throw errors.unauthenticated();
    await rateLimits.consume('password-change', String(found._id));
    if (!(await verifyPassword(currentPassword, found.passwordHash))) {
      throw errors.validation('The current password is wrong.', { fields: [{ field: 'body.currentPassword', message: 'wrong password' }] });
    }
    await rateLimits.refund('password-change', String(found._id));
    assertAcceptableNewPassword(newPassword, { username: found.username, field: 'body.newPassword' });
    if (newPassword === currentPassword) {
      throw errors.validation('Choose a password different from the current one.', { fields: [{ field: 'body.newPassword', message: 'same as the current password' }] });
    }
    const credential = (found.credentialVersion ?? 0) + 1;
    const passwordHash = await hashPassword(newPassword);
    await inTransaction(staff.db, undefined, async (session) => {
      // Conditional on the credential version read above: a concurrent HQ reset wins, this change is refused.
      const changed = await staff.updateOne(
        { _id: found._id, active: true, ...credentialIs(found.credentialVersion ?? 0) },
        { $set: { passwordHash, mustChangePassword: false, credentialVersion: credential } },
        { session },
      );
      if (changed.modifiedCount !== 1) throw new AppError(ErrorCode.CONFLICT, 'The account changed meanwhile; sign in again.');
      await tokens.revokeAll({ staffId: actor.staffId }, session);
      await this.deps.audit.record(actor, requestId, { action: 'staff.password.change', targetType: 'staff', targetId: actor.staffId, after: { passwordChanged: true } }, session);
    });
    tokens.forget();
    return tokens.issue({ type: actor.type, staffId: actor.staffId }, { credential });
  }

  async me(actor: Actor) {
    if (actor.type !== 'staff' && actor.type !== 'admin') throw errors.forbidden();
    const found = await this.deps.staff.findById(actor.staffId).lean<StaffAccount>();
    if (!found) throw errors.unauthenticated();
    return toStaff(found);
  }

  async storeExists(storeId: string): Promise<boolean> {
    return Boolean(await this.deps.stores.exists({ _id: storeId, active: true }));
  }

  async listStores(includeInactive: boolean) {
    const docs = await this.deps.stores.find(includeInactive ? {} : { active: true }).sort({ _id: 1 }).lean<Store[]>();
    return { items: docs.map(toStore), nextCursor: null };
  }

  async createStore(actor: Actor, requestId: string, body: { id: string; name: string; city?: string }) {
    try {
      const [created] = await this.deps.stores.create([
        { _id: body.id, name: body.name, city: body.city ?? null, active: true, createdAt: this.deps.now() },
      ]);
      const answer = toStore(created!.toObject());
      await this.deps.audit.record(actor, requestId, { action: 'store.create', targetType: 'store', targetId: body.id, after: answer });
      return answer;
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError(ErrorCode.CONFLICT, `Store ${body.id} already exists.`);
      throw err;
    }
  }

  async updateStore(actor: Actor, requestId: string, id: string, patch: { name?: string; city?: string | null; active?: boolean }) {
    const before = await this.deps.stores.findByIdAndUpdate(id, { $set: patch }).lean<Store>();
    if (!before) throw errors.notFound('No such store.');
    const after = { ...toStore(before), ...patch };
    await this.deps.audit.record(actor, requestId, { action: 'store.update', targetType: 'store', targetId: id, before: toStore(before), after });
    return after;
  }

  async listStaff(storeId: string | undefined, limit: number, cursor?: string) {
    const query: Record<string, unknown> = storeId ? { storeId } : {};
    if (cursor) {
      if (!Types.ObjectId.isValid(cursor)) throw errors.validation('The cursor is not valid.');
      query._id = { $gt: new Types.ObjectId(cursor) };
    }
    const docs = await this.deps.staff.find(query).sort({ _id: 1 }).limit(limit + 1).lean<StaffAccount[]>();
    const page = docs.slice(0, limit);
    return { items: page.map(toStaff), nextCursor: docs.length > limit ? String(page[page.length - 1]!._id) : null };
  }

  async createStaff(
    actor: Actor,
    requestId: string,
    body: { username: string; name: string; role: 'clerk' | 'manager' | 'hq'; hqRole?: HqRole; storeId?: string; password: string },
  ) {
    if (body.storeId && !(await this.storeExists(body.storeId))) {
      throw errors.validation('No such store.', { fields: [{ field: 'body.storeId', message: 'Unknown store' }] });
    }
    assertAcceptableNewPassword(body.password, { username: body.username, field: 'body.password' });
    try {
      const [created] = await this.deps.staff.create([
        {
          username: body.username,
          name: body.name,
          role: body.role,
          hqRole: body.role === 'hq' ? body.hqRole : null,
          storeId: body.storeId ?? null,
          passwordHash: await hashPassword(body.password),
          active: true,
          // HQ chose this password and knows it: the owner replaces it at first sign-in.
          mustChangePassword: true,
          credentialVersion: 0,
          createdAt: this.deps.now(),
        },
      ]);
      const answer = toStaff(created!.toObject());
      await this.deps.audit.record(actor, requestId, { action: 'staff.create', targetType: 'staff', targetId: answer.id, after: answer });
      return answer;
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError(ErrorCode.CONFLICT, `The username ${body.username} is taken.`);
      throw err;
    }
  }

  /**
   * HQ changes an account: name, role and store (store staff), HQ role (HQ accounts), disable or re-enable,
   * or a password reset (the owner must change it at next sign-in). A change of role, HQ role or store
   * retires the account's access tokens (its sessions refresh into the new claims); a reset or a disable
   * ends its sessions. The last active HQ admin cannot be disabled or lose the admin role.
   */
  async updateStaff(
    actor: Actor,
    requestId: string,
    id: string,
    patch: { name?: string; role?: 'clerk' | 'manager'; hqRole?: HqRole; storeId?: string; active?: boolean; password?: string },
  ) {
    const { staff, tokens, audit } = this.deps;
    if (!Types.ObjectId.isValid(id)) throw errors.notFound('No such staff account.');
    if (patch.storeId && !(await this.storeExists(patch.storeId))) {
      throw errors.validation('No such store.', { fields: [{ field: 'body.storeId', message: 'Unknown store' }] });
    }
    const { password, ...fields } = patch;
    const passwordHash = password ? await hashPassword(password) : undefined;
    const result = await inTransaction(staff.db, undefined, async (session) => {
      const before = await staff.findById(id).session(session).lean<StaffAccount>();
      if (!before) throw errors.notFound('No such staff account.');
      const isHq = before.role === 'hq';
      if (isHq && (fields.role || fields.storeId)) {
        throw errors.validation('An HQ account has no store role or store; create a store account instead.', {
          fields: [{ field: fields.role ? 'body.role' : 'body.storeId', message: 'HQ accounts have no store' }],
        });
      }
      if (!isHq && fields.hqRole) {
        throw errors.validation('Store staff have no HQ role.', { fields: [{ field: 'body.hqRole', message: 'Store staff have no HQ role' }] });
      }
      if (password) assertAcceptableNewPassword(password, { username: before.username, field: 'body.password' });

      const claimsChange =
        (fields.role !== undefined && fields.role !== before.role) ||
        (fields.storeId !== undefined && fields.storeId !== before.storeId) ||
        (fields.hqRole !== undefined && fields.hqRole !== hqRoleOf(before));
      const disables = fields.active === false && before.active;
      const endsSessions = Boolean(password) || disables;
      const set: Record<string, unknown> = { ...fields };
      if (passwordHash) Object.assign(set, { passwordHash, mustChangePassword: true });
      if (endsSessions) set.credentialVersion = (before.credentialVersion ?? 0) + 1;

      // Removing an active admin: the guard write makes concurrent removals conflict, and the count after
      // this change (in the same snapshot) must leave at least one active HQ admin.
      const removesAdmin = isHq && before.active && hqRoleOf(before) === 'admin' && (disables || (fields.hqRole !== undefined && fields.hqRole !== 'admin'));
      if (removesAdmin) {
        await staffGuardModel(staff.db).updateOne({ _id: 'hq-admins' }, { $inc: { writes: 1 } }, { upsert: true, session });
      }
      const after = await staff.findOneAndUpdate({ _id: before._id }, { $set: set }, { returnDocument: 'after', session }).lean<StaffAccount>();
      if (!after) throw errors.notFound('No such staff account.');
      if (removesAdmin && (await staff.countDocuments(ACTIVE_HQ_ADMIN, { session })) === 0) {
        throw new AppError(ErrorCode.CONFLICT, 'HQ needs at least one active admin: appoint another admin first.');
      }
      if (endsSessions) await tokens.revokeAll({ staffId: id }, session);
      else if (claimsChange) await tokens.retireTokens({ staffId: id }, session);
      await audit.record(
        actor,
        requestId,
        {
          action: 'staff.update',
          targetType: 'staff',
          targetId: id,
          before: toStaff(before),
          after: { ...toStaff(after), ...(password ? { passwordReset: true } : {}), sessions: endsSessions ? 'ended' : claimsChange ? 'tokens retired' : 'kept' },
        },
        session,
      );
      return toStaff(after);
    });
    tokens.forget();
    return result;
  }
}
