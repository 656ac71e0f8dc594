import { ErrorCode, type PaymentPinBody, type PaymentPinStatus } from '@membercard/shared';
import type mongoose from 'mongoose';
import { Schema, Types } from 'mongoose';
import { AppError } from '../../lib/errors';
import { hashPassword, verifyPassword } from '../../lib/passwords';

// The member's 6-digit payment PIN (支付密码): set in the app, typed on the till to authorize a charge above HQ's
// "confirm above" amount without the phone. Stored as a scrypt hash (lib/passwords.ts, the same KDF as staff
// passwords); a million PINs would otherwise fall to a database copy at once. Wrong attempts are counted in the
// database (so every instance sees them): after 5 in a row the PIN is locked for 30 minutes, doubling with every
// further 5, until a right one or a new PIN resets it. An attempt counts only while the PIN is not locked, and a
// right PIN is accepted only if no lock was set meanwhile, so parallel guesses get at most 5 answers a lock.

export const PIN_ATTEMPTS_BEFORE_LOCK = 5;
export const PIN_LOCK_MS = 30 * 60_000;

export interface PaymentPinDoc {
  _id: Types.ObjectId; // the member
  hash: string;
  failures: number;
  lockedUntil: Date | null;
  updatedAt: Date;
}

const PaymentPinSchema = new Schema<PaymentPinDoc>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    hash: { type: String, required: true },
    failures: { type: Number, required: true, min: 0 },
    lockedUntil: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'stored_value_pins' },
);

export function paymentPinModel(conn: mongoose.Connection) {
  return conn.models.PaymentPin ?? conn.model<PaymentPinDoc>('PaymentPin', PaymentPinSchema);
}

export class PaymentPins {
  constructor(
    private readonly model: ReturnType<typeof paymentPinModel>,
    private readonly now: () => Date,
  ) {}

  async status(memberId: Types.ObjectId): Promise<PaymentPinStatus> {
    const doc = await this.model.findById(memberId).lean<PaymentPinDoc>();
    const at = this.now();
    return {
      set: Boolean(doc),
      lockedUntil: doc?.lockedUntil && doc.lockedUntil > at ? doc.lockedUntil.toISOString() : null,
      updatedAt: doc ? doc.updatedAt.toISOString() : null,
    };
  }

  /**
   * Sets or changes the PIN. Changing needs the current one (counted like a till's attempt), except while it
   * is locked: then the member's signed-in WeChat session is the proof, as for a forgotten PIN.
   */
  async set(memberId: Types.ObjectId, body: PaymentPinBody): Promise<PaymentPinStatus> {
    const existing = await this.model.findById(memberId).lean<PaymentPinDoc>();
    const at = this.now();
    const locked = Boolean(existing?.lockedUntil && existing.lockedUntil > at);
    if (existing && !locked) {
      if (!body.currentPin) {
        throw new AppError(ErrorCode.VALIDATION_FAILED, 'Enter the current payment PIN to change it.', { fields: [{ field: 'body.currentPin', message: 'Required' }] });
      }
      await this.verify(memberId, body.currentPin);
    }
    const hash = await hashPassword(body.pin);
    await this.model.updateOne({ _id: memberId }, { $set: { hash, failures: 0, lockedUntil: null, updatedAt: at } }, { upsert: true });
    return this.status(memberId);
  }

  /** Checks a PIN typed for this member: 422 PIN_NOT_SET, PIN_LOCKED (with lockedUntil) or PIN_INVALID (with attemptsLeft). */
  async verify(memberId: Types.ObjectId, pin: string): Promise<void> {
    const doc = await this.model.findById(memberId).lean<PaymentPinDoc>();
    if (!doc) throw new AppError(ErrorCode.PIN_NOT_SET, 'The member has not set a payment PIN; ask them to confirm on the phone.');
    const lockedError = (until: Date) =>
      new AppError(ErrorCode.PIN_LOCKED, 'Too many wrong PINs: locked for now; the member can confirm on the phone or set a new PIN in the app.', { lockedUntil: until.toISOString() });
    const at = this.now();
    if (doc.lockedUntil && doc.lockedUntil > at) throw lockedError(doc.lockedUntil);
    const unlocked = { $or: [{ lockedUntil: null }, { lockedUntil: { $lte: at } }] };
    if (await verifyPassword(pin, doc.hash)) {
      // Right, unless a lock was set while it was being checked (a parallel guess reached the limit).
      const reset = await this.model.updateOne({ _id: memberId, hash: doc.hash, ...unlocked }, { $set: { failures: 0, lockedUntil: null } });
      if (reset.matchedCount === 1) return;
      const now = await this.model.findById(memberId).lean<PaymentPinDoc>();
      if (now?.lockedUntil && now.lockedUntil > at) throw lockedError(now.lockedUntil);
      throw new AppError(ErrorCode.PIN_INVALID, 'The payment PIN was changed meanwhile; enter the new one.', { attemptsLeft: PIN_ATTEMPTS_BEFORE_LOCK });
    }
    // Counted with the count as its version, so parallel wrong guesses each count once and the one reaching
    // the limit sets the lock in the same write: none of them is answered PIN_INVALID past the limit.
    for (let seen = doc; ; ) {
      if (seen.lockedUntil && seen.lockedUntil > at) throw lockedError(seen.lockedUntil);
      const failures = seen.failures + 1;
      const rounds = failures / PIN_ATTEMPTS_BEFORE_LOCK;
      // Each further round of 5 wrong PINs doubles the lock (30 min, 1 h, 2 h …, at most a week).
      const lockedUntil = Number.isInteger(rounds) ? new Date(at.getTime() + Math.min(PIN_LOCK_MS * 2 ** (rounds - 1), 7 * 24 * 3600_000)) : null;
      const counted = await this.model.updateOne({ _id: memberId, hash: doc.hash, failures: seen.failures, ...unlocked }, { $set: { failures, lockedUntil } });
      if (counted.matchedCount === 1) {
        if (lockedUntil) throw lockedError(lockedUntil);
        throw new AppError(ErrorCode.PIN_INVALID, 'Wrong payment PIN.', { attemptsLeft: PIN_ATTEMPTS_BEFORE_LOCK - (failures % PIN_ATTEMPTS_BEFORE_LOCK) });
      }
      const fresh = await this.model.findById(memberId).lean<PaymentPinDoc>();
      if (!fresh || fresh.hash !== doc.hash) throw new AppError(ErrorCode.PIN_INVALID, 'The payment PIN was changed meanwhile; enter the new one.', { attemptsLeft: PIN_ATTEMPTS_BEFORE_LOCK });
      seen = fresh;
    }
  }
}
