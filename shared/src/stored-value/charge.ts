import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, MAX_FEN, humanText } from '../common';
import { OrderNoSchema } from '../points/schema';

// Wire shapes of paying with the stored-value balance (储值支付) at the counter and through the POS API, the
// member's confirmation of a large charge on the phone, the 6-digit payment PIN, and refunds back to the balance.

/** A 6-digit payment PIN, as the member sets it in the app and types it on the till's keypad. */
export const PaymentPinSchema = z.string().regex(/^\d{6}$/, 'six digits').meta({ id: 'PaymentPin', description: 'The member’s 6-digit payment PIN.' });

/** How the part of the order not paid from the balance was paid. */
export const OtherPaymentMethodSchema = z.enum(['cash', 'wechat_pay']).meta({ id: 'OtherPaymentMethod' });
export type OtherPaymentMethod = z.infer<typeof OtherPaymentMethodSchema>;

export const OtherPaymentSchema = z
  .strictObject({
    method: OtherPaymentMethodSchema,
    amountFen: z.number().int().min(1).max(MAX_FEN),
    reference: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional().describe('The WeChat Pay transaction number or the till’s payment slip, when there is one.'),
  })
  .meta({ id: 'OtherPayment', description: 'The rest of the order, paid in cash or WeChat Pay at the till.' });
export type OtherPayment = z.infer<typeof OtherPaymentSchema>;

export const ChargeLineSchema = z
  .strictObject({
    sku: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    name: humanText({ max: 60 }),
    amountFen: z.number().int().min(1).max(MAX_FEN),
  })
  .meta({ id: 'ChargeLine', description: 'An order line (what a refund by line gives back its share of).' });
export type ChargeLine = z.infer<typeof ChargeLineSchema>;

/** What the till sends to charge, apart from how the member is identified. */
const chargeFields = {
  orderNo: OrderNoSchema.describe('The till’s order number: the charge is made once per store and number.'),
  orderTotalFen: z.number().int().min(1).max(MAX_FEN).describe('The whole order, all payments together.'),
  amountFen: z.number().int().min(1).max(MAX_FEN).describe('The part paid from the stored-value balance.'),
  otherPayments: z.array(OtherPaymentSchema).max(4).default([]).describe('The rest of the order: amountFen + these = orderTotalFen.'),
  lines: z.array(ChargeLineSchema).max(200).optional().describe('The order’s lines, adding up to orderTotalFen; needed for refunds by line.'),
  pin: PaymentPinSchema.optional().describe('The member’s payment PIN, typed on the till: authorizes a charge above the HQ amount without the phone.'),
};

export const CounterStoredValueChargeBodySchema = z
  .strictObject({ ticket: z.string().min(1).max(200).describe('The counter panel’s ticket (a fresh scan of the member’s code).'), ...chargeFields, confirmationId: IdSchema.optional() })
  .meta({ id: 'CounterStoredValueChargeBody' });
export type CounterStoredValueChargeBody = z.infer<typeof CounterStoredValueChargeBodySchema>;

export const PosStoredValueChargeBodySchema = z
  .strictObject({
    memberCode: z.string().min(1).max(64).optional().describe('The code the member shows (QR, barcode or 18 digits), fresh.'),
    confirmationId: IdSchema.optional().describe('Instead of a code: the confirmation the member approved on the phone (from the first answer).'),
    ...chargeFields,
  })
  .refine((b) => b.memberCode !== undefined || b.confirmationId !== undefined, { message: 'Send memberCode, or the confirmationId the member approved.', path: ['memberCode'] })
  .meta({ id: 'PosStoredValueChargeBody' });
export type PosStoredValueChargeBody = z.infer<typeof PosStoredValueChargeBodySchema>;

/** The parts of a charge as the service takes them (the counter's and the POS's bodies without how the member is identified). */
export type StoredValueChargeInput = Omit<CounterStoredValueChargeBody, 'ticket'>;

export const StoredValueChargeSchema = z
  .object({
    status: z.literal('charged'),
    chargeId: IdSchema,
    orderNo: OrderNoSchema,
    storeId: z.string(),
    memberId: IdSchema,
    orderTotalFen: FenSchema,
    amountFen: FenSchema.describe('Taken from the balance.'),
    principalFen: FenSchema.describe('Of which principal (the money the member paid in).'),
    bonusFen: FenSchema.describe('Of which bonus (what the brand added).'),
    otherPayments: z.array(z.object({ method: OtherPaymentMethodSchema, amountFen: FenSchema, reference: z.string().optional() })),
    lines: z.array(z.object({ sku: z.string(), name: z.string(), amountFen: FenSchema, refunded: z.boolean() })),
    refundedFen: FenSchema.describe('Given back to the balance so far.'),
    balanceAfter: z.object({ principalFen: FenSchema, bonusFen: FenSchema, totalFen: FenSchema }).describe('The balance right after this charge.'),
    authorizedBy: z.enum(['code', 'pin', 'confirmation']).describe('What authorized it beyond the staff or POS credential.'),
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'StoredValueCharge', description: 'A charge to the member’s stored-value balance for one order of one store.' });
export type StoredValueCharge = z.infer<typeof StoredValueChargeSchema>;

