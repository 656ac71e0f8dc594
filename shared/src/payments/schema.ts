import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema } from '../common';

/**
 * A refund WeChat Pay could not complete: `refund_abnormal` (REFUND.ABNORMAL: the money left the merchant
 * account but the shopper's bank card refused it) or `refund_closed` (REFUND.CLOSED: nothing was refunded).
 * The shopper is still owed the money; HQ completes it in the WeChat Pay merchant platform, then resolves.
 */
export const PaymentAlertSchema = z
  .object({
    id: IdSchema,
    kind: z.enum(['refund_abnormal', 'refund_closed']),
    raisedAt: IsoDateTimeSchema,
    memberId: IdSchema,
    activityId: IdSchema,
    description: z.string(),
    amountFen: FenSchema,
    outTradeNo: z.string(),
    outRefundNo: z.string(),
    transactionId: z.string().nullable(),
    refundId: z.string().nullable(),
    /** Our reason for the refund (activity cancelled, member cancelled, …). */
    reason: z.string().nullable(),
  })
  .meta({ id: 'PaymentAlert', description: 'A refund that ended ABNORMAL or CLOSED at WeChat Pay and needs HQ.' });
export type PaymentAlert = z.infer<typeof PaymentAlertSchema>;

export const PaymentAlertListSchema = z.object({ items: z.array(PaymentAlertSchema) }).meta({ id: 'PaymentAlertList' });
export type PaymentAlertList = z.infer<typeof PaymentAlertListSchema>;

export const ResolvePaymentAlertBodySchema = z
  .strictObject({ note: z.string().trim().min(1).max(200) })
  .meta({ id: 'ResolvePaymentAlertBody', description: 'How HQ settled it, e.g. "已在商户平台退至用户银行卡".' });
export type ResolvePaymentAlertBody = z.infer<typeof ResolvePaymentAlertBodySchema>;
