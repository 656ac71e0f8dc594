import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Checkbox, Col, DatePicker, Empty, Input, InputNumber, Row, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { api, readableErrorMessage } from '../api';
import { checkWith } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { ErrorState, LoadingState } from '../components/states';
import { useLang, useT } from '../i18n';
import { fenToYuanText, formatInt } from '../lib/format';
import { useAsync } from '../lib/hooks';
import {
  EarnRulesSchema,
  TierLadderBodySchema,
  activeCampaignMultiplier,
  chinaIsoDate,
  earnPoints,
  type EarnCampaign,
  type EarnRules,
  type TierDefinition,
} from '../shared';

// Tiers, earn rules and member days (会员日) as HQ edits them, with what a ¥100 purchase earns per tier under the
// rules on screen, computed with the shared earning functions the server's purchase uses (earnPoints and
// activeCampaignMultiplier), so the preview is what the counter will book once saved.

const PREVIEW_FEN = 10_000;
const WEEKDAYS = [
  { value: 1, zh: '周一', en: 'Mon' },
  { value: 2, zh: '周二', en: 'Tue' },
  { value: 3, zh: '周三', en: 'Wed' },
  { value: 4, zh: '周四', en: 'Thu' },
  { value: 5, zh: '周五', en: 'Fri' },
  { value: 6, zh: '周六', en: 'Sat' },
  { value: 7, zh: '周日', en: 'Sun' },
];

/** A China calendar date (YYYY-MM-DD) for a stored instant, and back to the instant that day starts in China. */
const chinaDay = (iso: string) => dayjs(chinaIsoDate(new Date(iso)));
const startOfChinaDay = (day: Dayjs) => new Date(`${day.format('YYYY-MM-DD')}T00:00:00+08:00`).toISOString();

/** Points for ¥100 by a member of `tier` under `rules` when `campaign` applies (null: no member day). */
function pointsFor(rules: EarnRules, tier: TierDefinition, campaign: EarnCampaign | null): number {
  const applies = campaign && (campaign.tiers === undefined || campaign.tiers.includes(tier.code));
  return earnPoints({ amountFen: PREVIEW_FEN, baseRate: rules.baseRate, tierMultiplier: tier.pointsMultiplier, campaignMultiplier: applies ? campaign.multiplier : 1 });
}

