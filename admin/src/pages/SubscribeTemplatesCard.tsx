import { Alert, App, Button, Card, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import { useCan } from '../auth/session';
import { serverFieldErrors } from '../components/formErrors';
import { AsyncView } from '../components/states';
import { useLang, useT } from '../i18n';
import { useAsync } from '../lib/hooks';
import { MESSAGE_PURPOSE_LABELS, SubscribeTemplateBodySchema, labelOf, type SubscribeTemplateSetting, type SubscribeTemplateSettings } from '../shared';

// The WeChat subscribe-message template of each purpose: its id and which product field each of its keywords
// (thing1, time2…) shows. The environment (SUBSCRIBE_TEMPLATES) sets them; HQ can replace one here with a
// template picked in the WeChat console, or go back to the environment's.

interface Draft {
  purpose: SubscribeTemplateSetting['purpose'];
  id: string;
  rows: Array<{ keyword: string; field: string }>;
}

export function SubscribeTemplatesCard() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canWrite = useCan('admin'); // the routes' writes need the HQ admin role
  const state = useAsync((signal) => api.get<SubscribeTemplateSettings>('/admin/subscribe-templates', undefined, signal), []);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const purposeName = (purpose: string) => labelOf(MESSAGE_PURPOSE_LABELS, purpose, lang);
  const editing = draft ? state.data?.items.find((item) => item.purpose === draft.purpose) : undefined;
  const fieldMeans = (item: SubscribeTemplateSetting | undefined, field: string) => item?.fields.find((f) => f.name === field)?.means ?? field;

  const replaceItem = (next: SubscribeTemplateSetting) => {
    if (state.data) state.setData({ items: state.data.items.map((item) => (item.purpose === next.purpose ? next : item)) });
  };

  // The server names the field and the problem (in English); say it in the console's language.
  const problemText = (field: string, text: string): string => {
    const keyword = field.replace(/^(body\.)?keywords\./, '');
    const item = state.data?.items.find((i) => i.purpose === draft?.purpose);
    if (/not a WeChat keyword/.test(text)) return t(`${keyword} 不是微信模板关键词（类型加编号，如 thing1、time2）`, `${keyword} is not a WeChat keyword (a type and a number: thing1, time2…)`);
    const cannot = /^(\w+) cannot fill a (\w+) keyword/.exec(text);
    if (cannot) return t(`「${fieldMeans(item, cannot[1]!)}」不能填入 ${cannot[2]} 类型的关键词 ${keyword}`, `${cannot[1]} cannot fill the ${cannot[2]} keyword ${keyword}`);
    if (/is not a field of/.test(text)) return t(`${keyword} 对应的内容不属于该用途`, `${keyword} shows a field this purpose does not have`);
    const shared = /already the template of (\w+)/.exec(text);
    if (shared) return t(`该模板 ID 已用于「${purposeName(shared[1]!)}」，每个用途需用不同的模板`, `This id is already the ${purposeName(shared[1]!)} template; each purpose needs its own`);
    // A refusal this card does not know yet: said in Chinese first, the server's words kept for support.
    const where = field.startsWith('body.keywords.') || field.startsWith('keywords.') ? keyword : field === 'body.id' || field === 'id' ? t('模板 ID', 'Template id') : field.replace(/^body\./, '');
    return t(`${where} 不符合该用途的要求（服务器说明：${text}）`, `${where}: ${text}`);
  };

  const failure = (cause: unknown) => {
    const fields = serverFieldErrors(cause);
    if (!fields) return readableErrorMessage(cause, lang);
    return Object.entries(fields).map(([field, text]) => problemText(field, text)).join('；');
  };

  const save = async () => {
    if (!draft) return;
    const body = { id: draft.id.trim(), keywords: Object.fromEntries(draft.rows.filter((row) => row.keyword.trim()).map((row) => [row.keyword.trim(), row.field])) };
    const checked = SubscribeTemplateBodySchema.safeParse(body);
    if (!checked.success) return void setError(t('请填写模板 ID 和至少一个关键词', 'Enter the template id and at least one keyword'));
    setSaving(true);
    setError(null);
    try {
      replaceItem(await api.put<SubscribeTemplateSetting>(`/admin/subscribe-templates/${draft.purpose}`, checked.data));
      message.success(t('订阅消息模板已保存', 'Template saved'));
      setDraft(null);
    } catch (cause) {
      setError(failure(cause));
    } finally {
      setSaving(false);
    }
  };

  const restore = async () => {
    if (!draft) return;
    setSaving(true);
    try {
      replaceItem(await api.delete<SubscribeTemplateSetting>(`/admin/subscribe-templates/${draft.purpose}`));
      message.success(t('已恢复为环境配置的模板', 'Back to the configured template'));
      setDraft(null);
    } catch (cause) {
      setError(failure(cause));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card title={t('订阅消息模板', 'Subscribe-message templates')} style={{ marginBottom: 16 }} data-testid="subscribe-templates">
      <AsyncView state={state} rows={3}>
        {(settings) => (
          <Table<SubscribeTemplateSetting>
            size="small"
            pagination={false}
            rowKey="purpose"
            dataSource={settings.items}
            columns={[
              { title: t('用途', 'Purpose'), dataIndex: 'purpose', render: purposeName },
              { title: t('模板 ID', 'Template id'), render: (_: unknown, item) => <Typography.Text code>{item.template.id}</Typography.Text> },
              {
                title: t('关键词 → 内容', 'Keyword → shows'),
                render: (_: unknown, item) => (
                  <Space size={[4, 4]} wrap>
                    {Object.entries(item.template.keywords).map(([keyword, field]) => (
                      <Tag key={keyword}>
                        {keyword} · {fieldMeans(item, field)}
                      </Tag>
                    ))}
                  </Space>
                ),
              },
              {
                title: t('来源', 'Set by'),
                dataIndex: 'source',
                render: (source: string) => (source === 'hq' ? <Tag color="blue">{t('总部设置', 'HQ')}</Tag> : <Tag>{t('环境配置', 'Environment')}</Tag>),
              },
              {
                title: '',
                render: (_: unknown, item) =>
                  canWrite ? (
                    <Button
                      size="small"
                      data-testid={`edit-template-${item.purpose}`}
                      onClick={() => {
                        setError(null);
                        setDraft({ purpose: item.purpose, id: item.template.id, rows: Object.entries(item.template.keywords).map(([keyword, field]) => ({ keyword, field })) });
                      }}
                    >
                      {t('编辑', 'Edit')}
                    </Button>
                  ) : null,
              },
            ]}
          />
        )}
      </AsyncView>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0, fontSize: 12 }}>
        {t(
          '在微信公众平台「订阅消息」中选用模板后，将模板 ID 和每个关键词（如 thing1、time2）对应的内容填在这里；关键词名决定取值规则（thing 最多 20 字，time 为“2025年2月1日 15:01”）。',
          'Pick a template in the WeChat console (订阅消息), then enter its id and what each keyword (thing1, time2…) shows; the keyword name sets its value rule (thing ≤ 20 characters, time like 2025年2月1日 15:01).',
        )}
      </Typography.Paragraph>
      <Modal
        title={draft ? `${t('编辑模板', 'Edit template')} · ${purposeName(draft.purpose)}` : ''}
        open={!!draft}
        onCancel={() => setDraft(null)}
        onOk={save}
        okText={t('保存', 'Save')}
        cancelText={t('取消', 'Cancel')}
        confirmLoading={saving}
        footer={(original) => (
          <Space>
            {editing?.source === 'hq' ? (
              <Button onClick={restore} disabled={saving}>
                {t('恢复环境配置', 'Back to configured')}
              </Button>
            ) : null}
            {original}
          </Space>
        )}
      >
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        {draft ? (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Typography.Text>{t('模板 ID', 'Template id')}</Typography.Text>
            <Input value={draft.id} onChange={(event) => setDraft({ ...draft, id: event.target.value })} data-testid="template-id" />
            <Typography.Text>{t('关键词', 'Keywords')}</Typography.Text>
            {draft.rows.map((row, index) => (
              <Space key={index} style={{ width: '100%' }}>
                <Input
                  style={{ width: 160 }}
                  placeholder="thing1"
                  value={row.keyword}
                  onChange={(event) => setDraft({ ...draft, rows: draft.rows.map((r, i) => (i === index ? { ...r, keyword: event.target.value } : r)) })}
                />
                <Select
                  style={{ width: 220 }}
                  value={row.field}
                  options={(editing?.fields ?? []).map((field) => ({ value: field.name, label: `${field.means}（${field.name}）` }))}
                  onChange={(field: string) => setDraft({ ...draft, rows: draft.rows.map((r, i) => (i === index ? { ...r, field } : r)) })}
                />
                <Button type="text" onClick={() => setDraft({ ...draft, rows: draft.rows.filter((_, i) => i !== index) })}>
                  {t('删除', 'Remove')}
                </Button>
              </Space>
            ))}
            <Button size="small" onClick={() => setDraft({ ...draft, rows: [...draft.rows, { keyword: '', field: editing?.fields[0]?.name ?? '' }] })}>
              {t('添加关键词', 'Add keyword')}
            </Button>
          </Space>
        ) : null}
      </Modal>
    </Card>
  );
}
