import {
  activeCampaignMultiplier,
  base32Encode,
  cardNoFromBody,
  chinaCalendarDate,
  chinaIsoDate,
  couponApplicability,
  couponSavingFen,
  DAY_MS,
  earnPoints,
  endOfChinaMonth,
  isProfileComplete,
  lotExpiry,
  nameKeyOf,
  planSpend,
  reviewTier,
  spendWindowStart,
  tierAfterPurchase,
  tierReviewYear,
  type EarnRules,
  type Segment,
  type TierLadder,
} from '@membercard/shared';
import type { Types } from 'mongoose';
import type { ActivityDoc, SignupDoc } from '../../modules/activities/model';
import type { AuditEntry } from '../../modules/audit/model';
import type { AutomationOccurrenceDoc } from '../../modules/automation/model';
import { couponDocument } from '../../modules/coupons/issuer';
import type { CouponDoc, CouponTemplateDoc, IssueChannel, RedemptionDoc } from '../../modules/coupons/model';
import type { MemberDoc } from '../../modules/members/model';
import type { LedgerEntry, LedgerSource, PointsLot } from '../../modules/points/model';
import type { PurchaseDoc, TierReviewDoc } from '../../modules/purchases/model';
import { spendOf } from '../../modules/categories/summary';
import { basket, PERSONAS, type Persona, type PurchaseLineDraft } from './catalog';
import { birthday, interests, MEMBER_TAGS, openid, person } from './people';
import type { Random } from './random';

// A year (and a bit) of the demo brand, lived member by member in memory: every purchase, points earning,
// mall exchange, coupon, redemption, expiry, tier change, check-in and campaign goes through the same pure
// rules the services use (earnPoints with the member-day multiplier, lotExpiry/planSpend, tierAfterPurchase and
// the yearly reviewTier, spendWindowStart, couponDocument/couponApplicability/couponSavingFen), in time order
// per member, and comes out as the documents the services would have written. The seed then inserts them in
// bulk: balance = Σ ledger = Σ open lots, spend12mFen = Σ purchases still in the window, every coupon counted
// by its template, every seat by its activity.

const HOUR_MS = 3600_000;
/** The points-expiry job runs every 15 minutes: a lot's remainder leaves a few minutes after its expiry. */
const EXPIRY_LAG_MS = 10 * 60_000;
/** The automation job runs hourly. */
const RULE_LAG_MS = 40 * 60_000;
const WIN_BACK_DAYS = 90;
const REFERRAL_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ'; // the members service's alphabet (no 0/1/I/O)

export interface BrandStore {
  id: string;
  name: string;
  city: string;
  openedAt: Date;
  /** How many joiners pick it, relative to the others open at the time. */
  weight: number;
  clerkIds: string[];
}

export interface PlannedCampaign {
  id: Types.ObjectId;
  name: string;
  template: CouponTemplateDoc;
  segment: Segment;
  /** The saved segment the audience was copied from. */
  source: { savedSegmentId: Types.ObjectId; name: string } | null;
  createdAt: Date;
  launchedAt: Date;
  completedAt: Date;
  holdoutShare: number;
  holdoutSeed: string;
  /** Whether a held-out member is drawn (the shared holdout rule, given by the seed). */
  heldOut: (memberId: string) => { draw: number; held: boolean };
  /** Chance that the coupon brings a treated member in for an extra visit within its validity. */
  extraVisit: number;
  /** Chance a treated member uses it on a visit where it applies. */
  use: number;
}

export interface PlannedActivity {
  doc: ActivityDoc;
  /** Sign-ups by member index, decided before the members' years are lived. */
  signups: Map<number, { at: Date; attended: boolean; cancelled: boolean }>;
}

export interface BrandPlan {
  now: Date;
  random: Random;
  members: number;
  foundingMembers: number;
  programStart: Date;
  stores: BrandStore[];
  tiers: TierLadder;
  earnRules: EarnRules;
  profileBonusPoints: number;
  privacyPolicyVersion: string;
  templates: { welcome: CouponTemplateDoc; birthday: CouponTemplateDoc; winBack: CouponTemplateDoc; tierUpgrade: CouponTemplateDoc; mall: CouponTemplateDoc };
  campaigns: PlannedCampaign[];
  activities: PlannedActivity[];
}

export interface CampaignAudienceDraft {
  _id: Types.ObjectId;
  campaignId: Types.ObjectId;
  memberId: Types.ObjectId;
  holdout: boolean;
  draw: number;
  homeStoreId: string | null;
  tier: string;
  at: Date;
}

export interface BrandDocs {
  members: Array<MemberDoc & { categoryStats: CategoryStat[]; updatedAt: Date }>;
  purchases: PurchaseDoc[];
  ledger: LedgerEntry[];
  lots: PointsLot[];
  coupons: CouponDoc[];
  redemptions: RedemptionDoc[];
  occurrences: AutomationOccurrenceDoc[];
  tierReviews: TierReviewDoc[];
  signups: SignupDoc[];
  audience: CampaignAudienceDraft[];
  audit: Array<Omit<AuditEntry, '_id'> & { _id: Types.ObjectId }>;
}

