import { REPORT_FIGURE_LABELS, REPORT_FIGURES, REPORT_MONEY_FIGURES, ReportQuerySchema, ReportSchema, type Report } from '@membercard/shared';
import { csvLine } from '../../lib/csv';
import { route, type RouteSpec } from '../../lib/route';
import type { Services } from '../../services';

export function reportRoutes(s: Services): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/admin/reports', tag: 'admin', auth: 'adminOrManager',
      summary: 'Figures by China day for a date range (≤ 366 days), brand-wide or one store (a manager: their store), with totals and the points liability now',
      query: ReportQuerySchema, response: ReportSchema,
      handler: ({ query, actor }) => s.reports.report(actor, query),
    }),
    route({
      method: 'get', path: '/admin/reports/export.csv', tag: 'admin', auth: 'adminOrManager', raw: true,
      summary: 'The same report as CSV (Chinese headers, one row per day and a total row; money in yuan)',
      query: ReportQuerySchema,
      handler: async ({ query, actor, ctx }) => {
        const report = await s.reports.report(actor, query);
        ctx.type = 'text/csv; charset=utf-8';
        ctx.attachment(`report-${report.storeId ?? 'all'}-${report.from}-${report.to}.csv`);
        ctx.body = reportCsv(report);
        return undefined as never;
      },
    }),
  ];
}

function reportCsv(report: Report): string {
  const cell = (name: (typeof REPORT_FIGURES)[number], value: number) => (REPORT_MONEY_FIGURES.has(name) ? (value / 100).toFixed(2) : value);
  const header = ['日期', ...REPORT_FIGURES.map((name) => REPORT_FIGURE_LABELS[name].zh + (REPORT_MONEY_FIGURES.has(name) ? '（元）' : ''))];
  const rows = report.days.map((day) => [day.day, ...REPORT_FIGURES.map((name) => cell(name, day[name]))]);
  const total = ['合计', ...REPORT_FIGURES.map((name) => cell(name, report.totals[name]))];
  // the BOM makes spreadsheet programs read the file as UTF-8
  return `\ufeff${[header, ...rows, total].map(csvLine).join('')}`;
}
