import { MyStoredValueSchema, StoredValueEntryPageSchema, StoredValueRefundRequestSchema, TopupSchema, type Topup } from '@membercard/shared';
import { newIdempotencyKey } from '../../api/client';
import { shopperApi } from '../../api/session';

// The shopper's stored value (储值): balance and offers, the statement, top-ups and refund requests.
export const storedValue = {
  mine: () => shopperApi.get('/me/stored-value', { answer: MyStoredValueSchema }),
  entries: (cursor?: string | null) => shopperApi.get('/me/stored-value/entries', { query: { limit: 20, cursor }, answer: StoredValueEntryPageSchema }),
  /** One tap, one key: a retry of the same tap (a lost answer) gets the same order back. */
  topUp: (ruleId: string, amountFen: number | undefined, idempotencyKey = newIdempotencyKey('topup')) =>
    shopperApi.post('/me/stored-value/topups', { body: { ruleId, ...(amountFen ? { amountFen } : {}) }, idempotencyKey, answer: TopupSchema }),
  topup: (id: string): Promise<Topup> => shopperApi.get(`/me/stored-value/topups/${encodeURIComponent(id)}`, { answer: TopupSchema }),
  requestRefund: (reason: string | undefined, idempotencyKey = newIdempotencyKey('sv-refund')) =>
    shopperApi.post('/me/stored-value/refund-requests', { body: reason ? { reason } : {}, idempotencyKey, answer: StoredValueRefundRequestSchema }),
};
