import { z } from 'zod';
import { FenSchema, IdSchema, IsoDateTimeSchema } from '../common';
import { REFERRAL_CODE_PATTERN } from './rules';

// Wire shapes of referral (裂变拉新): HQ's terms, the member's invitation and progress, a friend's preview of an
// invitation, and HQ's figures.

export const ReferralRefusalSchema = z.enum(['self', 'rejoined', 'same_device', 'inviter_gone']).meta({
  id: 'ReferralRefusal',
  description: '`self`: same member, unionid or phone; `rejoined`: an erased account joined again; `same_device`: joined on the inviter’s device; `inviter_gone`: the inviter left.',
});

export const ReferralStatusSchema = z.enum(['joined', 'qualified', 'rewarded', 'refused', 'expired']).meta({
  id: 'ReferralStatus',
  description: '`joined`: waiting for the first purchase; `qualified`: bought, reward being granted; `rewarded`; `refused` (see refusal); `expired`: no qualifying purchase in the window.',
});
export type ReferralStatus = z.infer<typeof ReferralStatusSchema>;

export const ReferralCodeSchema = z.string().regex(REFERRAL_CODE_PATTERN).meta({ id: 'ReferralCode', description: 'A member’s invitation code (8 characters).' });
/** A random id the app keeps in the phone's storage (see the README: what the device check does and does not stop). */
export const DeviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/).meta({ id: 'DeviceId' });

const RewardSideSchema = z.strictObject({
  points: z.number().int().min(0).max(100_000),
  templateId: IdSchema.nullable().describe('Coupon template given to this side, or null.'),
});

export const ReferralTermsBodySchema = z
  .strictObject({
    enabled: z.boolean(),
    inviter: RewardSideSchema,
    invitee: RewardSideSchema,
    minPurchaseFen: FenSchema.describe('The friend’s first purchase must be at least this; 0: any purchase.'),
    windowDays: z.number().int().min(1).max(365).describe('Days after joining within which the first purchase counts.'),
  })
  .meta({ id: 'ReferralTermsBody' });
export type ReferralTermsBody = z.infer<typeof ReferralTermsBodySchema>;

const RewardSideViewSchema = z.object({ points: z.number().int(), templateId: IdSchema.nullable(), couponTitle: z.string().nullable() });
export type ReferralRewardView = z.infer<typeof RewardSideViewSchema>;

export const ReferralTermsSchema = z
  .object({
    enabled: z.boolean(),
    inviter: RewardSideViewSchema,
    invitee: RewardSideViewSchema,
    minPurchaseFen: z.number().int(),
    windowDays: z.number().int(),
    updatedAt: IsoDateTimeSchema.nullable(),
  })
  .meta({ id: 'ReferralTerms' });
export type ReferralTermsView = z.infer<typeof ReferralTermsSchema>;

export const InvitationBodySchema = z.strictObject({ deviceId: DeviceIdSchema.optional() }).meta({ id: 'InvitationBody' });
export type InvitationBody = z.infer<typeof InvitationBodySchema>;

export const ReferralFriendSchema = z.object({
  maskedName: z.string().nullable(),
  joinedAt: IsoDateTimeSchema,
  status: ReferralStatusSchema,
  refusal: ReferralRefusalSchema.nullable(),
  rewardedAt: IsoDateTimeSchema.nullable(),
}).meta({ id: 'ReferralFriend' });

export const MyReferralSchema = z
  .object({
    code: ReferralCodeSchema,
    path: z.string().describe('What onShareAppMessage shares: the join page with ?ref=<code>.'),
    scene: z.string().describe('The scene of the invitation’s mini-program code.'),
    terms: ReferralTermsSchema,
    progress: z.object({
      invited: z.number().int().describe('Shoppers who opened the invitation.'),
      joined: z.number().int(),
      purchased: z.number().int().describe('Friends whose first purchase earned the reward.'),
      rewards: z.object({ points: z.number().int(), coupons: z.number().int() }).describe('What the member has earned by inviting.'),
    }),
    friends: z.array(ReferralFriendSchema),
    invitedBy: z.object({ status: ReferralStatusSchema, refusal: ReferralRefusalSchema.nullable(), deadline: IsoDateTimeSchema }).nullable(),
  })
  .meta({ id: 'MyReferral' });
export type MyReferral = z.infer<typeof MyReferralSchema>;

export const InvitationCodeImageSchema = z
  .object({ dataUrl: z.string().describe('The invitation’s mini-program code as a data: URL (PNG).'), scene: z.string(), page: z.string() })
  .meta({ id: 'InvitationCodeImage' });
export type InvitationCodeImage = z.infer<typeof InvitationCodeImageSchema>;

export const InvitationViewBodySchema = z.strictObject({ code: ReferralCodeSchema }).meta({ id: 'InvitationViewBody' });

export const InvitationPreviewSchema = z
  .object({
    code: ReferralCodeSchema,
    inviterName: z.string().nullable().describe('The inviter’s name, masked (张*).'),
    reward: RewardSideViewSchema.describe('What the friend gets with a first purchase.'),
    minPurchaseFen: z.number().int(),
    windowDays: z.number().int(),
    enabled: z.boolean(),
    refusal: ReferralRefusalSchema.nullable().describe('Already known to earn nothing (the caller’s own invitation).'),
  })
  .meta({ id: 'InvitationPreview' });
export type InvitationPreview = z.infer<typeof InvitationPreviewSchema>;

export const ReferralReportQuerySchema = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) }).meta({ id: 'ReferralReportQuery' });

const MemberRefSchema = z.object({ id: IdSchema, cardNo: z.string().nullable() });

export const ReferralReportSchema = z
  .object({
    from: IsoDateTimeSchema,
    to: IsoDateTimeSchema,
    terms: ReferralTermsSchema,
    totals: z.object({
      inviters: z.number().int().describe('Members who opened their invitation to share it.'),
      views: z.number().int().describe('Shoppers who opened an invitation.'),
      joined: z.number().int(),
      converted: z.number().int().describe('Friends rewarded for a first purchase.'),
      refused: z.number().int(),
      conversionRate: z.number().describe('converted / joined (0 when none joined).'),
    }),
    refusals: z.record(ReferralRefusalSchema, z.number().int()),
    cost: z.object({
      points: z.number().int(),
      coupons: z.number().int(),
      couponFaceFen: z.number().int().describe('Face value of the cash coupons given.'),
    }),
    recent: z.array(
      z.object({
        id: IdSchema,
        inviter: MemberRefSchema,
        invitee: MemberRefSchema,
        status: ReferralStatusSchema,
        refusal: ReferralRefusalSchema.nullable(),
        joinedAt: IsoDateTimeSchema,
        rewardedAt: IsoDateTimeSchema.nullable(),
        points: z.number().int(),
        coupons: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'ReferralReport' });
export type ReferralReport = z.infer<typeof ReferralReportSchema>;
