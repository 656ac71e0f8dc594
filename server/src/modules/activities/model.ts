import mongoose, { Schema, Types } from 'mongoose';

/**
 * An activity. `seatsLeft` is the capacity guard: a seat is taken by a conditional `$inc: -1` on
 * `seatsLeft > 0`, so parallel sign-ups can never overbook; `signupSeq` numbers sign-ups in arrival order
 * by the same atomic `$inc` (the waitlist is promoted lowest number first). Invariant: seatsLeft = capacity − (confirmed + pending_payment + attended).
 * `waitlistJoined` counts sign-ups numbered onto the waitlist and `waitlistLeft` those that left it (promoted,
 * cancelled, or never written), so a sign-up joining the waitlist reads its position from its own numbering
 * update instead of counting the sign-ups ahead of it. Activities written before the counters lack
 * `waitlistLeft` (it is only ever incremented where it exists) and are counted as before.
 */
export interface ActivityDoc {
  _id: Types.ObjectId;
  title: string;
  description: string;
  coverImageUrl: string | null;
  storeId: string | null;
  address?: string | null;
  location?: { latitude: number; longitude: number } | null;
  startAt: Date;
  endAt: Date;
  signupClosesAt: Date;
  capacity: number;
  tiers: string[];
  feeFen: number;
  attendancePoints: number;
  status: 'draft' | 'published' | 'cancelled';
  seatsLeft: number;
  signupSeq: number;
  waitlistJoined?: number;
  waitlistLeft?: number;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
  cancelledAt: Date | null;
}

const ActivitySchema = new Schema<ActivityDoc>(
  {
    title: { type: String, required: true },
    description: { type: String, default: '' },
    coverImageUrl: { type: String, default: null },
    storeId: { type: String, default: null },
    address: { type: String, default: null },
    location: { type: { _id: false, latitude: Number, longitude: Number }, default: null },
    startAt: { type: Date, required: true },
    endAt: { type: Date, required: true },
    signupClosesAt: { type: Date, required: true },
    capacity: { type: Number, required: true, min: 1 },
    tiers: { type: [String], default: [] },
    feeFen: { type: Number, required: true, min: 0 },
    attendancePoints: { type: Number, required: true, min: 0 },
    status: { type: String, enum: ['draft', 'published', 'cancelled'], required: true },
    seatsLeft: { type: Number, required: true, min: 0 },
    signupSeq: { type: Number, required: true, default: 0 },
    waitlistJoined: { type: Number, default: 0 },
    waitlistLeft: { type: Number, default: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    publishedAt: { type: Date, default: null },
    cancelledAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'activities' },
);
ActivitySchema.index({ status: 1, startAt: 1, _id: 1 });
ActivitySchema.index({ storeId: 1, createdAt: -1, _id: -1 });
ActivitySchema.index({ createdAt: -1, _id: -1 });

export type SignupStatusValue = 'pending_payment' | 'confirmed' | 'waitlisted' | 'cancelled' | 'attended';

/**
 * One member's sign-up. `live: true` marks the sign-ups that count (not cancelled); the partial unique
 * index on (activityId, memberId, live) allows one live sign-up per member and any number of cancelled
 * ones, so a member who cancelled may sign up again.
 */
export interface SignupDoc {
  _id: Types.ObjectId;
  activityId: Types.ObjectId;
  memberId: Types.ObjectId;
  status: SignupStatusValue;
  live?: true;
  /** Arrival number within the activity: the waitlist is promoted in this order. */
  seq: number;
  /** When a held paid seat is released unless paid. */
  paymentDueAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  confirmedAt: Date | null;
  attendedAt: Date | null;
  checkedInBy: string | null;
  cancelledAt: Date | null;
  cancelReason: 'member' | 'payment_timeout' | 'payment_unavailable' | 'activity_cancelled' | null;
}

const SignupSchema = new Schema<SignupDoc>(
  {
    activityId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    status: { type: String, enum: ['pending_payment', 'confirmed', 'waitlisted', 'cancelled', 'attended'], required: true },
    live: { type: Boolean },
    seq: { type: Number, required: true },
    paymentDueAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    confirmedAt: { type: Date, default: null },
    attendedAt: { type: Date, default: null },
    checkedInBy: { type: String, default: null },
    cancelledAt: { type: Date, default: null },
    cancelReason: { type: String, default: null },
  },
  { versionKey: false, collection: 'activity_signups' },
);
SignupSchema.index({ activityId: 1, memberId: 1 }, { unique: true, partialFilterExpression: { live: true }, name: 'one_live_signup_per_member' });
SignupSchema.index({ activityId: 1, status: 1, seq: 1 });
SignupSchema.index({ activityId: 1, seq: 1, _id: 1 });
SignupSchema.index({ memberId: 1, createdAt: -1, _id: -1 });
SignupSchema.index({ status: 1, paymentDueAt: 1 });
// A store's check-ins of a day (modules/shift): by the checking clerk's account, newest first.
SignupSchema.index({ checkedInBy: 1, attendedAt: -1, _id: -1 });

/**
 * Messages owed to members about their sign-ups (the activity was cancelled, a waitlist seat came free, a
 * paid sign-up's fee is back with the shopper).
 * The campaigns module's subscribe-message sender picks up rows with `sentAt: null`; one row per member,
 * activity and kind (unique), so cancelling twice never notifies twice.
 */
export interface SignupNotificationDoc {
  _id: Types.ObjectId;
  kind: 'activity_cancelled' | 'waitlist_promoted' | 'payment_refunded';
  activityId: Types.ObjectId;
  signupId: Types.ObjectId;
  memberId: Types.ObjectId;
  /** Unused by the sender (the kind decides the purpose); kept for older rows. */
  templateKey: string;
  data: Record<string, string | number>;
  createdAt: Date;
  sentAt: Date | null;
  failedAt: Date | null;
}

const SignupNotificationSchema = new Schema<SignupNotificationDoc>(
  {
    kind: { type: String, enum: ['activity_cancelled', 'waitlist_promoted', 'payment_refunded'], required: true },
    activityId: { type: Schema.Types.ObjectId, required: true },
    signupId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    templateKey: { type: String, required: true },
    data: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    failedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'activity_notifications', minimize: false },
);
SignupNotificationSchema.index({ signupId: 1, kind: 1 }, { unique: true });
SignupNotificationSchema.index({ sentAt: 1, createdAt: 1 });

export function activityModel(conn: mongoose.Connection) {
  return (conn.models.Activity as mongoose.Model<ActivityDoc>) ?? conn.model<ActivityDoc>('Activity', ActivitySchema);
}

export function signupModel(conn: mongoose.Connection) {
  return (conn.models.ActivitySignup as mongoose.Model<SignupDoc>) ?? conn.model<SignupDoc>('ActivitySignup', SignupSchema);
}

export function signupNotificationModel(conn: mongoose.Connection) {
  return (
    (conn.models.ActivityNotification as mongoose.Model<SignupNotificationDoc>) ??
    conn.model<SignupNotificationDoc>('ActivityNotification', SignupNotificationSchema)
  );
}
