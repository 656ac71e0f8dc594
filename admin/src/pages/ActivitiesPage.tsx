import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Progress, Tag } from 'antd';
import { useNavigate } from 'react-router-dom';
import { useCan } from '../auth/session';
import { api } from '../api';
import { CursorTable } from '../components/CursorTable';
import { PageTitle } from '../components/PageTitle';
import { useT } from '../i18n';
import { fenToYuanText, formatDateTime } from '../lib/format';
import { useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { ACTIVITY_STATUS_LABELS, labelOf, type Activity } from '../shared';

export type AdminActivity = Activity;

export const activityStatusColor: Record<string, string> = { draft: 'default', published: 'green', cancelled: 'red', finished: 'blue' };

export function activityStatusLabel(status: string, t: (zh: string, en: string) => string): string {
  return labelOf(ACTIVITY_STATUS_LABELS, status, t('zh', 'en') === 'zh' ? 'zh' : 'en');
}

export default function ActivitiesPage() {
  const t = useT();
  // Viewers read; writing needs the HQ role the server asks for (RouteSpec.hq).
  const canWrite = useCan('marketing');
  const navigate = useNavigate();
  const reference = useReference();
  const list = useCursorList<AdminActivity>((cursor, signal) => api.list<AdminActivity>('/admin/activities', { cursor }, signal), []);
  const create = (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/activities/new')}>
      {t('新建活动', 'New activity')}
    </Button>
  );
  return (
    <>
      <PageTitle title={t('门店活动', 'Activities')} sub={t('沙龙、体验课等线下活动的报名与签到', 'Sign-ups and check-ins for in-store events')} extra={canWrite ? create : null} />
      <Card>
        <CursorTable<AdminActivity>
          list={list}
          rowKey="id"
          empty={t('还没有活动', 'No activities yet')}
          emptyAction={canWrite ? create : undefined}
          onRow={(activity) => ({ onClick: () => navigate(`/activities/${activity.id}`), className: 'mc-clickable-row' })}
          columns={[
            { title: t('活动', 'Activity'), dataIndex: 'title' },
            { title: t('门店', 'Store'), dataIndex: 'storeId', render: (value?: string) => (value ? reference.storeName(value) : t('全部门店', 'All stores')) },
            { title: t('开始', 'Starts'), dataIndex: 'startAt', render: formatDateTime },
            { title: t('报名', 'Seats'), render: (_: unknown, activity) => <Progress size="small" style={{ width: 140 }} percent={Math.round((activity.confirmedCount / Math.max(1, activity.capacity)) * 100)} format={() => `${activity.confirmedCount}/${activity.capacity}`} /> },
            { title: t('剩余', 'Left'), dataIndex: 'seatsLeft', align: 'right', render: (value?: number) => (value === undefined ? '—' : value) },
            { title: t('候补', 'Waitlist'), dataIndex: 'waitlistCount', align: 'right' },
            { title: t('费用', 'Fee'), dataIndex: 'feeFen', align: 'right', render: (value: number) => (value ? fenToYuanText(value) : t('免费', 'Free')) },
            { title: t('状态', 'Status'), dataIndex: 'status', render: (value: string) => <Tag color={activityStatusColor[value]}>{activityStatusLabel(value, t)}</Tag> },
          ]}
        />
      </Card>
    </>
  );
}
