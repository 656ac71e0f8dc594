import { View } from '@tarojs/components';
import { groupDigits } from '@membercard/shared';
import { shopper } from '../../api/endpoints';
import { QrCode } from '../../components/QrCode';
import { Status } from '../../components/Status';
import { useLiveCode } from '../../hooks/useLiveCode';
import { cacheCodeKey, codeFromKey, readCachedCodeKey } from '../../lib/codeKey';

/** A confirmed sign-up's check-in QR (and its digits), shown in 我的报名 and on the activity once joined. */
export function CheckinCode({ signupId }: { signupId: string }) {
  const live = useLiveCode({
    kind: 'signup',
    subject: signupId,
    readKey: readCachedCodeKey,
    fetchKey: shopper.codeKey,
    storeKey: cacheCodeKey,
    generate: codeFromKey,
    fetchServerCode: () => shopper.signupCode(signupId),
  });
  return (
    <View className='center mt'>
      {live.code ? (
        <View>
          <View className='code-box__qr'>
            <QrCode text={live.code} sizePx={180} />
          </View>
          {/* For a counter whose scanner cannot read the screen: the clerk types the digits. */}
          <View className='code-box__digits'>{live.numericCode ? groupDigits(live.numericCode) : live.code}</View>
        </View>
      ) : (
        <Status loading={!live.error} error={live.error} onRetry={() => void live.refresh()} />
      )}
      <View className='code-box__hint'>到场后向工作人员出示签到码</View>
    </View>
  );
}
