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

/** A staff or HQ account. HQ accounts (role hq) have no store. */
export interface StaffAccount {
  _id: Types.ObjectId;
  username: string;
  name: string;
  role: 'clerk' | 'manager' | 'hq';
  storeId: string | null;
  passwordHash: string;
  active: boolean;
  createdAt: Date;
}

const StaffSchema = new Schema<StaffAccount>(
  {
    username: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    role: { type: String, enum: ['clerk', 'manager', 'hq'], required: true },
    storeId: { type: String, default: null },
    passwordHash: { type: String, required: true },
    active: { type: Boolean, default: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'staff' },
);
StaffSchema.index({ storeId: 1, username: 1 });

export function storeModel(conn: mongoose.Connection) {
  return conn.models.Store ?? conn.model<Store>('Store', StoreSchema);
}

export function staffModel(conn: mongoose.Connection) {
  return conn.models.StaffAccount ?? conn.model<StaffAccount>('StaffAccount', StaffSchema);
}