export default function LoyaltyRulesPage() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const loaded = useAsync(async (signal) => {
    const [ladder, rules] = await Promise.all([api.get<{ tiers: TierDefinition[] }>('/admin/tiers', undefined, signal), api.get<EarnRules>('/admin/earn-rules', undefined, signal)]);
    return { tiers: ladder.tiers, rules };
  }, []);
  const [tiers, setTiers] = useState<TierDefinition[] | null>(null);
  const [rules, setRules] = useState<EarnRules | null>(null);
  const [tierError, setTierError] = useState<string | null>(null);
  const [rulesError, setRulesError] = useState<string | null>(null);
  const [saving, setSaving] = useState<'tiers' | 'rules' | null>(null);
  useEffect(() => {
    if (loaded.data) {
      setTiers(loaded.data.tiers);
      setRules(loaded.data.rules);
    }
  }, [loaded.data]);

  const previewRows = useMemo(() => {
    if (!tiers || !rules) return [];
    // A factor still being typed (more than two decimals, 0) shows no figure; a threshold out of order does not
    // change what ¥100 earns, so it leaves the preview alone.
    const figure = (compute: () => number): number | null => {
      try {
        return compute();
      } catch {
        return null;
      }
    };
    return tiers.map((tier) => ({
      tier,
      base: figure(() => pointsFor(rules, tier, null)),
      today: figure(() =>
        earnPoints({ amountFen: PREVIEW_FEN, baseRate: rules.baseRate, tierMultiplier: tier.pointsMultiplier, campaignMultiplier: activeCampaignMultiplier(rules, { now: new Date(), storeId: '', tier: tier.code }) }),
      ),
      byCampaign: Object.fromEntries(rules.campaigns.filter((c) => c.enabled).map((c) => [c.id, figure(() => pointsFor(rules, tier, c))])),
    }));
  }, [tiers, rules]);

  if (loaded.error) return <ErrorState error={loaded.error} onRetry={loaded.reload} />;
  if (!tiers || !rules) return <LoadingState />;

  const editTier = (index: number, patch: Partial<TierDefinition>) => setTiers(tiers.map((tier, i) => (i === index ? { ...tier, ...patch } : tier)));
  const editCampaign = (index: number, patch: Partial<EarnCampaign>) =>
    setRules({ ...rules, campaigns: rules.campaigns.map((c, i) => (i === index ? dropUndefined({ ...c, ...patch }) : c)) });
  const addCampaign = () =>
    setRules({ ...rules, campaigns: [...rules.campaigns, { id: `member-day-${Date.now().toString(36)}`, name: t('会员日', 'Member day'), multiplier: 2, weekdays: [3], enabled: true }] });

  const saveTiers = async () => {
    setTierError(null);
    const checked = checkWith(TierLadderBodySchema, { tiers }, lang);
    if (!checked.ok) return setTierError(errorSentence(checked.errors, lang, (field) => fieldName(field, tiers, t)));
    setSaving('tiers');
    try {
      const saved = await api.put<{ tiers: TierDefinition[] }>('/admin/tiers', checked.data);
      setTiers(saved.tiers);
      message.success(t('会员等级已保存', 'Tiers saved'));
    } catch (cause) {
      setTierError(readableErrorMessage(cause, lang));
    } finally {
      setSaving(null);
    }
  };
  const saveRules = async () => {
    setRulesError(null);
    const checked = checkWith(EarnRulesSchema, rules, lang);
    if (!checked.ok) return setRulesError(errorSentence(checked.errors, lang, (field) => fieldName(field, tiers, t, rules)));
    setSaving('rules');
    try {
      setRules(await api.put<EarnRules>('/admin/earn-rules', checked.data));
      message.success(t('积分规则已保存', 'Earn rules saved'));
    } catch (cause) {
      setRulesError(readableErrorMessage(cause, lang));
    } finally {
      setSaving(null);
    }
  };

  const tierOptions = tiers.map((tier) => ({ label: tier.name, value: tier.code }));
  const enabledCampaigns = rules.campaigns.filter((c) => c.enabled);
  return (
    <>
      <PageTitle title={t('等级与积分规则', 'Tiers & earn rules')} sub={t('会员等级门槛、积分倍数与会员日；右侧实时预览 ¥100 消费可得积分', 'Tier thresholds, multipliers and member days; the preview shows what ¥100 earns')} />
      <Row gutter={16} align="top">
        <Col span={15}>
          <Card
            title={t('会员等级', 'Tiers')}
            extra={<Button type="primary" loading={saving === 'tiers'} onClick={saveTiers} data-testid="save-tiers">{t('保存等级', 'Save tiers')}</Button>}
            style={{ marginBottom: 16 }}
          >
            {tierError ? <Alert type="error" showIcon title={tierError} style={{ marginBottom: 12 }} data-testid="tiers-error" /> : null}
            <Table<TierDefinition>
              rowKey="code"
              size="small"
              pagination={false}
              dataSource={tiers}
              columns={[
                { title: t('等级', 'Tier'), width: 150, render: (_, tier, i) => <Input value={tier.name} maxLength={20} onChange={(e) => editTier(i, { name: e.target.value })} aria-label={`${tier.code}-name`} /> },
                {
                  title: t('门槛（近 12 个月消费）', 'Threshold (12-month spend)'),
                  width: 200,
                  render: (_, tier, i) =>
                    i === 0 ? (
                      <Typography.Text type="secondary">{t('入会即得（¥0）', 'On joining (¥0)')}</Typography.Text>
                    ) : (
                      <InputNumber
                        prefix="¥"
                        min={0}
                        precision={2}
                        formatter={(value) => `${value ?? ''}`.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}
                        parser={(text) => Number((text ?? '').replace(/,/g, ''))}
                        style={{ width: '100%' }}
                        value={tier.minSpendFen / 100}
                        onChange={(yuan) => editTier(i, { minSpendFen: Math.round((yuan ?? 0) * 100) })}
                        data-testid={`threshold-${tier.code}`}
                      />
                    ),
                },
                {
                  title: t('积分倍数', 'Multiplier'),
                  width: 120,
                  render: (_, tier, i) => (
                    <InputNumber prefix="×" min={0.01} max={100} step={0.1} precision={2} style={{ width: '100%' }} value={tier.pointsMultiplier} onChange={(v) => editTier(i, { pointsMultiplier: v ?? 1 })} data-testid={`multiplier-${tier.code}`} />
                  ),
                },
                {
                  title: t('权益说明', 'Benefits'),
                  render: (_, tier, i) => (
                    <Input.TextArea
                      autoSize={{ minRows: 1, maxRows: 4 }}
                      value={tier.benefits.join('\n')}
                      onChange={(e) => editTier(i, { benefits: e.target.value.split('\n').map((line) => line.trim()).filter((line, n, all) => line || n < all.length - 1) })}
                      placeholder={t('每行一条', 'One per line')}
                      aria-label={`${tier.code}-benefits`}
                    />
                  ),
                },
              ]}
            />
            <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
              {t('门槛须逐级升高；会员在消费达到门槛时立即升级，每年复核时最多降一级。', 'Thresholds must rise; members move up at the purchase that crosses one and down at most one tier at the yearly review.')}
            </Typography.Paragraph>
          </Card>

          <Card
            title={t('积分规则与会员日', 'Earn rules & member days')}
            extra={<Button type="primary" loading={saving === 'rules'} onClick={saveRules} data-testid="save-rules">{t('保存积分规则', 'Save earn rules')}</Button>}
          >
            {rulesError ? <Alert type="error" showIcon title={rulesError} style={{ marginBottom: 12 }} data-testid="rules-error" /> : null}
            <Space style={{ marginBottom: 16 }}>
              <Typography.Text>{t('基础积分：每消费 1 元积', 'Base: points per ¥1')}</Typography.Text>
              <InputNumber min={0.01} max={100} step={0.1} precision={2} value={rules.baseRate} onChange={(v) => setRules({ ...rules, baseRate: v ?? 1 })} data-testid="base-rate" />
              <Typography.Text>{t('分', 'points')}</Typography.Text>
            </Space>
            {rules.campaigns.length === 0 ? <Empty description={t('还没有会员日或加倍活动', 'No member days yet')} image={Empty.PRESENTED_IMAGE_SIMPLE} /> : null}
            {rules.campaigns.map((campaign, i) => (
              <Card key={campaign.id} size="small" style={{ marginBottom: 12 }} data-testid={`campaign-${i}`}>
                <Row gutter={12} align="middle" style={{ marginBottom: 8 }}>
                  <Col flex="auto">
                    <Input value={campaign.name} maxLength={60} onChange={(e) => editCampaign(i, { name: e.target.value })} addonBefore={t('名称', 'Name')} />
                  </Col>
                  <Col>
                    <InputNumber prefix="×" min={0.01} max={100} step={0.5} precision={2} value={campaign.multiplier} onChange={(v) => editCampaign(i, { multiplier: v ?? 1 })} data-testid={`campaign-multiplier-${i}`} />
                  </Col>
                  <Col>
                    <Switch checked={campaign.enabled} onChange={(enabled) => editCampaign(i, { enabled })} checkedChildren={t('启用', 'On')} unCheckedChildren={t('停用', 'Off')} />
                  </Col>
                  <Col>
                    <Tooltip title={t('删除', 'Delete')}>
                      <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('删除', 'Delete')} onClick={() => setRules({ ...rules, campaigns: rules.campaigns.filter((_, j) => j !== i) })} />
                    </Tooltip>
                  </Col>
                </Row>
                <Space wrap size={[16, 8]}>
                  <Space>
                    <Typography.Text type="secondary">{t('每周', 'Every')}</Typography.Text>
                    <Checkbox.Group
                      value={campaign.weekdays ?? []}
                      onChange={(days) => editCampaign(i, { weekdays: days.length ? (days as number[]).sort() : undefined })}
                      options={WEEKDAYS.map((d) => ({ label: lang === 'zh' ? d.zh : d.en, value: d.value }))}
                    />
                  </Space>
                  <Space>
                    <Typography.Text type="secondary">{t('日期', 'Dates')}</Typography.Text>
                    <DatePicker.RangePicker
                      value={campaign.startsAt && campaign.endsAt ? [chinaDay(campaign.startsAt), chinaDay(campaign.endsAt).subtract(1, 'day')] : null}
                      onChange={(range) =>
                        editCampaign(i, range?.[0] && range[1] ? { startsAt: startOfChinaDay(range[0]), endsAt: startOfChinaDay(range[1].add(1, 'day')) } : { startsAt: undefined, endsAt: undefined })
                      }
                      placeholder={[t('不限', 'Any'), t('不限', 'Any')]}
                    />
                  </Space>
                  <Space>
                    <Typography.Text type="secondary">{t('适用等级', 'Tiers')}</Typography.Text>
                    <Select
                      mode="multiple"
                      allowClear
                      style={{ minWidth: 200 }}
                      placeholder={t('全部等级', 'All tiers')}
                      value={campaign.tiers ?? []}
                      options={tierOptions}
                      onChange={(codes: string[]) => editCampaign(i, { tiers: codes.length ? codes : undefined })}
                    />
                  </Space>
                  {campaign.storeIds ? <Tag>{t(`限 ${campaign.storeIds.length} 家门店`, `${campaign.storeIds.length} stores only`)}</Tag> : null}
                </Space>
              </Card>
            ))}
            <Button icon={<PlusOutlined />} onClick={addCampaign} data-testid="add-campaign">{t('添加会员日 / 加倍活动', 'Add a member day')}</Button>
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
              {t('同一天有多个活动时取最高倍数，不叠加；按中国时间计算星期与日期。', 'When several apply on a day the highest multiplier wins (no stacking); weekdays and dates are China time.')}
            </Typography.Paragraph>
          </Card>
        </Col>
        <Col span={9}>
          <Card title={t(`${fenToYuanText(PREVIEW_FEN)} 消费可得积分`, `Points for a ${fenToYuanText(PREVIEW_FEN)} purchase`)} style={{ position: 'sticky', top: 16 }} data-testid="earn-preview">
            <Table
              rowKey={(row) => row.tier.code}
              size="small"
              pagination={false}
              dataSource={previewRows}
              columns={[
                { title: t('等级', 'Tier'), render: (_, row) => <span>{row.tier.name} <Typography.Text type="secondary">×{row.tier.pointsMultiplier}</Typography.Text></span> },
                { title: t('平日', 'Normal day'), align: 'right', render: (_, row) => <span data-testid={`preview-${row.tier.code}-base`}>{row.base === null ? '—' : formatInt(row.base)}</span> },
                ...enabledCampaigns.map((campaign) => ({
                  title: `${campaign.name} ×${campaign.multiplier}`,
                  align: 'right' as const,
                  render: (_: unknown, row: (typeof previewRows)[number]) => <span data-testid={`preview-${row.tier.code}-${campaign.id}`}>{row.byCampaign[campaign.id] == null ? '—' : formatInt(row.byCampaign[campaign.id]!)}</span>,
                })),
                { title: t('今天', 'Today'), align: 'right', render: (_, row) => <strong data-testid={`preview-${row.tier.code}-today`}>{row.today === null ? '—' : formatInt(row.today)}</strong> },
              ]}
            />
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
              {t(
                '按当前页面上的规则计算（保存后生效），与门店收银入账使用同一套积分规则。“今天”不含限定门店的活动。',
                'Computed from the rules on this page (they apply once saved) with the same earning rule the counter books. “Today” leaves out store-only campaigns.',
              )}
            </Typography.Paragraph>
          </Card>
        </Col>
      </Row>
    </>
  );
}

