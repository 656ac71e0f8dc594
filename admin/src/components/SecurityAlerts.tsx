import { Alert, Button, Card, Table, Tag } from 'antd';
import { useState } from 'react';
import { api } from '../api';
import type { AuditEntry, StaffAccount } from '../api/types';
import { useLang, useT } from '../i18n';
import { AlertsLoadError } from './AlertsLoadError';
import { SECURITY_ACTIONS_FILTER, auditActionLabel, securityFigures } from '../lib/auditActions';
import { formatDateTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';

const DAYS = 7;

/** The account an alert is about: its username when the server recorded it, else from the staff list, else its id. */
function accountName(entry: AuditEntry, usernames: Map<string, string>): string {
  const after = entry.after as { username?: unknown } | null;
  return typeof after?.username === 'string' ? after.username : (usernames.get(entry.targetId) ?? entry.targetId);
}

/**
 * 安全提醒 at the top of the dashboard: the server's security alerts of the last 7 days (an account whose
 * sign-ins keep failing, a clerk or store sending invalid codes), so HQ sees them without searching the
 * audit log. Only HQ admins read the audit log; shows nothing while there are none.
 */
export function SecurityAlerts() {
  const t = useT();
  const { lang } = useLang();
  const reference = useReference();
  const [since] = useState(() => new Date(Date.now() - DAYS * 24 * 3600_000).toISOString());
  const state = useAsync(
    (signal) => api.list<AuditEntry>('/admin/audit-log', { action: SECURITY_ACTIONS_FILTER, from: since, limit: 20 }, signal),
    [since],
  );
  // Code-failure alerts name the clerk by id; HQ admins may read the staff list, so show the username.
  const staff = useAsync(() => api.listAll<StaffAccount>('/admin/staff'), []);
  const usernames = new Map((staff.data ?? []).map((account) => [account.id, account.username]));
  const alerts = state.data?.items ?? [];
  // A failed load is said, not shown as a blank: "no alerts" must mean there are none.
  if (state.error) return <AlertsLoadError title={t('安全提醒', 'Security alerts')} error={state.error} onRetry={state.reload} testId="security-alerts-error" />;
  if (alerts.length === 0) return null;
  const more = state.data?.nextCursor ? '+' : '';

  return (
    <Card
      data-testid="security-alerts"
      style={{ marginBottom: 16 }}
      title={t(`安全提醒：近 ${DAYS} 天 ${alerts.length}${more} 条`, `Security alerts: ${alerts.length}${more} in ${DAYS} days`)}
      extra={
        <Button type="link" href={`#/audit?action=${encodeURIComponent(SECURITY_ACTIONS_FILTER)}`}>
          {t('在操作日志中查看', 'Open in the audit log')}
        </Button>
      }
    >
      <Alert
        type="warning"
        showIcon
        style={{ marginBottom: 12 }}
        message={t(
          '这些账号或门店的失败次数异常，可能有人在猜密码或会员码。登录失败：确认是否本人操作，必要时在员工账号页重置密码或停用账号；无效码过多：该店员或门店的查码已暂停 10 分钟，请向门店了解情况。',
          'Failure counts here are unusual: someone may be guessing passwords or member codes. Sign-in failures: check with the owner, and reset the password or disable the account on the staff page if needed. Invalid codes: that clerk or store is paused for 10 minutes; ask the store what happened.',
        )}
      />
      <Table<AuditEntry>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={alerts}
        columns={[
          { title: t('时间', 'When'), dataIndex: 'at', render: (value: string) => formatDateTime(value), width: 160 },
          { title: t('提醒', 'Alert'), dataIndex: 'action', render: (action: string) => <Tag color="red">{auditActionLabel(action, lang)}</Tag> },
          {
            title: t('账号 / 门店', 'Account / store'),
            render: (_: unknown, entry) =>
              entry.targetType === 'store'
                ? reference.storeName(entry.targetId)
                : `${accountName(entry, usernames)}${entry.storeId ? ` · ${reference.storeName(entry.storeId)}` : t(' · 总部', ' · HQ')}`,
          },
          { title: t('情况', 'Figures'), render: (_: unknown, entry) => securityFigures(entry.after, t) },
        ]}
      />
    </Card>
  );
}
