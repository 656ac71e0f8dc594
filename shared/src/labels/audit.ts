import {
  ACTIVITY_STATUS_LABELS,
  AUTOMATION_RULE_KIND_LABELS,
  CAMPAIGN_STATUS_LABELS,
  CODE_BATCH_STATUS_LABELS,
  COUPON_STATUS_LABELS,
  COUPON_TEMPLATE_STATUS_LABELS,
  COUPON_TYPE_LABELS,
  HQ_ROLE_LABELS,
  MESSAGE_PURPOSE_LABELS,
  PAYMENT_ALERT_KIND_LABELS,
  POS_KEY_STATUS_LABELS,
  PURCHASE_STATUS_LABELS,
  REDEMPTION_STATUS_LABELS,
  SIGNUP_STATUS_LABELS,
  STAFF_ROLE_LABELS,
  WEBHOOK_DELIVERY_STATUS_LABELS,
  WEBHOOK_ENDPOINT_STATUS_LABELS,
  labelOf,
  type Label,
  type Lang,
  type LabelsOf,
} from './enums';

// What the audit log says: each action the server records, as a label (filters) and as a sentence with
// the target's name ("为会员 张三 调整积分"); each kind of target; and the fields of before/after, so a
// change reads as 字段: 旧值 → 新值 instead of JSON.

export interface AuditActionText {
  /** For filters and tags. */
  readonly label: Label;
  /** A sentence; `{target}` is replaced by the target's name (or its kind and id when it has none). */
  readonly sentence: Label;
}

const a = (zh: string, en: string, sentenceZh: string, sentenceEn: string): AuditActionText => ({ label: { zh, en }, sentence: { zh: sentenceZh, en: sentenceEn } });

/**
 * Every action the server records (server/src/modules/audit/service.ts types `action` by these keys, so
 * recording a new action without its words fails typecheck).
 */
