import { Card, Col, Row, Select, Statistic, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api';
import type { Dashboard } from '../api/types';
import { useCan, useSession } from '../auth/session';
import { LazyChart } from '../components/charts/LazyChart';
import { PageTitle } from '../components/PageTitle';
import { PaymentAlerts } from '../components/PaymentAlerts';
import { SecurityAlerts } from '../components/SecurityAlerts';
import { AsyncView, EmptyState } from '../components/states';
import { useT } from '../i18n';
import { normalizePareto } from '../lib/charts';
import { fenToYuanText, formatDateTime, formatInt, formatPercent } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';

const palette = ['#9aa3ad', '#d4a63a', '#6b6b8e', '#c8372d', '#3a7bd5'];

export default function DashboardPage() {
  const t = useT();
  const session = useSession();
  // The audit log (and so its security alerts) is for HQ admins alone, as the server has it.
  const canReadAudit = useCan('admin') && session?.kind === 'hq';
  const reference = useReference();
  const [storeId, setStoreId] = useState<string | undefined>(undefined);
  const state = useAsync((signal) => api.get<Dashboard>('/admin/dashboard', { storeId }, signal), [storeId]);

  return (
    <>
      <PageTitle
        title={t('数据看板', 'Dashboard')}
        sub={state.data ? t(`数据截至 ${formatDateTime(state.data.asOf)}`, `As of ${formatDateTime(state.data.asOf)}`) : undefined}
        extra={
          session?.kind === 'hq' ? (
            <Select allowClear placeholder={t('全部门店', 'All stores')} value={storeId} onChange={setStoreId} style={{ width: 180 }} options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} />
          ) : (
            <Typography.Text type="secondary">{t('本店数据', 'Your store')}: {reference.storeName(session?.kind === 'manager' ? session.storeId : null)}</Typography.Text>
          )
        }
      />
      {session?.kind === 'hq' ? <PaymentAlerts /> : null}
      {canReadAudit ? <SecurityAlerts /> : null}
      <AsyncView state={state} rows={12}>
        {(dashboard) => {
          const pareto = normalizePareto(dashboard.spendPareto ?? []);
          const activeShare = dashboard.members.total ? dashboard.members.activeLast90Days / dashboard.members.total : 0;
          return (
            <div data-testid="dashboard">
              <div className="mc-kpi-grid" style={{ marginBottom: 16 }}>
                <Card>
                  <Statistic title={t('会员总数', 'Members')} value={dashboard.members.total} formatter={(value) => formatInt(Number(value))} />
                  <Typography.Text type="success">+{formatInt(dashboard.members.newLast30Days)} {t('近30天', 'last 30 days')}</Typography.Text>
                </Card>
                <Card>
                  <Statistic title={t('活跃会员', 'Active members')} value={dashboard.members.activeLast90Days} formatter={(value) => formatInt(Number(value))} data-testid="kpi-active" />
                  <Typography.Text type="secondary">
                    {t(`90天内有消费，占 ${formatPercent(activeShare)}`, `Bought in 90 days: ${formatPercent(activeShare)}`)}
                  </Typography.Text>
                </Card>
                <Card>
                  <Statistic title={t('积分负债', 'Points liability')} value={dashboard.pointsLiability.points} formatter={(value) => formatInt(Number(value))} />
                  <Typography.Text type="secondary" style={{ display: 'block' }}>
                    {t(`未用积分，约 ${fenToYuanText(dashboard.pointsLiability.valueFen)}`, `Unspent, ≈ ${fenToYuanText(dashboard.pointsLiability.valueFen)}`)}
                  </Typography.Text>
                  <Typography.Text type="warning">{t(`30天内到期 ${formatInt(dashboard.pointsLiability.expiringIn30Days)}`, `${formatInt(dashboard.pointsLiability.expiringIn30Days)} expire within 30 days`)}</Typography.Text>
                </Card>
                <Card>
                  <Statistic title={t('头部20%会员消费占比', 'Top 20% share of spend')} value={pareto.length ? formatPercent(dashboard.top20SpendShare) : '—'} />
                  <Typography.Text type="secondary">{t(`近30天活跃 ${formatInt(dashboard.members.activeLast30Days)} 人`, `${formatInt(dashboard.members.activeLast30Days)} active in 30 days`)}</Typography.Text>
                </Card>
                <Card>
                  <Statistic title={t('优惠券核销率', 'Coupon redemption rate')} value={dashboard.couponRedemption.issued ? formatPercent(dashboard.couponRedemption.redemptionRate) : '—'} />
                  <Typography.Text type="secondary">{t(`已核销 ${formatInt(dashboard.couponRedemption.redeemed)} / 已发 ${formatInt(dashboard.couponRedemption.issued)}`, `${formatInt(dashboard.couponRedemption.redeemed)} of ${formatInt(dashboard.couponRedemption.issued)} redeemed`)}</Typography.Text>
                </Card>
              </div>
              <Row gutter={[16, 16]}>
                <Col span={16}>
                  <Card title={t('会员增长', 'Member growth')}>
                    {dashboard.growth.length ? (
                      <LazyChart
                        testId="chart-growth"
                        option={{
                          tooltip: { trigger: 'axis' },
                          legend: { top: 0 },
                          grid: { left: 56, right: 56, top: 36, bottom: 28 },
                          xAxis: { type: 'category', data: dashboard.growth.map((point) => point.month) },
                          yAxis: [{ type: 'value', name: t('新增', 'New') }, { type: 'value', name: t('累计', 'Total') }],
                          series: [
                            { name: t('新入会', 'Joined'), type: 'bar', data: dashboard.growth.map((point) => point.joined), itemStyle: { color: '#f0782d' } },
                            { name: t('累计会员', 'Total'), type: 'line', yAxisIndex: 1, data: dashboard.growth.map((point) => point.total), itemStyle: { color: '#c8372d' } },
                          ],
                        }}
                      />
                    ) : (
                      <EmptyState description={t('暂无增长数据', 'No growth data yet')} />
                    )}
                  </Card>
                </Col>
                <Col span={8}>
                  <Card title={t('等级分布', 'Tier distribution')}>
                    {dashboard.tierDistribution.some((tier) => tier.count > 0) ? (
                      <LazyChart
                        testId="chart-tiers"
                        option={{
                          tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
                          legend: { bottom: 0, formatter: (name: string) => { const total = dashboard.tierDistribution.reduce((sum, tier) => sum + tier.count, 0); const tier = dashboard.tierDistribution.find((row) => row.name === name); return `${name} ${formatPercent(total && tier ? tier.count / total : 0)}`; } },
                          color: palette,
                          series: [{ type: 'pie', radius: ['38%', '60%'], center: ['50%', '45%'], data: dashboard.tierDistribution.map((tier) => ({ name: tier.name, value: tier.count })), label: { show: false } }],
                        }}
                      />
                    ) : (
                      <EmptyState description={t('暂无会员', 'No members yet')} />
                    )}
                  </Card>
                </Col>
                <Col span={12}>
                  <Card title={t('消费帕累托曲线', 'Pareto curve of spend')}>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('按消费从高到低排列的会员占比 → 累计消费占比', 'Share of members (top spenders first) → share of spend')}</Typography.Text>
                    {pareto.length ? (
                      <LazyChart
                        testId="chart-pareto"
                        option={{
                          tooltip: { trigger: 'axis', valueFormatter: (value) => formatPercent(Number(value)) },
                          grid: { left: 56, right: 24, top: 24, bottom: 40 },
                          xAxis: { type: 'value', min: 0, max: 1, name: t('会员占比', 'Members'), nameLocation: 'middle', nameGap: 26, axisLabel: { formatter: (value: number) => `${Math.round(value * 100)}%` } },
                          yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (value: number) => `${Math.round(value * 100)}%` } },
                          series: [
                            { name: t('累计消费占比', 'Share of spend'), type: 'line', areaStyle: { opacity: 0.15 }, itemStyle: { color: '#c8372d' }, data: pareto.map((point) => [point.memberShare, point.spendShare]), markLine: { symbol: 'none', lineStyle: { type: 'dashed', color: '#999' }, label: { formatter: t('前20%', 'top 20%') }, data: [{ xAxis: 0.2 }] } },
                            { name: t('平均分布', 'Even spread'), type: 'line', symbol: 'none', lineStyle: { type: 'dotted', color: '#bbb' }, data: [[0, 0], [1, 1]] },
                          ],
                        }}
                      />
                    ) : (
                      <EmptyState description={t('暂无消费数据', 'No spend yet')} />
                    )}
                  </Card>
                </Col>
                <Col span={12}>
                  <Card title={t('各推送券核销率', 'Coupon redemption rate by campaign')}>
                    {dashboard.campaignRedemption.length ? (
                      <LazyChart
                        testId="chart-redemption"
                        option={{
                          tooltip: { trigger: 'axis', valueFormatter: (value) => formatPercent(Number(value)) },
                          grid: { left: 120, right: 48, top: 16, bottom: 24 },
                          xAxis: { type: 'value', max: 1, axisLabel: { formatter: (value: number) => `${Math.round(value * 100)}%` } },
                          yAxis: { type: 'category', data: dashboard.campaignRedemption.map((row) => row.name), axisLabel: { width: 110, overflow: 'truncate' } },
                          series: [{ name: t('核销率', 'Redemption rate'), type: 'bar', data: dashboard.campaignRedemption.map((row) => row.redemptionRate), itemStyle: { color: '#f0782d' }, label: { show: true, position: 'right', formatter: (params: { value: unknown }) => formatPercent(Number(params.value)) } }],
                        }}
                      />
                    ) : (
                      <EmptyState description={t('还没有推送过优惠券', 'No coupon campaigns yet')} />
                    )}
                  </Card>
                </Col>
              </Row>
            </div>
          );
        }}
      </AsyncView>
    </>
  );
}
