import { Button, Checkbox, CheckboxGroup, Picker, ScrollView, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { catalogue, shopper } from '../../api/endpoints';
import { ApiError, readableError } from '../../api/errors';
import { SHOPPER_SIGN_IN_PAGE, shopperApi } from '../../api/session';
import { JoinGiftPack } from '../../components/JoinGiftPack';
import { Status } from '../../components/Status';
import { fallbackPrivacyPolicyVersion } from '../../config';
import { useAsync } from '../../hooks/useAsync';
import { reportEntry } from '../../lib/entry';
import { rememberMember } from '../../lib/memberCache';
import { signInSilently } from '../../lib/shopperSession';
import { InvitationBanner } from '../referral/InvitationBanner';
import { forgetInvitation, joinExtras, rememberInvitation } from '../referral/invitation';
import './index.css';
import { useTheme } from '../../lib/theme';

const charter = [
  '1. 会员资格：年满 14 周岁的顾客均可免费开通会员，一人一卡，不可转让。',
  '2. 积分：消费每满 1 元累积 1 积分（不同等级享不同倍数），积分有效期至获得月份后第 12 个月末。',
  '3. 优惠券：以券面说明的使用门槛、有效期及适用门店为准，每张券仅可使用一次。',
  '4. 等级：按近 12 个月累计消费自动升级，每年复核一次。',
  '5. 品牌保留在法律允许范围内调整会员权益的权利，调整将提前在小程序内公告。',
];

const privacy = [
  '我们收集您的微信标识、手机号（经您授权）及您主动填写的资料，仅用于会员身份识别、积分与权益服务。',
  '门店店员只能看到脱敏后的姓名与手机号。您可随时在“个人资料”中修改信息或注销会员。',
  '注销后，您的个人资料与微信标识将被删除；我们仅保留一个用服务器密钥从微信标识计算出的、无法还原的摘要，只用于确保入会礼、完善资料奖励等“每人仅限一次”的奖励不会重复发放，不作任何其他用途。',
  '未经您同意，我们不会向第三方提供您的个人信息。',
];

export default function JoinPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const setup = useAsync(async () => {
    const [config, stores] = await Promise.all([catalogue.appConfig().catch(() => null), catalogue.stores()]);
    return { privacyPolicyVersion: config?.privacyPolicyVersion ?? fallbackPrivacyPolicyVersion, stores: stores.items };
  });
  // A friend's invitation (?ref= from a shared card, scene r= from a code) is kept across the sign-in it may need.
  const router = useRouter();
  const [invitation] = useState(() => rememberInvitation(router.params));
  useEffect(() => {
    if (invitation) void signInSilently().then((signedIn) => {
        if (!signedIn) void Taro.redirectTo({ url: SHOPPER_SIGN_IN_PAGE });
      });
  }, [invitation]);
  const [accepted, setAccepted] = useState(false);
  const [storeIndex, setStoreIndex] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const stores = setup.data?.stores ?? [];
  const store = storeIndex === null ? undefined : stores[storeIndex];

  async function join() {
    if (!setup.data) return;
    setBusy(true);
    setError(null);
    try {
      // The store or staff code the app was opened from is reported first, so the join is credited to it.
      await reportEntry();
      const member = await shopper.join({ acceptTerms: true, privacyPolicyVersion: setup.data.privacyPolicyVersion, homeStoreId: store?.id, ...joinExtras() });
      forgetInvitation();
      rememberMember(member);
      void Taro.showToast({ title: '开卡成功', icon: 'success' });
      void Taro.reLaunch({ url: '/pages/card/index' });
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'ALREADY_MEMBER') {
        void Taro.reLaunch({ url: '/pages/card/index' });
        return;
      }
      setError(readableError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View className='page join'>
      <View className='join__banner'>
        <View className='join__banner-title'>开通会员卡</View>
        <View className='join__banner-sub'>消费积分 · 专属优惠券 · 会员活动</View>
      </View>
      {shopperApi.isSignedIn() ? <InvitationBanner code={invitation} /> : null}
      <JoinGiftPack />
      <Status loading={setup.loading} error={setup.error} onRetry={() => void setup.reload()}>
        <View className='section'>
          <View className='section__title'>会员章程</View>
          <ScrollView scrollY className='join__text'>
            {charter.map((line) => (
              <View key={line} className='join__para'>{line}</View>
            ))}
          </ScrollView>
        </View>
        <View className='section'>
          <View className='section__title'>
            隐私政策<View className='section__more'>版本 {setup.data?.privacyPolicyVersion}</View>
          </View>
          <ScrollView scrollY className='join__text'>
            {privacy.map((line) => (
              <View key={line} className='join__para'>{line}</View>
            ))}
          </ScrollView>
        </View>
        <View className='section join__store'>
          <Picker mode='selector' range={stores.map((s) => s.name)} onChange={(e) => setStoreIndex(Number(e.detail.value))}>
            <View className='field'>
              <View className='field__label'>常去门店</View>
              <View className={store ? 'field__value' : 'field__value field__hint'}>{store ? store.name : '请选择（可选）'}</View>
              <View className='menu__arrow'>›</View>
            </View>
          </Picker>
        </View>
        <CheckboxGroup onChange={(e) => setAccepted(e.detail.value.includes('accept'))}>
          {/* A row rather than a Label: on H5 Label wraps its children in a block <label> that stacks them. */}
          <View className='join__consent'>
            <Checkbox value='accept' checked={accepted} color='#07c160' />
            <View className='join__consent-text' onClick={() => setAccepted(!accepted)}>
              我已阅读并同意《会员章程》和《隐私政策》
            </View>
          </View>
        </CheckboxGroup>
        {error ? <View className='notice notice--error mt'>{error}</View> : null}
        <Button className='btn btn--primary mt' disabled={!accepted || busy} loading={busy} onClick={() => void join()}>
          {accepted ? '立即开卡' : '请先勾选同意'}
        </Button>
      </Status>
    </View>
  );
}
