import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Button, Card, Form, Tabs } from 'antd';
// The input and password field alone, not antd's Input namespace (which brings TextArea, Search and OTP): the
// sign-in screen is the console's first download (scripts/web-budget.mjs).
import Input from 'antd/es/input/Input';
import Password from 'antd/es/input/Password';
import { lazy, Suspense, useState, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { api, ApiClient, readableSignInError } from '../api';
import { setSession, useSession, type HqRole, type Session } from '../auth/session';
import { checkWith, clearErrorsOnEdit, showFieldErrors } from '../components/formErrors';
import { useLang, useT } from '../i18n';
import { PasswordLoginBodySchema } from '../shared';

// Only a clerk whose password HQ set needs the change form: loaded when one signs in.
const ChangePasswordForm = lazy(() => import('../components/ChangePasswordForm').then((module) => ({ default: module.ChangePasswordForm })));
const ClerkPasswordDone = lazy(() => import('../components/ClerkPasswordDone'));

interface AdminLoginAnswer {
  token: string;
  refreshToken?: string;
  admin: { id: string; name: string; role: string; hqRole?: HqRole };
  mustChangePassword?: boolean;
}
interface StaffLoginAnswer {
  token: string;
  refreshToken?: string;
  staff: { id: string; name: string; role: string; storeId: string };
  mustChangePassword?: boolean;
}

export default function SignInPage() {
  const t = useT();
  const { lang, setLang } = useLang();
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [who, setWho] = useState<'hq' | 'manager'>('hq');
  const [form] = Form.useForm<{ username: string; password: string }>();
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  // A clerk whose password HQ set may use the console for one thing: choosing their own (then the till).
  const [clerk, setClerk] = useState<{ name: string; client: ApiClient; done: boolean } | null>(null);

  const from = (location.state as { from?: string } | null)?.from;
  if (session) return <Navigate to={from && from !== '/signin' ? from : '/dashboard'} replace />;

  const submit = async (values: { username: string; password: string }) => {
    setError(null);
    const checked = checkWith(PasswordLoginBodySchema, { username: values.username?.trim() ?? '', password: values.password ?? '' }, lang);
    if (!checked.ok) {
      showFieldErrors(form, checked.errors);
      return;
    }
    setSubmitting(true);
    try {
      let next: Session;
      if (who === 'hq') {
        const answer = await api.post<AdminLoginAnswer>('/auth/admin', checked.data);
        next = { kind: 'hq', token: answer.token, refreshToken: answer.refreshToken, id: answer.admin.id, name: answer.admin.name, role: answer.admin.role, hqRole: answer.admin.hqRole ?? 'admin', mustChangePassword: Boolean(answer.mustChangePassword) };
      } else {
        const answer = await api.post<StaffLoginAnswer>('/auth/staff', checked.data);
        if (answer.staff.role !== 'manager' && answer.mustChangePassword) {
          setClerk({ name: answer.staff.name, client: new ApiClient({ getToken: () => answer.token }), done: false });
          return;
        }
        if (answer.staff.role !== 'manager') {
          setError(t('店员账号不能登录管理后台，请使用店长账号', 'Clerk accounts cannot use the console; sign in as a store manager'));
          return;
        }
        next = { kind: 'manager', token: answer.token, refreshToken: answer.refreshToken, id: answer.staff.id, name: answer.staff.name, role: 'manager', storeId: answer.staff.storeId, mustChangePassword: Boolean(answer.mustChangePassword) };
      }
      setSession(next);
      if (next.mustChangePassword) navigate('/password', { replace: true });
      else navigate(from && from !== '/signin' ? from : '/dashboard', { replace: true });
    } catch (cause) {
      setError(readableSignInError(cause, lang));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: 'linear-gradient(135deg, #fbe9e7 0%, #f5f6f8 60%)' }}>
      <div style={{ position: 'absolute', top: 16, right: 24 }}>
        <div style={{ display: 'flex' }}>
          {(['zh', 'en'] as const).map((option) => (
            <Button key={option} size="small" type={lang === option ? 'default' : 'text'} onClick={() => setLang(option)} aria-pressed={lang === option}>
              {option === 'zh' ? '中文' : 'EN'}
            </Button>
          ))}
        </div>
      </div>
      <Card style={{ width: 400, boxShadow: '0 8px 32px rgba(0,0,0,0.08)' }}>
        {/* Plain elements, not antd Typography: the sign-in screen is the first download (scripts/web-budget.mjs). */}
        <h1 style={{ textAlign: 'center', margin: '0 0 4px', fontSize: 24, fontWeight: 600, color: 'rgba(0,0,0,0.88)' }}>{t('会员中心 · 管理后台', 'Membercard HQ console')}</h1>
        <p style={{ textAlign: 'center', margin: '0 0 16px', color: 'rgba(0,0,0,0.45)' }}>{t('总部与店长登录', 'For HQ and store managers')}</p>
        <Tabs
          centered
          activeKey={who}
          onChange={(key) => {
            setWho(key as 'hq' | 'manager');
            setError(null);
          }}
          items={[
            { key: 'hq', label: t('总部', 'HQ') },
            { key: 'manager', label: t('店长', 'Store manager') },
          ]}
        />
        {clerk ? (
          clerk.done ? (
            <Suspense fallback={null}>
              <ClerkPasswordDone onBack={() => setClerk(null)} />
            </Suspense>
          ) : (
            <>
              <Notice tone="warning">{t(`${clerk.name}，这是总部为你设置的密码，请先设置只有你知道的新密码`, `${clerk.name}, HQ set this password for you: choose one only you know`)}</Notice>
              <Suspense fallback={null}>
                <ChangePasswordForm client={clerk.client} onChanged={() => setClerk({ ...clerk, done: true })} />
              </Suspense>
            </>
          )
        ) : null}
        {error ? (
          <Notice tone="error" testId="signin-error">
            {error}
          </Notice>
        ) : null}
        <Form form={form} style={clerk ? { display: 'none' } : undefined} layout="vertical" onFinish={submit} requiredMark={false} onValuesChange={clearErrorsOnEdit(form)}>
          <Form.Item name="username" label={t('账号', 'Username')}>
            <Input prefix={<UserOutlined />} autoComplete="username" placeholder={who === 'hq' ? 'hq' : 'sh01-manager'} data-testid="signin-username" />
          </Form.Item>
          <Form.Item name="password" label={t('密码', 'Password')}>
            <Password prefix={<LockOutlined />} autoComplete="current-password" data-testid="signin-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={submitting} data-testid="signin-submit">
            {t('登录', 'Sign in')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}

/** A one-line notice in antd's alert colours, without antd's Alert (the sign-in screen is the first download). */
function Notice({ tone, testId, children }: { tone: 'error' | 'warning'; testId?: string; children: ReactNode }) {
  const colours = tone === 'error' ? { background: '#fff2f0', border: '#ffccc7' } : { background: '#fffbe6', border: '#ffe58f' };
  return (
    <div role="alert" data-testid={testId} style={{ marginBottom: 16, padding: '8px 12px', borderRadius: 8, border: `1px solid ${colours.border}`, background: colours.background, color: 'rgba(0,0,0,0.88)' }}>
      {children}
    </div>
  );
}
