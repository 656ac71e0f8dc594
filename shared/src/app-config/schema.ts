import { z } from 'zod';

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
      })
      .describe('WeChat subscribe-message template ids by purpose, passed to wx.requestSubscribeMessage (each accept buys one message of that purpose).'),
  })
  .meta({ id: 'AppConfig', description: 'What the mini-program needs before sign-in.' });
export type AppConfig = z.infer<typeof AppConfigSchema>;
