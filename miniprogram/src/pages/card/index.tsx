import { View } from '@tarojs/components';
import Taro, { useDidHide, useDidShow, useLoad, useUnload } from '@tarojs/taro';
import { useEffect, useRef, useState } from 'react';
import { shopper } from '../../api/endpoints';
import { ApiError } from '../../api/errors';
import { shopperApi } from '../../api/session';
import { Barcode } from '../../components/Barcode';
import { CardFace } from '../../components/card/CardFace';
import { GuestHomeLoader, preloadGuestHome } from '../../components/GuestHomeLoader';
import { QrCode } from '../../components/QrCode';
import { Status } from '../../components/Status';
import { isH5 } from '../../config';
import { useAsync } from '../../hooks/useAsync';
import { groupDigits, MyStoredValueSchema } from '@membercard/shared';
import { useLiveCode } from '../../hooks/useLiveCode';
import { cacheCodeKey, codeFromKey, readCachedCodeKey } from '../../lib/codeKey';
import { rememberEntry, reportEntry } from '../../lib/entry';
import { codeLifeText } from '../../lib/codeText';
import { yuan } from '../../lib/format';
import { lastKnownMember, rememberMember } from '../../lib/memberCache';
import { useTheme } from '../../lib/theme';
import { openPage } from '../../lib/navigation';
import { signInSilently } from '../../lib/shopperSession';
import './index.css';

// A visitor without a session sees the guest home: its code (a chunk of its own in H5) is fetched at once.
if (!shopperApi.isSignedIn()) void preloadGuestHome();

const links = [
  { title: '我的积分', hint: '明细 · 积分商城', url: '/pages/points/index' },
  { title: '我的储值', hint: '余额 · 充值 · 明细', url: '/pages/stored-value/index' },
  { title: '我的优惠券', hint: '领券 · 兑换码', url: '/pages/coupons/index' },
  { title: '会员活动', hint: '报名 · 签到', url: '/pages/activities/index' },
  { title: '会员等级', hint: '权益 · 升级进度', url: '/pages/tier/index' },
  { title: '个人资料', hint: '完善资料送积分', url: '/pages/profile/index' },
];

/** Raises the screen to full brightness while the code is shown (weapp), and restores it after. */
function useBrightScreen() {
  const previous = useRef<number | null>(null);
  const raise = () => {
    if (isH5) return;
    Taro.getScreenBrightness({
      success: (result) => {
        previous.current ??= result.value;
        void Taro.setScreenBrightness({ value: 1 });
      },
    });
  };
  const restore = () => {
    if (isH5 || previous.current === null) return;
    void Taro.setScreenBrightness({ value: previous.current });
    previous.current = null;
  };
  return { raise, restore };
}