export interface CategoryStat {
  category: string;
  lastAt: Date;
  spend12mFen: number;
  visits: number;
}

/** One member's traits, drawn before their year is lived (activities pick their sign-ups from these). */
export interface MemberSketch {
  index: number;
  id: Types.ObjectId;
  joinedAt: Date;
  homeStoreId: string;
  persona: Persona;
  /** Visits a year while they keep coming. */
  visitsPerYear: number;
  /** When they stop coming (or null: still a regular). */
  lapsesAt: Date | null;
  basketMedianFen: number;
}

type Event =
  | { at: Date; kind: 'purchase'; storeId: string; intent?: CouponDoc }
  | { at: Date; kind: 'exchange' }
  | { at: Date; kind: 'profile' }
  | { at: Date; kind: 'attend'; activity: PlannedActivity; signup: SignupDoc }
  | { at: Date; kind: 'campaign'; campaign: PlannedCampaign }
  | { at: Date; kind: 'review' }
  | { at: Date; kind: 'birthday' };

/** The members' traits: who joins when, where, how often they come back and how much they spend. */
export function sketchMembers(plan: BrandPlan): MemberSketch[] {
  const random = plan.random.fork('sketches');
  const { now } = plan;
  const yearAgo = now.getTime() - 365 * DAY_MS;
  const sketches: MemberSketch[] = [];
  const total = plan.members + plan.foundingMembers;
  for (let index = 0; index < total; index++) {
    // Founding members joined in the programme's first months; the rest over the last 12 months, more of them
    // lately (word of mouth, new stores), none in the last hour.
    const founding = index < plan.foundingMembers;
    const from = founding ? plan.programStart.getTime() : yearAgo + HOUR_MS;
    const to = founding ? yearAgo : now.getTime() - HOUR_MS;
    // Most join at the till, so at shopping hours (never after "now").
    const drawn = from + (to - from) * Math.pow(random.next(), founding ? 1 : 0.8);
    const joinedAt = new Date(Math.max(from, Math.min(atShoppingHour(random, drawn), to)));
    const open = plan.stores.filter((store) => store.openedAt <= joinedAt);
    const homeStoreId = random.weighted(open, (store) => store.weight).id;
    const persona = random.weighted(PERSONAS, (p) => p.share);
    // 15% join for the welcome gift and never buy; the rest visit at a heavy-tailed rate.
    const visitsPerYear = random.chance(0.15) ? 0 : Math.min(160, random.lognormal(6, 1.05));
    const lapsesAt = random.chance(0.4) ? new Date(joinedAt.getTime() + random.exponential(150) * DAY_MS) : null;
    const basketMedianFen = Math.round(random.lognormal(11_000, 0.35));
    sketches.push({ index, id: random.objectId(joinedAt), joinedAt, homeStoreId, persona, visitsPerYear, lapsesAt, basketMedianFen });
  }
  // Ids (and so the members list and the campaign walk) in joining order.
  return sketches.sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime()).map((s, index) => ({ ...s, index }));
}

/** Lives every member's year and answers the documents. */
export function simulateBrand(plan: BrandPlan, sketches: MemberSketch[]): BrandDocs {
  const docs: BrandDocs = { members: [], purchases: [], ledger: [], lots: [], coupons: [], redemptions: [], occurrences: [], tierReviews: [], signups: [], audience: [], audit: [] };
  const orderSeq = new Map<string, number>();
  for (const sketch of sketches) new MemberYear(plan, sketch, docs, orderSeq, plan.random.fork(`member:${sketch.index}`)).lifetime();
  return docs;
}

interface LotState {
  doc: PointsLot;
}

class MemberYear {
  private readonly member: MemberDoc & { categoryStats: CategoryStat[]; updatedAt: Date };
  private readonly events: Event[] = [];
  private readonly lots: LotState[] = [];
  private readonly held: CouponDoc[] = [];
  private readonly slots = new Map<string, number>();
  private readonly window: Array<{ at: number; amount: number; lines: PurchaseLineDraft[] }> = [];
  private windowStart = 0;
  private winBackDue: number | null = null;
  private birthdayKnownAt: Date | null = null;
  private readonly campaignCoupons = new Map<string, PlannedCampaign>();
  private readonly who: ReturnType<typeof person>;
  private readonly purchases: PurchaseDoc[] = [];

