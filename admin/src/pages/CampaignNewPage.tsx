import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Form, Input, InputNumber, Radio, Select, Space, Statistic, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import type { Campaign, CampaignPreviewAnswer, SavedSegment, Segment } from '../api/types';
import { clearErrorsOnEdit, checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { SegmentBuilder } from '../components/SegmentBuilder';
import { useLang, useT } from '../i18n';
import { formatInt } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { describeSegment } from '../lib/segment';
import { chinaWallTimeToIso } from './CampaignResultsPanel';
import { CampaignCreateBodySchema, DEFAULT_HOLDOUT_SHARE, MAX_HOLDOUT_SHARE, type CouponTemplate } from '../shared';

interface CampaignForm {
  name: string;
  templateId?: string;
  message?: string;
  savedSegmentId?: string;
  holdoutPercent?: number | null;
  launchAt?: Dayjs | null;
}

export default function CampaignNewPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const location = useLocation();
  const reference = useReference();
  const initialSegment = (location.state as { segment?: Segment } | null)?.segment;
  const [form] = Form.useForm<CampaignForm>();
  const [audienceFrom, setAudienceFrom] = useState<'saved' | 'custom'>('custom');
  const [when, setWhen] = useState<'manual' | 'scheduled'>('manual');
  const [segment, setSegment] = useState<Segment>(initialSegment ?? {});
  const [count, setCount] = useState<number | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const templates = useAsync((signal) => api.list<CouponTemplate>('/admin/coupon-templates', { status: 'active', limit: 100 }, signal), []);
  const savedSegments = useAsync((signal) => api.list<SavedSegment>('/admin/segments', { limit: 100 }, signal), []);
  const savedSegmentId = Form.useWatch('savedSegmentId', form);
  const chosen = savedSegments.data?.items.find((item) => item.id === savedSegmentId);

  // A saved segment's audience is counted as the custom builder counts its own.
  useEffect(() => {
    if (audienceFrom !== 'saved') return;
    if (!chosen) return setCount(null);
    let live = true;
    setCount(null);
    api
      .post<CampaignPreviewAnswer>('/admin/campaigns/preview', { segment: chosen.segment })
      .then((answer) => live && setCount(answer.count))
      .catch(() => live && setCount(null));
    return () => {
      live = false;
    };
  }, [audienceFrom, chosen?.id]);

  const create = async () => {
    setError(null);
    const values = form.getFieldsValue();
    const text = values.message?.trim();
    const percent = values.holdoutPercent ?? 0;
    if (when === 'scheduled' && !values.launchAt) {
      form.setFields([{ name: 'launchAt', errors: [t('请选择发起时间', 'Choose a launch time')] }]);
      return;
    }
    if (audienceFrom === 'saved' && !values.savedSegmentId) {
      form.setFields([{ name: 'savedSegmentId', errors: [t('请选择一个已保存的人群', 'Choose a saved segment')] }]);
      return;
    }
    // The same schema the server validates with; the message is one text for every home store.
    const checked = checkWith(
      CampaignCreateBodySchema,
      {
        name: values.name?.trim() ?? '',
        templateId: values.templateId ?? '',
        ...(audienceFrom === 'saved' ? { savedSegmentId: values.savedSegmentId } : { segment }),
        holdoutShare: Math.round(percent * 10) / 1000,
        ...(when === 'scheduled' && values.launchAt ? { launchAt: chinaWallTimeToIso(values.launchAt) } : {}),
        ...(text ? { message: { default: text } } : {}),
      },
      lang,
    );
    if (!checked.ok) {
      const unplaced = showFieldErrors(form, checked.errors, { 'message.default': 'message', holdoutShare: 'holdoutPercent' });
      if (unplaced.length) setError(unplaced.join('; '));
      return;
    }
    setSaving(true);
    try {
      const campaign = await api.post<Campaign>('/admin/campaigns', checked.data);
      message.success(
        campaign.status === 'scheduled'
          ? t('推送已创建，将在设定时间自动发起', 'Campaign created; it launches at the set time')
          : t('推送已创建，确认后即可发起', 'Campaign created; launch it when ready'),
      );
      navigate(`/campaigns/${campaign.id}`, { replace: true });
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang, { 'message.default': 'message', holdoutShare: 'holdoutPercent' }));
    } finally {
      setSaving(false);
    }
  };

  const holdoutPercent = Form.useWatch('holdoutPercent', form) ?? 0;
  const heldOut = count === null ? null : Math.round((count * holdoutPercent) / 100);
  const action = when === 'scheduled' ? t('创建并定时', 'Create and schedule') : t('创建草稿', 'Create draft');

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
            {count === null ? action : t(`${action}（${formatInt(count)} 人）`, `${action} (${formatInt(count)} members)`)}
          </Button>
        }
      />
      <Form<CampaignForm> form={form} layout="vertical" requiredMark={false} onValuesChange={clearErrorsOnEdit(form)} initialValues={{ holdoutPercent: DEFAULT_HOLDOUT_SHARE * 100 }}>
        <Card style={{ marginBottom: 16 }}>
          {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} /> : null}
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
          <div className="mc-two-col">
            <Form.Item
              name="holdoutPercent"
              label={t('对照组比例', 'Holdout share')}
              extra={t(
                `随机留出这部分会员，不发券也不发消息，用来衡量推送真正带来的到店和消费（0–${MAX_HOLDOUT_SHARE * 100}%）${heldOut === null ? '' : `，约 ${formatInt(heldOut)} 人`}`,
                `Members drawn at random get neither coupon nor message, to measure what the push really caused (0–${MAX_HOLDOUT_SHARE * 100}%)${heldOut === null ? '' : `; about ${formatInt(heldOut)} members`}`,
              )}
            >
              <InputNumber min={0} max={MAX_HOLDOUT_SHARE * 100} step={5} precision={1} suffix="%" style={{ width: 160 }} data-testid="campaign-holdout" />
            </Form.Item>
            <div>
              <Form.Item label={t('发起方式', 'Launch')} style={{ marginBottom: 8 }}>
                <Radio.Group value={when} onChange={(event) => setWhen(event.target.value)} data-testid="campaign-when">
                  <Radio value="manual">{t('稍后手动发起', 'Launch by hand later')}</Radio>
                  <Radio value="scheduled">{t('定时发起', 'At a set time')}</Radio>
                </Radio.Group>
              </Form.Item>
              {when === 'scheduled' ? (
                <Form.Item name="launchAt" extra={t('北京时间；到点后一分钟内自动发起，开始前可改期或取消', 'China time; launches within a minute of it; can be moved or cancelled before')}>
                  <DatePicker
                    showTime={{ format: 'HH:mm' }}
                    format="YYYY-MM-DD HH:mm"
                    placeholder={t('选择发起时间', 'Choose a time')}
                    disabledDate={(day) => day.isBefore(dayjs().startOf('day'))}
                    style={{ width: 240 }}
                    data-testid="campaign-launch-at"
                  />
                </Form.Item>
              ) : null}
            </div>
          </div>
        </Card>
        <Card title={t('目标人群', 'Audience')} style={{ marginBottom: 16 }}>
          <Radio.Group value={audienceFrom} onChange={(event) => setAudienceFrom(event.target.value)} style={{ marginBottom: 16 }} data-testid="audience-from">
            <Radio.Button value="saved">{t('使用已保存人群', 'A saved segment')}</Radio.Button>
            <Radio.Button value="custom">{t('自定义条件', 'Custom conditions')}</Radio.Button>
          </Radio.Group>
          {audienceFrom === 'saved' ? (
            <div className="mc-two-col">
              <div>
                <Form.Item name="savedSegmentId" label={t('已保存的人群', 'Saved segment')} extra={t('发起时按这份条件圈人；条件会复制到推送里，之后删除人群不影响推送', 'Its conditions are copied into the campaign; deleting the segment later changes nothing here')}>
                  <Select
                    loading={savedSegments.loading}
                    showSearch={{ optionFilterProp: 'label' }}
                    placeholder={t('选择人群', 'Choose a segment')}
                    options={(savedSegments.data?.items ?? []).map((item) => ({ label: item.name, value: item.id }))}
                    notFoundContent={savedSegments.error ? readableErrorMessage(savedSegments.error, lang) : t('还没有保存的人群，可在“人群圈选”中保存', 'No saved segments yet; save one under Segments')}
                    data-testid="campaign-saved-segment"
                  />
                </Form.Item>
                {chosen ? (
                  <div>
                    {describeSegment(chosen.segment, t, { tier: reference.tierName, store: reference.storeName }).map((part) => <Tag key={part}>{part}</Tag>)}
                    {Object.keys(chosen.segment).length === 0 ? <Tag>{t('全部会员', 'Every member')}</Tag> : null}
                  </div>
                ) : null}
              </div>
              <div>
                <Statistic title={t('当前符合条件的会员', 'Members matching now')} value={chosen ? (count === null ? '…' : formatInt(count)) : '—'} />
                <Typography.Text type="secondary">{t('人数在发起时重新计算', 'Counted again at launch')}</Typography.Text>
              </div>
            </div>
          ) : null}
        </Card>
      </Form>
      {audienceFrom === 'custom' ? (
        <SegmentBuilder
          initial={initialSegment}
          onChange={(next, nextCount) => {
            setSegment(next);
            setCount(nextCount);
          }}
        />
      ) : null}
    </>
  );
}
