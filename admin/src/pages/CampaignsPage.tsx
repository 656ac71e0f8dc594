import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Progress, Tag } from 'antd';
import { useNavigate } from 'react-router-dom';
import { api } from '../api';
import type { Campaign } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { PageTitle } from '../components/PageTitle';
import { useCan } from '../auth/session';
import { useT } from '../i18n';
import { progressPercent } from '../lib/charts';
import { formatDateTime, formatInt, formatPercent } from '../lib/format';
import { useCursorList } from '../lib/hooks';
import { CAMPAIGN_STATUS_LABELS, labelOf } from '../shared';
import { chinaDateTimeText } from './CampaignResultsPanel';

export const campaignStatusColor: Record<string, string> = { draft: 'default', scheduled: 'cyan', running: 'processing', paused: 'warning', completed: 'success', failed: 'error' };

export function campaignStatusLabel(status: string, t: (zh: string, en: string) => string): string {
  return labelOf(CAMPAIGN_STATUS_LABELS, status, t('zh', 'en') === 'zh' ? 'zh' : 'en');
}

export default function CampaignsPage() {
  const t = useT();
  // Viewers read; writing needs the HQ role the server asks for (RouteSpec.hq).
  const canWrite = useCan('marketing');
  const navigate = useNavigate();
  const list = useCursorList<Campaign>((cursor, signal) => api.list<Campaign>('/admin/campaigns', { cursor }, signal), []);
  const create = (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/campaigns/new')} data-testid="new-campaign">
      {t('新建推送', 'New campaign')}
    </Button>
  );
  return (
    <>
      <PageTitle title={t('营销推送', 'Campaigns')} sub={t('向圈选人群发券并发送订阅消息', 'Push coupons to a segment with a subscribe message')} extra={canWrite ? create : null} />
      <Card>
        <CursorTable<Campaign>
          list={list}
          rowKey="id"
          testId="campaigns-table"
          empty={t('还没有推送活动', 'No campaigns yet')}
          emptyAction={canWrite ? create : undefined}
          onRow={(campaign) => ({ onClick: () => navigate(`/campaigns/${campaign.id}`), className: 'mc-clickable-row' })}
          columns={[
            { title: t('名称', 'Name'), dataIndex: 'name' },
            { title: t('状态', 'Status'), dataIndex: 'status', render: (value: string) => <Tag color={campaignStatusColor[value]}>{campaignStatusLabel(value, t)}</Tag> },
            { title: t('进度', 'Progress'), render: (_: unknown, campaign) => (campaign.status === 'draft' ? '—' : campaign.status === 'scheduled' ? chinaDateTimeText(campaign.launchAt) : <Progress percent={progressPercent({ ...campaign.progress, failed: campaign.progress.failed + campaign.progress.holdout })} size="small" style={{ width: 140 }} />) },
            { title: t('目标 / 发放', 'Targeted / issued'), align: 'right', render: (_: unknown, campaign) => `${formatInt(campaign.progress?.targeted)} / ${formatInt(campaign.progress?.issued)}` },
            { title: t('核销率', 'Redemption'), align: 'right', render: (_: unknown, campaign) => formatPercent(campaign.stats?.redemptionRate) },
            { title: t('创建时间', 'Created'), dataIndex: 'createdAt', render: formatDateTime },
          ]}
        />
      </Card>
    </>
  );
}
