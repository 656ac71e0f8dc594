import { Button, Empty, Result, Skeleton } from 'antd';
import type { ReactNode } from 'react';
import { ApiError, readableErrorMessage } from '../api';
import { useLang, useT } from '../i18n';

// The designed empty, loading and error states every screen uses instead of a blank area.

export function ErrorState({ error, onRetry, compact }: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const { lang } = useLang();
  const t = useT();
  const forbidden = error instanceof ApiError && error.status === 403;
  const notFound = error instanceof ApiError && error.status === 404;
  const status = forbidden ? '403' : notFound ? '404' : 'error';
  const title = forbidden ? t('没有权限', 'Not allowed') : notFound ? t('找不到', 'Not found') : t('加载失败', 'Could not load');
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <Result
      status={compact ? 'warning' : status}
      title={title}
      subTitle={
        <>
          {readableErrorMessage(error, lang)}
          {requestId ? <div style={{ fontSize: 12, opacity: 0.6 }}>requestId: {requestId}</div> : null}
        </>
      }
      extra={onRetry ? <Button onClick={onRetry}>{t('重试', 'Retry')}</Button> : undefined}
      data-testid="error-state"
    />
  );
}

export function LoadingState({ rows = 6 }: { rows?: number }) {
  return <Skeleton active paragraph={{ rows }} data-testid="loading-state" />;
}

export function EmptyState({ description, action }: { description: ReactNode; action?: ReactNode }) {
  return (
    <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={description} data-testid="empty-state">
      {action}
    </Empty>
  );
}

/** Skeleton while loading, a Result on error, the children once the data is there. */
export function AsyncView<T>({ state, children, rows }: { state: { data: T | undefined; error: unknown; loading: boolean; reload: () => void }; children: (data: T) => ReactNode; rows?: number }) {
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  if (state.loading && state.data === undefined) return <LoadingState rows={rows} />;
  if (state.data === undefined) return <LoadingState rows={rows} />;
  return <>{children(state.data)}</>;
}
