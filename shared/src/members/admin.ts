import { z } from 'zod';
import type { Segment } from '../campaigns/schema';
import { CategoryCodeSchema } from '../categories/schema';
import { IdSchema, IsoDateTimeSchema, humanText, ListQuerySchema } from '../common';
import { CouponSchema } from '../coupons/schema';
import { TierCodeSchema } from '../tiers/schema';
import { MemberSchema } from './schema';

// HQ's member list (filters, total, search), tags, exports, one-member grants and the legacy import.

/**
 * The form of a name that name-prefix search compares: NFKC (full-width letters and digits become ordinary
 * ones), lower case, no white space. Kept on the member as `nameKey`, so a prefix is a range on its index.
 */
export function nameKeyOf(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

/** What a search term looks for: a 12-digit card number, a phone number (as stored: digits, no +86), or a name prefix. */
export type MemberSearchTerm = { kind: 'cardNo'; value: string } | { kind: 'phone'; value: string } | { kind: 'name'; value: string };

export function memberSearchTerm(q: string): MemberSearchTerm | null {
  const term = q.trim();
  if (!term) return null;
  if (/^\d{12}$/.test(term)) return { kind: 'cardNo', value: term };
  if (/^\+?\d{5,20}$/.test(term)) return { kind: 'phone', value: term.replace(/^\+?86(?=1\d{10}$)/, '').replace(/^\+/, '') };
  const key = nameKeyOf(term);
  return key ? { kind: 'name', value: key } : null;
}

const daysSchema = z.number().int().min(1).max(3650);
const tagName = humanText({ max: 32 });

/**
 * The member list's filters. Everything but `q` and `maxPoints` is a segment key under another name (see
 * memberFilterSegment), so the list and a campaign segment with the same choices mean the same members.
 */
export const MemberListFilterSchema = z
  .strictObject({
    q: humanText({ max: 64 }).optional().describe('Card number, phone or the start of a name.'),
    tiers: z.array(TierCodeSchema).min(1).max(10).optional(),
    homeStoreIds: z.array(IdSchema).min(1).max(1000).optional(),
    joinedAfter: IsoDateTimeSchema.optional(),
    joinedBefore: IsoDateTimeSchema.optional(),
    minPoints: z.number().int().min(0).optional(),
    maxPoints: z.number().int().min(0).optional(),
    visitedWithinDays: daysSchema.optional().describe('Purchased within the last N days.'),
    notVisitedWithinDays: daysSchema.optional().describe('No purchase within the last N days (includes members who never purchased).'),
    tags: z.array(tagName).min(1).max(50).optional().describe('Has any of these tags.'),
    boughtCategory: CategoryCodeSchema.optional().describe('Bought something of this category (within boughtWithinDays, default 365).'),
    boughtWithinDays: daysSchema.optional(),
  })
  .superRefine((filter, ctx) => {
    if (filter.joinedAfter && filter.joinedBefore && Date.parse(filter.joinedAfter) >= Date.parse(filter.joinedBefore)) {
      ctx.addIssue({ code: 'custom', path: ['joinedBefore'], message: 'must be after joinedAfter' });
    }
    if (filter.minPoints !== undefined && filter.maxPoints !== undefined && filter.minPoints > filter.maxPoints) {
      ctx.addIssue({ code: 'custom', path: ['maxPoints'], message: 'must not be below minPoints' });
    }
    if (filter.visitedWithinDays !== undefined && filter.notVisitedWithinDays !== undefined && filter.notVisitedWithinDays >= filter.visitedWithinDays) {
      ctx.addIssue({ code: 'custom', path: ['notVisitedWithinDays'], message: 'must be shorter than visitedWithinDays, or no one matches' });
    }
  })
  .meta({ id: 'MemberListFilter', description: 'Which members a list, bulk tag or export covers; keys combine with AND.' });
export type MemberListFilter = z.infer<typeof MemberListFilterSchema>;

/** The filter's segment keys (the part compileSegment answers). */
export function memberFilterSegment(filter: MemberListFilter): Segment {
  const segment: Segment = {};
  if (filter.tiers) segment.tiers = filter.tiers;
  if (filter.homeStoreIds) segment.homeStoreIds = filter.homeStoreIds;
  if (filter.joinedAfter) segment.joinedAfter = filter.joinedAfter;
  if (filter.joinedBefore) segment.joinedBefore = filter.joinedBefore;
  if (filter.minPoints !== undefined) segment.minPointsBalance = filter.minPoints;
  if (filter.visitedWithinDays !== undefined) segment.purchasedWithinDays = filter.visitedWithinDays;
  if (filter.notVisitedWithinDays !== undefined) segment.notPurchasedWithinDays = filter.notVisitedWithinDays;
  if (filter.tags) segment.tags = filter.tags;
  if (filter.boughtCategory) segment.boughtCategory = { category: filter.boughtCategory, withinDays: filter.boughtWithinDays ?? 365 };
  return segment;
}

// A query string carries lists as comma-separated values and numbers as text.
const csvList = <Item extends z.ZodType>(item: Item) =>
  z.preprocess((value) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()).filter(Boolean) : value), z.array(item).min(1).max(1000));

