import { TeamOutlined } from '@ant-design/icons';
import { Card, DatePicker, Form, InputNumber, List, Radio, Select, Space, Spin, Statistic, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { api, readableErrorMessage } from '../api';
import type { CampaignPreviewAnswer, Segment } from '../api/types';
import { useLang, useT } from '../i18n';
import { useDebounced } from '../lib/hooks';
import { useCategories } from '../lib/categories';
import { useReference } from '../lib/reference';
import { loadMemberTags } from './member/MemberTagModal';
import { describeSegment, segmentFromForm, segmentKey, segmentToForm, type SegmentFormValues } from '../lib/segment';
import { issuesToFieldErrors, type IssueLike } from '../lib/forms';
import { maskPhone, SegmentSchema } from '../shared';

/** The conditions the shared schema refuses (e.g. "bought within 30 days" and "not within 60"), as one line. */
export function segmentProblems(segment: Segment, lang: 'zh' | 'en'): string | null {
  const checked = SegmentSchema.safeParse(segment);
  if (checked.success) return null;
  const errors = issuesToFieldErrors(checked.error.issues as unknown as IssueLike[], lang);
  return Object.entries(errors)
    .map(([path, message]) => `${path}: ${message}`)
    .join('; ');
}

/**
 * Conditions on the left, the live audience on the right: every change is sent (debounced) to
 * POST /admin/campaigns/preview, and the count shown is always that of the conditions on screen.
 */
export function SegmentBuilder({ initial, onChange }: { initial?: Segment; onChange?: (segment: Segment, count: number | null) => void }) {
  const t = useT();
  const { lang } = useLang();
  const reference = useReference();
  // The tags HQ created, to choose from (a name can still be typed).
  const [tagNames, setTagNames] = useState<string[]>([]);
  useEffect(() => void loadMemberTags().then((tags) => setTagNames(tags.map((tag) => tag.name)), () => undefined), []);
  const categories = useCategories();
  const categoryName = (code: string) => {
    const found = categories.find((c) => c.code === code);
    return found ? (lang === 'zh' ? found.name : found.nameEn) : code;
  };
  // Active categories to choose from; one already in the segment stays choosable after it was disabled.
  const categoryOptions = categories.map((c) => ({ value: c.code, label: `${lang === 'zh' ? c.name : c.nameEn}${c.status === 'active' ? '' : t('（已停用）', ' (disabled)')}`, search: `${c.name} ${c.nameEn} ${c.code}` }));
  const [form] = Form.useForm<SegmentFormValues>();
  const [segment, setSegment] = useState<Segment>(initial ?? {});
  const key = segmentKey(segment);
  const debouncedKey = useDebounced(key, 400);
  const [preview, setPreview] = useState<{ key: string; answer: CampaignPreviewAnswer } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const initialValues = useMemo(() => segmentToForm(initial ?? {}), [initial]);

  useEffect(() => {
    const controller = new AbortController();
    const wanted = JSON.parse(debouncedKey) as Array<[string, unknown]>;
    const body = Object.fromEntries(wanted) as Segment;
    // Conditions that contradict each other are explained here rather than sent to be refused.
    const problems = segmentProblems(body, lang);
    setError(problems);
    if (problems) return () => controller.abort();
    api
      .post<CampaignPreviewAnswer>('/admin/campaigns/preview', { segment: body }, { signal: controller.signal })
      .then((answer) => setPreview({ key: debouncedKey, answer }))
      .catch((cause: unknown) => {
        if (!controller.signal.aborted) setError(readableErrorMessage(cause, lang));
      });
    return () => controller.abort();
  }, [debouncedKey, lang]);

  const current = preview && preview.key === key ? preview.answer : null;
  useEffect(() => {
    onChange?.(segment, current ? current.count : null);
  }, [key, current?.count]);

  const describe = describeSegment(segment, t, { tier: reference.tierName, store: reference.storeName, category: categoryName });
  const values = Form.useWatch([], form) as SegmentFormValues | undefined;
  const halfSet = (category: string | null | undefined, amount: number | null | undefined) => Boolean(category) !== (typeof amount === 'number');
  return (
    <div className="mc-editor" data-testid="segment-builder">
      <Card title={t('圈选条件（同时满足）', 'Conditions (all must match)')}>
        <Form<SegmentFormValues> form={form} layout="vertical" initialValues={initialValues} onValuesChange={(_, all) => setSegment(segmentFromForm(all))}>
          <div className="mc-two-col">
            <Form.Item name="tiers" label={t('会员等级', 'Tiers')}>
              <Select mode="multiple" allowClear placeholder={t('不限', 'Any')} options={reference.tiers.map((tier) => ({ label: tier.name, value: tier.code }))} data-testid="segment-tiers" />
            </Form.Item>
            <Form.Item name="homeStoreIds" label={t('归属门店', 'Home stores')}>
              <Select mode="multiple" allowClear placeholder={t('不限', 'Any')} options={reference.stores.map((store) => ({ label: store.name, value: store.id }))} />
            </Form.Item>
            <Form.Item name="joinedAfter" label={t('入会晚于', 'Joined after')} getValueProps={(value?: string | null) => ({ value: value ? dayjs(value) : null })} normalize={(value: dayjs.Dayjs | null) => (value ? value.startOf('day').toISOString() : null)}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="joinedBefore" label={t('入会早于', 'Joined before')} getValueProps={(value?: string | null) => ({ value: value ? dayjs(value) : null })} normalize={(value: dayjs.Dayjs | null) => (value ? value.endOf('day').toISOString() : null)}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="birthdayMonth" label={t('生日月份', 'Birthday month')}>
              <Select allowClear placeholder={t('不限', 'Any')} options={Array.from({ length: 12 }, (_, index) => ({ label: t(`${index + 1}月`, dayjs().month(index).format('MMMM')), value: index + 1 }))} />
            </Form.Item>
            <Form.Item name="profileComplete" label={t('资料完善', 'Profile complete')}>
              <Radio.Group optionType="button" options={[{ label: t('不限', 'Any'), value: 'any' }, { label: t('已完善', 'Yes'), value: 'yes' }, { label: t('未完善', 'No'), value: 'no' }]} />
            </Form.Item>
            <Form.Item name="minPointsBalance" label={t('积分余额不少于', 'Points at least')}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} placeholder={t('不限', 'Any')} data-testid="segment-min-points" />
            </Form.Item>
            <Form.Item name="minSpendYuan12m" label={t('近12个月消费不少于（元）', '12-month spend at least (¥)')}>
              <InputNumber min={0} precision={2} style={{ width: '100%' }} placeholder={t('不限', 'Any')} />
            </Form.Item>
            <Form.Item name="purchasedWithinDays" label={t('最近N天内有消费', 'Bought within N days')}>
              <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} placeholder={t('不限', 'Any')} />
            </Form.Item>
            <Form.Item name="notPurchasedWithinDays" label={t('最近N天内无消费', 'No purchase within N days')}>
              <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} placeholder={t('不限', 'Any')} />
            </Form.Item>
          </div>
          <Form.Item name="tags" label={t('标签', 'Tags')}>
            <Select mode="tags" allowClear placeholder={t('选择或输入后回车', 'Choose, or type and press Enter')} options={tagNames.map((name) => ({ value: name, label: name }))} data-testid="segment-tags" />
          </Form.Item>
          <div className="mc-two-col" data-testid="segment-category">
            <Form.Item label={t('最近N天买过的品类', 'Bought a category within N days')} help={halfSet(values?.boughtCategory, values?.boughtCategoryDays) ? t('品类和天数都填写后生效', 'Takes effect once both are set') : undefined}>
              <Space.Compact style={{ width: '100%' }}>
                <Form.Item name="boughtCategory" noStyle>
                  <Select allowClear showSearch optionFilterProp="search" placeholder={t('选择品类', 'Category')} options={categoryOptions} style={{ width: '62%' }} data-testid="segment-bought-category" />
                </Form.Item>
                <Form.Item name="boughtCategoryDays" noStyle>
                  <InputNumber min={1} max={3650} precision={0} addonAfter={t('天内', 'days')} placeholder="30" style={{ width: '38%' }} data-testid="segment-bought-days" />
                </Form.Item>
              </Space.Compact>
            </Form.Item>
            <Form.Item label={t('近12个月品类消费不少于', '12-month spend on a category at least')} help={halfSet(values?.spendCategory, values?.spendCategoryYuan) ? t('品类和金额都填写后生效', 'Takes effect once both are set') : undefined}>
              <Space.Compact style={{ width: '100%' }}>
                <Form.Item name="spendCategory" noStyle>
                  <Select allowClear showSearch optionFilterProp="search" placeholder={t('选择品类', 'Category')} options={categoryOptions} style={{ width: '62%' }} data-testid="segment-spend-category" />
                </Form.Item>
                <Form.Item name="spendCategoryYuan" noStyle>
                  <InputNumber min={0.01} precision={2} addonBefore="¥" placeholder="500" style={{ width: '38%' }} data-testid="segment-spend-yuan" />
                </Form.Item>
              </Space.Compact>
            </Form.Item>
          </div>
        </Form>
      </Card>
      <Card title={t('预计覆盖', 'Audience')} style={{ position: 'sticky', top: 16 }}>
        <Spin spinning={!current && !error}>
          <Statistic value={current ? current.count : '—'} suffix={t('人', 'members')} prefix={<TeamOutlined />} valueStyle={{ fontSize: 40, color: '#c8372d' }} data-testid="segment-count" />
        </Spin>
        {error ? <Typography.Text type="danger">{error}</Typography.Text> : null}
        <div style={{ margin: '12px 0' }}>
          {describe.length ? describe.map((part) => <Tag key={part} style={{ marginBottom: 4 }}>{part}</Tag>) : <Typography.Text type="secondary">{t('未设条件：全部会员', 'No conditions: every member')}</Typography.Text>}
        </div>
        {current && current.sample.length > 0 ? (
          <List
            size="small"
            header={<Typography.Text type="secondary">{t('样例会员', 'Sample members')}</Typography.Text>}
            dataSource={current.sample.slice(0, 5)}
            renderItem={(member) => (
              <List.Item>
                <Space>
                  <span style={{ fontFamily: 'monospace' }}>{member.cardNo}</span>
                  <Tag>{member.tier.name}</Tag>
                  <span>{member.phone ? maskPhone(member.phone) : (member.name ?? '')}</span>
                </Space>
              </List.Item>
            )}
          />
        ) : null}
      </Card>
    </div>
  );
}
