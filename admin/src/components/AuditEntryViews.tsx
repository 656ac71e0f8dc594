import { Popover, Space, Tag, Typography } from 'antd';
import type { AuditEntry } from '../api/types';
import { useLang, useT } from '../i18n';
import { actorRoleLabel, isSecurityAction, securityFigures } from '../lib/auditActions';
import { useReference } from '../lib/reference';
import { auditActionLabel, auditChanges, auditSentence, chinaIsoText, type AuditChange } from '../shared';

// The cells of an audit entry as people read them, shared by the audit log and a member's 操作记录:
// who (name, role, store), what (a sentence naming the target), when (China time), and the changed fields.

/** `YYYY-MM-DD HH:mm`, China time whatever the browser's zone. */
export function AuditWhen({ at }: { at: string }) {
  return <span style={{ whiteSpace: 'nowrap' }}>{chinaIsoText(at)}</span>;
}

export function AuditWho({ entry }: { entry: AuditEntry }) {
  const t = useT();
  // An HQ actor's role already says 总部; a store actor's store is named after the role.
  const where = entry.storeId ? ` · ${entry.storeName ?? entry.storeId}` : '';
  return (
    <div data-testid="audit-who" style={{ lineHeight: 1.4 }}>
      <Typography.Text strong ellipsis style={{ maxWidth: '100%' }}>
        {entry.actorName ?? t('已删除的账号', 'Deleted account')}
      </Typography.Text>
      <div style={{ fontSize: 12, color: '#888' }}>
        {actorRoleLabel(entry, t)}
        {where}
      </div>
    </div>
  );
}

/** The action as a tag (red for security alerts) and the sentence naming its target; members link to their page. */
export function AuditWhat({ entry, withTag = true }: { entry: AuditEntry; withTag?: boolean }) {
  const { lang } = useLang();
  const sentence = auditSentence(entry, lang);
  return (
    <div data-testid="audit-what" style={{ lineHeight: 1.5, wordBreak: 'break-word' }}>
      {withTag ? (
        <Tag color={isSecurityAction(entry.action) ? 'red' : 'blue'} style={{ marginBottom: 2 }}>
          {auditActionLabel(entry.action, lang)}
        </Tag>
      ) : null}
      <div>{entry.targetType === 'member' ? <a href={`#/members/${entry.targetId}`}>{sentence}</a> : sentence}</div>
    </div>
  );
}

function ChangeLine({ change }: { change: AuditChange }) {
  return (
    <div style={{ wordBreak: 'break-word' }}>
      <Typography.Text type="secondary">{change.label}：</Typography.Text>
      {change.before !== null ? (
        <>
          <Typography.Text delete type="secondary">
            {change.before}
          </Typography.Text>
          {' → '}
        </>
      ) : null}
      <span>{change.after ?? '—'}</span>
    </div>
  );
}

const SHOWN = 3;

/** The changed fields, labelled, old → new; past three, the rest open in a popover so rows stay short. */
export function AuditChanges({ entry }: { entry: AuditEntry }) {
  const t = useT();
  const { lang } = useLang();
  const reference = useReference();
  // Sign-in and code alerts read as one sentence of figures; others (POS phone look-ups) as their changes.
  const figures = isSecurityAction(entry.action) ? securityFigures(entry.after, t) : '—';
  if (figures !== '—') return <>{figures}</>;
  const storeName = (id: string) => reference.stores.find((store) => store.id === id)?.name;
  const changes = auditChanges(entry, { lang, storeName });
  if (changes.length === 0) return <>—</>;
  return (
    <div data-testid="audit-changes" style={{ fontSize: 12, lineHeight: 1.5 }}>
      {changes.slice(0, SHOWN).map((change) => (
        <ChangeLine key={change.field} change={change} />
      ))}
      {changes.length > SHOWN ? (
        <Popover
          trigger="click"
          title={t('全部变更', 'All changes')}
          content={
            <Space direction="vertical" size={2} style={{ maxWidth: 560, maxHeight: 420, overflow: 'auto', fontSize: 12 }}>
              {changes.map((change) => (
                <ChangeLine key={change.field} change={change} />
              ))}
            </Space>
          }
        >
          <Typography.Link style={{ fontSize: 12 }}>{t(`还有 ${changes.length - SHOWN} 项…`, `${changes.length - SHOWN} more…`)}</Typography.Link>
        </Popover>
      ) : null}
    </div>
  );
}
