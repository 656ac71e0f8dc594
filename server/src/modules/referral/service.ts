import { createHmac } from 'node:crypto';
import {
  DEFAULT_REFERRAL_TERMS,
  ErrorCode,
  INVITATION_PAGE,
  invitationPath,
  invitationScene,
  maskName,
  purchaseQualifies,
  qualifyingDeadline,
  referralRefusal,
  termsGiveSomething,
  type InvitationCodeImage,
  type InvitationPreview,
  type MyReferral,
  type ReferralParty,
  type ReferralRefusal,
  type ReferralReport,
  type ReferralStatus,
  type ReferralTerms,
  type ReferralTermsBody,
  type ReferralTermsView,
} from '@membercard/shared';
import type mongoose from 'mongoose';
import { Types, type ClientSession } from 'mongoose';
import { AppError, errors, isDuplicateKeyError } from '../../lib/errors';
import type { Actor } from '../../lib/requestContext';
import { deriveKey } from '../../lib/secretBox';
import { inTransaction } from '../../lib/transactions';
import { WeChatApiError } from '../../wechat';
import type { WxaCodeApi } from '../acquisition/service';
import type { AuditService } from '../audit/service';
import type { CouponIssuer } from '../coupons/issuer';
import type { couponTemplateModel } from '../coupons/model';
import type { MemberDoc, memberModel } from '../members/model';
import { newReferralCode } from '../members/service';
import type { PointsLedger } from '../points/ledger';
import type { ReferralDoc, referralDeviceModel, referralModel, referralSettingModel, ReferralSettingDoc, referralViewModel } from './model';

// Referral (裂变拉新): a member shares an invitation (their referral code, as a link or a mini-program code); a
// friend who joins through it and makes a first purchase earns both sides HQ's reward, once.
//
// Exactly once, in three steps, each keyed so that any re-run (a retry, a parallel request, the job) is harmless:
//  1. The join records the referral in the join's own transaction (`recordJoin`), unique on the invitee, judged
//     there against the refusal rules (shared/src/referral: self, rejoined after erasure, the inviter's device).
//  2. The friend's qualifying purchase moves it joined → qualified in the purchase's transaction (`qualifyWith`,
//     a hook in PurchasesService.bookInTransaction, the one path of counter, POS and checkout bookings), with a
//     conditional update on `status: 'joined'`: of two parallel first purchases one commits the change and the
//     other, retried after the write conflict, finds nothing to qualify. The purchase commits with it or not at
//     all, so a rolled-back purchase never earns. Hooked here rather than found by a job over purchases because
//     the friend sees the reward with the receipt, and no scan of purchases is needed.
//  3. The grant (`grant`), after the purchase commits, and again by the `referral-rewards` job for any the process
//     did not finish: one transaction moves qualified → rewarded and books both sides' points under ledger keys
//     `referral:<id>:inviter|invitee`; coupons follow through CouponIssuer under (template, 'referral',
//     `<id>:<side>`, member), which issues each at most once, and `couponsPending` marks that they are owed.

export const REFERRAL_REASON = { inviter: '邀请好友奖励', invitee: '受邀首单奖励' } as const;
const TERMS_ID = 'terms';
const FRIENDS_SHOWN = 50;

interface Deps {
  connection: mongoose.Connection;
  referrals: ReturnType<typeof referralModel>;
  devices: ReturnType<typeof referralDeviceModel>;
  views: ReturnType<typeof referralViewModel>;
  settings: ReturnType<typeof referralSettingModel>;
  members: ReturnType<typeof memberModel>;
  templates: ReturnType<typeof couponTemplateModel>;
  ledger: PointsLedger;
  issuer: CouponIssuer;
  wechat: WxaCodeApi;
  audit: AuditService;
  serverSecret: string;
  now: () => Date;
}

export class ReferralService {
  private readonly deviceKey: Buffer;

  constructor(private readonly deps: Deps) {
    this.deviceKey = deriveKey(deps.serverSecret, 'membercard referral: device id hash v1');
  }

