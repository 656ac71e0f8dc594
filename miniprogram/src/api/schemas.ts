// Answer schemas, from @membercard/shared wherever it defines them. Lists are accepted as a page or a bare
// array; the few answers shared does not describe are loose here, so extra server fields never break parsing.
import { z } from 'zod';
import {
  ActivitySchema,
  CouponSchema,
  CouponTemplateSchema,
  MemberSchema,
  StaffSchema,
  TierDefinitionSchema,
  LedgerEntrySchema,
  StoreSchema,
} from '@membercard/shared';

export {
  ActivityPageSchema,
  AppConfigSchema,
  PurchaseAnswerSchema,
  ActivitySchema,
  CodeKeyAnswerSchema,
  CouponPageSchema,
  CouponSchema,
  MemberSchema,
  PasswordChangeAnswerSchema,
  RedemptionCodeClaimAnswerSchema,
  RedemptionSchema,
  ShortLivedCodeAnswerSchema,
  SignupPageSchema,
  SignupSchema,
  StaffScanAnswerSchema,
  VisitSchema,
} from '@membercard/shared';
export type { AppConfig, LedgerEntry, PurchaseAnswer, Store } from '@membercard/shared';

/** Accepts either a bare array or a `{items, nextCursor}` page and answers a page. */
export function listOf<Item extends z.ZodType>(item: Item) {
  const page = z.object({ items: z.array(item), nextCursor: z.string().nullable().optional() });
  return z.union([page, z.array(item)]).transform((answer) =>
    Array.isArray(answer) ? { items: answer, nextCursor: null } : { items: answer.items, nextCursor: answer.nextCursor ?? null },
  );
}

const sessionTokens = { token: z.string().min(1), refreshToken: z.string().optional() };

export const WechatSignInAnswerSchema = z.object({ ...sessionTokens, member: MemberSchema.nullable() });
// mustChangePassword: HQ set this password; the tokens may only change it (403 PASSWORD_CHANGE_REQUIRED otherwise).
export const StaffSignInAnswerSchema = z.object({ ...sessionTokens, staff: StaffSchema, mustChangePassword: z.boolean().optional() });

export const LedgerPageSchema = listOf(LedgerEntrySchema);

export const StoreListSchema = listOf(StoreSchema);


export const TierListSchema = listOf(TierDefinitionSchema.partial({ pointsMultiplier: true }));

export const ExchangeableListSchema = listOf(CouponTemplateSchema.partial({ issuedCount: true, status: true, totalQuantity: true, perMemberLimit: true }));
export type ExchangeableTemplate = z.infer<typeof ExchangeableListSchema>['items'][number];

/** POST /me/points/exchanges: the coupon bought, and possibly the new balance. */
export const ExchangeAnswerSchema = z.looseObject({ coupon: CouponSchema.optional(), pointsBalance: z.number().int().optional() });


export const ActivityListSchema = listOf(ActivitySchema);
