import { Button, Card, DatePicker, Input, Popover, Select, Space, Tag, Typography } from 'antd';
import { SafetyCertificateOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api } from '../api';
import type { AuditEntry } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { PageTitle } from '../components/PageTitle';
import { useLang, useT } from '../i18n';
import { AUDIT_ACTION_LABELS, AUDIT_TARGET_LABELS, SECURITY_ACTIONS_FILTER, actorRoleLabel, auditActionLabel, auditTargetLabel, isSecurityAction, securityFigures } from '../lib/auditActions';
import { formatDateTime } from '../lib/format';
import { useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';

interface Filters {
  actorId?: string;
  action?: string;
  storeId?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
}

/** One line naming what changed; the full before and after open in a popover, so rows stay one line high. */
function Change({ before, after }: { before: unknown; after: unknown }) {
  const t = useT();
  const keys = Object.keys({ ...(isRecord(before) ? before : {}), ...(isRecord(after) ? after : {}) });
  if (before == null && after == null) return <>—</>;
  const summary = keys.length ? keys.slice(0, 3).join(', ') + (keys.length > 3 ? ' …' : '') : JSON.stringify(after ?? before);
  const pretty = (value: unknown) => (value == null ? '—' : JSON.stringify(value, null, 2));
  return (
    <Popover
      trigger="click"
      content={
        <div style={{ display: 'flex', gap: 16, maxWidth: 720, maxHeight: 420, overflow: 'auto' }}>
          <div>
            <Typography.Text type="secondary">{t('变更前', 'Before')}</Typography.Text>
            <pre style={{ fontSize: 11, margin: 0 }}>{pretty(before)}</pre>
          </div>
          <div>
            <Typography.Text type="secondary">{t('变更后', 'After')}</Typography.Text>
            <pre style={{ fontSize: 11, margin: 0 }}>{pretty(after)}</pre>
          </div>
        </div>
      }
    >
      <Typography.Link style={{ fontSize: 12 }}>{summary}</Typography.Link>
    </Popover>
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
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
  const actionOptions = [
    { label: t('全部安全提醒', 'All security alerts'), value: SECURITY_ACTIONS_FILTER },
    ...Object.keys(AUDIT_ACTION_LABELS).map((value) => ({ label: auditActionLabel(value, lang), value })),
  ];
  const list = useCursorList<AuditEntry>((cursor, signal) => api.list<AuditEntry>('/admin/audit-log', { ...filters, cursor }, signal), [JSON.stringify(filters)]);
  return (
    <>
      <PageTitle title={t('操作日志', 'Audit log')} sub={t('员工和总部的每一次操作：谁、做了什么、何时、哪家门店、前后变化', 'Every staff and HQ action: who, what, when, where, before and after')} />
      <Card>
        <Space wrap style={{ marginBottom: 16 }}>
          <Input placeholder={t('操作人 id', 'Actor id')} allowClear value={draft.actorId} onChange={(event) => setDraft({ ...draft, actorId: event.target.value || undefined })} style={{ width: 160 }} />
          <Select
            placeholder={t('操作类型', 'Action')}
            allowClear
            showSearch
            optionFilterProp="label"
            value={draft.action}
            onChange={(value?: string) => setDraft({ ...draft, action: value })}
            options={actionOptions}
            style={{ width: 260 }}
            data-testid="audit-action-filter"
          />
          <Select
            placeholder={t('对象类型', 'Target type')}
            allowClear
            value={draft.targetType}
            onChange={(value?: string) => setDraft({ ...draft, targetType: value })}
            options={Object.keys(AUDIT_TARGET_LABELS).map((value) => ({ label: auditTargetLabel(value, lang), value }))}
            style={{ width: 180 }}
          />
          <Input placeholder={t('对象 id', 'Target id')} allowClear value={draft.targetId} onChange={(event) => setDraft({ ...draft, targetId: event.target.value || undefined })} style={{ width: 200 }} />
          <Select placeholder={t('门店', 'Store')} allowClear value={draft.storeId} onChange={(value?: string) => setDraft({ ...draft, storeId: value })} options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} style={{ width: 160 }} />
          <DatePicker.RangePicker
            onChange={(range: [Dayjs | null, Dayjs | null] | null) => setDraft({ ...draft, from: range?.[0]?.startOf('day').toISOString(), to: range?.[1]?.endOf('day').toISOString() })}
          />
          <Button type="primary" onClick={() => setFilters(draft)}>
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
          empty={t('没有符合条件的记录', 'No matching entries')}
          columns={[
            { title: t('时间', 'When'), dataIndex: 'at', render: formatDateTime, width: 140 },
            { title: t('操作人', 'Who'), render: (_: unknown, entry) => <>{entry.actorId} <Tag>{actorRoleLabel(entry, t)}</Tag></> },
            {
              title: t('操作', 'Action'),
              dataIndex: 'action',
              // Security alerts are written by the server in the name of the account attacked; red so they stand out.
              render: (value: string) => (
                <Tag color={isSecurityAction(value) ? 'red' : 'blue'} title={value}>
                  {auditActionLabel(value, lang)}
                </Tag>
              ),
            },
            { title: t('门店', 'Store'), dataIndex: 'storeId', render: reference.storeName },
            { title: t('对象', 'Target'), render: (_: unknown, entry) => (entry.targetType === 'member' ? <a href={`#/members/${entry.targetId}`}>{`${auditTargetLabel('member', lang)} ${entry.targetId}`}</a> : `${auditTargetLabel(entry.targetType, lang)} ${entry.targetId}`) },
            {
              title: t('变更', 'Change'),
              render: (_: unknown, entry) => (isSecurityAction(entry.action) ? securityFigures(entry.after, t) : <Change before={entry.before} after={entry.after} />),
            },
          ]}
        />
      </Card>
    </>
  );
}
