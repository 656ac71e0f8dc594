import {
  AimOutlined,
  ApiOutlined,
  AuditOutlined,
  BarChartOutlined,
  LineChartOutlined,
  CalendarOutlined,
  GiftOutlined,
  LogoutOutlined,
  NotificationOutlined,
  QrcodeOutlined,
  RobotOutlined,
  SkinOutlined,
  ShopOutlined,
  TeamOutlined,
  UserOutlined,
  UsergroupAddOutlined,
  FilterOutlined,
  KeyOutlined,
  AppstoreOutlined,
  LockOutlined,
  CrownOutlined,
  PayCircleOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import { Avatar, Button, Dropdown, Layout, Menu, Segmented, Space, Tag, Typography } from 'antd';
import { Suspense } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { signOut } from '../api';
import { canUse, useSession } from '../auth/session';
import { useLang, useT } from '../i18n';
import { hqRoleLabel } from '../lib/auditActions';
import { useReference } from '../lib/reference';
import { LoadingState } from './states';

export function AppLayout() {
  const session = useSession();
  const t = useT();
  const { lang, setLang } = useLang();
  const navigate = useNavigate();
  const location = useLocation();
  const reference = useReference();
  const hq = session?.kind === 'hq';
  // Stores, staff accounts and the audit log are HQ admins' alone; marketing and viewers do not see them.
  const hqAdmin = hq && canUse(session, 'admin');
  const hqRole = session?.kind === 'hq' ? hqRoleLabel(session.hqRole, t) : null;

  const items = [
    { key: '/dashboard', icon: <BarChartOutlined />, label: t('数据看板', 'Dashboard') },
    { key: '/reports', icon: <LineChartOutlined />, label: <span data-testid="menu-reports">{t('经营报表', 'Reports')}</span> },
    { key: '/members', icon: <UserOutlined />, label: t('会员', 'Members') },
    ...(hq
      ? [
          { key: '/coupons', icon: <GiftOutlined />, label: t('优惠券模板', 'Coupon templates') },
          { key: '/code-batches', icon: <QrcodeOutlined />, label: t('兑换码', 'Redemption codes') },
          { key: '/segments', icon: <FilterOutlined />, label: t('人群圈选', 'Segments') },
          { key: '/campaigns', icon: <NotificationOutlined />, label: t('营销推送', 'Campaigns') },
          { key: '/offers', icon: <AimOutlined />, label: <span data-testid="menu-offers">{t('个性化发券', 'Personalised offers')}</span> },
          { key: '/referral', icon: <UsergroupAddOutlined />, label: <span data-testid="menu-referral">{t('邀请有礼', 'Referral')}</span> },
          { key: '/automation', icon: <RobotOutlined />, label: t('自动化规则', 'Automation') },
          { key: '/branding', icon: <SkinOutlined />, label: <span data-testid="menu-branding">{t('品牌设置', 'Brand')}</span> },
          { key: '/categories', icon: <AppstoreOutlined />, label: t('商品品类', 'Categories') },
          { key: '/wechat-member-card', icon: <WalletOutlined />, label: <span data-testid="menu-wechat-member-card">{t('微信会员卡', 'WeChat member card')}</span> },
        ]
      : []),
    { key: '/activities', icon: <CalendarOutlined />, label: t('门店活动', 'Activities') },
    ...(hq ? [{ key: '/stored-value', icon: <PayCircleOutlined />, label: <span data-testid="menu-stored-value">{t('储值', 'Stored value')}</span> }] : []),
    ...(hq ? [{ key: '/store-day', icon: <ShopOutlined />, label: <span data-testid="menu-store-day">{t('门店日报', 'Store day')}</span> }] : []),
    ...(hqAdmin
      ? [
          { key: '/loyalty-rules', icon: <CrownOutlined />, label: t('等级与积分规则', 'Tiers & earn rules') },
          { key: '/stores', icon: <ShopOutlined />, label: t('门店', 'Stores') },
          { key: '/staff', icon: <TeamOutlined />, label: t('员工账号', 'Staff') },
          { key: '/audit', icon: <AuditOutlined />, label: t('操作日志', 'Audit log') },
          { key: '/webhooks', icon: <ApiOutlined />, label: t('事件推送', 'Webhooks') },
          { key: '/pos-keys', icon: <LockOutlined />, label: t('收银系统密钥', 'POS keys') },
        ]
      : []),
  ];
  const selected = items.map((item) => item.key).find((key) => location.pathname === key || location.pathname.startsWith(`${key}/`)) ?? '/dashboard';

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={208} theme="light" style={{ borderRight: '1px solid #eee' }}>
        <div style={{ height: 56, display: 'flex', alignItems: 'center', gap: 8, padding: '0 20px', fontWeight: 700, fontSize: 16 }}>
          <UsergroupAddOutlined style={{ color: '#c8372d', fontSize: 20 }} />
          {t('会员中心', 'Membercard HQ')}
        </div>
        <Menu mode="inline" selectedKeys={[selected]} items={items} onClick={({ key }) => navigate(key)} style={{ borderInlineEnd: 'none' }} data-testid="main-menu" />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 24px', display: 'flex', alignItems: 'center', justifyContent: 'flex-end', gap: 16, borderBottom: '1px solid #eee', height: 56 }}>
          {session?.kind === 'manager' ? <Tag color="blue">{t('门店', 'Store')}: {reference.storeName(session.storeId)}</Tag> : <Tag color="red" data-testid="hq-role">{t('总部', 'HQ')} · {hqRole}</Tag>}
          <Segmented size="small" value={lang} onChange={(value) => setLang(value as 'zh' | 'en')} options={[{ label: '中文', value: 'zh' }, { label: 'EN', value: 'en' }]} data-testid="lang-switch" />
          <Dropdown
            menu={{
              items: [
                { key: 'password', icon: <KeyOutlined />, label: <span data-testid="menu-change-password">{t('修改密码', 'Change password')}</span> },
                { key: 'signout', icon: <LogoutOutlined />, label: t('退出登录', 'Sign out') },
              ],
              onClick: ({ key }) => {
                if (key === 'password') return navigate('/password');
                signOut();
                navigate('/signin');
              },
            }}
          >
            <Space style={{ cursor: 'pointer' }} data-testid="user-menu">
              <Avatar size="small" icon={<UserOutlined />} />
              <Typography.Text>{session?.name}</Typography.Text>
            </Space>
          </Dropdown>
          <Button type="text" icon={<LogoutOutlined />} aria-label={t('退出登录', 'Sign out')} onClick={() => { signOut(); navigate('/signin'); }} />
        </Layout.Header>
        <Layout.Content style={{ padding: 24, minWidth: 0 }}>
          <Suspense fallback={<LoadingState />}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
