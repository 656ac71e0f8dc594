import { DownloadOutlined } from '@ant-design/icons';
import { Alert, Button, Dropdown, Modal, Progress, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { api, readableErrorMessage } from '../../api';
import { useLang, useT } from '../../i18n';
import { saveBlob } from '../../lib/download';
import { formatInt } from '../../lib/format';
import type { MemberExport, MemberListFilter } from '../../shared';

const POLL_MS = 500;

/**
 * Exports the filtered members as CSV or Excel. The server writes the file in the background from a cursor;
 * this polls its progress (rows written of the total it counted at the start) and downloads it when done.
 */
export function MemberExportButton({ filter, total }: { filter: MemberListFilter; total: number | null }) {
  const t = useT();
  const { lang } = useLang();
  const [job, setJob] = useState<MemberExport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const live = useRef(true);
  useEffect(() => () => void (live.current = false), []);

  const start = async (format: 'csv' | 'xlsx') => {
    setError(null);
    setJob(null);
    setOpen(true);
    try {
      let current = await api.post<MemberExport>('/admin/member-exports', { format, filter });
      setJob(current);
      while (current.status === 'running' && live.current) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        current = await api.get<MemberExport>(`/admin/member-exports/${current.id}`);
        setJob(current);
      }
      if (current.status === 'failed') throw new Error(t('导出失败，请重试', 'The export failed; try again'));
      if (current.status === 'done') saveBlob(await api.download(`/admin/member-exports/${current.id}/file`), current.fileName);
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    }
  };

  const percent = !job ? 0 : job.status === 'done' || job.total === 0 ? 100 : Math.floor((job.written / job.total) * 100);
  return (
    <>
      <Dropdown
        menu={{
          items: [
            { key: 'xlsx', label: t('导出 Excel（.xlsx）', 'Export Excel (.xlsx)') },
            { key: 'csv', label: t('导出 CSV', 'Export CSV') },
          ],
          onClick: ({ key }) => void start(key as 'csv' | 'xlsx'),
        }}
        disabled={total === 0}
      >
        <Button icon={<DownloadOutlined />} data-testid="export-members">
          {t('导出', 'Export')}
        </Button>
      </Dropdown>
      <Modal
        title={t('导出会员', 'Export members')}
        open={open}
        onCancel={() => setOpen(false)}
        footer={<Button onClick={() => setOpen(false)}>{job?.status === 'done' || error ? t('关闭', 'Close') : t('后台继续', 'Hide')}</Button>}
      >
        <div data-testid="export-progress">
          {error ? <Alert type="error" showIcon title={error} /> : null}
          {job ? (
            <>
              <Progress percent={percent} status={job.status === 'failed' ? 'exception' : job.status === 'done' ? 'success' : 'active'} />
              <Typography.Paragraph style={{ marginTop: 8 }}>
                {job.status === 'done'
                  ? t(`已导出 ${formatInt(job.written)} 位会员，文件 ${job.fileName} 已开始下载。`, `Exported ${formatInt(job.written)} members; ${job.fileName} is downloading.`)
                  : t(`正在导出：${formatInt(job.written)} / ${formatInt(job.total)} 位会员`, `Exporting: ${formatInt(job.written)} / ${formatInt(job.total)} members`)}
              </Typography.Paragraph>
              {job.phonesMasked ? (
                <Typography.Text type="secondary">{t('手机号已打码：仅总部管理员可导出完整手机号。', 'Phones are masked: only HQ admins export them in full.')}</Typography.Text>
              ) : (
                <Typography.Text type="secondary">{t('文件含完整手机号，请妥善保管；本次导出已记入操作日志。', 'The file holds full phone numbers; keep it safe. This export is in the audit log.')}</Typography.Text>
              )}
            </>
          ) : !error ? (
            <Progress percent={0} status="active" />
          ) : null}
        </div>
      </Modal>
    </>
  );
}
