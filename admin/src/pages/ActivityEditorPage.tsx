import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Form, Input, InputNumber, Select, Space } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { api } from '../api';
import { useSession } from '../auth/session';
import { clearErrorsOnEdit, checkWith, showFieldErrors, failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { ErrorState, LoadingState } from '../components/states';
import { useLang, useT } from '../i18n';
import { compact } from '../lib/forms';
import { fenToYuan, yuanToFen } from '../lib/format';
import { useReference } from '../lib/reference';
import { ActivityInputSchema, ActivityPatchBodySchema, type Activity } from '../shared';

interface ActivityForm {
  title: string;
  description: string;
  storeId?: string;
  address?: string;
  coverImageUrl?: string;
  period?: [Dayjs, Dayjs] | null;
  signupClosesAt?: Dayjs | null;
  capacity?: number | null;
  tiers?: string[];
  feeYuan?: number | null;
  attendancePoints?: number | null;
}

const renameToForm: Record<string, string> = { startAt: 'period', endAt: 'period', feeFen: 'feeYuan' };

export default function ActivityEditorPage() {
  const { id } = useParams();
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const session = useSession();
  const reference = useReference();
  const [form] = Form.useForm<ActivityForm>();
  const [loading, setLoading] = useState(!!id);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const managerStore = session?.kind === 'manager' ? session.storeId : undefined;

  useEffect(() => {
    if (!id) return;
    const controller = new AbortController();
    api
      .get<Activity>(`/admin/activities/${id}`, undefined, controller.signal)
      .then((activity) =>
        form.setFieldsValue({
          title: activity.title,
          description: activity.description,
          storeId: activity.storeId,
          address: activity.address,
          coverImageUrl: activity.coverImageUrl,
          period: [dayjs(activity.startAt), dayjs(activity.endAt)],
          signupClosesAt: dayjs(activity.signupClosesAt),
          capacity: activity.capacity,
          tiers: activity.tiers ?? [],
          feeYuan: fenToYuan(activity.feeFen) ?? 0,
          attendancePoints: activity.attendancePoints,
        }),
      )
      .catch((cause: unknown) => !controller.signal.aborted && setLoadError(cause))
      .finally(() => !controller.signal.aborted && setLoading(false));
    return () => controller.abort();
  }, [id, form]);

  /** A new activity is published at once unless saved as a draft; an edit keeps the activity's state. */
  const save = async (asDraft = false) => {
    setError(null);
    const values = form.getFieldsValue(true) as ActivityForm;
    const body = compact({
      title: values.title?.trim(),
      description: values.description ?? '',
      storeId: managerStore ?? values.storeId,
      address: values.address?.trim() || undefined,
      coverImageUrl: values.coverImageUrl?.trim() || undefined,
      startAt: values.period?.[0]?.toISOString(),
      endAt: values.period?.[1]?.toISOString(),
      signupClosesAt: values.signupClosesAt?.toISOString(),
      capacity: values.capacity ?? undefined,
      tiers: values.tiers,
      feeFen: yuanToFen(values.feeYuan) ?? 0,
      attendancePoints: values.attendancePoints ?? 0,
    });
    if (body.description === undefined) body.description = '';
    const checked = id ? checkWith(ActivityPatchBodySchema, body, lang) : checkWith(ActivityInputSchema, asDraft ? { ...body, draft: true } : body, lang);
    if (!checked.ok) {
      const unplaced = showFieldErrors(form, checked.errors, renameToForm);
      if (unplaced.length) setError(unplaced.join('; '));
      return;
    }
    setSaving(true);
    try {
      const saved = id ? await api.patch<Activity>(`/admin/activities/${id}`, checked.data) : await api.post<Activity>('/admin/activities', checked.data);
      message.success(id ? t('活动已保存', 'Activity saved') : asDraft ? t('已存为草稿，发布后会员可见', 'Saved as a draft; members see it once published') : t('活动已发布', 'Activity published'));
      navigate(`/activities/${saved.id}`, { replace: true });
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang, renameToForm));
    } finally {
      setSaving(false);
    }
  };

  if (loadError) return <ErrorState error={loadError} />;
  if (loading) return <LoadingState rows={10} />;
  return (
    <>
      <PageTitle
        title={
          <Space>
            <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(id ? `/activities/${id}` : '/activities')} aria-label={t('返回', 'Back')} />
            {id ? t('编辑活动', 'Edit activity') : t('新建活动', 'New activity')}
          </Space>
        }
        extra={
          id ? (
            <Button type="primary" loading={saving} onClick={() => save()} data-testid="save-activity">
              {t('保存', 'Save')}
            </Button>
          ) : (
            <>
              <Button loading={saving} onClick={() => save(true)} data-testid="save-activity-draft">
                {t('存为草稿', 'Save as draft')}
              </Button>
              <Button type="primary" loading={saving} onClick={() => save()} data-testid="publish-activity">
                {t('发布', 'Publish')}
              </Button>
            </>
          )
        }
      />
      <Card style={{ maxWidth: 960 }}>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} /> : null}
        <Form<ActivityForm> form={form} layout="vertical" requiredMark={false} onValuesChange={clearErrorsOnEdit(form)} initialValues={{ capacity: 20, feeYuan: 0, attendancePoints: 0, tiers: [], description: '', storeId: managerStore }}>
          <Form.Item name="title" label={t('活动名称', 'Title')}>
            <Input maxLength={60} showCount />
          </Form.Item>
          <Form.Item name="description" label={t('活动介绍', 'Description')}>
            <Input.TextArea rows={4} maxLength={5000} />
          </Form.Item>
          <div className="mc-two-col">
            <Form.Item name="address" label={t('活动地址', 'Address')} extra={t('顾客在活动页看到的地点', 'Where shoppers are told to go')}>
              <Input maxLength={200} placeholder={t('如：上海市静安区南京西路 1266 号 3 楼', 'e.g. 3F, 1266 West Nanjing Rd')} />
            </Form.Item>
            <Form.Item name="coverImageUrl" label={t('封面图链接', 'Cover image URL')} extra={t('不填时小程序按标题生成封面', 'Empty: the app draws a cover from the title')}>
              <Input maxLength={1000} placeholder="https://" />
            </Form.Item>
            <Form.Item name="storeId" label={t('门店', 'Store')} extra={managerStore ? t('店长只能为本店创建活动', 'Managers create activities for their own store') : t('不选为全部门店', 'None = every store')}>
              <Select allowClear disabled={!!managerStore} options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} placeholder={t('全部门店', 'All stores')} />
            </Form.Item>
            <Form.Item name="tiers" label={t('可报名等级', 'Tiers allowed')} extra={t('不选为全部等级', 'None = every tier')}>
              <Select mode="multiple" allowClear options={reference.tiers.map((tier) => ({ label: tier.name, value: tier.code }))} placeholder={t('全部等级', 'All tiers')} />
            </Form.Item>
            <Form.Item name="period" label={t('活动时间', 'When')}>
              <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="signupClosesAt" label={t('报名截止', 'Sign-up closes')}>
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="capacity" label={t('名额', 'Capacity')}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="feeYuan" label={t('报名费（元，0 为免费）', 'Fee (¥, 0 = free)')}>
              <InputNumber min={0} precision={2} style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="attendancePoints" label={t('签到奖励积分', 'Attendance points')}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </div>
        </Form>
      </Card>
    </>
  );
}
