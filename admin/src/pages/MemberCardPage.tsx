import { ReloadOutlined, SendOutlined, WalletOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Form, Input, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, readableErrorMessage } from '../api';
import { failedSaveMessage } from '../components/formErrors';
import { PageTitle } from '../components/PageTitle';
import { AsyncView } from '../components/states';
import { useLang, useT } from '../i18n';
import { formatDateTime, formatInt } from '../lib/format';
import { useAsync } from '../lib/hooks';

// 微信会员卡: HQ designs the member card shoppers keep in WeChat's 卡包 (brand, colour, card art per tier,
// benefits), publishes it to WeChat, and watches the sync that keeps each card's points and tier equal to
// the member's (members on the card, cards waiting, failures with a retry). Server: /admin/wechat-member-card.

interface CardDesign {
  brandName: string;
  title: string;
  logoUrl: string;
  colour: string;
  backgroundUrl: string;
  tierArt: Array<{ tier: string; backgroundUrl: string }>;
  benefits: string;
  notice: string;
  description: string;
  servicePhone: string | null;
  miniProgramUserName: string;
  codePage: string;
}

interface CardOverview {
  design: CardDesign;
  colourHex: string;
  cardId: string | null;
  publishedAt: string | null;
  publishError: { errcode: number | null; message: string; at: string } | null;
  tiers: Array<{ code: string; name: string }>;
  sync: { membersOnCard: number; activating: number; waiting: number; failing: number; lastSyncAt: string | null; updatesPerMinute: number };
}

interface CardFailure {
  linkId: string;
  memberId: string;
  cardNo: string | null;
  code: string;
  failures: number;
  lastError: { errcode: number | null; message: string; at: string } | null;
  nextAttemptAt: string | null;
}

/** WeChat's named card colours (card/getcolors) as they show. */
const CARD_COLOURS: Record<string, string> = {
  Color010: '#63b359', Color020: '#2c9f67', Color030: '#509fc9', Color040: '#5885cf', Color050: '#9062c0', Color060: '#d09a45',
  Color070: '#e4b138', Color080: '#ee903c', Color081: '#f08500', Color082: '#a9d92d', Color090: '#dd6549', Color100: '#cc463d',
};

type FormValues = Omit<CardDesign, 'tierArt' | 'servicePhone'> & { servicePhone?: string; tierArt: Record<string, string | undefined> };

/** The card as it shows in the wallet: colour band or the tier's art, logo, brand, title, points and tier. */
function CardPreview({ values, tierName }: { values: Partial<FormValues>; tierName: string }) {
  const t = useT();
  const colour = CARD_COLOURS[values.colour ?? 'Color010'] ?? '#63b359';
  return (
    <div data-testid="member-card-preview" style={{ width: 340, borderRadius: 12, overflow: 'hidden', boxShadow: '0 4px 16px rgba(0,0,0,0.15)', background: '#fff' }}>
      <div style={{ background: colour, color: '#fff', padding: '14px 16px', height: 168, display: 'flex', flexDirection: 'column', justifyContent: 'space-between' }}>
        <Space align="center">
          <div style={{ width: 40, height: 40, borderRadius: '50%', background: 'rgba(255,255,255,0.9)', color: colour, display: 'flex', alignItems: 'center', justifyContent: 'center', fontWeight: 600 }}>
            {(values.brandName ?? '').slice(0, 1) || '卡'}
          </div>
          <div>
            <div style={{ fontSize: 13, opacity: 0.9 }}>{values.brandName || t('品牌名称', 'Brand name')}</div>
            <div style={{ fontSize: 17, fontWeight: 600 }}>{values.title || t('会员卡', 'Member card')}</div>
          </div>
        </Space>
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'flex-end' }}>
          <div>
            <div style={{ fontSize: 12, opacity: 0.85 }}>{t('积分', 'Points')}</div>
            <div style={{ fontSize: 22, fontWeight: 600 }}>1,280</div>
          </div>
          <div style={{ textAlign: 'right' }}>
            <div style={{ fontSize: 12, opacity: 0.85 }}>{t('等级', 'Tier')}</div>
            <div style={{ fontSize: 15, fontWeight: 600 }}>{tierName}</div>
          </div>
        </div>
      </div>
      <div style={{ padding: '10px 16px', display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {values.notice || t('出示会员码享会员权益', 'Show the member code')}
        </Typography.Text>
        <Tag color="green" style={{ marginInlineEnd: 0 }}>
          {t('会员码 ›', 'Member code ›')}
        </Tag>
      </div>
    </div>
  );
}

