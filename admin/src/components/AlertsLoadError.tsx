import { Alert, Button } from 'antd';
import type { ReactNode } from 'react';
import { readableErrorMessage } from '../api';
import { useLang, useT } from '../i18n';

/** The dashboard's alert cards when their list could not be read: a warning with a retry, never a blank. */
export function AlertsLoadError({ title, error, onRetry, testId }: { title: ReactNode; error: unknown; onRetry: () => void; testId: string }) {
  const t = useT();
  const { lang } = useLang();
  return (
    <Alert
      data-testid={testId}
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      title={
        <>
          {title}
          {t('：加载失败，暂时无法确认是否有待处理的提醒', ': could not load, so pending alerts cannot be ruled out')}
        </>
      }
      description={readableErrorMessage(error, lang)}
      action={
        <Button size="small" onClick={onRetry}>
          {t('重试', 'Retry')}
        </Button>
      }
    />
  );
}
