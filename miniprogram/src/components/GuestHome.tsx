import { Button, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { Member } from '@membercard/shared';
import { useState } from 'react';
import { catalogue } from '../api/endpoints';
import { readableError } from '../api/errors';
import { isH5 } from '../config';
import { useAsync } from '../hooks/useAsync';
import { chinaDateTime, yuan } from '../lib/format';
import { openPage } from '../lib/navigation';
import { openCard } from '../lib/openCard';
import { PrivacyDialog } from './PrivacyDialog';
import { Status } from './Status';

interface GuestHomeProps {
  /** Signed in (a shopper without a card): opening the card needs no sign-in page. */
  signedIn: boolean;
  onJoined: (member: Member) => void;
}

/**
 * What a visitor without a card sees on the home page: the benefits of each tier, upcoming activities and
 * the points mall. They are asked to open a card only when they act (tap the card button, an activity's
 * sign-up or a mall item), and then with one tap that also hands over the phone number (WeChat).
 */
export function GuestHome({ signedIn, onJoined }: GuestHomeProps) {
  const programme = useAsync(async () => {
    const [tiers, activities, mall] = await Promise.all([
      catalogue.tiers(),
      catalogue.activities().catch(() => ({ items: [], nextCursor: null })),
      catalogue.mall().catch(() => ({ items: [], nextCursor: null })),
    ]);
    return { tiers: tiers.items, activities: activities.items.slice(0, 3), mall: mall.items.slice(0, 4) };
  });
  const [asking, setAsking] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function join(phoneCode?: string) {
    setBusy(true);
    setError(null);
    try {
      const member = await openCard(phoneCode);
      setAsking(null);
      void Taro.showToast({ title: '开卡成功', icon: 'success' });
      onJoined(member);
    } catch (failure) {
      setError(readableError(failure));
    } finally {
      setBusy(false);
    }
  }

  // WeChat: one tap joins and hands over the phone number. H5 demo: sign in first, then the same join
  // with the demo's stand-in phone code.
  const joinButton = !isH5 ? (
    <Button
      className='btn btn--primary'
      openType='getPhoneNumber'
      loading={busy}
      disabled={busy}
      onGetPhoneNumber={(e) => void join((e.detail as { code?: string }).code)}
    >
      微信手机号一键开卡
    </Button>
  ) : signedIn ? (
    <Button className='btn btn--primary' loading={busy} disabled={busy} onClick={() => void join(`demo-guest-${Date.now().toString(36)}`)}>
      立即开卡
    </Button>
  ) : (
    <Button className='btn btn--primary' onClick={() => void Taro.navigateTo({ url: '/pages/login/index' })}>
      登录并开卡
    </Button>
  );
  const consent = (
    <View className='guest__consent muted'>
      开卡即表示同意
      <View className='link' onClick={() => void Taro.navigateTo({ url: '/pages/join/index' })}>《会员章程》《隐私政策》</View>
    </View>
  );

  const data = programme.data;
  return (
    <View className='guest'>
      <View className='guest__hero'>
        <View className='guest__hero-title'>开通会员卡</View>
        <View className='guest__hero-sub'>消费积分 · 专属优惠券 · 会员活动 · 生日礼遇</View>
        <View className='guest__hero-action'>{joinButton}</View>
        {consent}
        {error ? <View className='notice notice--error mt'>{error}</View> : null}
      </View>
      <Status loading={programme.loading && !data} error={data ? null : programme.error} onRetry={() => void programme.reload()}>
        {data ? (
          <View>
            <View className='section'>
              <View className='section__title'>会员等级与权益</View>
              {data.tiers.map((tier) => (
                <View key={tier.code} className='guest__tier'>
                  <View className='row'>
                    <View className={`guest__tier-name guest__tier-name--${tier.code}`}>{tier.name}</View>
                    <View className='muted'>{tier.minSpendFen > 0 ? `近 12 个月消费满 ${yuan(tier.minSpendFen)}` : '开卡即享'}</View>
                  </View>
                  <View className='guest__benefits'>
                    {tier.benefits.map((benefit) => (
                      <View key={benefit} className='guest__benefit'>· {benefit}</View>
                    ))}
                  </View>
                </View>
              ))}
            </View>
            {data.activities.length ? (
              <View className='section'>
                <View className='section__title'>
                  会员活动
                  <View className='section__more' onClick={() => void openPage('/pages/activities/index')}>全部 ›</View>
                </View>
                {data.activities.map((activity) => (
                  <View
                    key={activity.id}
                    className='guest__item'
                    onClick={() => void Taro.navigateTo({ url: `/pages/activities/detail?id=${encodeURIComponent(activity.id)}` })}
                  >
                    <View className='guest__item-title'>{activity.title}</View>
                    <View className='muted'>
                      {chinaDateTime(activity.startAt)} · {activity.feeFen > 0 ? yuan(activity.feeFen) : '免费'}
                    </View>
                  </View>
                ))}
              </View>
            ) : null}
            {data.mall.length ? (
              <View className='section'>
                <View className='section__title'>积分商城</View>
                <View className='guest__mall'>
                  {data.mall.map((item) => (
                    <View key={item.id} className='guest__mall-item' onClick={() => setAsking('开卡后即可用积分兑换优惠券')}>
                      <View className='guest__item-title'>{item.title}</View>
                      <View className='orange'>{item.pointsCost} 积分</View>
                    </View>
                  ))}
                </View>
              </View>
            ) : null}
          </View>
        ) : null}
      </Status>
      <View className='guest__staff link' onClick={() => void Taro.navigateTo({ url: '/pages/staff/login' })}>
        店员入口
      </View>
      {asking ? (
        <View className='sheet-mask' onClick={() => setAsking(null)}>
          <View className='sheet' onClick={(e) => e.stopPropagation()}>
            <View className='sheet__title'>开通会员卡</View>
            <View className='sheet__body center'>{asking}</View>
            {joinButton}
            {consent}
            {error ? <View className='notice notice--error mt'>{error}</View> : null}
          </View>
        </View>
      ) : null}
      <PrivacyDialog />
    </View>
  );
}