  // ---- HQ's terms ----

  async terms(): Promise<ReferralTerms & { updatedAt: Date | null }> {
    const doc = await this.deps.settings.findById(TERMS_ID).lean<ReferralSettingDoc>();
    if (!doc) return { ...DEFAULT_REFERRAL_TERMS, updatedAt: null };
    const side = (s: ReferralSettingDoc['inviter'], fallback: ReferralTerms['inviter']) =>
      s ? { points: s.points, templateId: s.templateId ? String(s.templateId) : null } : fallback;
    return {
      enabled: doc.enabled ?? DEFAULT_REFERRAL_TERMS.enabled,
      inviter: side(doc.inviter, DEFAULT_REFERRAL_TERMS.inviter),
      invitee: side(doc.invitee, DEFAULT_REFERRAL_TERMS.invitee),
      minPurchaseFen: doc.minPurchaseFen ?? DEFAULT_REFERRAL_TERMS.minPurchaseFen,
      windowDays: doc.windowDays ?? DEFAULT_REFERRAL_TERMS.windowDays,
      updatedAt: doc.updatedAt ?? null,
    };
  }

  async termsView(): Promise<ReferralTermsView> {
    const terms = await this.terms();
    const ids = [terms.inviter.templateId, terms.invitee.templateId].filter((id): id is string => id !== null);
    const templates = ids.length ? await this.deps.templates.find({ _id: { $in: ids } }, { title: 1 }).lean<Array<{ _id: Types.ObjectId; title: string }>>() : [];
    const title = (id: string | null) => (id ? (templates.find((t) => String(t._id) === id)?.title ?? null) : null);
    return {
      enabled: terms.enabled,
      inviter: { ...terms.inviter, couponTitle: title(terms.inviter.templateId) },
      invitee: { ...terms.invitee, couponTitle: title(terms.invitee.templateId) },
      minPurchaseFen: terms.minPurchaseFen,
      windowDays: terms.windowDays,
      updatedAt: terms.updatedAt ? terms.updatedAt.toISOString() : null,
    };
  }

  async updateTerms(actor: Actor, requestId: string, body: ReferralTermsBody): Promise<ReferralTermsView> {
    for (const side of ['inviter', 'invitee'] as const) {
      const templateId = body[side].templateId;
      if (templateId === null) continue;
      const field = `body.${side}.templateId`;
      const template = Types.ObjectId.isValid(templateId) ? await this.deps.templates.findById(templateId, { status: 1 }).lean<{ status: string }>() : null;
      if (!template) throw errors.validation('No such coupon template.', { fields: [{ field, message: 'Unknown coupon template' }] });
      if (template.status !== 'active') throw errors.validation('The coupon template is archived.', { fields: [{ field, message: 'Archived coupon template' }] });
    }
    if (body.enabled && !termsGiveSomething(body)) {
      throw errors.validation('An enabled referral must give points or a coupon to at least one side.', {
        fields: [{ field: 'body.inviter.points', message: 'Nothing to give' }],
      });
    }
    const before = await this.terms();
    const oid = (id: string | null) => (id ? new Types.ObjectId(id) : null);
    await this.deps.settings.updateOne(
      { _id: TERMS_ID },
      {
        $set: {
          enabled: body.enabled,
          inviter: { points: body.inviter.points, templateId: oid(body.inviter.templateId) },
          invitee: { points: body.invitee.points, templateId: oid(body.invitee.templateId) },
          minPurchaseFen: body.minPurchaseFen,
          windowDays: body.windowDays,
          updatedAt: this.deps.now(),
        },
      },
      { upsert: true },
    );
    const { updatedAt: _before, ...beforeTerms } = before;
    await this.deps.audit.record(actor, requestId, { action: 'referral_terms.update', targetType: 'settings', targetId: 'referral', before: beforeTerms, after: body });
    return this.termsView();
  }

