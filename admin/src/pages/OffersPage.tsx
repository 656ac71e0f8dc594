import { DeleteOutlined, PlusOutlined, RocketOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Form, InputNumber, Modal, Popconfirm, Progress, Radio, Row, Select, Space, Statistic, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, readableErrorMessage } from '../api';
import { useCan } from '../auth/session';
import { PageTitle } from '../components/PageTitle';
import { ErrorState } from '../components/states';
import { useLang, useT } from '../i18n';
import { useCategories } from '../lib/categories';
import { useReference } from '../lib/reference';
import { fenToYuanText, formatDateTime, formatInt, formatPercent, yuanToFen } from '../lib/format';
import { useAsync } from '../lib/hooks';
import type { Page } from '../api';
import type { CouponTemplate, OfferPoolEntry, OfferRun, OfferSchedule, TopMembersSummary } from '../shared';

// 个性化发券 (the Tesco way): the offer pool (which templates serve which categories, which 满减 suit which
// baskets), the runs that pick each member's own offers, and the head of the curve (top 20% by spend).

export default function OffersPage() {
  const t = useT();
  const [tab, setTab] = useState('runs');
  return (
    <>
      <PageTitle
        title={t('个性化发券', 'Personalised offers')}
        sub={t(
          '按每位会员自己的购买品类挑选券（近度、频次、金额加权并随时间衰减），加上刚好高于其客单价的满减券；留出对照组衡量增量',
          'Each member gets coupons for the categories they buy (recency, frequency and spend, decayed over time) plus 满减 just above their usual basket; a holdout measures the lift',
        )}
      />
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          { key: 'runs', label: <span data-testid="offers-tab-runs">{t('发券批次', 'Runs')}</span>, children: <RunsTab /> },
          { key: 'pool', label: <span data-testid="offers-tab-pool">{t('券池', 'Offer pool')}</span>, children: <PoolTab /> },
          { key: 'top', label: <span data-testid="offers-tab-top">{t('头部会员', 'Top members')}</span>, children: <TopTab /> },
        ]}
      />
    </>
  );
}

