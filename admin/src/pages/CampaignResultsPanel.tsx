import { Alert, Card, Segmented, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { LazyChart } from '../components/charts/LazyChart';
import { EmptyState } from '../components/states';
import { useT } from '../i18n';
import { fenToYuanText, formatInt, formatPercent } from '../lib/format';
import type { ReferenceData } from '../lib/reference';
import type { CampaignResultRow, CampaignResults } from '../shared';

// A campaign's results against its holdout: what it cost and brought back, and what the targeted members did
// beyond what the members who got nothing did, with the 95% interval (or "样本太小") and a sentence a
// person can read aloud.

type T = (zh: string, en: string) => string;

/** A time in China time, whatever the browser's zone: "2026-12-04 10:00". */
export function chinaDateTimeText(iso: string | null | undefined): string {
  if (!iso) return '—';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** A wall time picked in a form, read as China time whatever the browser's zone. */
export function chinaWallTimeToIso(value: Dayjs): string {
  return new Date(`${value.format('YYYY-MM-DDTHH:mm')}:00+08:00`).toISOString();
}

/** Percentage points with one decimal: 0.0321 → "3.2". */
const points = (share: number) => (Math.abs(share * 100) < 0.05 ? '0.0' : (share * 100).toFixed(1));
const pointsRange = (low: number, high: number) => `${points(low)} ~ ${points(high)}`;
const yuanRange = (low: number, high: number) => `${fenToYuanText(Math.round(low))} ~ ${fenToYuanText(Math.round(high))}`;

/** "领券会员的到店率比对照组高 3.2 个百分点（95% 区间 1.1 ~ 5.3）" and what it means when the interval holds 0. */
export function visitReading(row: CampaignResultRow, t: T): string {
  const { diff, interval } = row.visitRate;
  if (diff === null) return t('还没有对照组可比较。', 'There is no holdout to compare with.');
  const higher = diff >= 0;
  const head = t(
    `领券会员的到店率比对照组${higher ? '高' : '低'} ${points(Math.abs(diff))} 个百分点`,
    `Targeted members' visit rate is ${points(Math.abs(diff))} percentage points ${higher ? 'above' : 'below'} the holdout's`,
  );
  if (!interval) return `${head}${t(`（对照组 ${formatInt(row.holdout)} 人，样本太小，无法给出区间）。`, ` (holdout of ${formatInt(row.holdout)}: sample too small for an interval).`)}`;
  const range = t(`（95% 区间 ${pointsRange(interval.low, interval.high)}）`, ` (95% interval ${pointsRange(interval.low, interval.high)})`);
  const unsure = interval.low <= 0 && interval.high >= 0;
  return `${head}${range}${unsure ? t('，区间包含 0，尚不能确定推送带来了到店。', '; the interval includes 0, so the push has not shown an effect yet.') : t('。', '.')}`;
}

export function spendReading(row: CampaignResultRow, t: T): string {
  const { diffFen, interval } = row.spendPerMember;
  if (diffFen === null) return '';
  const higher = diffFen >= 0;
  const amount = fenToYuanText(Math.round(Math.abs(diffFen)));
  const head = t(`人均消费比对照组${higher ? '多' : '少'} ${amount}`, `Spend per member is ${amount} ${higher ? 'above' : 'below'} the holdout's`);
  if (!interval) return `${head}${t('（样本太小，无法给出区间）。', ' (sample too small for an interval).')}`;
  return `${head}${t(`（95% 区间 ${yuanRange(interval.low, interval.high)}）。`, ` (95% interval ${yuanRange(interval.low, interval.high)}).`)}`;
}

function LiftCell({ value, interval, kind, tooSmall }: { value: number | null; interval: { low: number; high: number } | null; kind: 'points' | 'fen'; tooSmall: boolean }) {
  const t = useT();
  if (value === null) return <>—</>;
  const text = kind === 'points' ? `${value >= 0 ? '+' : '−'}${points(Math.abs(value))} pp` : `${value >= 0 ? '+' : '−'}${fenToYuanText(Math.round(Math.abs(value)))}`;
  const range = interval ? (kind === 'points' ? pointsRange(interval.low, interval.high) : yuanRange(interval.low, interval.high)) : null;
  return (
    <div style={{ whiteSpace: 'nowrap' }}>
      <div>{text}</div>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {range ?? (tooSmall ? t('样本太小', 'Too small') : '—')}
      </Typography.Text>
    </div>
  );
}

function BreakdownTable({ rows, label, testId }: { rows: CampaignResultRow[]; label: (key: string | null) => string; testId: string }) {
  const t = useT();
  return (
    <Table<CampaignResultRow>
      size="small"
      rowKey={(row) => String(row.key)}
      dataSource={rows}
      pagination={false}
      data-testid={testId}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: t('分组', 'Group'), key: 'key', render: (_, row) => label(row.key), fixed: 'left' },
        { title: t('目标', 'Targeted'), dataIndex: 'targeted', align: 'right', render: formatInt },
        { title: t('对照组', 'Holdout'), dataIndex: 'holdout', align: 'right', render: formatInt },
        { title: t('发券', 'Issued'), dataIndex: 'issued', align: 'right', render: formatInt },
        { title: t('核销', 'Redeemed'), dataIndex: 'redeemed', align: 'right', render: formatInt },
        { title: t('核销率', 'Rate'), dataIndex: 'redemptionRate', align: 'right', render: (value: number) => formatPercent(value) },
        { title: t('核销订单金额', 'Redeeming orders'), dataIndex: 'orderAmountFen', align: 'right', render: (value: number) => fenToYuanText(value) },
        { title: t('券成本', 'Coupon cost'), dataIndex: 'couponCostFen', align: 'right', render: (value: number) => fenToYuanText(value) },
        {
          title: <Tooltip title={t('领券组减对照组，下方为 95% 区间', 'Targeted minus holdout; 95% interval below')}>{t('到店率差', 'Visit-rate lift')}</Tooltip>,
          key: 'visit', align: 'right',
          render: (_, row) => <LiftCell value={row.visitRate.diff} interval={row.visitRate.interval} kind="points" tooSmall={row.tooSmall} />,
        },
        {
          title: <Tooltip title={t('领券组减对照组，下方为 95% 区间', 'Targeted minus holdout; 95% interval below')}>{t('人均消费差', 'Spend lift')}</Tooltip>,
          key: 'spend', align: 'right',
          render: (_, row) => <LiftCell value={row.spendPerMember.diffFen} interval={row.spendPerMember.interval} kind="fen" tooSmall={row.tooSmall} />,
        },
      ]}
    />
  );
}

