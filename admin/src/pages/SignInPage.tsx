import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Segmented, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import { setSession, useSession, type Session } from '../auth/session';
import { checkWith, showFieldErrors } from '../components/formErrors';
import { useLang, useT } from '../i18n';
import { PasswordLoginBodySchema } from '../shared';

interface AdminLoginAnswer {
  token: string;
  refreshToken?: string;
  admin: { id: string; name: string; role: string };
}
interface StaffLoginAnswer {
  token: string;
  refreshToken?: string;
  staff: { id: string; name: string; role: string; storeId: string };
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
        next = { kind: 'hq', token: answer.token, refreshToken: answer.refreshToken, id: answer.admin.id, name: answer.admin.name, role: answer.admin.role };
      } else {
        const answer = await api.post<StaffLoginAnswer>('/auth/staff', checked.data);
        if (answer.staff.role !== 'manager') {
          setError(t('店员账号不能登录管理后台，请使用店长账号', 'Clerk accounts cannot use the console; sign in as a store manager'));
          return;
        }
        next = { kind: 'manager', token: answer.token, refreshToken: answer.refreshToken, id: answer.staff.id, name: answer.staff.name, role: 'manager', storeId: answer.staff.storeId };
      }
      setSession(next);
      navigate(from && from !== '/signin' ? from : '/dashboard', { replace: true });
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: 'linear-gradient(135deg, #fbe9e7 0%, #f5f6f8 60%)' }}>
      <div style={{ position: 'absolute', top: 16, right: 24 }}>
        <Segmented size="small" value={lang} onChange={(value) => setLang(value as 'zh' | 'en')} options={[{ label: '中文', value: 'zh' }, { label: 'EN', value: 'en' }]} />
      </div>
      <Card style={{ width: 400, boxShadow: '0 8px 32px rgba(0,0,0,0.08)' }}>
        <Typography.Title level={3} style={{ textAlign: 'center', marginBottom: 4 }}>
          {t('会员中心 · 管理后台', 'Membercard HQ console')}
        </Typography.Title>
        <Typography.Paragraph type="secondary" style={{ textAlign: 'center' }}>
          {t('总部与店长登录', 'For HQ and store managers')}
        </Typography.Paragraph>
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
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="signin-error" /> : null}
        <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="username" label={t('账号', 'Username')}>
            <Input prefix={<UserOutlined />} autoComplete="username" placeholder={who === 'hq' ? 'hq' : 'sh01-manager'} data-testid="signin-username" />
          </Form.Item>
          <Form.Item name="password" label={t('密码', 'Password')}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" data-testid="signin-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={submitting} data-testid="signin-submit">
            {t('登录', 'Sign in')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