  // ---- the member's invitation ----

  /** The member's invitation, progress and friends; `deviceId` (opening it to share) is remembered as theirs. */
  async myReferral(memberId: string, deviceId?: string): Promise<MyReferral> {
    const member = await this.activeMember(memberId);
    const code = await this.codeOf(member);
    if (deviceId) {
      const at = this.deps.now();
      await Promise.all([
        this.rememberDevice(member._id, deviceId),
        // Marks the member as one who opened their invitation (HQ's "inviters"); the code image is kept on it.
        this.deps.settings.updateOne({ _id: `code:${memberId}` }, { $set: { memberId: member._id, updatedAt: at } }, { upsert: true }),
      ]);
    }
    const [terms, invited, referrals, invitedBy] = await Promise.all([
      this.termsView(),
      this.deps.views.countDocuments({ inviterId: member._id }),
      this.deps.referrals.find({ inviterId: member._id }).sort({ joinedAt: -1 }).lean<ReferralDoc[]>(),
      this.deps.referrals.findOne({ inviteeId: member._id }).lean<ReferralDoc>(),
    ]);
    const shown = referrals.slice(0, FRIENDS_SHOWN);
    const names = await this.deps.members.find({ _id: { $in: shown.map((r) => r.inviteeId) } }, { name: 1 }).lean<Array<{ _id: Types.ObjectId; name?: string | null }>>();
    const nameOf = (id: Types.ObjectId) => names.find((n) => n._id.equals(id))?.name ?? null;
    const rewarded = referrals.filter((r) => r.status === 'rewarded');
    return {
      code,
      path: invitationPath(code),
      scene: invitationScene(code),
      terms,
      progress: {
        invited: Math.max(invited, referrals.length),
        joined: referrals.length,
        purchased: referrals.filter((r) => r.status === 'rewarded' || r.status === 'qualified').length,
        rewards: {
          points: rewarded.reduce((sum, r) => sum + (r.reward?.inviterPoints ?? 0), 0),
          coupons: rewarded.filter((r) => r.inviterCouponId).length,
        },
      },
      friends: shown.map((r) => {
        const name = nameOf(r.inviteeId);
        return {
          maskedName: name ? maskName(name) : null,
          joinedAt: r.joinedAt.toISOString(),
          status: statusOf(r, terms.windowDays, this.deps.now()),
          refusal: r.refusal,
          rewardedAt: r.rewardedAt ? r.rewardedAt.toISOString() : null,
        };
      }),
      invitedBy: invitedBy
        ? {
            status: statusOf(invitedBy, terms.windowDays, this.deps.now()),
            refusal: invitedBy.refusal,
            deadline: qualifyingDeadline(invitedBy.joinedAt, terms.windowDays).toISOString(),
          }
        : null,
    };
  }

  /** The invitation's mini-program code (WeChat getwxacodeunlimit, scene r=<code>, the join page), drawn once per member. */
  async codeImage(memberId: string): Promise<InvitationCodeImage> {
    const member = await this.activeMember(memberId);
    const code = await this.codeOf(member);
    const scene = invitationScene(code);
    const cached = await this.deps.settings.findById(`code:${memberId}`, { image: 1, contentType: 1 }).lean<ReferralSettingDoc>();
    if (cached?.image) {
      // A lean read gives the driver's Binary, whose bytes are in `buffer`.
      const bytes = Buffer.isBuffer(cached.image) ? cached.image : Buffer.from((cached.image as unknown as { buffer: Uint8Array }).buffer);
      return { dataUrl: `data:${cached.contentType ?? 'image/png'};base64,${bytes.toString('base64')}`, scene, page: INVITATION_PAGE };
    }
    let drawn: { contentType: string; image: Buffer };
    try {
      drawn = await this.deps.wechat.getUnlimitedQrCode({ scene, page: INVITATION_PAGE, checkPath: true, envVersion: 'release', width: 430 });
    } catch (err) {
      if (err instanceof WeChatApiError && err.errcode === 45009) throw errors.rateLimited(60);
      throw err;
    }
    await this.deps.settings.updateOne(
      { _id: `code:${memberId}` },
      { $set: { memberId: member._id, image: drawn.image, contentType: drawn.contentType }, $setOnInsert: { updatedAt: this.deps.now() } },
      { upsert: true },
    );
    return { dataUrl: `data:${drawn.contentType};base64,${drawn.image.toString('base64')}`, scene, page: INVITATION_PAGE };
  }

