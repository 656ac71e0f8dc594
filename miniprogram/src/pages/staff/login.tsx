import { Button, Input, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { PASSWORD_MIN_LENGTH, passwordRuleMessage, passwordRulesText, type Staff } from '@membercard/shared';
import { changeStaffPassword, signInAsStaff, signOutStaff } from '../../api/endpoints';
import { ApiError, readableError } from '../../api/errors';
import { rememberStaff } from '../../lib/staffSession';

function passwordChangeError(failure: unknown): string {
  if (failure instanceof ApiError && failure.code === 'VALIDATION_FAILED') {
    const fields = failure.details?.fields;
    const first = Array.isArray(fields) ? (fields[0] as { message?: unknown } | undefined) : undefined;
    return passwordRuleMessage(typeof first?.message === 'string' ? first.message : '', 'zh', PASSWORD_MIN_LENGTH);
  }
  return readableError(failure);
}

/**
 * The till's sign-in. An account whose password HQ set (new, or reset) must choose its own before the till
 * opens: the server lets those tokens do nothing else, so the second step asks for the new password at once.
 */
export default function StaffLoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Set while the signed-in account still has HQ's password: the change-password step.
  const [pending, setPending] = useState<Staff | null>(null);
  const [newPassword, setNewPassword] = useState('');
  const [confirm, setConfirm] = useState('');

  function openTill(staff: Staff) {
    rememberStaff(staff);
    void Taro.redirectTo({ url: '/pages/staff/index' });
  }

  async function signIn() {
    setBusy(true);
    setError(null);
    try {
      const { staff, mustChangePassword } = await signInAsStaff(username.trim(), password);
      if (mustChangePassword) setPending(staff);
      else openTill(staff);
    } catch (failure) {
      const wrongPassword = failure instanceof ApiError && (failure.code === 'UNAUTHENTICATED' || failure.code === 'VALIDATION_FAILED');
      setError(wrongPassword ? '账号或密码错误' : readableError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function choosePassword() {
    if (!pending) return;
    if (newPassword.length < PASSWORD_MIN_LENGTH) return setError(passwordRuleMessage('at least', 'zh', PASSWORD_MIN_LENGTH));
    if (newPassword !== confirm) return setError('两次输入的新密码不一致');
    setBusy(true);
    setError(null);
    try {
      await changeStaffPassword(password, newPassword);
      openTill(pending);
    } catch (failure) {
      setError(passwordChangeError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function backToSignIn() {
    await signOutStaff();
    setPending(null);
    setPassword('');
    setNewPassword('');
    setConfirm('');
    setError(null);
  }

  if (pending) {
    return (
      <View className='page'>
        <View className='section'>
          <View className='section__title'>设置新密码</View>
          <View className='muted'>{`${pending.name}，您的密码由总部设置，请先换成只有您知道的新密码，再使用收银台工具。`}</View>
          <Input className='input input--boxed mt' placeholder='新密码' password value={newPassword} onInput={(e) => setNewPassword(e.detail.value)} />
          <Input className='input input--boxed mt' placeholder='再次输入新密码' password value={confirm} onInput={(e) => setConfirm(e.detail.value)} />
          <View className='muted small mt'>{passwordRulesText('zh', PASSWORD_MIN_LENGTH)}</View>
          {error ? <View className='notice notice--error mt'>{error}</View> : null}
          <Button className='btn btn--primary mt-lg' disabled={busy || !newPassword || !confirm} loading={busy} onClick={() => void choosePassword()}>
            确认并进入收银台
          </Button>
          <View className='mt'>
            <View className='link small' onClick={() => void backToSignIn()}>
              换个账号登录
            </View>
          </View>
        </View>
      </View>
    );
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
