import { Image, View } from '@tarojs/components';
import { cardFaceLook, type BrandTheme, type Member } from '@membercard/shared';
import { chinaDate, groupCardNo } from '../../lib/format';
import { brandImageUrl } from '../../lib/theme';

export type CardFaceMember = Pick<Member, 'tier' | 'cardNo' | 'pointsBalance' | 'pointsExpiringSoon' | 'name'>;

/** The line under the balance: what expires next and when, or nothing at all when nothing is due. */
export function expiryText(expiring: Member['pointsExpiringSoon']): string | null {
  return expiring ? `${expiring.amount} 积分将于 ${chinaDate(expiring.at)} 到期` : null;
}

/**
 * The card as printed, in HQ's theme: logo and programme name, the tier (on that tier's card art, or the primary
 * colour), the points balance (the one place the card screen shows it) with what expires next, the holder's name
 * and the 4-4-4 card number. The console's preview draws the same face from the same theme.
 */
export function CardFace({ member, theme }: { member: CardFaceMember; theme: BrandTheme }) {
  const look = cardFaceLook(theme, member.tier.code);
  const art = brandImageUrl(look.artUrl);
  const logo = brandImageUrl(theme.logoUrl);
  const expiry = expiryText(member.pointsExpiringSoon);
  return (
    <View className='card-face' style={{ background: look.background, color: look.textColor }} data-testid='card-face'>
      {art ? <Image className='card-face__art' src={art} mode='aspectFill' /> : null}
      {art ? <View className='card-face__scrim' style={{ background: look.scrim }} /> : null}
      <View className='card-face__content'>
        <View className='card-face__brand-row'>
          {logo ? <Image className='card-face__logo' src={logo} mode='aspectFit' /> : null}
          <View className='card-face__brand'>{theme.name}</View>
        </View>
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
    </View>
  );
}