  constructor(
    private readonly plan: BrandPlan,
    private readonly sketch: MemberSketch,
    private readonly docs: BrandDocs,
    private readonly orderSeq: Map<string, number>,
    private readonly random: Random,
  ) {
    const { tiers, privacyPolicyVersion } = plan;
    const joinedAt = sketch.joinedAt;
    const who = person(random);
    this.who = who;
    let body = String(random.int(1, 9));
    body += random.digits(10);
    let referral = '';
    for (let i = 0; i < 8; i++) referral += random.pick([...REFERRAL_ALPHABET]);
    const secret = new Uint8Array(20);
    for (let i = 0; i < secret.length; i++) secret[i] = random.int(0, 255);
    // Most share their phone number when they join (WeChat's one-tap phone); a name comes with the profile.
    this.member = {
      _id: sketch.id,
      status: 'active',
      openid: openid(random),
      unionid: null,
      cardNo: cardNoFromBody(body),
      codeSecret: base32Encode(secret),
      codeHandle: null,
      consent: { privacyPolicyVersion, acceptedAt: joinedAt },
      homeStoreId: sketch.homeStoreId,
      referralCode: referral,
      referredBy: null,
      name: random.chance(0.35) ? who.name : null,
      nameKey: null,
      legacyCardNo: null,
      gender: null,
      birthday: null,
      birthdayMonth: null,
      phone: random.chance(0.85) ? who.phone : null,
      city: null,
      interests: null,
      profileComplete: false,
      profileBonusAwardedAt: null,
      rejoined: false,
      tier: tiers[0]!.code,
      tierSince: joinedAt,
      pointsBalance: 0,
      spend12mFen: 0,
      lastPurchaseAt: null,
      tags: [],
      joinedAt,
      createdAt: new Date(joinedAt.getTime() - random.int(1, 30) * 60_000),
      erasedAt: null,
      categoryStats: [],
      updatedAt: plan.now,
    };
    // Half complete their profile (for the 200-point bonus), most within the first fortnight.
    if (random.chance(0.5)) {
      const at = this.clampPast(new Date(joinedAt.getTime() + Math.min(random.exponential(6), 200) * DAY_MS + 5 * 60_000));
      if (at) {
        this.member.name = who.name;
        this.member.phone ??= who.phone;
        this.schedule({ at, kind: 'profile' });
      }
    } else if (random.chance(0.2)) {
      // Some give a birthday at joining and nothing else (the birthday gift is asked for on the join page).
      this.setBirthday(joinedAt);
    }
    const tagged = sketch.persona.tag && random.chance(0.35) ? [sketch.persona.tag] : [];
    if (random.chance(0.12)) tagged.push(random.pick(MEMBER_TAGS));
    this.member.tags = [...new Set(tagged)];
    this.planVisits();
    for (const campaign of plan.campaigns) if (campaign.launchedAt > joinedAt) this.schedule({ at: campaign.launchedAt, kind: 'campaign', campaign });
    for (const activity of plan.activities) {
      const signup = activity.signups.get(sketch.index);
      if (signup) this.signUp(activity, signup);
    }
    // The yearly review at 03:00 on 1 January, China time, of each year the member has been through.
    for (let year = chinaCalendarDate(joinedAt).year + 1; year <= chinaCalendarDate(plan.now).year; year++) {
      const at = new Date(endOfChinaMonth(year - 1, 12).getTime() + 1 + 3 * HOUR_MS);
      if (at > joinedAt && at < plan.now) this.schedule({ at, kind: 'review' });
    }
  }

  private clampPast(at: Date): Date | null {
    return at.getTime() < this.plan.now.getTime() - 60_000 ? at : null;
  }

  private setBirthday(at: Date): void {
    this.member.birthday = birthday(this.random);
    this.member.birthdayMonth = Number(this.member.birthday.slice(5, 7));
    this.birthdayKnownAt = at;
    this.planBirthdays();
  }

  /** The birthday rule's hourly run gives the coupon early in the birthday month (or once the birthday is known). */
  private planBirthdays(): void {
    const month = this.member.birthdayMonth!;
    const known = this.birthdayKnownAt!;
    for (let year = chinaCalendarDate(known).year; year <= chinaCalendarDate(this.plan.now).year; year++) {
      const monthStart = endOfChinaMonth(year, month - 1).getTime() + 1;
      const monthEnd = endOfChinaMonth(year, month).getTime();
      const at = Math.max(monthStart + HOUR_MS, known.getTime() + RULE_LAG_MS);
      if (at <= monthEnd && at < this.plan.now.getTime()) this.schedule({ at: new Date(at), kind: 'birthday' });
    }
  }