export const AUDIT_ACTIONS = {
  'security.login_failures': a('安全提醒：登录失败异常', 'Security: unusual sign-in failures', '账号 {target} 登录连续失败', 'Sign-ins to account {target} keep failing'),
  'security.scan_failures': a('安全提醒：无效码过多', 'Security: too many invalid codes', '{target} 扫到的无效码过多', '{target} scanned too many invalid codes'),
  'security.pos_phone_lookups': a('安全提醒：收银系统手机号查询过多', 'Security: too many POS phone look-ups', '{target} 的收银系统按手机号查会员过多', 'The POS of {target} looked up too many phone numbers'),
  'staff.create': a('新建账号', 'Account created', '新建账号 {target}', 'Created account {target}'),
  'staff.update': a('修改账号', 'Account changed', '修改账号 {target}（角色、门店、停用/启用或重置密码）', 'Changed account {target} (role, store, access or password)'),
  'staff.password.change': a('本人修改密码', 'Own password changed', '{target} 修改了自己的密码', '{target} changed their own password'),
  'store.create': a('新建门店', 'Store created', '新建门店 {target}', 'Opened store {target}'),
  'store.update': a('修改门店', 'Store changed', '修改门店 {target}', 'Changed store {target}'),
  'points.adjust': a('积分调整', 'Points adjusted', '为会员 {target} 调整积分', 'Adjusted the points of member {target}'),
  'purchase.create': a('登记消费', 'Purchase recorded', '登记消费 {target}', 'Recorded purchase {target}'),
  'purchase.reverse': a('撤销消费', 'Purchase reversed', '冲正消费 {target}', 'Reversed purchase {target}'),
  'redemption.create': a('核销优惠券', 'Coupon redeemed', '核销优惠券 {target}', 'Redeemed coupon {target}'),
  'redemption.reverse': a('撤销核销', 'Redemption reversed', '撤销优惠券 {target} 的核销', 'Reversed the redemption of coupon {target}'),
  'stored_value.charge': a('储值支付', 'Paid with stored value', '会员 {target} 用储值余额支付', 'Member {target} paid with stored value'),
  'stored_value.refund': a('储值支付退款', 'Stored-value payment refunded', '退回会员 {target} 的储值支付', 'Refunded a stored-value payment of member {target}'),
  'coupon.grant': a('发放优惠券', 'Coupon granted', '发放优惠券 {target}', 'Granted coupon {target}'),
  'member_tag.create': a('新建会员标签', 'Member tag created', '新建会员标签 {target}', 'Created member tag {target}'),
  'member_tag.apply': a('批量打标签', 'Members tagged', '为会员批量添加标签 {target}', 'Tagged members with {target}'),
  'member_tag.remove': a('批量移除标签', 'Tag removed from members', '从会员批量移除标签 {target}', 'Removed tag {target} from members'),
  'member_export.create': a('导出会员', 'Members exported', '导出会员名单 {target}', 'Exported members {target}'),
  'member_import.run': a('导入会员', 'Members imported', '从旧系统导入会员 {target}', 'Imported members {target} from a legacy system'),
  'coupon_template.create': a('新建券模板', 'Coupon template created', '新建券模板 {target}', 'Created coupon template {target}'),
  'coupon_template.update': a('修改券模板', 'Coupon template changed', '修改券模板 {target}', 'Changed coupon template {target}'),
  'coupon_template.archive': a('停用券模板', 'Coupon template archived', '停用券模板 {target}', 'Archived coupon template {target}'),
  'redemption_code_batch.create': a('生成兑换码', 'Redemption codes created', '生成兑换码批次 {target}', 'Created code batch {target}'),
  'redemption_code_batch.void': a('作废兑换码', 'Redemption codes voided', '作废兑换码批次 {target}', 'Voided code batch {target}'),
  'campaign.create': a('新建营销活动', 'Campaign created', '新建营销活动 {target}', 'Created campaign {target}'),
  'campaign.launch': a('发起营销活动', 'Campaign launched', '发起营销活动 {target}', 'Launched campaign {target}'),
  'campaign.schedule': a('定时发起营销活动', 'Campaign scheduled', '定时发起营销活动 {target}', 'Scheduled campaign {target}'),
  'campaign.unschedule': a('取消定时发起', 'Campaign unscheduled', '取消营销活动 {target} 的定时发起', 'Unscheduled campaign {target}'),
  'campaign.pause': a('暂停营销活动', 'Campaign paused', '暂停营销活动 {target}', 'Paused campaign {target}'),
  'campaign.resume': a('恢复营销活动', 'Campaign resumed', '恢复营销活动 {target}', 'Resumed campaign {target}'),
  'segment.create': a('新建人群', 'Segment created', '新建人群 {target}', 'Created segment {target}'),
  'segment.delete': a('删除人群', 'Segment deleted', '删除人群 {target}', 'Deleted segment {target}'),
  'category.create': a('新建商品品类', 'Category created', '新建商品品类 {target}', 'Created category {target}'),
  'category.update': a('修改商品品类', 'Category changed', '修改商品品类 {target}', 'Changed category {target}'),
  'category.delete': a('删除商品品类', 'Category deleted', '删除商品品类 {target}', 'Deleted category {target}'),
  'offer_pool.put': a('调整个性化券池', 'Offer pool changed', '将券模板 {target} 放入个性化券池（或修改）', 'Put coupon template {target} in the offer pool (or changed it)'),
  'offer_pool.remove': a('移出个性化券池', 'Offer removed from pool', '将券模板 {target} 移出个性化券池', 'Took coupon template {target} out of the offer pool'),
  'offer_run.launch': a('发起个性化发券', 'Personalised run launched', '发起个性化发券 {target}', 'Launched personalised run {target}'),
  'offer_schedule.update': a('修改个性化发券周期', 'Offer schedule changed', '修改 {target}', 'Changed the {target}'),
  'automation_rule.update': a('修改自动化规则', 'Automation rule changed', '修改自动化规则 {target}', 'Changed automation rule {target}'),
  'activity.create': a('新建活动', 'Activity created', '新建活动 {target}', 'Created activity {target}'),
  'activity.update': a('修改活动', 'Activity changed', '修改活动 {target}', 'Changed activity {target}'),
  'activity.publish': a('发布活动', 'Activity published', '发布活动 {target}', 'Published activity {target}'),
  'activity.cancel': a('取消活动', 'Activity cancelled', '取消活动 {target}', 'Cancelled activity {target}'),
  'activity.checkin': a('活动签到', 'Activity check-in', '为 {target} 办理活动签到', 'Checked in {target}'),
  'tiers.update': a('修改会员等级', 'Tiers changed', '修改会员等级设置', 'Changed the tiers'),
  'earn_rules.update': a('修改积分规则', 'Earn rules changed', '修改积分规则', 'Changed the earn rules'),
  'marketing_settings.update': a('修改营销设置', 'Marketing settings changed', '修改营销设置（频次上限、积分价值）', 'Changed the marketing settings'),
  'referral_terms.update': a('修改邀请有礼规则', 'Referral terms changed', '修改{target}规则（奖励、首单门槛、有效期）', 'Changed the {target} terms (rewards, first-purchase minimum, window)'),
  'brand.update': a('修改品牌设置', 'Brand changed', '修改品牌设置（名称、颜色、标志或卡面）', 'Changed the brand (name, colours, logo or card art)'),
  'settings.checkin_window': a('修改签到时间窗', 'Check-in window changed', '修改活动签到时间窗', 'Changed the check-in window'),
  'subscribe_template.update': a('修改订阅消息模板', 'Subscribe template changed', '修改订阅消息模板 {target}', 'Changed subscribe template {target}'),
  'payment.alert.resolve': a('支付提醒已处理', 'Payment alert handled', '标记支付提醒 {target} 已处理', 'Marked payment alert {target} handled'),
  'stored_value.settings.update': a('修改储值设置', 'Stored-value settings changed', '修改{target}（扣款顺序、上限、确认金额、退款规则）', 'Changed the {target} (charge order, caps, confirmation amount, refund rule)'),
  'topup_rule.create': a('新建充值方案', 'Top-up rule created', '新建充值方案 {target}', 'Created top-up rule {target}'),
  'topup_rule.update': a('修改充值方案', 'Top-up rule changed', '修改充值方案 {target}', 'Changed top-up rule {target}'),
  'stored_value.refund_request.approve': a('同意储值退款', 'Stored-value refund approved', '同意会员 {target} 的储值余额退款，原路退回微信支付', 'Approved the stored-value refund of member {target} to WeChat Pay'),
  'stored_value.refund_request.reject': a('驳回储值退款', 'Stored-value refund rejected', '驳回会员 {target} 的储值余额退款申请', 'Rejected the stored-value refund request of member {target}'),
  'pos.credential.create': a('新建收银系统密钥', 'POS key created', '新建收银系统密钥 {target}', 'Created POS key {target}'),
  'pos.credential.rotate': a('轮换收银系统密钥', 'POS key rotated', '轮换收银系统密钥 {target}', 'Rotated POS key {target}'),
  'pos.credential.revoke': a('停用收银系统密钥', 'POS key revoked', '停用收银系统密钥 {target}', 'Revoked POS key {target}'),
  'pos.return': a('收银系统退货', 'POS return', '收银系统登记退货，原消费 {target}', 'POS return of purchase {target}'),
  'webhook.endpoint.create': a('新建事件推送地址', 'Webhook endpoint created', '新建事件推送地址 {target}', 'Created webhook endpoint {target}'),
  'webhook.endpoint.update': a('修改事件推送地址', 'Webhook endpoint changed', '修改事件推送地址 {target}', 'Changed webhook endpoint {target}'),
  'webhook.delivery.redeliver': a('重新推送事件', 'Webhook event redelivered', '重新推送事件 {target}', 'Redelivered event {target}'),
  'wechat_member_card.design': a('修改微信会员卡', 'WeChat member card changed', '修改并发布微信会员卡 {target}', 'Changed and published WeChat member card {target}'),
  'wechat_member_card.retry': a('重试会员卡同步', 'Member card sync retried', '重新同步微信会员卡 {target}', 'Retried the WeChat member card sync {target}'),
} as const satisfies Record<string, AuditActionText>;
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/** Actions the server writes on its own when failures look like an attack (sign-in and code look-up limits). */
export const SECURITY_ACTION_PREFIX = 'security.';
/** The audit filter that lists every security alert (the server reads `security.*` as a prefix). */
export const SECURITY_ACTIONS_FILTER = 'security.*';
export const isSecurityAction = (action: string): boolean => action.startsWith(SECURITY_ACTION_PREFIX);

