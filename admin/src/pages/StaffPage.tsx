import { PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Modal, Select, Switch, Tag } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { StaffAccount } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { serverFieldErrors, showFieldErrors } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { useLang, useT } from '../i18n';
import { compact } from '../lib/forms';
import { useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';

interface StaffForm {
  username: string;
  name: string;
  role: 'clerk' | 'manager';
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

  const open = (account: StaffAccount | 'new') => {
    setError(null);
    setEditing(account);
    form.setFieldsValue(account === 'new' ? { username: '', name: '', role: 'clerk', storeId: undefined, password: '' } : { username: account.username, name: account.name, role: account.role, storeId: account.storeId, password: '' });
  };

  const save = async () => {
    const values = form.getFieldsValue();
    setSaving(true);
    setError(null);
    try {
      const body = compact({ name: values.name?.trim(), role: values.role, storeId: values.storeId, password: values.password || undefined });
      if (editing === 'new') await api.post('/admin/staff', { ...body, username: values.username?.trim() });
      else if (editing) await api.patch(`/admin/staff/${editing.id}`, body);
      setEditing(null);
      list.reload();
      message.success(t('账号已保存', 'Account saved'));
    } catch (cause) {
      const fields = serverFieldErrors(cause);
      if (fields) showFieldErrors(form, fields);
      setError(readableErrorMessage(cause, lang));
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
            { title: t('角色', 'Role'), dataIndex: 'role', render: (value: string) => <Tag color={value === 'manager' ? 'blue' : 'default'}>{value === 'manager' ? t('店长', 'Manager') : t('店员', 'Clerk')}</Tag> },
            { title: t('门店', 'Store'), dataIndex: 'storeId', render: reference.storeName },
            { title: t('启用', 'Active'), dataIndex: 'active', render: (value: boolean | undefined, account) => <Switch checked={value !== false} onChange={(next) => toggle(account, next)} /> },
            { title: '', render: (_: unknown, account) => <Button size="small" onClick={() => open(account)}>{t('编辑', 'Edit')}</Button> },
          ]}
        />
      </Card>
      <Modal title={editing === 'new' ? t('新增员工', 'Add staff') : t('编辑员工', 'Edit staff')} open={!!editing} onCancel={() => setEditing(null)} onOk={save} confirmLoading={saving} forceRender>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form<StaffForm> form={form} layout="vertical">
          <Form.Item name="username" label={t('登录账号', 'Username')}>
            <Input disabled={editing !== 'new'} maxLength={64} />
          </Form.Item>
          <Form.Item name="name" label={t('姓名', 'Name')}>
            <Input maxLength={40} />
          </Form.Item>
          <Form.Item name="role" label={t('角色', 'Role')}>
            <Select options={[{ label: t('店员', 'Clerk'), value: 'clerk' }, { label: t('店长', 'Manager'), value: 'manager' }]} />
          </Form.Item>
          <Form.Item name="storeId" label={t('门店', 'Store')}>
            <Select options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} />
          </Form.Item>
          <Form.Item name="password" label={editing === 'new' ? t('初始密码', 'Initial password') : t('重置密码（不填则不变）', 'Reset password (blank = unchanged)')}>
            <Input.Password autoComplete="new-password" maxLength={128} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