  /** A shopper opened an invitation: counted once per inviter, and answered with what it offers them. */
  async viewInvitation(viewerId: string, code: string): Promise<InvitationPreview> {
    const inviter = await this.deps.members.findOne({ referralCode: code.toUpperCase(), status: 'active' }, { name: 1 }).lean<MemberDoc>();
    if (!inviter) throw errors.notFound('No such invitation.');
    const self = inviter._id.equals(viewerId);
    if (!self) {
      await this.deps.views
        .updateOne({ inviterId: inviter._id, viewerId: new Types.ObjectId(viewerId) }, { $setOnInsert: { at: this.deps.now() } }, { upsert: true })
        .catch((err) => {
          // Two parallel first views of the same shopper: the other one counted it.
          if (!isDuplicateKeyError(err)) throw err;
        });
    }
    const terms = await this.termsView();
    return {
      code: code.toUpperCase(),
      inviterName: inviter.name ? maskName(inviter.name) : null,
      reward: terms.invitee,
      minPurchaseFen: terms.minPurchaseFen,
      windowDays: terms.windowDays,
      enabled: terms.enabled,
      refusal: self ? 'self' : null,
    };
  }

  // ---- step 1: the join (in the join's transaction) ----

  /**
   * Records the friend's referral, judged now: refused ones are kept (HQ sees them) and earn nothing. Also
   * remembers the device the member joined on, for invitations they send later. Called with every join.
   */
  async recordJoin(session: ClientSession, invitee: MemberDoc, input: { inviterId: string | null; code: string | null; deviceId: string | null }): Promise<void> {
    const { referrals, devices, members, now } = this.deps;
    const deviceHash = input.deviceId ? this.deviceHash(input.deviceId) : null;
    if (deviceHash) await devices.updateOne({ memberId: invitee._id, deviceHash }, { $setOnInsert: { at: now() } }, { upsert: true, session });
    if (!input.inviterId || !input.code) return;
    const terms = await this.terms();
    if (!terms.enabled) return;
    const inviter = await members.findById(input.inviterId).session(session).lean<MemberDoc>();
    if (!inviter) return;
    const inviterDevices = await devices.find({ memberId: inviter._id }, { deviceHash: 1 }).session(session).lean<Array<{ deviceHash: string }>>();
    const refusal = referralRefusal(
      { ...partyOf(inviter), deviceIds: inviterDevices.map((d) => d.deviceHash) },
      { ...partyOf(invitee), deviceIds: deviceHash ? [deviceHash] : [] },
    );
    await referrals.create(
      [
        {
          inviterId: inviter._id,
          inviteeId: invitee._id,
          code: input.code,
          status: refusal ? 'refused' : 'joined',
          refusal,
          joinedAt: invitee.joinedAt ?? now(),
        },
      ],
      { session },
    );
  }

  // ---- step 2: the qualifying purchase (in the purchase's transaction) ----

