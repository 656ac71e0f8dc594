import { randomBytes, randomInt } from 'node:crypto';
import {
  base32Decode,
  base32Encode,
  cardNoFromBody,
  DEFAULT_CODE_STEP_SECONDS,
  ErrorCode,
  generateCode,
  isProfileComplete,
  matchNumericCode,
  numericFormOf,
  parseNumericCode,
  randomNumericHandle,
  type CodeKind,
  type ShortLivedCodeAnswer,
  maskName,
  maskPhone,
  nameKeyOf,
  parseCode,
  profileCompletion,
  tierProgress,
  verifyCode,
  type JoinMembershipBody,
  type MaskedMember,
  type Member,
  type ParsedCode,
  type ProfilePatchBody,
} from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import { readsById } from '../../lib/readsById';
import type { Actor } from '../../lib/requestContext';
import type { TokenService } from '../../lib/tokens';
import { inTransaction } from '../../lib/transactions';
import type { PointsLedger } from '../points/ledger';
import type { SettingsService } from '../settings/service';
import type { StaffService } from '../staff/service';
import type { MemberDoc, memberModel } from './model';
import type { OnceRewards } from './once-rewards';
import type { EventRecorder } from '../webhooks/service';

/** The part of the WeChat client sign-in and phone binding need. */
export interface WeChatIdentityApi {
  code2Session(jsCode: string): Promise<{ openid: string; unionid?: string }>;
  getPhoneNumber(code: string, openid?: string): Promise<{ purePhoneNumber: string; phoneNumber: string }>;
}

/** What other modules add to the card and the counter view, so members need not know about them. */
export interface MemberExtensions {
  couponsAvailable(memberId: Types.ObjectId): Promise<number>;
  counterHistory(memberId: Types.ObjectId): Promise<Pick<MaskedMember, 'lastVisitAt' | 'recentPurchases'>>;
  /** In the erasure's transaction, before it commits: may refuse it (stored value still held). */
  beforeErase(memberId: Types.ObjectId, session: ClientSession): Promise<void>;
  onJoined(member: MemberDoc): Promise<void>;
  /** Credits the entry code the shopper joined through (home store, acquiring staff); the member as it now stands. */
  attributeJoin(member: MemberDoc): Promise<MemberDoc>;
  /** In the join's transaction: the invitation the shopper joined through, and the app's device id (modules/referral). */
  joinedInTransaction(session: ClientSession, member: MemberDoc, invitation: { inviterId: string | null; code: string | null; deviceId: string | null }): Promise<void>;
}

interface Deps {
  connection: mongoose.Connection;
  members: ReturnType<typeof memberModel>;
  wechat: WeChatIdentityApi;
  tokens: TokenService;
  settings: SettingsService;
  staff: StaffService;
  ledger: PointsLedger;
  /** Once-only rewards claimed against the WeChat identity, so erasing and rejoining does not pay them again. */
  onceRewards: OnceRewards;
  now: () => Date;
  codeStepSeconds?: number;
  /** Outbound webhooks' outbox (member.joined). */
  events?: EventRecorder;
}

const PERSONAL_FIELDS = ['name', 'gender', 'birthday', 'birthdayMonth', 'phone', 'city', 'interests'] as const;

export class MembersService {
  readonly extensions: MemberExtensions = {
    couponsAvailable: async () => 0,
    counterHistory: async () => ({ lastVisitAt: null, recentPurchases: [] }),
    beforeErase: async () => undefined,
    onJoined: async () => undefined,
    attributeJoin: async (member) => member,
    joinedInTransaction: async () => undefined,
  };
  private readonly codeStepSeconds: number;

  constructor(private readonly deps: Deps) {
    this.codeStepSeconds = deps.codeStepSeconds ?? DEFAULT_CODE_STEP_SECONDS;
    this.memberById = readsById<MemberDoc>(() => deps.members.collection);
  }

  /** Every member route's member read, coalesced with the other requests' (readsById). */
  private readonly memberById: (id: Types.ObjectId) => Promise<MemberDoc | null>;

  // ---- identity ----

