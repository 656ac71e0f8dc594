import mongoose, { Schema, Types } from 'mongoose';

/**
 * One document per WeChat shopper. A shopper who signs in is a `prospect`; joining makes them `active`
 * with a card number; erasure makes them `erased`, with personal data and openid removed but the card
 * number kept so it is never reused and the ledger still balances. The RFM fields (`spend12mFen`,
 * `lastPurchaseAt`, `birthdayMonth`, `profileComplete`) live here so campaign segments are answered by
 * index, not by scanning purchases.
 */
export interface MemberDoc {
  _id: Types.ObjectId;
  status: 'prospect' | 'active' | 'erased';
  openid?: string | null;
  unionid?: string | null;
  cardNo?: string | null;
  /** Base32 TOTP secret for the member, coupon and sign-up codes. */
  codeSecret?: string | null;
  /** 8 random digits naming the member in the numeric (typeable) form of their codes; unique, given on first use. */
  codeHandle?: string | null;
  consent?: { privacyPolicyVersion: string; acceptedAt: Date } | null;
  homeStoreId: string | null;
  referralCode?: string | null;
  referredBy?: string | null;
  name?: string | null;
  /** The name as prefix search compares it (shared nameKeyOf): kept with `name`, so a name prefix is an index range. */
  nameKey?: string | null;
  /** The card number in the system the member was imported from (legacy import); imports are keyed by it. */
  legacyCardNo?: string | null;
  gender?: 'male' | 'female' | 'other' | null;
  birthday?: string | null;
  birthdayMonth?: number | null;
  phone?: string | null;
  city?: string | null;
  interests?: string[] | null;
  profileComplete: boolean;
  profileBonusAwardedAt?: Date | null;
  /** This WeChat account was a member before (erased since): first-join rewards pass it by. */
  rejoined?: boolean;
  tier: string;
  tierSince?: Date | null;
  pointsBalance: number;
  spend12mFen: number;
  lastPurchaseAt?: Date | null;
  /** What the member buys, one element per category (modules/categories/summary.ts keeps it with each purchase and return). */
  categoryStats?: Array<{ category: string; lastAt: Date; spend12mFen: number; visits: number }>;
  tags: string[];
  joinedAt?: Date | null;
  createdAt: Date;
  erasedAt?: Date | null;
}

const MemberSchema = new Schema<MemberDoc>(
  {
    status: { type: String, enum: ['prospect', 'active', 'erased'], required: true },
    openid: { type: String, default: null },
    unionid: { type: String, default: null },
    cardNo: { type: String, default: null },
    codeSecret: { type: String, default: null },
    codeHandle: { type: String, default: null },
    consent: { type: { privacyPolicyVersion: String, acceptedAt: Date }, default: null, _id: false },
    homeStoreId: { type: String, default: null },
    referralCode: { type: String, default: null },
    referredBy: { type: String, default: null },
    name: { type: String, default: null },
    nameKey: { type: String, default: null },
    legacyCardNo: { type: String, default: null },
    gender: { type: String, default: null },
    birthday: { type: String, default: null },
    birthdayMonth: { type: Number, default: null },
    phone: { type: String, default: null },
    city: { type: String, default: null },
    interests: { type: [String], default: null },
    profileComplete: { type: Boolean, default: false },
    profileBonusAwardedAt: { type: Date, default: null },
    rejoined: { type: Boolean, default: false },
    tier: { type: String, required: true, default: 'silver' },
    tierSince: { type: Date, default: null },
    pointsBalance: { type: Number, required: true, default: 0, min: 0 },
    spend12mFen: { type: Number, required: true, default: 0 },
    lastPurchaseAt: { type: Date, default: null },
    categoryStats: { type: [{ _id: false, category: String, lastAt: Date, spend12mFen: Number, visits: Number }], default: undefined },
    tags: { type: [String], default: [] },
    joinedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    erasedAt: { type: Date, default: null },
  },
  // updatedAt on every write through the model: the dashboard's rollups take the members changed since their mark.
  { versionKey: false, collection: 'members', timestamps: { createdAt: false, updatedAt: true } },
);

// The rollups' walk through changed members (dashboard/memberRollups.ts).
MemberSchema.index({ updatedAt: 1, _id: 1 });
// A day's joiners whatever their status since, for the reports (reports/service.ts).
MemberSchema.index({ joinedAt: 1 });
// One shopper per WeChat account; erased members have no openid, so a later sign-in starts afresh.
MemberSchema.index({ openid: 1 }, { unique: true, partialFilterExpression: { openid: { $type: 'string' } } });
// Card numbers are unique forever: erased members keep theirs.
MemberSchema.index({ cardNo: 1 }, { unique: true, partialFilterExpression: { cardNo: { $type: 'string' } } });
MemberSchema.index({ codeHandle: 1 }, { unique: true, partialFilterExpression: { codeHandle: { $type: 'string' } } });
MemberSchema.index({ referralCode: 1 }, { unique: true, partialFilterExpression: { referralCode: { $type: 'string' } } });
MemberSchema.index({ phone: 1 }, { partialFilterExpression: { phone: { $type: 'string' } } });
MemberSchema.index({ name: 1 }, { partialFilterExpression: { name: { $type: 'string' } } });
// HQ's name-prefix search walks this in (nameKey, _id) order and stops after a page (not partial: a string range
// must be able to use it on any MongoDB, which does not infer $type from a range).
MemberSchema.index({ nameKey: 1, _id: 1 });
// A legacy import is keyed by the old card number: a re-run finds the member it created.
MemberSchema.index({ legacyCardNo: 1 }, { unique: true, partialFilterExpression: { legacyCardNo: { $type: 'string' } } });
// HQ's member list filters.
MemberSchema.index({ status: 1, tags: 1 });
MemberSchema.index({ status: 1, pointsBalance: 1 });
// Segment and dashboard queries.
MemberSchema.index({ status: 1, tier: 1, homeStoreId: 1 });
MemberSchema.index({ status: 1, joinedAt: 1 });
MemberSchema.index({ status: 1, spend12mFen: 1 });
MemberSchema.index({ status: 1, lastPurchaseAt: 1 });
MemberSchema.index({ status: 1, birthdayMonth: 1 });
// Category segments: one $elemMatch on the member's element for the category (bought within N days, spent at least Y).
MemberSchema.index({ status: 1, 'categoryStats.category': 1, 'categoryStats.lastAt': 1 });
MemberSchema.index({ status: 1, 'categoryStats.category': 1, 'categoryStats.spend12mFen': 1 });

export function memberModel(conn: mongoose.Connection) {
  return conn.models.Member ?? conn.model<MemberDoc>('Member', MemberSchema);
}

/**
 * A once-only reward a person has had, kept after their account is erased so that joining again with the
 * same WeChat account does not pay it again. The person appears only as a keyed hash of their openid
 * (HMAC-SHA256 under a server secret; see once-rewards.ts), never as the openid or a member id, and this
 * collection is read for nothing else. `_id` is `<reward>:<hash>`, so the claim is the unique insert.
 */
export interface OnceRewardClaimDoc {
  _id: string;
  reward: string;
}

const OnceRewardClaimSchema = new Schema<OnceRewardClaimDoc>(
  { _id: { type: String, required: true }, reward: { type: String, required: true } },
  { versionKey: false, collection: 'once_reward_claims' },
);

export function onceRewardClaimModel(conn: mongoose.Connection) {
  return conn.models.OnceRewardClaim ?? conn.model<OnceRewardClaimDoc>('OnceRewardClaim', OnceRewardClaimSchema);
}
