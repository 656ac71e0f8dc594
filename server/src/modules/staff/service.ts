import { Types } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../../lib/passwords';
import type { RateLimits } from '../../lib/rateLimit';
import type { Actor } from '../../lib/requestContext';
import type { TokenService } from '../../lib/tokens';
import { ErrorCode } from '@membercard/shared';
import type { AuditService } from '../audit/service';
import type { StaffAccount, Store, staffModel, storeModel } from './model';
import { beginSignIn } from './signInLimits';

const toStore = (s: Store) => ({ id: s._id, name: s.name, ...(s.city ? { city: s.city } : {}), active: s.active });
const toStaff = (s: StaffAccount) => ({
  id: String(s._id),
  username: s.username,
  name: s.name,
  role: s.role,
  storeId: s.storeId,
  active: s.active,
  createdAt: s.createdAt.toISOString(),
});

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
    if (found.role === 'hq') {
      const pair = await tokens.issue({ type: 'admin', staffId: id, role: 'hq' });
      return { ...pair, admin: { id, name: found.name, role: 'hq' as const } };
    }
    const pair = await tokens.issue({ type: 'staff', staffId: id, role: found.role, storeId: found.storeId! });
    return { ...pair, staff: { id, name: found.name, role: found.role, storeId: found.storeId! } };
  }

  async assertActive(staffId: string): Promise<void> {
    if (!Types.ObjectId.isValid(staffId)) throw errors.unauthenticated();
    const found = await this.deps.staff.exists({ _id: staffId, active: true });
    if (!found) throw errors.unauthenticated('This account is disabled.');
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
    body: { username: string; name: string; role: 'clerk' | 'manager' | 'hq'; storeId?: string; password: string },
  ) {
    if (body.storeId && !(await this.storeExists(body.storeId))) {
      throw errors.validation('No such store.', { fields: [{ field: 'body.storeId', message: 'Unknown store' }] });
    }
    try {
      const [created] = await this.deps.staff.create([
        {
          username: body.username,
          name: body.name,
          role: body.role,
          storeId: body.storeId ?? null,
          passwordHash: await hashPassword(body.password),
          active: true,
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

  async updateStaff(
    actor: Actor,
    requestId: string,
    id: string,
    patch: { name?: string; role?: 'clerk' | 'manager'; storeId?: string; active?: boolean; password?: string },
  ) {
    if (!Types.ObjectId.isValid(id)) throw errors.notFound('No such staff account.');
    if (patch.storeId && !(await this.storeExists(patch.storeId))) {
      throw errors.validation('No such store.', { fields: [{ field: 'body.storeId', message: 'Unknown store' }] });
    }
    const { password, ...fields } = patch;
    const set: Record<string, unknown> = { ...fields };
    if (password) set.passwordHash = await hashPassword(password);
    const before = await this.deps.staff.findOneAndUpdate({ _id: id, role: { $ne: 'hq' } }, { $set: set }).lean<StaffAccount>();
    if (!before) throw errors.notFound('No such staff account.');
    if (patch.active === false || password) await this.deps.tokens.revokeAll({ staffId: id });
    const after = { ...toStaff(before), ...fields };
    await this.deps.audit.record(actor, requestId, {
      action: 'staff.update',
      targetType: 'staff',
      targetId: id,
      before: toStaff(before),
      after: { ...after, ...(password ? { passwordChanged: true } : {}) },
    });
    return after;
  }
}