  async signInWithWechat(code: string) {
    const session = await this.deps.wechat.code2Session(code).catch((err) => {
      throw toWechatCodeError(err, 'The WeChat login code is invalid or expired.', ErrorCode.UNAUTHENTICATED);
    });
    const member = await this.findOrCreateShopper(session.openid, session.unionid);
    const pair = await this.deps.tokens.issue({ type: 'shopper', memberId: String(member._id) });
    return { ...pair, member: member.status === 'active' ? await this.view(member) : null };
  }

  private async findOrCreateShopper(openid: string, unionid?: string): Promise<MemberDoc> {
    const { members, now } = this.deps;
    for (let attempt = 0; ; attempt++) {
      try {
        // The unique openid index makes two parallel first sign-ins end with one shopper.
        const found = await members
          .findOneAndUpdate(
            { openid },
            {
              $setOnInsert: { status: 'prospect', openid, homeStoreId: null, profileComplete: false, tier: 'silver', pointsBalance: 0, spend12mFen: 0, tags: [], createdAt: now() },
              ...(unionid ? { $set: { unionid } } : {}),
            },
            { upsert: true, returnDocument: 'after' },
          )
          .lean<MemberDoc>();
        return found!;
      } catch (err) {
        if (isDuplicateKeyError(err) && attempt < 2) continue;
        throw err;
      }
    }
  }

  /**
   * The member's document when they are an active member, else null: what `member` routes check before the
   * handler, which reuses it (app.ts keeps it in ctx.state.member) rather than reading the member again.
   */
  async activeMember(memberId: string): Promise<MemberDoc | null> {
    if (!Types.ObjectId.isValid(memberId)) return null;
    // Every member route's check: through the driver (what a lean read returns, without building a mongoose query).
    const member = await this.memberById(new Types.ObjectId(memberId));
    return member?.status === 'active' ? member : null;
  }

  // ---- joining ----

