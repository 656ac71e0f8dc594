import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, readableErrorMessage } from '../api';
import { useCan } from '../auth/session';
import { checkWith, failedSaveMessage, showFieldErrors } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { ErrorState } from '../components/states';
import { useLang, useT } from '../i18n';
import { formatDate } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { forgetCategories } from '../lib/categories';
import { CategoryCreateBodySchema, CategoryPatchBodySchema, LIFE_SITUATIONS, type Category, type LifeSituation } from '../shared';

// 商品品类: the categories purchase lines are booked under (the till sends the code). HQ admins add, rename,
// regroup and disable them; a category no member has bought can be deleted once disabled.

interface FormValues {
  code?: string;
  name: string;
  nameEn: string;
  situation?: LifeSituation;
}

export default function CategoriesPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canEdit = useCan('admin');
  const list = useAsync((signal) => api.get<{ items: Category[] }>('/admin/categories', undefined, signal), []);
  const [editing, setEditing] = useState<Category | 'new' | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [situationFilter, setSituationFilter] = useState<LifeSituation | undefined>();
  const [form] = Form.useForm<FormValues>();
  const situations = Object.entries(LIFE_SITUATIONS) as Array<[LifeSituation, { zh: string; en: string }]>;
  const items = (list.data?.items ?? []).filter((c) => !situationFilter || c.situation === situationFilter);
  const active = (list.data?.items ?? []).filter((c) => c.status === 'active').length;

  const open = (category: Category | 'new') => {
    setError(null);
    setEditing(category);
    form.resetFields();
    form.setFieldsValue(category === 'new' ? { code: '', name: '', nameEn: '', situation: undefined } : { name: category.name, nameEn: category.nameEn, situation: category.situation });
  };

  const changed = () => {
    forgetCategories();
    list.reload();
  };

  const save = async () => {
    const values = form.getFieldsValue();
    const common = { name: values.name?.trim() ?? '', nameEn: values.nameEn?.trim() ?? '', situation: values.situation };
    const checked =
      editing === 'new'
        ? checkWith(CategoryCreateBodySchema, { code: values.code?.trim().toUpperCase() ?? '', ...common }, lang)
        : checkWith(CategoryPatchBodySchema, common, lang);
    if (!checked.ok) return void showFieldErrors(form, checked.errors);
    setSaving(true);
    setError(null);
    try {
      if (editing === 'new') await api.post('/admin/categories', checked.data);
      else if (editing) await api.patch(`/admin/categories/${editing.code}`, checked.data);
      setEditing(null);
      changed();
      message.success(t('品类已保存', 'Category saved'));
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const toggle = async (category: Category, on: boolean) => {
    try {
      await api.patch(`/admin/categories/${category.code}`, { status: on ? 'active' : 'disabled' });
      changed();
      message.success(on ? t(`已启用“${category.name}”`, `Enabled “${category.nameEn}”`) : t(`已停用“${category.name}”：收银系统不能再用它记商品`, `Disabled “${category.nameEn}”: tills can no longer book lines under it`));
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  const remove = async (category: Category) => {
    try {
      await api.delete(`/admin/categories/${category.code}`);
      changed();
      message.success(t('品类已删除', 'Category deleted'));
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  return (
    <>
      <PageTitle
        title={t('商品品类', 'Product categories')}
        sub={t(
          `收银系统按品类代码上报每行商品；${active} 个品类启用中。品类按生活场景分组，用于人群圈选和会员画像`,
          `Tills send each line with its category code; ${active} active. Categories are grouped by life situation, for segments and member profiles`,
        )}
        extra={
          canEdit ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="category-add">
              {t('新增品类', 'Add category')}
            </Button>
          ) : null
        }
      />
      <Card
        title={t('品类列表', 'Categories')}
        extra={
          <Select
            allowClear
            placeholder={t('全部生活场景', 'All life situations')}
            style={{ width: 200 }}
            value={situationFilter}
            onChange={setSituationFilter}
            options={situations.map(([code, label]) => ({ value: code, label: label[lang] }))}
            data-testid="category-situation-filter"
          />
        }
      >
        {list.error ? <ErrorState error={list.error} onRetry={list.reload} compact /> : null}
        <Table<Category>
          rowKey="code"
          size="small"
          loading={list.loading}
          dataSource={items}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          data-testid="category-table"
          columns={[
            { title: t('品类', 'Category'), render: (_: unknown, c) => <span style={{ opacity: c.status === 'active' ? 1 : 0.5 }}>{lang === 'zh' ? c.name : c.nameEn}</span> },
            { title: t('英文名', 'English'), dataIndex: 'nameEn', render: (v: string) => (lang === 'zh' ? v : null) },
            { title: t('代码', 'Code'), dataIndex: 'code', render: (code: string) => <Typography.Text code copyable={{ text: code }}>{code}</Typography.Text> },
            { title: t('生活场景', 'Life situation'), dataIndex: 'situation', render: (s: LifeSituation) => <Tag color="volcano">{LIFE_SITUATIONS[s][lang]}</Tag> },
            { title: t('修改时间', 'Updated'), dataIndex: 'updatedAt', render: formatDate, width: 110 },
            {
              title: t('启用', 'Active'),
              dataIndex: 'status',
              width: 80,
              render: (status: string, c) => <Switch checked={status === 'active'} disabled={!canEdit} onChange={(on) => toggle(c, on)} aria-label={t(`启用 ${c.name}`, `Active: ${c.nameEn}`)} data-testid={`category-switch-${c.code}`} />,
            },
            {
              title: t('操作', 'Actions'),
              width: 150,
              render: (_: unknown, c) =>
                canEdit ? (
                  <Space size={0}>
                    <Button type="link" icon={<EditOutlined />} onClick={() => open(c)} data-testid={`category-edit-${c.code}`}>
                      {t('编辑', 'Edit')}
                    </Button>
                    {c.status === 'disabled' ? (
                      <Popconfirm title={t('只有从未被购买过的品类可以删除，确定删除？', 'Only a category no member ever bought can be deleted. Delete?')} onConfirm={() => remove(c)} okText={t('删除', 'Delete')} cancelText={t('取消', 'Cancel')}>
                        <Button type="link" danger icon={<DeleteOutlined />}>
                          {t('删除', 'Delete')}
                        </Button>
                      </Popconfirm>
                    ) : null}
                  </Space>
                ) : null,
            },
          ]}
        />
      </Card>
      <Modal
        open={editing !== null}
        title={editing === 'new' ? t('新增品类', 'Add category') : t('编辑品类', 'Edit category')}
        okText={t('保存', 'Save')}
        cancelText={t('取消', 'Cancel')}
        confirmLoading={saving}
        onOk={save}
        onCancel={() => setEditing(null)}
        destroyOnHidden
      >
        {error ? <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} /> : null}
        <Form<FormValues> form={form} layout="vertical" data-testid="category-form">
          {editing === 'new' ? (
            <Form.Item name="code" label={t('品类代码', 'Code')} extra={t('大写字母、数字或下划线，收银系统上报时使用，保存后不可修改', 'Capital letters, digits or _; tills send it; it cannot change later')}>
              <Input placeholder="BABY_BATH" maxLength={32} data-testid="category-code" />
            </Form.Item>
          ) : (
            <Form.Item label={t('品类代码', 'Code')}>
              <Typography.Text code>{editing?.code}</Typography.Text>
            </Form.Item>
          )}
          <Form.Item name="name" label={t('中文名称', 'Chinese name')}>
            <Input maxLength={20} placeholder="婴童洗护" data-testid="category-name" />
          </Form.Item>
          <Form.Item name="nameEn" label={t('英文名称', 'English name')}>
            <Input maxLength={40} placeholder="Baby bath" data-testid="category-name-en" />
          </Form.Item>
          <Form.Item name="situation" label={t('生活场景', 'Life situation')} extra={t('买这个品类的会员处在什么生活阶段', 'What buying this says about the member')}>
            <Select options={situations.map(([code, label]) => ({ value: code, label: label[lang] }))} data-testid="category-situation" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