/** Optional fields cleared in the editor are left out, as the schema expects (absent, not undefined-valued). */
function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The shared schemas' own rule texts for these forms, in Chinese (their English is shown under the switch). */
const RULE_TEXT_ZH: Record<string, string> = {
  'thresholds must rise strictly, lowest tier first': '门槛须比下一级更高',
  'the entry tier must start at 0': '入门等级的门槛须为 0',
  'tier codes must be unique': '等级代码不能重复',
  'a campaign is time-boxed: give weekdays, a date range, or both': '请选择每周的日子或日期范围',
  'a date range needs both startsAt and endsAt': '日期范围需要开始和结束日期',
  'must be after startsAt': '结束日期须晚于开始日期',
  'at most two decimals': '最多两位小数',
};

/** All of a check's field errors as one sentence: where, then what. */
function errorSentence(errors: Record<string, string>, lang: 'zh' | 'en', place: (field: string) => string): string {
  return Object.entries(errors)
    .map(([field, text]) => `${place(field)}：${lang === 'zh' ? (RULE_TEXT_ZH[text] ?? text) : text}`)
    .join(lang === 'zh' ? '；' : '; ');
}

/** A readable place for a field error path (tiers.1.minSpendFen → 金卡 门槛). */
function fieldName(path: string, tiers: TierDefinition[], t: (zh: string, en: string) => string, rules?: EarnRules): string {
  const [head, index, field] = path.replace(/^body\./, '').split('.');
  const fields: Record<string, string> = {
    minSpendFen: t('门槛', 'threshold'),
    pointsMultiplier: t('倍数', 'multiplier'),
    name: t('名称', 'name'),
    multiplier: t('倍数', 'multiplier'),
    weekdays: t('日期', 'days'),
    endsAt: t('结束日期', 'end date'),
    benefits: t('权益', 'benefits'),
  };
  if (head === 'tiers' && index !== undefined) return `${tiers[Number(index)]?.name ?? index} ${fields[field ?? ''] ?? field ?? ''}`.trim();
  if (head === 'campaigns' && index !== undefined) return `${rules?.campaigns[Number(index)]?.name ?? index} ${fields[field ?? ''] ?? field ?? ''}`.trim();
  if (head === 'baseRate') return t('基础积分', 'base rate');
  return path;
}
