import { Button, View } from '@tarojs/components';
import Taro, { useDidShow, useRouter } from '@tarojs/taro';
import type { ShiftTotals } from '@membercard/shared';
import { useEffect } from 'react';
import { staffApi, STAFF_SIGN_IN_PAGE } from '../../api/session';
import { shift } from '../../api/shift';
import { Status } from '../../components/Status';
import { isH5 } from '../../config';
import { useAsync } from '../../hooks/useAsync';
import { chinaDateTime, yuan } from '../../lib/format';
import { currentStaff } from '../../lib/staffSession';

// 交班小结: a store's day (or one clerk's) as a till's Z-report: totals by kind, then each clerk. In the H5
// build a manager prints it (the print sheet keeps only the receipt, 80 mm wide); WeChat cannot print, so
// there the same summary is shown to read out or screenshot.

const PRINT_STYLE_ID = 'z-report-print';
// Only the H5 build prints; the rules live in the document, not in the page's WXSS.
const PRINT_CSS = `
@media print {
  @page { size: 80mm auto; margin: 4mm; }
  body * { visibility: hidden !important; }
  .z-report, .z-report * { visibility: visible !important; }
  .z-report { position: absolute; left: 0; top: 0; width: 72mm; box-shadow: none !important; border: none !important; margin: 0 !important; padding: 0 !important; }
  .no-print { display: none !important; }
}`;

function usePrintStyle(): void {
  useEffect(() => {
    if (!isH5 || typeof document === 'undefined' || document.getElementById(PRINT_STYLE_ID)) return;
    const style = document.createElement('style');
    style.id = PRINT_STYLE_ID;
    style.textContent = PRINT_CSS;
    document.head.appendChild(style);
  }, []);
}

const mono = { fontFamily: '"SFMono-Regular", Menlo, Consolas, "Courier New", monospace' };

function Line({ label, value, strong }: { label: string; value: string; strong?: boolean }) {
  return (
    <View style={{ display: 'flex', justifyContent: 'space-between', fontSize: '14px', lineHeight: '1.7', fontWeight: strong ? 700 : 400 }}>
      <View>{label}</View>
      <View>{value}</View>
    </View>
  );
}

function Rule() {
  return <View style={{ borderTop: '1px dashed #555', margin: '6px 0' }} />;
}

function TotalsBlock({ totals }: { totals: ShiftTotals }) {
  return (
    <View>
      <Line label={`消费 ${totals.purchases.count} 笔`} value={yuan(totals.purchases.amountFen)} strong />
      <Line label='　消费积分' value={`${totals.purchases.points}`} />
      <Line label={`核销 ${totals.redemptions.count} 张 · 面值`} value={yuan(totals.redemptions.faceValueFen)} />
      <Line label='　核销订单金额' value={yuan(totals.redemptions.orderAmountFen)} />
      <Line label={`签到 ${totals.checkins.count} 人次 · 积分`} value={`${totals.checkins.points}`} />
      <Line label='发放积分合计' value={`${totals.pointsIssued}`} strong />
      {totals.purchaseReversals.count > 0 ? <Line label={`撤销消费 ${totals.purchaseReversals.count} 笔`} value={`-${yuan(totals.purchaseReversals.amountFen)}`} /> : null}
      {totals.purchaseReversals.count > 0 ? <Line label='　扣回积分' value={`-${totals.purchaseReversals.points}`} /> : null}
      {totals.redemptionReversals.count > 0 ? <Line label={`撤销核销 ${totals.redemptionReversals.count} 张 · 面值`} value={`-${yuan(totals.redemptionReversals.faceValueFen)}`} /> : null}
    </View>
  );
}

export default function StaffShiftPage() {
  const staff = currentStaff();
  const { params } = useRouter();
  const date = typeof params.date === 'string' && params.date ? params.date : undefined;
  const staffId = typeof params.staffId === 'string' && params.staffId ? params.staffId : undefined;
  const summary = useAsync(() => shift.summary({ ...(date ? { date } : {}), ...(staffId ? { staffId } : {}) }), [date, staffId]);
  usePrintStyle();
  useDidShow(() => {
    if (!staffApi.isSignedIn() || !staff) void Taro.redirectTo({ url: STAFF_SIGN_IN_PAGE });
  });

  const report = summary.data;
  return (
    <View className='page'>
      <Status loading={summary.loading && !report} error={summary.error} onRetry={() => void summary.reload()}>
        {report ? (
          <View>
            <View className='z-report' data-testid='z-report' style={{ ...mono, background: '#fff', color: '#111', padding: '16px 14px', borderRadius: '4px', boxShadow: '0 2px 10px rgba(0,0,0,0.08)', maxWidth: '340px', margin: '0 auto' }}>
              <View style={{ textAlign: 'center', fontSize: '18px', fontWeight: 700 }}>{report.storeName}</View>
              <View style={{ textAlign: 'center', fontSize: '15px', marginTop: '2px' }}>交班小结（Z 报表）</View>
              <Rule />
              <Line label='营业日' value={report.date} />
              <Line label='时段' value={`${chinaDateTime(report.from).slice(11)} – 次日 ${chinaDateTime(report.to).slice(11)}`} />
              {report.staffId ? <Line label='店员' value={report.byClerk[0]?.staffName ?? '—'} /> : null}
              <Line label='打印时间' value={chinaDateTime(report.generatedAt)} />
              <Rule />
              <View style={{ fontSize: '14px', fontWeight: 700 }}>全店合计</View>
              <TotalsBlock totals={report.totals} />
              {report.byClerk.map((clerk) => (
                <View key={clerk.staffId}>
                  <Rule />
                  <View style={{ fontSize: '14px', fontWeight: 700 }}>店员：{clerk.staffName}</View>
                  <TotalsBlock totals={clerk.totals} />
                </View>
              ))}
              <Rule />
              <View style={{ fontSize: '12px', textAlign: 'center', color: '#555' }}>金额单位：元 · 时间为北京时间 · 已撤销不计入合计</View>
              <View style={{ fontSize: '12px', marginTop: '18px' }}>店长签字：______________</View>
            </View>
            <View className='no-print mt'>
              {isH5 ? (
                <Button className='btn btn--primary' onClick={() => window.print()}>
                  打印
                </Button>
              ) : (
                <View className='muted small center'>微信内不能直接打印：可截图留存，或在电脑浏览器打开收银台 H5 版打印</View>
              )}
            </View>
          </View>
        ) : null}
      </Status>
    </View>
  );
}