/** The kinds of record an audit entry is about. */
export const AUDIT_TARGET_LABELS = {
  member: { zh: '会员', en: 'Member' },
  member_tag: { zh: '会员标签', en: 'Member tag' },
  member_export: { zh: '会员导出', en: 'Member export' },
  member_import: { zh: '会员导入', en: 'Member import' },
  staff: { zh: '账号', en: 'Account' },
  store: { zh: '门店', en: 'Store' },
  purchase: { zh: '消费', en: 'Purchase' },
  redemption: { zh: '核销', en: 'Redemption' },
  coupon: { zh: '优惠券', en: 'Coupon' },
  coupon_template: { zh: '券模板', en: 'Coupon template' },
  redemption_code_batch: { zh: '兑换码批次', en: 'Code batch' },
  campaign: { zh: '营销活动', en: 'Campaign' },
  segment: { zh: '人群', en: 'Segment' },
  automation_rule: { zh: '自动化规则', en: 'Automation rule' },
  activity: { zh: '门店活动', en: 'Activity' },
  signup: { zh: '活动报名', en: 'Sign-up' },
  settings: { zh: '设置', en: 'Settings' },
  payment: { zh: '支付', en: 'Payment' },
  topup_rule: { zh: '充值方案', en: 'Top-up rule' },
  pos_credential: { zh: '收银系统密钥', en: 'POS key' },
  webhook_endpoint: { zh: '事件推送地址', en: 'Webhook endpoint' },
  webhook_delivery: { zh: '事件推送记录', en: 'Webhook delivery' },
  wechat_member_card: { zh: '微信会员卡', en: 'WeChat member card' },
  category: { zh: '商品品类', en: 'Category' },
  offer_run: { zh: '个性化发券', en: 'Personalised run' },
} as const satisfies Record<string, Label>;
export type AuditTargetType = keyof typeof AUDIT_TARGET_LABELS;

