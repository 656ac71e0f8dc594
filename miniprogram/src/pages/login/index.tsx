import { Button, Input, View } from '@tarojs/components';
import Taro, { useLoad } from '@tarojs/taro';
import { useState } from 'react';
import { h5LoginCode, signInWithWechatCode } from '../../api/endpoints';
import { readableError } from '../../api/errors';
import { PrivacyDialog } from '../../components/PrivacyDialog';
import { isH5 } from '../../config';
import { needsPrivacyAuthorization, showPrivacyPrompt } from '../../lib/privacy';
import { rememberMember } from '../../lib/memberCache';
import './index.css';
import { useTheme } from '../../lib/theme';

/** After sign-in: shoppers without a card go to join, members to their card. */
function goOn(hasCard: boolean) {
  if (hasCard) void Taro.reLaunch({ url: '/pages/card/index' });
  else void Taro.redirectTo({ url: '/pages/join/index' });
}

export default function LoginPage() {
  useTheme(); // the brand's navigation bar on every shopper screen
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [nickname, setNickname] = useState('');

  useLoad(() => {
    // Ask for privacy consent up front, before any privacy API is reached.
    void needsPrivacyAuthorization().then((needed) => needed && showPrivacyPrompt());
  });

  async function signIn(code: string | (() => Promise<string>)) {
    setBusy(true);
    setError(null);
    try {
      const member = await signInWithWechatCode(typeof code === 'string' ? code : await code());
      if (member) rememberMember(member);
      goOn(member !== null);
    } catch (failure) {
      setError(readableError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function signInWithWechat() {
    try {
      const { code } = await Taro.login();
      await signIn(code);
    } catch {
      setError('微信登录失败，请稍后再试');
    }
  }

  return (
    <View className='page login'>
      <View className='login__hero'>
        <View className='login__logo'>会员</View>
        <View className='login__title'>欢迎来到会员中心</View>
        <View className='muted'>积分、优惠券、会员活动，一卡尽享</View>
      </View>
      {error ? <View className='notice notice--error'>{error}</View> : null}
      {isH5 ? (
        <View className='section'>
          <View className='section__title'>演示登录</View>
          <View className='muted'>H5 演示版没有微信登录，输入昵称（字母、数字、_ 或 -）即可模拟一位顾客，同一昵称即同一位顾客。</View>
          <Input
            className='input input--boxed mt'
            placeholder='输入昵称，例如 xiaoming'
            value={nickname}
            maxlength={32}
            onInput={(e) => setNickname(e.detail.value)}
          />
          <Button className='btn btn--primary mt' disabled={busy || !nickname.trim()} loading={busy} onClick={() => void signIn(() => h5LoginCode(nickname.trim()))}>
            登录
          </Button>
        </View>
      ) : (
        <Button className='btn btn--primary' disabled={busy} loading={busy} onClick={() => void signInWithWechat()}>
          微信一键登录
        </Button>
      )}
      <View className='login__staff link' onClick={() => void Taro.navigateTo({ url: '/pages/staff/login' })}>
        店员入口
      </View>
      <PrivacyDialog />
    </View>
  );
}
