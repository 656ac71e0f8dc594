import { ImportOutlined, SearchOutlined, TagsOutlined } from '@ant-design/icons';
import { Button, Card, Col, DatePicker, Input, InputNumber, Progress, Row, Select, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../api';
import { useCan, useSession } from '../auth/session';
import { PageTitle } from '../components/PageTitle';
import { MemberExportButton } from '../components/member/MemberExportButton';
import { MemberImportModal } from '../components/member/MemberImportModal';
import { loadMemberTags, MemberTagModal } from '../components/member/MemberTagModal';
import { EmptyState, ErrorState } from '../components/states';
import { useT } from '../i18n';
import { formatDate, formatInt } from '../lib/format';
import { useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { maskPhone, type MemberListFilter, type MemberListItem, type MemberListPage, type MemberTag } from '../shared';

export const tierColors: Record<string, string> = { silver: 'default', gold: 'gold', platinum: 'purple' };

/** The filter form's values; `q` lives in the address (?q=) so a search can be shared. */
interface FilterForm {
  tiers: string[];
  homeStoreIds: string[];
  tags: string[];
  joined: [Dayjs | null, Dayjs | null] | null;
  minPoints: number | null;
  maxPoints: number | null;
  lastVisit: string | null;
  boughtCategory: string | null;
  boughtWithinDays: number;
}
const EMPTY_FORM: FilterForm = { tiers: [], homeStoreIds: [], tags: [], joined: null, minPoints: null, maxPoints: null, lastVisit: null, boughtCategory: null, boughtWithinDays: 90 };

/** 最近消费 choices: within N days (v) or not within N days (n). */
const LAST_VISIT_OPTIONS: Array<{ value: string; zh: string; en: string }> = [
  { value: 'v7', zh: '7 天内消费过', en: 'Visited in 7 days' },
  { value: 'v30', zh: '30 天内消费过', en: 'Visited in 30 days' },
  { value: 'v90', zh: '90 天内消费过', en: 'Visited in 90 days' },
  { value: 'n30', zh: '30 天未消费', en: 'No visit in 30 days' },
  { value: 'n90', zh: '90 天未消费', en: 'No visit in 90 days' },
  { value: 'n180', zh: '180 天未消费', en: 'No visit in 180 days' },
];

/** A China calendar day's start as an instant (the server compares instants). */
const chinaDayStart = (day: Dayjs) => `${day.format('YYYY-MM-DD')}T00:00:00+08:00`;

function toFilter(form: FilterForm, q: string): MemberListFilter {
  const filter: MemberListFilter = {};
  if (q) filter.q = q;
  if (form.tiers.length) filter.tiers = form.tiers;
  if (form.homeStoreIds.length) filter.homeStoreIds = form.homeStoreIds;
  if (form.tags.length) filter.tags = form.tags;
  if (form.joined?.[0]) filter.joinedAfter = chinaDayStart(form.joined[0]);
  if (form.joined?.[1]) filter.joinedBefore = chinaDayStart(form.joined[1].add(1, 'day'));
  if (form.minPoints !== null) filter.minPoints = form.minPoints;
  if (form.maxPoints !== null) filter.maxPoints = form.maxPoints;
  if (form.boughtCategory) {
    filter.boughtCategory = form.boughtCategory;
    filter.boughtWithinDays = form.boughtWithinDays;
  }
  if (form.lastVisit) {
    const days = Number(form.lastVisit.slice(1));
    if (form.lastVisit.startsWith('v')) filter.visitedWithinDays = days;
    else filter.notVisitedWithinDays = days;
  }
  return filter;
}

/** The filter as query parameters (lists comma-separated). */
function toQuery(filter: MemberListFilter): Record<string, string | number | undefined> {
  return Object.fromEntries(Object.entries(filter).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value]));
}

