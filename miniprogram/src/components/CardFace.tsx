import { View } from '@tarojs/components';
import type { Member } from '@membercard/shared';
import { groupCardNo } from '../lib/format';

const knownTiers = ['silver', 'gold', 'platinum'];

/** The card as printed: brand, tier, 4-4-4 card number and the points balance, in the tier's colours. */
export function CardFace({ member }: { member: Pick<Member, 'tier' | 'cardNo' | 'pointsBalance'> }) {
  const tierClass = knownTiers.includes(member.tier.code) ? member.tier.code : 'silver';
  return (
    <View className={`card-face card-face--${tierClass}`}>
      <View className='card-face__brand'>MEMBER CARD · 会员卡</View>
      <View className='card-face__tier'>{member.tier.name}</View>
      <View className='card-face__points'>
        <View className='card-face__points-value'>{member.pointsBalance}</View>
        <View className='card-face__points-label'>可用积分</View>
      </View>
      <View className='card-face__no'>{groupCardNo(member.cardNo)}</View>
    </View>
  );
}
