import {
  ActivityTimesSchema,
  checkInVerdict,
  DEFAULT_CODE_STEP_SECONDS,
  ErrorCode,
  type Activity,
  type ActivityInput,
  type ActivityPatchBody,
  type AdminActivityListQuery,
  type AdminSignup,
  type AdminSignupListQuery,
  type ListQuery,
  type Signup,
} from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { decodeCursor, encodeCursor } from '../../lib/cursor';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { validationError } from '../../lib/route';
import { inTransaction } from '../../lib/transactions';
import type { AuditService } from '../audit/service';
import type { MemberDoc, memberModel } from '../members/model';
import type { MembersService } from '../members/service';
import type { PaymentDoc } from '../payments/model';
import { refundReasonForShopper, type PaymentsService } from '../payments/service';
import type { PointsLedger } from '../points/ledger';
import type { SettingsService } from '../settings/service';
import { assertStoreScope, type StaffService } from '../staff/service';
import type { ActivityDoc, SignupDoc, activityModel, signupModel, signupNotificationModel } from './model';
import type { EventRecorder } from '../webhooks/service';

/** A paid seat is held this long awaiting payment (domain.md), then released by a job. */
export const PAYMENT_HOLD_MS = 15 * 60_000;
/** How long a sign-up trusts this process's note that the activity is full (see signUp). */
const FULL_SEEN_MS = 1_000;
/** Activities noted full at most (past this the notes start afresh). */
const FULL_SEEN_LIMIT = 1_000;

const HOLDS_SEAT: SignupDoc['status'][] = ['confirmed', 'pending_payment', 'attended'];

interface Deps {
  connection: mongoose.Connection;
  activities: ReturnType<typeof activityModel>;
  signups: ReturnType<typeof signupModel>;
  notifications: ReturnType<typeof signupNotificationModel>;
  members: ReturnType<typeof memberModel>;
  membersService: MembersService;
  staff: StaffService;
  payments: PaymentsService;
  ledger: PointsLedger;
  /** HQ's check-in window. */
  settings: SettingsService;
  audit: AuditService;
  now: () => Date;
  codeStepSeconds?: number;
  /** Outbound webhooks' outbox (signup.paid). */
  events?: EventRecorder;
}

/**
 * Sign-ups a transaction moved off the waitlist (promoted, or lapsed for want of a way to pay), as they stood after:
 * once it commits, afterPromotions places the promoted paid seats' orders and counts them out of the waitlist.
 */
type Promoted = SignupDoc[];

/**
 * Activities, sign-ups, the waitlist and check-in. Seats are exact under concurrency: taking one is a
 * conditional `$inc` on the activity's `seatsLeft` (for a sign-up, outside its transaction, so a popular
 * activity's sign-ups never conflict on the activity; a sign-up that is not written gives its seat back), and
 * every sign-up, cancellation, promotion and hold release is one transaction, so seats, sign-ups and payments
 * always agree.
 */
export class ActivitiesService {
  private readonly codeStepSeconds: number;
  /** Activity id (hex) → when (performance.now()) this process last found it with no seat left (see signUp). */
  private readonly fullSeen = new Map<string, number>();

  constructor(private readonly deps: Deps) {
    this.codeStepSeconds = deps.codeStepSeconds ?? DEFAULT_CODE_STEP_SECONDS;
  }

  // ---- HQ and managers ----

  async create(actor: Actor, requestId: string, input: ActivityInput): Promise<Activity> {
    const { activities, connection, audit, now } = this.deps;
    const storeId = input.storeId ?? (actor.type === 'staff' ? actor.storeId : null);
    assertStoreScope(actor, storeId);
    if (storeId) await this.assertStoreExists(storeId);
    const at = now();
    const { draft, ...fields } = input;
    const created = await inTransaction(connection, undefined, async (session) => {
      const [doc] = await activities.create(
        [
          {
            ...this.storedFields(fields),
            storeId,
            status: draft ? 'draft' : 'published',
            seatsLeft: fields.capacity,
            signupSeq: 0,
            createdAt: at,
            updatedAt: at,
            publishedAt: draft ? null : at,
          },
        ],
        { session },
      );
      const activity = doc!.toObject() as ActivityDoc;
      await audit.record(actor, requestId, { action: 'activity.create', targetType: 'activity', targetId: String(activity._id), after: input }, session);
      return activity;
    });
    return this.view(created);
  }

  async update(actor: Actor, requestId: string, activityId: string, patch: ActivityPatchBody): Promise<Activity> {
    const { activities, signups, connection, audit, now } = this.deps;
    const current = await this.loadForStaff(actor, activityId);
    if (current.status === 'cancelled') throw new AppError(ErrorCode.CONFLICT, 'A cancelled activity cannot be edited.');
    if (patch.storeId !== undefined) {
      assertStoreScope(actor, patch.storeId);
      await this.assertStoreExists(patch.storeId);
    }
    const times = ActivityTimesSchema.safeParse({
      startAt: patch.startAt ?? current.startAt.toISOString(),
      endAt: patch.endAt ?? current.endAt.toISOString(),
      signupClosesAt: patch.signupClosesAt ?? current.signupClosesAt.toISOString(),
    });
    if (!times.success) throw validationError('body', times.error);
    const promoted: Promoted = [];
    const updated = await inTransaction(connection, undefined, async (session) => {
      promoted.length = 0;
      const before = await activities.findById(current._id).session(session).lean<ActivityDoc>();
      if (!before || before.status === 'cancelled') throw new AppError(ErrorCode.CONFLICT, 'A cancelled activity cannot be edited.');
      if (patch.feeFen !== undefined && patch.feeFen !== before.feeFen && (await signups.exists({ activityId: before._id, live: true }).session(session))) {
        throw new AppError(ErrorCode.CONFLICT, 'The fee cannot change once members have signed up.');
      }
      const delta = patch.capacity === undefined ? 0 : patch.capacity - before.capacity;
      // Lowering capacity below the seats already taken is refused by the same guard that keeps seatsLeft ≥ 0.
      const after = await activities
        .findOneAndUpdate(
          { _id: before._id, capacity: before.capacity, seatsLeft: { $gte: -delta } },
          { $set: { ...this.storedFields(patch), updatedAt: now() }, $inc: { seatsLeft: delta } },
          { returnDocument: 'after', session },
        )
        .lean<ActivityDoc>();
      if (!after) throw new AppError(ErrorCode.CONFLICT, 'Capacity cannot go below the seats already taken.');
      if (delta > 0 && after.status === 'published') promoted.push(...(await this.fillFreeSeats(after, session)));
      await audit.record(actor, requestId, { action: 'activity.update', targetType: 'activity', targetId: activityId, before: pick(before, Object.keys(patch)), after: patch }, session);
      return after;
    });
    await this.afterPromotions(promoted);
    return this.view(updated);
  }

