import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema } from '../common/primitives';
import { ChinaDateSchema } from '../shift/schema';

/** The longest range one report covers (a year and a day, so a leap year's "last 12 months" fits). */
export const REPORT_MAX_DAYS = 366;

export const ReportQuerySchema = z
  .strictObject({
    from: ChinaDateSchema.describe('First day (China time), inclusive.'),
    to: ChinaDateSchema.describe('Last day (China time), inclusive.'),
    storeId: IdSchema.optional().describe('One store; a manager always gets their own.'),
  })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < REPORT_MAX_DAYS, { message: `at most ${REPORT_MAX_DAYS} days`, path: ['to'] })
  .meta({ id: 'ReportQuery' });
export type ReportQuery = z.infer<typeof ReportQuerySchema>;

const figures = {
  joined: z.number().int().describe('Members who joined (by home store).'),
  purchases: z.number().int().describe('Purchases booked by members.'),
  purchaseFen: FenSchema.describe('Their amount.'),
  buyers: z.number().int().describe('Different members who bought: exact for one store and day; across stores and days (the total) estimated from per-day sketches, within about 2%.'),
  reversals: z.number().int().describe('Purchases reversed that day.'),
  pointsEarned: z.number().int(),
  pointsSpent: z.number().int(),
  pointsExpired: z.number().int(),
  couponsIssued: z.number().int().describe('Coupons given to members (brand-wide: a coupon has no store until used).'),
  couponsRedeemed: z.number().int(),
  couponCostFen: FenSchema.describe('What the redeemed coupons took off their orders.'),
};

export const ReportDaySchema = z.object({ day: ChinaDateSchema, ...figures }).meta({ id: 'ReportDay' });
export type ReportDay = z.infer<typeof ReportDaySchema>;

export const ReportSchema = z
  .object({
    from: ChinaDateSchema,
    to: ChinaDateSchema,
    storeId: z.string().nullable(),
    asOf: IsoDateTimeSchema,
    days: z.array(ReportDaySchema),
    totals: z.object(figures),
    liability: z.object({ points: z.number().int(), valueFen: FenSchema }).describe('Points members hold now, and their value.'),
  })
  .meta({ id: 'Report' });
export type Report = z.infer<typeof ReportSchema>;

/** The figures a report row has, in the order the console and the export show them. */
export const REPORT_FIGURES = Object.keys(figures) as Array<keyof typeof figures>;
export type ReportFigure = (typeof REPORT_FIGURES)[number];

/** Column names, Chinese and English, shared by the console's table and the CSV export. */
export const REPORT_FIGURE_LABELS: Record<ReportFigure, { zh: string; en: string }> = {
  joined: { zh: '新入会', en: 'Joined' },
  purchases: { zh: '会员消费笔数', en: 'Member purchases' },
  purchaseFen: { zh: '会员消费金额', en: 'Member spend' },
  buyers: { zh: '消费会员数', en: 'Buying members' },
  reversals: { zh: '撤销笔数', en: 'Reversals' },
  pointsEarned: { zh: '发放积分', en: 'Points earned' },
  pointsSpent: { zh: '使用积分', en: 'Points spent' },
  pointsExpired: { zh: '过期积分', en: 'Points expired' },
  couponsIssued: { zh: '发券数', en: 'Coupons issued' },
  couponsRedeemed: { zh: '核销数', en: 'Coupons redeemed' },
  couponCostFen: { zh: '券成本', en: 'Coupon cost' },
};

/** Figures in fen (shown as ¥). */
export const REPORT_MONEY_FIGURES: ReadonlySet<ReportFigure> = new Set(['purchaseFen', 'couponCostFen']);
