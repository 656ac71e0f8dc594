import { Alert, Card, Col, Descriptions, Progress, Row, Statistic, Table, Tag, Typography } from 'antd';
import { useEffect } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api';
import { PageTitle } from '../components/PageTitle';
import { ErrorState, LoadingState } from '../components/states';
import { useLang, useT } from '../i18n';
import { useCategories } from '../lib/categories';
import { useReference } from '../lib/reference';
import { fenToYuanText, formatDateTime, formatInt, formatPercent } from '../lib/format';
import { useAsync } from '../lib/hooks';
import type { OfferResultRow, OfferRun, OfferRunResults } from '../shared';
import { RunStatus } from './OffersPage';

// One personalised run: its progress while it runs, then its results against its holdout (overall, by category,
// by tier) beside the broadcast campaigns of the same period.

export default function OffersRunPage() {
  const t = useT();
  const { lang } = useLang();
  const { id } = useParams<{ id: string }>();
  const run = useAsync((signal) => api.get<OfferRun>(`/admin/offers/runs/${id}`, undefined, signal), [id]);
  const results = useAsync((signal) => api.get<OfferRunResults>(`/admin/offers/runs/${id}/results`, undefined, signal), [id]);
  const categories = useCategories();
  const reference = useReference();
  const running = run.data?.status === 'running';
  // Polls while the run runs (the reload functions need not be dependencies: only `running` starts and stops it).
  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(() => {
      run.reload();
      results.reload();
    }, 2_000);
    return () => clearInterval(timer);
  }, [running]);

  if (run.error) return <ErrorState error={run.error} onRetry={run.reload} />;
  if (!run.data) return <LoadingState />;
  const r = run.data;
  const categoryName = (code: string) => {
    const c = categories.find((x) => x.code === code);
    return c ? (lang === 'zh' ? c.name : c.nameEn) : code;
  };
  // Differences read −¥0.39, not ¥-0.39.
  const money = (v: number | null) => (v === null ? '—' : Math.round(v) < 0 ? `−${fenToYuanText(-Math.round(v))}` : fenToYuanText(Math.round(v)));
  const points = (v: number | null) => (v === null ? '—' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} ${t('个百分点', 'pts')}`);
  const rowColumns = (keyTitle: string, keyName: (row: OfferResultRow) => string) => [
    { title: keyTitle, render: (_: unknown, row: OfferResultRow) => keyName(row) },
    { title: t('发券会员 / 对照组', 'Treated / holdout'), render: (_: unknown, row: OfferResultRow) => `${formatInt(row.treatedMembers)} / ${formatInt(row.holdoutMembers)}` },
    { title: t('发券', 'Issued'), dataIndex: 'issued', render: formatInt },
    { title: t('核销', 'Redeemed'), dataIndex: 'redeemed', render: formatInt },
    { title: t('核销率', 'Redemption rate'), dataIndex: 'redemptionRate', render: (v: number) => formatPercent(v) },
    { title: t('到店率差', 'Visit-rate lift'), render: (_: unknown, row: OfferResultRow) => points(row.visitRate.diff) },
    { title: t('人均消费差', 'Spend lift / member'), render: (_: unknown, row: OfferResultRow) => money(row.spendPerMemberFen.diff) },
    { title: t('增量消费', 'Incremental spend'), render: (_: unknown, row: OfferResultRow) => money(row.incrementalSpendFen) },
    { title: t('券成本', 'Coupon cost'), dataIndex: 'couponCostFen', render: (v: number) => fenToYuanText(v) },
    { title: '', render: (_: unknown, row: OfferResultRow) => (row.tooSmall ? <Tag>{t('样本太小', 'Small sample')}</Tag> : null) },
  ];
  const total = results.data?.total;

  return (
    <>
      <PageTitle
        title={<span>{t('个性化发券', 'Personalised run')} · {formatDateTime(r.startedAt)} <RunStatus status={r.status} /></span>}
        sub={<Link to="/offers">{t('返回发券批次', 'Back to runs')}</Link>}
      />
      <Card size="small" style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={4}>
          <Descriptions.Item label={t('会员', 'Members')}>{formatInt(r.progress.members)}</Descriptions.Item>
          <Descriptions.Item label={t('发券会员 / 对照组', 'Treated / holdout')}>{formatInt(r.progress.treated)} / {formatInt(r.progress.holdout)}</Descriptions.Item>
          <Descriptions.Item label={t('新客（热销推荐）', 'Cold start')}>{formatInt(r.progress.coldStart)}</Descriptions.Item>
          <Descriptions.Item label={t('已发券', 'Issued')}>{formatInt(r.progress.issued)}</Descriptions.Item>
          <Descriptions.Item label={t('每人券数', 'Per member')}>{t(`品类券 ≤ ${r.settings.categoryOffers}，满减券 ≤ ${r.settings.thresholdOffers}`, `≤ ${r.settings.categoryOffers} category + ≤ ${r.settings.thresholdOffers} threshold`)}</Descriptions.Item>
          <Descriptions.Item label={t('对照组比例', 'Holdout')}>{formatPercent(r.settings.holdoutShare, 0)}</Descriptions.Item>
          <Descriptions.Item label={t('观察期', 'Window')}>{t(`${r.settings.windowDays} 天`, `${r.settings.windowDays} days`)}</Descriptions.Item>
          <Descriptions.Item label={t('热销品类（新客）', 'Best sellers (cold start)')}>{r.bestSellers.slice(0, 5).map(categoryName).join('、') || '—'}</Descriptions.Item>
        </Descriptions>
        {r.status === 'running' ? <Progress percent={99} status="active" showInfo={false} /> : null}
      </Card>
      {results.error ? <ErrorState error={results.error} onRetry={results.reload} compact /> : null}
      {total && results.data ? (
        <>
          <Row gutter={16} style={{ marginBottom: 16 }} data-testid="offers-results-total">
            <Col span={4}><Card size="small"><Statistic title={t('核销率', 'Redemption rate')} value={formatPercent(total.redemptionRate)} /></Card></Col>
            <Col span={5}><Card size="small"><Statistic title={t('到店率（发券 vs 对照）', 'Visit rate (treated vs holdout)')} value={`${formatPercent(total.visitRate.treated)} vs ${formatPercent(total.visitRate.holdout)}`} /></Card></Col>
            <Col span={5}><Card size="small"><Statistic title={t('增量到店（人次）', 'Incremental visits')} value={total.incrementalVisits === null ? '—' : total.incrementalVisits.toFixed(0)} /></Card></Col>
            <Col span={5}><Card size="small"><Statistic title={t('增量消费', 'Incremental spend')} value={money(total.incrementalSpendFen)} /></Card></Col>
            <Col span={5}><Card size="small"><Statistic title={t('券成本', 'Coupon cost')} value={fenToYuanText(total.couponCostFen)} /></Card></Col>
          </Row>
          <Typography.Paragraph type="secondary">
            {t(
              `观察期 ${formatDateTime(results.data.window.from)} 至 ${formatDateTime(results.data.window.until)}${results.data.window.open ? '（进行中）' : ''}；对照组同样选券但未发放`,
              `Window ${formatDateTime(results.data.window.from)} to ${formatDateTime(results.data.window.until)}${results.data.window.open ? ' (open)' : ''}; the holdout was planned alike and got nothing`,
            )}
          </Typography.Paragraph>
          <Card title={t('对比同期广播式营销推送', 'Against broadcast campaigns of the same period')} size="small" style={{ marginBottom: 16 }}>
            {results.data.broadcast.length === 0 ? (
              <Alert type="info" message={t('同期没有营销推送', 'No broadcast campaign in the same period')} />
            ) : (
              <Table
                rowKey="campaignId"
                size="small"
                pagination={false}
                data-testid="offers-broadcast-table"
                dataSource={[{ campaignId: 'run', name: t('本次个性化发券', 'This personalised run'), launchedAt: r.startedAt, issued: total.issued, redeemed: total.redeemed, redemptionRate: total.redemptionRate, couponCostFen: total.couponCostFen, visitRateDiff: total.visitRate.diff, spendPerMemberDiffFen: total.spendPerMemberFen.diff }, ...results.data.broadcast]}
                columns={[
                  { title: t('名称', 'Name'), dataIndex: 'name', render: (v: string, row) => (row.campaignId === 'run' ? <b>{v}</b> : <Link to={`/campaigns/${row.campaignId}`}>{v}</Link>) },
                  { title: t('开始', 'Launched'), dataIndex: 'launchedAt', render: formatDateTime },
                  { title: t('发券', 'Issued'), dataIndex: 'issued', render: formatInt },
                  { title: t('核销率', 'Redemption rate'), dataIndex: 'redemptionRate', render: (v: number) => formatPercent(v) },
                  { title: t('到店率差', 'Visit-rate lift'), dataIndex: 'visitRateDiff', render: points },
                  { title: t('人均消费差', 'Spend lift / member'), dataIndex: 'spendPerMemberDiffFen', render: money },
                  { title: t('券成本', 'Coupon cost'), dataIndex: 'couponCostFen', render: (v: number) => fenToYuanText(v) },
                ]}
              />
            )}
          </Card>
          <Card title={t('按品类（该品类的消费）', 'By category (spend on the category)')} size="small" style={{ marginBottom: 16 }}>
            <Table rowKey={(row) => row.key ?? 'all'} size="small" pagination={{ pageSize: 10, hideOnSinglePage: true }} dataSource={results.data.byCategory} columns={rowColumns(t('品类', 'Category'), (row) => categoryName(row.key ?? ''))} data-testid="offers-category-table" />
          </Card>
          <Card title={t('按会员等级', 'By tier')} size="small">
            <Table rowKey={(row) => row.key ?? 'all'} size="small" pagination={false} dataSource={results.data.byTier} columns={rowColumns(t('等级', 'Tier'), (row) => reference.tierName(row.key))} />
          </Card>
        </>
      ) : null}
    </>
  );
}
