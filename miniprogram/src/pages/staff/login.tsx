import { Button, Input, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { signInAsStaff } from '../../api/endpoints';
import { ApiError, readableError } from '../../api/errors';
import { rememberStaff } from '../../lib/staffSession';

export default function StaffLoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signIn() {
    setBusy(true);
    setError(null);
    try {
      const staff = await signInAsStaff(username.trim(), password);
      rememberStaff(staff);
      void Taro.redirectTo({ url: '/pages/staff/index' });
    } catch (failure) {
      const wrongPassword = failure instanceof ApiError && (failure.code === 'UNAUTHENTICATED' || failure.code === 'VALIDATION_FAILED');
      setError(wrongPassword ? '账号或密码错误' : readableError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View className='page'>
      <View className='section'>
        <View className='section__title'>店员登录</View>
        <View className='muted'>使用总部分配的店员账号登录收银台工具</View>
        <Input className='input input--boxed mt' placeholder='账号' value={username} onInput={(e) => setUsername(e.detail.value)} />
        <Input className='input input--boxed mt' placeholder='密码' password value={password} onInput={(e) => setPassword(e.detail.value)} />
        {error ? <View className='notice notice--error mt'>{error}</View> : null}
        <Button className='btn btn--primary mt-lg' disabled={busy || !username.trim() || !password} loading={busy} onClick={() => void signIn()}>
          登录
        </Button>
      </View>
    </View>
  );
}