  async qualifyWith(session: ClientSession, member: MemberDoc, purchase: { purchaseId: Types.ObjectId; amountFen: number; at: Date }): Promise<void> {
    // Only referred members have a referral; everyone else's purchase costs nothing more.
    if (!member.referredBy) return;
    const { referrals, members } = this.deps;
    const referral = await referrals.findOne({ inviteeId: member._id, status: 'joined' }).session(session).lean<ReferralDoc>();
    if (!referral) return;
    const terms = await this.terms();
    if (!terms.enabled || !purchaseQualifies({ joinedAt: referral.joinedAt, purchaseAt: purchase.at, amountFen: purchase.amountFen, terms })) return;
    // Judged again: a phone bound since the join may show the two are one person, or the inviter may have left.
    const [inviter, invitee] = await Promise.all([
      members.findById(referral.inviterId, { status: 1, phone: 1, unionid: 1 }).session(session).lean<MemberDoc>(),
      members.findById(member._id, { status: 1, phone: 1, unionid: 1 }).session(session).lean<MemberDoc>(),
    ]);
    const refusal = referralRefusal(
      inviter ? partyOf(inviter) : { memberId: String(referral.inviterId), active: false },
      invitee ? { ...partyOf(invitee), rejoined: false } : { memberId: String(member._id) },
    );
    if (refusal) {
      await referrals.updateOne({ _id: referral._id, status: 'joined' }, { $set: { status: 'refused', refusal } }, { session });
      return;
    }
    const oid = (id: string | null) => (id ? new Types.ObjectId(id) : null);
    await referrals.updateOne(
      { _id: referral._id, status: 'joined' },
      {
        $set: {
          status: 'qualified',
          qualifyingPurchaseId: purchase.purchaseId,
          qualifiedAt: purchase.at,
          reward: {
            inviterPoints: terms.inviter.points,
            inviteePoints: terms.invitee.points,
            inviterTemplateId: oid(terms.inviter.templateId),
            inviteeTemplateId: oid(terms.invitee.templateId),
          },
        },
      },
      { session },
    );
  }

  // ---- step 3: the grant ----

  /** After a referred member's purchase commits: grants their referral if it just qualified. Never throws. */
  async afterPurchase(member: MemberDoc): Promise<void> {
    if (!member.referredBy) return;
    const referral = await this.deps.referrals.findOne({ inviteeId: member._id, status: 'qualified' }, { _id: 1 }).lean();
    if (referral) await this.grantSafely(referral._id);
  }

  /** The job: every referral qualified and not granted, or granted with coupons still owed. */
  async grantDue(limit = 200): Promise<{ processed: number }> {
    const due = await this.deps.referrals
      .find({ $or: [{ status: 'qualified' }, { couponsPending: true }] }, { _id: 1 })
      .sort({ qualifiedAt: 1 })
      .limit(limit)
      .lean<Array<{ _id: Types.ObjectId }>>();
    for (const referral of due) await this.grantSafely(referral._id);
    return { processed: due.length };
  }

  private async grantSafely(referralId: Types.ObjectId): Promise<void> {
    try {
      await this.grant(referralId);
    } catch (err) {
      // The job tries again; HQ sees the reason meanwhile.
      await this.deps.referrals.updateOne({ _id: referralId }, { $set: { lastError: String((err as Error).message).slice(0, 300) } }).catch(() => undefined);
    }
  }

