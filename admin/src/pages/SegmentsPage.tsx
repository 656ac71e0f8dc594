import { DeleteOutlined, NotificationOutlined, SaveOutlined } from '@ant-design/icons';
import { App, Button, Card, Input, Popconfirm, Space, Tag } from 'antd';
import { useCan } from '../auth/session';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import type { SavedSegment, Segment } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { checkWith } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { SegmentBuilder } from '../components/SegmentBuilder';
import { useLang, useT } from '../i18n';
import { formatDate } from '../lib/format';
import { useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { describeSegment } from '../lib/segment';
import { SavedSegmentBodySchema } from '../shared';

export default function SegmentsPage() {
  const t = useT();
  const canWrite = useCan('marketing'); // viewers read only (RouteSpec.hq on the server)
  const { lang } = useLang();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const reference = useReference();
  const [segment, setSegment] = useState<Segment>({});
  const [name, setName] = useState('');
  const [saving, setSaving] = useState(false);
  const [builderKey, setBuilderKey] = useState(0);
  const [initial, setInitial] = useState<Segment | undefined>(undefined);
  const saved = useCursorList<SavedSegment>((cursor, signal) => api.list<SavedSegment>('/admin/segments', { cursor }, signal), []);

  const save = async () => {
    if (!name.trim()) return void message.warning(t('请填写人群名称', 'Name the segment first'));
    const checked = checkWith(SavedSegmentBodySchema, { name: name.trim(), segment }, lang);
    if (!checked.ok) return void message.error(Object.entries(checked.errors).map(([path, text]) => `${path}: ${text}`).join('; '));
    setSaving(true);
    try {
      await api.post('/admin/segments', checked.data);
      message.success(t('人群已保存', 'Segment saved'));
      setName('');
      saved.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const remove = async (id: string) => {
    try {
      await api.delete(`/admin/segments/${id}`);
      saved.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  return (
    <>
      <PageTitle
        title={t('人群圈选', 'Segments')}
        sub={t('组合条件圈定会员，人数实时计算', 'Combine conditions; the audience is counted live')}
        extra={
          <>
            {canWrite ? (
              <>
                <Input placeholder={t('人群名称', 'Segment name')} value={name} onChange={(event) => setName(event.target.value)} style={{ width: 200 }} maxLength={60} data-testid="segment-name" />
                <Button icon={<SaveOutlined />} loading={saving} onClick={save} data-testid="save-segment">
                  {t('保存人群', 'Save segment')}
                </Button>
                <Button type="primary" icon={<NotificationOutlined />} onClick={() => navigate('/campaigns/new', { state: { segment } })}>
                  {t('用此人群发券', 'Push coupons to it')}
                </Button>
              </>
            ) : null}
          </>
        }
      />
      <SegmentBuilder key={builderKey} initial={initial} onChange={(next) => setSegment(next)} />
      <Card title={t('已保存的人群', 'Saved segments')} style={{ marginTop: 16 }}>
        <CursorTable<SavedSegment>
          list={saved}
          rowKey="id"
          size="small"
          empty={t('还没有保存的人群', 'No saved segments')}
          columns={[
            { title: t('名称', 'Name'), dataIndex: 'name' },
            { title: t('条件', 'Conditions'), render: (_: unknown, item) => describeSegment(item.segment, t, { tier: reference.tierName, store: reference.storeName }).map((part) => <Tag key={part}>{part}</Tag>) },
            { title: t('创建', 'Created'), dataIndex: 'createdAt', render: formatDate },
            {
              title: '',
              render: (_: unknown, item) => (
                <Space>
                  <Button size="small" onClick={() => { setInitial(item.segment); setSegment(item.segment); setBuilderKey((value) => value + 1); }}>
                    {t('载入', 'Load')}
                  </Button>
                  {canWrite ? (
                    <Popconfirm title={t('删除该人群？', 'Delete this segment?')} onConfirm={() => remove(item.id)}>
                      <Button size="small" danger icon={<DeleteOutlined />} />
                    </Popconfirm>
                  ) : null}
                </Space>
              ),
            },
          ]}
        />
      </Card>
    </>
  );
}