  /** Visits as a Poisson process (busier at weekends and on Wednesday member days), until the member lapses. */
  private planVisits(): void {
    const { sketch, random, plan } = this;
    if (sketch.visitsPerYear === 0) return;
    const end = Math.min(plan.now.getTime() - 30 * 60_000, sketch.lapsesAt?.getTime() ?? Infinity);
    const open = plan.stores.filter((store) => store.id !== sketch.homeStoreId);
    const storeFor = (at: number) => {
      const elsewhere = open.filter((store) => store.openedAt.getTime() <= at);
      return elsewhere.length && random.chance(0.12) ? random.pick(elsewhere).id : sketch.homeStoreId;
    };
    // Most join at the till, buying.
    let t = sketch.joinedAt.getTime();
    if (random.chance(0.65)) this.schedule({ at: new Date(t + random.int(2, 20) * 60_000), kind: 'purchase', storeId: sketch.homeStoreId });
    const peak = 1.4;
    const ratePerMs = (sketch.visitsPerYear * peak) / (365 * DAY_MS);
    for (;;) {
      t += random.exponential(1 / ratePerMs);
      if (t >= end) break;
      const { isoWeekday } = chinaCalendarDate(new Date(t));
      const weight = isoWeekday >= 6 ? 1.4 : isoWeekday === 3 ? 1.25 : 0.85;
      if (!random.chance(weight / peak)) continue;
      const at = this.atShoppingHour(t);
      if (at <= sketch.joinedAt.getTime() || at >= plan.now.getTime() - 60_000) continue;
      this.schedule({ at: new Date(at), kind: 'purchase', storeId: storeFor(at) });
    }
  }

  private atShoppingHour(t: number): number {
    return atShoppingHour(this.random, t);
  }

  private signUp(activity: PlannedActivity, planned: { at: Date; attended: boolean; cancelled: boolean }): void {
    const { doc } = activity;
    const id = this.random.objectId(planned.at);
    const cancelledAt = planned.cancelled ? new Date(Math.min(planned.at.getTime() + this.random.int(1, 72) * HOUR_MS, doc.signupClosesAt.getTime() - 60_000)) : null;
    const signup: SignupDoc = {
      _id: id,
      activityId: doc._id,
      memberId: this.member._id,
      status: planned.cancelled ? 'cancelled' : 'confirmed',
      ...(planned.cancelled ? {} : { live: true as const }),
      seq: 0, // numbered in arrival order once every member has signed up (see numberSignups)
      paymentDueAt: null,
      createdAt: planned.at,
      updatedAt: cancelledAt ?? planned.at,
      confirmedAt: planned.at,
      attendedAt: null,
      checkedInBy: null,
      cancelledAt,
      cancelReason: planned.cancelled ? 'member' : null,
    };
    this.docs.signups.push(signup);
    if (planned.attended && !planned.cancelled) {
      const at = new Date(doc.startAt.getTime() + this.random.int(-25, 40) * 60_000);
      if (at < this.plan.now) this.schedule({ at, kind: 'attend', activity, signup });
    }
  }

  /** Events added while living go into their place in time (before that, they are sorted once). */
  private living = false;