  async grant(referralId: Types.ObjectId): Promise<void> {
    const { referrals, members, ledger, connection, now } = this.deps;
    const referral = await referrals.findById(referralId).lean<ReferralDoc>();
    if (!referral) return;
    if (referral.status === 'qualified' && referral.reward) {
      const reward = referral.reward;
      const live = await members.find({ _id: { $in: [referral.inviterId, referral.inviteeId] }, status: 'active' }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
      const isLive = (id: Types.ObjectId) => live.some((m) => m._id.equals(id));
      const owesCoupons = Boolean(reward.inviterTemplateId || reward.inviteeTemplateId);
      await inTransaction(connection, undefined, async (session) => {
        const claimed = await referrals.updateOne(
          { _id: referral._id, status: 'qualified' },
          { $set: { status: 'rewarded', rewardedAt: now(), couponsPending: owesCoupons, lastError: null } },
          { session },
        );
        if (claimed.modifiedCount !== 1) return; // granted by a parallel call
        const sides = [
          { memberId: referral.inviterId, points: reward.inviterPoints, reason: REFERRAL_REASON.inviter, key: 'inviter' },
          { memberId: referral.inviteeId, points: reward.inviteePoints, reason: REFERRAL_REASON.invitee, key: 'invitee' },
        ];
        for (const side of sides) {
          if (side.points <= 0 || !isLive(side.memberId)) continue;
          await ledger.earn({ memberId: side.memberId, amount: side.points, reason: side.reason, source: 'bonus', idempotencyKey: `referral:${referral._id}:${side.key}`, session });
        }
      });
    }
    await this.issueCoupons(referralId);
  }

  /** Each side's coupon, issued at most once under its issuer key; a refusal (sold out, limit) is recorded, not retried. */
  private async issueCoupons(referralId: Types.ObjectId): Promise<void> {
    const { referrals, issuer } = this.deps;
    const referral = await referrals.findOne({ _id: referralId, couponsPending: true }).lean<ReferralDoc>();
    if (!referral?.reward) return;
    const set: Record<string, unknown> = { couponsPending: false };
    let faceFen = 0;
    const refusals: string[] = [];
    const sides = [
      { key: 'inviter', templateId: referral.reward.inviterTemplateId, memberId: referral.inviterId },
      { key: 'invitee', templateId: referral.reward.inviteeTemplateId, memberId: referral.inviteeId },
    ] as const;
    for (const side of sides) {
      if (!side.templateId) continue;
      try {
        const { coupon } = await issuer.issue({ templateId: side.templateId, memberId: side.memberId, channel: 'referral', channelRef: `${referral._id}:${side.key}` });
        set[`${side.key}CouponId`] = coupon._id;
        if (coupon.type === 'cash') faceFen += coupon.amountOffFen ?? 0;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        refusals.push(`${side.key}: ${err.code}`);
      }
    }
    set.couponFaceFen = faceFen;
    set.couponRefusal = refusals.length ? refusals.join('; ') : null;
    await referrals.updateOne({ _id: referralId, couponsPending: true }, { $set: set });
  }

  // ---- HQ's figures ----

  async report(days: number): Promise<ReferralReport> {
    const { referrals, views, settings, members, now } = this.deps;
    const to = now();
    const from = new Date(to.getTime() - days * 24 * 60 * 60 * 1000);
    const inWindow = { joinedAt: { $gte: from, $lte: to } };
    const [terms, groups, viewCount, inviters, recent] = await Promise.all([
      this.termsView(),
      referrals.aggregate<{ _id: { status: string; refusal: string | null }; count: number; points: number; coupons: number; faceFen: number }>([
        { $match: inWindow },
        {
          $group: {
            _id: { status: '$status', refusal: '$refusal' },
            count: { $sum: 1 },
            points: { $sum: { $cond: [{ $eq: ['$status', 'rewarded'] }, { $add: [{ $ifNull: ['$reward.inviterPoints', 0] }, { $ifNull: ['$reward.inviteePoints', 0] }] }, 0] } },
            coupons: { $sum: { $add: [{ $cond: [{ $ifNull: ['$inviterCouponId', false] }, 1, 0] }, { $cond: [{ $ifNull: ['$inviteeCouponId', false] }, 1, 0] }] } },
            faceFen: { $sum: '$couponFaceFen' },
          },
        },
      ]),
      views.countDocuments({ at: { $gte: from, $lte: to } }),
      settings.countDocuments({ memberId: { $exists: true }, updatedAt: { $gte: from, $lte: to } }),
      referrals.find(inWindow).sort({ joinedAt: -1 }).limit(20).lean<ReferralDoc[]>(),
    ]);
    const cards = await members
      .find({ _id: { $in: recent.flatMap((r) => [r.inviterId, r.inviteeId]) } }, { cardNo: 1 })
      .lean<Array<{ _id: Types.ObjectId; cardNo?: string | null }>>();
    const ref = (id: Types.ObjectId) => ({ id: String(id), cardNo: cards.find((c) => c._id.equals(id))?.cardNo ?? null });
    const count = (match: (g: (typeof groups)[number]) => boolean) => groups.filter(match).reduce((sum, g) => sum + g.count, 0);
    const joined = count(() => true);
    const converted = count((g) => g._id.status === 'rewarded' || g._id.status === 'qualified');
    const refusals = { self: 0, rejoined: 0, same_device: 0, inviter_gone: 0 } as Record<ReferralRefusal, number>;
    for (const g of groups) if (g._id.status === 'refused' && g._id.refusal) refusals[g._id.refusal as ReferralRefusal] = (refusals[g._id.refusal as ReferralRefusal] ?? 0) + g.count;
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      terms,
      totals: {
        inviters,
        views: viewCount,
        joined,
        converted,
        refused: count((g) => g._id.status === 'refused'),
        conversionRate: joined ? converted / joined : 0,
      },
      refusals,
      cost: {
        points: groups.reduce((sum, g) => sum + g.points, 0),
        coupons: groups.reduce((sum, g) => sum + g.coupons, 0),
        couponFaceFen: groups.reduce((sum, g) => sum + g.faceFen, 0),
      },
      recent: recent.map((r) => ({
        id: String(r._id),
        inviter: ref(r.inviterId),
        invitee: ref(r.inviteeId),
        status: statusOf(r, terms.windowDays, to),
        refusal: r.refusal,
        joinedAt: r.joinedAt.toISOString(),
        rewardedAt: r.rewardedAt ? r.rewardedAt.toISOString() : null,
        points: r.status === 'rewarded' ? (r.reward?.inviterPoints ?? 0) + (r.reward?.inviteePoints ?? 0) : 0,
        coupons: (r.inviterCouponId ? 1 : 0) + (r.inviteeCouponId ? 1 : 0),
      })),
    };
  }