function VisitRateChart({ rows, label, testId }: { rows: CampaignResultRow[]; label: (key: string | null) => string; testId: string }) {
  const t = useT();
  const pct = (share: number | null) => (share === null ? null : Number((share * 100).toFixed(1)));
  return (
    <LazyChart
      testId={testId}
      height={240}
      option={{
        tooltip: { trigger: 'axis', valueFormatter: (value: unknown) => (value === null || value === undefined ? '—' : `${String(value)}%`) },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 36, bottom: 28 },
        xAxis: { type: 'category', data: rows.map((row) => label(row.key)) },
        yAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
        series: [
          { name: t('领券组到店率', 'Targeted visit rate'), type: 'bar', data: rows.map((row) => pct(row.visitRate.treated)), itemStyle: { color: '#c8372d' } },
          { name: t('对照组到店率', 'Holdout visit rate'), type: 'bar', data: rows.map((row) => pct(row.visitRate.holdout)), itemStyle: { color: '#bfbfbf' } },
        ],
      }}
    />
  );
}

export function CampaignResultsPanel({ results, reference }: { results: CampaignResults; reference: ReferenceData }) {
  const t = useT();
  const [split, setSplit] = useState<'store' | 'tier'>('store');
  const storeLabel = (key: string | null) => (key === null ? t('未指定门店', 'No home store') : reference.storeName(key));
  const tierLabel = (key: string | null) => (key === null ? '—' : reference.tierName(key));
  const { total } = results;
  if (!results.window) {
    return (
      <Card title={t('效果', 'Results')}>
        <EmptyState description={t('发起后这里会显示发券、核销、成本，以及领券会员相对对照组的提升。', 'Once launched: issued, redeemed, cost, and the lift over the holdout.')} />
      </Card>
    );
  }
  const rows = split === 'store' ? results.byStore : results.byTier;
  const label = split === 'store' ? storeLabel : tierLabel;
  const windowText = results.window.open
    ? t(`对比窗口：${chinaDateTimeText(results.window.from)} 至今（券仍在有效期内，数字还会变化）`, `Window: ${chinaDateTimeText(results.window.from)} to now (coupons still valid; figures will move)`)
    : t(`对比窗口：${chinaDateTimeText(results.window.from)} 至 ${chinaDateTimeText(results.window.until)}（券到期）`, `Window: ${chinaDateTimeText(results.window.from)} to ${chinaDateTimeText(results.window.until)} (coupon expiry)`);
  return (
    <Card title={t('效果', 'Results')} extra={<Typography.Text type="secondary">{t('北京时间', 'China time')}</Typography.Text>}>
      <div className="mc-card-grid" style={{ marginBottom: 16 }}>
        <Statistic title={t('目标会员（含对照组）', 'Targeted (incl. holdout)')} value={formatInt(total.targeted)} />
        <Statistic title={t('对照组', 'Holdout')} value={formatInt(total.holdout)} />
        <Statistic title={t('已发券', 'Issued')} value={formatInt(total.issued)} />
        <Statistic title={t('已核销 / 核销率', 'Redeemed / rate')} value={`${formatInt(total.redeemed)} / ${formatPercent(total.redemptionRate)}`} />
        <Statistic title={t('核销订单金额', 'Redeeming orders')} value={fenToYuanText(total.orderAmountFen)} />
        <Statistic title={t('券成本（让利）', 'Coupon cost')} value={fenToYuanText(total.couponCostFen)} />
        <Statistic title={t('领券组到店率', 'Targeted visit rate')} value={formatPercent(total.visitRate.treated)} />
        <Statistic title={t('对照组到店率', 'Holdout visit rate')} value={formatPercent(total.visitRate.holdout)} />
      </div>
      {results.recorded ? (
        <Alert
          type={total.tooSmall ? 'warning' : 'info'}
          showIcon
          data-testid="lift-reading"
          style={{ marginBottom: 16 }}
          title={visitReading(total, t)}
          description={
            <>
              <div>{spendReading(total, t)}</div>
              <Typography.Text type="secondary">{windowText}</Typography.Text>
            </>
          }
        />
      ) : (
        <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('该推送发起时尚未记录对照组，无法计算提升。', 'This campaign was launched before holdouts were recorded: no lift to show.')} />
      )}
      <Segmented
        value={split}
        onChange={(value) => setSplit(value as 'store' | 'tier')}
        options={[
          { label: t('按门店', 'By store'), value: 'store' },
          { label: t('按等级', 'By tier'), value: 'tier' },
        ]}
        style={{ marginBottom: 12 }}
        data-testid="results-split"
      />
      {rows.length === 0 ? (
        <EmptyState description={t('暂无数据', 'No data yet')} />
      ) : (
        <>
          <VisitRateChart rows={rows} label={label} testId={split === 'store' ? 'chart-by-store' : 'chart-by-tier'} />
          <BreakdownTable rows={rows} label={label} testId={split === 'store' ? 'results-by-store' : 'results-by-tier'} />
        </>
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0, fontSize: 12 }}>
        {t(
          `对照组随机抽取，不发券也不发消息。到店率为窗口内有消费的会员占比，人均消费含未到店会员（计 0）。区间：到店率差用 Newcombe 法，人均消费差用 Welch 法；任一组少于 ${results.minGroupForInterval} 人时显示“样本太小”。`,
          `The holdout is drawn at random and gets neither coupon nor message. Visit rate: share of members with a purchase in the window; spend per member counts non-visitors as 0. Intervals: Newcombe for the visit-rate difference, Welch for spend; "too small" below ${results.minGroupForInterval} members per group.`,
        )}
      </Typography.Paragraph>
      {total.tooSmall && results.recorded ? <Tag color="orange" style={{ marginTop: 8 }}>{t('样本太小', 'Sample too small')}</Tag> : null}
    </Card>
  );
}