/** GET /admin/members: paging, `withTotal`, and the filter's keys as query parameters (lists comma-separated). */
export const MemberListQuerySchema = ListQuerySchema.extend({
  q: humanText({ max: 64 }).optional().describe('Card number, phone or the start of a name.'),
  tiers: csvList(TierCodeSchema).optional(),
  homeStoreIds: csvList(IdSchema).optional(),
  joinedAfter: IsoDateTimeSchema.optional(),
  joinedBefore: IsoDateTimeSchema.optional(),
  minPoints: z.coerce.number().int().min(0).optional(),
  maxPoints: z.coerce.number().int().min(0).optional(),
  visitedWithinDays: z.coerce.number().int().min(1).max(3650).optional(),
  notVisitedWithinDays: z.coerce.number().int().min(1).max(3650).optional(),
  tags: csvList(tagName).optional(),
  boughtCategory: CategoryCodeSchema.optional(),
  boughtWithinDays: z.coerce.number().int().min(1).max(3650).optional(),
  withTotal: z.enum(['true', 'false']).optional().describe('Count the matches (the first page does by default).'),
}).meta({ id: 'MemberListQuery' });
export type MemberListQuery = z.infer<typeof MemberListQuerySchema>;

export const MemberListItemSchema = MemberSchema.extend({
  tags: z.array(z.string()),
  lastPurchaseAt: IsoDateTimeSchema.nullable(),
}).meta({ id: 'MemberListItem', description: 'A member as HQ lists them: the card view plus tags and last visit.' });
export type MemberListItem = z.infer<typeof MemberListItemSchema>;

export const MemberListPageSchema = z
  .object({
    items: z.array(MemberListItemSchema),
    nextCursor: z.string().nullable(),
    total: z.number().int().min(0).nullable().describe('How many members match; null on later pages unless withTotal=true.'),
    totalCapped: z.boolean().describe('A search (q) counts at most 1,000 matches: true when there are more than `total`.'),
  })
  .meta({ id: 'MemberListPage' });
export type MemberListPage = z.infer<typeof MemberListPageSchema>;

// ---- tags ----

export const MemberTagSchema = z
  .object({ id: IdSchema, name: z.string(), memberCount: z.number().int().min(0), createdAt: IsoDateTimeSchema })
  .meta({ id: 'MemberTag', description: 'A tag HQ puts on members; segments and lists filter by its name.' });
export type MemberTag = z.infer<typeof MemberTagSchema>;

export const MemberTagListSchema = z.object({ items: z.array(MemberTagSchema) }).meta({ id: 'MemberTagList' });

export const MemberTagCreateBodySchema = z.strictObject({ name: tagName }).meta({ id: 'MemberTagCreateBody' });
export type MemberTagCreateBody = z.infer<typeof MemberTagCreateBodySchema>;

/** Either chosen members or everyone a filter matches; tagging twice changes nothing more. */
export const MemberTagApplyBodySchema = z
  .strictObject({
    memberIds: z.array(IdSchema).min(1).max(1000).optional(),
    filter: MemberListFilterSchema.optional(),
  })
  .refine((body) => (body.memberIds === undefined) !== (body.filter === undefined), { message: 'give either memberIds or filter', path: ['memberIds'] })
  .meta({ id: 'MemberTagApplyBody' });
