import { Card, Progress, Table, Tag, Typography } from 'antd';
import { api } from '../../api';
import { useLang, useT } from '../../i18n';
import { fenToYuanText, formatDateTime, formatInt } from '../../lib/format';
import { useAsync } from '../../lib/hooks';
import { LIFE_SITUATIONS, type MemberCategories as MemberCategoriesAnswer, type MemberCategoryRow } from '../../shared';
import { ErrorState } from '../states';

/**
 * What the member buys, by product category: the last 12 months' spend (line amounts, returns taken off), how
 * many purchases included it and when it was last bought; the life situations the categories point to on top.
 */
export function MemberCategories({ memberId }: { memberId: string }) {
  const t = useT();
  const { lang } = useLang();
  const state = useAsync((signal) => api.get<MemberCategoriesAnswer>(`/admin/members/${memberId}/categories`, undefined, signal), [memberId]);
  const rows = state.data?.items ?? [];
  const total = rows.reduce((sum, row) => sum + row.spend12mFen, 0);
  const situations = [...new Set(rows.filter((row) => row.spend12mFen > 0 && row.situation).map((row) => row.situation!))];
  const situationText = (code: MemberCategoryRow['situation']) => (code ? LIFE_SITUATIONS[code][lang] : '—');

  return (
    <Card
      title={t('消费品类', 'What they buy')}
      data-testid="member-categories"
      extra={situations.length ? <span>{situations.map((code) => <Tag key={code} color="volcano">{situationText(code)}</Tag>)}</span> : null}
    >
      {state.error ? <ErrorState error={state.error} onRetry={state.reload} compact /> : null}
      <Table<MemberCategoryRow>
        rowKey="category"
        size="small"
        loading={state.loading}
        pagination={false}
        dataSource={rows}
        locale={{ emptyText: t('还没有带商品明细的消费', 'No purchases with lines yet') }}
        columns={[
          {
            title: t('品类', 'Category'),
            render: (_: unknown, row) => (
              <>
                {lang === 'zh' ? row.name : row.nameEn}
                <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 8 }}>{row.category}</Typography.Text>
              </>
            ),
          },
          { title: t('生活场景', 'Life situation'), dataIndex: 'situation', render: (code: MemberCategoryRow['situation']) => (code ? <Tag>{situationText(code)}</Tag> : '—') },
          { title: t('近12个月消费', '12-month spend'), dataIndex: 'spend12mFen', align: 'right', render: (fen: number) => fenToYuanText(fen) },
          {
            title: t('占比', 'Share'),
            width: 180,
            render: (_: unknown, row) => <Progress percent={total > 0 ? Math.round((row.spend12mFen / total) * 100) : 0} size="small" strokeColor="#c8372d" />,
          },
          { title: t('购买次数', 'Visits'), dataIndex: 'visits', align: 'right', render: formatInt },
          { title: t('最近购买', 'Last bought'), dataIndex: 'lastBoughtAt', render: formatDateTime },
        ]}
      />
    </Card>
  );
}
