import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Select, Space } from 'antd';
import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import type { Campaign, Segment } from '../api/types';
import { serverFieldErrors, showFieldErrors } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { SegmentBuilder } from '../components/SegmentBuilder';
import { useLang, useT } from '../i18n';
import { useAsync } from '../lib/hooks';
import type { CouponTemplate } from '../shared';

interface CampaignForm {
  name: string;
  templateId?: string;
  message?: string;
}

export default function CampaignNewPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const location = useLocation();
  const initialSegment = (location.state as { segment?: Segment } | null)?.segment;
  const [form] = Form.useForm<CampaignForm>();
  const [segment, setSegment] = useState<Segment>(initialSegment ?? {});
  const [count, setCount] = useState<number | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const templates = useAsync((signal) => api.list<CouponTemplate>('/admin/coupon-templates', { status: 'active', limit: 100 }, signal), []);

  const create = async () => {
    setError(null);
    const values = form.getFieldsValue();
    const missing: Array<{ name: keyof CampaignForm; errors: string[] }> = [];
    if (!values.name?.trim()) missing.push({ name: 'name', errors: [t('请填写名称', 'Name is required')] });
    if (!values.templateId) missing.push({ name: 'templateId', errors: [t('请选择优惠券模板', 'Pick a coupon template')] });
    if (missing.length) return void form.setFields(missing);
    setSaving(true);
    try {
      const body = { name: values.name.trim(), templateId: values.templateId, segment, ...(values.message?.trim() ? { message: values.message.trim() } : {}) };
      const campaign = await api.post<Campaign>('/admin/campaigns', body);
      message.success(t('推送已创建，确认后即可发起', 'Campaign created; launch it when ready'));
      navigate(`/campaigns/${campaign.id}`, { replace: true });
    } catch (cause) {
      const fields = serverFieldErrors(cause);
      const unplaced = fields ? showFieldErrors(form, fields) : [];
      setError([readableErrorMessage(cause, lang), ...unplaced].join('; '));
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <PageTitle
        title={
          <Space>
            <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/campaigns')} aria-label={t('返回', 'Back')} />
            {t('新建推送', 'New campaign')}
          </Space>
        }
        extra={
          <Button type="primary" onClick={create} loading={saving} data-testid="create-campaign">
            {count === null ? t('创建草稿', 'Create draft') : t(`创建草稿（${count} 人）`, `Create draft (${count} members)`)}
          </Button>
        }
      />
      <Card style={{ marginBottom: 16 }}>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} /> : null}
        <Form<CampaignForm> form={form} layout="vertical" requiredMark={false}>
          <div className="mc-two-col">
            <Form.Item name="name" label={t('推送名称', 'Campaign name')}>
              <Input maxLength={60} placeholder={t('例如：会员日满减券', 'e.g. Member day coupon')} data-testid="campaign-name" />
            </Form.Item>
            <Form.Item name="templateId" label={t('发放的优惠券', 'Coupon to issue')}>
              <Select
                loading={templates.loading}
                showSearch={{ optionFilterProp: 'label' }}
                placeholder={t('选择模板', 'Choose a template')}
                options={(templates.data?.items ?? []).map((template) => ({ label: `${template.title}（${template.issuedCount}/${template.totalQuantity}）`, value: template.id }))}
                notFoundContent={templates.error ? readableErrorMessage(templates.error, lang) : undefined}
                data-testid="campaign-template"
              />
            </Form.Item>
          </div>
          <Form.Item name="message" label={t('订阅消息文案（可选）', 'Subscribe message text (optional)')}>
            <Input.TextArea rows={2} maxLength={100} showCount />
          </Form.Item>
        </Form>
      </Card>
      <SegmentBuilder
        initial={initialSegment}
        onChange={(next, nextCount) => {
          setSegment(next);
          setCount(nextCount);
        }}
      />
    </>
  );
}
