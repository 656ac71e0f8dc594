import { AdminSignupSchema, ActivityStatusSchema, SignupStatusSchema } from '../activities/schema';
import { EntrySourceSchema } from '../acquisition/schema';
import { AutomationRuleKindSchema } from '../campaigns/marketing';
import { CampaignStatusSchema } from '../campaigns/schema';
import { CouponStatusSchema, CouponTemplateStatusSchema, CouponTypeSchema, RedemptionCodeBatchSchema, RedemptionSchema } from '../coupons/schema';
import { GenderSchema, StaffRoleSchema } from '../members/schema';
import { MESSAGE_PURPOSES } from '../messaging/templates';
import { HqRoleSchema, StaffAccountSchema } from '../org/schema';
import { PaymentAlertSchema } from '../payments/schema';
import { LedgerSourceSchema, PurchaseStatusSchema } from '../points/schema';
import { PosCredentialSchema, PosOrderSchema } from '../pos/schema';
import { WEBHOOK_EVENT_TYPES, WebhookDeliverySchema, WebhookEndpointSchema } from '../webhooks';
import {
  ACTIVITY_STATUS_LABELS,
  AUDIT_ACTIONS,
  AUDIT_TARGET_LABELS,
  AUTOMATION_RULE_KIND_LABELS,
  CAMPAIGN_STATUS_LABELS,
  CODE_BATCH_STATUS_LABELS,
  COUPON_STATUS_LABELS,
  COUPON_TEMPLATE_STATUS_LABELS,
  COUPON_TYPE_LABELS,
  ENTRY_SOURCE_LABELS,
  GENDER_LABELS,
  HQ_ROLE_LABELS,
  LEDGER_SOURCE_LABELS,
  MESSAGE_PURPOSE_LABELS,
  NO_STORE_KEY,
  PAYMENT_ALERT_KIND_LABELS,
  POS_KEY_STATUS_LABELS,
  POS_ORDER_STATUS_LABELS,
  PURCHASE_STATUS_LABELS,
  REDEMPTION_STATUS_LABELS,
  SIGNUP_PAYMENT_STATUS_LABELS,
  SIGNUP_STATUS_LABELS,
  STAFF_ROLE_LABELS,
  STORE_ROLE_LABELS,
  WEBHOOK_DELIVERY_STATUS_LABELS,
  WEBHOOK_ENDPOINT_STATUS_LABELS,
  WEBHOOK_EVENT_TYPE_LABELS,
  accountRoleLabel,
  auditChanges,
  auditSentence,
  labelOf,
  passwordRuleMessage,
  storeLabel,
  type Label,
} from './index';

const options = (schema: { options: readonly string[] }) => [...schema.options].sort();
const keys = (labels: Record<string, Label>) => Object.keys(labels).sort();
const HAN = /\p{Script=Han}/u;