function toForm(design: CardDesign): FormValues {
  return { ...design, servicePhone: design.servicePhone ?? undefined, tierArt: Object.fromEntries(design.tierArt.map((entry) => [entry.tier, entry.backgroundUrl])) };
}

function fromForm(values: FormValues): CardDesign {
  const phone = values.servicePhone?.trim();
  return {
    ...values,
    servicePhone: phone ? phone : null,
    tierArt: Object.entries(values.tierArt ?? {})
      .filter((entry): entry is [string, string] => Boolean(entry[1]?.trim()))
      .map(([tier, backgroundUrl]) => ({ tier, backgroundUrl: backgroundUrl.trim() })),
  };
}

function DesignCard({ overview, onSaved }: { overview: CardOverview; onSaved: (next: CardOverview) => void }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const values = Form.useWatch([], form) as Partial<FormValues> | undefined;
  useEffect(() => form.setFieldsValue(toForm(overview.design)), [form, overview.design]);

  const save = async () => {
    setError(null);
    setSaving(true);
    try {
      const next = await api.put<CardOverview>('/admin/wechat-member-card', fromForm(form.getFieldsValue(true) as FormValues));
      onSaved(next);
      if (next.publishError) message.warning(t('设计已保存，但微信未接受发布', 'Saved, but WeChat refused the publication'));
      else message.success(t('已保存并发布到微信', 'Saved and published to WeChat'));
    } catch (cause) {
      setError(failedSaveMessage(form, cause, lang));
    } finally {
      setSaving(false);
    }
  };

  const topTier = overview.tiers[overview.tiers.length - 1];
  return (
    <Card title={t('卡面设计', 'Card design')} data-testid="member-card-design">
      <Row gutter={24}>
        <Col xs={24} xl={14}>
          <Form form={form} layout="vertical" requiredMark={false}>
            <Row gutter={12}>
              <Col span={12}>
                <Form.Item name="brandName" label={t('商户名称（≤12 字）', 'Brand name (≤12)')}>
                  <Input maxLength={12} data-testid="card-brand" />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="title" label={t('卡名称（≤9 字）', 'Card title (≤9)')}>
                  <Input maxLength={9} data-testid="card-title" />
                </Form.Item>
              </Col>
            </Row>
            <Row gutter={12}>
              <Col span={12}>
                <Form.Item name="colour" label={t('卡券颜色（微信色板）', 'Colour (WeChat palette)')}>
                  <Select
                    data-testid="card-colour"
                    options={Object.entries(CARD_COLOURS).map(([value, hex]) => ({
                      value,
                      label: (
                        <Space>
                          <span style={{ display: 'inline-block', width: 14, height: 14, borderRadius: 3, background: hex, verticalAlign: 'middle' }} />
                          {value}
                        </Space>
                      ),
                    }))}
                  />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="logoUrl" label={t('商户标志图片地址', 'Logo URL')}>
                  <Input />
                </Form.Item>
              </Col>
            </Row>
            <Form.Item name="backgroundUrl" label={t('默认卡面图片地址', 'Default card art URL')} extra={t('等级没有专属卡面时使用', 'Used for tiers without their own art')}>
              <Input />
            </Form.Item>
            {overview.tiers.map((tier) => (
              <Form.Item key={tier.code} name={['tierArt', tier.code]} label={t(`${tier.name}卡面图片地址`, `${tier.name} card art URL`)}>
                <Input placeholder={t('留空则用默认卡面', 'Empty: the default art')} />
              </Form.Item>
            ))}
            <Form.Item name="benefits" label={t('会员权益说明', 'Benefits')}>
              <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={1000} />
            </Form.Item>
            <Row gutter={12}>
              <Col span={12}>
                <Form.Item name="notice" label={t('使用提醒（≤16 字）', 'Notice (≤16)')}>
                  <Input maxLength={16} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="servicePhone" label={t('客服电话', 'Service phone')}>
                  <Input />
                </Form.Item>
              </Col>
            </Row>
            <Form.Item name="description" label={t('使用须知', 'Terms')}>
              <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={1000} />
            </Form.Item>
            <Row gutter={12}>
              <Col span={12}>
                <Form.Item name="miniProgramUserName" label={t('小程序原始 ID', 'Mini-program original id')} extra="gh_…@app">
                  <Input />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="codePage" label={t('「会员码」打开的页面', 'Page the 会员码 button opens')}>
                  <Input />
                </Form.Item>
              </Col>
            </Row>
            {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="card-save-error" />}
            <Button type="primary" icon={<SendOutlined />} loading={saving} onClick={save} data-testid="card-save">
              {overview.cardId ? t('保存并更新微信会员卡', 'Save and update the WeChat card') : t('保存并创建微信会员卡', 'Save and create the WeChat card')}
            </Button>
          </Form>
        </Col>
        <Col xs={24} xl={10}>
          <Space direction="vertical" size="middle">
            <Typography.Text type="secondary">{t('卡包中的样子（示例会员）', 'As it shows in the wallet (sample member)')}</Typography.Text>
            <CardPreview values={values ?? toForm(overview.design)} tierName={topTier?.name ?? '银卡'} />
            <Typography.Paragraph type="secondary" style={{ maxWidth: 340, fontSize: 12 }}>
              {t(
                '卡面不显示固定的码：点「会员码」打开小程序里每 60 秒更新的会员码，截图不能代替会员本人。',
                'The card shows no fixed code: 会员码 opens the member code in the mini-program, renewed every 60 s, so a screenshot cannot stand in for the member.',
              )}
            </Typography.Paragraph>
          </Space>
        </Col>
      </Row>
    </Card>
  );
}

