import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Checkbox, DatePicker, Form, Input, InputNumber, Popconfirm, Radio, Select, Space, Typography } from 'antd';
import type { FormInstance } from 'antd';
import { useCan } from '../auth/session';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import { CouponPreviewCard } from '../components/CouponPreviewCard';
import { WalletSyncPanel } from '../components/coupons/WalletSyncPanel';
import { clearErrorsOnEdit, checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { ErrorState, LoadingState } from '../components/states';
import { useLang, useT } from '../i18n';
import { compact } from '../lib/forms';
import { fenToYuan, yuanToFen } from '../lib/format';
import { useReference } from '../lib/reference';
import { CouponTemplateInputSchema, type CouponTemplate, type CouponTemplateInput, type CouponType } from '../shared';

interface TemplateForm {
  title: string;
  type: CouponType;
  minSpendYuan?: number | null;
  amountOffYuan?: number | null;
  /** A cash coupon with no minimum spend takes its amount off any order: HQ ticks this to confirm. */
  noMinSpendConfirmed?: boolean;
  percentOff?: number | null;
  maxOffYuan?: number | null;
  giftName?: string;
  validity: 'relative' | 'fixed';
  validDays?: number | null;
  validRange?: [Dayjs, Dayjs] | null;
  totalQuantity?: number | null;
  perMemberLimit?: number | null;
  storeIds?: string[];
  tiers?: string[];
  pointsCost?: number | null;
  /** Members may claim it for free in the mini-program's coupon centre (领券中心). */
  inCouponCentre?: boolean;
}

/** Wire names the form shows under another name (money is typed in yuan, the fixed window in one picker). */
const renameToForm: Record<string, string> = {
  minSpendFen: 'minSpendYuan',
  amountOffFen: 'amountOffYuan',
  maxOffFen: 'maxOffYuan',
  validFrom: 'validRange',
  validUntil: 'validRange',
};

export function templateBodyFromForm(values: TemplateForm): Record<string, unknown> {
  const type = values.type;
  const fixed = values.validity === 'fixed';
  return compact({
    title: values.title?.trim(),
    type,
    minSpendFen: type === 'gift' ? undefined : yuanToFen(values.minSpendYuan),
    amountOffFen: type === 'cash' ? yuanToFen(values.amountOffYuan) : undefined,
    noMinSpendConfirmed: type === 'cash' && values.noMinSpendConfirmed ? true : undefined,
    percentOff: type === 'discount' ? (values.percentOff ?? undefined) : undefined,
    maxOffFen: type === 'discount' ? yuanToFen(values.maxOffYuan) : undefined,
    giftName: type === 'gift' ? values.giftName?.trim() : undefined,
    validFrom: fixed ? values.validRange?.[0]?.toISOString() : undefined,
    validUntil: fixed ? values.validRange?.[1]?.toISOString() : undefined,
    validDays: fixed ? undefined : (values.validDays ?? undefined),
    totalQuantity: values.totalQuantity ?? undefined,
    perMemberLimit: values.perMemberLimit ?? undefined,
    storeIds: values.storeIds,
    tiers: values.tiers,
    pointsCost: values.pointsCost ?? undefined,
    inCouponCentre: values.inCouponCentre ? true : undefined,
  });
}

function formFromTemplate(template: CouponTemplate): TemplateForm {
  const fixed = !!template.validFrom && !!template.validUntil;
  return {
    title: template.title,
    type: template.type,
    minSpendYuan: fenToYuan(template.minSpendFen) ?? null,
    amountOffYuan: fenToYuan(template.amountOffFen) ?? null,
    percentOff: template.percentOff ?? null,
    maxOffYuan: fenToYuan(template.maxOffFen) ?? null,
    giftName: template.giftName,
    validity: fixed ? 'fixed' : 'relative',
    validDays: template.validDays ?? null,
    validRange: fixed ? [dayjs(template.validFrom), dayjs(template.validUntil)] : null,
    totalQuantity: template.totalQuantity,
    perMemberLimit: template.perMemberLimit,
    storeIds: template.storeIds ?? [],
    tiers: template.tiers ?? [],
    pointsCost: template.pointsCost ?? null,
    inCouponCentre: template.inCouponCentre ?? false,
  };
}

/** No minimum spend typed (blank or 0): a cash coupon then needs HQ's confirmation. */
const noMinSpend = (values: TemplateForm | undefined) => !values?.minSpendYuan;

const blank: TemplateForm = { title: '', type: 'cash', noMinSpendConfirmed: false, validity: 'relative', validDays: 30, totalQuantity: 1000, perMemberLimit: 1, minSpendYuan: 200, amountOffYuan: 20, storeIds: [], tiers: [] };

export default function CouponTemplateEditorPage() {
  const { id } = useParams();
  const t = useT();
  const canWrite = useCan('marketing'); // viewers read only (RouteSpec.hq on the server)
  const { lang } = useLang();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const reference = useReference();
  const [form] = Form.useForm<TemplateForm>();
  const [template, setTemplate] = useState<CouponTemplate | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loading, setLoading] = useState(!!id);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const values = Form.useWatch([], form) as TemplateForm | undefined;

  useEffect(() => {
    if (!id) return;
    const controller = new AbortController();
    setLoading(true);
    api
      .get<CouponTemplate>(`/admin/coupon-templates/${id}`, undefined, controller.signal)
      .then((answer) => {
        setTemplate(answer);
        form.setFieldsValue(formFromTemplate(answer));
      })
      .catch((cause: unknown) => !controller.signal.aborted && setLoadError(cause))
      .finally(() => !controller.signal.aborted && setLoading(false));
    return () => controller.abort();
  }, [id, form]);

  const save = async () => {
    setError(null);
    // Each save shows this attempt's errors only (a field fixed since the last one loses its message).
    (form as FormInstance).setFields(form.getFieldsError().map(({ name }) => ({ name, errors: [] })));
    const body = templateBodyFromForm(form.getFieldsValue(true) as TemplateForm);
    const checked = checkWith(CouponTemplateInputSchema, body, lang);
    if (!checked.ok) {
      const unplaced = showFieldErrors(form, checked.errors, renameToForm);
      if (unplaced.length) setError(unplaced.join('; '));
      return;
    }
    setSaving(true);
    try {
      // An edit replaces the whole template (same body as a create); the server allows it only while nothing is issued.
      const saved = id
        ? await api.patch<CouponTemplate>(`/admin/coupon-templates/${id}`, checked.data as CouponTemplateInput)
        : await api.post<CouponTemplate>('/admin/coupon-templates', checked.data as CouponTemplateInput);
      message.success(t('模板已保存', 'Template saved'));
      navigate(`/coupons/${saved.id}`, { replace: true });
      setTemplate(saved);
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang, renameToForm));
    } finally {
      setSaving(false);
    }
  };

  const archive = async () => {
    if (!id) return;
    try {
      await api.post(`/admin/coupon-templates/${id}/archive`);
      message.success(t('已归档', 'Archived'));
      navigate('/coupons');
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  if (loadError) return <ErrorState error={loadError} onRetry={() => window.location.reload()} />;
  if (loading) return <LoadingState rows={10} />;

  const type = values?.type ?? 'cash';
  // Members already hold coupons with these terms, so the template can no longer change (409 otherwise).
  const locked = !!template && template.issuedCount > 0;
  const previewTerms = {
    ...(templateBodyFromForm(values ?? blank) as Partial<CouponTemplateInput>),
    type,
  };

  return (
    <>
      <PageTitle
        title={
          <Space>
            <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/coupons')} aria-label={t('返回', 'Back')} />
            {id ? t('编辑优惠券模板', 'Edit coupon template') : t('新建优惠券模板', 'New coupon template')}
          </Space>
        }
        sub={template ? t(`已发放 ${template.issuedCount} 张`, `${template.issuedCount} issued`) : undefined}
        extra={
          <>
            {canWrite && id && template?.status !== 'archived' ? (
              <Popconfirm title={t('归档后不能再发放，确定？', 'Archived templates can no longer be issued. Archive?')} onConfirm={archive}>
                <Button danger>{t('归档', 'Archive')}</Button>
              </Popconfirm>
            ) : null}
            <Button type="primary" loading={saving} onClick={save} disabled={locked || !canWrite} data-testid="save-template">
              {t('保存', 'Save')}
            </Button>
          </>
        }
      />
      <div className="mc-editor">
        <Card>
          {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="form-error" /> : null}
          {locked ? <Alert type="info" showIcon title={t('已有会员领取此券，条款不能再修改；如需调整请新建模板并归档本模板。', 'Members already hold this coupon, so its terms are fixed; create a new template and archive this one to change them.')} style={{ marginBottom: 16 }} data-testid="template-locked" /> : null}
          <Form<TemplateForm> form={form} disabled={locked} layout="vertical" initialValues={blank} requiredMark={false} onValuesChange={(changed: Record<string, unknown>) => {
              setError(null);
              clearErrorsOnEdit(form)(changed);
            }}>
            <Form.Item name="title" label={t('券名称', 'Title')}>
              <Input maxLength={60} showCount placeholder={t('例如：满200减20', 'e.g. ¥20 off orders from ¥200')} data-testid="template-title" />
            </Form.Item>
            <Form.Item name="type" label={t('类型', 'Type')}>
              <Radio.Group optionType="button" buttonStyle="solid" options={[{ label: t('满减券', 'Cash off'), value: 'cash' }, { label: t('折扣券', 'Discount'), value: 'discount' }, { label: t('赠品券', 'Gift'), value: 'gift' }]} />
            </Form.Item>
            <Space size={16} wrap align="start">
              {type !== 'gift' ? (
                <Form.Item name="minSpendYuan" label={t('最低消费（元）', 'Minimum spend (¥)')}>
                  <InputNumber min={0} precision={2} style={{ width: 180 }} placeholder={t('不填为无门槛', 'blank = none')} />
                </Form.Item>
              ) : null}
              {type === 'cash' ? (
                <Form.Item name="amountOffYuan" label={t('减免金额（元）', 'Amount off (¥)')}>
                  <InputNumber min={0.01} precision={2} style={{ width: 180 }} data-testid="template-amount-off" />
                </Form.Item>
              ) : null}
              {type === 'cash' && noMinSpend(values) ? (
                <Form.Item name="noMinSpendConfirmed" valuePropName="checked" label={t('无门槛确认', 'No minimum spend')}>
                  <Checkbox data-testid="template-no-min-spend">
                    {t('确认此券无门槛：任何订单都直接减免上述金额', 'Confirm: this amount comes off any order, however small')}
                  </Checkbox>
                </Form.Item>
              ) : null}
              {type === 'discount' ? (
                <>
                  <Form.Item name="percentOff" label={t('优惠比例（%）', 'Percent off')} extra={t('20 表示打8折', '20 means 20% off')}>
                    <InputNumber min={1} max={99} precision={0} style={{ width: 180 }} />
                  </Form.Item>
                  <Form.Item name="maxOffYuan" label={t('最高优惠（元）', 'Maximum off (¥)')}>
                    <InputNumber min={0.01} precision={2} style={{ width: 180 }} />
                  </Form.Item>
                </>
              ) : null}
              {type === 'gift' ? (
                <Form.Item name="giftName" label={t('赠品名称', 'Gift')}>
                  <Input maxLength={60} style={{ width: 300 }} />
                </Form.Item>
              ) : null}
            </Space>
            <Form.Item name="validity" label={t('有效期', 'Validity')}>
              <Radio.Group options={[{ label: t('领取后N天', 'Days after issue'), value: 'relative' }, { label: t('固定日期', 'Fixed dates'), value: 'fixed' }]} />
            </Form.Item>
            {values?.validity === 'fixed' ? (
              <Form.Item name="validRange" label={t('起止时间', 'From – until')}>
                <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
              </Form.Item>
            ) : (
              <Form.Item name="validDays" label={t('有效天数', 'Days valid')}>
                <InputNumber min={1} max={3650} precision={0} style={{ width: 180 }} />
              </Form.Item>
            )}
            <Space size={16} wrap align="start">
              <Form.Item name="totalQuantity" label={t('发放总量', 'Total quantity')}>
                <InputNumber min={1} precision={0} style={{ width: 180 }} />
              </Form.Item>
              <Form.Item name="perMemberLimit" label={t('每人限领', 'Per member')}>
                <InputNumber min={1} precision={0} style={{ width: 180 }} />
              </Form.Item>
              <Form.Item name="pointsCost" label={t('积分兑换所需积分', 'Points to exchange')} extra={t('不填则不可兑换', 'blank = not exchangeable')}>
                <InputNumber min={1} precision={0} style={{ width: 180 }} />
              </Form.Item>
            </Space>
            <Form.Item name="inCouponCentre" valuePropName="checked" label={t('领券中心', 'Coupon centre')} extra={t('会员可在小程序领券中心免费领取，受每人限领与发放总量限制', 'Members claim it free in the mini-program’s coupon centre, within the per-member limit and total quantity')}>
              <Checkbox data-testid="template-in-coupon-centre">{t('在领券中心展示，供会员领取', 'List in the coupon centre for members to claim')}</Checkbox>
            </Form.Item>
            <Form.Item name="storeIds" label={t('适用门店', 'Stores')} extra={t('不选为全部门店', 'None selected = every store')}>
              <Select mode="multiple" allowClear options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} placeholder={t('全部门店', 'All stores')} />
            </Form.Item>
            <Form.Item name="tiers" label={t('适用等级', 'Tiers')} extra={t('不选为全部等级', 'None selected = every tier')}>
              <Select mode="multiple" allowClear options={reference.tiers.map((tier) => ({ label: tier.name, value: tier.code }))} placeholder={t('全部等级', 'All tiers')} />
            </Form.Item>
          </Form>
          {id ? <WalletSyncPanel templateId={id} /> : null}
        </Card>
        <Card title={t('会员看到的样子', 'As members see it')} style={{ position: 'sticky', top: 16 }}>
          <CouponPreviewCard terms={previewTerms} />
          <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
            {t('预览随填写实时更新', 'The preview follows your changes as you type')}
          </Typography.Paragraph>
        </Card>
      </div>
    </>
  );
}
