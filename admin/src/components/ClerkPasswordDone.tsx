import { Button, Result } from 'antd';
import { useT } from '../i18n';

/**
 * What a clerk sees on the console's sign-in screen once they replaced the password HQ set: go to the till. Loaded
 * only then (antd's Result carries its illustrations; the sign-in screen is the first download).
 */
export default function ClerkPasswordDone({ onBack }: { onBack: () => void }) {
  const t = useT();
  return (
    <Result
      status="success"
      title={t('密码已修改', 'Password changed')}
      subTitle={t('请用新密码在门店收银端登录', 'Sign in at the till with your new password')}
      extra={<Button onClick={onBack}>{t('返回登录', 'Back to sign-in')}</Button>}
      data-testid="clerk-password-done"
    />
  );
}
