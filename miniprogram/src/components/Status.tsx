import { Button, View } from '@tarojs/components';
import type { ReactNode } from 'react';

interface StatusProps {
  loading?: boolean;
  error?: string | null;
  onRetry?: () => void;
  /** Shown when not loading and no error. */
  children?: ReactNode;
  empty?: boolean;
  emptyText?: string;
}

/** Loading, readable error with retry, empty, or the content: every network-backed view goes through this. */
export function Status({ loading, error, onRetry, children, empty, emptyText = '暂无内容' }: StatusProps) {
  if (error) {
    return (
      <View className='status status--error' role='alert'>
        <View className='status__text'>{error}</View>
        {onRetry ? (
          <Button className='btn btn--ghost btn--small' onClick={onRetry}>
            重试
          </Button>
        ) : null}
      </View>
    );
  }
  if (loading) return <View className='status status--loading'>加载中…</View>;
  if (empty && !loading) return <View className='status status--empty'>{emptyText}</View>;
  return <>{children}</>;
}

export function LoadingMore({ loading, finished, hasItems }: { loading: boolean; finished: boolean; hasItems: boolean }) {
  if (loading) return <View className='list-foot'>加载中…</View>;
  if (finished && hasItems) return <View className='list-foot'>没有更多了</View>;
  return null;
}
