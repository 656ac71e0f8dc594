import { DEFAULT_TIERS } from '@membercard/shared';
import { benefitIcon, movedUpSince, nextTierEarningText } from './tierText';

describe('tier page text', () => {
  it('says what the next tier earns per ¥100 by the shared earning rule', () => {
    expect(nextTierEarningText({ pointsMultiplier: 1 }, { pointsMultiplier: 1.5, name: '金卡' })).toBe('升级金卡后，每消费 ¥100 积分倍率 ×1.5（现在 ×1，多得 50%）');
    expect(nextTierEarningText({ pointsMultiplier: 1.5 }, { pointsMultiplier: 2, name: '铂金卡' })).toBe('升级铂金卡后，每消费 ¥100 积分倍率 ×2（现在 ×1.5，多得 33%）');
    expect(nextTierEarningText({ pointsMultiplier: 1.2 }, { pointsMultiplier: 1.2, name: '金卡' })).toBe('升级金卡后，每消费 ¥100 积分倍率 ×1.2（与现在相同）');
  });

  it('gives benefits an icon by what they are about', () => {
    expect(benefitIcon('消费积分 1.5 倍')).toBe('积');
    expect(benefitIcon('生日月双倍积分')).toBe('积');
    expect(benefitIcon('生日礼包')).toBe('寿');
    expect(benefitIcon('每月 2 张 9 折券')).toBe('券');
    expect(benefitIcon('免费停车 2 小时')).toBe('车');
    expect(benefitIcon('会员价')).toBe('★');
  });
});

describe('the one-time celebration', () => {
  const ladder = DEFAULT_TIERS;
  const [low, mid] = [...ladder].sort((a, b) => a.minSpendFen - b.minSpendFen).map((tier) => tier.code);

  it('celebrates a move up from the tier this phone last showed, once', () => {
    expect(movedUpSince(ladder, { cardNo: '1001', tierCode: low! }, { cardNo: '1001', tierCode: mid! })).toBe(true);
    // Once the page has remembered the new tier, the next visit does not celebrate again.
    expect(movedUpSince(ladder, { cardNo: '1001', tierCode: mid! }, { cardNo: '1001', tierCode: mid! })).toBe(false);
  });

  it('does not celebrate a first visit, a move down, or another member on the same phone', () => {
    expect(movedUpSince(ladder, null, { cardNo: '1001', tierCode: mid! })).toBe(false);
    expect(movedUpSince(ladder, { cardNo: '1001', tierCode: mid! }, { cardNo: '1001', tierCode: low! })).toBe(false);
    expect(movedUpSince(ladder, { cardNo: '2002', tierCode: low! }, { cardNo: '1001', tierCode: mid! })).toBe(false);
  });
});
