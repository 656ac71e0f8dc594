import type { StoredValueEntry, TopupOffer } from '@membercard/shared';
import { yuan } from '../../lib/format';

// How stored-value lines read on the phone: like a receipt (what, where, how much, balance after).

const KIND_TITLES: Record<StoredValueEntry['kind'], string> = {
  topup: '充值',
  topup_bonus: '充值赠送',
  charge: '储值消费',
  charge_refund: '消费退回',
  principal_refund: '余额退款',
  bonus_forfeit: '赠送金作废',
  adjustment: '余额调整',
};

export function entryLine(entry: StoredValueEntry): { title: string; detail: string | null; amount: string; positive: boolean; after: string } {
  const delta = entry.principalDelta + entry.bonusDelta;
  // The reason starts with the kind's words (充值 充500送50): the line's title says them already.
  const title = KIND_TITLES[entry.kind];
  const what = entry.reason.startsWith(title) ? entry.reason.slice(title.length).trim() : entry.reason;
  const parts = [entry.storeName, what || null].filter(Boolean);
  const split = entry.principalDelta !== 0 && entry.bonusDelta !== 0 ? `本金 ${yuan(Math.abs(entry.principalDelta))} + 赠送 ${yuan(Math.abs(entry.bonusDelta))}` : null;
  return {
    title,
    detail: [...parts, split].filter(Boolean).join(' · ') || null,
    amount: `${delta >= 0 ? '+' : '−'}${yuan(Math.abs(delta))}`,
    positive: delta >= 0,
    after: `余额 ${yuan(entry.principalAfter + entry.bonusAfter)}`,
  };
}

export function offerGift(offer: TopupOffer): string {
  const gifts = [offer.bonusFen ? `送 ${yuan(offer.bonusFen)}` : null, offer.bonusPoints ? `送 ${offer.bonusPoints} 积分` : null, offer.couponTitle ? `送「${offer.couponTitle}」` : null].filter(Boolean);
  return gifts.length ? gifts.join('，') : '无赠送';
}
