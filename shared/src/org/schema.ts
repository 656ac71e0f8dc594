import { IdSchema, IsoDateTimeSchema, ListQuerySchema, STORE_CODE_PATTERN, humanText, pageOf } from '../common';
import { AdminLoginAnswerSchema, AdminSchema, StaffLoginAnswerSchema, StoreSchema } from '../members/schema';
import { z } from 'zod';

// Wire shapes of HQ's store, staff-account and audit-log administration.

/** A store as HQ sees it: open or closed. */
export const StoreDetailSchema = StoreSchema.extend({ active: z.boolean() }).meta({ id: 'StoreDetail' });
export type StoreDetail = z.infer<typeof StoreDetailSchema>;

export const StoreCreateBodySchema = z
  .strictObject({
    id: z.string().regex(STORE_CODE_PATTERN, 'a store code: 2–16 capital letters or digits'),
    name: humanText({ max: 64 }),
    city: humanText({ max: 32 }).optional(),
  })
  .meta({ id: 'StoreCreateBody' });

export const StorePatchBodySchema = z
  .strictObject({
    name: humanText({ max: 64 }).optional(),
    city: humanText({ max: 32 }).nullable().optional(),
    active: z.boolean().optional(),
  })
  .meta({ id: 'StorePatchBody' });

/**
 * HQ roles: `admin` may do everything; `marketing` runs coupons, code batches, segments, campaigns,
 * automation and activities and reads the reports, but not staff, stores or programme settings; `viewer`
 * only reads dashboards and lists. Store staff have no HQ role (null).
 */
export const HqRoleSchema = z.enum(['admin', 'marketing', 'viewer']).meta({ id: 'HqRole' });
export type HqRole = z.infer<typeof HqRoleSchema>;
/** viewer < marketing < admin: each HQ role may do what the ones before it may. */
export const HQ_ROLE_RANK: Readonly<Record<HqRole, number>> = { viewer: 0, marketing: 1, admin: 2 };
export const hqRoleAtLeast = (role: HqRole, needed: HqRole) => HQ_ROLE_RANK[role] >= HQ_ROLE_RANK[needed];

export const StaffAccountSchema = z
  .object({
    id: IdSchema,
    username: z.string(),
    name: z.string(),
    role: z.enum(['clerk', 'manager', 'hq']),
    hqRole: HqRoleSchema.nullable(),
    storeId: IdSchema.nullable(),
    active: z.boolean(),
    /** Set when HQ created the account or reset its password: the next sign-in must choose a new one. */
    mustChangePassword: z.boolean(),
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'StaffAccount' });

/** Rules for a new password (stored ones are not re-checked); the server also refuses the commonest passwords. */
export const PASSWORD_MIN_LENGTH = 10;
export const NewPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(128)
  .meta({ id: 'NewPassword' });

export const StaffCreateBodySchema = z
  .strictObject({
    username: z.string().regex(/^[a-z0-9][a-z0-9._-]{2,31}$/, '3–32 lowercase letters, digits, dot, dash or underscore'),
    name: humanText({ max: 32 }),
    role: z.enum(['clerk', 'manager', 'hq']),
    /** Required for an HQ account, refused for store staff. */
    hqRole: HqRoleSchema.optional(),
    storeId: IdSchema.optional(),
    /** A first password HQ hands over; the account must change it at first sign-in. */
    password: NewPasswordSchema,
  })
  .superRefine((body, ctx) => {
    if (body.role !== 'hq' && !body.storeId) ctx.addIssue({ code: 'custom', path: ['storeId'], message: 'Store staff need a store' });
    if (body.role === 'hq' && body.storeId) ctx.addIssue({ code: 'custom', path: ['storeId'], message: 'HQ accounts have no store' });
    if (body.role === 'hq' && !body.hqRole) ctx.addIssue({ code: 'custom', path: ['hqRole'], message: 'HQ accounts need an HQ role' });
    if (body.role !== 'hq' && body.hqRole) ctx.addIssue({ code: 'custom', path: ['hqRole'], message: 'Store staff have no HQ role' });
  })
  .meta({ id: 'StaffCreateBody' });

