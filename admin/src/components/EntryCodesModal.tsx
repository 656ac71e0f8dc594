import { DownloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Image, Modal, Segmented, Space, Spin, Table, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { AcquisitionReport, EntryCode, StaffAccount, Store } from '../api/types';
import { useLang, useT } from '../i18n';
import { saveBlob } from '../lib/download';
import { useAsync } from '../lib/hooks';

type EnvVersion = 'release' | 'trial' | 'develop';

function query(params: Record<string, string | undefined>): string {
  return new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1]))).toString();
}

/**
 * 门店二维码: the store's mini-program code (WeChat draws it; it opens the card page with the store in its
 * scene), the same for each of its staff (joins through it are credited to them), and an ordinary URL code
 * for printed posters. Shoppers who open the app from one and join get the store as their home store.
 */
export function EntryCodesModal({ store, report, onClose }: { store: Store; report?: AcquisitionReport; onClose: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const [envVersion, setEnvVersion] = useState<EnvVersion>('release');
  const [preview, setPreview] = useState<{ url: string | null; error: string | null }>({ url: null, error: null });
  const code = useAsync((signal) => api.get<EntryCode>('/admin/entry-codes', { storeId: store.id }, signal), [store.id]);
  const staff = useAsync((signal) => api.list<StaffAccount>('/admin/staff', { storeId: store.id, limit: 100 }, signal), [store.id]);

  // The image needs the signed-in token, so it is fetched and shown from a blob URL.
  useEffect(() => {
    let url: string | null = null;
    let cancelled = false;
    setPreview({ url: null, error: null });
    api
      .download(`/admin/entry-codes/wxacode.png?${query({ storeId: store.id, envVersion })}`)
      .then((blob) => {
        if (cancelled) return;
        url = URL.createObjectURL(blob);
        setPreview({ url, error: null });
      })
      .catch((cause: unknown) => !cancelled && setPreview({ url: null, error: readableErrorMessage(cause, lang) }));
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [store.id, envVersion]);

  const download = async (kind: 'wxacode' | 'poster', target: { storeId?: string; staffId?: string }, name: string) => {
    try {
      const blob = await api.download(`/admin/entry-codes/${kind}.png?${query({ ...target, envVersion: kind === 'wxacode' ? envVersion : undefined })}`);
      saveBlob(blob, `${name}-${kind === 'wxacode' ? t('小程序码', 'mini-program-code') : t('海报二维码', 'poster-qr')}.png`);
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  const joinsOf = (staffId: string) => report?.staff.find((row) => row.staffId === staffId)?.joins ?? 0;
  const storeRow = report?.stores.find((row) => row.storeId === store.id);

  return (
    <Modal title={`${t('门店二维码', 'Store QR codes')} · ${store.name}`} open onCancel={onClose} footer={null} width={720}>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
          {t(
            '顾客用微信扫码即打开会员首页；扫码后开卡的新会员记为本店会员，并计入门店（及店员）的扫码开卡数。',
            'Scanning opens the membership home page; shoppers who then join get this store as their home store and count as joins through the store (and staff member).',
          )}
        </Typography.Paragraph>
        <Segmented<EnvVersion>
          value={envVersion}
          onChange={setEnvVersion}
          options={[
            { value: 'release', label: t('正式版', 'Release') },
            { value: 'trial', label: t('体验版', 'Trial') },
            { value: 'develop', label: t('开发版', 'Develop') },
          ]}
        />
        <div style={{ display: 'flex', gap: 24, alignItems: 'flex-start' }}>
          <div style={{ width: 200, height: 200, display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#fafafa' }}>
            {preview.url ? <Image src={preview.url} width={200} alt={t('门店小程序码', 'Store mini-program code')} /> : preview.error ? null : <Spin />}
          </div>
          <Space direction="vertical">
            {preview.error ? <Alert type="error" showIcon title={preview.error} /> : null}
            <Typography.Text>
              {t('场景值：', 'Scene: ')}<Typography.Text code>{code.data?.scene ?? '…'}</Typography.Text>
            </Typography.Text>
            <Typography.Text>
              {t('海报链接：', 'Poster URL: ')}<Typography.Text copyable>{code.data?.posterUrl ?? '…'}</Typography.Text>
            </Typography.Text>
            <Typography.Text type="secondary">
              {t('近 30 天：', 'Last 30 days: ')}{t('扫码访问', 'scans')} {storeRow?.visits ?? 0} · {t('扫码开卡', 'joins')} {storeRow?.joins ?? 0}
            </Typography.Text>
            <Space wrap>
              <Button type="primary" icon={<DownloadOutlined />} onClick={() => download('wxacode', { storeId: store.id }, store.id)}>
                {t('下载小程序码', 'Download mini-program code')}
              </Button>
              <Button icon={<DownloadOutlined />} onClick={() => download('poster', { storeId: store.id }, store.id)}>
                {t('下载海报二维码', 'Download poster QR')}
              </Button>
            </Space>
          </Space>
        </div>
        <Typography.Title level={5} style={{ margin: 0 }}>{t('店员推广码', 'Staff codes')}</Typography.Title>
        <Table<StaffAccount>
          size="small"
          rowKey="id"
          loading={staff.loading}
          pagination={false}
          dataSource={(staff.data?.items ?? []).filter((account) => account.active !== false)}
          locale={{ emptyText: t('本店还没有店员账号', 'No staff at this store') }}
          columns={[
            { title: t('店员', 'Staff'), dataIndex: 'name' },
            { title: t('账号', 'Username'), dataIndex: 'username' },
            { title: t('扫码开卡（近 30 天）', 'Joins (30 days)'), render: (_: unknown, account) => joinsOf(account.id) },
            {
              title: '',
              render: (_: unknown, account) => (
                <Button size="small" icon={<DownloadOutlined />} onClick={() => download('wxacode', { staffId: account.id }, `${store.id}-${account.username}`)}>
                  {t('小程序码', 'Code')}
                </Button>
              ),
            },
          ]}
        />
      </Space>
    </Modal>
  );
}