function SyncCard({ overview, onRetried }: { overview: CardOverview; onRetried: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const { message } = App.useApp();
  const failures = useAsync((signal) => api.get<{ items: CardFailure[] }>('/admin/wechat-member-card/failures', undefined, signal), [overview]);
  const [retrying, setRetrying] = useState<string | null>(null);
  const retry = async (linkId?: string) => {
    setRetrying(linkId ?? 'all');
    try {
      const result = await api.post<{ retried: number; sent: number }>('/admin/wechat-member-card/retry', linkId ? { linkId } : {});
      message.success(t(`已重试 ${result.retried} 张，成功同步 ${result.sent} 张`, `Retried ${result.retried}, synced ${result.sent}`));
      onRetried();
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    } finally {
      setRetrying(null);
    }
  };
  const { sync } = overview;
  return (
    <Card
      title={t('积分与等级同步', 'Points and tier sync')}
      data-testid="member-card-sync"
      extra={<Typography.Text type="secondary">{t(`每分钟最多 ${formatInt(sync.updatesPerMinute)} 次更新`, `At most ${formatInt(sync.updatesPerMinute)} updates a minute`)}</Typography.Text>}
    >
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={6}>
          <Statistic title={t('卡包中的会员', 'Members with the card')} value={sync.membersOnCard} />
        </Col>
        <Col span={6}>
          <Statistic title={t('等待同步', 'Waiting to sync')} value={sync.waiting} />
        </Col>
        <Col span={6}>
          <Statistic title={t('同步失败', 'Failing')} value={sync.failing} valueStyle={sync.failing ? { color: '#cf1322' } : undefined} />
        </Col>
        <Col span={6}>
          <Statistic title={t('最近同步', 'Last sync')} value={sync.lastSyncAt ? formatDateTime(sync.lastSyncAt) : '—'} valueStyle={{ fontSize: 16 }} />
        </Col>
      </Row>
      <AsyncView state={failures} rows={2}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('没有同步失败的会员卡', 'No card is failing to sync')} />
          ) : (
            <>
              <Space style={{ marginBottom: 8 }}>
                <Button icon={<ReloadOutlined />} loading={retrying === 'all'} onClick={() => retry()} data-testid="card-retry-all">
                  {t('全部重试', 'Retry all')}
                </Button>
              </Space>
              <Table<CardFailure>
                rowKey="linkId"
                size="small"
                pagination={false}
                dataSource={data.items}
                data-testid="card-failures"
                columns={[
                  { title: t('会员卡号', 'Card no.'), dataIndex: 'cardNo', render: (cardNo: string | null, row) => <a href={`#/members/${row.memberId}`}>{cardNo ?? '—'}</a> },
                  { title: t('微信卡号', 'WeChat code'), dataIndex: 'code' },
                  { title: t('失败次数', 'Failures'), dataIndex: 'failures' },
                  {
                    title: t('微信的回答', 'WeChat answered'),
                    dataIndex: 'lastError',
                    render: (lastError: CardFailure['lastError']) =>
                      lastError ? `${lastError.errcode !== null ? `errcode ${lastError.errcode}：` : ''}${lastError.message}` : '—',
                  },
                  {
                    title: t('下次自动重试', 'Next automatic try'),
                    dataIndex: 'nextAttemptAt',
                    render: (at: string | null) => (at ? formatDateTime(at) : t('已停止，等待人工重试', 'Stopped; retry by hand')),
                  },
                  {
                    title: '',
                    key: 'retry',
                    render: (_: unknown, row) => (
                      <Button size="small" loading={retrying === row.linkId} onClick={() => retry(row.linkId)}>
                        {t('重试', 'Retry')}
                      </Button>
                    ),
                  },
                ]}
              />
            </>
          )
        }
      </AsyncView>
    </Card>
  );
}

