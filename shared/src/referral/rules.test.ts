import {
  DEFAULT_REFERRAL_TERMS,
  invitationCodeFrom,
  invitationPath,
  invitationScene,
  purchaseQualifies,
  qualifyingDeadline,
  referralRefusal,
  termsGiveSomething,
  type ReferralParty,
} from './rules';

const inviter: ReferralParty = { memberId: 'a', phone: '13800000001', deviceIds: ['dev-a'], active: true };
const friend: ReferralParty = { memberId: 'b', deviceIds: ['dev-b'] };
const DAY = 24 * 3600_000;

describe('referral refusals', () => {
  it('given a new friend on their own device, then the referral stands', () => {
    expect(referralRefusal(inviter, friend)).toBeNull();
  });

  it('given the same member, unionid or phone, then it is self-referral', () => {
    expect(referralRefusal(inviter, { memberId: 'a' })).toBe('self');
    expect(referralRefusal({ ...inviter, unionid: 'u1' }, { ...friend, unionid: 'u1' })).toBe('self');
    expect(referralRefusal(inviter, { ...friend, phone: '13800000001' })).toBe('self');
  });

  it('given no unionid or phone on either side, then missing values never match each other', () => {
    expect(referralRefusal({ memberId: 'a', unionid: null, phone: null }, { memberId: 'b', unionid: null, phone: null })).toBeNull();
  });

  it('given an account erased and joined again, then it is refused as rejoined', () => {
    expect(referralRefusal(inviter, { ...friend, rejoined: true })).toBe('rejoined');
  });

  it('given the friend joined on a device the inviter used, then it is refused', () => {
    expect(referralRefusal(inviter, { ...friend, deviceIds: ['dev-b', 'dev-a'] })).toBe('same_device');
  });

  it('given an inviter who left, then nothing is earned, whatever else holds', () => {
    expect(referralRefusal({ ...inviter, active: false }, friend)).toBe('inviter_gone');
  });
});

describe('the qualifying purchase', () => {
  const joinedAt = new Date('2026-12-01T00:00:00Z');
  const terms = { minPurchaseFen: 5_000, windowDays: 30 };

  it('given a purchase of at least the minimum within the window, then it qualifies', () => {
    expect(purchaseQualifies({ joinedAt, purchaseAt: new Date(joinedAt.getTime() + DAY), amountFen: 5_000, terms })).toBe(true);
    expect(purchaseQualifies({ joinedAt, purchaseAt: qualifyingDeadline(joinedAt, 30), amountFen: 9_900, terms })).toBe(true);
  });

  it('given a purchase under the minimum, after the window or before joining, then it does not', () => {
    expect(purchaseQualifies({ joinedAt, purchaseAt: new Date(joinedAt.getTime() + DAY), amountFen: 4_999, terms })).toBe(false);
    expect(purchaseQualifies({ joinedAt, purchaseAt: new Date(joinedAt.getTime() + 30 * DAY + 1), amountFen: 9_900, terms })).toBe(false);
    expect(purchaseQualifies({ joinedAt, purchaseAt: new Date(joinedAt.getTime() - 1), amountFen: 9_900, terms })).toBe(false);
  });

  it('given the default terms, then any purchase counts and both sides get points', () => {
    expect(purchaseQualifies({ joinedAt, purchaseAt: joinedAt, amountFen: 1, terms: DEFAULT_REFERRAL_TERMS })).toBe(true);
    expect(termsGiveSomething(DEFAULT_REFERRAL_TERMS)).toBe(true);
    expect(termsGiveSomething({ inviter: { points: 0, templateId: null }, invitee: { points: 0, templateId: null } })).toBe(false);
  });
});

describe('invitation links and codes', () => {
  it('given a code, then the scene fits WeChat’s 32 characters and the link and scene read back to it', () => {
    const scene = invitationScene('ABCD2345');
    expect(scene.length).toBeLessThanOrEqual(32);
    expect(invitationCodeFrom({ scene })).toBe('ABCD2345');
    expect(invitationCodeFrom({ scene: encodeURIComponent(scene) })).toBe('ABCD2345');
    expect(invitationPath('ABCD2345')).toBe('/pages/join/index?ref=ABCD2345');
    expect(invitationCodeFrom({ ref: 'abcd2345' })).toBe('ABCD2345');
  });

  it('given other launch queries, then no invitation is read', () => {
    expect(invitationCodeFrom(undefined)).toBeNull();
    expect(invitationCodeFrom({ scene: 's=SH01' })).toBeNull();
    expect(invitationCodeFrom({ ref: 'ABCD1234' })).toBeNull(); // 1 is not in the alphabet
    expect(() => invitationScene('short')).toThrow();
  });
});
