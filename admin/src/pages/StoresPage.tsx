import { PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Modal, Switch, Tag } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { AcquisitionReport, Store } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { EntryCodesModal } from '../components/EntryCodesModal';
import { clearErrorsOnEdit, checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { useLang, useT } from '../i18n';
import { useAsync, useCursorList } from '../lib/hooks';
import { invalidateReference } from '../lib/reference';
import { StoreCreateBodySchema, StorePatchBodySchema } from '../shared';

export default function StoresPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const list = useCursorList<Store>((cursor, signal) => api.list<Store>('/admin/stores', { cursor }, signal), []);
  const [editing, setEditing] = useState<Store | 'new' | null>(null);
  const [codesFor, setCodesFor] = useState<Store | null>(null);
  // Scans of the stores' QR codes and the joins they brought; the list still shows if the report fails.
  const acquisition = useAsync((signal) => api.get<AcquisitionReport>('/admin/reports/acquisition', { days: 30 }, signal).catch(() => undefined), []);
  const acquisitionOf = (storeId: string) => acquisition.data?.stores.find((row) => row.storeId === storeId);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<{ id?: string; name: string; city?: string }>();

  const open = (store: Store | 'new') => {
    setError(null);
    setEditing(store);
    form.setFieldsValue(store === 'new' ? { id: '', name: '', city: '' } : { id: store.id, name: store.name, city: store.city ?? '' });
  };

  const save = async () => {
    const values = form.getFieldsValue();
    const city = values.city?.trim();
    // A new store leaves an empty city out; an edit clears it with null.
    const checked =
      editing === 'new'
        ? checkWith(StoreCreateBodySchema, { id: values.id?.trim() ?? '', name: values.name?.trim() ?? '', ...(city ? { city } : {}) }, lang)
        : checkWith(StorePatchBodySchema, { name: values.name?.trim() ?? '', city: city || null }, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    setError(null);
    try {
      if (editing === 'new') await api.post('/admin/stores', checked.data);
      else if (editing) await api.patch(`/admin/stores/${editing.id}`, checked.data);
      invalidateReference();
      setEditing(null);
      list.reload();
      message.success(t('门店已保存', 'Store saved'));
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const toggle = async (store: Store, active: boolean) => {
    try {
      const next = await api.patch<Store>(`/admin/stores/${store.id}`, { active });
      list.replaceItem((item) => item.id === store.id, next);
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  return (
    <>
      <PageTitle title={t('门店', 'Stores')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')}>{t('新增门店', 'Add store')}</Button>} />
      <Card>
        <CursorTable<Store>
          list={list}
          rowKey="id"
          empty={t('还没有门店', 'No stores')}
          columns={[
            { title: t('门店编码', 'Code'), dataIndex: 'id', render: (value: string) => <Tag>{value}</Tag> },
            { title: t('名称', 'Name'), dataIndex: 'name' },
            { title: t('城市', 'City'), dataIndex: 'city', render: (value?: string) => value ?? '—' },
            { title: t('营业中', 'Open'), dataIndex: 'active', render: (value: boolean | undefined, store) => <Switch checked={value !== false} onChange={(next) => toggle(store, next)} /> },
            { title: t('扫码访问（近 30 天）', 'Code scans (30 days)'), render: (_: unknown, store) => acquisitionOf(store.id)?.visits ?? 0 },
            { title: t('扫码开卡（近 30 天）', 'Joins by code (30 days)'), render: (_: unknown, store) => acquisitionOf(store.id)?.joins ?? 0 },
            {
              title: '',
              render: (_: unknown, store) => (
                <>
                  <Button size="small" onClick={() => open(store)}>{t('编辑', 'Edit')}</Button>{' '}
                  <Button size="small" onClick={() => setCodesFor(store)}>{t('门店二维码', 'QR codes')}</Button>
                </>
              ),
            },
          ]}
        />
      </Card>
      <Modal title={editing === 'new' ? t('新增门店', 'Add store') : t('编辑门店', 'Edit store')} open={!!editing} onCancel={() => setEditing(null)} onOk={save} confirmLoading={saving} forceRender>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Form form={form} layout="vertical" onValuesChange={clearErrorsOnEdit(form)}>
          <Form.Item name="id" label={t('门店编码（即门店 id，如 SH02）', 'Store code (its id, e.g. SH02)')}>
            <Input disabled={editing !== 'new'} maxLength={16} />
          </Form.Item>
          <Form.Item name="name" label={t('名称', 'Name')}>
            <Input maxLength={64} />
          </Form.Item>
          <Form.Item name="city" label={t('城市', 'City')}>
            <Input maxLength={32} />
          </Form.Item>
        </Form>
      </Modal>
      {codesFor ? <EntryCodesModal store={codesFor} report={acquisition.data} onClose={() => setCodesFor(null)} /> : null}
    </>
  );
}