// The types already refuse a missing label; this checks the same at run time against the schemas
// themselves (a map typed by a hand-written union would not notice an enum that grew).
const dictionaries: Array<[string, Record<string, Label>, readonly string[]]> = [
  ['coupon status', COUPON_STATUS_LABELS, options(CouponStatusSchema)],
  ['coupon type', COUPON_TYPE_LABELS, options(CouponTypeSchema)],
  ['coupon template status', COUPON_TEMPLATE_STATUS_LABELS, options(CouponTemplateStatusSchema)],
  ['sign-up status', SIGNUP_STATUS_LABELS, options(SignupStatusSchema)],
  ['sign-up payment status', SIGNUP_PAYMENT_STATUS_LABELS, options(AdminSignupSchema.shape.paymentStatus.unwrap())],
  ['payment alert kind', PAYMENT_ALERT_KIND_LABELS, options(PaymentAlertSchema.shape.kind)],
  ['activity status', ACTIVITY_STATUS_LABELS, options(ActivityStatusSchema)],
  ['campaign status', CAMPAIGN_STATUS_LABELS, options(CampaignStatusSchema)],
  ['automation rule kind', AUTOMATION_RULE_KIND_LABELS, options(AutomationRuleKindSchema)],
  ['account role', STAFF_ROLE_LABELS, options(StaffAccountSchema.shape.role)],
  ['store role', STORE_ROLE_LABELS, options(StaffRoleSchema)],
  ['HQ role', HQ_ROLE_LABELS, options(HqRoleSchema)],
  ['ledger source', LEDGER_SOURCE_LABELS, options(LedgerSourceSchema)],
  ['purchase status', PURCHASE_STATUS_LABELS, options(PurchaseStatusSchema)],
  ['POS order status', POS_ORDER_STATUS_LABELS, options(PosOrderSchema.shape.status)],
  ['redemption status', REDEMPTION_STATUS_LABELS, options(RedemptionSchema.shape.status)],
  ['code batch status', CODE_BATCH_STATUS_LABELS, options(RedemptionCodeBatchSchema.shape.status)],
  ['POS key status', POS_KEY_STATUS_LABELS, options(PosCredentialSchema.shape.status)],
  ['webhook endpoint status', WEBHOOK_ENDPOINT_STATUS_LABELS, options(WebhookEndpointSchema.shape.status)],
  ['webhook delivery status', WEBHOOK_DELIVERY_STATUS_LABELS, options(WebhookDeliverySchema.shape.status)],
  ['webhook event type', WEBHOOK_EVENT_TYPE_LABELS, [...WEBHOOK_EVENT_TYPES].sort()],
  ['message purpose', MESSAGE_PURPOSE_LABELS, [...MESSAGE_PURPOSES].sort()],
  ['entry source', ENTRY_SOURCE_LABELS, options(EntrySourceSchema)],
  ['gender', GENDER_LABELS, options(GenderSchema)],
];

describe('the label dictionary', () => {
  test.each(dictionaries)('%s: a label for every value of the schema, and none for values it does not have', (_name, labels, values) => {
    expect(keys(labels)).toEqual(values);
  });

  test.each(dictionaries)('%s: Chinese in Chinese, English in English, never the raw value', (_name, labels) => {
    for (const [value, label] of Object.entries(labels)) {
      expect(label.zh).toMatch(HAN);
      expect(label.en).not.toMatch(HAN);
      expect(label.en.length).toBeGreaterThan(0);
      expect(label.zh).not.toBe(value);
      expect(label.en).not.toBe(value);
    }
  });

  test('audit actions and target kinds read in both languages, each sentence naming its target where it has one', () => {
    for (const [action, text] of Object.entries(AUDIT_ACTIONS)) {
      expect(text.label.zh).toMatch(HAN);
      expect(text.sentence.zh).toMatch(HAN);
      expect(text.label.en).not.toMatch(HAN);
      expect(text.sentence.en).not.toMatch(HAN);
      // Settings-wide actions have no named target; every other sentence says which record it changed.
      if (!['tiers.update', 'earn_rules.update', 'marketing_settings.update', 'settings.checkin_window', 'brand.update'].includes(action)) {
        expect(text.sentence.zh).toContain('{target}');
        expect(text.sentence.en).toContain('{target}');
      }
    }
    for (const label of Object.values(AUDIT_TARGET_LABELS)) expect(label.zh).toMatch(HAN);
  });

  test('the store placeholder and roles', () => {
    const names = new Map([['SH01', '上海南京西路店']]);
    expect(storeLabel(NO_STORE_KEY, (id) => names.get(id), 'zh')).toBe('未指定门店');
    expect(storeLabel(null, (id) => names.get(id), 'en')).toBe('No home store');
    expect(storeLabel('SH01', (id) => names.get(id), 'zh')).toBe('上海南京西路店');
    expect(accountRoleLabel('hq', 'marketing', 'zh')).toBe('总部 · 市场');
    expect(accountRoleLabel('hq', null, 'zh')).toBe('总部 · 管理员');
    expect(accountRoleLabel('clerk', null, 'zh')).toBe('店员');
    expect(labelOf(COUPON_STATUS_LABELS, 'redeemed', 'zh')).toBe('已核销');
    expect(labelOf(COUPON_STATUS_LABELS, undefined, 'zh')).toBe('—');
  });

  test('one wording of the password rules for the console and the till', () => {
    expect(passwordRuleMessage('at least 10 characters', 'zh', 10)).toBe('至少 10 位');
    expect(passwordRuleMessage('too common or too easy to guess', 'zh', 10)).toBe('密码太常见或太容易猜到，请换一个');
    expect(passwordRuleMessage('must not contain the username', 'en', 10)).toBe('Must not contain the username');
    expect(passwordRuleMessage('something new', 'zh', 10)).toBe('密码不符合要求，请换一个');
  });
});

