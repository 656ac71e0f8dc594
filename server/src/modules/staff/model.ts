import type { HqRole } from '@membercard/shared';
import mongoose, { Schema, Types } from 'mongoose';

/** A store; its id is its code (`SH01`). */
export interface Store {
  _id: string;
  name: string;
  city: string | null;
  active: boolean;
  createdAt: Date;
}

const StoreSchema = new Schema<Store>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    city: { type: String, default: null },
    active: { type: Boolean, default: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'stores' },
);

/**
 * A staff or HQ account. HQ accounts (role hq) have no store and an HQ role (accounts from before HQ
 * roles have none and are admins). `credentialVersion` goes up when the password changes or the account is
 * disabled: a session signed in under an older one cannot refresh.
 */
export interface StaffAccount {
  _id: Types.ObjectId;
  username: string;
  name: string;
  role: 'clerk' | 'manager' | 'hq';
  hqRole?: HqRole | null;
  storeId: string | null;
  passwordHash: string;
  active: boolean;
  mustChangePassword?: boolean;
  credentialVersion?: number;
  createdAt: Date;
}

const StaffSchema = new Schema<StaffAccount>(
  {
    username: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    role: { type: String, enum: ['clerk', 'manager', 'hq'], required: true },
    hqRole: { type: String, enum: ['admin', 'marketing', 'viewer', null], default: null },
    storeId: { type: String, default: null },
    passwordHash: { type: String, required: true },
    active: { type: Boolean, default: true },
    mustChangePassword: { type: Boolean, default: false },
    credentialVersion: { type: Number, default: 0 },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'staff' },
);
StaffSchema.index({ storeId: 1, username: 1 });

/** The effective HQ role of an HQ account: stored, or admin for accounts from before HQ roles. */
export const hqRoleOf = (account: Pick<StaffAccount, 'hqRole'>): HqRole => account.hqRole ?? 'admin';
/** Filter for accounts that are active HQ admins (a missing hqRole counts as admin). */
export const ACTIVE_HQ_ADMIN = { role: 'hq', active: true, hqRole: { $in: ['admin', null] } } as const;

/**
 * One document every change that could remove an active HQ admin writes inside its transaction, so two such
 * changes conflict (one retries and sees the other) and cannot together leave HQ without an admin.
 */
interface StaffGuard {
  _id: string;
  writes: number;
}
const StaffGuardSchema = new Schema<StaffGuard>({ _id: String, writes: Number }, { versionKey: false, collection: 'staff_guards' });
export function staffGuardModel(conn: mongoose.Connection) {
  return conn.models.StaffGuard ?? conn.model<StaffGuard>('StaffGuard', StaffGuardSchema);
}

export function storeModel(conn: mongoose.Connection) {
  return conn.models.Store ?? conn.model<Store>('Store', StoreSchema);
}

export function staffModel(conn: mongoose.Connection) {
  return conn.models.StaffAccount ?? conn.model<StaffAccount>('StaffAccount', StaffSchema);
}