export const StoredValueAwaitingSchema = z
  .object({
    status: z.literal('awaiting_confirmation'),
    confirmationId: IdSchema.describe('Send it back (with the same order) once the member has approved; or ask again with the PIN.'),
    expiresAt: IsoDateTimeSchema,
    amountFen: FenSchema,
  })
  .meta({ id: 'StoredValueAwaiting', description: 'Above HQ’s amount: the member approves the charge on the phone (or the till asks for the PIN).' });
export type StoredValueAwaiting = z.infer<typeof StoredValueAwaitingSchema>;

export const StoredValueChargeAnswerSchema = z.discriminatedUnion('status', [StoredValueChargeSchema, StoredValueAwaitingSchema]).meta({ id: 'StoredValueChargeAnswer' });
export type StoredValueChargeAnswer = z.infer<typeof StoredValueChargeAnswerSchema>;

export const StoredValueRefundBodySchema = z
  .strictObject({
    orderNo: OrderNoSchema,
    refundNo: OrderNoSchema.describe('The till’s refund number: each refund is made once per store and number.'),
    whole: z.literal(true).optional().describe('Give back everything not refunded yet.'),
    lines: z.array(z.number().int().min(0).max(199)).min(1).max(200).optional().describe('Indexes of the charge’s lines to refund (each at most once).'),
  })
  .refine((b) => (b.whole === undefined) !== (b.lines === undefined), { message: 'Send exactly one of whole and lines.', path: ['whole'] })
  .meta({ id: 'StoredValueRefundBody' });
export type StoredValueRefundBody = z.infer<typeof StoredValueRefundBodySchema>;

export const StoredValueRefundSchema = z
  .object({
    refundNo: OrderNoSchema,
    orderNo: OrderNoSchema,
    amountFen: FenSchema.describe('Given back to the balance by this refund.'),
    principalFen: FenSchema,
    bonusFen: FenSchema,
    otherRefundFen: FenSchema.describe('The rest of the refunded lines, paid in cash or WeChat Pay: the till gives it back that way.'),
    balanceAfter: z.object({ principalFen: FenSchema, bonusFen: FenSchema, totalFen: FenSchema }),
    charge: StoredValueChargeSchema,
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'StoredValueRefund' });
export type StoredValueRefund = z.infer<typeof StoredValueRefundSchema>;

export const StoredValueOrderParamsSchema = z.strictObject({ orderNo: OrderNoSchema }).meta({ id: 'StoredValueOrderParams' });

// The member's side: the PIN and the confirmations.

export const PaymentPinBodySchema = z
  .strictObject({
    pin: PaymentPinSchema,
    currentPin: PaymentPinSchema.optional().describe('Needed to change a PIN that is set.'),
  })
  .refine((b) => !/^(\d)\1{5}$/.test(b.pin) && !['012345', '123456', '234567', '345678', '456789', '987654', '876543', '765432', '654321', '543210'].includes(b.pin), {
    message: 'Too easy to guess: not six of the same digit or a run.',
    path: ['pin'],
  })
  .meta({ id: 'PaymentPinBody' });
export type PaymentPinBody = z.infer<typeof PaymentPinBodySchema>;

export const PaymentPinStatusSchema = z
  .object({ set: z.boolean(), lockedUntil: IsoDateTimeSchema.nullable(), updatedAt: IsoDateTimeSchema.nullable() })
  .meta({ id: 'PaymentPinStatus' });
export type PaymentPinStatus = z.infer<typeof PaymentPinStatusSchema>;

export const ConfirmationStatusSchema = z.enum(['pending', 'approved', 'declined', 'used', 'expired']).meta({ id: 'StoredValueConfirmationStatus' });
export type ConfirmationStatus = z.infer<typeof ConfirmationStatusSchema>;

export const StoredValueConfirmationSchema = z
  .object({
    id: IdSchema,
    storeId: z.string(),
    storeName: z.string(),
    orderNo: OrderNoSchema,
    amountFen: FenSchema,
    orderTotalFen: FenSchema,
    status: ConfirmationStatusSchema,
    createdAt: IsoDateTimeSchema,
    expiresAt: IsoDateTimeSchema,
  })
  .meta({ id: 'StoredValueConfirmation', description: 'A charge above HQ’s amount waiting for the member’s approval on the phone.' });
export type StoredValueConfirmation = z.infer<typeof StoredValueConfirmationSchema>;

export const StoredValueConfirmationListSchema = z.object({ items: z.array(StoredValueConfirmationSchema) }).meta({ id: 'StoredValueConfirmationList' });
export const ConfirmationParamsSchema = z.strictObject({ id: z.string().regex(/^[a-f0-9]{24}$/) }).meta({ id: 'StoredValueConfirmationParams' });
export const ConfirmationDecisionBodySchema = z.strictObject({ approve: z.boolean() }).meta({ id: 'StoredValueConfirmationDecision' });

/** What the counter's member panel shows of the member's stored value. */
export const CounterStoredValueSchema = z
  .object({
    principalFen: FenSchema,
    bonusFen: FenSchema,
    totalFen: FenSchema,
    confirmAboveFen: FenSchema.describe('Charges above this need the member’s approval on the phone or their PIN.'),
    pinSet: z.boolean().describe('The member has set a payment PIN (and it is not locked now).'),
  })
  .meta({ id: 'CounterStoredValue' });
export type CounterStoredValue = z.infer<typeof CounterStoredValueSchema>;
