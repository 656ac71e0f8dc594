import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema, ListQuerySchema, chinaIsoDate, humanText, pageOf } from '../common';
import { CouponSchema } from '../coupons/schema';
import { SignupSchema } from '../activities/schema';
import { TierProgressSchema, TierRefSchema } from '../tiers/schema';

// ---- sign-in ----

export const WechatLoginBodySchema = z
  .strictObject({ code: z.string().min(1).max(128).describe('The code from wx.login.') })
  .meta({ id: 'WechatLoginBody' });
export type WechatLoginBody = z.infer<typeof WechatLoginBodySchema>;

export const PasswordLoginBodySchema = z
  .strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(128) })
  .meta({ id: 'PasswordLoginBody', description: 'Staff and HQ sign-in.' });
export type PasswordLoginBody = z.infer<typeof PasswordLoginBodySchema>;

export const StaffRoleSchema = z.enum(['clerk', 'manager']).meta({ id: 'StaffRole' });
export type StaffRole = z.infer<typeof StaffRoleSchema>;

export const StaffSchema = z
  .object({ id: IdSchema, name: z.string(), role: StaffRoleSchema, storeId: IdSchema })
  .meta({ id: 'Staff' });
export type Staff = z.infer<typeof StaffSchema>;

export const AdminSchema = z
  .object({ id: IdSchema, name: z.string(), role: z.literal('hq') })
  .meta({ id: 'Admin' });
export type Admin = z.infer<typeof AdminSchema>;

// Every sign-in answers a short-lived `token` and a `refreshToken` for POST /auth/refresh.
const sessionTokens = { token: z.string(), refreshToken: z.string() };

export const RefreshBodySchema = z.strictObject({ refreshToken: z.string().min(1).max(2048) }).meta({ id: 'RefreshBody' });
export type RefreshBody = z.infer<typeof RefreshBodySchema>;

export const RefreshAnswerSchema = z.object(sessionTokens).meta({ id: 'RefreshAnswer' });
export type RefreshAnswer = z.infer<typeof RefreshAnswerSchema>;

export const StaffLoginAnswerSchema = z.object({ ...sessionTokens, staff: StaffSchema }).meta({ id: 'StaffLoginAnswer' });
export type StaffLoginAnswer = z.infer<typeof StaffLoginAnswerSchema>;

export const AdminLoginAnswerSchema = z.object({ ...sessionTokens, admin: AdminSchema }).meta({ id: 'AdminLoginAnswer' });
export type AdminLoginAnswer = z.infer<typeof AdminLoginAnswerSchema>;

// ---- the member ----

export const GenderSchema = z.enum(['male', 'female', 'other']).meta({ id: 'Gender' });
export type Gender = z.infer<typeof GenderSchema>;

const EARLIEST_BIRTHDAY = '1900-01-01';

/** A real calendar date (`YYYY-MM-DD`), not in the future as counted in China, not before 1900. */
export const BirthdaySchema = z
  .iso.date()
  .refine((date) => date >= EARLIEST_BIRTHDAY && date <= chinaIsoDate(new Date()), 'must be a past date')
  .meta({ id: 'Birthday', description: 'YYYY-MM-DD, a real past date.' });

export const PhoneSchema = z.string().regex(/^\+?\d{5,20}$/).meta({ id: 'Phone' });

const profileTexts = {
  name: humanText({ max: 32 }),
  city: humanText({ max: 32 }),
  interest: humanText({ max: 20 }),
};

export const MemberSchema = z
  .object({
    id: IdSchema,
    cardNo: z.string().regex(/^\d{12}$/),
    tier: TierRefSchema,
    pointsBalance: z.number().int().min(0),
    pointsExpiringSoon: z
      .object({ amount: z.number().int().min(1), at: IsoDateTimeSchema })
      .nullable()
      .describe('The points due to expire within 30 days at the soonest expiry date, or null.'),
    profileCompletion: z.number().int().min(0).max(100),
    couponsAvailable: z.number().int().min(0),
    homeStoreId: IdSchema.nullable(),
    joinedAt: IsoDateTimeSchema,
    // Profile fields are absent while unset.
    name: z.string().optional(),
    gender: GenderSchema.optional(),
    birthday: z.iso.date().optional(),
    phone: z.string().optional(),
    city: z.string().optional(),
    interests: z.array(z.string()).optional(),
    tierProgress: TierProgressSchema.optional(),
    tierBenefits: z.array(z.string()).optional(),
    spend12mFen: z.number().int().min(0).optional().describe('Qualifying spend over the trailing 12 months.'),
  })
  .meta({ id: 'Member', description: 'A member as shown on the card and profile screens, and to HQ.' });
