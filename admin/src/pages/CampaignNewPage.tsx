import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Select, Space } from 'antd';
import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import type { Campaign, Segment } from '../api/types';
import { checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { SegmentBuilder } from '../components/SegmentBuilder';
import { useLang, useT } from '../i18n';
import { useAsync } from '../lib/hooks';
import { CampaignCreateBodySchema, type CouponTemplate } from '../shared';

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
    const text = values.message?.trim();
    // The same schema the server validates with; the message is one text for every home store.
    const checked = checkWith(CampaignCreateBodySchema, { name: values.name?.trim() ?? '', templateId: values.templateId ?? '', segment, ...(text ? { message: { default: text } } : {}) }, lang);
    if (!checked.ok) {
      const unplaced = showFieldErrors(form, checked.errors, { 'message.default': 'message' });
      if (unplaced.length) setError(unplaced.join('; '));
      return;
    }
    setSaving(true);
    try {
      const campaign = await api.post<Campaign>('/admin/campaigns', checked.data);
      message.success(t('推送已创建，确认后即可发起', 'Campaign created; launch it when ready'));
      navigate(`/campaigns/${campaign.id}`, { replace: true });
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang, { 'message.default': 'message' }));
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
          <Form.Item name="message" label={t('订阅消息文案（可选）', 'Subscribe message text (optional)')} extra={t('微信订阅消息每项最多20字', 'WeChat subscribe messages hold at most 20 characters per field')}>
            <Input maxLength={20} showCount data-testid="campaign-message" />
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