  async join(memberId: string, body: JoinMembershipBody): Promise<Member> {
    const { members, now, staff, connection } = this.deps;
    const current = await this.load(memberId, ['prospect', 'active']);
    if (current.status === 'active') throw new AppError(ErrorCode.ALREADY_MEMBER, 'You are already a member.');
    if (body.homeStoreId && !(await staff.storeExists(body.homeStoreId))) {
      throw errors.validation('No such store.', { fields: [{ field: 'body.homeStoreId', message: 'Unknown store' }] });
    }
    let referredBy: string | null = null;
    if (body.referralCode) {
      const referrer = await members.findOne({ referralCode: body.referralCode.toUpperCase(), status: 'active' }, { _id: 1 }).lean();
      if (!referrer) throw errors.validation('Unknown referral code.', { fields: [{ field: 'body.referralCode', message: 'Unknown code' }] });
      referredBy = String(referrer._id);
    }
    const { tiers } = await this.deps.settings.get();
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // The WeChat account's first membership is claimed with the join: a shopper who erased an earlier
        // membership joins as `rejoined`, and first-join rewards (the welcome gift) pass them by.
        const joined = await inTransaction(connection, undefined, async (session) => {
          const first = current.openid ? await this.deps.onceRewards.claim(current.openid, 'join', session) : true;
          const updated = await members
            .findOneAndUpdate(
              { _id: memberId, status: 'prospect' },
              {
                $set: {
                  status: 'active',
                  rejoined: !first,
                  cardNo: newCardNo(),
                  codeSecret: base32Encode(randomBytes(20)),
                  referralCode: newReferralCode(),
                  referredBy,
                  consent: { privacyPolicyVersion: body.privacyPolicyVersion, acceptedAt: now() },
                  homeStoreId: body.homeStoreId ?? null,
                  tier: tiers[0]!.code,
                  tierSince: now(),
                  joinedAt: now(),
                },
              },
              { returnDocument: 'after', session },
            )
            .lean<MemberDoc>();
          // Lost a race with a parallel join of the same shopper (thrown here so the claim rolls back too).
          if (!updated) throw new AppError(ErrorCode.ALREADY_MEMBER, 'You are already a member.');
          await this.deps.events?.record(session, 'member.joined', updated._id, { cardNo: updated.cardNo, tier: updated.tier, homeStoreId: updated.homeStoreId, joinedAt: updated.joinedAt });
          await this.extensions.joinedInTransaction(session, updated, { inviterId: referredBy, code: body.referralCode?.toUpperCase() ?? null, deviceId: body.deviceId ?? null });
          return updated;
        });
        const attributed = await this.extensions.attributeJoin(joined);
        await this.extensions.onJoined(attributed);
        return this.view(attributed);
      } catch (err) {
        // A card number or referral code collided with an existing one: draw again.
        if (isDuplicateKeyError(err)) continue;
        throw err;
      }
    }
    throw new Error('Could not draw a free card number in 5 attempts');
  }

  // ---- the member's own view ----

  /** The card; `loaded` is the member as this request's authorization just read it (no second read). */
  async me(memberId: string, loaded?: MemberDoc): Promise<Member> {
    return this.view(await this.current(memberId, loaded));
  }

  /**
   * The active member: `loaded` when it is that member as this request's authorization read it (app.ts keeps
   * it in ctx.state.member on `member` routes), else read now. One read of the member per request.
   */
  async current(memberId: string, loaded?: MemberDoc): Promise<MemberDoc> {
    return loaded && String(loaded._id) === memberId && loaded.status === 'active' ? loaded : this.load(memberId, ['active']);
  }

  async view(member: MemberDoc): Promise<Member> {
    const [{ tiers }, expiring, couponsAvailable] = await Promise.all([
      // The card is read far more often than HQ edits tiers: a second-old copy saves a read per view.
      this.deps.settings.cached(),
      this.deps.ledger.expiringSoon(member._id),
      this.extensions.couponsAvailable(member._id),
    ]);
    const tier = tiers.find((t) => t.code === member.tier) ?? tiers[0]!;
    return {
      id: String(member._id),
      cardNo: member.cardNo!,
      tier: { code: tier.code, name: tier.name },
      pointsBalance: member.pointsBalance,
      pointsExpiringSoon: expiring ? { amount: expiring.amount, at: expiring.at.toISOString() } : null,
      profileCompletion: profileCompletion(profileOf(member)),
      couponsAvailable,
      homeStoreId: member.homeStoreId,
      joinedAt: (member.joinedAt ?? member.createdAt).toISOString(),
      ...definedOnly({
        name: member.name,
        gender: member.gender,
        birthday: member.birthday,
        phone: member.phone,
        city: member.city,
        interests: member.interests ?? undefined,
      }),
      tierProgress: tierProgress(tiers, tier.code, member.spend12mFen),
      tierBenefits: tier.benefits,
      spend12mFen: member.spend12mFen,
    };
  }

  // ---- profile ----

  async updateProfile(memberId: string, patch: ProfilePatchBody, loaded?: MemberDoc): Promise<Member> {
    const current = await this.current(memberId, loaded);
    if (patch.birthday !== undefined && current.birthday && patch.birthday !== current.birthday) {
      throw new AppError(ErrorCode.BIRTHDAY_ALREADY_SET, 'Your birthday is already set; ask the store to correct it.');
    }
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (field === 'birthday' && value === null && current.birthday) continue; // set once: clearing is not changing
      set[field] = value;
    }
    if (typeof patch.birthday === 'string') set.birthdayMonth = Number(patch.birthday.slice(5, 7));
    if (patch.name !== undefined) set.nameKey = patch.name === null ? null : nameKeyOf(patch.name);
    return this.applyProfileChange(memberId, set, unset);
  }

  async bindPhone(memberId: string, code: string, loaded?: MemberDoc): Promise<Member> {
    const current = await this.current(memberId, loaded);
    const phone = await this.deps.wechat.getPhoneNumber(code, current.openid ?? undefined).catch((err) => {
      throw toWechatCodeError(err, 'The phone-number code is invalid or expired.', ErrorCode.CODE_INVALID);
    });
    return this.applyProfileChange(memberId, { phone: phone.purePhoneNumber }, {});
  }

  /**
   * Writes profile fields, then, if the profile is now complete and the bonus was never awarded, awards it.
   * The award is one transaction whose conditional update on `profileBonusAwardedAt: null` admits exactly
   * one winner among parallel requests, and whose ledger key is per member, so clearing and refilling the
   * profile later never pays again. The bonus is also once per person: the same transaction claims it for the
   * WeChat account (OnceRewards), so a member who erased an account that had it and joined again gets none.
   */
  private async applyProfileChange(memberId: string, set: Record<string, unknown>, unset: Record<string, ''>): Promise<Member> {
    const { members, connection, ledger, settings, onceRewards, now } = this.deps;
    let updated = await members
      .findOneAndUpdate({ _id: memberId, status: 'active' }, { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { returnDocument: 'after' })
      .lean<MemberDoc>();
    if (!updated) throw new AppError(ErrorCode.NOT_A_MEMBER, 'Join the membership first.');
    const complete = isProfileComplete(profileOf(updated));
    if (complete !== updated.profileComplete) {
      await members.updateOne({ _id: memberId }, { $set: { profileComplete: complete } });
      updated = { ...updated, profileComplete: complete };
    }
    if (complete && !updated.profileBonusAwardedAt) {
      const { profileBonusPoints } = await settings.get();
      const awarded = await inTransaction(connection, undefined, async (session: ClientSession) => {
        const claimed = await members.updateOne(
          { _id: memberId, profileBonusAwardedAt: null },
          { $set: { profileBonusAwardedAt: now() } },
          { session },
        );
        if (claimed.modifiedCount !== 1) return null;
        // Not this person's first bonus: profileBonusAwardedAt stays set (later edits do not try again), nothing is paid.
        if (updated!.openid && !(await onceRewards.claim(updated!.openid, 'profile_bonus', session))) return null;
        return ledger.earn({
          memberId,
          amount: profileBonusPoints,
          reason: '完善资料奖励',
          source: 'bonus',
          idempotencyKey: `bonus:profile:${memberId}`,
          session,
        });
      });
      // The card answers from the update's own result (no read back): the bonus's entry says the balance after it.
      if (awarded) updated = { ...updated, pointsBalance: awarded.balanceAfter };
    }
    return this.view(updated);
  }

  // ---- codes ----

  async memberCode(memberId: string, loaded?: MemberDoc) {
    const member = await this.current(memberId, loaded);
    return this.codeAnswer(member, 'member', member.cardNo!);
  }

  /** A code shown on the phone's behalf (before it has the key): the QR form and the typeable numeric form. */
  async codeAnswer(member: MemberDoc, kind: CodeKind, subject: string): Promise<ShortLivedCodeAnswer> {
    const { code, expiresAt } = generateCode({
      kind,
      subject,
      secret: base32Decode(member.codeSecret!),
      now: this.deps.now(),
      stepSeconds: this.codeStepSeconds,
    });
    return { code, numericCode: numericFormOf(code, await this.codeHandleOf(member)), expiresAt: expiresAt.toISOString() };
  }

  async codeKey(memberId: string, loaded?: MemberDoc) {
    const member = await this.current(memberId, loaded);
    return { secret: member.codeSecret!, stepSeconds: this.codeStepSeconds, digits: 8 as const, numericHandle: await this.codeHandleOf(member) };
  }

  /**
   * The member's numeric code handle, given on first use: a random 8-digit number set only where none is yet
   * (so parallel first uses agree), with the unique index refusing one already taken (then another is drawn).
   */
  private async codeHandleOf(member: MemberDoc): Promise<string> {
    if (member.codeHandle) return member.codeHandle;
    const { members } = this.deps;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const updated = await members
          .findOneAndUpdate({ _id: member._id, codeHandle: null }, { $set: { codeHandle: randomNumericHandle(randomInt) } }, { returnDocument: 'after' })
          .lean<MemberDoc>();
        if (updated?.codeHandle) return updated.codeHandle;
        const current = await members.findById(member._id, { codeHandle: 1 }).lean<MemberDoc>();
        if (current?.codeHandle) return current.codeHandle;
        throw new AppError(ErrorCode.NOT_A_MEMBER, 'Join the membership first.');
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    throw new Error('no free numeric code handle after 10 draws');
  }

  /**
   * Checks a scanned or typed code's signature and window against its member; 400 CODE_INVALID otherwise.
   * Both forms are accepted: the QR's `M…`/`C…`/`S…` and the 18-digit numeric form (spaces allowed), which is
   * answered as the QR form it stands for, so callers see one kind of code. `at` is now, except for a purchase
   * resent after its code expired, which asks whether it was valid when booked.
   */
  async verifyScannedCode(code: string, at: Date = this.deps.now()): Promise<ScannedCode> {
    const invalid = () => new AppError(ErrorCode.CODE_INVALID, 'The code is invalid or has expired; ask the member to refresh it.');
    const numeric = parseNumericCode(code);
    if (numeric) {
      const owner = await this.deps.members.collection.findOne<MemberDoc>({ codeHandle: numeric.handle, status: 'active' });
      if (!owner?.codeSecret) throw invalid();
      const subjects = numeric.kind === 'member' ? [owner.cardNo!] : ((await this.codeCandidates[numeric.kind]?.(owner._id, at)) ?? []);
      const matches = matchNumericCode({ numeric, subjects, secret: base32Decode(owner.codeSecret), now: at, stepSeconds: this.codeStepSeconds });
      // Two of the member's coupons with the same OTP this minute is a one-in-10^8 coincidence: the next minute's code settles it.
      if (matches.length !== 1) throw invalid();
      return { parsed: parseCode(matches[0]!)!, member: owner };
    }
    const parsed = parseCode(code.trim());
    if (!parsed) throw invalid();
    const { member: owner, subject } = await this.ownerOfCode(parsed);
    if (!owner?.codeSecret) throw invalid();
    const ok = verifyCode({ code: code.trim(), secret: base32Decode(owner.codeSecret), now: at, stepSeconds: this.codeStepSeconds });
    if (!ok) throw invalid();
    return { parsed, member: owner, ...(subject ? { subject } : {}) };
  }

  /**
   * Coupon and sign-up modules say whose a coupon or sign-up is (members know card numbers): the owner's id, or
   * the owner's id with the document read to find it, which verifyScannedCode hands on so it is not read again.
   */
  readonly codeOwners: Partial<Record<'coupon' | 'signup', (subjectId: string) => Promise<Types.ObjectId | { memberId: Types.ObjectId; doc: unknown } | null>>> = {};
  /** …and which of a member's coupons / sign-ups a numeric code may name (its live and lately used ones). */
  readonly codeCandidates: Partial<Record<'coupon' | 'signup', (memberId: Types.ObjectId, at: Date) => Promise<string[]>>> = {};

  private async ownerOfCode(parsed: ParsedCode): Promise<{ member: MemberDoc | null; subject?: unknown }> {
    // Every scan, purchase and redemption starts here: reads through the driver (what lean reads answered).
    const members = this.deps.members.collection;
    if (parsed.kind === 'member') return { member: await members.findOne<MemberDoc>({ cardNo: parsed.subject, status: 'active' }) };
    const resolve = this.codeOwners[parsed.kind];
    const owner = resolve ? await resolve(parsed.subject) : null;
    if (!owner) return { member: null };
    const [memberId, subject] = owner instanceof Types.ObjectId ? [owner, undefined] : [owner.memberId, owner.doc];
    return { member: await members.findOne<MemberDoc>({ _id: memberId, status: 'active' }), subject };
  }

  async masked(member: MemberDoc): Promise<MaskedMember> {
    const { tiers } = await this.deps.settings.cached();
    const tier = tiers.find((t) => t.code === member.tier) ?? tiers[0]!;
    return {
      id: String(member._id),
      cardNo: member.cardNo!,
      maskedName: member.name ? maskName(member.name) : null,
      maskedPhone: member.phone ? maskPhone(member.phone) : null,
      tier: { code: tier.code, name: tier.name },
      pointsBalance: member.pointsBalance,
      ...(await this.extensions.counterHistory(member._id)),
    };
  }

  // ---- erasure ----

  /** Removes personal data and the WeChat link; card number, ledger and redemptions stay, detached. */
  async erase(memberId: string): Promise<void> {
    const { members, onceRewards, connection, now } = this.deps;
    const unset = Object.fromEntries([...PERSONAL_FIELDS, 'nameKey', 'openid', 'unionid', 'codeSecret', 'codeHandle', 'referralCode'].map((f) => [f, 1]));
    await inTransaction(connection, undefined, async (session) => {
      const before = await members
        .findOneAndUpdate(
          { _id: memberId, status: 'active' },
          { $set: { status: 'erased', erasedAt: now(), profileComplete: false }, $unset: unset },
          { returnDocument: 'before', session },
        )
        .lean<MemberDoc>();
      if (!before) throw new AppError(ErrorCode.NOT_A_MEMBER, 'Join the membership first.');
      await this.extensions.beforeErase(before._id, session);
      // What the person had is claimed (again) before the openid goes: this covers memberships and bonuses from
      // before once-only claims were kept; for the rest it finds the claims already there.
      if (before.openid) {
        await onceRewards.claim(before.openid, 'join', session);
        if (before.profileBonusAwardedAt) await onceRewards.claim(before.openid, 'profile_bonus', session);
      }
      // Sessions end in the erasure's own transaction: no crash between two writes can leave tokens alive.
      await this.deps.tokens.revokeAll({ memberId }, session);
    });
    // Drop this instance's cached session answers only after the commit (a read inside could cache the old state).
    this.deps.tokens.forget();
  }

  // ---- HQ ----

  async adminView(actor: Actor, memberId: string): Promise<Member> {
    const member = await this.load(memberId, ['active']).catch(() => {
      throw errors.notFound('No such member.');
    });
    if (actor.type === 'staff' && member.homeStoreId !== actor.storeId) throw errors.notFound('No such member.');
    return this.view(member);
  }

  async load(memberId: string, statuses: Array<MemberDoc['status']>): Promise<MemberDoc> {
    const member = Types.ObjectId.isValid(memberId) ? await this.deps.members.findById(memberId).lean<MemberDoc>() : null;
    if (!member || !statuses.includes(member.status)) throw new AppError(ErrorCode.NOT_A_MEMBER, 'Join the membership first.');
    return member;
  }
}

