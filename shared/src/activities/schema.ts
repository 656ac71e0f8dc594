import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, ListQuerySchema, humanText, pageOf } from '../common';
import { TierCodeSchema } from '../tiers/schema';

const activityFields = {
  title: humanText({ max: 60 }),
  description: humanText({ max: 5000, min: 0, multiline: true }),
  coverImageUrl: z.url().max(1000).optional(),
  storeId: IdSchema.optional().describe('Absent: not tied to one store.'),
  address: humanText({ max: 200 }).optional().describe('Where it takes place, as the shopper reads it.'),
  location: z
    .strictObject({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) })
    .optional()
    .describe('GCJ-02 coordinates (what WeChat maps use) for the map link.'),
  startAt: IsoDateTimeSchema,
  endAt: IsoDateTimeSchema,
  signupClosesAt: IsoDateTimeSchema,
  capacity: z.number().int().min(1).max(100_000),
  tiers: z.array(TierCodeSchema).max(10).optional().describe('Empty or absent: every tier may sign up.'),
  feeFen: FenSchema.describe('0 for a free activity; otherwise paid through WeChat Pay.'),
  attendancePoints: z.number().int().min(0).max(1_000_000),
};

/** Start, end and sign-up deadline must be in order; shared by create and by an edit merged onto the stored activity. */
function refineActivityTimes(activity: { startAt: string; endAt: string; signupClosesAt: string }, ctx: z.RefinementCtx) {
  if (Date.parse(activity.signupClosesAt) > Date.parse(activity.startAt)) {
    ctx.addIssue({ code: 'custom', path: ['signupClosesAt'], message: 'must not be after startAt' });
  }
  if (Date.parse(activity.startAt) >= Date.parse(activity.endAt)) {
    ctx.addIssue({ code: 'custom', path: ['endAt'], message: 'must be after startAt' });
  }
}

export const ActivityInputSchema = z
  .strictObject({
    ...activityFields,
    draft: z.boolean().optional().describe('true: saved unpublished until POST /admin/activities/:id/publish. Default: published at once.'),
  })
  .superRefine(refineActivityTimes)
  .meta({ id: 'ActivityInput', description: 'An in-store activity as HQ creates it.' });
export type ActivityInput = z.infer<typeof ActivityInputSchema>;

/** An edit: any subset of the fields; the merged activity must still pass the time rules. */
export const ActivityPatchBodySchema = z
  .strictObject(Object.fromEntries(Object.entries(activityFields).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof activityFields]: z.ZodOptional<(typeof activityFields)[K]>;
  })
  .meta({ id: 'ActivityPatchBody', description: 'Fields of an activity to change.' });
export type ActivityPatchBody = z.infer<typeof ActivityPatchBodySchema>;

export const ActivityTimesSchema = z
  .object({ startAt: IsoDateTimeSchema, endAt: IsoDateTimeSchema, signupClosesAt: IsoDateTimeSchema })
  .superRefine(refineActivityTimes)
  .meta({ id: 'ActivityTimes' });

export const ActivityStatusSchema = z
  .enum(['draft', 'published', 'cancelled', 'finished'])
  .meta({ id: 'ActivityStatus', description: '`finished`: published and already over.' });
export type ActivityStatus = z.infer<typeof ActivityStatusSchema>;

export const ActivitySchema = z
  .object({
    ...activityFields,
    // Answers carry what is stored, including text saved before the input rules tightened.
    title: z.string(),
    description: z.string(),
    id: IdSchema,
    status: ActivityStatusSchema,
    confirmedCount: z.number().int().min(0).describe('Confirmed and attended sign-ups.'),
    waitlistCount: z.number().int().min(0),
    pendingPaymentCount: z.number().int().min(0).optional().describe('Seats held 15 minutes awaiting payment.'),
    seatsLeft: z.number().int().min(0).optional(),
    createdAt: IsoDateTimeSchema.optional(),
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
    attendedAt: IsoDateTimeSchema.optional(),
    activityTitle: z.string().optional(),
    activityStartAt: IsoDateTimeSchema.optional(),
  })
  .meta({ id: 'Signup', description: "A member's sign-up for an activity." });
export type Signup = z.infer<typeof SignupSchema>;

export const SignupPageSchema = pageOf(SignupSchema).meta({ id: 'SignupPage' });

/** What HQ and managers see of a sign-up: whose it is, and how the seat was paid. */
export const AdminSignupSchema = SignupSchema.extend({
  memberId: IdSchema,
  member: z.object({ id: IdSchema, cardNo: z.string().optional(), name: z.string().optional(), phone: z.string().optional() }).optional(),
  paymentStatus: z.enum(['pending', 'paid', 'closing', 'closed', 'refunding', 'refunded', 'refund_failed']).optional(),
  cancelReason: z.string().optional(),
}).meta({ id: 'AdminSignup' });
export type AdminSignup = z.infer<typeof AdminSignupSchema>;

export const AdminSignupPageSchema = pageOf(AdminSignupSchema).meta({ id: 'AdminSignupPage' });

export const AdminSignupListQuerySchema = ListQuerySchema.extend({ status: SignupStatusSchema.optional() }).meta({
  id: 'AdminSignupListQuery',
  description: 'Confirmed and pending first (in sign-up order), then the waitlist in promotion order, then the rest.',
});
export type AdminSignupListQuery = z.infer<typeof AdminSignupListQuerySchema>;

export const AdminActivityListQuerySchema = ListQuerySchema.extend({ status: ActivityStatusSchema.optional() }).meta({
  id: 'AdminActivityListQuery',
});
export type AdminActivityListQuery = z.infer<typeof AdminActivityListQuerySchema>;

export const SignupBodySchema = z.strictObject({}).meta({ id: 'SignupBody', description: 'Signing up takes no fields.' });
export type SignupBody = z.infer<typeof SignupBodySchema>;

export const CheckinBodySchema = z
  .strictObject({ code: z.string().min(1).max(64) })
  .meta({ id: 'CheckinBody', description: 'A clerk scans the sign-up QR to check the attendee in.' });
export type CheckinBody = z.infer<typeof CheckinBodySchema>;
