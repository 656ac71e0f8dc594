import { InboxOutlined } from '@ant-design/icons';
import { Alert, Button, Descriptions, Modal, Space, Steps, Table, Typography, Upload } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../../api';
import { useLang, useT } from '../../i18n';
import { saveBlob } from '../../lib/download';
import { formatInt } from '../../lib/format';
import type { MemberImportProblem, MemberImportReport } from '../../shared';

const TEMPLATE = '卡号,手机号,姓名,生日,等级,积分\r\nA0001,13800000000,张三,1990-05-20,金卡,1200\r\n';
/** The server takes the file inside a 1 MB JSON body. */
const MAX_FILE_BYTES = 850_000;

/** Legacy systems often save CSV from Excel in GB18030 (GBK): read UTF-8 when the bytes are UTF-8, else GB18030. */
export function decodeCsvBytes(bytes: ArrayBuffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/**
 * Import from a legacy system: choose a CSV, see the dry run (every bad row with its line, column and reason),
 * then confirm. Rows already imported (by legacy card number) are left as they are, so running a file again is safe.
 */
export function MemberImportModal({ open, onClose, onImported }: { open: boolean; onClose: () => void; onImported: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [dryRun, setDryRun] = useState<MemberImportReport | null>(null);
  const [result, setResult] = useState<MemberImportReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const reset = () => {
    setFile(null);
    setDryRun(null);
    setResult(null);
    setError(null);
  };
  const send = async (text: string, name: string, isDryRun: boolean) => api.post<MemberImportReport>('/admin/member-imports', { fileName: name, csv: text, dryRun: isDryRun });

  const choose = async (chosen: File) => {
    reset();
    if (chosen.size > MAX_FILE_BYTES) return void setError(t('文件超过 850 KB（约 1 万行），请拆成几个文件分批导入', 'The file is over 850 KB (about 10,000 rows); split it and import in parts'));
    const text = decodeCsvBytes(await chosen.arrayBuffer());
    setFile({ name: chosen.name, text });
    setBusy(true);
    try {
      setDryRun(await send(text, chosen.name, true));
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      setResult(await send(file.text, file.name, false));
      onImported();
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    } finally {
      setBusy(false);
    }
  };

  const report = result ?? dryRun;
  const toCreate = dryRun?.created ?? 0;
  const step = result ? 2 : dryRun ? 1 : 0;
  return (
    <Modal
      title={t('从旧系统导入会员', 'Import members from a legacy system')}
      open={open}
      width={820}
      onCancel={() => {
        reset();
        onClose();
      }}
      footer={
        <Space>
          <Button onClick={() => saveBlob(new Blob([`\ufeff${TEMPLATE}`], { type: 'text/csv;charset=utf-8' }), 'member-import-template.csv')}>{t('下载模板', 'Download template')}</Button>
          {result ? (
            <Button type="primary" onClick={() => { reset(); onClose(); }}>{t('完成', 'Done')}</Button>
          ) : (
            <Button type="primary" disabled={!dryRun || toCreate === 0} loading={busy && Boolean(dryRun)} onClick={confirm} data-testid="import-confirm">
              {toCreate > 0 ? t(`确认导入 ${formatInt(toCreate)} 位会员`, `Import ${formatInt(toCreate)} members`) : t('确认导入', 'Import')}
            </Button>
          )}
        </Space>
      }
      destroyOnHidden
    >
      <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="import-modal">
        <Steps size="small" current={step} items={[{ title: t('选择文件', 'Choose file') }, { title: t('检查结果', 'Check') }, { title: t('导入完成', 'Imported') }]} />
        {!result ? (
          <Upload.Dragger accept=".csv,text/csv" maxCount={1} showUploadList={false} beforeUpload={(chosen) => { void choose(chosen); return false; }} disabled={busy} data-testid="import-file">
            <p className="ant-upload-drag-icon"><InboxOutlined /></p>
            <p className="ant-upload-text">{file ? t(`已选择 ${file.name}，点击或拖入可换一个文件`, `${file.name} chosen; click or drop to change`) : t('点击或拖入 CSV 文件', 'Click or drop a CSV file')}</p>
            <p className="ant-upload-hint">{t('列：卡号（必填）、手机号、姓名、生日、等级、积分；UTF-8 或 GBK 编码均可。先检查、不写入，确认后才导入；同一卡号重复导入不会重复建档或重复加积分。', 'Columns: 卡号 (required), 手机号, 姓名, 生日, 等级, 积分; UTF-8 or GBK. Checked first without writing; importing the same card twice creates nothing twice.')}</p>
          </Upload.Dragger>
        ) : null}
        {error ? <Alert type="error" showIcon title={error} /> : null}
        {report ? (
          <>
            {result ? (
              <Alert type="success" showIcon title={t(`已导入 ${formatInt(result.created)} 位会员，期初积分共 ${formatInt(result.openingPoints)}`, `Imported ${formatInt(result.created)} members with ${formatInt(result.openingPoints)} opening points`)} data-testid="import-result" />
            ) : (
              <Alert
                type={report.problems.length ? 'warning' : 'info'}
                showIcon
                title={report.problems.length
                  ? t(`检查完成：${formatInt(report.problems.length)} 处问题，有问题的行不会导入`, `Checked: ${formatInt(report.problems.length)} problems; rows with problems are not imported`)
                  : t('检查完成：没有发现问题', 'Checked: no problems found')}
              />
            )}
            <Descriptions size="small" column={3} bordered data-testid="import-summary">
              <Descriptions.Item label={t('数据行', 'Rows')}>{formatInt(report.rows)}</Descriptions.Item>
              <Descriptions.Item label={t('可导入', 'Valid')}>{formatInt(report.valid)}</Descriptions.Item>
              <Descriptions.Item label={result ? t('新建会员', 'Created') : t('将新建会员', 'To create')}>{formatInt(report.created)}</Descriptions.Item>
              <Descriptions.Item label={t('已导入过（跳过）', 'Imported before (skipped)')}>{formatInt(report.alreadyImported)}</Descriptions.Item>
              <Descriptions.Item label={result ? t('期初积分', 'Opening points') : t('将记入期初积分', 'Opening points to book')}>{formatInt(report.openingPoints)}</Descriptions.Item>
              <Descriptions.Item label={t('有问题的行', 'Rows with problems')}>{formatInt(new Set(report.problems.map((p) => p.row)).size)}</Descriptions.Item>
            </Descriptions>
            {report.problems.length ? (
              <Table<MemberImportProblem>
                size="small"
                rowKey={(problem) => `${problem.row}-${problem.column}-${problem.message}`}
                dataSource={report.problems}
                pagination={report.problems.length > 8 ? { pageSize: 8, showSizeChanger: false } : false}
                columns={[
                  { title: t('行号', 'Line'), dataIndex: 'row', width: 80 },
                  { title: t('列', 'Column'), dataIndex: 'column', width: 100, render: (value: string) => value || '—' },
                  { title: t('问题', 'Problem'), dataIndex: 'message' },
                ]}
                data-testid="import-problems"
              />
            ) : null}
            {!result && report.problems.length ? (
              <Typography.Text type="secondary">{t('可以修改文件后重新选择；也可以先导入没有问题的行，改好其余行后再导入同一文件（已导入的不会重复）。', 'Fix the file and choose it again, or import the good rows now and the rest later: rows already imported are skipped.')}</Typography.Text>
            ) : null}
          </>
        ) : null}
      </Space>
    </Modal>
  );
}