export type Member = z.infer<typeof MemberSchema>;

export const MemberPageSchema = pageOf(MemberSchema).meta({ id: 'MemberPage' });

export const WechatLoginAnswerSchema = z
  .object({ ...sessionTokens, member: MemberSchema.nullable().describe('null until the shopper joins.') })
  .meta({ id: 'WechatLoginAnswer' });
export type WechatLoginAnswer = z.infer<typeof WechatLoginAnswerSchema>;

export const JoinMembershipBodySchema = z
  .strictObject({
    acceptTerms: z.literal(true).describe('Explicit acceptance of the charter; anything else is refused.'),
    privacyPolicyVersion: z.string().min(1).max(32),
    homeStoreId: IdSchema.optional(),
    referralCode: z.string().regex(/^[A-Za-z0-9]{1,32}$/).optional(),
    deviceId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/).optional().describe('The app’s device id (kept in its storage): an invitation from the same device earns nothing.'),
  })
  .meta({ id: 'JoinMembershipBody' });
export type JoinMembershipBody = z.infer<typeof JoinMembershipBodySchema>;

/** Each field may be left out (unchanged) or set to null (cleared). */
export const ProfilePatchBodySchema = z
  .strictObject({
    name: profileTexts.name.nullable().optional(),
    gender: GenderSchema.nullable().optional(),
    birthday: BirthdaySchema.nullable().optional(),
    city: profileTexts.city.nullable().optional(),
    interests: z.array(profileTexts.interest).max(10).nullable().optional(),
  })
  .meta({ id: 'ProfilePatchBody' });
export type ProfilePatchBody = z.infer<typeof ProfilePatchBodySchema>;

export const PhoneBindBodySchema = z
  .strictObject({ code: z.string().min(1).max(128).describe('The code from the getPhoneNumber button.') })
  .meta({ id: 'PhoneBindBody' });
export type PhoneBindBody = z.infer<typeof PhoneBindBodySchema>;

export const MemberSearchQuerySchema = ListQuerySchema.extend({
  q: humanText({ max: 64 }).optional().describe('Card number, phone or name.'),
}).meta({ id: 'MemberSearchQuery' });
export type MemberSearchQuery = z.infer<typeof MemberSearchQuerySchema>;

export const StoreSchema = z
  .object({ id: IdSchema.describe('The store code, e.g. SH01.'), name: z.string(), city: z.string().optional() })
  .meta({ id: 'Store' });
export type Store = z.infer<typeof StoreSchema>;

export const StorePageSchema = pageOf(StoreSchema).meta({ id: 'StorePage' });

// ---- the counter ----

export const StaffScanBodySchema = z.strictObject({ code: z.string().min(1).max(64) }).meta({ id: 'StaffScanBody' });
export type StaffScanBody = z.infer<typeof StaffScanBodySchema>;

export const RecentPurchaseSchema = z
  .object({
    orderNo: z.string(),
    amountFen: FenSchema,
    storeId: IdSchema,
    createdAt: IsoDateTimeSchema,
    lines: z
      .array(z.object({ sku: z.string(), name: z.string(), category: z.string(), qty: z.number().int(), amountFen: FenSchema }))
      .optional(),
  })
  .meta({ id: 'RecentPurchase' });
export type RecentPurchase = z.infer<typeof RecentPurchaseSchema>;

/** What a clerk sees of a member: name as 张*, phone as 138****1234. */
export const MaskedMemberSchema = z
  .object({
    id: IdSchema,
    cardNo: z.string(),
    maskedName: z.string().nullable(),
    maskedPhone: z.string().nullable(),
    tier: TierRefSchema,
    pointsBalance: z.number().int().min(0),
    lastVisitAt: IsoDateTimeSchema.nullable().optional(),
    recentPurchases: z.array(RecentPurchaseSchema).optional(),
  })
  .meta({ id: 'MaskedMember' });
export type MaskedMember = z.infer<typeof MaskedMemberSchema>;

export const StaffScanAnswerSchema = z
  .object({
    type: z.enum(['member', 'coupon', 'signup']),
    member: MaskedMemberSchema,
    coupon: CouponSchema.optional(),
    signup: SignupSchema.optional(),
  })
  .meta({ id: 'StaffScanAnswer' });
export type StaffScanAnswer = z.infer<typeof StaffScanAnswerSchema>;