  async publish(actor: Actor, requestId: string, activityId: string): Promise<Activity> {
    const { activities, connection, audit, now } = this.deps;
    const current = await this.loadForStaff(actor, activityId);
    const published = await inTransaction(connection, undefined, async (session) => {
      const at = now();
      const doc = await activities
        .findOneAndUpdate({ _id: current._id, status: 'draft' }, { $set: { status: 'published', publishedAt: at, updatedAt: at } }, { returnDocument: 'after', session })
        .lean<ActivityDoc>();
      if (!doc) throw new AppError(ErrorCode.CONFLICT, `The activity is ${current.status}, not a draft.`);
      await audit.record(actor, requestId, { action: 'activity.publish', targetType: 'activity', targetId: activityId, before: { status: 'draft' }, after: { status: 'published' } }, session);
      return doc;
    });
    return this.view(published);
  }

  /**
   * Cancels the activity and every live sign-up in one transaction: paid seats are marked for refund,
   * unpaid orders for closing, and a notification is owed to each member. WeChat Pay is called after
   * commit; the payments job retries whatever fails.
   */
  async cancel(actor: Actor, requestId: string, activityId: string): Promise<Activity> {
    const { activities, signups, notifications, payments, connection, audit, now } = this.deps;
    const current = await this.loadForStaff(actor, activityId);
    let refunds: Types.ObjectId[] = [];
    let closings: Types.ObjectId[] = [];
    const cancelled = await inTransaction(connection, undefined, async (session) => {
      const at = now();
      const doc = await activities
        .findOneAndUpdate(
          { _id: current._id, status: { $in: ['draft', 'published'] } },
          { $set: { status: 'cancelled', cancelledAt: at, updatedAt: at } },
          { returnDocument: 'after', session },
        )
        .lean<ActivityDoc>();
      if (!doc) throw new AppError(ErrorCode.CONFLICT, 'The activity is already cancelled.');
      const affected = await signups.find({ activityId: doc._id, live: true }).session(session).lean<SignupDoc[]>();
      await signups.updateMany(
        { activityId: doc._id, live: true },
        { $set: { status: 'cancelled', cancelledAt: at, cancelReason: 'activity_cancelled', updatedAt: at, paymentDueAt: null }, $unset: { live: 1 } },
        { session },
      );
      refunds = await payments.markRefunding({ activityId: doc._id }, 'activity cancelled', session);
      closings = await payments.markClosing({ activityId: doc._id }, session);
      if (affected.length > 0) {
        await notifications.insertMany(
          affected.map((signup) => ({
            kind: 'activity_cancelled' as const,
            activityId: doc._id,
            signupId: signup._id,
            memberId: signup.memberId,
            templateKey: 'activityReminder' as const,
            // The messaging module fills the activity-cancelled template from these (title, start, note).
            data: { title: doc.title, startAt: doc.startAt.toISOString(), note: doc.feeFen > 0 ? '活动已取消，报名费将原路退回' : '活动已取消，敬请谅解' },
            createdAt: at,
            sentAt: null,
            failedAt: null,
          })),
          { session },
        );
      }
      await audit.record(
        actor,
        requestId,
        { action: 'activity.cancel', targetType: 'activity', targetId: activityId, before: { status: current.status }, after: { status: 'cancelled', signupsCancelled: affected.length, refunds: refunds.length } },
        session,
      );
      return doc;
    });
    for (const paymentId of refunds) await payments.issueRefund(paymentId);
    for (const paymentId of closings) await payments.closeAtProvider(paymentId);
    return this.view(cancelled);
  }

  async adminGet(actor: Actor, activityId: string): Promise<Activity> {
    return this.view(await this.loadForStaff(actor, activityId));
  }