/** The settings an HQ write changes (an audit entry's targetId when its targetType is `settings`). */
export const SETTINGS_TARGET_LABELS: Record<string, Label> = {
  tiers: { zh: '会员等级', en: 'Tiers' },
  earnRules: { zh: '积分规则', en: 'Earn rules' },
  marketing: { zh: '营销设置', en: 'Marketing settings' },
  program: { zh: '签到时间窗', en: 'Check-in window' },
  'stored-value': { zh: '储值设置', en: 'Stored-value settings' },
  'offer-schedule': { zh: '个性化发券周期', en: 'Offer schedule' },
  referral: { zh: '邀请有礼', en: 'Referral' },
  brand: { zh: '品牌设置', en: 'Brand' },
};

export function auditActionLabel(action: string, lang: Lang): string {
  const text = (AUDIT_ACTIONS as Record<string, AuditActionText | undefined>)[action];
  return text ? text.label[lang] : action;
}

export function auditTargetLabel(targetType: string, lang: Lang): string {
  const label = (AUDIT_TARGET_LABELS as Record<string, Label | undefined>)[targetType];
  return label ? label[lang] : targetType;
}

/**
 * What a target is called: the name the server read (a member's, a campaign's, an order number); for
 * automation rules and settings, the dictionary's words for their key; else its kind and a short id.
 */
export function auditTargetName(entry: { targetType: string; targetId: string; targetName?: string | null }, lang: Lang): string {
  if (entry.targetName) return entry.targetName;
  if (entry.targetType === 'automation_rule') return labelOf(AUTOMATION_RULE_KIND_LABELS, entry.targetId, lang);
  if (entry.targetType === 'settings') {
    const purpose = /^subscribeTemplates\.(.+)$/.exec(entry.targetId)?.[1];
    if (purpose) return labelOf(MESSAGE_PURPOSE_LABELS, purpose, lang);
    const setting = SETTINGS_TARGET_LABELS[entry.targetId];
    if (setting) return setting[lang];
  }
  return `${auditTargetLabel(entry.targetType, lang)} ${shortId(entry.targetId)}`;
}

/** The sentence of an entry: the action's words with the target's name in them. */
export function auditSentence(entry: { action: string; targetType: string; targetId: string; targetName?: string | null }, lang: Lang): string {
  const text = (AUDIT_ACTIONS as Record<string, AuditActionText | undefined>)[entry.action];
  const target = auditTargetName(entry, lang);
  if (!text) return `${entry.action} ${target}`;
  return text.sentence[lang].replace('{target}', target);
}

/** An ObjectId is 24 hex digits: shown as its last 6, enough to tell two apart, not a wall of hex. */
export function shortId(id: string): string {
  return /^[0-9a-f]{24}$/i.test(id) ? `#${id.slice(-6)}` : id;
}

// ---- before / after as a list of changed fields ----

