import { DownloadOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Select, Space, Statistic, Table, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { Report, ReportDay } from '../api/types';
import { useSession } from '../auth/session';
import { PageTitle } from '../components/PageTitle';
import { AsyncView } from '../components/states';
import { useLang, useT } from '../i18n';
import { saveBlob } from '../lib/download';
import { fenToYuanText, formatDateTime, formatInt } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { REPORT_FIGURES, REPORT_FIGURE_LABELS, REPORT_MONEY_FIGURES, chinaToday } from '../shared';

type Figure = (typeof REPORT_FIGURES)[number];
const DAY_FORMAT = 'YYYY-MM-DD';
const WEEKDAYS_ZH = ['日', '一', '二', '三', '四', '五', '六'];

/** HQ's (a manager: their store's) figures by China day for a date range, with totals and a CSV export. */
export default function ReportsPage() {
  const t = useT();
  const { lang } = useLang();
  const session = useSession();
  const reference = useReference();
  // Days are China's whatever the browser's time zone: "today" is today in China.
  const today = dayjs(chinaToday(new Date()));
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [today.subtract(29, 'day'), today]);
  const [storeId, setStoreId] = useState<string | undefined>(undefined);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const query = { from: range[0].format(DAY_FORMAT), to: range[1].format(DAY_FORMAT), storeId };
  const state = useAsync((signal) => api.get<Report>('/admin/reports', query, signal), [query.from, query.to, storeId]);

  const show = (name: Figure, value: number) => (REPORT_MONEY_FIGURES.has(name) ? fenToYuanText(value) : formatInt(value));
  const label = (name: Figure) => REPORT_FIGURE_LABELS[name][lang];
  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const params = new URLSearchParams({ from: query.from, to: query.to, ...(storeId ? { storeId } : {}) });
      saveBlob(await api.download(`/admin/reports/export.csv?${params}`), `report-${storeId ?? 'all'}-${query.from}-${query.to}.csv`);
    } catch (err) {
      setExportError(readableErrorMessage(err, lang));
    } finally {
      setExporting(false);
    }
  };

  const columns = [
    {
      title: t('日期', 'Day'),
      dataIndex: 'day',
      key: 'day',
      fixed: 'left' as const,
      width: 130,
      render: (day: string) => (lang === 'zh' ? `${day} 周${WEEKDAYS_ZH[dayjs(day).day()]}` : dayjs(day).format('YYYY-MM-DD ddd')),
    },
    ...REPORT_FIGURES.map((name) => ({
      title: label(name),
      dataIndex: name,
      key: name,
      align: 'right' as const,
      render: (value: number) => show(name, value),
    })),
  ];

  return (
    <>
      <PageTitle
        title={t('经营报表', 'Reports')}
        sub={state.data ? t(`按中国时间自然日统计，数据截至 ${formatDateTime(state.data.asOf)}`, `By China calendar day, as of ${formatDateTime(state.data.asOf)}`) : undefined}
        extra={
          <Space wrap>
            <DatePicker.RangePicker
              value={range}
              allowClear={false}
              disabledDate={(day) => day.isAfter(today, 'day')}
              onChange={(value) => value?.[0] && value[1] && setRange([value[0], value[1]])}
              presets={[
                { label: t('近7天', 'Last 7 days'), value: [today.subtract(6, 'day'), today] },
                { label: t('近30天', 'Last 30 days'), value: [today.subtract(29, 'day'), today] },
                { label: t('本月', 'This month'), value: [today.startOf('month'), today] },
                { label: t('近一年', 'Last 12 months'), value: [today.subtract(364, 'day'), today] },
              ]}
              data-testid="report-range"
            />
            {session?.kind === 'hq' ? (
              <Select allowClear placeholder={t('全部门店', 'All stores')} value={storeId} onChange={setStoreId} style={{ width: 180 }} options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} data-testid="report-store" />
            ) : (
              <Typography.Text type="secondary">{t('本店数据', 'Your store')}: {reference.storeName(session?.kind === 'manager' ? session.storeId : null)}</Typography.Text>
            )}
            <Button icon={<DownloadOutlined />} loading={exporting} onClick={exportCsv} data-testid="report-export">
              {t('导出 CSV', 'Export CSV')}
            </Button>
          </Space>
        }
      />
      {exportError ? <Typography.Text type="danger">{exportError}</Typography.Text> : null}
      <AsyncView state={state} rows={10}>
        {(report) => (
          <div data-testid="report">
            <div className="mc-kpi-grid" style={{ marginBottom: 16 }}>
              <Card>
                <Statistic title={label('purchaseFen')} value={show('purchaseFen', report.totals.purchaseFen)} />
                <Typography.Text type="secondary">{t(`${formatInt(report.totals.purchases)} 笔`, `${formatInt(report.totals.purchases)} purchases`)}</Typography.Text>
              </Card>
              <Card>
                <Statistic title={label('joined')} value={formatInt(report.totals.joined)} />
              </Card>
              <Card>
                <Statistic title={t('积分 发放 / 使用 / 过期', 'Points earned / spent / expired')} value={`${formatInt(report.totals.pointsEarned)} / ${formatInt(report.totals.pointsSpent)} / ${formatInt(report.totals.pointsExpired)}`} />
                <Typography.Text type="secondary">
                  {t(`当前积分负债 ${formatInt(report.liability.points)} 分（${fenToYuanText(report.liability.valueFen)}）`, `Held now: ${formatInt(report.liability.points)} points (${fenToYuanText(report.liability.valueFen)})`)}
                </Typography.Text>
              </Card>
              <Card>
                <Statistic title={t('核销 / 发券', 'Redeemed / issued')} value={`${formatInt(report.totals.couponsRedeemed)} / ${formatInt(report.totals.couponsIssued)}`} />
                <Typography.Text type="secondary">{t(`券成本 ${show('couponCostFen', report.totals.couponCostFen)}`, `Coupon cost ${show('couponCostFen', report.totals.couponCostFen)}`)}</Typography.Text>
              </Card>
            </div>
            <Table<ReportDay>
              size="small"
              rowKey="day"
              columns={columns}
              dataSource={[...report.days].reverse()}
              pagination={{ pageSize: 31, showSizeChanger: false }}
              scroll={{ x: 'max-content' }}
              summary={() => (
                <Table.Summary fixed>
                  <Table.Summary.Row>
                    <Table.Summary.Cell index={0}>
                      <strong>{t('合计', 'Total')}</strong>
                    </Table.Summary.Cell>
                    {REPORT_FIGURES.map((name, i) => (
                      <Table.Summary.Cell key={name} index={i + 1} align="right">
                        <strong>{show(name, report.totals[name])}</strong>
                      </Table.Summary.Cell>
                    ))}
                  </Table.Summary.Row>
                </Table.Summary>
              )}
            />
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {t(
                '消费会员数按天去重，合计为各天相加；发券数为全品牌（券在核销前不属于任何门店）；营销活动的提升效果见「营销推送」中各活动的对照组结果。',
                'Buying members are distinct per day (the total adds days up); coupons issued are brand-wide (a coupon has no store until used); each campaign’s lift over its holdout is on its page under Campaigns.',
              )}
            </Typography.Paragraph>
          </div>
        )}
      </AsyncView>
    </>
  );
}