describe('audit sentences and changes', () => {
  test('given a named target, the sentence names it; given none, its kind and a short id', () => {
    expect(auditSentence({ action: 'points.adjust', targetType: 'member', targetId: '65f000000000000000000abc', targetName: '张三' }, 'zh')).toBe('为会员 张三 调整积分');
    expect(auditSentence({ action: 'points.adjust', targetType: 'member', targetId: '65f000000000000000000abc' }, 'zh')).toBe('为会员 会员 #000abc 调整积分');
    expect(auditSentence({ action: 'campaign.launch', targetType: 'campaign', targetId: 'x', targetName: '双十一' }, 'en')).toBe('Launched campaign 双十一');
    expect(auditSentence({ action: 'automation_rule.update', targetType: 'automation_rule', targetId: 'birthday' }, 'zh')).toBe('修改自动化规则 生日礼');
    expect(auditSentence({ action: 'subscribe_template.update', targetType: 'settings', targetId: 'subscribeTemplates.pointsExpiry' }, 'zh')).toBe('修改订阅消息模板 积分到期提醒');
  });

  test('given a status change, only the changed fields, with labels and words for enum values', () => {
    const changes = auditChanges({ targetType: 'campaign', before: { status: 'draft' }, after: { status: 'running', audience: 1200 } }, { lang: 'zh' });
    expect(changes).toEqual([
      { field: 'status', label: '状态', before: '草稿', after: '推送中' },
      { field: 'audience', label: '目标人数', before: null, after: '1,200' },
    ]);
  });

  test('given an account change, roles, stores, booleans and unchanged fields', () => {
    const storeName = (id: string) => (id === 'SH01' ? '上海店' : undefined);
    const changes = auditChanges(
      {
        targetType: 'staff',
        before: { id: 'a', name: '李四', role: 'clerk', storeId: 'SH01', active: true },
        after: { id: 'a', name: '李四', role: 'manager', storeId: 'SH01', active: false, sessions: 'ended' },
      },
      { lang: 'zh', storeName },
    );
    expect(changes.map((c) => [c.label, c.before, c.after])).toEqual([
      ['角色', '店员', '店长'],
      ['启用', '是', '否'],
      ['登录状态', null, '已全部退出'],
    ]);
  });

  test('given a share and an empty condition, a percentage and a dash', () => {
    const changes = auditChanges({ targetType: 'campaign', before: null, after: { holdoutShare: 0.1, segment: {} } }, { lang: 'zh' });
    expect(changes.map((c) => [c.label, c.after])).toEqual([
      ['对照组比例', '10%'],
      ['人群条件', '—'],
    ]);
  });

  test('given references by ObjectId, they are left out: the sentence names the target', () => {
    const changes = auditChanges({ targetType: 'coupon', before: null, after: { templateId: '65f000000000000000000abc', memberId: '65f000000000000000000abd', couponId: '65f000000000000000000abe' } }, { lang: 'zh' });
    expect(changes).toEqual([]);
  });

  test('given money and times, yuan and China time', () => {
    const changes = auditChanges({ targetType: 'purchase', before: null, after: { amountFen: 173150, validUntil: '2026-01-31T16:00:00.000Z' } }, { lang: 'zh' });
    expect(changes).toEqual([
      { field: 'amountFen', label: '金额', before: null, after: '¥1,731.50' },
      { field: 'validUntil', label: '失效时间', before: null, after: '2026-02-01 00:00' },
    ]);
  });
});
