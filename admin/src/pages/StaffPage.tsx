import { PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Modal, Select, Switch, Tag } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { StaffAccount } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { useLang, useT } from '../i18n';
import { useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { StaffCreateBodySchema, StaffPatchBodySchema } from '../shared';

interface StaffForm {
  username: string;
  name: string;
  role: 'clerk' | 'manager' | 'hq';
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
    form.setFieldsValue(account === 'new' ? { username: '', name: '', role: 'clerk', storeId: undefined, password: '' } : { username: account.username, name: account.name, role: account.role, storeId: account.storeId ?? undefined, password: '' });
  };

  const save = async () => {
    const values = form.getFieldsValue();
    const common = { name: values.name?.trim() ?? '', ...(values.storeId && values.role !== 'hq' ? { storeId: values.storeId } : {}), ...(values.password ? { password: values.password } : {}) };
    // An edit cannot turn an account into HQ (or back): the server takes only clerk and manager there.
    const checked =
      editing === 'new'
        ? checkWith(StaffCreateBodySchema, { ...common, username: values.username?.trim() ?? '', role: values.role, password: values.password ?? '' }, lang)
        : checkWith(StaffPatchBodySchema, { ...common, ...(values.role === 'hq' ? {} : { role: values.role }) }, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    setError(null);
    try {
      if (editing === 'new') await api.post('/admin/staff', checked.data);
      else if (editing) await api.patch(`/admin/staff/${editing.id}`, checked.data);
      setEditing(null);
      list.reload();
      message.success(t('账号已保存', 'Account saved'));
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
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
      <PageTitle title={t('员工账号', 'Staff accounts')} sub={t('店员可扫码核销；店长还可在24小时内撤销', 'Clerks scan and redeem; managers can also reverse within 24 h')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')}>{t('新增员工', 'Add staff')}</Button>} />
      <Card>
        <CursorTable<StaffAccount>
          list={list}
          rowKey="id"
          empty={t('还没有员工账号', 'No staff accounts')}
          columns={[
            { title: t('账号', 'Username'), dataIndex: 'username' },
            { title: t('姓名', 'Name'), dataIndex: 'name' },
            { title: t('角色', 'Role'), dataIndex: 'role', render: (value: string) => <Tag color={value === 'hq' ? 'red' : value === 'manager' ? 'blue' : 'default'}>{value === 'hq' ? t('总部', 'HQ') : value === 'manager' ? t('店长', 'Manager') : t('店员', 'Clerk')}</Tag> },
            { title: t('门店', 'Store'), dataIndex: 'storeId', render: (value: string | null) => (value ? reference.storeName(value) : t('总部', 'HQ')) },
            { title: t('启用', 'Active'), dataIndex: 'active', render: (value: boolean | undefined, account) => <Switch checked={value !== false} onChange={(next) => toggle(account, next)} /> },
            { title: '', render: (_: unknown, account) => <Button size="small" onClick={() => open(account)}>{t('编辑', 'Edit')}</Button> },
          ]}
        />
      </Card>
      <Modal title={editing === 'new' ? t('新增员工', 'Add staff') : t('编辑员工', 'Edit staff')} open={!!editing} onCancel={() => setEditing(null)} onOk={save} confirmLoading={saving} forceRender>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form<StaffForm> form={form} layout="vertical">
          <Form.Item name="username" label={t('登录账号', 'Username')}>
            <Input disabled={editing !== 'new'} maxLength={32} />
          </Form.Item>
          <Form.Item name="name" label={t('姓名', 'Name')}>
            <Input maxLength={32} />
          </Form.Item>
          <Form.Item name="role" label={t('角色', 'Role')}>
            <Select disabled={editing !== 'new' && editing?.role === 'hq'} options={[{ label: t('店员', 'Clerk'), value: 'clerk' }, { label: t('店长', 'Manager'), value: 'manager' }, ...(editing === 'new' || editing?.role === 'hq' ? [{ label: t('总部', 'HQ'), value: 'hq' }] : [])]} />
          </Form.Item>
          {role === 'hq' ? null : (
            <Form.Item name="storeId" label={t('门店', 'Store')}>
              <Select options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} />
            </Form.Item>
          )}
          <Form.Item name="password" label={editing === 'new' ? t('初始密码', 'Initial password') : t('重置密码（不填则不变）', 'Reset password (blank = unchanged)')}>
            <Input.Password autoComplete="new-password" maxLength={128} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
