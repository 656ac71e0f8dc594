import { ledgerLine, usedCouponText } from './historyText';

describe('the points history reads like a receipt', () => {
  it('a purchase: store in the headline, amount with thousands separators and the items under it', () => {
    const line = ledgerLine({
      reason: '消费积分 SH01-MX7A6YNH-NFT83H',
      description: { title: '消费 · 上海静安店', storeName: '上海静安店', amountFen: 173_150, lines: [{ name: '大杯拿铁', qty: 2 }, { name: '咖啡豆', qty: 1 }] },
    });
    expect(line).toEqual({ title: '消费 · 上海静安店', detail: '¥1,731.50 · 大杯拿铁 ×2、咖啡豆 ×1' });
  });

  it('an adjustment shows HQ’s reason; an entry without a description falls back to its reason', () => {
    expect(ledgerLine({ reason: '补发', description: { title: '积分调整', note: '补发：收银系统故障' } })).toEqual({ title: '积分调整', detail: '补发：收银系统故障' });
    expect(ledgerLine({ reason: '完善资料奖励' })).toEqual({ title: '完善资料奖励', detail: null });
  });

  it('a used coupon says where and when, in China time', () => {
    // 09:05Z is 17:05 in Shanghai.
    expect(usedCouponText({ redeemedAt: '2026-12-03T09:05:00.000Z', redeemedStoreName: '上海静安店' })).toBe('使用于 上海静安店 · 2026-12-03 17:05');
    expect(usedCouponText({ redeemedAt: '2026-12-03T16:30:00.000Z' })).toBe('使用于 2026-12-04 00:30');
    expect(usedCouponText({})).toBeNull();
  });
});
