import { ArrowLeftOutlined, PauseCircleOutlined, PlayCircleOutlined, RocketOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Progress, Space, Statistic, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import type { Campaign, CampaignBreakdownRow, CampaignPreviewAnswer } from '../api/types';
import { LazyChart } from '../components/charts/LazyChart';
import { PageTitle } from '../components/PageTitle';
import { AsyncView, EmptyState } from '../components/states';
import { useCan } from '../auth/session';
import { useLang, useT } from '../i18n';
import { progressPercent } from '../lib/charts';
import { fenToYuanText, formatDateTime, formatInt, formatPercent } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { describeSegment } from '../lib/segment';
import type { CouponTemplate } from '../shared';
import { campaignStatusColor, campaignStatusLabel } from './CampaignsPage';

const POLL_MS = 1500;

/** failureReason is an error code such as TEMPLATE_EXHAUSTED; the common ones read as sentences. */
function failureText(reason: string | undefined, t: (zh: string, en: string) => string): string {
  if (reason === 'TEMPLATE_EXHAUSTED') return t('优惠券已发完', 'the coupon template ran out');
  if (reason === 'TEMPLATE_ARCHIVED') return t('优惠券模板已归档', 'the coupon template was archived');
  return reason ?? t('原因未知', 'reason unknown');
}

function BreakdownChart({ rows, label, testId }: { rows: CampaignBreakdownRow[]; label: (key: string) => string; testId: string }) {
  const t = useT();
  if (rows.length === 0) return <EmptyState description={t('暂无数据', 'No data yet')} />;
  return (
    <LazyChart
      testId={testId}
      height={260}
      option={{
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 36, bottom: 28 },
        xAxis: { type: 'category', data: rows.map((row) => label(row.key)) },
        yAxis: { type: 'value' },
        series: [
          { name: t('发放', 'Issued'), type: 'bar', data: rows.map((row) => row.issued), itemStyle: { color: '#f0782d' } },
          { name: t('核销', 'Redeemed'), type: 'bar', data: rows.map((row) => row.redeemed), itemStyle: { color: '#c8372d' } },
        ],
      }}
    />
  );
}

