import { REFERRAL_REFUSAL_TEXT, type ReferralRewardView, type ReferralStatus } from '@membercard/shared';
import { yuan } from '../../lib/format';

/** "200 积分 + 满50减10券" / "满50减10券" / "" for one side's reward. */
export function rewardText(side: ReferralRewardView): string {
  const parts = [side.points > 0 ? `${side.points} 积分` : '', side.couponTitle ? `「${side.couponTitle}」券` : ''].filter(Boolean);
  return parts.join(' + ');
}

/** "首单消费满 ¥50" or "首单任意消费". */
export function firstPurchaseText(minPurchaseFen: number): string {
  return minPurchaseFen > 0 ? `首单消费满 ${yuan(minPurchaseFen)}` : '首单任意消费';
}

export function friendStatusText(status: ReferralStatus, refusal: keyof typeof REFERRAL_REFUSAL_TEXT | null): { text: string; tone: 'green' | 'orange' | 'grey' } {
  switch (status) {
    case 'rewarded':
      return { text: '已得奖励', tone: 'green' };
    case 'qualified':
      return { text: '奖励发放中', tone: 'green' };
    case 'joined':
      return { text: '已开卡 · 待首单', tone: 'orange' };
    case 'expired':
      return { text: '未在期限内首单', tone: 'grey' };
    case 'refused':
      return { text: `不计奖励 · ${refusal ? REFERRAL_REFUSAL_TEXT[refusal].zh : ''}`, tone: 'grey' };
  }
}
