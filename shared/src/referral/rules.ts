// Referral (裂变拉新) rules, pure so the server, the mini-program and the console read them the same way.
//
// An invitation is the inviter's referral code (8 characters of REFERRAL_CODE_ALPHABET). It travels two ways:
//   - shared to a chat (onShareAppMessage): the join page's path with `?ref=<code>`;
//   - as a mini-program code (getwxacodeunlimit): the scene `r=<code>` on the join page.
// A friend who joins through it becomes the invitee of one referral (one per invitee, ever); their first
// purchase of at least `minPurchaseFen` within `windowDays` of joining earns both sides HQ's reward, once.

export const REFERRAL_CODE_PATTERN = /^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/;
/** The page invitations open; in the main package, so WeChat's check_path accepts it. */
export const INVITATION_PAGE = 'pages/join/index';

/** Why an invitation earns nothing. */
export type ReferralRefusal =
  /** The inviter and the friend are the same person (same member, WeChat unionid or bound phone number). */
  | 'self'
  /** The friend's WeChat account was a member before and erased it: they are not new. */
  | 'rejoined'
  /** The friend joined on a device the inviter has used for this programme. */
  | 'same_device'
  /** The inviter is no longer a member. */
  | 'inviter_gone';

export const REFERRAL_REFUSAL_TEXT: Record<ReferralRefusal, { zh: string; en: string }> = {
  self: { zh: '不能邀请自己', en: 'You cannot invite yourself' },
  rejoined: { zh: '曾注销过会员，不算新会员', en: 'Was a member before (erased and rejoined)' },
  same_device: { zh: '与邀请人使用同一设备', en: 'Joined on the inviter’s device' },
  inviter_gone: { zh: '邀请人已注销', en: 'The inviter has left the programme' },
};

/** What the rules know of a person when a referral is judged. Hashes, not raw identifiers, where possible. */
export interface ReferralParty {
  memberId: string;
  /** WeChat unionid (the same person across the brand's apps), when WeChat gave one. */
  unionid?: string | null;
  /** The bound phone number, when there is one. */
  phone?: string | null;
  /** Device ids (hashed) this person has used with the programme. */
  deviceIds?: readonly string[];
  /** This WeChat account was a member before and erased it. */
  rejoined?: boolean;
  active?: boolean;
}

/**
 * Why `invitee` may not be rewarded for joining through `inviter`'s invitation, or null when they may.
 * Judged at the join, and again at the first purchase (a phone bound since may show the two are one person).
 */
export function referralRefusal(inviter: ReferralParty, invitee: ReferralParty): ReferralRefusal | null {
  if (inviter.active === false) return 'inviter_gone';
  if (inviter.memberId === invitee.memberId) return 'self';
  if (inviter.unionid && inviter.unionid === invitee.unionid) return 'self';
  if (inviter.phone && inviter.phone === invitee.phone) return 'self';
  if (invitee.rejoined) return 'rejoined';
  const inviterDevices = new Set(inviter.deviceIds ?? []);
  if ((invitee.deviceIds ?? []).some((device) => inviterDevices.has(device))) return 'same_device';
  return null;
}

export interface ReferralRewardSide {
  points: number;
  /** A coupon template issued to this side, or null. */
  templateId: string | null;
}

export interface ReferralTerms {
  enabled: boolean;
  inviter: ReferralRewardSide;
  invitee: ReferralRewardSide;
  /** The first purchase must be at least this (fen); 0: any purchase. */
  minPurchaseFen: number;
  /** Days after joining within which the first purchase counts. */
  windowDays: number;
}

export const DEFAULT_REFERRAL_TERMS: ReferralTerms = {
  enabled: true,
  inviter: { points: 200, templateId: null },
  invitee: { points: 100, templateId: null },
  minPurchaseFen: 0,
  windowDays: 30,
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether a purchase is the one that earns the reward: the referral still waits, in its window, and the amount is enough. */
export function purchaseQualifies(input: { joinedAt: Date; purchaseAt: Date; amountFen: number; terms: Pick<ReferralTerms, 'minPurchaseFen' | 'windowDays'> }): boolean {
  const { joinedAt, purchaseAt, amountFen, terms } = input;
  if (amountFen < terms.minPurchaseFen) return false;
  return purchaseAt.getTime() >= joinedAt.getTime() && purchaseAt.getTime() - joinedAt.getTime() <= terms.windowDays * DAY_MS;
}

/** The latest moment a purchase still earns the reward. */
export function qualifyingDeadline(joinedAt: Date, windowDays: number): Date {
  return new Date(joinedAt.getTime() + windowDays * DAY_MS);
}

/** True when the terms give something to somebody (the console refuses enabling a referral that gives nothing). */
export function termsGiveSomething(terms: Pick<ReferralTerms, 'inviter' | 'invitee'>): boolean {
  return [terms.inviter, terms.invitee].some((side) => side.points > 0 || side.templateId !== null);
}

/** The scene of an invitation's mini-program code (≤ 32 characters, WeChat's scene alphabet). */
export function invitationScene(code: string): string {
  if (!REFERRAL_CODE_PATTERN.test(code)) throw new Error(`not a referral code: ${code}`);
  return `r=${code}`;
}

/** The referral code a launch or page query carries: `ref=<code>` (a shared card) or `scene=r=<code>` (a code). */
export function invitationCodeFrom(query: Record<string, unknown> | undefined): string | null {
  const read = (value: unknown): string | null => {
    if (typeof value !== 'string') return null;
    let text = value;
    try {
      text = decodeURIComponent(value);
    } catch {
      // keep the raw text
    }
    const code = text.trim().toUpperCase();
    return REFERRAL_CODE_PATTERN.test(code) ? code : null;
  };
  const direct = read(query?.ref);
  if (direct) return direct;
  if (typeof query?.scene === 'string') {
    let scene = query.scene;
    try {
      scene = decodeURIComponent(scene);
    } catch {
      // keep the raw text
    }
    for (const pair of scene.split('&')) {
      const [key, value] = pair.split('=');
      if (key === 'r') return read(value);
    }
  }
  return null;
}

/** The path a shared invitation opens (onShareAppMessage's `path`). */
export function invitationPath(code: string): string {
  return `/${INVITATION_PAGE}?ref=${encodeURIComponent(code)}`;
}