export default function CampaignDetailPage() {
  const { id = '' } = useParams();
  const t = useT();
  // Viewers read; writing needs the HQ role the server asks for (RouteSpec.hq).
  const canWrite = useCan('marketing');
  const { lang } = useLang();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const reference = useReference();
  const state = useAsync((signal) => api.get<Campaign>(`/admin/campaigns/${id}`, undefined, signal), [id]);
  const campaign = state.data;
  const template = useAsync((signal) => (campaign ? api.get<CouponTemplate>(`/admin/coupon-templates/${campaign.templateId}`, undefined, signal) : Promise.resolve(undefined)), [campaign?.templateId]);
  const [acting, setActing] = useState(false);

  // While the push runs, poll its progress so the bar moves on its own.
  const running = campaign?.status === 'running';
  useEffect(() => {
    if (!running) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const next = await api.get<Campaign>(`/admin/campaigns/${id}`);
        if (!stopped) state.setData(next);
      } catch {
        // A missed poll is retried on the next tick.
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [running, id]);

  const act = async (verb: 'launch' | 'pause' | 'resume') => {
    setActing(true);
    try {
      const next = await api.post<Campaign>(`/admin/campaigns/${id}/${verb}`);
      state.setData(next);
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
      state.reload();
    } finally {
      setActing(false);
    }
  };

  const confirmLaunch = async (current: Campaign) => {
    let count: number | null = null;
    try {
      count = (await api.post<CampaignPreviewAnswer>('/admin/campaigns/preview', { segment: current.segment })).count;
    } catch {
      count = null;
    }
    modal.confirm({
      title: t('确认发起推送？', 'Launch this campaign?'),
      content: (
        <div data-testid="launch-confirm">
          <p>{t(`将向 ${count ?? '?'} 位会员发放“${template.data?.title ?? current.templateId}”，发起后不能撤回。`, `${count ?? '?'} members will receive “${template.data?.title ?? current.templateId}”. This cannot be undone.`)}</p>
          <p style={{ color: '#888' }}>{describeSegment(current.segment, t, { tier: reference.tierName, store: reference.storeName }).join('；') || t('全部会员', 'Every member')}</p>
        </div>
      ),
      okText: t('发起', 'Launch'),
      cancelText: t('取消', 'Cancel'),
      onOk: () => act('launch'),
    });
  };

  return (
    <>
      <PageTitle
        title={
          <Space>
            <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/campaigns')} aria-label={t('返回', 'Back')} />
            {campaign?.name ?? t('推送详情', 'Campaign')}
            {campaign ? <Tag color={campaignStatusColor[campaign.status]} data-testid="campaign-status">{campaignStatusLabel(campaign.status, t)}</Tag> : null}
          </Space>
        }
        extra={
          campaign && canWrite ? (
            <>
              {campaign.status === 'draft' ? (
                <Button type="primary" icon={<RocketOutlined />} loading={acting} onClick={() => confirmLaunch(campaign)} data-testid="launch-campaign">
                  {t('发起推送', 'Launch')}
                </Button>
              ) : null}
              {campaign.status === 'running' ? (
                <Button icon={<PauseCircleOutlined />} loading={acting} onClick={() => act('pause')} data-testid="pause-campaign">
                  {t('暂停', 'Pause')}
                </Button>
              ) : null}
              {campaign.status === 'paused' ? (
                <Button type="primary" icon={<PlayCircleOutlined />} loading={acting} onClick={() => act('resume')} data-testid="resume-campaign">
                  {t('继续', 'Resume')}
                </Button>
              ) : null}
            </>
          ) : null
        }
      />
      <AsyncView state={state}>
        {(current) => {
          const percent = progressPercent(current.progress);
          return (
            <Space direction="vertical" size={16} style={{ width: '100%' }}>
              <Card title={t('推送进度', 'Progress')}>
                <Progress
                  percent={current.status === 'draft' ? 0 : percent}
                  status={current.status === 'failed' ? 'exception' : current.status === 'completed' ? 'success' : current.status === 'running' ? 'active' : 'normal'}
                  strokeWidth={14}
                  data-testid="campaign-progress"
                  aria-valuenow={percent}
                />
                <div className="mc-card-grid" style={{ marginTop: 16 }}>
                  <Statistic title={t('目标会员', 'Targeted')} value={current.progress.targeted} />
                  <Statistic title={t('已发券', 'Issued')} value={current.progress.issued} valueStyle={{ color: '#389e0d' }} />
                  <Statistic title={t('已通知', 'Notified')} value={current.progress.notified} />
                  <Statistic title={t('失败', 'Failed')} value={current.progress.failed} valueStyle={{ color: current.progress.failed ? '#cf1322' : undefined }} />
                </div>
                {current.status === 'failed' ? <Alert type="error" showIcon style={{ marginTop: 12 }} title={t(`推送已中止：${failureText(current.failureReason, t)}`, `The push stopped: ${failureText(current.failureReason, t)}`)} data-testid="campaign-failure" /> : null}
                {current.status === 'draft' ? <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{t('草稿尚未发起。发起前会再次确认人数。', 'Not launched yet. You will confirm the audience before it starts.')}</Typography.Paragraph> : null}
              </Card>
              <Card title={t('效果', 'Results')}>
                <div className="mc-card-grid" style={{ marginBottom: 16 }}>
                  <Statistic title={t('已核销', 'Redeemed')} value={current.stats?.redeemed ?? 0} />
                  <Statistic title={t('核销率', 'Redemption rate')} value={formatPercent(current.stats?.redemptionRate)} />
                  <Statistic title={t('带动销售额', 'Order amount')} value={fenToYuanText(current.stats?.orderAmountFen)} />
                  <Statistic title={current.completedAt ? t('完成时间', 'Completed') : t('发起时间', 'Launched')} value={formatDateTime(current.completedAt ?? current.launchedAt)} valueStyle={{ fontSize: 16 }} />
                </div>
                <div className="mc-two-col">
                  <Card type="inner" title={t('按门店', 'By store')}>
                    <BreakdownChart rows={current.stats?.byStore ?? []} label={reference.storeName} testId="chart-by-store" />
                  </Card>
                  <Card type="inner" title={t('按等级', 'By tier')}>
                    <BreakdownChart rows={current.stats?.byTier ?? []} label={reference.tierName} testId="chart-by-tier" />
                  </Card>
                </div>
              </Card>
              <Card title={t('设置', 'Setup')}>
                <Descriptions column={2} size="small">
                  <Descriptions.Item label={t('优惠券', 'Coupon')}>{template.data?.title ?? current.templateId}</Descriptions.Item>
                  <Descriptions.Item label={t('消息文案', 'Message')}>
                    {current.message ? (
                      <>
                        {current.message.default}
                        {Object.entries(current.message.byHomeStoreId ?? {}).map(([storeId, text]) => (
                          <div key={storeId}>
                            <Tag>{reference.storeName(storeId)}</Tag>
                            {text}
                          </div>
                        ))}
                      </>
                    ) : (
                      '—'
                    )}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('人群', 'Segment')} span={2}>
                    {describeSegment(current.segment, t, { tier: reference.tierName, store: reference.storeName }).map((part) => <Tag key={part}>{part}</Tag>)}
                    {Object.keys(current.segment).length === 0 ? t('全部会员', 'Every member') : null}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('目标 / 已发', 'Targeted / issued')}>{`${formatInt(current.progress.targeted)} / ${formatInt(current.progress.issued)}`}</Descriptions.Item>
                  <Descriptions.Item label={t('创建时间', 'Created')}>{formatDateTime(current.createdAt)}</Descriptions.Item>
                </Descriptions>
              </Card>
            </Space>
          );
        }}
      </AsyncView>
    </>
  );
}
