import {
  CounterEventPageSchema,
  PurchaseReversalAnswerSchema,
  RedemptionSchema,
  ShiftSummarySchema,
  type CounterEvent,
  type CounterEventKind,
} from '@membercard/shared';
import { staffApi } from './session';

// The counter's day: the store's list, its totals (the shift summary) and a manager's reversals from the list.

export interface ShiftFilter {
  /** YYYY-MM-DD in China; omitted: today. Clerks: today only. */
  date?: string;
  staffId?: string;
  kind?: CounterEventKind;
}

export const shift = {
  events: (filter: ShiftFilter, cursor: string | null) =>
    staffApi.get('/staff/shift/events', { query: { ...filter, cursor, limit: 20 }, answer: CounterEventPageSchema }),
  summary: (filter: Omit<ShiftFilter, 'kind'>) => staffApi.get('/staff/shift/summary', { query: { ...filter }, answer: ShiftSummarySchema }),
  /** A manager undoes a purchase (points taken back) or a redemption (the coupon usable again). */
  reverse: async (event: Pick<CounterEvent, 'id' | 'kind'>, reason: string): Promise<void> => {
    if (event.kind === 'purchase') await staffApi.post(`/staff/purchases/${event.id}/reversal`, { body: { reason }, answer: PurchaseReversalAnswerSchema });
    else if (event.kind === 'redemption') await staffApi.post(`/staff/redemptions/${event.id}/reversal`, { body: { reason }, answer: RedemptionSchema });
  },
};