/** A verified code: what it names, its member, and (QR form of a coupon) the coupon as the owner look-up read it. */
export interface ScannedCode {
  parsed: ParsedCode;
  member: MemberDoc;
  /** The subject's document when finding the owner read it whole: callers use it rather than read it again. */
  subject?: unknown;
}

function profileOf(member: MemberDoc) {
  return {
    name: member.name ?? null,
    gender: member.gender ?? null,
    birthday: member.birthday ?? null,
    phone: member.phone ?? null,
    city: member.city ?? null,
    interests: member.interests ?? null,
  };
}

function definedOnly<T extends Record<string, unknown>>(record: T): Partial<{ [K in keyof T]: NonNullable<T[K]> }> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined)) as never;
}

export function newCardNo(): string {
  // 11 random digits (the first never 0, so the number reads as 12 digits) and the Luhn check digit.
  let body = String(randomInt(1, 10));
  for (let i = 0; i < 10; i++) body += String(randomInt(0, 10));
  return cardNoFromBody(body);
}

const REFERRAL_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export function newReferralCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += REFERRAL_ALPHABET[randomInt(0, REFERRAL_ALPHABET.length)];
  return code;
}

function toWechatCodeError(err: unknown, message: string, code: ErrorCode): Error {
  const errcode = (err as { errcode?: number }).errcode;
  // 40029 invalid code, 40163 code used, 40226 risky user: the caller's code is at fault.
  if (errcode !== undefined && [40029, 40163, 40226].includes(errcode)) return new AppError(code, message);
  if (errcode === 45011) return new AppError(ErrorCode.RATE_LIMITED, 'WeChat is rate-limiting this user; try again in a minute.', { retryAfterSeconds: 60 });
  return err as Error;
}
