import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, ListQuerySchema, STORE_CODE_PATTERN, pageOf } from '../common';
import { isChinaIsoDate } from './rules';

// "Today at the counter": what a store's clerks did on one China day (purchases, coupon redemptions,
// check-ins), the shift summary a manager prints, and the reversal state of each entry for the caller.

export const ChinaDateSchema = z
  .string()
  .refine(isChinaIsoDate, 'must be a date YYYY-MM-DD')
  .meta({ id: 'ChinaDate', description: 'A calendar day in China time (UTC+8), YYYY-MM-DD.' });

export const CounterEventKindSchema = z.enum(['purchase', 'redemption', 'checkin']).meta({ id: 'CounterEventKind' });
export type CounterEventKind = z.infer<typeof CounterEventKindSchema>;

/**
 * Why the caller cannot reverse this entry now, or null when they can: NOT_MANAGER (a clerk), WINDOW_CLOSED
 * (past 24 hours), REVERSED (already), NOT_REVERSIBLE (a check-in).
 */
export const ReversalBlockSchema = z.enum(['NOT_MANAGER', 'WINDOW_CLOSED', 'REVERSED', 'NOT_REVERSIBLE']).meta({ id: 'ReversalBlock' });
export type ReversalBlock = z.infer<typeof ReversalBlockSchema>;

export const CounterEventSchema = z
  .object({
    id: IdSchema.describe('The purchase, redemption or sign-up id (reversal routes take it).'),
    kind: CounterEventKindSchema,
    at: IsoDateTimeSchema,
    storeId: z.string(),
    staffId: z.string(),
    staffName: z.string(),
    member: z.object({ maskedName: z.string().nullable(), cardNoTail: z.string() }).nullable().describe('Masked, as staff see members; null once erased.'),
    orderNo: z.string().nullable(),
    amountFen: FenSchema.nullable().describe('A purchase’s amount, or the order amount a redemption was made on.'),
    points: z.number().int().describe('Points a purchase earned or a check-in awarded; 0 for a redemption.'),
    coupon: z.object({ title: z.string(), faceValueFen: FenSchema.nullable() }).nullable(),
    activityTitle: z.string().nullable(),
    status: z.enum(['done', 'reversed']),
    reversal: z
      .object({ reason: z.string(), at: IsoDateTimeSchema, byId: z.string(), byName: z.string() })
      .nullable(),
    reversibleUntil: IsoDateTimeSchema.nullable(),
    reversalBlock: ReversalBlockSchema.nullable().describe('Why this caller cannot reverse it now; null when they can.'),
  })
  .meta({ id: 'CounterEvent', description: 'One thing done at a counter: a purchase, a redemption or a check-in.' });
export type CounterEvent = z.infer<typeof CounterEventSchema>;

export const CounterEventPageSchema = pageOf(CounterEventSchema).meta({ id: 'CounterEventPage' });

export const ShiftQuerySchema = z
  .strictObject({
    date: ChinaDateSchema.optional().describe('Default today (China). Clerks: today only.'),
    staffId: z.string().min(1).max(64).optional(),
  })
  .meta({ id: 'ShiftQuery' });
export type ShiftQuery = z.infer<typeof ShiftQuerySchema>;

export const ShiftEventsQuerySchema = ListQuerySchema.extend(ShiftQuerySchema.shape)
  .extend({ kind: CounterEventKindSchema.optional() })
  .meta({ id: 'ShiftEventsQuery' });
export type ShiftEventsQuery = z.infer<typeof ShiftEventsQuerySchema>;

export const StoreParamsSchema = z.strictObject({ storeId: z.string().regex(STORE_CODE_PATTERN) }).meta({ id: 'StoreParams' });

const CountAmountPoints = z.object({ count: z.number().int().min(0), amountFen: z.number().int().min(0), points: z.number().int().min(0) });
const CountFace = z.object({ count: z.number().int().min(0), faceValueFen: z.number().int().min(0), orderAmountFen: z.number().int().min(0) });

export const ShiftTotalsSchema = z
  .object({
    purchases: CountAmountPoints.describe('Purchases standing (not reversed).'),
    purchaseReversals: CountAmountPoints.describe('Purchases of the day since reversed (what they had been).'),
    redemptions: CountFace.describe('Coupon redemptions standing.'),
    redemptionReversals: CountFace.describe('Redemptions of the day since reversed.'),
    checkins: z.object({ count: z.number().int().min(0), points: z.number().int().min(0) }),
    pointsIssued: z.number().int().min(0).describe('Points standing purchases earned plus check-ins awarded.'),
  })
  .meta({ id: 'ShiftTotals' });
export type ShiftTotals = z.infer<typeof ShiftTotalsSchema>;

export const ShiftSummarySchema = z
  .object({
    storeId: z.string(),
    storeName: z.string(),
    date: z.string(),
    from: IsoDateTimeSchema,
    to: IsoDateTimeSchema,
    staffId: z.string().nullable(),
    generatedAt: IsoDateTimeSchema,
    totals: ShiftTotalsSchema,
    byClerk: z.array(z.object({ staffId: z.string(), staffName: z.string(), totals: ShiftTotalsSchema })),
  })
  .meta({ id: 'ShiftSummary', description: 'A store’s day at the counter, by kind and by clerk (a till’s Z-report).' });
export type ShiftSummary = z.infer<typeof ShiftSummarySchema>;
