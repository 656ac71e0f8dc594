import { IdSchema, IsoDateTimeSchema, ListQuerySchema, pageOf } from '../common';
import { StoreSchema } from '../members/schema';
import { z } from 'zod';

// Wire shapes of HQ's store, staff-account and audit-log administration.

/** A store as HQ sees it: open or closed. */
export const StoreDetailSchema = StoreSchema.extend({ active: z.boolean() }).meta({ id: 'StoreDetail' });
export type StoreDetail = z.infer<typeof StoreDetailSchema>;

export const StoreCreateBodySchema = z
  .strictObject({
    id: z.string().regex(/^[A-Z0-9]{2,16}$/, 'a store code: 2–16 capital letters or digits'),
    name: z.string().trim().min(1).max(64),
    city: z.string().trim().min(1).max(32).optional(),
  })
  .meta({ id: 'StoreCreateBody' });

export const StorePatchBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(64).optional(),
    city: z.string().trim().min(1).max(32).nullable().optional(),
    active: z.boolean().optional(),
  })
  .meta({ id: 'StorePatchBody' });

export const StaffAccountSchema = z
  .object({
    id: IdSchema,
    username: z.string(),
    name: z.string(),
    role: z.enum(['clerk', 'manager', 'hq']),
    storeId: IdSchema.nullable(),
    active: z.boolean(),
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'StaffAccount' });

const PasswordSchema = z.string().min(10, 'at least 10 characters').max(128);

export const StaffCreateBodySchema = z
  .strictObject({
    username: z.string().regex(/^[a-z0-9][a-z0-9._-]{2,31}$/, '3–32 lowercase letters, digits, dot, dash or underscore'),
    name: z.string().trim().min(1).max(32),
    role: z.enum(['clerk', 'manager', 'hq']),
    storeId: IdSchema.optional(),
    password: PasswordSchema,
  })
  .superRefine((body, ctx) => {
    if (body.role !== 'hq' && !body.storeId) ctx.addIssue({ code: 'custom', path: ['storeId'], message: 'Store staff need a store' });
    if (body.role === 'hq' && body.storeId) ctx.addIssue({ code: 'custom', path: ['storeId'], message: 'HQ accounts have no store' });
  })
  .meta({ id: 'StaffCreateBody' });

export const StaffPatchBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(32).optional(),
    role: z.enum(['clerk', 'manager']).optional(),
    storeId: IdSchema.optional(),
    active: z.boolean().optional(),
    password: PasswordSchema.optional(),
  })
  .meta({ id: 'StaffPatchBody' });

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
    role: z.string(),
    storeId: z.string().nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
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