/** What each field of a before/after means to a person. */
export const AUDIT_FIELD_LABELS: Record<string, Label> = {
  name: { zh: '名称', en: 'Name' },
  title: { zh: '标题', en: 'Title' },
  username: { zh: '账号', en: 'Username' },
  role: { zh: '角色', en: 'Role' },
  hqRole: { zh: '总部角色', en: 'HQ role' },
  storeId: { zh: '门店', en: 'Store' },
  storeIds: { zh: '适用门店', en: 'Stores' },
  homeStoreId: { zh: '归属门店', en: 'Home store' },
  city: { zh: '城市', en: 'City' },
  active: { zh: '启用', en: 'Active' },
  status: { zh: '状态', en: 'Status' },
  couponStatus: { zh: '券状态', en: 'Coupon status' },
  mustChangePassword: { zh: '须改密码', en: 'Must change password' },
  passwordReset: { zh: '重置密码', en: 'Password reset' },
  passwordChanged: { zh: '已改密码', en: 'Password changed' },
  sessions: { zh: '登录状态', en: 'Sessions' },
  delta: { zh: '变动积分', en: 'Points change' },
  balanceAfter: { zh: '变动后余额', en: 'Balance after' },
  reason: { zh: '原因', en: 'Reason' },
  note: { zh: '备注', en: 'Note' },
  orderNo: { zh: '订单号', en: 'Order no.' },
  returnNo: { zh: '退货单号', en: 'Return no.' },
  amountFen: { zh: '金额', en: 'Amount' },
  orderAmountFen: { zh: '订单金额', en: 'Order amount' },
  netFen: { zh: '退货金额', en: 'Returned amount' },
  pointsEarned: { zh: '获得积分', en: 'Points earned' },
  pointsTakenBack: { zh: '扣回积分', en: 'Points taken back' },
  pointsReversed: { zh: '冲回积分', en: 'Points reversed' },
  pointsAwarded: { zh: '奖励积分', en: 'Points awarded' },
  points: { zh: '积分', en: 'Points' },
  tierBefore: { zh: '原等级', en: 'Tier before' },
  tierAfter: { zh: '新等级', en: 'Tier after' },
  type: { zh: '券类型', en: 'Coupon type' },
  minSpendFen: { zh: '最低消费', en: 'Minimum spend' },
  amountOffFen: { zh: '减免金额', en: 'Amount off' },
  percentOff: { zh: '折扣（减免%）', en: 'Percent off' },
  maxOffFen: { zh: '最多减免', en: 'Max off' },
  giftName: { zh: '礼品', en: 'Gift' },
  validFrom: { zh: '生效时间', en: 'Valid from' },
  validUntil: { zh: '失效时间', en: 'Valid until' },
  validDays: { zh: '有效天数', en: 'Valid days' },
  totalQuantity: { zh: '发放总量', en: 'Total quantity' },
  perMemberLimit: { zh: '每人限领', en: 'Per-member limit' },
  issuedCount: { zh: '已发放', en: 'Issued' },
  tiers: { zh: '等级', en: 'Tiers' },
  templateId: { zh: '券模板', en: 'Coupon template' },
  couponId: { zh: '优惠券', en: 'Coupon' },
  memberId: { zh: '会员', en: 'Member' },
  entryId: { zh: '流水', en: 'Ledger entry' },
  count: { zh: '数量', en: 'Count' },
  expiresAt: { zh: '过期时间', en: 'Expires' },
  audience: { zh: '目标人数', en: 'Audience' },
  segment: { zh: '人群条件', en: 'Segment' },
  message: { zh: '消息', en: 'Message' },
  description: { zh: '说明', en: 'Description' },
  startAt: { zh: '开始时间', en: 'Starts' },
  endAt: { zh: '结束时间', en: 'Ends' },
  signupClosesAt: { zh: '报名截止', en: 'Sign-up closes' },
  capacity: { zh: '名额', en: 'Capacity' },
  feeFen: { zh: '报名费', en: 'Fee' },
  signupsCancelled: { zh: '取消的报名', en: 'Sign-ups cancelled' },
  enabled: { zh: '开启', en: 'On' },
  params: { zh: '参数', en: 'Parameters' },
  frequencyCap: { zh: '营销消息频次上限', en: 'Frequency cap' },
  fenPerPoint: { zh: '每积分价值（分）', en: 'Fen per point' },
  url: { zh: '地址', en: 'URL' },
  events: { zh: '事件', en: 'Events' },
  label: { zh: '名称', en: 'Label' },
  replaces: { zh: '替换', en: 'Replaces' },
  failures: { zh: '失败次数', en: 'Failures' },
  windowMinutes: { zh: '时间窗（分钟）', en: 'Window (min)' },
  lastAddress: { zh: '最近来源', en: 'Last address' },
  lines: { zh: '商品行', en: 'Lines' },
  shortfall: { zh: '积分不足扣回', en: 'Shortfall' },
  couponsRestored: { zh: '退回优惠券', en: 'Coupons restored' },
  launchAt: { zh: '定时发起时间', en: 'Launch at' },
  holdoutShare: { zh: '对照组比例', en: 'Holdout share' },
  lookups: { zh: '查询次数', en: 'Look-ups' },
  misses: { zh: '未找到次数', en: 'Misses' },
  keyId: { zh: '密钥', en: 'Key' },
  holdoutCount: { zh: '对照组人数', en: 'Holdout' },
  savedSegmentId: { zh: '来自已存人群', en: 'From saved segment' },
  attendancePoints: { zh: '签到奖励积分', en: 'Attendance points' },
  coverImageUrl: { zh: '封面图', en: 'Cover image' },
  tierAfterCode: { zh: '新等级', en: 'Tier after' },
  claimedCount: { zh: '已兑换', en: 'Claimed' },
  voidedCodes: { zh: '作废的码', en: 'Codes voided' },
  claimedCodes: { zh: '已兑换的码', en: 'Codes claimed' },
  tag: { zh: '标签', en: 'Tag' },
  memberIds: { zh: '会员', en: 'Members' },
  filter: { zh: '筛选条件', en: 'Filter' },
  matched: { zh: '符合条件', en: 'Matched' },
  changed: { zh: '实际变更', en: 'Changed' },
  format: { zh: '格式', en: 'Format' },
  total: { zh: '总数', en: 'Total' },
  phonesMasked: { zh: '手机号脱敏', en: 'Phones masked' },
  fileName: { zh: '文件', en: 'File' },
  rows: { zh: '行数', en: 'Rows' },
  created: { zh: '新建', en: 'Created' },
  alreadyImported: { zh: '已导入过', en: 'Already imported' },
  openingPoints: { zh: '期初积分', en: 'Opening points' },
  problems: { zh: '问题行', en: 'Problem rows' },
  code: { zh: '编码', en: 'Code' },
  parent: { zh: '上级', en: 'Parent' },
  id: { zh: '编号', en: 'Id' },
  createdAt: { zh: '创建时间', en: 'Created' },
  updatedAt: { zh: '修改时间', en: 'Updated' },
};