export default function MemberCardPage() {
  const t = useT();
  const overview = useAsync((signal) => api.get<CardOverview>('/admin/wechat-member-card', undefined, signal), []);
  const [saved, setSaved] = useState<CardOverview | null>(null);
  return (
    <>
      <PageTitle
        title={
          <Space>
            <WalletOutlined />
            {t('微信会员卡', 'WeChat member card')}
          </Space>
        }
        sub={t('会员在微信卡包里的会员卡：卡面设计、开卡与积分等级同步', 'The card members keep in WeChat’s wallet: its design, card opening, and the points and tier sync')}
      />
      <AsyncView state={overview}>
        {(loaded) => {
          const current = saved ?? loaded;
          return (
            <Space direction="vertical" size="large" style={{ width: '100%' }}>
              <Card size="small" data-testid="member-card-status">
                <Descriptions size="small" column={{ xs: 1, md: 3 }}>
                  <Descriptions.Item label={t('微信卡券 ID', 'WeChat card id')}>
                    {current.cardId ? <Typography.Text code>{current.cardId}</Typography.Text> : <Tag>{t('尚未创建', 'Not created yet')}</Tag>}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('最近发布', 'Last published')}>{current.publishedAt ? formatDateTime(current.publishedAt) : '—'}</Descriptions.Item>
                  <Descriptions.Item label={t('开卡中', 'Activating')}>{current.sync.activating}</Descriptions.Item>
                </Descriptions>
                {current.publishError && (
                  <Alert
                    type="error"
                    showIcon
                    data-testid="card-publish-error"
                    message={t('微信未接受最近一次发布', 'WeChat refused the last publication')}
                    description={`${current.publishError.errcode !== null ? `errcode ${current.publishError.errcode}：` : ''}${current.publishError.message}（${formatDateTime(current.publishError.at)}）`}
                  />
                )}
              </Card>
              <DesignCard overview={current} onSaved={setSaved} />
              <SyncCard
                overview={current}
                onRetried={() => {
                  setSaved(null);
                  overview.reload();
                }}
              />
            </Space>
          );
        }}
      </AsyncView>
    </>
  );
}
