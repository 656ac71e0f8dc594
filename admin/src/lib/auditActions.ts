import { AUDIT_ACTIONS, AUDIT_TARGET_LABELS, HQ_ROLE_LABELS, SECURITY_ACTIONS_FILTER, accountRoleLabel, auditActionLabel, auditTargetLabel, isSecurityAction, labelOf } from '../shared';

// The console's reading of audit entries. The words themselves (actions, sentences, target kinds, roles)
// are the shared dictionary's (shared/src/labels); this adds what only the console needs.

export { AUDIT_ACTIONS, AUDIT_TARGET_LABELS, SECURITY_ACTIONS_FILTER, auditActionLabel, auditTargetLabel, isSecurityAction };

type T = (zh: string, en: string) => string;
const langOf = (t: T) => (t('zh', 'en') === 'zh' ? 'zh' : 'en');

/** An HQ account's role in words (no role recorded means an admin, as the server reads it). */
export function hqRoleLabel(hqRole: string | null | undefined, t: T): string {
  return labelOf(HQ_ROLE_LABELS, hqRole || 'admin', langOf(t));
}

/** The HQ roles and store roles as the audit log names its actors: 店员, 店长, 总部 · 管理员. */
export function actorRoleLabel(entry: { role: string; hqRole?: string | null }, t: T): string {
  return accountRoleLabel(entry.role, entry.hqRole, langOf(t));
}

/** A security alert's figures as a sentence: how many failures in what window, and the last address. */
export function securityFigures(after: unknown, t: T): string {
  if (!after || typeof after !== 'object' || typeof (after as { failures?: unknown }).failures !== 'number') return '—';
  const figures = after as { failures: number; windowMinutes?: unknown; lastAddress?: unknown };
  const minutes = typeof figures.windowMinutes === 'number' ? figures.windowMinutes : null;
  const window = minutes ? t(`${minutes} 分钟内`, `in ${minutes} min`) : '';
  const address = typeof figures.lastAddress === 'string' ? t(`，最近来自 ${figures.lastAddress}`, `, last from ${figures.lastAddress}`) : '';
  return t(`${window}失败 ${figures.failures} 次${address}`, `${figures.failures} failures ${window}${address}`);
}