export default function MembersPage() {
  const t = useT();
  const navigate = useNavigate();
  const session = useSession();
  const reference = useReference();
  const canTag = useCan('marketing');
  const canImport = useCan('admin');
  const isHq = session?.kind === 'hq';
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const [draft, setDraft] = useState(query);
  const [form, setForm] = useState<FilterForm>(EMPTY_FORM);
  const [applied, setApplied] = useState<FilterForm>(EMPTY_FORM);
  const [total, setTotal] = useState<number | null>(null);
  const [totalCapped, setTotalCapped] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [tags, setTags] = useState<MemberTag[]>([]);
  const [categories, setCategories] = useState<Array<{ code: string; name: string; nameEn: string; status: string }>>([]);
  const [tagging, setTagging] = useState(false);
  const [importing, setImporting] = useState(false);
  const [generation, setGeneration] = useState(0);

  const filter = useMemo(() => toFilter(applied, query), [applied, query]);
  const list = useCursorList<MemberListItem>(
    async (cursor, signal) => {
      const page = await api.get<MemberListPage>('/admin/members', { ...toQuery(filter), limit: 20, cursor: cursor ?? undefined }, signal);
      if (!cursor) {
        setTotal(page.total);
        setTotalCapped(page.totalCapped);
      }
      return page;
    },
    [filter, generation],
  );
  useEffect(() => setSelected([]), [filter, generation]);
  useEffect(() => {
    if (isHq) loadMemberTags().then(setTags, () => setTags([]));
  }, [isHq, generation]);
  useEffect(() => {
    if (isHq) api.get<{ items: typeof categories }>('/admin/categories').then((answer) => setCategories(answer.items), () => setCategories([]));
  }, [isHq]);

  const set = <K extends keyof FilterForm>(key: K, value: FilterForm[K]) => setForm((current) => ({ ...current, [key]: value }));
  const apply = () => {
    setApplied(form);
    const q = draft.trim();
    setParams(q ? { q } : {});
  };
  const clear = () => {
    setForm(EMPTY_FORM);
    setApplied(EMPTY_FORM);
    setDraft('');
    setParams({});
  };
  const filtered = Object.keys(filter).length > 0;
  const label = (text: string) => <div style={{ fontSize: 12, color: 'rgba(0,0,0,0.55)', marginBottom: 4 }}>{text}</div>;

  return (
    <>
      <PageTitle
        title={t('会员', 'Members')}
        sub={session?.kind === 'manager' ? t(`仅显示 ${reference.storeName(session.storeId)} 的会员`, `Members of ${reference.storeName(session.storeId)} only`) : t('按条件筛选、查找、打标签、导出和导入会员', 'Filter, find, tag, export and import members')}
        extra={canImport ? <Button icon={<ImportOutlined />} onClick={() => setImporting(true)} data-testid="import-members">{t('从旧系统导入', 'Import')}</Button> : undefined}
      />
      <Card style={{ marginBottom: 16 }} data-testid="member-filters">
        <Row gutter={[16, 12]}>
          <Col span={8}>
            {label(t('查找', 'Find'))}
            <Input
              allowClear
              prefix={<SearchOutlined />}
              placeholder={t('卡号 / 手机号 / 姓名开头', 'Card no. / phone / start of name')}
              value={draft}
              onChange={(event) => setDraft(event.target.value)}
              onPressEnter={apply}
              data-testid="member-search"
            />
          </Col>
          <Col span={5}>
            {label(t('等级', 'Tier'))}
            <Select mode="multiple" allowClear style={{ width: '100%' }} placeholder={t('全部等级', 'All tiers')} value={form.tiers} onChange={(value) => set('tiers', value)} options={reference.tiers.map((tier) => ({ value: tier.code, label: tier.name }))} data-testid="filter-tiers" />
          </Col>
          {isHq ? (
            <Col span={5}>
              {label(t('归属门店', 'Home store'))}
              <Select mode="multiple" allowClear style={{ width: '100%' }} placeholder={t('全部门店', 'All stores')} value={form.homeStoreIds} onChange={(value) => set('homeStoreIds', value)} options={reference.stores.map((store) => ({ value: store.id, label: store.name }))} maxTagCount="responsive" data-testid="filter-stores" />
            </Col>
          ) : null}
          <Col span={isHq ? 6 : 11}>
            {label(t('标签（含任一）', 'Tags (any)'))}
            <Select mode="multiple" allowClear style={{ width: '100%' }} placeholder={t('不限', 'Any')} value={form.tags} onChange={(value) => set('tags', value)} options={tags.map((tag) => ({ value: tag.name, label: `${tag.name}（${formatInt(tag.memberCount)}）` }))} maxTagCount="responsive" data-testid="filter-tags" />
          </Col>
          <Col span={isHq ? 6 : 8}>
            {label(t('入会日期', 'Joined'))}
            <DatePicker.RangePicker style={{ width: '100%' }} value={form.joined} onChange={(value) => set('joined', value as FilterForm['joined'])} allowEmpty={[true, true]} data-testid="filter-joined" />
          </Col>
          <Col span={5}>
            {label(t('积分余额', 'Points balance'))}
            <Space.Compact style={{ width: '100%' }}>
              <InputNumber min={0} precision={0} style={{ width: '50%' }} placeholder={t('最低', 'Min')} value={form.minPoints} onChange={(value) => set('minPoints', value)} data-testid="filter-min-points" />
              <InputNumber min={0} precision={0} style={{ width: '50%' }} placeholder={t('最高', 'Max')} value={form.maxPoints} onChange={(value) => set('maxPoints', value)} data-testid="filter-max-points" />
            </Space.Compact>
          </Col>
          <Col span={5}>
            {label(t('最近消费', 'Last visit'))}
            <Select allowClear style={{ width: '100%' }} placeholder={t('不限', 'Any')} value={form.lastVisit} onChange={(value) => set('lastVisit', value ?? null)} options={LAST_VISIT_OPTIONS.map((option) => ({ value: option.value, label: t(option.zh, option.en) }))} data-testid="filter-last-visit" />
          </Col>
          {isHq ? (
            <Col span={8}>
              {label(t('买过的品类', 'Bought category'))}
              <Space.Compact style={{ width: '100%' }}>
                <Select allowClear showSearch optionFilterProp="label" style={{ width: '62%' }} placeholder={t('不限', 'Any')} value={form.boughtCategory} onChange={(value) => set('boughtCategory', value ?? null)} options={categories.map((category) => ({ value: category.code, label: t(category.name, category.nameEn) }))} data-testid="filter-category" />
                <Select style={{ width: '38%' }} value={form.boughtWithinDays} onChange={(value) => set('boughtWithinDays', value)} options={[30, 90, 180, 365].map((days) => ({ value: days, label: t(`${days} 天内`, `in ${days} days`) }))} disabled={!form.boughtCategory} />
              </Space.Compact>
            </Col>
          ) : null}
          <Col span={isHq ? 24 : 6} style={{ display: 'flex', alignItems: 'flex-end', justifyContent: isHq ? 'flex-end' : 'flex-start', gap: 8 }}>
            <Button type="primary" icon={<SearchOutlined />} onClick={apply} data-testid="apply-filters">{t('查询', 'Apply')}</Button>
            <Button onClick={clear}>{t('重置', 'Reset')}</Button>
          </Col>
        </Row>
      </Card>
      <Card>
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 12 }}>
          <Typography.Text data-testid="member-total">
            {total === null
              ? t('正在统计…', 'Counting…')
              : totalCapped
                ? t(`找到超过 ${formatInt(total)} 位会员，请输入更完整的姓名`, `Over ${formatInt(total)} members found; type more of the name`)
                : filtered
                  ? t(`符合条件的会员共 ${formatInt(total)} 位`, `${formatInt(total)} members match`)
                  : t(`会员共 ${formatInt(total)} 位`, `${formatInt(total)} members`)}
            {selected.length ? <Typography.Text type="secondary">{t(`，已选 ${formatInt(selected.length)} 位`, `, ${formatInt(selected.length)} selected`)}</Typography.Text> : null}
          </Typography.Text>
          <Space>
            {isHq && canTag ? <Button icon={<TagsOutlined />} onClick={() => setTagging(true)} disabled={total === 0} data-testid="bulk-tag">{t('批量打标签', 'Tag members')}</Button> : null}
            {canTag || session?.kind === 'manager' ? <MemberExportButton filter={filter} total={total} /> : null}
          </Space>
        </div>
        {list.error && list.items.length === 0 ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : (
          <div data-testid="members-table">
            <Table<MemberListItem>
              rowKey="id"
              size="middle"
              dataSource={list.items}
              loading={list.loading}
              pagination={false}
              rowSelection={isHq && canTag ? { selectedRowKeys: selected, onChange: (keys) => setSelected(keys.map(String)), preserveSelectedRowKeys: true } : undefined}
              onRow={(member) => ({ onClick: () => navigate(`/members/${member.id}`), className: 'mc-clickable-row' })}
              locale={{ emptyText: <EmptyState description={filtered ? t('没有符合条件的会员', 'No member matches') : t('还没有会员', 'No members yet')} /> }}
              columns={[
                { title: t('卡号', 'Card no.'), dataIndex: 'cardNo', render: (value: string) => <span style={{ fontFamily: 'monospace' }}>{value}</span> },
                { title: t('姓名', 'Name'), dataIndex: 'name', render: (value?: string) => value ?? <span style={{ color: '#bbb' }}>{t('未填写', 'not set')}</span> },
                { title: t('手机', 'Phone'), dataIndex: 'phone', render: (value?: string) => (value ? maskPhone(value) : '—') },
                { title: t('等级', 'Tier'), dataIndex: ['tier', 'code'], render: (_: unknown, member) => <Tag color={tierColors[member.tier.code]}>{member.tier.name}</Tag> },
                { title: t('积分', 'Points'), dataIndex: 'pointsBalance', align: 'right', render: (value: number) => formatInt(value) },
                { title: t('归属门店', 'Home store'), dataIndex: 'homeStoreId', render: (value: string | null) => reference.storeName(value) },
                { title: t('入会', 'Joined'), dataIndex: 'joinedAt', render: (value: string) => formatDate(value) },
                { title: t('最近消费', 'Last visit'), dataIndex: 'lastPurchaseAt', render: (value: string | null) => (value ? formatDate(value) : <span style={{ color: '#bbb' }}>{t('无', 'never')}</span>) },
                { title: t('标签', 'Tags'), dataIndex: 'tags', render: (value: string[]) => (value.length ? value.slice(0, 3).map((name) => <Tag key={name} color="blue">{name}</Tag>).concat(value.length > 3 ? [<span key="more">+{value.length - 3}</span>] : []) : '—') },
                { title: t('资料', 'Profile'), dataIndex: 'profileCompletion', render: (value: number) => <Progress percent={value} size="small" style={{ width: 80 }} /> },
              ]}
            />
            {list.hasMore ? (
              <div style={{ textAlign: 'center', marginTop: 16 }}>
                <Button onClick={list.loadMore} loading={list.loadingMore} data-testid="load-more">{t('加载更多', 'Load more')}</Button>
              </div>
            ) : list.items.length > 0 ? (
              <div style={{ textAlign: 'center', marginTop: 12, color: 'rgba(0,0,0,0.35)', fontSize: 12 }}>{t(`共 ${list.items.length} 条，已全部加载`, `All ${list.items.length} loaded`)}</div>
            ) : null}
          </div>
        )}
      </Card>
      <MemberTagModal open={tagging} selectedIds={selected} filter={filter} total={totalCapped ? null : total} onClose={() => setTagging(false)} onDone={() => { setTagging(false); setGeneration((g) => g + 1); }} />
      <MemberImportModal open={importing} onClose={() => setImporting(false)} onImported={() => setGeneration((g) => g + 1)} />
    </>
  );
}
