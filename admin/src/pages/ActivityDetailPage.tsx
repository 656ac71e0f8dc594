import { ArrowLeftOutlined, EditOutlined, StopOutlined } from '@ant-design/icons';
import { App, Button, Card, Descriptions, Segmented, Space, Statistic, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { useCan } from '../auth/session';
import { api, readableErrorMessage } from '../api';
import type { AdminSignup } from '../api/types';
import { CursorTable } from '../components/CursorTable';
import { PageTitle } from '../components/PageTitle';
import { AsyncView } from '../components/states';
import { useLang, useT } from '../i18n';
import { fenToYuanText, formatDateTime } from '../lib/format';
import { useAsync, useCursorList } from '../lib/hooks';
import { useReference } from '../lib/reference';
import { SIGNUP_PAYMENT_STATUS_LABELS, SIGNUP_STATUS_LABELS, labelOf, maskPhone } from '../shared';
import { activityStatusColor, activityStatusLabel, type AdminActivity } from './ActivitiesPage';

const signupColors: Record<string, string> = { confirmed: 'green', waitlisted: 'orange', pending_payment: 'gold', cancelled: 'default', attended: 'blue' };
const paymentColors: Record<string, string> = { pending: 'gold', paid: 'green', closing: 'default', closed: 'default', refunding: 'orange', refunded: 'blue', refund_failed: 'red' };

function paymentLabel(status: string, t: (zh: string, en: string) => string): string {
  return labelOf(SIGNUP_PAYMENT_STATUS_LABELS, status, t('zh', 'en') === 'zh' ? 'zh' : 'en');
}

export default function ActivityDetailPage() {
  const { id = '' } = useParams();
  const t = useT();
  // Viewers read; writing needs the HQ role the server asks for (RouteSpec.hq).
  const canWrite = useCan('marketing');
  const { lang } = useLang();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const reference = useReference();
  const state = useAsync((signal) => api.get<AdminActivity>(`/admin/activities/${id}`, undefined, signal), [id]);
  const [status, setStatus] = useState<string>('all');
  const signups = useCursorList<AdminSignup>((cursor, signal) => api.list<AdminSignup>(`/admin/activities/${id}/signups`, { status: status === 'all' ? undefined : status, cursor }, signal), [id, status]);

  const run = async (verb: 'publish' | 'cancel') => {
    try {
      const next = await api.post<AdminActivity>(`/admin/activities/${id}/${verb}`);
      state.setData(next);
      signups.reload();
      message.success(verb === 'cancel' ? t('活动已取消，已付费的报名将原路退款', 'Cancelled; paid seats are being refunded') : t('活动已发布', 'Published'));
    } catch (cause) {
      message.error(readableErrorMessage(cause, lang));
    }
  };

  return (
    <>
      <PageTitle
        title={
          <Space>
            <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/activities')} aria-label={t('返回', 'Back')} />
            {state.data?.title ?? t('活动', 'Activity')}
            {state.data ? <Tag color={activityStatusColor[state.data.status]} data-testid="activity-status">{activityStatusLabel(state.data.status, t)}</Tag> : null}
          </Space>
        }
        extra={
          canWrite && state.data && (state.data.status === 'draft' || state.data.status === 'published') ? (
            <>
              <Button icon={<EditOutlined />} onClick={() => navigate(`/activities/${id}/edit`)}>
                {t('编辑', 'Edit')}
              </Button>
              {state.data.status === 'draft' ? (
                <Button type="primary" onClick={() => run('publish')}>
                  {t('发布', 'Publish')}
                </Button>
              ) : null}
              <Button
                danger
                icon={<StopOutlined />}
                onClick={() =>
                  modal.confirm({
                    title: t('取消活动？', 'Cancel this activity?'),
                    content: t(`已报名的 ${state.data?.confirmedCount ?? 0} 人和候补 ${state.data?.waitlistCount ?? 0} 人将收到通知，已付费的报名会自动退款。`, `${state.data?.confirmedCount ?? 0} confirmed and ${state.data?.waitlistCount ?? 0} waitlisted members are notified; paid seats are refunded.`),
                    okType: 'danger',
                    okText: t('取消活动并退款', 'Cancel and refund'),
                    cancelText: t('返回', 'Back'),
                    onOk: () => run('cancel'),
                  })
                }
              >
                {t('取消活动', 'Cancel activity')}
              </Button>
            </>
          ) : null
        }
      />
      <AsyncView state={state}>
        {(activity) => (
          <Space direction="vertical" size={16} style={{ width: '100%' }}>
            <Card>
              <div className="mc-kpi-grid" style={{ marginBottom: 16 }}>
                <Statistic title={t('已确认', 'Confirmed')} value={activity.confirmedCount} suffix={`/ ${activity.capacity}`} />
                <Statistic title={t('剩余名额', 'Seats left')} value={activity.seatsLeft ?? Math.max(0, activity.capacity - activity.confirmedCount - (activity.pendingPaymentCount ?? 0))} suffix={activity.pendingPaymentCount ? <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t(`${activity.pendingPaymentCount} 个待支付`, `${activity.pendingPaymentCount} awaiting payment`)}</Typography.Text> : null} />
                <Statistic title={t('候补', 'Waitlist')} value={activity.waitlistCount} />
                <Statistic title={t('报名费', 'Fee')} value={activity.feeFen ? fenToYuanText(activity.feeFen) : t('免费', 'Free')} />
                <Statistic title={t('签到积分', 'Attendance points')} value={activity.attendancePoints} />
              </div>
              <Descriptions size="small" column={3}>
                <Descriptions.Item label={t('门店', 'Store')}>{activity.storeId ? reference.storeName(activity.storeId) : t('全部门店', 'All stores')}</Descriptions.Item>
                <Descriptions.Item label={t('时间', 'When')}>{`${formatDateTime(activity.startAt)} ~ ${formatDateTime(activity.endAt).slice(11)}`}</Descriptions.Item>
                <Descriptions.Item label={t('报名截止', 'Sign-up closes')}>{formatDateTime(activity.signupClosesAt)}</Descriptions.Item>
                <Descriptions.Item label={t('等级', 'Tiers')}>{activity.tiers?.length ? activity.tiers.map(reference.tierName).join(' / ') : t('全部', 'All')}</Descriptions.Item>
              </Descriptions>
              <Typography.Paragraph type="secondary" ellipsis={{ rows: 2, expandable: true }} style={{ marginTop: 8, marginBottom: 0 }}>
                {activity.description}
              </Typography.Paragraph>
            </Card>
            <Card title={t('报名名单', 'Sign-ups')} extra={<Segmented value={status} onChange={(value) => setStatus(String(value))} options={[{ label: t('全部', 'All'), value: 'all' }, { label: t('已确认', 'Confirmed'), value: 'confirmed' }, { label: t('待支付', 'Awaiting payment'), value: 'pending_payment' }, { label: t('候补', 'Waitlist'), value: 'waitlisted' }, { label: t('已签到', 'Attended'), value: 'attended' }, { label: t('已取消', 'Cancelled'), value: 'cancelled' }]} />}>
              <CursorTable<AdminSignup>
                list={signups}
                rowKey="id"
                size="small"
                empty={t('还没有人报名', 'No sign-ups yet')}
                columns={[
                  { title: t('会员', 'Member'), render: (_: unknown, signup) => <a href={`#/members/${signup.memberId}`}>{signup.member?.cardNo ?? signup.memberId}</a> },
                  { title: t('姓名', 'Name'), render: (_: unknown, signup) => signup.member?.name ?? '—' },
                  { title: t('手机', 'Phone'), render: (_: unknown, signup) => (signup.member?.phone ? maskPhone(signup.member.phone) : '—') },
                  { title: t('状态', 'Status'), dataIndex: 'status', render: (value: string, signup) => <Tag color={signupColors[value]}>{labelOf(SIGNUP_STATUS_LABELS, value, lang)}{signup.waitlistPosition ? ` #${signup.waitlistPosition}` : ''}</Tag> },
                  { title: t('支付', 'Payment'), dataIndex: 'paymentStatus', render: (value?: string) => (value ? <Tag color={paymentColors[value]}>{paymentLabel(value, t)}</Tag> : '—') },
                  { title: t('报名时间', 'Signed up'), dataIndex: 'createdAt', render: formatDateTime },
                ]}
              />
            </Card>
          </Space>
        )}
      </AsyncView>
    </>
  );
}