/** `status` means a different enum on each kind of target. */
const STATUS_BY_TARGET: Partial<Record<AuditTargetType, LabelsOf<string>>> = {
  campaign: CAMPAIGN_STATUS_LABELS,
  activity: ACTIVITY_STATUS_LABELS,
  purchase: PURCHASE_STATUS_LABELS,
  redemption: REDEMPTION_STATUS_LABELS,
  coupon: COUPON_STATUS_LABELS,
  coupon_template: COUPON_TEMPLATE_STATUS_LABELS,
  redemption_code_batch: CODE_BATCH_STATUS_LABELS,
  signup: SIGNUP_STATUS_LABELS,
  pos_credential: POS_KEY_STATUS_LABELS,
  webhook_endpoint: WEBHOOK_ENDPOINT_STATUS_LABELS,
  webhook_delivery: WEBHOOK_DELIVERY_STATUS_LABELS,
};
/** Fields holding an enum value whatever the target. */
const ENUM_BY_FIELD: Record<string, LabelsOf<string>> = {
  role: STAFF_ROLE_LABELS,
  hqRole: HQ_ROLE_LABELS,
  couponStatus: COUPON_STATUS_LABELS,
  type: COUPON_TYPE_LABELS,
  kind: { ...AUTOMATION_RULE_KIND_LABELS, ...PAYMENT_ALERT_KIND_LABELS },
  sessions: {
    ended: { zh: '已全部退出', en: 'All signed out' },
    'tokens retired': { zh: '需重新获取权限', en: 'Tokens retired' },
    kept: { zh: '保持登录', en: 'Kept' },
  },
};

const FEN_FIELD = /Fen$/;
const SHARE_FIELD = /Share$/;
const TIME_FIELD = /(At|From|Until)$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

export interface AuditValueContext {
  lang: Lang;
  /** A store's name for its code. */
  storeName?: (storeId: string) => string | undefined;
}

