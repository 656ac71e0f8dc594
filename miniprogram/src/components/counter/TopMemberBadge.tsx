import { View } from '@tarojs/components';
import type { CounterPanel } from '@membercard/shared';

/** The counter's cue for the head of the curve: a top-20% member (brand-wide or of their home store) is served first. */
export function TopMemberBadge({ flags }: { flags: CounterPanel['topMember'] }) {
  if (!flags || (!flags.brand && !flags.store)) return null;
  const scope = [flags.brand ? '全品牌消费前 20%' : '', flags.store ? '本店消费前 20%' : ''].filter(Boolean).join(' · ');
  return (
    <View className='notice notice--ok counter-top-member' data-testid='counter-top-member'>
      ★ 头部会员（{scope}）：请优先接待，主动介绍专属优惠
    </View>
  );
}