/**
 * HQ's changes to an account. `role`/`storeId` apply to store staff, `hqRole` to HQ accounts; `password`
 * is a reset (the account must change it at its next sign-in). Any change to role, HQ role, store,
 * password or `active` ends the account's access tokens at once.
 */
export const StaffPatchBodySchema = z
  .strictObject({
    name: humanText({ max: 32 }).optional(),
    role: z.enum(['clerk', 'manager']).optional(),
    hqRole: HqRoleSchema.optional(),
    storeId: IdSchema.optional(),
    active: z.boolean().optional(),
    password: NewPasswordSchema.optional(),
  })
  .meta({ id: 'StaffPatchBody' });

/** A signed-in staff or HQ user changes their own password (and ends every other session of theirs). */
export const PasswordChangeBodySchema = z
  .strictObject({ currentPassword: z.string().min(1).max(128), newPassword: NewPasswordSchema })
  .meta({ id: 'PasswordChangeBody' });
export type PasswordChangeBody = z.infer<typeof PasswordChangeBodySchema>;

/** After a password change: a fresh token pair for the session that made it (all others are ended). */
export const PasswordChangeAnswerSchema = z
  .object({ token: z.string(), refreshToken: z.string(), expiresIn: z.number().int() })
  .meta({ id: 'PasswordChangeAnswer' });

/** The contract's sign-in answers, plus the HQ role and whether the password must be changed before anything else. */
export const AdminSignInAnswerSchema = AdminLoginAnswerSchema.extend({
  admin: AdminSchema.extend({ hqRole: HqRoleSchema }),
  mustChangePassword: z.boolean(),
}).meta({ id: 'AdminSignInAnswer' });
export type AdminSignInAnswer = z.infer<typeof AdminSignInAnswerSchema>;
export const StaffSignInAnswerSchema = StaffLoginAnswerSchema.extend({ mustChangePassword: z.boolean() }).meta({ id: 'StaffSignInAnswer' });
export type StaffSignInAnswer = z.infer<typeof StaffSignInAnswerSchema>;

export const StaffListQuerySchema = ListQuerySchema.extend({ storeId: IdSchema.optional() }).meta({ id: 'StaffListQuery' });

export const AuditListQuerySchema = ListQuerySchema.extend({
  actorId: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  storeId: z.string().max(16).optional(),
  targetType: z.string().max(32).optional(),
  targetId: z.string().max(64).optional(),
  from: IsoDateTimeSchema.optional(),
  to: IsoDateTimeSchema.optional(),
}).meta({ id: 'AuditListQuery' });

export const AuditEntrySchema = z
  .object({
    id: IdSchema,
    actorType: z.enum(['staff', 'admin']),
    actorId: z.string(),
    /** The account's name, read when the log is listed (null when the account is gone). */
    actorName: z.string().nullable(),
    role: z.string(),
    /** The HQ actor's role at the time (null for store staff, and for entries written before HQ roles). */
    hqRole: HqRoleSchema.nullable(),
    storeId: z.string().nullable(),
    storeName: z.string().nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    /** What the target is called (a member's name, a campaign's, an order number), when it has a name. */
    targetName: z.string().nullable(),
    memberId: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    requestId: z.string(),
    at: IsoDateTimeSchema,
  })
  .meta({ id: 'AuditEntry' });

export const StoreDetailPageSchema = pageOf(StoreDetailSchema).meta({ id: 'StoreDetailPage' });
export const StaffAccountPageSchema = pageOf(StaffAccountSchema).meta({ id: 'StaffAccountPage' });
export const AuditEntryPageSchema = pageOf(AuditEntrySchema).meta({ id: 'AuditEntryPage' });
