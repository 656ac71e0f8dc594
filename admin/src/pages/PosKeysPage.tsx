import { CopyOutlined, KeyOutlined, PlusOutlined, StopOutlined, SyncOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Checkbox, Descriptions, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import { checkWith, failedSaveMessage, showFieldErrors } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { ErrorState } from '../components/states';
import { useLang, useT } from '../i18n';
import { formatDateTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { labelOf, POS_KEY_STATUS_LABELS, PosCredentialCreateBodySchema, type PosCredential, type PosCredentialIssued } from '../shared';

// 收银系统密钥: each store's till signs its requests to /api/v1/pos with a key id and secret. HQ admins
// create, rotate (the old key keeps working for a grace period so the till can switch) and revoke them. The
// secret is shown once, right after it is made; the server keeps it sealed and never shows it again.

const GRACE_CHOICES = [0, 1, 24, 72];

function KeyStatus({ credential, now }: { credential: PosCredential; now: number }) {
  const t = useT();
  const { lang } = useLang();
  if (credential.status === 'revoked') return <Tag color="red">{labelOf(POS_KEY_STATUS_LABELS, 'revoked', lang)}</Tag>;
  if (credential.expiresAt) {
    return Date.parse(credential.expiresAt) <= now ? (
      <Tag>{t('已轮换，已失效', 'Rotated, expired')}</Tag>
    ) : (
      <Tag color="gold">{t(`已轮换，${formatDateTime(credential.expiresAt)} 前仍有效`, `Rotated, valid until ${formatDateTime(credential.expiresAt)}`)}</Tag>
    );
  }
  return <Tag color="green">{labelOf(POS_KEY_STATUS_LABELS, 'active', lang)}</Tag>;
}

/** The secret, once: a copy button, a clear warning, and no way to close it before saying it was saved. */
function SecretOnce({ issued, storeName, onClose }: { issued: PosCredentialIssued; storeName: string; onClose: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [saved, setSaved] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(issued.secret);
      message.success(t('密钥已复制', 'Secret copied'));
    } catch {
      message.warning(t('浏览器不允许自动复制，请手动选中密钥复制', 'The browser refused; select the secret and copy it by hand'));
    }
  };
  return (
    <Modal
      open
      title={
        <Space>
          <KeyOutlined />
          {t('请立即保存收银系统密钥', 'Save the POS secret now')}
        </Space>
      }
      closable={false}
      maskClosable={false}
      keyboard={false}
      footer={
        <Button type="primary" disabled={!saved} onClick={onClose} data-testid="pos-secret-done">
          {t('我已保存，关闭', 'Saved — close')}
        </Button>
      }
      width={640}
    >
      <Alert
        type="warning"
        showIcon
        style={{ marginBottom: 16 }}
        message={t('密钥只显示这一次', 'The secret is shown this once')}
        description={t(
          '关闭后任何人（包括总部）都无法再查看这个密钥。请复制到门店收银系统的配置中；如果遗失，只能轮换生成新密钥。不要通过聊天工具或邮件明文发送。',
          'Once closed, no one (HQ included) can see it again. Copy it into the store till’s configuration; if it is lost, rotate the key for a new one. Do not send it in plain text by chat or e-mail.',
        )}
        data-testid="pos-secret-warning"
      />
      <Descriptions column={1} size="small" bordered>
        <Descriptions.Item label={t('门店', 'Store')}>{`${storeName}（${issued.storeId}）`}</Descriptions.Item>
        <Descriptions.Item label={t('密钥 ID（X-POS-Key）', 'Key id (X-POS-Key)')}>
          <Typography.Text code copyable data-testid="pos-secret-key-id">
            {issued.keyId}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('密钥（HMAC）', 'Secret (HMAC)')}>
          <Space direction="vertical" style={{ width: '100%' }}>
            <Typography.Text code style={{ wordBreak: 'break-all', fontSize: 15 }} data-testid="pos-secret-value">
              {issued.secret}
            </Typography.Text>
            <Button icon={<CopyOutlined />} onClick={copy} data-testid="pos-secret-copy">
              {t('复制密钥', 'Copy secret')}
            </Button>
          </Space>
        </Descriptions.Item>
      </Descriptions>
      <Checkbox checked={saved} onChange={(e) => setSaved(e.target.checked)} style={{ marginTop: 16 }} data-testid="pos-secret-saved">
        {t('我已把密钥保存到收银系统', 'I have stored the secret in the till')}
      </Checkbox>
    </Modal>
  );
}

