import { View } from '@tarojs/components';
import { ApiError } from '../../api/errors';
import { shopperApi } from '../../api/session';
import { useAsync } from '../../hooks/useAsync';
import { forgetInvitation, referralApi } from './invitation';
import { firstPurchaseText, rewardText } from './rewardText';

/** The join page's note that a friend invited the shopper, and what their first purchase earns them. */
export function InvitationBanner({ code }: { code: string | null }) {
  const preview = useAsync(async () => {
    if (!code || !shopperApi.isSignedIn()) return null;
    try {
      return await referralApi.view(code);
    } catch (failure) {
      // A code that no longer names a member (erased, mistyped) is forgotten; the shopper still joins.
      if (failure instanceof ApiError && (failure.code === 'NOT_FOUND' || failure.code === 'VALIDATION_FAILED')) forgetInvitation();
      return null;
    }
  }, [code]);
  const data = preview.data;
  if (!code || !data) return null;
  if (data.refusal === 'self') return <View className='notice'>这是你自己的邀请，分享给好友吧</View>;
  const reward = rewardText(data.reward);
  return (
    <View className='section referral-banner' data-testid='invitation-banner'>
      <View className='strong'>{data.inviterName ? `${data.inviterName} 邀请你加入会员` : '好友邀请你加入会员'}</View>
      {data.enabled && reward ? (
        <View className='muted mt'>
          开卡后 {data.windowDays} 天内{firstPurchaseText(data.minPurchaseFen)}，你可得 <View className='green' style={{ display: 'inline' }}>{reward}</View>
        </View>
      ) : null}
    </View>
  );
}