  private schedule(event: Event): void {
    if (!this.living) {
      this.events.push(event);
      return;
    }
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.at.getTime() > event.at.getTime()) i--;
    this.events.splice(i, 0, event);
  }

  lifetime(): void {
    const { member, plan } = this;
    const joinedAt = member.joinedAt!;
    this.issue(plan.templates.welcome, 'automation', `welcome:${String(member._id)}`, new Date(joinedAt.getTime() + 2_000), 'welcome');
    this.winBackDue = joinedAt.getTime() + WIN_BACK_DAYS * DAY_MS + RULE_LAG_MS;
    this.events.sort((a, b) => a.at.getTime() - b.at.getTime());
    this.living = true;
    for (let event = this.events.shift(); event; event = this.events.shift()) {
      this.advance(event.at.getTime());
      this.handle(event);
    }
    this.advance(plan.now.getTime());
    this.finish();
  }

  /** What happened between events: lots expiring, the win-back rule noticing a lapse. */
  private advance(until: number): void {
    for (;;) {
      const lot = this.lots.find((l) => l.doc.remaining > 0 && !l.doc.expiredAt && l.doc.expiresAt.getTime() + EXPIRY_LAG_MS <= until);
      const lotAt = lot ? lot.doc.expiresAt.getTime() + EXPIRY_LAG_MS : Infinity;
      const winBackAt = this.winBackDue !== null && this.winBackDue <= until ? this.winBackDue : Infinity;
      if (lotAt === Infinity && winBackAt === Infinity) return;
      if (lotAt <= winBackAt) this.expire(lot!, new Date(lotAt));
      else this.winBack(new Date(winBackAt));
    }
  }

  private handle(event: Event): void {
    switch (event.kind) {
      case 'purchase':
        return this.purchase(event.at, event.storeId, event.intent);
      case 'exchange':
        return this.exchange(event.at);
      case 'profile':
        return this.completeProfile(event.at);
      case 'attend':
        return this.attend(event.at, event.activity, event.signup);
      case 'campaign':
        return this.campaign(event.at, event.campaign);
      case 'review':
        return this.review(event.at);
      case 'birthday': {
        const { year } = chinaCalendarDate(event.at);
        this.issue(this.plan.templates.birthday, 'automation', `birthday:${year}:${String(this.member._id)}`, event.at, 'birthday');
        return;
      }
    }
  }

  // ---- points ----

  private earn(at: Date, amount: number, reason: string, source: LedgerSource, key: string, storeId: string | null, actorId: string | null): LedgerEntry {
    const entryId = this.random.objectId(at);
    const expiresAt = lotExpiry(at);
    this.member.pointsBalance += amount;
    const entry: LedgerEntry = {
      _id: entryId,
      memberId: this.member._id,
      delta: amount,
      balanceAfter: this.member.pointsBalance,
      reason,
      source,
      idempotencyKey: key,
      createdAt: at,
      expiresAt,
      storeId,
      actorId,
    };
    this.docs.ledger.push(entry);
    const lot: PointsLot = { _id: this.random.objectId(at), memberId: this.member._id, entryId, amount, remaining: amount, earnedAt: at, expiresAt, expiredAt: null };
    this.lots.push({ doc: lot });
    this.docs.lots.push(lot);
    return entry;
  }

  /** A spend drawn soonest-expiring first (planSpend), as PointsLedger.spend does. */
  private spendPoints(at: Date, amount: number, reason: string, key: string): LedgerEntry | null {
    const open = this.lots.filter((l) => l.doc.remaining > 0 && !l.doc.expiredAt);
    const plan = planSpend(open.map((l) => ({ id: String(l.doc._id), remaining: l.doc.remaining, expiresAt: l.doc.expiresAt })), amount);
    if (!plan.ok) return null;
    const byId = new Map(open.map((l) => [String(l.doc._id), l]));
    const draws = plan.draws.map((d) => {
      const lot = byId.get(d.lotId)!;
      lot.doc.remaining -= d.amount;
      return { lotId: lot.doc._id, amount: d.amount };
    });
    this.member.pointsBalance -= amount;
    const entry: LedgerEntry = {
      _id: this.random.objectId(at),
      memberId: this.member._id,
      delta: -amount,
      balanceAfter: this.member.pointsBalance,
      reason,
      source: 'exchange',
      idempotencyKey: key,
      createdAt: at,
      expiresAt: null,
      draws,
      storeId: null,
      actorId: null,
    };
    this.docs.ledger.push(entry);
    return entry;
  }

  private expire(lot: LotState, at: Date): void {
    const amount = lot.doc.remaining;
    lot.doc.remaining = 0;
    lot.doc.expiredAt = at;
    this.member.pointsBalance -= amount;
    this.docs.ledger.push({
      _id: this.random.objectId(at),
      memberId: this.member._id,
      delta: -amount,
      balanceAfter: this.member.pointsBalance,
      reason: '积分过期',
      source: 'expiry',
      idempotencyKey: `expiry:${String(lot.doc._id)}`,
      createdAt: at,
      expiresAt: null,
      draws: [{ lotId: lot.doc._id, amount }],
      storeId: null,
      actorId: null,
    });
  }

  // ---- the member's own doings ----

  private completeProfile(at: Date): void {
    const { member, random, sketch } = this;
    member.gender = this.who.gender;
    if (!member.birthday) this.setBirthday(at);
    member.city = this.plan.stores.find((s) => s.id === sketch.homeStoreId)!.city;
    member.interests = interests(random, sketch.persona.interests);
    if (!isProfileComplete(member)) throw new Error('a completed demo profile must be complete');
    member.profileComplete = true;
    member.profileBonusAwardedAt = at;
    this.earn(at, this.plan.profileBonusPoints, '完善资料奖励', 'bonus', `bonus:profile:${String(member._id)}`, null, null);
  }

  private purchase(at: Date, storeId: string, intent?: CouponDoc): void {
    const { member, plan, random, sketch } = this;
    const store = plan.stores.find((s) => s.id === storeId)!;
    const staffId = random.pick(store.clerkIds);
    const { month, day } = chinaCalendarDate(at);
    const giftSeason = (month === 9 && day <= 25) || month === 1 || (month === 2 && day <= 15);
    const target = Math.max(1_000, Math.round(random.lognormal(sketch.basketMedianFen, 0.55)));
    const lines = basket(random, sketch.persona, intent?.minSpendFen ? Math.max(target, intent.minSpendFen * 1.05) : target, giftSeason);
    const amountFen = lines.reduce((sum, line) => sum + line.amountFen, 0);
    const seq = (this.orderSeq.get(storeId) ?? 0) + 1;
    this.orderSeq.set(storeId, seq);
    const orderNo = `${storeId}${chinaIsoDate(at).replaceAll('-', '')}${String(seq).padStart(6, '0')}`;

    // A coupon the member brings along: the one that brought them in, else maybe one that applies.
    const coupon = this.couponFor(at, storeId, amountFen, intent);
    if (coupon) this.redeem(coupon, at, storeId, staffId, orderNo, amountFen);

    const tierBefore = member.tier;
    const held = plan.tiers.find((t) => t.code === member.tier) ?? plan.tiers[0]!;
    const points = earnPoints({
      amountFen,
      baseRate: plan.earnRules.baseRate,
      tierMultiplier: held.pointsMultiplier,
      campaignMultiplier: activeCampaignMultiplier(plan.earnRules, { now: at, storeId, tier: member.tier }),
    });
    const entry = points > 0 ? this.earn(at, points, `消费积分 ${orderNo}`, 'purchase', `purchase:${storeId}:${orderNo}`, storeId, staffId) : null;
    this.window.push({ at: at.getTime(), amount: amountFen, lines });
    const spend = this.spendAt(at);
    const reached = tierAfterPurchase(plan.tiers, member.tier, spend);
    if (reached.code !== member.tier) this.changeTier(reached.code, at, true);
    const purchaseId = random.objectId(at);
    const purchaseDoc: PurchaseDoc = {
      _id: purchaseId,
      memberId: member._id,
      storeId,
      orderNo,
      amountFen,
      lines,
      categorySpend: spendOf(lines),
      pointsEarned: points,
      ledgerEntryId: entry?._id ?? null,
      balanceAfter: member.pointsBalance,
      tierBefore,
      tierAfter: member.tier,
      staffId,
      createdAt: at,
      status: 'booked',
      inSpendWindow: true, // settled against the window at the end (finish)
      reversal: null,
    };
    this.purchases.push(purchaseDoc);
    this.docs.purchases.push(purchaseDoc);
    this.audit(at, { actorId: staffId, storeId }, { action: 'purchase.create', targetType: 'purchase', targetId: String(purchaseId), after: { orderNo, amountFen, pointsEarned: points, tierBefore, tierAfter: member.tier } });
    member.lastPurchaseAt = at;
    this.winBackDue = at.getTime() + WIN_BACK_DAYS * DAY_MS + RULE_LAG_MS;
    // Points-minded members turn 500 points into the mall's ¥10 coupon within a few days.
    const mall = plan.templates.mall;
    if (member.pointsBalance >= mall.pointsCost! && random.chance(0.12)) {
      const when = this.clampPast(new Date(at.getTime() + random.int(1, 96) * HOUR_MS));
      if (when) this.schedule({ at: when, kind: 'exchange' });
    }
  }

  /** spend12mFen at `at`: the purchases after the window's start (spendWindowStart), as the spend-window job keeps it. */
  private spendAt(at: Date): number {
    const start = spendWindowStart(at).getTime();
    while (this.windowStart < this.window.length && this.window[this.windowStart]!.at <= start) this.windowStart++;
    return this.window.slice(this.windowStart).reduce((sum, p) => sum + p.amount, 0);
  }

  private changeTier(code: string, at: Date, upgrade: boolean): void {
    this.member.tier = code;
    this.member.tierSince = at;
    if (upgrade && code !== this.plan.tiers[0]!.code) {
      const fired = new Date(at.getTime() + RULE_LAG_MS);
      if (fired < this.plan.now) this.issue(this.plan.templates.tierUpgrade, 'automation', `tier_upgrade:${code}:${chinaIsoDate(at)}:${String(this.member._id)}`, fired, 'tier_upgrade');
    }
  }

  private review(at: Date): void {
    const { plan, member } = this;
    const ladder = [...plan.tiers].sort((a, b) => a.minSpendFen - b.minSpendFen);
    const spend = this.spendAt(at);
    // The review looks at members above the entry tier, or with the spend for a higher one.
    if (member.tier === ladder[0]!.code && !(ladder[1] && spend >= ladder[1].minSpendFen)) return;
    const year = tierReviewYear(at);
    const next = reviewTier(ladder, member.tier, spend);
    this.docs.tierReviews.push({ _id: `${year}:${String(member._id)}`, memberId: member._id, year, from: member.tier, to: next.code, spendFen: spend, reviewedAt: at });
    if (next.code !== member.tier) this.changeTier(next.code, at, false);
  }

  private exchange(at: Date): void {
    const { mall } = this.plan.templates;
    const cost = mall.pointsCost!;
    if (this.member.pointsBalance < cost || (this.slots.get(String(mall._id)) ?? 0) >= mall.perMemberLimit) return;
    const key = this.random.uuid();
    if (!this.spendPoints(at, cost, `积分兑换：${mall.title}`, `exchange:${String(this.member._id)}:${key}`)) return;
    this.issue(mall, 'mall', key, at);
  }

  private attend(at: Date, activity: PlannedActivity, signup: SignupDoc): void {
    const { doc } = activity;
    const store = this.plan.stores.find((s) => s.id === doc.storeId)!;
    const clerk = this.random.pick(store.clerkIds);
    signup.status = 'attended';
    signup.attendedAt = at;
    signup.checkedInBy = clerk;
    signup.updatedAt = at;
    if (doc.attendancePoints > 0) this.earn(at, doc.attendancePoints, `活动签到：${doc.title}`, 'attendance', `attendance:${String(signup._id)}`, doc.storeId, clerk);
    this.audit(at, { actorId: clerk, storeId: store.id }, { action: 'activity.checkin', targetType: 'signup', targetId: String(signup._id), before: { status: 'confirmed' }, after: { status: 'attended', pointsAwarded: doc.attendancePoints } });
  }

  // ---- coupons ----

  private issue(template: CouponTemplateDoc, channel: IssueChannel, channelRef: string, at: Date, rule?: AutomationOccurrenceDoc['rule'], extra: Partial<CouponDoc> = {}): CouponDoc | null {
    const slot = this.slots.get(String(template._id)) ?? 0;
    if (slot >= template.perMemberLimit) return null;
    this.slots.set(String(template._id), slot + 1);
    const coupon: CouponDoc = {
      _id: this.random.objectId(at),
      ...couponDocument(template, { templateId: template._id, channel, channelRef, memberId: this.member._id }, at),
      limitSlot: slot,
      ...extra,
    };
    this.docs.coupons.push(coupon);
    this.held.push(coupon);
    if (rule) {
      this.docs.occurrences.push({ _id: channelRef, rule, memberId: this.member._id, status: 'done', couponIssued: true, notified: false, claimedUntil: new Date(at.getTime() + 5 * 60_000), createdAt: at, doneAt: at });
    }
    return coupon;
  }

  /** How likely a member is to use a coupon of this kind when it applies. */
  private useChance(coupon: CouponDoc): number {
    if (coupon.channel === 'mall') return 0.85;
    if (coupon.channel === 'campaign') return this.campaignCoupons.get(String(coupon._id))?.use ?? 0.3;
    if (coupon.channelRef.startsWith('welcome:')) return 0.45;
    if (coupon.channelRef.startsWith('birthday:')) return 0.5;
    if (coupon.channelRef.startsWith('tier_upgrade:')) return 0.4;
    return 0.35;
  }

  private couponFor(at: Date, storeId: string, amountFen: number, intent?: CouponDoc): CouponDoc | null {
    const applies = (coupon: CouponDoc) =>
      coupon.status === 'issued' && couponApplicability({ ...coupon, minSpendFen: coupon.minSpendFen ?? undefined }, { now: at, storeId, tier: this.member.tier, orderAmountFen: amountFen }).ok;
    if (intent && applies(intent)) return intent;
    const candidates = this.held.filter(applies);
    for (const coupon of candidates.sort((a, b) => a.validUntil.getTime() - b.validUntil.getTime())) {
      if (this.random.chance(this.useChance(coupon))) return coupon;
    }
    return null;
  }

  private redeem(coupon: CouponDoc, at: Date, storeId: string, staffId: string, orderNo: string, orderAmountFen: number): void {
    const redemptionId = this.random.objectId(at);
    coupon.status = 'redeemed';
    coupon.redeemedAt = at;
    coupon.redemptionId = redemptionId;
    this.held.splice(this.held.indexOf(coupon), 1);
    // The redemption service's terms (termsOf in coupons/redemptions.ts).
    const terms = { type: coupon.type, minSpendFen: coupon.minSpendFen ?? undefined, amountOffFen: coupon.amountOffFen ?? undefined, percentOff: coupon.percentOff ?? undefined, maxOffFen: coupon.maxOffFen ?? undefined };
    const savingFen = couponSavingFen(terms, orderAmountFen).savingFen;
    this.docs.redemptions.push({
      _id: redemptionId,
      couponId: coupon._id,
      memberId: this.member._id,
      templateId: coupon.templateId,
      channel: coupon.channel,
      channelRef: coupon.channelRef,
      storeId,
      staffId,
      orderNo,
      orderAmountFen,
      savingFen,
      status: 'redeemed',
      createdAt: at,
      reversedAt: null,
      reversedBy: null,
      reversalReason: null,
    });
    this.audit(at, { actorId: staffId, storeId }, {
      action: 'redemption.create',
      targetType: 'redemption',
      targetId: String(redemptionId),
      before: { couponStatus: 'issued' },
      after: { couponStatus: 'redeemed', couponId: String(coupon._id), orderNo, orderAmountFen },
    });
  }

  /** The win-back rule: 90 days without a purchase (or since joining, for one who never bought). */
  private winBack(at: Date): void {
    this.winBackDue = null;
    const { member, random } = this;
    const key = `win_back:${member.lastPurchaseAt ? chinaIsoDate(member.lastPurchaseAt) : 'never'}:${String(member._id)}`;
    const coupon = this.issue(this.plan.templates.winBack, 'automation', key, at, 'win_back');
    // A few come back for it.
    if (coupon && random.chance(0.1)) {
      const when = this.clampPast(new Date(this.atShoppingHour(at.getTime() + random.int(1, 12) * DAY_MS)));
      if (when && when < coupon.validUntil && when > at) this.schedule({ at: when, kind: 'purchase', storeId: this.sketch.homeStoreId, intent: coupon });
    }
  }

  /** A campaign launched: the member is in its audience if the segment matches now; the shared draw holds some out. */
  private campaign(at: Date, campaign: PlannedCampaign): void {
    const { member, random } = this;
    if (!segmentMatches(campaign.segment, member, this.spendAt(at), at)) return;
    const { draw, held } = campaign.heldOut(String(member._id));
    const pushedAt = new Date(at.getTime() + random.int(5, 90) * 1000);
    this.docs.audience.push({ _id: random.objectId(pushedAt), campaignId: campaign.id, memberId: member._id, holdout: held, draw, homeStoreId: member.homeStoreId, tier: member.tier, at: pushedAt });
    if (held) return;
    const coupon = this.issue(campaign.template, 'campaign', String(campaign.id), pushedAt, undefined, { issueBatchId: 'pending' });
    if (!coupon) return;
    this.campaignCoupons.set(String(coupon._id), campaign);
    // What the push caused: some treated members come in for it.
    if (random.chance(campaign.extraVisit)) {
      const span = Math.max(HOUR_MS, coupon.validUntil.getTime() - pushedAt.getTime() - HOUR_MS);
      const when = this.clampPast(new Date(this.atShoppingHour(pushedAt.getTime() + random.next() * span)));
      if (when && when > pushedAt && when < coupon.validUntil) this.schedule({ at: when, kind: 'purchase', storeId: member.homeStoreId!, intent: coupon });
    }
  }

  private audit(at: Date, actor: { actorId: string; storeId: string }, input: { action: string; targetType: string; targetId: string; before?: unknown; after?: unknown }): void {
    this.docs.audit.push({
      _id: this.random.objectId(at),
      actorType: 'staff',
      actorId: actor.actorId,
      role: 'clerk',
      hqRole: null,
      storeId: actor.storeId,
      ...input,
      memberId: String(this.member._id),
      before: input.before ?? null,
      after: input.after ?? null,
      requestId: this.random.uuid(),
      at,
    });
  }

  /** The member as of now: spend still in the window, coupons past their validity expired by the job. */
  private finish(): void {
    const { member, plan } = this;
    const cutoff = spendWindowStart(plan.now).getTime();
    member.spend12mFen = this.spendAt(plan.now);
    for (const purchase of this.purchases) purchase.inSpendWindow = purchase.createdAt.getTime() > cutoff;
    for (const coupon of this.held) {
      const expiredAt = coupon.validUntil.getTime() + 5 * 60_000;
      if (expiredAt <= plan.now.getTime()) {
        coupon.status = 'expired';
        coupon.expiredAt = new Date(expiredAt);
      }
    }
    // Category figures the segment builder's "bought category" reads: last purchase and 12-month spend per category.
    const stats = new Map<string, CategoryStat>();
    for (const purchase of this.window) {
      for (const line of purchase.lines) {
        const stat = stats.get(line.category) ?? { category: line.category, lastAt: new Date(0), spend12mFen: 0, visits: 0 };
        if (purchase.at > stat.lastAt.getTime()) stat.lastAt = new Date(purchase.at);
        if (purchase.at > cutoff) stat.spend12mFen += line.amountFen;
        stats.set(line.category, stat);
      }
      // A visit per purchase and category, kept when the purchase ages out (CategorySummary.takeBackWith, visit: false).
      for (const category of new Set(purchase.lines.map((line) => line.category))) stats.get(category)!.visits++;
    }
    member.nameKey = member.name ? nameKeyOf(member.name) : null;
    member.categoryStats = [...stats.values()].sort((a, b) => a.category.localeCompare(b.category));
    this.docs.members.push(member);
  }
}