function fenText(fen: number): string {
  const yuan = fen / 100;
  return `¥${yuan.toLocaleString('en-US', { minimumFractionDigits: fen % 100 === 0 ? 0 : 2, maximumFractionDigits: 2 })}`;
}

/** `YYYY-MM-DD HH:mm` in China time, whatever the reader's time zone (an unreadable instant stays as it is). */
export function chinaIsoText(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/** One before/after value in words: enums labelled, money in yuan, times in China time, yes/no, lists joined. */
export function auditValueText(targetType: string, field: string, value: unknown, context: AuditValueContext): string {
  const { lang } = context;
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? (lang === 'zh' ? '是' : 'Yes') : lang === 'zh' ? '否' : 'No';
  if (typeof value === 'number') {
    if (FEN_FIELD.test(field)) return fenText(value);
    if (SHARE_FIELD.test(field)) return `${Math.round(value * 1000) / 10}%`;
    return value.toLocaleString('en-US');
  }
  if (typeof value === 'string') {
    const enumLabels = field === 'status' ? STATUS_BY_TARGET[targetType as AuditTargetType] : ENUM_BY_FIELD[field];
    if (enumLabels) return labelOf(enumLabels, value, lang);
    if ((field === 'storeId' || field === 'homeStoreId') && context.storeName) return context.storeName(value) ?? value;
    if (TIME_FIELD.test(field) && ISO_INSTANT.test(value)) return chinaIsoText(value);
    return value;
  }
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object' || item === null)) {
      const itemField = field === 'storeIds' ? 'storeId' : field;
      return value.length ? value.map((item) => auditValueText(targetType, itemField, item, context)).join('、') : '—';
    }
    return lang === 'zh' ? `${value.length} 项` : `${value.length} items`;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // A tier reference ({code, name}) or anything named reads as its name.
    if (typeof record.name === 'string') return record.name;
    if (Object.keys(record).length === 0) return '—';
    return Object.entries(record)
      .map(([key, item]) => `${auditFieldLabel(key, lang)} ${auditValueText(targetType, key, item, context)}`)
      .join('，');
  }
  return String(value);
}

export function auditFieldLabel(field: string, lang: Lang): string {
  const label = AUDIT_FIELD_LABELS[field];
  return label ? label[lang] : field;
}

export interface AuditChange {
  field: string;
  label: string;
  before: string | null;
  after: string | null;
}

const isObjectId = (value: unknown) => typeof value === 'string' && /^[0-9a-f]{24}$/i.test(value);
const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);
const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

/**
 * The fields an entry changed, labelled and in words. A field present only in `after` is a new value
 * (before null); only in `before` a removed one; equal on both sides is left out. Ids (`id`, `entryId`)
 * say nothing to a reader and are left out too. A before/after that is not an object (a list of tiers)
 * is one change of the whole value.
 */
export function auditChanges(entry: { targetType: string; before: unknown; after: unknown }, context: AuditValueContext): AuditChange[] {
  const { before, after, targetType } = entry;
  if (before == null && after == null) return [];
  if (!isRecord(before ?? {}) || !isRecord(after ?? {})) {
    const label = context.lang === 'zh' ? '内容' : 'Content';
    return [{ field: '', label, before: before == null ? null : auditValueText(targetType, '', before, context), after: after == null ? null : auditValueText(targetType, '', after, context) }];
  }
  const from = (before ?? {}) as Record<string, unknown>;
  const to = (after ?? {}) as Record<string, unknown>;
  const changes: AuditChange[] = [];
  for (const field of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (field === 'id' || field === 'entryId' || field === 'createdAt' || field === 'updatedAt') continue;
    const hasBefore = field in from && from[field] !== undefined;
    const hasAfter = field in to && to[field] !== undefined;
    // References by ObjectId (templateId, couponId, memberId) say nothing to a reader; the sentence names the target.
    if ((!hasBefore || isObjectId(from[field])) && (!hasAfter || isObjectId(to[field]))) continue;
    if (hasBefore && hasAfter && same(from[field], to[field])) continue;
    changes.push({
      field,
      label: auditFieldLabel(field, context.lang),
      before: hasBefore && before != null ? auditValueText(targetType, field, from[field], context) : null,
      after: hasAfter && after != null ? auditValueText(targetType, field, to[field], context) : null,
    });
  }
  return changes;
}
