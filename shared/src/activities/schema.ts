import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, pageOf } from '../common';
import { TierCodeSchema } from '../tiers/schema';

const activityFields = {
  title: z.string().trim().min(1).max(60),
  description: z.string().max(5000),
  storeId: IdSchema.optional().describe('Absent: not tied to one store.'),
  startAt: IsoDateTimeSchema,
  endAt: IsoDateTimeSchema,
  signupClosesAt: IsoDateTimeSchema,
  capacity: z.number().int().min(1).max(100_000),
  tiers: z.array(TierCodeSchema).max(10).optional().describe('Empty or absent: every tier may sign up.'),
  feeFen: FenSchema.describe('0 for a free activity; otherwise paid through WeChat Pay.'),
  attendancePoints: z.number().int().min(0).max(1_000_000),
};

export const ActivityInputSchema = z
  .strictObject(activityFields)
  .superRefine((activity, ctx) => {
    if (Date.parse(activity.signupClosesAt) > Date.parse(activity.startAt)) {
      ctx.addIssue({ code: 'custom', path: ['signupClosesAt'], message: 'must not be after startAt' });
    }
    if (Date.parse(activity.startAt) >= Date.parse(activity.endAt)) {
      ctx.addIssue({ code: 'custom', path: ['endAt'], message: 'must be after startAt' });
    }
  })
  .meta({ id: 'ActivityInput', description: 'An in-store activity as HQ creates it.' });
export type ActivityInput = z.infer<typeof ActivityInputSchema>;

export const ActivitySchema = z
  .object({
    ...activityFields,
    id: IdSchema,
    confirmedCount: z.number().int().min(0),
    waitlistCount: z.number().int().min(0),
  })
  .meta({ id: 'Activity', description: 'An activity with its current seat counts.' });
export type Activity = z.infer<typeof ActivitySchema>;

export const ActivityPageSchema = pageOf(ActivitySchema).meta({ id: 'ActivityPage' });

/** The parameters the mini-program passes unchanged to `wx.requestPayment`. */
export const WechatPaymentParamsSchema = z
  .object({
    timeStamp: z.string().regex(/^\d{10}$/),
    nonceStr: z.string().min(1).max(32),
    package: z.string().regex(/^prepay_id=.+$/),
    signType: z.literal('RSA'),
    paySign: z.string().min(1),
  })
  .meta({ id: 'WechatPaymentParams', description: 'Arguments for wx.requestPayment.' });
export type WechatPaymentParams = z.infer<typeof WechatPaymentParamsSchema>;

export const SignupStatusSchema = z
  .enum(['confirmed', 'waitlisted', 'pending_payment', 'cancelled', 'attended'])
  .meta({ id: 'SignupStatus' });
export type SignupStatus = z.infer<typeof SignupStatusSchema>;

export const SignupSchema = z
  .object({
    id: IdSchema,
    activityId: IdSchema,
    status: SignupStatusSchema,
    waitlistPosition: z.number().int().min(1).optional(),
    payment: WechatPaymentParamsSchema.optional().describe('Present while pending_payment.'),
    paymentDueAt: IsoDateTimeSchema.optional().describe('When a held paid seat is released.'),
    createdAt: IsoDateTimeSchema.optional(),
  })
  .meta({ id: 'Signup', description: "A member's sign-up for an activity." });
export type Signup = z.infer<typeof SignupSchema>;

export const SignupPageSchema = pageOf(SignupSchema).meta({ id: 'SignupPage' });

export const SignupBodySchema = z.strictObject({}).meta({ id: 'SignupBody', description: 'Signing up takes no fields.' });
export type SignupBody = z.infer<typeof SignupBodySchema>;

export const CheckinBodySchema = z
  .strictObject({ code: z.string().min(1).max(64) })
  .meta({ id: 'CheckinBody', description: 'A clerk scans the sign-up QR to check the attendee in.' });
export type CheckinBody = z.infer<typeof CheckinBodySchema>;
