import { ArrowLeftOutlined, ClockCircleOutlined, PauseCircleOutlined, PlayCircleOutlined, RocketOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Descriptions, Modal, Progress, Space, Statistic, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import type { Campaign, CampaignPreviewAnswer } from '../api/types';
import { PageTitle } from '../components/PageTitle';
import { AsyncView } from '../components/states';
import { useCan } from '../auth/session';
import { useLang, useT } from '../i18n';
import { progressPercent } from '../lib/charts';
import { formatInt, formatPercent } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { describeSegment } from '../lib/segment';
import type { CampaignResults, CouponTemplate } from '../shared';
import { CampaignResultsPanel, chinaDateTimeText, chinaWallTimeToIso } from './CampaignResultsPanel';
import { campaignStatusColor, campaignStatusLabel } from './CampaignsPage';

const POLL_MS = 1500;

/** failureReason is an error code such as TEMPLATE_EXHAUSTED; the common ones read as sentences. */
function failureText(reason: string | undefined, t: (zh: string, en: string) => string): string {
  if (reason === 'TEMPLATE_EXHAUSTED') return t('优惠券已发完', 'the coupon template ran out');
  if (reason === 'TEMPLATE_ARCHIVED') return t('优惠券模板已归档', 'the coupon template was archived');
  return reason ?? t('原因未知', 'reason unknown');
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
  const [rescheduling, setRescheduling] = useState<Dayjs | null | undefined>(undefined);
  const results = useAsync(
    (signal) => (campaign ? api.get<CampaignResults>(`/admin/campaigns/${id}/results`, undefined, signal) : Promise.resolve(undefined)),
    // Read again when the status moves (launch, completion), not on every progress poll: results read purchases.
    [id, campaign?.status],
  );

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

  const act = async (verb: 'launch' | 'pause' | 'resume' | 'unschedule' | 'schedule', body?: unknown) => {
    setActing(true);
    try {
      const next = await api.post<Campaign>(`/admin/campaigns/${id}/${verb}`, body);
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
          <p>{t(`目标 ${count ?? '?'} 位会员，其中约 ${formatPercent(current.holdoutShare, 0)} 随机留作对照组（不发券），其余发放“${template.data?.title ?? current.templateId}”。发起后不能撤回。`, `${count ?? '?'} members targeted; about ${formatPercent(current.holdoutShare, 0)} are held out at random (no coupon), the rest receive “${template.data?.title ?? current.templateId}”. This cannot be undone.`)}</p>
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
              {campaign.status === 'draft' || campaign.status === 'scheduled' ? (
                <Button icon={<ClockCircleOutlined />} loading={acting} onClick={() => setRescheduling(campaign.launchAt ? dayjs(chinaDateTimeText(campaign.launchAt)) : null)} data-testid="schedule-campaign">
                  {campaign.status === 'scheduled' ? t('改期', 'Reschedule') : t('定时发起', 'Schedule')}
                </Button>
              ) : null}
              {campaign.status === 'scheduled' ? (
                <Button loading={acting} onClick={() => act('unschedule')} data-testid="unschedule-campaign">
                  {t('取消定时', 'Cancel schedule')}
                </Button>
              ) : null}
              {campaign.status === 'draft' || campaign.status === 'scheduled' ? (
                <Button type="primary" icon={<RocketOutlined />} loading={acting} onClick={() => confirmLaunch(campaign)} data-testid="launch-campaign">
                  {campaign.status === 'scheduled' ? t('立即发起', 'Launch now') : t('发起推送', 'Launch')}
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
          // Held-out members are done too: the push went through them and gave nothing.
          const percent = progressPercent({ ...current.progress, failed: current.progress.failed + current.progress.holdout });
          return (
            <Space direction="vertical" size={16} style={{ width: '100%' }}>
              <Card title={t('推送进度', 'Progress')}>
                <Progress
                  percent={current.status === 'draft' || current.status === 'scheduled' ? 0 : percent}
                  status={current.status === 'failed' ? 'exception' : current.status === 'completed' ? 'success' : current.status === 'running' ? 'active' : 'normal'}
                  strokeWidth={14}
                  data-testid="campaign-progress"
                  aria-valuenow={percent}
                />
                {current.status === 'scheduled' ? (
                  <Alert type="info" showIcon icon={<ClockCircleOutlined />} style={{ marginBottom: 12 }} data-testid="campaign-schedule" title={t(`将于 ${chinaDateTimeText(current.launchAt)}（北京时间）自动发起，开始前可改期或取消。`, `Launches at ${chinaDateTimeText(current.launchAt)} (China time); it can be moved or cancelled before then.`)} />
                ) : null}
                <div className="mc-card-grid" style={{ marginTop: 16 }}>
                  <Statistic title={t('目标会员', 'Targeted')} value={current.progress.targeted} />
                  <Statistic title={t('对照组（不发券）', 'Holdout (no coupon)')} value={current.progress.holdout} />
                  <Statistic title={t('已发券', 'Issued')} value={current.progress.issued} valueStyle={{ color: '#389e0d' }} />
                  <Statistic title={t('已通知', 'Notified')} value={current.progress.notified} />
                  <Statistic title={t('失败', 'Failed')} value={current.progress.failed} valueStyle={{ color: current.progress.failed ? '#cf1322' : undefined }} />
                </div>
                {current.status === 'failed' ? <Alert type="error" showIcon style={{ marginTop: 12 }} title={t(`推送已中止：${failureText(current.failureReason, t)}`, `The push stopped: ${failureText(current.failureReason, t)}`)} data-testid="campaign-failure" /> : null}
                {current.status === 'draft' ? <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{t('草稿尚未发起。发起前会再次确认人数。', 'Not launched yet. You will confirm the audience before it starts.')}</Typography.Paragraph> : null}
              </Card>
              {results.data ? <CampaignResultsPanel results={results.data} reference={reference} /> : null}
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
                  <Descriptions.Item label={t('对照组比例', 'Holdout share')}>{formatPercent(current.holdoutShare, 0)}</Descriptions.Item>
                  <Descriptions.Item label={t('人群来源', 'Audience from')}>{current.source ? t(`已保存人群“${current.source.name}”`, `Saved segment “${current.source.name}”`) : t('自定义条件', 'Custom conditions')}</Descriptions.Item>
                  <Descriptions.Item label={t('人群', 'Segment')} span={2}>
                    {describeSegment(current.segment, t, { tier: reference.tierName, store: reference.storeName }).map((part) => <Tag key={part}>{part}</Tag>)}
                    {Object.keys(current.segment).length === 0 ? t('全部会员', 'Every member') : null}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('目标 / 已发', 'Targeted / issued')}>{`${formatInt(current.progress.targeted)} / ${formatInt(current.progress.issued)}`}</Descriptions.Item>
                  <Descriptions.Item label={t('创建时间', 'Created')}>{chinaDateTimeText(current.createdAt)}</Descriptions.Item>
                  <Descriptions.Item label={current.completedAt ? t('完成时间', 'Completed') : t('发起时间', 'Launched')}>{chinaDateTimeText(current.completedAt ?? current.launchedAt ?? current.launchAt)}</Descriptions.Item>
                </Descriptions>
              </Card>
            </Space>
          );
        }}
      </AsyncView>
      <Modal
        open={rescheduling !== undefined}
        title={t('定时发起（北京时间）', 'Schedule the launch (China time)')}
        okText={t('确定', 'OK')}
        cancelText={t('取消', 'Cancel')}
        okButtonProps={{ disabled: !rescheduling, loading: acting }}
        onCancel={() => setRescheduling(undefined)}
        onOk={async () => {
          if (!rescheduling) return;
          await act('schedule', { launchAt: chinaWallTimeToIso(rescheduling) });
          setRescheduling(undefined);
        }}
      >
        <DatePicker
          showTime={{ format: 'HH:mm' }}
          format="YYYY-MM-DD HH:mm"
          value={rescheduling ?? null}
          onChange={(value) => setRescheduling(value)}
          disabledDate={(day) => day.isBefore(dayjs().startOf('day'))}
          style={{ width: 240 }}
          data-testid="schedule-at"
        />
        <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
          {t('到点后一分钟内自动发起；开始前可改期或取消。', 'It launches within a minute of that time; it can be moved or cancelled before.')}
        </Typography.Paragraph>
      </Modal>
    </>
  );
}