  async adminList(actor: Actor, query: AdminActivityListQuery) {
    const filter: Record<string, unknown> = {};
    if (actor.type === 'staff') filter.storeId = actor.storeId;
    const now = this.deps.now();
    if (query.status === 'finished') Object.assign(filter, { status: 'published', endAt: { $lte: now } });
    else if (query.status === 'published') Object.assign(filter, { status: 'published', endAt: { $gt: now } });
    else if (query.status) filter.status = query.status;
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      filter.$or = [{ createdAt: { $lt: after.at } }, { createdAt: after.at, _id: { $lt: after.id } }];
    }
    const docs = await this.deps.activities.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.limit + 1).lean<ActivityDoc[]>();
    const page = docs.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: await this.views(page),
      nextCursor: docs.length > query.limit && last ? encodeCursor({ at: last.createdAt, id: last._id }) : null,
    };
  }

  /** Sign-ups in arrival order (the waitlist is promoted in this order); `?status=` narrows it. */
  async adminSignups(actor: Actor, activityId: string, query: AdminSignupListQuery) {
    const activity = await this.loadForStaff(actor, activityId);
    const filter: Record<string, unknown> = { activityId: activity._id };
    if (query.status) filter.status = query.status;
    if (query.cursor) {
      // The cursor's position carries the arrival number (seq) of the last sign-up shown.
      const after = decodeCursor(query.cursor);
      const seq = after.at.getTime();
      filter.$or = [{ seq: { $gt: seq } }, { seq, _id: { $gt: after.id } }];
    }
    const docs = await this.deps.signups.find(filter).sort({ seq: 1, _id: 1 }).limit(query.limit + 1).lean<SignupDoc[]>();
    const page = docs.slice(0, query.limit);
    const [members, payments] = await Promise.all([
      this.deps.members.find({ _id: { $in: page.map((s) => s.memberId) } }, { cardNo: 1, name: 1, phone: 1 }).lean<MemberDoc[]>(),
      this.deps.payments.forPurposes(page.map((s) => s._id)),
    ]);
    const byId = new Map(members.map((m) => [String(m._id), m]));
    const items: AdminSignup[] = [];
    for (const signup of page) {
      const member = byId.get(String(signup.memberId));
      const payment = payments.get(String(signup._id));
      items.push({
        ...(await this.signupView(signup, activity, { withPayment: false })),
        memberId: String(signup.memberId),
        ...(member ? { member: definedOnly({ id: String(member._id), cardNo: member.cardNo, name: member.name, phone: member.phone }) as AdminSignup['member'] } : {}),
        ...(payment ? { paymentStatus: payment.status } : {}),
        ...(signup.cancelReason ? { cancelReason: signup.cancelReason } : {}),
      });
    }
    const last = page[page.length - 1];
    return { items, nextCursor: docs.length > query.limit && last ? encodeCursor({ at: new Date(last.seq), id: last._id }) : null };
  }

  // ---- public catalogue ----

  async publicList(query: ListQuery) {
    const filter: Record<string, unknown> = { status: 'published', endAt: { $gt: this.deps.now() } };
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      filter.$or = [{ startAt: { $gt: after.at } }, { startAt: after.at, _id: { $gt: after.id } }];
    }
    const docs = await this.deps.activities.find(filter).sort({ startAt: 1, _id: 1 }).limit(query.limit + 1).lean<ActivityDoc[]>();
    const page = docs.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: await this.views(page), nextCursor: docs.length > query.limit && last ? encodeCursor({ at: last.startAt, id: last._id }) : null };
  }

  /** Published (and cancelled, so members see why their sign-up ended); drafts do not exist publicly. */
  async publicGet(activityId: string): Promise<Activity> {
    const activity = await this.findActivity(activityId);
    if (!activity || activity.status === 'draft') throw errors.notFound('No such activity.');
    return this.view(activity);
  }

  // ---- members ----

  /**
   * `known`: the member as the member route's check read it (active) in this request; read here when not given.
   * The seat's conditional update is the check that sign-up is open (published, before the deadline, the member's
   * tier, a WeChat sign-in for a paid activity): the activity is read only when it refuses, to tell why. A second
   * sign-up is refused by the one-live-sign-up index (its seat goes straight back), not by a read before.
   */
  async signUp(memberId: string, activityId: string, known?: MemberDoc): Promise<Signup> {
    const { activities, signups, connection, payments, membersService, now } = this.deps;
    const member = known ?? (await membersService.load(memberId, ['active']));
    if (!Types.ObjectId.isValid(activityId)) throw errors.notFound('No such activity.');
    const activityObjectId = new Types.ObjectId(activityId);
    const open: Record<string, unknown> = {
      _id: activityObjectId,
      status: 'published',
      signupClosesAt: { $gte: now() },
      $and: [{ $or: [{ tiers: { $size: 0 } }, { tiers: member.tier }] }, ...(member.openid ? [] : [{ feeFen: 0 }])],
    };
    const alreadySignedUp = () => new AppError(ErrorCode.ALREADY_SIGNED_UP, 'You have already signed up for this activity.');

    // The seat (or the place in the waitlist's order) is taken with one conditional update outside the sign-up's
    // transaction: a popular activity's sign-ups then never conflict on the activity document (each would have
    // retried its whole transaction). If the sign-up is not written after all, the seat goes back as a released
    // one (to the first on the waitlist).
    // While this process saw the activity full within the last second, a sign-up joins the waitlist without trying
    // for a seat first (a popular activity's rush costs one update each, not two): the note is only a hint, since
    // a seat freed meanwhile is found by the re-check below and handed to the first in line.
    const hex = activityObjectId.toHexString();
    const fullAt = this.fullSeen.get(hex);
    const fullNoted = fullAt !== undefined && performance.now() - fullAt < FULL_SEEN_MS;
    // The rush's writes and reads go through the driver: the filters are already of the stored types, so there is
    // nothing for mongoose to cast, and its query and document building was ~10% of a sign-up rush's CPU.
    const seated = fullNoted
      ? null
      : await activities.collection.findOneAndUpdate({ ...open, seatsLeft: { $gt: 0 } }, { $inc: { seatsLeft: -1, signupSeq: 1 } }, { returnDocument: 'after' }) as ActivityDoc | null;
    const numbered =
      seated ?? (await activities.collection.findOneAndUpdate(open, { $inc: { signupSeq: 1, waitlistJoined: 1 } }, { returnDocument: 'after' }) as ActivityDoc | null);
    if (!numbered) throw await this.signupRefusal(activityObjectId, member);
    // The update's answer says whether a seat is left: none (the last one taken now, or none to take) notes the
    // activity full afresh, so a rush longer than FULL_SEEN_MS keeps its note instead of every sign-up then in
    // flight trying for a seat again.
    if (numbered.seatsLeft > 0) this.fullSeen.delete(hex);
    else {
      if (this.fullSeen.size >= FULL_SEEN_LIMIT && !this.fullSeen.has(hex)) this.fullSeen.clear();
      this.fullSeen.set(hex, performance.now());
    }
    const activity = numbered;
    const paid = activity.feeFen > 0;
    const signupId = new Types.ObjectId();
    let payment: PaymentDoc | null = null;
    let created: SignupDoc;
    try {
      // A free sign-up is one document: one insert, no transaction. A paid one writes its payment with it.
      const write = async (session?: ClientSession): Promise<SignupDoc> => {
        payment = null;
        const at = now();
        const status: SignupDoc['status'] = !seated ? 'waitlisted' : paid ? 'pending_payment' : 'confirmed';
        // Every field the schema stores (its defaults included), inserted by the driver: nothing to validate or cast.
        const signup: SignupDoc = {
          _id: signupId,
          activityId: activity._id,
          memberId: member._id,
          status,
          live: true,
          seq: numbered.signupSeq,
          paymentDueAt: status === 'pending_payment' ? new Date(at.getTime() + PAYMENT_HOLD_MS) : null,
          createdAt: at,
          updatedAt: at,
          confirmedAt: status === 'confirmed' ? at : null,
          attendedAt: null,
          checkedInBy: null,
          cancelledAt: null,
          cancelReason: null,
        };
        await signups.collection.insertOne(signup as never, { session });
        if (status === 'pending_payment') payment = await this.createPayment(signup, activity, member.openid!, session!);
        return signup;
      };
      created = paid ? await inTransaction(connection, undefined, write) : await write();
    } catch (err) {
      if (!(await signups.exists({ _id: signupId }))) {
        if (seated) await this.giveBackSeat(activity._id);
        else await this.leftWaitlist(activity._id);
      }
      if (isDuplicateKeyError(err)) throw alreadySignedUp();
      throw err;
    }
    // The full note was stale (the numbering saw a free seat): hand the free seats on now, to the first in line,
    // and answer this sign-up as it then stands. A seat given back after this numbering, before the insert, found
    // nobody waiting yet: the every-minute sweep (fillWaitingSeats) hands it on.
    if (!seated && numbered.seatsLeft > 0) {
      await this.fillSeats(activity._id);
      created = (await signups.findById(signupId).lean<SignupDoc>()) ?? created;
    }
    if (!payment) {
      // Joining the waitlist: the numbering update's counters say how many are waiting up to and including this
      // sign-up (sign-ups numbered ahead and still being written count: they are ahead).
      const position = created.status === 'waitlisted' && typeof numbered.waitlistLeft === 'number' ? numbered.waitlistJoined! - numbered.waitlistLeft : undefined;
      return this.signupView(created, activity, { waitlistPosition: position });
    }
    try {
      const params = await payments.prepay((payment as PaymentDoc)._id);
      return { ...(await this.signupView(created, activity, { withPayment: false })), payment: params };
    } catch {
      // No order means no way to pay: give the seat back (to the waitlist) instead of holding it 15 minutes.
      await this.releaseHold(created._id, 'payment_unavailable');
      throw new AppError(ErrorCode.PAYMENT_UNAVAILABLE, 'WeChat Pay is unavailable right now; please try again shortly.');
    }
  }

  /** Before the sign-up deadline: frees the seat for the first on the waitlist and refunds a paid seat. */
  async cancelMine(memberId: string, activityId: string): Promise<Signup> {
    const { signups, connection, payments, now } = this.deps;
    const activity = await this.findActivity(activityId);
    if (!activity || activity.status === 'draft') throw errors.notFound('No such activity.');
    const memberObjectId = new Types.ObjectId(memberId);
    if (this.deps.now() > activity.signupClosesAt) {
      throw new AppError(ErrorCode.SIGNUP_CLOSED, 'Sign-ups can no longer be cancelled: the sign-up deadline has passed.');
    }
    let refunds: Types.ObjectId[] = [];
    let closings: Types.ObjectId[] = [];
    const promoted: Promoted = [];
    const cancelled = await inTransaction(connection, undefined, async (session) => {
      promoted.length = 0;
      const at = now();
      const before = await signups
        .findOneAndUpdate(
          { activityId: activity._id, memberId: memberObjectId, live: true, status: { $in: ['confirmed', 'pending_payment', 'waitlisted'] } },
          { $set: { status: 'cancelled', cancelledAt: at, cancelReason: 'member', updatedAt: at, paymentDueAt: null }, $unset: { live: 1 } },
          { session },
        )
        .lean<SignupDoc>();
      if (!before) {
        const attended = await signups.exists({ activityId: activity._id, memberId: memberObjectId, live: true, status: 'attended' }).session(session);
        if (attended) throw new AppError(ErrorCode.CONFLICT, 'You have already attended this activity.');
        throw errors.notFound('You have no sign-up for this activity.');
      }
      if (HOLDS_SEAT.includes(before.status)) promoted.push(...(await this.releaseSeat(activity._id, session)));
      else if (before.status === 'waitlisted') promoted.push({ ...before, status: 'cancelled' }); // left the waitlist
      refunds = await payments.markRefunding({ 'purpose.id': before._id }, 'member cancelled', session);
      closings = await payments.markClosing({ 'purpose.id': before._id }, session);
      return { ...before, status: 'cancelled' as const, cancelledAt: at };
    });
    for (const paymentId of refunds) await payments.issueRefund(paymentId);
    for (const paymentId of closings) await payments.closeAtProvider(paymentId);
    await this.afterPromotions(promoted);
    return this.signupView(cancelled, activity, { withPayment: false });
  }

  async mySignups(memberId: string, query: ListQuery) {
    const filter: Record<string, unknown> = { memberId: new Types.ObjectId(memberId) };
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      filter.$or = [{ createdAt: { $lt: after.at } }, { createdAt: after.at, _id: { $lt: after.id } }];
    }
    const docs = await this.deps.signups.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.limit + 1).lean<SignupDoc[]>();
    const page = docs.slice(0, query.limit);
    const activities = await this.deps.activities.find({ _id: { $in: page.map((s) => s.activityId) } }).lean<ActivityDoc[]>();
    const byId = new Map(activities.map((a) => [String(a._id), a]));
    const items: Signup[] = [];
    for (const signup of page) items.push(await this.signupView(signup, byId.get(String(signup.activityId)) ?? null));
    const last = page[page.length - 1];
    return { items, nextCursor: docs.length > query.limit && last ? encodeCursor({ at: last.createdAt, id: last._id }) : null };
  }

  /** The check-in QR of one's own confirmed sign-up; another member's sign-up does not exist (404). */
  async signupCode(memberId: string, signupId: string) {
    const signup = await this.ownSignup(memberId, signupId);
    if (signup.status !== 'confirmed' && signup.status !== 'attended') {
      throw new AppError(ErrorCode.CONFLICT, `A ${signup.status} sign-up has no check-in code.`);
    }
    const member = await this.deps.membersService.load(memberId, ['active']);
    return this.deps.membersService.codeAnswer(member, 'signup', String(signup._id));
  }

  // ---- staff ----

  /** Marks a confirmed sign-up attended and awards the attendance points, both once, in one transaction. */
  async checkIn(actor: Actor, requestId: string, code: string): Promise<Signup> {
    const { signups, connection, ledger, audit, now } = this.deps;
    const { parsed } = await this.deps.membersService.verifyScannedCode(code);
    if (parsed.kind !== 'signup') throw new AppError(ErrorCode.CODE_INVALID, 'This is not a sign-up code.');
    const { signup, activity } = await this.signupForStaff(actor, parsed.subject);
    // Only around the activity (HQ's window): a sign-up for next week checked in today would be paid its points early.
    const verdict = checkInVerdict(activity, (await this.deps.settings.cached()).checkInWindow, now());
    if (!verdict.ok && signup.status === 'confirmed') {
      const message = verdict.code === 'CHECKIN_NOT_OPEN' ? 'Check-in has not opened for this activity yet.' : 'Check-in for this activity has closed.';
      throw new AppError(ErrorCode[verdict.code], message, { opensAt: verdict.opensAt.toISOString(), closesAt: verdict.closesAt.toISOString() });
    }
    const attended = await inTransaction(connection, undefined, async (session) => {
      const at = now();
      const doc = await signups
        .findOneAndUpdate(
          { _id: signup._id, status: 'confirmed' },
          { $set: { status: 'attended', attendedAt: at, checkedInBy: actor.type === 'anonymous' || actor.type === 'shopper' ? null : actor.staffId, updatedAt: at } },
          { returnDocument: 'after', session },
        )
        .lean<SignupDoc>();
      if (!doc) {
        const current = await signups.findById(signup._id).session(session).lean<SignupDoc>();
        if (current?.status === 'attended') throw new AppError(ErrorCode.ALREADY_CHECKED_IN, 'This sign-up is already checked in.');
        throw new AppError(ErrorCode.CONFLICT, `A ${current?.status ?? 'missing'} sign-up cannot be checked in.`);
      }
      if (activity.attendancePoints > 0) {
        await ledger.earn({
          memberId: doc.memberId,
          amount: activity.attendancePoints,
          reason: `活动签到：${activity.title}`,
          source: 'attendance',
          idempotencyKey: `attendance:${String(doc._id)}`,
          storeId: activity.storeId ?? (actor.type === 'staff' ? actor.storeId : null),
          actorId: actor.type === 'staff' || actor.type === 'admin' ? actor.staffId : null,
          session,
        });
      }
      await audit.record(
        actor,
        requestId,
        { action: 'activity.checkin', targetType: 'signup', targetId: String(doc._id), memberId: String(doc.memberId), before: { status: 'confirmed' }, after: { status: 'attended', pointsAwarded: activity.attendancePoints } },
        session,
      );
      return doc;
    });
    return this.signupView(attended, activity, { withPayment: false });
  }

  /** What POST /staff/scan shows for a sign-up code (the clerk's own store only). */
  async scanDetails(signupId: string, actor: Actor): Promise<Signup> {
    const { signup, activity } = await this.signupForStaff(actor, signupId);
    return this.signupView(signup, activity, { withPayment: false });
  }

  /** The sign-ups a numeric sign-up code of this member may name: those that have a check-in code. */
  async codeCandidates(memberId: Types.ObjectId): Promise<string[]> {
    const docs = await this.deps.signups
      .find({ memberId, status: { $in: ['confirmed', 'attended'] } }, { _id: 1 })
      .sort({ createdAt: -1 })
      .limit(500)
      .lean<Pick<SignupDoc, '_id'>[]>();
    return docs.map((doc) => String(doc._id));
  }

  /** Whose a sign-up code is, for MembersService.verifyScannedCode. */
  async codeOwner(signupId: string): Promise<Types.ObjectId | null> {
    if (!Types.ObjectId.isValid(signupId)) return null;
    const signup = await this.deps.signups.findById(signupId, { memberId: 1, status: 1 }).lean<SignupDoc>();
    return signup && signup.status !== 'cancelled' ? signup.memberId : null;
  }

  // ---- payments hook and the hold job ----

  /** PaymentsService calls this in its transaction when the money arrives; false → the seat is gone, refund. */
  async onSignupPaid(signupId: Types.ObjectId, session: ClientSession): Promise<boolean> {
    const at = this.deps.now();
    const confirmed = await this.deps.signups
      .findOneAndUpdate({ _id: signupId, status: 'pending_payment' }, { $set: { status: 'confirmed', confirmedAt: at, paymentDueAt: null, updatedAt: at } }, { session, projection: { memberId: 1, activityId: 1 } })
      .lean<Pick<SignupDoc, 'memberId' | 'activityId'>>();
    if (confirmed) await this.deps.events?.record(session, 'signup.paid', confirmed.memberId, { signupId: String(signupId), activityId: String(confirmed.activityId) });
    return confirmed !== null;
  }

  /**
   * WeChat Pay has the fee back with the shopper (in the transaction recording it, so once per payment): the
   * refund-result notice is queued for the member, with the activity, the amount and the reason WeChat Pay showed.
   */
  async onPaymentRefunded(payment: PaymentDoc, session: ClientSession): Promise<void> {
    if (payment.purpose.type !== 'signup') return;
    const activity = await this.deps.activities.findById(payment.activityId, { title: 1 }).session(session).lean<Pick<ActivityDoc, 'title'>>();
    const at = this.deps.now();
    await this.deps.notifications.updateOne(
      { signupId: payment.purpose.id, kind: 'payment_refunded' },
      {
        $setOnInsert: {
          activityId: payment.activityId,
          memberId: payment.memberId,
          templateKey: 'refundResult',
          data: {
            title: activity?.title ?? payment.description,
            amountFen: payment.amountFen,
            refundedAt: (payment.refund?.succeededAt ?? at).toISOString(),
            note: refundReasonForShopper(payment.refund?.reason),
          },
          createdAt: at,
          sentAt: null,
          failedAt: null,
        },
      },
      { upsert: true, session },
    );
  }

  /**
   * The job: held paid seats past their 15 minutes. The order is closed at WeChat Pay first (so it can no
   * longer be paid); if the shopper paid after all, the payment is settled instead and the seat kept.
   */
  async releaseExpiredHolds(): Promise<{ processed: number }> {
    const { signups, payments, now } = this.deps;
    const due = await signups.find({ status: 'pending_payment', paymentDueAt: { $lte: now() } }).sort({ paymentDueAt: 1 }).limit(200).lean<SignupDoc[]>();
    let processed = 0;
    for (const signup of due) {
      const payment = await payments.forPurpose(signup._id);
      if (payment && payment.status !== 'closed') {
        const outcome = await payments.closeAtProvider(payment._id);
        if (outcome !== 'closed') continue;
      }
      if (await this.releaseHold(signup._id, 'payment_timeout')) processed += 1;
    }
    return { processed };
  }

  /** Paid seats and payments that disagree (for the reconciliation command). */
  async paidSeatMismatches(): Promise<string[]> {
    const { signups, activities, payments } = this.deps;
    const mismatches: string[] = [];
    const paidActivities = await activities.find({ feeFen: { $gt: 0 } }, { _id: 1, feeFen: 1 }).lean<ActivityDoc[]>();
    for (const activity of paidActivities) {
      const seated = await signups.find({ activityId: activity._id, status: { $in: ['confirmed', 'attended', 'cancelled'] } }).lean<SignupDoc[]>();
      const byPurpose = await payments.forPurposes(seated.map((s) => s._id));
      for (const signup of seated) {
        const payment = byPurpose.get(String(signup._id));
        const label = `sign-up ${String(signup._id)} (${signup.status})`;
        if (signup.status === 'cancelled') {
          if (payment?.status === 'paid') mismatches.push(`${label}: cancelled but its payment ${payment.outTradeNo} is paid and not refunded`);
          continue;
        }
        if (!payment) mismatches.push(`${label}: holds a paid seat without a payment`);
        else if (payment.status !== 'paid') mismatches.push(`${label}: holds a paid seat but payment ${payment.outTradeNo} is ${payment.status}`);
        else if (payment.amountFen !== activity.feeFen) mismatches.push(`${label}: paid ${payment.amountFen} fen, fee is ${activity.feeFen}`);
      }
    }
    return mismatches;
  }

  // ---- internals ----

  /** Cancels a still-held unpaid seat and passes it on; false if it was paid or released meanwhile. */
  private async releaseHold(signupId: Types.ObjectId, reason: 'payment_timeout' | 'payment_unavailable'): Promise<boolean> {
    const { signups, payments, connection, now } = this.deps;
    const promoted: Promoted = [];
    const released = await inTransaction(connection, undefined, async (session) => {
      promoted.length = 0;
      const at = now();
      const before = await signups
        .findOneAndUpdate(
          { _id: signupId, status: 'pending_payment' },
          { $set: { status: 'cancelled', cancelledAt: at, cancelReason: reason, updatedAt: at, paymentDueAt: null }, $unset: { live: 1 } },
          { session },
        )
        .lean<SignupDoc>();
      if (!before) return false;
      await payments.markClosing({ 'purpose.id': before._id }, session);
      promoted.push(...(await this.releaseSeat(before.activityId, session)));
      return true;
    });
    if (released) {
      const payment = await payments.forPurpose(signupId);
      if (payment?.status === 'closing') await payments.closeAtProvider(payment._id);
    }
    await this.afterPromotions(promoted);
    return released;
  }

  /**
   * In the caller's transaction: a seat came free. It goes to the first on the waitlist (a paid seat is
   * held for them with a new order), or back to seatsLeft when nobody waits or the activity has begun.
   */
  private async releaseSeat(activityId: Types.ObjectId, session: ClientSession): Promise<Promoted> {
    const { activities } = this.deps;
    const activity = await activities.findById(activityId).session(session).lean<ActivityDoc>();
    const left: Promoted = [];
    const promoted = activity && activity.status === 'published' && this.deps.now() < activity.startAt ? await this.promoteNext(activity, session, left) : null;
    if (!promoted) await activities.updateOne({ _id: activityId }, { $inc: { seatsLeft: 1 } }, { session });
    return left;
  }

  /** A seat taken for a sign-up that was never written goes back, to the first on the waitlist if anyone waits. */
  private async giveBackSeat(activityId: Types.ObjectId): Promise<void> {
    const promoted = await inTransaction(this.deps.connection, undefined, (session) => this.releaseSeat(activityId, session));
    await this.afterPromotions(promoted);
  }

  /** Free seats and a waitlist at once (a seat went back as someone joined the waitlist): promotes while both remain. */
  private async fillSeats(activityId: Types.ObjectId): Promise<void> {
    const promoted = await inTransaction(this.deps.connection, undefined, async (session) => {
      const activity = await this.deps.activities.findById(activityId).session(session).lean<ActivityDoc>();
      return activity && activity.status === 'published' && this.deps.now() < activity.startAt ? this.fillFreeSeats(activity, session) : [];
    });
    await this.afterPromotions(promoted);
  }

  /** After a capacity increase: hands each new seat to the waitlist while both remain. */
  private async fillFreeSeats(activity: ActivityDoc, session: ClientSession): Promise<Promoted> {
    const promoted: Promoted = [];
    for (;;) {
      const seat = await this.deps.activities.findOneAndUpdate({ _id: activity._id, seatsLeft: { $gt: 0 } }, { $inc: { seatsLeft: -1 } }, { session }).lean();
      if (!seat) return promoted;
      const next = await this.promoteNext(activity, session, promoted);
      if (!next) {
        await this.deps.activities.updateOne({ _id: activity._id }, { $inc: { seatsLeft: 1 } }, { session });
        return promoted;
      }
    }
  }

  /**
   * Sign-ups numbered onto the waitlist left it (promoted, cancelled, or never written): the position counter.
   * Counted after the change commits, not in its transaction: a promotion's transaction then does not write the
   * activity, which a rush's numbering updates keep changing (each such write would be a conflict to retry).
   */
  private async leftWaitlist(activityId: Types.ObjectId, count = 1): Promise<void> {
    await this.deps.activities.collection.updateOne({ _id: activityId, waitlistLeft: { $exists: true } }, { $inc: { waitlistLeft: count } });
  }

  /**
   * Every minute: published activities still ahead with a free seat and sign-ups waiting. A seat given back while a
   * sign-up was between its waitlist numbering and its insert found nobody waiting; this hands it on.
   */
  async fillWaitingSeats(): Promise<{ processed: number }> {
    const { activities, signups, now } = this.deps;
    // The counters say where anyone waits (or is being written onto the waitlist); activities from before them are looked at.
    const candidates = await activities.collection
      .find(
        {
          status: 'published', startAt: { $gt: now() }, seatsLeft: { $gt: 0 },
          $or: [{ waitlistLeft: { $exists: false } }, { $expr: { $gt: ['$waitlistJoined', '$waitlistLeft'] } }],
        },
        { projection: { _id: 1 } },
      )
      .toArray();
    let processed = 0;
    for (const { _id } of candidates) {
      if (!(await signups.exists({ activityId: _id, status: 'waitlisted', live: true }))) continue;
      await this.fillSeats(_id as Types.ObjectId);
      processed += 1;
    }
    return { processed };
  }

  /** Moves the lowest-numbered waitlisted sign-up onto a seat the caller already holds for it; `left` gets each one moved off the waitlist. */
  private async promoteNext(activity: ActivityDoc, session: ClientSession, left: Promoted): Promise<SignupDoc | null> {
    const { signups, members, notifications, now } = this.deps;
    for (;;) {
      const at = now();
      const paid = activity.feeFen > 0;
      const next = await signups
        .findOneAndUpdate(
          { activityId: activity._id, status: 'waitlisted', live: true },
          {
            $set: paid
              ? { status: 'pending_payment', paymentDueAt: new Date(at.getTime() + PAYMENT_HOLD_MS), updatedAt: at }
              : { status: 'confirmed', confirmedAt: at, updatedAt: at },
          },
          { sort: { seq: 1, _id: 1 }, returnDocument: 'after', session },
        )
        .lean<SignupDoc>();
      if (!next) return null;
      if (paid) {
        const member = await members.findById(next.memberId, { openid: 1 }).session(session).lean<MemberDoc>();
        if (!member?.openid) {
          // An erased member cannot pay: their place lapses and the next in line gets the seat.
          await signups.updateOne({ _id: next._id }, { $set: { status: 'cancelled', cancelledAt: at, cancelReason: 'payment_unavailable' }, $unset: { live: 1 } }, { session });
          left.push({ ...next, status: 'cancelled' });
          continue;
        }
        await this.createPayment(next, activity, member.openid, session);
      }
      await notifications.create(
        [
          {
            kind: 'waitlist_promoted',
            activityId: activity._id,
            signupId: next._id,
            memberId: next.memberId,
            templateKey: 'activityReminder',
            data: { title: activity.title, startAt: activity.startAt.toISOString(), note: paid ? '候补成功，请在15分钟内支付' : '候补成功，报名已确认' },
            createdAt: at,
          },
        ],
        { session },
      );
      left.push(next);
      return next;
    }
  }

  private createPayment(signup: SignupDoc, activity: ActivityDoc, openid: string, session: ClientSession): Promise<PaymentDoc> {
    return this.deps.payments.createPending(
      {
        purposeId: signup._id,
        memberId: signup.memberId,
        activityId: activity._id,
        openid,
        description: `活动报名 ${activity.title}`,
        amountFen: activity.feeFen,
        dueAt: signup.paymentDueAt!,
      },
      session,
    );
  }

  /**
   * After a transaction moved sign-ups off the waitlist: counts them out of it, and places the WeChat Pay orders of
   * promoted paid seats (a failure leaves them for the member's next look or the hold job).
   */
  private async afterPromotions(promoted: Promoted): Promise<void> {
    const leftByActivity = new Map<string, number>();
    for (const signup of promoted) leftByActivity.set(String(signup.activityId), (leftByActivity.get(String(signup.activityId)) ?? 0) + 1);
    for (const [id, count] of leftByActivity) await this.leftWaitlist(new Types.ObjectId(id), count);
    for (const signup of promoted) {
      if (signup.status !== 'pending_payment') continue;
      const payment = await this.deps.payments.forPurpose(signup._id);
      if (payment?.status === 'pending') await this.deps.payments.prepay(payment._id).catch(() => undefined);
    }
  }

  /** Why the sign-up's update found the activity closed to this member (read only then). */
  private async signupRefusal(activityId: Types.ObjectId, member: MemberDoc): Promise<AppError> {
    const activity = await this.deps.activities.findById(activityId).lean<ActivityDoc>();
    if (!activity || activity.status === 'draft') return errors.notFound('No such activity.');
    if (activity.status !== 'published') return new AppError(ErrorCode.SIGNUP_CLOSED, `The activity is ${activity.status}.`);
    if (this.deps.now() > activity.signupClosesAt) return new AppError(ErrorCode.SIGNUP_CLOSED, 'Sign-up for this activity has closed.');
    if (activity.tiers.length > 0 && !activity.tiers.includes(member.tier)) {
      return new AppError(ErrorCode.TIER_NOT_ELIGIBLE, 'This activity is open to other tiers.', { tiers: activity.tiers, yourTier: member.tier });
    }
    if (activity.feeFen > 0 && !member.openid) return new AppError(ErrorCode.CONFLICT, 'Paying needs a WeChat sign-in.');
    // Open to this member after all (changed since the update): as if closed a moment ago; a retry decides.
    return new AppError(ErrorCode.SIGNUP_CLOSED, 'Sign-up for this activity has just changed; please try again.');
  }

  private async signupForStaff(actor: Actor, signupId: string): Promise<{ signup: SignupDoc; activity: ActivityDoc }> {
    const signup = Types.ObjectId.isValid(signupId) ? await this.deps.signups.findById(signupId).lean<SignupDoc>() : null;
    const activity = signup ? await this.deps.activities.findById(signup.activityId).lean<ActivityDoc>() : null;
    if (!signup || !activity) throw new AppError(ErrorCode.CODE_INVALID, 'The code is invalid or has expired; ask the member to refresh it.');
    // An activity not tied to a store may be checked in at any store.
    if (activity.storeId) assertStoreScope(actor, activity.storeId);
    return { signup, activity };
  }

  private async ownSignup(memberId: string, signupId: string): Promise<SignupDoc> {
    const signup = Types.ObjectId.isValid(signupId) ? await this.deps.signups.findById(signupId).lean<SignupDoc>() : null;
    if (!signup || String(signup.memberId) !== memberId) throw errors.notFound('No such sign-up.');
    return signup;
  }

  private async findActivity(activityId: string): Promise<ActivityDoc | null> {
    return Types.ObjectId.isValid(activityId) ? this.deps.activities.findById(activityId).lean<ActivityDoc>() : null;
  }

  private async loadForStaff(actor: Actor, activityId: string): Promise<ActivityDoc> {
    const activity = await this.findActivity(activityId);
    if (!activity) throw errors.notFound('No such activity.');
    assertStoreScope(actor, activity.storeId);
    return activity;
  }

  private async assertStoreExists(storeId: string): Promise<void> {
    if (!(await this.deps.staff.storeExists(storeId))) {
      throw errors.validation('No such store.', { fields: [{ field: 'body.storeId', message: 'Unknown store' }] });
    }
  }

  private storedFields(fields: Partial<Omit<ActivityInput, 'draft'>>): Record<string, unknown> {
    const stored: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      stored[key] = ['startAt', 'endAt', 'signupClosesAt'].includes(key) ? new Date(value as string) : value;
    }
    return stored;
  }

  private async seatCounts(activityIds: Types.ObjectId[]): Promise<Map<string, Record<string, number>>> {
    const rows = await this.deps.signups.aggregate<{ _id: { activityId: Types.ObjectId; status: string }; n: number }>([
      { $match: { activityId: { $in: activityIds }, status: { $in: ['confirmed', 'attended', 'pending_payment', 'waitlisted'] } } },
      { $group: { _id: { activityId: '$activityId', status: '$status' }, n: { $sum: 1 } } },
    ]);
    const counts = new Map<string, Record<string, number>>();
    for (const row of rows) {
      const key = String(row._id.activityId);
      counts.set(key, { ...counts.get(key), [row._id.status]: row.n });
    }
    return counts;
  }

  private async view(activity: ActivityDoc): Promise<Activity> {
    return (await this.views([activity]))[0]!;
  }

  private async views(activities: ActivityDoc[]): Promise<Activity[]> {
    const counts = await this.seatCounts(activities.map((a) => a._id));
    const now = this.deps.now();
    return activities.map((a) => {
      const c = counts.get(String(a._id)) ?? {};
      return {
        id: String(a._id),
        title: a.title,
        description: a.description,
        ...(a.coverImageUrl ? { coverImageUrl: a.coverImageUrl } : {}),
        ...(a.storeId ? { storeId: a.storeId } : {}),
        ...(a.address ? { address: a.address } : {}),
        ...(a.location ? { location: { latitude: a.location.latitude, longitude: a.location.longitude } } : {}),
        startAt: a.startAt.toISOString(),
        endAt: a.endAt.toISOString(),
        signupClosesAt: a.signupClosesAt.toISOString(),
        capacity: a.capacity,
        tiers: a.tiers,
        feeFen: a.feeFen,
        attendancePoints: a.attendancePoints,
        status: a.status === 'published' && a.endAt <= now ? 'finished' : a.status,
        confirmedCount: (c.confirmed ?? 0) + (c.attended ?? 0),
        waitlistCount: c.waitlisted ?? 0,
        pendingPaymentCount: c.pending_payment ?? 0,
        seatsLeft: a.seatsLeft,
        createdAt: a.createdAt.toISOString(),
      };
    });
  }

  /** `waitlistPosition`: a waitlisted sign-up's place when the caller already knows it (read from the counters). */
  private async signupView(signup: SignupDoc, activity: ActivityDoc | null, options: { withPayment?: boolean; waitlistPosition?: number } = {}): Promise<Signup> {
    const view: Signup = {
      id: String(signup._id),
      activityId: String(signup.activityId),
      status: signup.status,
      createdAt: signup.createdAt.toISOString(),
      ...(signup.attendedAt ? { attendedAt: signup.attendedAt.toISOString() } : {}),
      ...(activity ? { activityTitle: activity.title, activityStartAt: activity.startAt.toISOString() } : {}),
    };
    if (signup.status === 'waitlisted' && options.waitlistPosition !== undefined) view.waitlistPosition = options.waitlistPosition;
    else if (signup.status === 'waitlisted') {
      // The `count` command, not countDocuments: its $group pipeline makes the embedded server copy every sign-up
      // ahead, so a popular activity's waitlist answers cost O(position) copies each.
      const { signups } = this.deps;
      const counted = await signups.db.db!.command({ count: signups.collection.collectionName, query: { activityId: signup.activityId, status: 'waitlisted', live: true, seq: { $lt: signup.seq } } });
      const ahead = Number(counted.n);
      view.waitlistPosition = ahead + 1;
    }
    if (signup.status === 'pending_payment') {
      if (signup.paymentDueAt) view.paymentDueAt = signup.paymentDueAt.toISOString();
      if (options.withPayment !== false) {
        const payment = await this.deps.payments.forPurpose(signup._id);
        if (payment?.status === 'pending') {
          // A promoted seat's order may not be placed yet (WeChat Pay was down): place it now.
          const params = payment.prepayId
            ? this.deps.payments.requestPaymentParams(payment.prepayId)
            : await this.deps.payments.prepay(payment._id).catch(() => null);
          if (params) view.payment = params;
        }
      }
    }
    return view;
  }
}

function pick(doc: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, (doc as Record<string, unknown>)[key]]));
}

function definedOnly(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined));
}
