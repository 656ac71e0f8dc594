import { View } from '@tarojs/components';
import type { Member } from '@membercard/shared';
import { chinaDate, groupCardNo } from '../lib/format';

const knownTiers = ['silver', 'gold', 'platinum'];

export type CardFaceMember = Pick<Member, 'tier' | 'cardNo' | 'pointsBalance' | 'pointsExpiringSoon' | 'name'>;

/** The line under the balance: what expires next and when, or nothing at all when nothing is due. */
export function expiryText(expiring: Member['pointsExpiringSoon']): string | null {
  return expiring ? `${expiring.amount} 积分将于 ${chinaDate(expiring.at)} 到期` : null;
}

/**
 * The card as printed: the programme's name, the tier, the points balance (the one place the card screen shows
 * it) with what expires next, the holder's name and the 4-4-4 card number, in the tier's colours.
 */
export function CardFace({ member, programmeName }: { member: CardFaceMember; programmeName: string }) {
  const tierClass = knownTiers.includes(member.tier.code) ? member.tier.code : 'silver';
  const expiry = expiryText(member.pointsExpiringSoon);
  return (
    <View className={`card-face card-face--${tierClass}`}>
      <View className='card-face__brand'>{programmeName}</View>
      <View className='card-face__tier'>{member.tier.name}</View>
      <View className='card-face__points'>
        <View className='card-face__points-value'>{member.pointsBalance}</View>
        <View className='card-face__points-label'>可用积分</View>
        {expiry ? <View className='card-face__expiry'>{expiry}</View> : null}
      </View>
      <View className='card-face__bottom'>
        {member.name ? <View className='card-face__holder'>{member.name}</View> : null}
        <View className='card-face__no'>{groupCardNo(member.cardNo)}</View>
      </View>
    </View>
  );
}
