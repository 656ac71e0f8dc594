import { render } from '@testing-library/react';
import Taro from '@tarojs/taro';
import { DEFAULT_BRAND_THEME, type Coupon, type Member } from '@membercard/shared';
import { codeLifeText } from '../../lib/codeText';
import { keptWallet, recalledCoupon, rememberCoupon, rememberWalletPage } from '../../lib/couponMemory';
import { rememberMember } from '../../lib/memberCache';
import { CardFace, type CardFaceMember } from './CardFace';

const member: CardFaceMember = {
  tier: { code: 'gold', name: '金卡' },
  cardNo: '100000000008',
  pointsBalance: 1280,
  pointsExpiringSoon: null,
  name: '王小明',
};

const theme = { ...DEFAULT_BRAND_THEME, name: '悦享会员' };

describe('CardFace', () => {
  it('shows the programme, tier, holder, card number and the balance once, and no expiry line when nothing expires', () => {
    const { container } = render(<CardFace member={member} theme={theme} />);
    const text = container.textContent!;
    expect(text).toContain('悦享会员');
    expect(text).toContain('金卡');
    expect(text).toContain('王小明');
    expect(text).toContain('1000 0000 0008');
    expect(text.match(/1280/g)).toHaveLength(1);
    expect(text).not.toMatch(/过期|到期/);
  });

  it('says how many points expire next and on which China day', () => {
    const expiring = { ...member, pointsExpiringSoon: { amount: 120, at: '2026-12-31T16:00:00.000Z' } };
    const { container } = render(<CardFace member={expiring} theme={theme} />);
    expect(container.querySelector('.card-face__expiry')!.textContent).toBe('120 积分将于 2027-01-01 到期');
  });

  it('wears the theme: logo beside the name, the tier’s art over the primary colour, none for a tier without art', () => {
    const branded = { ...theme, primaryColor: '#0e6b4f', logoUrl: '/api/v1/brand/assets/' + 'a'.repeat(64), tierArt: { gold: '/api/v1/brand/assets/' + 'b'.repeat(64) } };
    const gold = render(<CardFace member={member} theme={branded} />).container;
    expect(gold.querySelector<HTMLImageElement>('.card-face__logo')!.getAttribute('src')).toBe(branded.logoUrl);
    expect(gold.querySelector<HTMLImageElement>('.card-face__art')!.getAttribute('src')).toBe(branded.tierArt.gold);
    const silver = render(<CardFace member={{ ...member, tier: { code: 'silver', name: '银卡' } }} theme={branded} />).container;
    expect(silver.querySelector('.card-face__art')).toBeNull();
    expect(silver.querySelector<HTMLElement>('.card-face')!.style.background).toContain('linear-gradient');
  });

  it('leaves the holder line out for a member who has not given a name', () => {
    const { container } = render(<CardFace member={{ ...member, name: undefined }} theme={theme} />);
    expect(container.querySelector('.card-face__holder')).toBeNull();
    expect(container.querySelector('.card-face__no')!.textContent).toBe('1000 0000 0008');
  });
});

describe('codeLifeText', () => {
  it('states the real step and how long a screenshot is accepted (the server’s window)', () => {
    expect(codeLifeText(60)).toBe('每 60 秒更新，截图最多 2 分钟内有效');
    expect(codeLifeText(30)).toBe('每 30 秒更新，截图最多 1 分钟内有效');
    expect(codeLifeText(45)).toBe('每 45 秒更新，截图最多 90 秒内有效');
  });
});

describe('couponMemory', () => {
  const coupon = (id: string, overrides: Partial<Coupon> = {}): Coupon =>
    ({ id, templateId: 't1', title: '满100减20', type: 'cash', status: 'issued', validFrom: '2026-01-01T00:00:00Z', validUntil: '2099-01-01T00:00:00Z', minSpendFen: 10_000, amountOffFen: 2_000, ...overrides }) as Coupon;
  const cardOf = (cardNo: string) => ({ cardNo }) as Member;

  afterEach(() => Taro.clearStorageSync());

  /** The app started afresh: new modules (nothing in memory), the phone's storage carried over as it is. */
  async function afterRestart(check: (fresh: typeof import('../../lib/couponMemory'), freshMembers: typeof import('../../lib/memberCache')) => void) {
    const kept = ['membercard.coupons', 'membercard.member'].map((key) => [key, Taro.getStorageSync(key)] as const);
    await jest.isolateModulesAsync(async () => {
      const freshTaro = (await import('@tarojs/taro')).default;
      for (const [key, value] of kept) if (value) freshTaro.setStorageSync(key, value);
      check(await import('../../lib/couponMemory'), await import('../../lib/memberCache'));
    });
  }

  it('keeps a usable coupon on the phone, so it opens again after the app restarts (no network)', async () => {
    rememberMember(cardOf('100000000008'));
    rememberCoupon(coupon('a'.repeat(24)));
    await afterRestart((fresh) => expect(fresh.recalledCoupon('a'.repeat(24))?.title).toBe('满100减20'));
  });

  it('does not keep used or expired coupons, and does not hand one card’s coupons to another', async () => {
    rememberMember(cardOf('100000000008'));
    rememberCoupon(coupon('b'.repeat(24), { status: 'redeemed' }));
    rememberCoupon(coupon('c'.repeat(24), { validUntil: '2020-01-01T00:00:00Z' }));
    rememberCoupon(coupon('d'.repeat(24)));
    await afterRestart((fresh, freshMembers) => {
      expect(fresh.recalledCoupon('b'.repeat(24))).toBeUndefined();
      expect(fresh.recalledCoupon('c'.repeat(24))).toBeUndefined();
      expect(fresh.recalledCoupon('d'.repeat(24))).toBeDefined();
      freshMembers.rememberMember(cardOf('100000000016'));
      expect(fresh.recalledCoupon('d'.repeat(24))).toBeUndefined();
      freshMembers.forgetMember();
      expect(fresh.recalledCoupon('d'.repeat(24))).toBeUndefined();
      expect(fresh.recalledCoupon('d'.repeat(24))).toBeUndefined();
    });
    // In this session's memory it is still the coupon the wallet handed over.
    expect(recalledCoupon('d'.repeat(24))).toBeDefined();
  });

  it('keeps the wallet list as last fetched: a first page replaces it, later pages add, expired ones drop out', () => {
    rememberMember(cardOf('100000000008'));
    rememberWalletPage([coupon('a'), coupon('b')], true);
    rememberWalletPage([coupon('c')], false);
    expect(keptWallet().map((c) => c.id)).toEqual(['a', 'b', 'c']);
    // Coupon b was used at the counter since: the next first page no longer lists it.
    rememberWalletPage([coupon('a'), coupon('x', { validUntil: '2020-01-01T00:00:00Z' })], true);
    expect(keptWallet().map((c) => c.id)).toEqual(['a']);
    // Another card on this phone does not see them.
    rememberMember(cardOf('100000000016'));
    expect(keptWallet()).toEqual([]);
  });
});
