import { SearchOutlined } from '@ant-design/icons';
import { Card, Input, Progress, Tag } from 'antd';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../api';
import { useSession } from '../auth/session';
import { CursorTable } from '../components/CursorTable';
import { PageTitle } from '../components/PageTitle';
import { useT } from '../i18n';
import { formatDate, formatInt } from '../lib/format';
import { useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { maskPhone, type Member } from '../shared';

export const tierColors: Record<string, string> = { silver: 'default', gold: 'gold', platinum: 'purple' };

export default function MembersPage() {
  const t = useT();
  const navigate = useNavigate();
  const session = useSession();
  const reference = useReference();
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const [draft, setDraft] = useState(query);
  const list = useCursorList<Member>((cursor, signal) => api.list<Member>('/admin/members', { q: query, cursor }, signal), [query]);

  return (
    <>
      <PageTitle
        title={t('会员', 'Members')}
        sub={session?.kind === 'manager' ? t(`仅显示 ${reference.storeName(session.storeId)} 的会员`, `Members of ${reference.storeName(session.storeId)} only`) : t('按卡号、手机号或姓名查找会员', 'Find members by card number, phone or name')}
      />
      <Card>
        <Input.Search
          allowClear
          enterButton={<><SearchOutlined /> {t('搜索', 'Search')}</>}
          placeholder={t('卡号 / 手机号 / 姓名', 'Card number / phone / name')}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onSearch={(value) => setParams(value.trim() ? { q: value.trim() } : {})}
          style={{ maxWidth: 480, marginBottom: 16 }}
          data-testid="member-search"
        />
        <CursorTable<Member>
          list={list}
          rowKey="id"
          testId="members-table"
          empty={query ? t(`没有找到与“${query}”匹配的会员`, `No member matches “${query}”`) : t('还没有会员', 'No members yet')}
          onRow={(member) => ({ onClick: () => navigate(`/members/${member.id}`), className: 'mc-clickable-row' })}
          columns={[
            { title: t('卡号', 'Card no.'), dataIndex: 'cardNo', render: (value: string) => <span style={{ fontFamily: 'monospace' }}>{value}</span> },
            { title: t('姓名', 'Name'), dataIndex: 'name', render: (value?: string) => value ?? <span style={{ color: '#bbb' }}>{t('未填写', 'not set')}</span> },
            { title: t('手机', 'Phone'), dataIndex: 'phone', render: (value?: string) => (value ? maskPhone(value) : '—') },
            { title: t('等级', 'Tier'), dataIndex: ['tier', 'code'], render: (_: unknown, member) => <Tag color={tierColors[member.tier.code]}>{member.tier.name}</Tag> },
            { title: t('积分', 'Points'), dataIndex: 'pointsBalance', align: 'right', render: (value: number) => formatInt(value) },
            { title: t('资料完善度', 'Profile'), dataIndex: 'profileCompletion', render: (value: number) => <Progress percent={value} size="small" style={{ width: 100 }} /> },
            { title: t('归属门店', 'Home store'), dataIndex: 'homeStoreId', render: (value: string | null) => reference.storeName(value) },
            { title: t('入会时间', 'Joined'), dataIndex: 'joinedAt', render: (value: string) => formatDate(value) },
          ]}
        />
      </Card>
    </>
  );
}
