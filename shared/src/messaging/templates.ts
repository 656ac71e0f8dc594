import { z } from 'zod';
import { KIND_FITS, keywordType, type FieldKind } from './format';

// Every subscribe message the product sends has a purpose, and each purpose is one WeChat template the brand
// picked in its WeChat console: its id and its keywords (`thing1`, `time2`…) are the brand's, so they are
// configuration. Configuration maps each keyword to one of the fields the product supplies for that purpose.

export const MESSAGE_PURPOSES = ['couponArrival', 'pointsExpiry', 'activityReminder', 'activityCancelled', 'waitlistPromoted', 'refundResult', 'storedValueCharge'] as const;
export type MessagePurpose = (typeof MESSAGE_PURPOSES)[number];

/** What each purpose is (as the brand would name the template) and the fields the product fills in for it. */
export const PURPOSE_FIELDS: Record<MessagePurpose, { title: string; fields: Record<string, { kind: FieldKind; means: string }> }> = {
  couponArrival: {
    title: '优惠券到账通知',
    fields: {
      couponName: { kind: 'text', means: '券名称' },
      validUntil: { kind: 'instant', means: '有效期至' },
      note: { kind: 'text', means: '推送文案（温馨提示）' },
    },
  },
  pointsExpiry: {
    title: '积分到期提醒',
    fields: {
      points: { kind: 'count', means: '即将到期的积分' },
      expiresAt: { kind: 'instant', means: '到期时间' },
      note: { kind: 'text', means: '温馨提示' },
    },
  },
  activityReminder: {
    title: '活动开始提醒',
    fields: {
      activityTitle: { kind: 'text', means: '活动名称' },
      startAt: { kind: 'instant', means: '开始时间' },
      note: { kind: 'text', means: '温馨提示' },
    },
  },
  activityCancelled: {
    title: '活动取消通知',
    fields: {
      activityTitle: { kind: 'text', means: '活动名称' },
      startAt: { kind: 'instant', means: '原定时间' },
      note: { kind: 'text', means: '取消原因与退款说明' },
    },
  },
  waitlistPromoted: {
    title: '候补成功通知',
    fields: {
      activityTitle: { kind: 'text', means: '活动名称' },
      startAt: { kind: 'instant', means: '开始时间' },
      note: { kind: 'text', means: '报名状态' },
    },
  },
  refundResult: {
    title: '退款成功通知',
    fields: {
      activityTitle: { kind: 'text', means: '退款项目（活动名称）' },
      refundAmount: { kind: 'money', means: '退款金额' },
      refundedAt: { kind: 'instant', means: '退款时间' },
      note: { kind: 'text', means: '退款原因' },
    },
  },
  storedValueCharge: {
    title: '储值消费通知',
    fields: {
      storeName: { kind: 'text', means: '消费门店' },
      chargeAmount: { kind: 'money', means: '储值支付金额' },
      balance: { kind: 'money', means: '储值余额' },
      chargedAt: { kind: 'instant', means: '消费时间' },
      note: { kind: 'text', means: '温馨提示' },
    },
  },
};

export const SubscribeTemplateSchema = z.strictObject({
  id: z.string().min(1).max(128).describe('The template id from the WeChat console (订阅消息 → 我的模板).'),
  keywords: z
    .record(z.string(), z.string())
    .refine((map) => Object.keys(map).length > 0, 'at least one keyword')
    .describe('Template keyword (thing1, time2…) → the product field it shows.'),
}).meta({ id: 'SubscribeTemplate' });
export type SubscribeTemplate = z.infer<typeof SubscribeTemplateSchema>;
export type SubscribeTemplates = Record<MessagePurpose, SubscribeTemplate>;

/**
 * Checks a whole template configuration: every purpose present, each keyword a WeChat keyword, each mapped to a
 * field of that purpose whose kind fits the keyword's type, and no two purposes on one template id (each accept
 * buys one message of one purpose). Answers the first problem as one line naming it.
 */
export function parseSubscribeTemplates(input: unknown): { ok: true; value: SubscribeTemplates } | { ok: false; problem: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, problem: 'expected an object of purposes' };
  const record = input as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !(MESSAGE_PURPOSES as readonly string[]).includes(key));
  if (unknown) return { ok: false, problem: `${unknown} is not a message purpose (${MESSAGE_PURPOSES.join(', ')})` };
  const value = {} as SubscribeTemplates;
  const owners = new Map<string, MessagePurpose>();
  for (const purpose of MESSAGE_PURPOSES) {
    if (record[purpose] === undefined) return { ok: false, problem: `${purpose} is missing (the ${PURPOSE_FIELDS[purpose].title} template)` };
    const parsed = SubscribeTemplateSchema.safeParse(record[purpose]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { ok: false, problem: `${[purpose, ...issue.path.map(String)].join('.')}: ${issue.message}` };
    }
    const previous = owners.get(parsed.data.id);
    if (previous) return { ok: false, problem: `${purpose}.id: the same template as ${previous}` };
    owners.set(parsed.data.id, purpose);
    const fields = PURPOSE_FIELDS[purpose].fields;
    for (const [keyword, field] of Object.entries(parsed.data.keywords)) {
      const type = keywordType(keyword);
      if (!type) return { ok: false, problem: `${purpose}.keywords.${keyword}: not a WeChat keyword (thing1, time2, amount3…)` };
      const definition = fields[field];
      if (!definition) return { ok: false, problem: `${purpose}.keywords.${keyword}: ${field} is not a field of ${purpose} (${Object.keys(fields).join(', ')})` };
      if (!KIND_FITS[definition.kind].includes(type)) return { ok: false, problem: `${purpose}.keywords.${keyword}: ${field} cannot fill a ${type} keyword` };
    }
    value[purpose] = parsed.data;
  }
  return { ok: true, value };
}

/** The template ids by purpose: what the mini-program passes to wx.requestSubscribeMessage. */
export function templateIds(templates: SubscribeTemplates): Record<MessagePurpose, string> {
  return Object.fromEntries(MESSAGE_PURPOSES.map((purpose) => [purpose, templates[purpose].id])) as Record<MessagePurpose, string>;
}

export const MessagePurposeParamsSchema = z.strictObject({ purpose: z.enum(MESSAGE_PURPOSES) }).meta({ id: 'MessagePurposeParams' });

/** One purpose as HQ sees it: what it is, the fields a keyword can show, and the template in force (and whence). */
export const SubscribeTemplateSettingSchema = z
  .object({
    purpose: z.enum(MESSAGE_PURPOSES),
    title: z.string(),
    fields: z.array(z.object({ name: z.string(), kind: z.enum(['text', 'count', 'money', 'instant']), means: z.string() })),
    template: z.object({ id: z.string(), keywords: z.record(z.string(), z.string()) }),
    source: z.enum(['environment', 'hq']).describe('environment: SUBSCRIBE_TEMPLATES (or the demo samples); hq: set in the console, replacing it.'),
  })
  .meta({ id: 'SubscribeTemplateSetting' });
export type SubscribeTemplateSetting = z.infer<typeof SubscribeTemplateSettingSchema>;

export const SubscribeTemplateSettingsSchema = z.object({ items: z.array(SubscribeTemplateSettingSchema) }).meta({ id: 'SubscribeTemplateSettings' });
export type SubscribeTemplateSettings = z.infer<typeof SubscribeTemplateSettingsSchema>;

/** What HQ sets for a purpose (the template from its WeChat console). */
export const SubscribeTemplateBodySchema = z.strictObject(SubscribeTemplateSchema.shape).meta({ id: 'SubscribeTemplateBody' });
