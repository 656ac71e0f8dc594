import { LockOutlined } from '@ant-design/icons';
import { Alert, Button, Form, type FormInstance } from 'antd';
// The password field alone, not antd's Input namespace: this form is part of the sign-in screen's download.
import Password from 'antd/es/input/Password';
import { useState } from 'react';
import type { ApiClient } from '../api';
import { checkWith, clearErrorsOnEdit, failedSaveMessage, showFieldErrors } from './formErrors';
import { useLang, useT } from '../i18n';
import { PASSWORD_MIN_LENGTH, PasswordChangeBodySchema, passwordRuleMessage, passwordRulesText } from '../shared';

export interface PasswordChangeAnswer {
  token: string;
  refreshToken: string;
  expiresIn: number;
}

/** The server's password-rule messages, in the console's language (one wording with the till: shared passwordRuleMessage). */
export function passwordRuleText(message: string, t: (zh: string, en: string) => string): string {
  return passwordRuleMessage(message, t('zh', 'en') === 'zh' ? 'zh' : 'en', PASSWORD_MIN_LENGTH);
}

/** Puts the password fields' errors into the console's language after failedSaveMessage has placed them. */
export function translatePasswordErrors(form: FormInstance, fields: string[], t: (zh: string, en: string) => string): void {
  form.setFields(fields.map((name) => ({ name, errors: form.getFieldError(name).map((message) => passwordRuleText(message, t)) })));
}

interface Values {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

/**
 * Current password, new password twice. The server ends every session of the account and answers a new
 * token pair for this one; `onChanged` receives it.
 */
export function ChangePasswordForm({ client, onChanged }: { client: ApiClient; onChanged: (answer: PasswordChangeAnswer) => void }) {
  const t = useT();
  const { lang } = useLang();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (values: Values) => {
    setError(null);
    const checked = checkWith(PasswordChangeBodySchema, { currentPassword: values.currentPassword ?? '', newPassword: values.newPassword ?? '' }, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    if (values.newPassword !== values.confirm) {
      form.setFields([{ name: 'confirm', errors: [t('两次输入的新密码不一致', 'The two new passwords differ')] }]);
      return;
    }
    setSaving(true);
    try {
      onChanged(await client.post<PasswordChangeAnswer>('/auth/password', checked.data));
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
      translatePasswordErrors(form, ['currentPassword', 'newPassword'], t);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Form<Values> form={form} layout="vertical" onFinish={submit} requiredMark={false} onValuesChange={clearErrorsOnEdit(form)} data-testid="password-form">
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="password-error" /> : null}
      <Form.Item name="currentPassword" label={t('当前密码', 'Current password')}>
        <Password prefix={<LockOutlined />} autoComplete="current-password" data-testid="password-current" />
      </Form.Item>
      <Form.Item
        name="newPassword"
        label={t('新密码', 'New password')}
        extra={passwordRulesText(lang, PASSWORD_MIN_LENGTH)}
      >
        <Password prefix={<LockOutlined />} autoComplete="new-password" data-testid="password-new" />
      </Form.Item>
      <Form.Item name="confirm" label={t('再次输入新密码', 'New password again')}>
        <Password prefix={<LockOutlined />} autoComplete="new-password" data-testid="password-confirm" />
      </Form.Item>
      <Button type="primary" htmlType="submit" block loading={saving} data-testid="password-submit">
        {t('修改密码', 'Change password')}
      </Button>
    </Form>
  );
}