function RunsTab() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const canLaunch = useCan('marketing');
  const runs = useAsync((signal) => api.get<{ items: OfferRun[] }>('/admin/offers/runs', undefined, signal), []);
  const schedule = useAsync((signal) => api.get<OfferSchedule>('/admin/offers/schedule', undefined, signal), []);
  const [launching, setLaunching] = useState(false);
  const [form] = Form.useForm<{ categoryOffers: number; thresholdOffers: number; holdoutPercent: number; windowDays: number }>();

  const launch = async () => {
    const values = form.getFieldsValue();
    try {
      const run = await api.post<OfferRun>('/admin/offers/runs', {
        settings: { categoryOffers: values.categoryOffers, thresholdOffers: values.thresholdOffers, holdoutShare: values.holdoutPercent / 100, windowDays: values.windowDays },
      });
      setLaunching(false);
      message.success(t('已开始发券，完成后可查看效果', 'Run started; results once it completes'));
      navigate(`/offers/runs/${run.id}`);
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  const saveSchedule = async (next: OfferSchedule) => {
    try {
      await api.put('/admin/offers/schedule', next);
      schedule.reload();
      message.success(next.enabled ? t(`已开启：每 ${next.everyWeeks} 周自动发券`, `On: a run every ${next.everyWeeks} weeks`) : t('已关闭自动发券', 'Schedule off'));
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card size="small">
        <Space wrap size="large">
          {canLaunch ? (
            <Button type="primary" icon={<RocketOutlined />} onClick={() => setLaunching(true)} data-testid="offers-launch">
              {t('发起一次个性化发券', 'Launch a run')}
            </Button>
          ) : null}
          {schedule.data ? (
            <Space>
              <Switch checked={schedule.data.enabled} disabled={!canLaunch} onChange={(enabled) => saveSchedule({ ...schedule.data!, enabled })} data-testid="offers-schedule-switch" />
              <span>{t('自动发券，每', 'Run automatically every')}</span>
              <Select
                size="small"
                value={schedule.data.everyWeeks}
                disabled={!canLaunch}
                onChange={(everyWeeks) => saveSchedule({ ...schedule.data!, everyWeeks })}
                options={[4, 6, 8, 12].map((w) => ({ value: w, label: t(`${w} 周`, `${w} weeks`) }))}
                style={{ width: 90 }}
              />
            </Space>
          ) : null}
        </Space>
      </Card>
      <Card title={t('发券批次', 'Runs')}>
        {runs.error ? <ErrorState error={runs.error} onRetry={runs.reload} compact /> : null}
        <Table<OfferRun>
          rowKey="id"
          size="small"
          loading={runs.loading}
          dataSource={runs.data?.items ?? []}
          pagination={false}
          data-testid="offers-runs-table"
          columns={[
            { title: t('开始时间', 'Started'), dataIndex: 'startedAt', render: (v: string, run) => <Link to={`/offers/runs/${run.id}`}>{formatDateTime(v)}</Link> },
            { title: t('发起', 'Trigger'), dataIndex: 'trigger', render: (v: string) => (v === 'hq' ? t('总部发起', 'HQ') : t('自动', 'Schedule')) },
            { title: t('状态', 'Status'), dataIndex: 'status', render: (v: OfferRun['status']) => <RunStatus status={v} /> },
            { title: t('会员', 'Members'), render: (_: unknown, run) => formatInt(run.progress.members) },
            { title: t('发券会员 / 对照组', 'Treated / holdout'), render: (_: unknown, run) => `${formatInt(run.progress.treated)} / ${formatInt(run.progress.holdout)}` },
            { title: t('新客（热销推荐）', 'Cold start'), render: (_: unknown, run) => formatInt(run.progress.coldStart) },
            { title: t('已发券', 'Issued'), render: (_: unknown, run) => formatInt(run.progress.issued) },
            { title: t('每人券数 K+T', 'K + T'), render: (_: unknown, run) => `${run.settings.categoryOffers} + ${run.settings.thresholdOffers}` },
          ]}
        />
      </Card>
      <Modal open={launching} title={t('发起个性化发券', 'Launch a personalised run')} okText={t('开始', 'Start')} onOk={launch} onCancel={() => setLaunching(false)} destroyOnHidden>
        <Form form={form} layout="vertical" initialValues={{ categoryOffers: 10, thresholdOffers: 2, holdoutPercent: 10, windowDays: 28 }}>
          <Form.Item name="categoryOffers" label={t('品类券（每人最多 K 张）', 'Category offers per member (K)')}><InputNumber min={0} max={20} /></Form.Item>
          <Form.Item name="thresholdOffers" label={t('满减券（每人最多 T 张）', 'Threshold offers per member (T)')}><InputNumber min={0} max={5} /></Form.Item>
          <Form.Item name="holdoutPercent" label={t('对照组比例（%）', 'Holdout (%)')} extra={t('对照组同样选券但不发放，用来衡量增量', 'The holdout is planned alike but gets nothing: it measures the lift')}>
            <InputNumber min={0} max={50} />
          </Form.Item>
          <Form.Item name="windowDays" label={t('效果观察期（天）', 'Results window (days)')}><InputNumber min={1} max={180} /></Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}

export function RunStatus({ status }: { status: OfferRun['status'] }) {
  const t = useT();
  if (status === 'running') return <Tag color="processing">{t('进行中', 'Running')}</Tag>;
  if (status === 'completed') return <Tag color="success">{t('已完成', 'Completed')}</Tag>;
  return <Tag color="error">{t('失败', 'Failed')}</Tag>;
}

function PoolTab() {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const canEdit = useCan('marketing');
  const categories = useCategories();
  const categoryName = (code: string) => {
    const c = categories.find((x) => x.code === code);
    return c ? (lang === 'zh' ? c.name : c.nameEn) : code;
  };
  const pool = useAsync((signal) => api.get<{ items: OfferPoolEntry[] }>('/admin/offers/pool', undefined, signal), []);
  const templates = useAsync((signal) => api.get<Page<CouponTemplate>>('/admin/coupon-templates', { status: 'active', limit: 100 }, signal), []);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<{ templateId?: string; kind: 'category' | 'threshold'; categories: string[]; basketFrom?: number; basketTo?: number }>();
  const kind = Form.useWatch('kind', form);
  const inPool = new Set((pool.data?.items ?? []).map((e) => e.templateId));

  const save = async () => {
    const v = form.getFieldsValue();
    setError(null);
    try {
      await api.post('/admin/offers/pool', {
        templateId: v.templateId ?? '', kind: v.kind, categories: v.kind === 'category' ? v.categories ?? [] : [],
        basketFromFen: v.kind === 'threshold' ? yuanToFen(v.basketFrom) ?? null : null, basketToFen: v.kind === 'threshold' ? yuanToFen(v.basketTo) ?? null : null,
      });
      setAdding(false);
      pool.reload();
      message.success(t('已放入券池', 'Added to the pool'));
    } catch (cause) {
      setError(readableErrorMessage(cause, lang));
    }
  };
  const toggle = async (entry: OfferPoolEntry, active: boolean) => {
    try {
      await api.post('/admin/offers/pool', { templateId: entry.templateId, kind: entry.kind, categories: entry.categories, basketFromFen: entry.basketFromFen, basketToFen: entry.basketToFen, active });
      pool.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };
  const remove = async (entry: OfferPoolEntry) => {
    try {
      await api.delete(`/admin/offers/pool/${entry.templateId}`);
      pool.reload();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };
  const basketText = (e: OfferPoolEntry) => {
    if (e.basketFromFen === null && e.basketToFen === null) return t('不限', 'Any');
    return `${e.basketFromFen === null ? '' : fenToYuanText(e.basketFromFen)} ~ ${e.basketToFen === null ? '' : fenToYuanText(e.basketToFen)}`;
  };

  return (
    <Card
      title={t('券池', 'Offer pool')}
      extra={canEdit ? <Button icon={<PlusOutlined />} onClick={() => { setError(null); form.resetFields(); setAdding(true); }} data-testid="offers-pool-add">{t('放入券池', 'Add to pool')}</Button> : null}
    >
      {pool.error ? <ErrorState error={pool.error} onRetry={pool.reload} compact /> : null}
      <Table<OfferPoolEntry>
        rowKey="templateId"
        size="small"
        loading={pool.loading}
        dataSource={pool.data?.items ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        data-testid="offers-pool-table"
        columns={[
          { title: t('券', 'Coupon'), render: (_: unknown, e) => <Link to={`/coupons/${e.templateId}`}>{e.template?.title ?? t('（模板已删除）', '(template gone)')}</Link> },
          { title: t('类型', 'Kind'), dataIndex: 'kind', render: (k: string) => (k === 'category' ? <Tag color="volcano">{t('品类券', 'Category')}</Tag> : <Tag color="gold">{t('满减券', 'Threshold')}</Tag>) },
          { title: t('服务品类', 'Categories'), render: (_: unknown, e) => e.categories.map((c) => <Tag key={c}>{categoryName(c)}</Tag>) },
          { title: t('门槛', 'Min spend'), render: (_: unknown, e) => (e.template?.minSpendFen ? fenToYuanText(e.template.minSpendFen) : '—') },
          { title: t('适合客单价', 'Suits baskets'), render: (_: unknown, e) => (e.kind === 'threshold' ? basketText(e) : '—') },
          { title: t('余量', 'Left'), render: (_: unknown, e) => formatInt(e.template?.remaining) },
          { title: t('参与选券', 'In runs'), render: (_: unknown, e) => <Switch size="small" checked={e.active} disabled={!canEdit} onChange={(on) => toggle(e, on)} /> },
          {
            title: t('操作', 'Actions'),
            render: (_: unknown, e) =>
              canEdit ? (
                <Popconfirm title={t('移出券池？已发出的券不受影响', 'Take it out of the pool? Issued coupons stay')} onConfirm={() => remove(e)}>
                  <Button type="link" size="small" danger icon={<DeleteOutlined />}>{t('移出', 'Remove')}</Button>
                </Popconfirm>
              ) : null,
          },
        ]}
      />
      <Modal open={adding} title={t('放入券池', 'Add to the offer pool')} okText={t('保存', 'Save')} onOk={save} onCancel={() => setAdding(false)} destroyOnHidden>
        {error ? <Alert type="error" message={error} style={{ marginBottom: 12 }} /> : null}
        <Form form={form} layout="vertical" initialValues={{ kind: 'category', categories: [] }}>
          <Form.Item name="templateId" label={t('券模板', 'Coupon template')}>
            <Select
              showSearch
              optionFilterProp="label"
              options={(templates.data?.items ?? []).filter((tpl) => !inPool.has(tpl.id)).map((tpl) => ({ value: tpl.id, label: tpl.title }))}
              data-testid="offers-pool-template"
            />
          </Form.Item>
          <Form.Item name="kind" label={t('类型', 'Kind')}>
            <Radio.Group options={[{ value: 'category', label: t('品类券：服务某些品类', 'Category offer') }, { value: 'threshold', label: t('满减券：按客单价匹配', 'Threshold (满减) offer') }]} />
          </Form.Item>
          {kind === 'threshold' ? (
            <Row gutter={12}>
              <Col span={12}><Form.Item name="basketFrom" label={t('适合客单价从（元）', 'Basket from (¥)')}><InputNumber min={0} style={{ width: '100%' }} /></Form.Item></Col>
              <Col span={12}><Form.Item name="basketTo" label={t('到（元）', 'to (¥)')}><InputNumber min={0} style={{ width: '100%' }} /></Form.Item></Col>
            </Row>
          ) : (
            <Form.Item name="categories" label={t('服务品类', 'Categories it serves')}>
              <Select mode="multiple" optionFilterProp="label" options={categories.filter((c) => c.status === 'active').map((c) => ({ value: c.code, label: lang === 'zh' ? c.name : c.nameEn }))} data-testid="offers-pool-categories" />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </Card>
  );
}

function TopTab() {
  const t = useT();
  const reference = useReference();
  const summary = useAsync((signal) => api.get<TopMembersSummary>('/admin/offers/top-members', undefined, signal), []);
  const s = summary.data;
  return (
    <Card title={t('头部会员：12 个月消费前 20%', 'Top members: the top 20% by 12-month spend')}>
      {summary.error ? <ErrorState error={summary.error} onRetry={summary.reload} compact /> : null}
      {s ? (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Row gutter={24}>
            <Col><Statistic title={t('全品牌头部会员', 'Brand top members')} value={s.brand.members} /></Col>
            <Col><Statistic title={t('入选门槛（12 个月消费）', 'Threshold (12-month spend)')} value={fenToYuanText(s.brand.thresholdFen)} /></Col>
            <Col>
              <Statistic title={t('贡献的消费占比', 'Share of spend they bring')} value={formatPercent(s.brand.spendShare)} />
              {s.brand.spendShare !== null ? <Progress percent={Math.round(s.brand.spendShare * 100)} showInfo={false} size="small" /> : null}
            </Col>
          </Row>
          <Typography.Text type="secondary">
            {t(
              `每天 04:00 更新；会员带标签「${s.tags.brand}」和「${s.tags.store}」，可在人群圈选中直接使用。最近更新：${formatDateTime(s.computedAt)}`,
              `Updated daily at 04:00; members carry the tags “${s.tags.brand}” and “${s.tags.store}”, usable in segments. Last update: ${formatDateTime(s.computedAt)}`,
            )}
          </Typography.Text>
          <Table
            rowKey="storeId"
            size="small"
            pagination={false}
            dataSource={s.stores}
            columns={[
              { title: t('门店', 'Store'), dataIndex: 'storeId', render: (id: string) => reference.storeName(id) },
              { title: t('本店头部会员', 'Store top members'), dataIndex: 'members', render: formatInt },
              { title: t('门槛', 'Threshold'), dataIndex: 'thresholdFen', render: (v: number | null) => fenToYuanText(v) },
            ]}
          />
        </Space>
      ) : null}
    </Card>
  );
}