export type MemberTagApplyBody = z.infer<typeof MemberTagApplyBodySchema>;

export const MemberTagApplyAnswerSchema = z
  .object({ matched: z.number().int().min(0), tagged: z.number().int().min(0).describe('Members who did not have the tag before.') })
  .meta({ id: 'MemberTagApplyAnswer' });
export type MemberTagApplyAnswer = z.infer<typeof MemberTagApplyAnswerSchema>;

// ---- exports ----

export const MemberExportFormatSchema = z.enum(['csv', 'xlsx']).meta({ id: 'MemberExportFormat' });
export type MemberExportFormat = z.infer<typeof MemberExportFormatSchema>;

export const MemberExportCreateBodySchema = z
  .strictObject({ format: MemberExportFormatSchema, filter: MemberListFilterSchema.default({}) })
  .meta({ id: 'MemberExportCreateBody' });
export type MemberExportCreateBody = z.infer<typeof MemberExportCreateBodySchema>;

export const MemberExportSchema = z
  .object({
    id: IdSchema,
    format: MemberExportFormatSchema,
    status: z.enum(['running', 'done', 'failed']),
    total: z.number().int().min(0).describe('Members the filter matched when the export started.'),
    written: z.number().int().min(0).describe('Rows written so far.'),
    phonesMasked: z.boolean(),
    fileName: z.string(),
    createdAt: IsoDateTimeSchema,
    finishedAt: IsoDateTimeSchema.nullable(),
  })
  .meta({ id: 'MemberExport', description: 'A member export: poll until done, then download its file.' });
export type MemberExport = z.infer<typeof MemberExportSchema>;

/** The export's columns, in order: header (Chinese, as the file shows it). */
export const MEMBER_EXPORT_COLUMNS = ['卡号', '姓名', '手机号', '等级', '积分', '累计消费(元)', '归属门店', '入会时间', '最近消费', '标签'] as const;

// ---- one member ----

export const MemberCouponGrantBodySchema = z
  .strictObject({ templateId: IdSchema, reason: humanText({ max: 200 }) })
  .meta({ id: 'MemberCouponGrantBody', description: 'HQ gives this member one coupon; needs an Idempotency-Key header (one per attempt).' });
export type MemberCouponGrantBody = z.infer<typeof MemberCouponGrantBodySchema>;

export const MemberCouponGrantAnswerSchema = z
  .object({ coupon: CouponSchema, created: z.boolean().describe('False when this attempt had already issued it.') })
  .meta({ id: 'MemberCouponGrantAnswer' });

// ---- legacy import ----

export const MemberImportBodySchema = z
  .strictObject({
    fileName: humanText({ max: 200 }),
    csv: z.string().min(1).max(900_000).describe('The file as UTF-8 text (a BOM is allowed); header row first.'),
    dryRun: z.boolean(),
  })
  .meta({ id: 'MemberImportBody' });
export type MemberImportBody = z.infer<typeof MemberImportBodySchema>;

export const MemberImportProblemSchema = z
  .object({ row: z.number().int().min(1).describe('Line in the file (the header is line 1).'), column: z.string(), message: z.string() })
  .meta({ id: 'MemberImportProblem' });
export type MemberImportProblem = z.infer<typeof MemberImportProblemSchema>;

export const MemberImportReportSchema = z
  .object({
    id: IdSchema.nullable().describe('The import batch record; null for a dry run.'),
    fileName: z.string(),
    dryRun: z.boolean(),
    rows: z.number().int().min(0),
    valid: z.number().int().min(0),
    created: z.number().int().min(0).describe('Members created (a dry run: that would be).'),
    alreadyImported: z.number().int().min(0).describe('Rows whose legacy card number was imported before: left as they are.'),
    openingPoints: z.number().int().min(0).describe('Points booked as opening balances (a dry run: that would be).'),
    problems: z.array(MemberImportProblemSchema),
    createdAt: IsoDateTimeSchema,
  })
  .meta({ id: 'MemberImportReport' });
export type MemberImportReport = z.infer<typeof MemberImportReportSchema>;
