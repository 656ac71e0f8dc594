import { Alert, App, Button, Card, Segmented, Typography } from 'antd';
import { useNavigate } from 'react-router-dom';
import { api, signOut } from '../api';
import { setSession, useSession } from '../auth/session';
import { ChangePasswordForm } from '../components/ChangePasswordForm';
import { useLang, useT } from '../i18n';

/**
 * The signed-in user's own password. When HQ created the account or reset its password, this is the only
 * screen until a new one is chosen (the server refuses everything else with PASSWORD_CHANGE_REQUIRED).
 */
export default function ChangePasswordPage() {
  const t = useT();
  const { lang, setLang } = useLang();
  const session = useSession();
  const navigate = useNavigate();
  const { message } = App.useApp();
  if (!session) return null;
  const forced = Boolean(session.mustChangePassword);

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: 'linear-gradient(135deg, #fbe9e7 0%, #f5f6f8 60%)' }}>
      <div style={{ position: 'absolute', top: 16, right: 24 }}>
        <Segmented size="small" value={lang} onChange={(value) => setLang(value as 'zh' | 'en')} options={[{ label: '中文', value: 'zh' }, { label: 'EN', value: 'en' }]} />
      </div>
      <Card style={{ width: 420, boxShadow: '0 8px 32px rgba(0,0,0,0.08)' }} data-testid="change-password">
        <Typography.Title level={3} style={{ textAlign: 'center', marginBottom: 4 }}>
          {t('修改密码', 'Change password')}
        </Typography.Title>
        <Typography.Paragraph type="secondary" style={{ textAlign: 'center' }}>
          {session.name}
        </Typography.Paragraph>
        {forced ? (
          <Alert
            type="warning"
            showIcon
            style={{ marginBottom: 16 }}
            title={t('这是总部为你设置的密码，请先设置只有你知道的新密码', 'HQ set this password for you: choose one only you know before going on')}
            data-testid="password-forced"
          />
        ) : (
          <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('修改后，其他设备上的登录将全部退出', 'Changing it signs you out on every other device')} />
        )}
        <ChangePasswordForm
          client={api}
          onChanged={(answer) => {
            setSession({ ...session, token: answer.token, refreshToken: answer.refreshToken, mustChangePassword: false });
            message.success(t('密码已修改', 'Password changed'));
            navigate('/dashboard', { replace: true });
          }}
        />
        <div style={{ marginTop: 12, textAlign: 'center' }}>
          {forced ? (
            <Button type="link" onClick={() => { signOut(); navigate('/signin'); }}>
              {t('退出登录', 'Sign out')}
            </Button>
          ) : (
            <Button type="link" onClick={() => navigate(-1)} data-testid="password-back">
              {t('返回', 'Back')}
            </Button>
          )}
        </div>
      </Card>
    </div>
  );
}
