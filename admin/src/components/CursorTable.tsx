import { Button, Table, type TableProps } from 'antd';
import type { ReactNode } from 'react';
import type { CursorListState } from '../lib/hooks';
import { useT } from '../i18n';
import { EmptyState, ErrorState, LoadingState } from './states';

// Every list in the console: the first page with a skeleton, "load more" by cursor, and designed empty
// and error states. Paging is by cursor, so there are no page numbers.

export interface CursorTableProps<Item> {
  list: CursorListState<Item>;
  columns: TableProps<Item>['columns'];
  rowKey: keyof Item & string;
  empty: ReactNode;
  emptyAction?: ReactNode;
  onRow?: TableProps<Item>['onRow'];
  expandable?: TableProps<Item>['expandable'];
  size?: 'small' | 'middle';
  testId?: string;
  /** 'fixed': columns keep their set widths and long text wraps, so the table never outgrows the page. */
  tableLayout?: 'fixed';
}

export function CursorTable<Item extends object>({ list, columns, rowKey, empty, emptyAction, onRow, expandable, size = 'middle', testId, tableLayout }: CursorTableProps<Item>) {
  const t = useT();
  if (list.error && list.items.length === 0) return <ErrorState error={list.error} onRetry={list.reload} />;
  if (list.loading && list.items.length === 0) return <LoadingState />;
  return (
    <div data-testid={testId}>
      <Table<Item>
        rowKey={rowKey}
        columns={columns}
        dataSource={list.items}
        pagination={false}
        size={size}
        loading={list.loading}
        onRow={onRow}
        expandable={expandable}
        tableLayout={tableLayout}
        scroll={tableLayout === 'fixed' ? undefined : { x: 'max-content' }}
        locale={{ emptyText: <EmptyState description={empty} action={emptyAction} /> }}
      />
      {list.error && list.items.length > 0 ? <ErrorState error={list.error} onRetry={list.loadMore} compact /> : null}
      {list.hasMore ? (
        <div style={{ textAlign: 'center', marginTop: 16 }}>
          <Button onClick={list.loadMore} loading={list.loadingMore} data-testid="load-more">
            {t('加载更多', 'Load more')}
          </Button>
        </div>
      ) : list.items.length > 0 ? (
        <div style={{ textAlign: 'center', marginTop: 12, color: 'rgba(0,0,0,0.35)', fontSize: 12 }}>{t(`共 ${list.items.length} 条，已全部加载`, `All ${list.items.length} loaded`)}</div>
      ) : null}
    </div>
  );
}
