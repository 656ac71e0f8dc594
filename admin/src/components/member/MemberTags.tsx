import { PlusOutlined } from '@ant-design/icons';
import { App, Select, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, readableErrorMessage } from '../../api';
import { useCan, useSession } from '../../auth/session';
import { useLang, useT } from '../../i18n';
import type { Member, MemberListPage, MemberTag } from '../../shared';
import { loadMemberTags } from './MemberTagModal';

/** The member's tags on their page; HQ (marketing and up) adds one of the brand's tags or takes one off. */
export function MemberTags({ member }: { member: Member }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const session = useSession();
  const canEdit = useCan('marketing') && session?.kind === 'hq';
  const [tags, setTags] = useState<string[] | null>(null);
  const [all, setAll] = useState<MemberTag[]>([]);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    // The list answers a member's tags; a card number is one index look-up.
    api.get<MemberListPage>('/admin/members', { q: member.cardNo, withTotal: 'false', limit: 1 }).then(
      (page) => setTags(page.items.find((item) => item.id === member.id)?.tags ?? []),
      () => setTags([]),
    );
    if (canEdit) loadMemberTags().then(setAll, () => setAll([]));
  }, [member.id, member.cardNo, canEdit, generation]);

  const change = async (tag: MemberTag | undefined, remove: boolean) => {
    if (!tag) return;
    try {
      await api.post(`/admin/member-tags/${tag.id}/${remove ? 'remove' : 'apply'}`, { memberIds: [member.id] });
      message.success(remove ? t(`已移除标签“${tag.name}”`, `Removed “${tag.name}”`) : t(`已添加标签“${tag.name}”`, `Added “${tag.name}”`));
      setGeneration((g) => g + 1);
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  if (tags === null) return null;
  const byName = new Map(all.map((tag) => [tag.name, tag]));
  const addable = all.filter((tag) => !tags.includes(tag.name));
  return (
    <Space wrap size={[4, 8]} style={{ marginTop: 12, width: '100%' }} data-testid="member-tags">
      <Typography.Text type="secondary">{t('标签：', 'Tags:')}</Typography.Text>
      {tags.length === 0 ? <Typography.Text type="secondary">{t('暂无', 'none')}</Typography.Text> : null}
      {tags.map((name) => (
        <Tag key={name} color="blue" closable={canEdit && byName.has(name)} onClose={(event) => { event.preventDefault(); void change(byName.get(name), true); }}>
          {name}
        </Tag>
      ))}
      {canEdit && addable.length ? (
        <Select
          size="small"
          style={{ width: 140 }}
          value={null}
          placeholder={<span><PlusOutlined /> {t('添加标签', 'Add tag')}</span>}
          options={addable.map((tag) => ({ value: tag.id, label: tag.name }))}
          onChange={(id) => void change(all.find((tag) => tag.id === id), false)}
          data-testid="member-tag-add"
        />
      ) : null}
    </Space>
  );
}
