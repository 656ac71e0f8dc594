import { z } from 'zod';
import { FenSchema, IsoDateTimeSchema, humanText } from '../common';

// Product categories HQ manages (商品品类). A purchase line names its category by code; each category stands
// for a life situation (seed 002: what people buy says who they are — formula and nappies mean young
// parents, fresh produce healthy living), which segments and the member page read.

export const CATEGORY_CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,31}$/;

export const CategoryCodeSchema = z
  .string()
  .regex(CATEGORY_CODE_PATTERN, 'a category code: 2–32 capital letters, digits or _, starting with a letter')
  .meta({ id: 'CategoryCode', description: 'A product category’s code, as purchase lines carry it (e.g. DAIRY).' });

/** The life situations categories are grouped under (what a basket says about the member). */
export const LIFE_SITUATIONS = {
  young_family: { zh: '年轻父母', en: 'Young parents' },
  healthy_living: { zh: '健康生活', en: 'Healthy living' },
  home_cooking: { zh: '居家做饭', en: 'Home cooking' },
  daily_basics: { zh: '日常早餐', en: 'Daily basics' },
  snacks_treats: { zh: '零食饮品', en: 'Snacks & treats' },
  entertaining: { zh: '宴请小酌', en: 'Entertaining' },
  home_care: { zh: '居家清洁', en: 'Home care' },
  personal_care: { zh: '个护美妆', en: 'Beauty & personal care' },
  pet_owners: { zh: '养宠家庭', en: 'Pet owners' },
  busy_professionals: { zh: '忙碌上班族', en: 'Busy professionals' },
} as const;
export type LifeSituation = keyof typeof LIFE_SITUATIONS;
export const LifeSituationSchema = z.enum(Object.keys(LIFE_SITUATIONS) as [LifeSituation, ...LifeSituation[]]).meta({ id: 'LifeSituation' });

export const CategoryStatusSchema = z.enum(['active', 'disabled']).meta({ id: 'CategoryStatus' });

export const CategorySchema = z
  .object({
    code: CategoryCodeSchema,
    name: z.string().describe('Chinese name, shown first.'),
    nameEn: z.string(),
    situation: LifeSituationSchema,
    status: CategoryStatusSchema.describe('Lines may name only active categories; a disabled one stays on past purchases.'),
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
  })
  .meta({ id: 'Category', description: 'A product category purchase lines are booked under.' });
export type Category = z.infer<typeof CategorySchema>;

export const CategoryListSchema = z.object({ items: z.array(CategorySchema) }).meta({ id: 'CategoryList' });

export const CategoryCreateBodySchema = z
  .strictObject({
    code: CategoryCodeSchema,
    name: humanText({ max: 20 }),
    nameEn: humanText({ max: 40 }),
    situation: LifeSituationSchema,
  })
  .meta({ id: 'CategoryCreateBody' });
export type CategoryCreateBody = z.infer<typeof CategoryCreateBodySchema>;

export const CategoryPatchBodySchema = z
  .strictObject({
    name: humanText({ max: 20 }).optional(),
    nameEn: humanText({ max: 40 }).optional(),
    situation: LifeSituationSchema.optional(),
    status: CategoryStatusSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'Change at least one field.' })
  .meta({ id: 'CategoryPatchBody', description: 'Rename, regroup, disable or enable; the code never changes.' });
export type CategoryPatchBody = z.infer<typeof CategoryPatchBodySchema>;

export const CategoryParamsSchema = z.strictObject({ code: CategoryCodeSchema }).meta({ id: 'CategoryParams' });

export const MemberCategoryRowSchema = z
  .object({
    category: z.string(),
    name: z.string().describe('The category’s name now, or its code when it no longer exists.'),
    nameEn: z.string(),
    situation: LifeSituationSchema.nullable(),
    spend12mFen: FenSchema.describe('Line amounts (shelf price, before basket coupons) of the last 12 months, returns taken off.'),
    visits: z.number().int().min(0).describe('Purchases that included the category (reversed ones not counted).'),
    lastBoughtAt: IsoDateTimeSchema,
  })
  .meta({ id: 'MemberCategoryRow' });
export type MemberCategoryRow = z.infer<typeof MemberCategoryRowSchema>;

export const MemberCategoriesSchema = z
  .object({ items: z.array(MemberCategoryRowSchema).describe('Biggest 12-month spend first, then latest bought.') })
  .meta({ id: 'MemberCategories', description: 'What a member buys, by category.' });
export type MemberCategories = z.infer<typeof MemberCategoriesSchema>;