  // ---- helpers ----

  private async activeMember(memberId: string): Promise<MemberDoc> {
    const member = Types.ObjectId.isValid(memberId) ? await this.deps.members.findOne({ _id: memberId, status: 'active' }).lean<MemberDoc>() : null;
    if (!member) throw new AppError(ErrorCode.NOT_A_MEMBER, 'Join the membership first.');
    return member;
  }

  /** The member's referral code; members from before codes were given (imports, old data) get one now. */
  private async codeOf(member: MemberDoc): Promise<string> {
    if (member.referralCode) return member.referralCode;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const updated = await this.deps.members
          .findOneAndUpdate({ _id: member._id, referralCode: null }, { $set: { referralCode: newReferralCode() } }, { returnDocument: 'after' })
          .lean<MemberDoc>();
        const code = updated?.referralCode ?? (await this.deps.members.findById(member._id, { referralCode: 1 }).lean<MemberDoc>())?.referralCode;
        if (code) return code;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    throw new Error('no free referral code after 5 draws');
  }

  private deviceHash(deviceId: string): string {
    return createHmac('sha256', this.deviceKey).update(deviceId, 'utf8').digest('hex');
  }

  private async rememberDevice(memberId: Types.ObjectId, deviceId: string): Promise<void> {
    await this.deps.devices
      .updateOne({ memberId, deviceHash: this.deviceHash(deviceId) }, { $setOnInsert: { at: this.deps.now() } }, { upsert: true })
      .catch((err) => {
        if (!isDuplicateKeyError(err)) throw err;
      });
  }
}

function partyOf(member: MemberDoc): ReferralParty {
  return { memberId: String(member._id), unionid: member.unionid ?? null, phone: member.phone ?? null, rejoined: member.rejoined ?? false, active: member.status === 'active' };
}

/** What a referral reads as now: a waiting one past its window has expired. */
function statusOf(referral: ReferralDoc, windowDays: number, now: Date): ReferralStatus {
  if (referral.status === 'joined' && now.getTime() > qualifyingDeadline(referral.joinedAt, windowDays).getTime()) return 'expired';
  return referral.status;
}
