import { Button, Card, DatePicker, Select, Space } from 'antd';
import { SafetyCertificateOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api } from '../api';
import type { AuditEntry, StaffAccount } from '../api/types';
import { AuditChanges, AuditWhat, AuditWhen, AuditWho } from '../components/AuditEntryViews';
import { CursorTable } from '../components/CursorTable';
import { PageTitle } from '../components/PageTitle';
import { useLang, useT } from '../i18n';
import { AUDIT_ACTIONS, AUDIT_TARGET_LABELS, SECURITY_ACTIONS_FILTER, actorRoleLabel, auditActionLabel, auditTargetLabel } from '../lib/auditActions';
import { useAsync, useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';

interface Filters {
  actorId?: string;
  action?: string;
  storeId?: string;
  targetType?: string;
  from?: string;
  to?: string;
}

const CHINA_OFFSET_MS = 8 * 3600_000;
/** Midnight in China of the picked calendar day (the picker's day, whatever the browser's zone). */
function chinaMidnight(day: Dayjs, plusDays = 0): string {
  return new Date(Date.UTC(day.year(), day.month(), day.date() + plusDays) - CHINA_OFFSET_MS).toISOString();
}

export default function AuditLogPage() {
  const t = useT();
  const { lang } = useLang();
  const reference = useReference();
  // #/audit?action=security.* (the dashboard's 安全提醒 link) opens the page filtered.
  const [params] = useSearchParams();
  const initial: Filters = params.get('action') ? { action: params.get('action')! } : {};
  const [draft, setDraft] = useState<Filters>(initial);
  const [filters, setFilters] = useState<Filters>(initial);
  const securityOnly = filters.action === SECURITY_ACTIONS_FILTER;
  // People are chosen by name (searchable by name, username or role), never typed in as an id.
  const accounts = useAsync(() => api.listAll<StaffAccount>('/admin/staff'), []);
  const personOptions = (accounts.data ?? []).map((account) => {
    const role = actorRoleLabel(account, t);
    const store = account.storeId ? ` · ${reference.storeName(account.storeId)}` : '';
    return { value: account.id, label: `${account.name}（${account.username}）`, search: `${account.name} ${account.username} ${role}${store}`, role: `${role}${store}` };
  });
  const actionOptions = [
    { label: t('全部安全提醒', 'All security alerts'), value: SECURITY_ACTIONS_FILTER },
    ...Object.keys(AUDIT_ACTIONS).map((value) => ({ label: auditActionLabel(value, lang), value })),
  ];
  const list = useCursorList<AuditEntry>((cursor, signal) => api.list<AuditEntry>('/admin/audit-log', { ...filters, cursor }, signal), [JSON.stringify(filters)]);
  return (
    <>
      <PageTitle title={t('操作日志', 'Audit log')} sub={t('员工和总部的每一次操作：谁、做了什么、何时、哪家门店、前后变化', 'Every staff and HQ action: who, what, when, where, before and after')} />
      <Card>
        <Space wrap style={{ marginBottom: 16 }}>
          <Select
            placeholder={t('操作人（可搜索姓名、账号）', 'Person (search name or username)')}
            allowClear
            showSearch
            loading={accounts.loading}
            value={draft.actorId}
            onChange={(value?: string) => setDraft({ ...draft, actorId: value })}
            filterOption={(input, option) => (option?.search ?? '').toLowerCase().includes(input.trim().toLowerCase())}
            options={personOptions}
            optionRender={(option) => (
              <div>
                {option.data.label}
                <div style={{ fontSize: 12, color: '#888' }}>{option.data.role}</div>
              </div>
            )}
            style={{ width: 240 }}
            data-testid="audit-person-filter"
          />
          <Select
            placeholder={t('操作类型', 'Action')}
            allowClear
            showSearch
            optionFilterProp="label"
            value={draft.action}
            onChange={(value?: string) => setDraft({ ...draft, action: value })}
            options={actionOptions}
            style={{ width: 220 }}
            data-testid="audit-action-filter"
          />
          <Select
            placeholder={t('对象类型', 'Target type')}
            allowClear
            value={draft.targetType}
            onChange={(value?: string) => setDraft({ ...draft, targetType: value })}
            options={Object.keys(AUDIT_TARGET_LABELS).map((value) => ({ label: auditTargetLabel(value, lang), value }))}
            style={{ width: 150 }}
          />
          <Select
            placeholder={t('门店', 'Store')}
            allowClear
            value={draft.storeId}
            onChange={(value?: string) => setDraft({ ...draft, storeId: value })}
            options={reference.stores.map((store) => ({ label: store.name, value: store.id }))}
            style={{ width: 150 }}
            data-testid="audit-store-filter"
          />
          <DatePicker.RangePicker
            placeholder={[t('开始日期', 'From'), t('结束日期', 'To')]}
            onChange={(range: [Dayjs | null, Dayjs | null] | null) =>
              setDraft({ ...draft, from: range?.[0] ? chinaMidnight(range[0]) : undefined, to: range?.[1] ? chinaMidnight(range[1], 1) : undefined })
            }
            data-testid="audit-date-filter"
          />
          <Button type="primary" onClick={() => setFilters(draft)} data-testid="audit-apply">
            {t('筛选', 'Filter')}
          </Button>
          <Button
            danger={!securityOnly}
            icon={<SafetyCertificateOutlined />}
            onClick={() => {
              const next = securityOnly ? { ...draft, action: undefined } : { ...draft, action: SECURITY_ACTIONS_FILTER };
              setDraft(next);
              setFilters(next);
            }}
          >
            {securityOnly ? t('显示全部记录', 'Show all entries') : t('只看安全提醒', 'Security alerts only')}
          </Button>
        </Space>
        <CursorTable<AuditEntry>
          list={list}
          rowKey="id"
          size="small"
          testId="audit-table"
          tableLayout="fixed"
          empty={t('没有符合条件的记录', 'No matching entries')}
          columns={[
            { title: t('时间（北京时间）', 'When (China time)'), dataIndex: 'at', width: 150, render: (at: string) => <AuditWhen at={at} /> },
            { title: t('操作人', 'Who'), width: 190, render: (_: unknown, entry) => <AuditWho entry={entry} /> },
            { title: t('操作', 'What'), render: (_: unknown, entry) => <AuditWhat entry={entry} /> },
            { title: t('变更', 'Change'), width: '38%', render: (_: unknown, entry) => <AuditChanges entry={entry} /> },
          ]}
        />
      </Card>
    </>
  );
}