export default function CardPage() {
  const member = useAsync(async () => {
    try {
      const fresh = await shopper.me();
      rememberMember(fresh);
      return fresh;
    } catch (failure) {
      // Offline: keep showing the card we know, its code is made on the phone anyway.
      const known = lastKnownMember();
      if (failure instanceof ApiError && failure.code === 'NETWORK' && known) return known;
      throw failure;
    }
  }, [], { immediate: false });
  const screen = useBrightScreen();
  // The stored-value balance on the card's menu, read after the card itself (never in its way).
  const storedValue = useAsync(() => shopperApi.get('/me/stored-value', { answer: MyStoredValueSchema }), [], { immediate: false });
  const storedValueTotal = storedValue.data?.balance.totalFen;
  const theme = useTheme();
  // Visitors are never sent to a sign-in page: without a card (or, in the H5 demo, without a session)
  // this page is the programme's shop window (GuestHome), and the card appears once they join.
  const [signedIn, setSignedIn] = useState(shopperApi.isSignedIn());

  // The code this page was opened from (H5 reads it here; WeChat also gives it to the app's launch).
  useLoad((params) => rememberEntry(params));

  useDidShow(() => {
    if (!member.data) {
      const known = shopperApi.isSignedIn() ? lastKnownMember() : null;
      if (known) member.setData(known);
    }
    void signInSilently().then(async (ok) => {
      setSignedIn(ok);
      if (!ok) return;
      await reportEntry();
      await member.reload();
      void storedValue.reload();
    });
  });
  useDidHide(screen.restore);
  useUnload(screen.restore);

  const notMember = member.failure instanceof ApiError && member.failure.code === 'NOT_A_MEMBER';
  const guest = !signedIn || (notMember && !member.data);
  const data = guest ? undefined : member.data;
  // Full brightness only while a member's code is on screen.
  useEffect(() => {
    if (data) screen.raise();
  }, [Boolean(data)]);
  const live = useLiveCode({
    kind: 'member',
    subject: data?.cardNo,
    readKey: readCachedCodeKey,
    fetchKey: shopper.codeKey,
    storeKey: cacheCodeKey,
    generate: codeFromKey,
    fetchServerCode: shopper.memberCode,
  });

  if (guest) {
    return (
      <View className='page card-page'>
        <GuestHomeLoader
          signedIn={signedIn}
          onJoined={(joined) => {
            member.setData(joined);
            void member.reload();
          }}
        />
      </View>
    );
  }

  return (
    <View className='page card-page'>
      <Status loading={member.loading && !data} error={data ? null : member.error} onRetry={() => void member.reload()}>
        {data ? (
          <View>
            <CardFace member={data} theme={theme} />
            <View className='code-box'>
              {live.code ? (
                <View>
                  <Barcode text={live.code} maxWidthPx={300} heightPx={60} />
                  <View className='code-box__digits'>{live.numericCode ? groupDigits(live.numericCode) : live.code}</View>
                  <View className='code-box__qr'>
                    <QrCode text={live.code} sizePx={170} />
                  </View>
                  <View className='code-box__hint'>
                    结账时向店员出示{live.madeOnPhone ? ' · 无网络也可出示' : ''}
                  </View>
                  <View className='code-box__hint code-box__hint--life'>{codeLifeText(live.stepSeconds)}</View>
                </View>
              ) : (
                <Status error={live.error} onRetry={() => void live.refresh()} loading={!live.error} />
              )}
            </View>
            <View className='glance'>
              <View className='glance__item' onClick={() => void Taro.navigateTo({ url: '/pages/tier/index' })}>
                <View className='glance__value'>{yuan(data.spend12mFen ?? 0)}</View>
                <View className='glance__label'>近 12 个月消费</View>
              </View>
              <View className='glance__item' onClick={() => void Taro.navigateTo({ url: '/pages/tier/index' })}>
                {data.tierProgress?.next ? (
                  <>
                    <View className='glance__value'>{yuan(data.tierProgress.spendToNextFen)}</View>
                    <View className='glance__label'>再消费可升{data.tierProgress.next.name}</View>
                  </>
                ) : (
                  <>
                    <View className='glance__value'>{data.tier.name}</View>
                    <View className='glance__label'>已是最高等级</View>
                  </>
                )}
              </View>
              <View className='glance__item' onClick={() => void openPage('/pages/coupons/index')}>
                <View className='glance__value'>{data.couponsAvailable}</View>
                <View className='glance__label'>可用券</View>
              </View>
            </View>
            {data.profileCompletion < 100 ? (
              <View className='notice' onClick={() => void Taro.navigateTo({ url: '/pages/profile/index' })}>
                资料完善度 {data.profileCompletion}%，完善全部资料可得 200 积分 ›
              </View>
            ) : null}
            <View className='menu'>
              {links.map((link) => (
                <View key={link.url} className='menu__item' onClick={() => void openPage(link.url)}>
                  <View>{link.title}</View>
                  <View className='muted'>
                    {link.url === '/pages/stored-value/index' && storedValueTotal !== undefined ? `余额 ${yuan(storedValueTotal)}` : link.hint} <View className='menu__arrow' style={{ display: 'inline' }}>›</View>
                  </View>
                </View>
              ))}
            </View>
          </View>
        ) : null}
      </Status>
    </View>
  );
}
