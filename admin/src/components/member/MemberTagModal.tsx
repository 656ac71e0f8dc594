import { Alert, App, Input, Modal, Radio, Select, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../../api';
import { useLang, useT } from '../../i18n';
import { formatInt } from '../../lib/format';
import type { MemberListFilter, MemberTag, MemberTagApplyAnswer } from '../../shared';
import { readableErrorMessage } from '../../api';

/** The tags HQ created (with how many members carry each), for pickers. */
export async function loadMemberTags(): Promise<MemberTag[]> {
  return (await api.get<{ items: MemberTag[] }>('/admin/member-tags')).items;
}

/**
 * Puts a tag (an existing one, or one created here) on the chosen members or on everyone the filter matches.
 * Tagging twice changes nothing more, so a retry is harmless.
 */
export function MemberTagModal({ open, selectedIds, filter, total, onClose, onDone }: {
  open: boolean;
  selectedIds: string[];
  filter: MemberListFilter;
  total: number | null;
  onClose: () => void;
  onDone: () => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const [tags, setTags] = useState<MemberTag[]>([]);
  const [mode, setMode] = useState<'existing' | 'new'>('existing');
  const [tagId, setTagId] = useState<string | undefined>();
  const [newName, setNewName] = useState('');
  const [scope, setScope] = useState<'selected' | 'filter'>('filter');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    setError(null);
    setScope(selectedIds.length > 0 ? 'selected' : 'filter');
    loadMemberTags().then((items) => {
      setTags(items);
      setMode(items.length ? 'existing' : 'new');
    }, () => setTags([]));
  }, [open, selectedIds.length]);

  const submit = async () => {
    setError(null);
    if (mode === 'existing' && !tagId) return void setError(t('请选择标签', 'Choose a tag'));
    if (mode === 'new' && !newName.trim()) return void setError(t('请输入新标签的名称', 'Name the new tag'));
    setSaving(true);
    try {
      const id = mode === 'new' ? (await api.post<MemberTag>('/admin/member-tags', { name: newName.trim() })).id : tagId!;
      const body = scope === 'selected' ? { memberIds: selectedIds } : { filter };
      const answer = await api.post<MemberTagApplyAnswer>(`/admin/member-tags/${id}/apply`, body);
      const already = answer.matched - answer.tagged;
      message.success(
        t(
          `已为 ${formatInt(answer.tagged)} 位会员添加标签${already > 0 ? `（另有 ${formatInt(already)} 位原本已有）` : ''}`,
          `Tagged ${formatInt(answer.tagged)} members${already > 0 ? ` (${formatInt(already)} already had it)` : ''}`,
        ),
      );
      setNewName('');
      onDone();
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal title={t('批量打标签', 'Tag members')} open={open} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('确认打标签', 'Tag')} destroyOnHidden>
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
      <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="tag-modal">
        <div>
          <Typography.Text strong>{t('给谁', 'Who')}</Typography.Text>
          <Radio.Group value={scope} onChange={(event) => setScope(event.target.value)} style={{ display: 'flex', flexDirection: 'column', gap: 6, marginTop: 8 }}>
            <Radio value="selected" disabled={selectedIds.length === 0}>{t(`选中的 ${formatInt(selectedIds.length)} 位会员`, `The ${formatInt(selectedIds.length)} selected members`)}</Radio>
            <Radio value="filter">{t(`符合当前筛选条件的全部${total !== null ? ` ${formatInt(total)} ` : ''}位会员`, `All${total !== null ? ` ${formatInt(total)}` : ''} members matching the filters`)}</Radio>
          </Radio.Group>
        </div>
        <div>
          <Typography.Text strong>{t('标签', 'Tag')}</Typography.Text>
          <Radio.Group value={mode} onChange={(event) => setMode(event.target.value)} style={{ display: 'block', margin: '8px 0' }}>
            <Radio value="existing" disabled={tags.length === 0}>{t('已有标签', 'Existing tag')}</Radio>
            <Radio value="new">{t('新建标签', 'New tag')}</Radio>
          </Radio.Group>
          {mode === 'existing' ? (
            <Select
              style={{ width: '100%' }}
              value={tagId}
              onChange={setTagId}
              placeholder={t('选择标签', 'Choose a tag')}
              showSearch
              optionFilterProp="label"
              options={tags.map((tag) => ({ value: tag.id, label: tag.name, count: tag.memberCount }))}
              optionRender={(option) => (
                <span>
                  {option.label} <span style={{ color: '#999' }}>· {t(`${formatInt(option.data.count)} 人`, `${formatInt(option.data.count)} members`)}</span>
                </span>
              )}
              data-testid="tag-select"
            />
          ) : (
            <Input value={newName} onChange={(event) => setNewName(event.target.value)} maxLength={32} showCount placeholder={t('例如：高潜力、企业客户', 'e.g. High potential')} data-testid="tag-new-name" />
          )}
        </div>
      </Space>
    </Modal>
  );
}
