import { humanText, TierCodeSchema } from '@membercard/shared';
import { z } from 'zod';
import { CARD_COLOURS } from './model';

// Wire shapes of the member card's routes. They live with the module (only the HQ console and the
// mini-program's card-opening step use them).

const CardImageUrlSchema = z.string().max(256).regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL');
const ErrorInfoSchema = z.object({ errcode: z.number().nullable(), message: z.string(), at: z.date() }).nullable();

export const CardDesignBodySchema = z
  .strictObject({
    // WeChat's limits: brand_name ≤ 12 characters, title ≤ 9 (docs/wechat-member-card.md §1).
    brandName: humanText({ max: 12 }),
    title: humanText({ max: 9 }),
    logoUrl: CardImageUrlSchema,
    colour: z.enum(Object.keys(CARD_COLOURS) as [string, ...string[]]),
    backgroundUrl: CardImageUrlSchema,
    tierArt: z.array(z.strictObject({ tier: TierCodeSchema, backgroundUrl: CardImageUrlSchema })).max(10),
    benefits: humanText({ max: 1000, multiline: true }),
    notice: humanText({ max: 16 }),
    description: humanText({ max: 1000, multiline: true }),
    servicePhone: z.string().regex(/^[0-9+\- ]{3,24}$/).nullable(),
    miniProgramUserName: z.string().regex(/^gh_[0-9A-Za-z]{4,32}@app$/, 'the mini-program original id, gh_…@app'),
    codePage: z.string().regex(/^[a-z0-9_-]+(\/[a-z0-9_-]+)+$/, 'a page path such as pages/card/index'),
  })
  .meta({ id: 'WechatMemberCardDesignBody', description: 'The WeChat member card as HQ designs it; saving publishes it to WeChat.' });
export type CardDesignBody = z.infer<typeof CardDesignBodySchema>;

export const CardOverviewSchema = z
  .object({
    design: CardDesignBodySchema,
    colourHex: z.string(),
    cardId: z.string().nullable(),
    publishedAt: z.date().nullable(),
    publishError: ErrorInfoSchema,
    tiers: z.array(z.object({ code: z.string(), name: z.string() })),
    sync: z.object({
      membersOnCard: z.number().int(),
      activating: z.number().int(),
      waiting: z.number().int(),
      failing: z.number().int(),
      lastSyncAt: z.date().nullable(),
      updatesPerMinute: z.number().int(),
    }),
  })
  .meta({ id: 'WechatMemberCardOverview' });

export const CardFailureSchema = z.object({
  linkId: z.string(),
  memberId: z.string(),
  cardNo: z.string().nullable(),
  code: z.string(),
  failures: z.number().int(),
  lastError: ErrorInfoSchema,
  nextAttemptAt: z.date().nullable(),
});
export const CardFailureListSchema = z.object({ items: z.array(CardFailureSchema) }).meta({ id: 'WechatMemberCardFailures' });

export const CardRetryBodySchema = z.strictObject({ linkId: z.string().regex(/^[0-9a-f]{24}$/).optional() }).meta({ id: 'WechatMemberCardRetryBody' });
export const CardRetrySchema = z.object({ retried: z.number().int(), sent: z.number().int() }).meta({ id: 'WechatMemberCardRetry' });

/** outer_str: ≤ 32 characters naming where the shopper opened the card from (`store:SH01`, `pay`). */
export const CardChannelSchema = z.string().regex(/^[0-9A-Za-z_:-]{1,32}$/);

export const OpenParamsQuerySchema = z.strictObject({ channel: CardChannelSchema.optional() });
export const OpenParamsSchema = z
  .object({
    appId: z.string(),
    extraData: z.object({ encrypt_card_id: z.string(), outer_str: z.string(), biz: z.string() }),
  })
  .meta({ id: 'WechatMemberCardOpenParams', description: 'What the mini-program passes to the card-opening component (navigator target="miniProgram").' });

export const ActivateBodySchema = z
  .strictObject({
    cardId: z.string().min(1).max(64),
    /** referrerInfo.extraData.code, or the encrypt_code of a jump-type card (docs/wechat-member-card.md §2). */
    code: z.string().regex(/^[0-9A-Za-z]{1,32}$/).optional(),
    encryptCode: z.string().min(1).max(256).optional(),
    activateTicket: z.string().min(1).max(256),
    channel: CardChannelSchema.optional(),
    /** A shopper who is not a member yet joins with the card, accepting the charter as on the join page. */
    acceptTerms: z.literal(true).optional(),
    privacyPolicyVersion: z.string().min(1).max(32).optional(),
    homeStoreId: z.string().min(1).max(64).optional(),
  })
  .refine((body) => Boolean(body.code) !== Boolean(body.encryptCode), { message: 'give code or encryptCode', path: ['code'] })
  .meta({ id: 'WechatMemberCardActivateBody' });
export type ActivateBody = z.infer<typeof ActivateBodySchema>;

export const CardLinkSchema = z
  .object({
    status: z.enum(['activating', 'active', 'removed']),
    cardId: z.string(),
    code: z.string(),
    membershipNumber: z.string().nullable(),
  })
  .meta({ id: 'WechatMemberCardLink' });