/** The same China day at a shopping hour (busiest at lunch and after work). */
function atShoppingHour(random: Random, t: number): number {
  const chinaMidnight = Math.floor((t + 8 * HOUR_MS) / DAY_MS) * DAY_MS - 8 * HOUR_MS;
  const hour = random.weighted([9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], (h) => (h === 12 || h === 18 || h === 19 ? 3 : h === 11 || h === 13 || h === 17 || h === 20 ? 2 : 1));
  return chinaMidnight + hour * HOUR_MS + random.int(0, 3599) * 1000;
}

/** The keys of a segment this seed's campaigns use, read against one member as compileSegment would at `now`. */
export function segmentMatches(segment: Segment, member: MemberDoc, spend12mFen: number, now: Date): boolean {
  const known = new Set(['tiers', 'purchasedWithinDays', 'notPurchasedWithinDays', 'minSpendFen12m', 'homeStoreIds']);
  for (const key of Object.keys(segment)) if (!known.has(key)) throw new Error(`the demo's segment matcher does not read ${key}`);
  const daysAgo = (days: number) => now.getTime() - days * DAY_MS;
  const last = member.lastPurchaseAt?.getTime() ?? null;
  if (segment.tiers && !segment.tiers.includes(member.tier)) return false;
  if (segment.homeStoreIds && !segment.homeStoreIds.includes(member.homeStoreId ?? '')) return false;
  if (segment.minSpendFen12m !== undefined && spend12mFen < segment.minSpendFen12m) return false;
  if (segment.purchasedWithinDays !== undefined && (last === null || last < daysAgo(segment.purchasedWithinDays))) return false;
  if (segment.notPurchasedWithinDays !== undefined && last !== null && last >= daysAgo(segment.notPurchasedWithinDays)) return false;
  return true;
}
