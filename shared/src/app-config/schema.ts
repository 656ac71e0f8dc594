import { z } from 'zod';
import { BrandThemeSchema } from '../branding/schema';

/** The programme's name on the card until HQ names it (the console's branding settings). */
export const DEFAULT_PROGRAMME_NAME = '会员俱乐部';

export const AppConfigSchema = z
  .object({
    privacyPolicyVersion: z.string().min(1).describe('The version a shopper accepts when joining.'),
    subscribeTemplates: z
      .object({
        couponArrival: z.string(),
        pointsExpiry: z.string(),
        activityReminder: z.string(),
        activityCancelled: z.string(),
        waitlistPromoted: z.string(),
        refundResult: z.string(),
        storedValueCharge: z.string(),
      })
      .describe('WeChat subscribe-message template ids by purpose, passed to wx.requestSubscribeMessage (each accept buys one message of that purpose).'),
    programme: z
      .object({ name: z.string().min(1).max(32).describe('The brand name printed on the card face.') })
      .optional()
      .describe('The membership programme as the shopper sees it; absent from servers that predate it.'),
    theme: BrandThemeSchema.optional().describe('HQ’s brand (name, colours, logo, card art per tier); absent from servers that predate it.'),
  })
  .meta({ id: 'AppConfig', description: 'What the mini-program needs before sign-in.' });
export type AppConfig = z.infer<typeof AppConfigSchema>;