export default function PosKeysPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const reference = useReference();
  const [storeFilter, setStoreFilter] = useState<string | undefined>();
  const list = useAsync((signal) => api.get<{ items: PosCredential[] }>('/admin/pos/credentials', { storeId: storeFilter }, signal), [storeFilter]);
  const [creating, setCreating] = useState(false);
  const [rotating, setRotating] = useState<PosCredential | null>(null);
  const [graceHours, setGraceHours] = useState(24);
  const [issued, setIssued] = useState<PosCredentialIssued | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<{ storeId?: string; label?: string }>();
  const now = Date.now();

  const create = async () => {
    const values = form.getFieldsValue();
    const label = values.label?.trim();
    const checked = checkWith(PosCredentialCreateBodySchema, { storeId: values.storeId, ...(label ? { label } : {}) }, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    setError(null);
    try {
      const answer = await api.post<PosCredentialIssued>('/admin/pos/credentials', checked.data);
      setCreating(false);
      setIssued(answer);
      list.reload();
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const rotate = async () => {
    if (!rotating) return;
    setSaving(true);
    try {
      const answer = await api.post<PosCredentialIssued>(`/admin/pos/credentials/${rotating.keyId}/rotation`, { graceHours });
      setRotating(null);
      setIssued(answer);
      list.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const revoke = async (credential: PosCredential) => {
    try {
      await api.post(`/admin/pos/credentials/${credential.keyId}/revocation`, undefined);
      message.success(t('密钥已停用，使用它的请求将被拒绝', 'Key revoked; requests signed with it are refused'));
      list.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  const usable = (c: PosCredential) => c.status === 'active' && (!c.expiresAt || Date.parse(c.expiresAt) > now);

  return (
    <>
      <PageTitle
        title={t('收银系统密钥', 'POS keys')}
        sub={t('门店收银系统用密钥 ID 和密钥为每个请求签名（HMAC-SHA256）；每个密钥只能代表它所属的门店', 'Each store’s till signs every request with a key id and secret (HMAC-SHA256); a key acts only for its own store')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => { setError(null); form.resetFields(); form.setFieldsValue({ storeId: storeFilter, label: '' }); setCreating(true); }} data-testid="pos-key-create">
            {t('新建密钥', 'New key')}
          </Button>
        }
      />
      <Card
        title={t('密钥列表', 'Keys')}
        extra={
          <Select allowClear placeholder={t('全部门店', 'All stores')} style={{ width: 200 }} value={storeFilter} onChange={setStoreFilter} options={reference.stores.map((s) => ({ value: s.id, label: s.name }))} data-testid="pos-key-store-filter" />
        }
      >
        {list.error ? <ErrorState error={list.error} onRetry={list.reload} compact /> : null}
        <Table<PosCredential>
          rowKey="keyId"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          pagination={false}
          locale={{ emptyText: t('还没有密钥：为门店新建一个，交给收银系统', 'No keys yet: create one for a store and give it to its till') }}
          data-testid="pos-key-table"
          columns={[
            { title: t('门店', 'Store'), dataIndex: 'storeId', render: (id: string) => reference.storeName(id) },
            { title: t('名称', 'Label'), dataIndex: 'label', render: (label: string) => label || '—' },
            { title: t('密钥 ID', 'Key id'), dataIndex: 'keyId', render: (id: string) => <Typography.Text code copyable={{ text: id }}>{id}</Typography.Text> },
            { title: t('状态', 'Status'), render: (_: unknown, c) => <KeyStatus credential={c} now={now} /> },
            { title: t('创建时间', 'Created'), dataIndex: 'createdAt', render: formatDateTime, width: 140 },
            { title: t('最近使用', 'Last used'), dataIndex: 'lastUsedAt', render: formatDateTime, width: 140 },
            {
              title: t('操作', 'Actions'),
              width: 190,
              render: (_: unknown, c) =>
                c.status === 'active' ? (
                  <Space size={0}>
                    {!c.expiresAt ? (
                      <Button type="link" icon={<SyncOutlined />} onClick={() => { setGraceHours(24); setRotating(c); }} data-testid={`pos-key-rotate-${c.keyId}`}>
                        {t('轮换', 'Rotate')}
                      </Button>
                    ) : null}
                    {usable(c) ? (
                      <Popconfirm
                        title={t('立即停用这个密钥？使用它的收银系统将无法再记消费。', 'Revoke this key now? Tills using it can no longer book purchases.')}
                        onConfirm={() => revoke(c)}
                        okText={t('停用', 'Revoke')}
                        okButtonProps={{ danger: true }}
                        cancelText={t('取消', 'Cancel')}
                      >
                        <Button type="link" danger icon={<StopOutlined />} data-testid={`pos-key-revoke-${c.keyId}`}>
                          {t('停用', 'Revoke')}
                        </Button>
                      </Popconfirm>
                    ) : null}
                  </Space>
                ) : null,
            },
          ]}
        />
      </Card>
      <Modal open={creating} title={t('为门店新建收银系统密钥', 'New POS key for a store')} okText={t('生成密钥', 'Create key')} cancelText={t('取消', 'Cancel')} confirmLoading={saving} onOk={create} onCancel={() => setCreating(false)} destroyOnHidden>
        {error ? <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} /> : null}
        <Form form={form} layout="vertical">
          <Form.Item name="storeId" label={t('门店', 'Store')}>
            <Select placeholder={t('选择门店', 'Choose a store')} options={reference.stores.map((s) => ({ value: s.id, label: `${s.name}（${s.id}）` }))} data-testid="pos-key-store" />
          </Form.Item>
          <Form.Item name="label" label={t('名称（可选）', 'Label (optional)')} extra={t('例如“1号收银台”，便于区分同一门店的多个密钥', 'E.g. "Till 1", to tell a store’s keys apart')}>
            <Input maxLength={60} data-testid="pos-key-label" />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        open={rotating !== null}
        title={t('轮换密钥', 'Rotate key')}
        okText={t('生成新密钥', 'Create the new key')}
        cancelText={t('取消', 'Cancel')}
        confirmLoading={saving}
        onOk={rotate}
        onCancel={() => setRotating(null)}
        destroyOnHidden
      >
        <p>{t(`将为 ${reference.storeName(rotating?.storeId)} 生成新的密钥 ID 和密钥。旧密钥在宽限期内继续有效，方便收银系统切换。`, `A new key id and secret for ${reference.storeName(rotating?.storeId)}. The old key keeps working through the grace period so the till can switch.`)}</p>
        <Space>
          {t('旧密钥宽限期', 'Old key grace period')}
          <Select
            value={graceHours}
            onChange={setGraceHours}
            style={{ width: 160 }}
            options={GRACE_CHOICES.map((h) => ({ value: h, label: h === 0 ? t('立即失效', 'Stop at once') : t(`${h} 小时`, `${h} hours`) }))}
            data-testid="pos-key-grace"
          />
        </Space>
      </Modal>
      {issued ? <SecretOnce issued={issued} storeName={reference.storeName(issued.storeId)} onClose={() => setIssued(null)} /> : null}
    </>
  );
}
