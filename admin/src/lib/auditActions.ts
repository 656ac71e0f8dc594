// The one map from the server's audit action names to what HQ reads in the console (audit page, dashboard).
// An action missing here still shows, as its raw name.

export interface AuditActionLabel {
  zh: string;
  en: string;
}

/** Actions the server writes on its own when failures look like an attack (sign-in and code look-up limits). */
export const SECURITY_ACTION_PREFIX = 'security.';
/** The audit filter that lists every security alert (the server reads `security.*` as a prefix). */
export const SECURITY_ACTIONS_FILTER = 'security.*';

export const AUDIT_ACTION_LABELS: Record<string, AuditActionLabel> = {
  'security.login_failures': { zh: '安全提醒：登录失败异常', en: 'Security: unusual sign-in failures' },
  'security.scan_failures': { zh: '安全提醒：无效码过多', en: 'Security: too many invalid codes' },
  'staff.create': { zh: '新建账号', en: 'Account created' },
  'staff.update': { zh: '修改账号（角色、门店、停用/启用、重置密码）', en: 'Account changed (role, store, disable/enable, password reset)' },
  'staff.password.change': { zh: '本人修改密码', en: 'Own password changed' },
  'store.create': { zh: '新建门店', en: 'Store created' },
  'store.update': { zh: '修改门店', en: 'Store changed' },
  'points.adjust': { zh: '积分调整', en: 'Points adjusted' },
  'purchase.create': { zh: '登记消费', en: 'Purchase recorded' },
  'purchase.reverse': { zh: '撤销消费', en: 'Purchase reversed' },
  'redemption.create': { zh: '核销优惠券', en: 'Coupon redeemed' },
  'redemption.reverse': { zh: '撤销核销', en: 'Redemption reversed' },
  'coupon.grant': { zh: '发放优惠券', en: 'Coupon granted' },
  'coupon_template.create': { zh: '新建券模板', en: 'Coupon template created' },
  'coupon_template.update': { zh: '修改券模板', en: 'Coupon template changed' },
  'coupon_template.archive': { zh: '停用券模板', en: 'Coupon template archived' },
  'redemption_code_batch.create': { zh: '生成兑换码', en: 'Redemption codes created' },
  'campaign.create': { zh: '新建营销活动', en: 'Campaign created' },
  'campaign.launch': { zh: '发起营销活动', en: 'Campaign launched' },
  'campaign.pause': { zh: '暂停营销活动', en: 'Campaign paused' },
  'campaign.resume': { zh: '恢复营销活动', en: 'Campaign resumed' },
  'segment.create': { zh: '新建人群', en: 'Segment created' },
  'segment.delete': { zh: '删除人群', en: 'Segment deleted' },
  'automation_rule.update': { zh: '修改自动化规则', en: 'Automation rule changed' },
  'activity.create': { zh: '新建活动', en: 'Activity created' },
  'activity.update': { zh: '修改活动', en: 'Activity changed' },
  'activity.publish': { zh: '发布活动', en: 'Activity published' },
  'activity.cancel': { zh: '取消活动', en: 'Activity cancelled' },
  'activity.checkin': { zh: '活动签到', en: 'Activity check-in' },
  'tiers.update': { zh: '修改会员等级', en: 'Tiers changed' },
  'earn_rules.update': { zh: '修改积分规则', en: 'Earn rules changed' },
  'marketing_settings.update': { zh: '修改营销设置', en: 'Marketing settings changed' },
  'settings.checkin_window': { zh: '修改签到时间窗', en: 'Check-in window changed' },
  'subscribe_template.update': { zh: '修改订阅消息模板', en: 'Subscribe template changed' },
  'payment.alert.resolve': { zh: '支付提醒已处理', en: 'Payment alert handled' },
  'pos.credential.create': { zh: '新建收银系统密钥', en: 'POS key created' },
  'pos.credential.rotate': { zh: '轮换收银系统密钥', en: 'POS key rotated' },
  'pos.credential.revoke': { zh: '停用收银系统密钥', en: 'POS key revoked' },
  'pos.return': { zh: '收银系统退货', en: 'POS return' },
  'webhook.endpoint.create': { zh: '新建事件推送地址', en: 'Webhook endpoint created' },
  'webhook.endpoint.update': { zh: '修改事件推送地址', en: 'Webhook endpoint changed' },
  'webhook.delivery.redeliver': { zh: '重新推送事件', en: 'Webhook event redelivered' },
};

/** The kinds of record an audit entry is about, as the server names them. */
export const AUDIT_TARGET_LABELS: Record<string, AuditActionLabel> = {
  member: { zh: '会员', en: 'Member' },
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
  pos_credential: { zh: '收银系统密钥', en: 'POS key' },
  webhook_endpoint: { zh: '事件推送地址', en: 'Webhook endpoint' },
  webhook_delivery: { zh: '事件推送记录', en: 'Webhook delivery' },
};

/** What HQ reads for a target type (the raw name when the map does not know it). */
export function auditTargetLabel(targetType: string, lang: 'zh' | 'en'): string {
  const label = AUDIT_TARGET_LABELS[targetType];
  return label ? label[lang] : targetType;
}

export function isSecurityAction(action: string): boolean {
  return action.startsWith(SECURITY_ACTION_PREFIX);
}

/** What HQ reads for an action, in the console's language (the raw name when the map does not know it). */
export function auditActionLabel(action: string, lang: 'zh' | 'en'): string {
  const label = AUDIT_ACTION_LABELS[action];
  return label ? label[lang] : action;
}

/** An HQ account's role in words (no role recorded means an admin, as the server reads it). */
export function hqRoleLabel(hqRole: string | null | undefined, t: (zh: string, en: string) => string): string {
  if (hqRole === 'marketing') return t('市场', 'Marketing');
  if (hqRole === 'viewer') return t('只读', 'Viewer');
  return t('管理员', 'Admin');
}

/** The HQ roles and store roles as the audit log names its actors. */
export function actorRoleLabel(entry: { role: string; hqRole?: string | null }, t: (zh: string, en: string) => string): string {
  if (entry.role === 'hq') {
    return entry.hqRole ? `${t('总部', 'HQ')} · ${hqRoleLabel(entry.hqRole, t)}` : t('总部', 'HQ');
  }
  if (entry.role === 'manager') return t('店长', 'Manager');
  if (entry.role === 'clerk') return t('店员', 'Clerk');
  return entry.role;
}

/** A security alert's figures as a sentence: how many failures in what window, and the last address. */
export function securityFigures(after: unknown, t: (zh: string, en: string) => string): string {
  if (!after || typeof after !== 'object' || typeof (after as { failures?: unknown }).failures !== 'number') return '—';
  const figures = after as { failures: number; windowMinutes?: unknown; lastAddress?: unknown };
  const minutes = typeof figures.windowMinutes === 'number' ? figures.windowMinutes : null;
  const window = minutes ? t(`${minutes} 分钟内`, `in ${minutes} min`) : '';
  const address = typeof figures.lastAddress === 'string' ? t(`，最近来自 ${figures.lastAddress}`, `, last from ${figures.lastAddress}`) : '';
  return t(`${window}失败 ${figures.failures} 次${address}`, `${figures.failures} failures ${window}${address}`);
}
