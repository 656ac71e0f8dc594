import { PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Modal, Select, Switch, Tag } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { StaffAccount } from '../api/types';
import { translatePasswordErrors } from '../components/ChangePasswordForm';
import { CursorTable } from '../components/CursorTable';
import { clearErrorsOnEdit, checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { useLang, useT } from '../i18n';
import { hqRoleLabel } from '../lib/auditActions';
import { useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { PASSWORD_MIN_LENGTH, StaffCreateBodySchema, StaffPatchBodySchema, accountRoleLabel, passwordRulesText } from '../shared';

interface StaffForm {
  username: string;
  name: string;
  role: 'clerk' | 'manager' | 'hq';
  hqRole?: 'admin' | 'marketing' | 'viewer';
  storeId?: string;
  password?: string;
}

export default function StaffPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const reference = useReference();
  const list = useCursorList<StaffAccount>((cursor, signal) => api.list<StaffAccount>('/admin/staff', { cursor }, signal), []);
  const [editing, setEditing] = useState<StaffAccount | 'new' | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<StaffForm>();
  const role = Form.useWatch('role', form);

  const open = (account: StaffAccount | 'new') => {
    setError(null);
    setEditing(account);
    form.setFieldsValue(
      account === 'new'
        ? { username: '', name: '', role: 'clerk', hqRole: 'viewer', storeId: undefined, password: '' }
        : { username: account.username, name: account.name, role: account.role, hqRole: account.hqRole ?? undefined, storeId: account.storeId ?? undefined, password: '' },
    );
  };

  const save = async () => {
    const values = form.getFieldsValue();
    const common = { name: values.name?.trim() ?? '', ...(values.storeId && values.role !== 'hq' ? { storeId: values.storeId } : {}), ...(values.password ? { password: values.password } : {}) };
    // An edit cannot turn an account into HQ (or back): store staff change role, HQ accounts their HQ role.
    const checked =
      editing === 'new'
        ? checkWith(StaffCreateBodySchema, { ...common, username: values.username?.trim() ?? '', role: values.role, ...(values.role === 'hq' ? { hqRole: values.hqRole } : {}), password: values.password ?? '' }, lang)
        : checkWith(StaffPatchBodySchema, { ...common, ...(values.role === 'hq' ? { hqRole: values.hqRole } : { role: values.role }) }, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    setError(null);
    try {
      if (editing === 'new') await api.post('/admin/staff', checked.data);
      else if (editing) await api.patch(`/admin/staff/${editing.id}`, checked.data);
      setEditing(null);
      list.reload();
      // A password HQ sets is a one-time handover: the owner must replace it at their next sign-in.
      if (values.password) message.success(editing === 'new' ? t('账号已创建；对方首次登录时须修改密码', 'Account created; they must change the password at first sign-in') : t('密码已重置；对方已被登出，下次登录时须修改密码', 'Password reset; they are signed out and must change it at next sign-in'));
      else message.success(t('账号已保存', 'Account saved'));
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
      translatePasswordErrors(form, ['password'], t);
    } finally {
      setSaving(false);
    }
  };

  const toggle = async (account: StaffAccount, active: boolean) => {
    try {
      const next = await api.patch<StaffAccount>(`/admin/staff/${account.id}`, { active });
      list.replaceItem((item) => item.id === account.id, next);
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  return (
    <>
      <PageTitle
        title={t('员工与总部账号', 'Staff and HQ accounts')}
        sub={t('改角色、门店、密码或停用后，对方已登录的设备立即失效', 'A change of role, store or password, or disabling, signs the account out at once')}
        extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="new-staff">{t('新增账号', 'Add account')}</Button>}
      />
      <Card>
        <CursorTable<StaffAccount>
          list={list}
          rowKey="id"
          empty={t('还没有员工账号', 'No staff accounts')}
          columns={[
            // A username is data the person chose, not one of the product's words (the e2e crawl reads past data-identifier).
            { title: t('账号', 'Username'), dataIndex: 'username', render: (value: string) => <span data-identifier>{value}</span> },
            { title: t('姓名', 'Name'), dataIndex: 'name' },
            {
              title: t('角色', 'Role'),
              dataIndex: 'role',
              render: (value: string, account) => (
                <>
                  <Tag color={value === 'hq' ? 'red' : value === 'manager' ? 'blue' : 'default'}>{accountRoleLabel(value, account.hqRole, lang)}</Tag>
                  {account.mustChangePassword ? <Tag color="orange">{t('待改密码', 'Must change password')}</Tag> : null}
                </>
              ),
            },
            { title: t('门店', 'Store'), dataIndex: 'storeId', render: (value: string | null) => (value ? reference.storeName(value) : t('总部', 'HQ')) },
            { title: t('启用', 'Active'), dataIndex: 'active', render: (value: boolean | undefined, account) => <Switch checked={value !== false} onChange={(next) => toggle(account, next)} /> },
            { title: '', render: (_: unknown, account) => <Button size="small" onClick={() => open(account)}>{t('编辑', 'Edit')}</Button> },
          ]}
        />
      </Card>
      <Modal title={editing === 'new' ? t('新增员工', 'Add staff') : t('编辑员工', 'Edit staff')} open={!!editing} onCancel={() => setEditing(null)} onOk={save} confirmLoading={saving} forceRender>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form<StaffForm> form={form} layout="vertical" onValuesChange={clearErrorsOnEdit(form)}>
          <Form.Item name="username" label={t('登录账号', 'Username')}>
            <Input disabled={editing !== 'new'} maxLength={32} />
          </Form.Item>
          <Form.Item name="name" label={t('姓名', 'Name')}>
            <Input maxLength={32} />
          </Form.Item>
          <Form.Item name="role" label={t('角色', 'Role')}>
            <Select disabled={editing !== 'new' && editing?.role === 'hq'} options={[{ label: t('店员', 'Clerk'), value: 'clerk' }, { label: t('店长', 'Manager'), value: 'manager' }, ...(editing === 'new' || editing?.role === 'hq' ? [{ label: t('总部', 'HQ'), value: 'hq' }] : [])]} data-testid="staff-role" />
          </Form.Item>
          {role === 'hq' ? (
            <Form.Item name="hqRole" label={t('总部权限', 'HQ role')} extra={t('管理员：全部；市场：优惠券、兑换码、人群、推送、自动化、活动与报表；只读：只能查看', 'Admin: everything; marketing: coupons, codes, segments, campaigns, automation, activities, reports; viewer: read only')}>
              <Select options={[{ label: hqRoleLabel('admin', t), value: 'admin' }, { label: hqRoleLabel('marketing', t), value: 'marketing' }, { label: hqRoleLabel('viewer', t), value: 'viewer' }]} data-testid="staff-hq-role" />
            </Form.Item>
          ) : null}
          {role === 'hq' ? null : (
            <Form.Item name="storeId" label={t('门店', 'Store')}>
              <Select options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} />
            </Form.Item>
          )}
          <Form.Item
            name="password"
            label={editing === 'new' ? t('初始密码', 'Initial password') : t('重置密码（不填则不变）', 'Reset password (blank = unchanged)')}
            extra={`${passwordRulesText(lang, PASSWORD_MIN_LENGTH)}${t('；对方首次登录时须改成自己的密码', '; they must replace it at their next sign-in')}`}
          >
            <Input.Password autoComplete="new-password" maxLength={128} data-testid="staff-password" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
