import { ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, type ReactNode } from 'react';
import { HashRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { canUse, useSession, type HqRole } from './auth/session';
import { LangProvider, useLang } from './i18n';

// Hash routing, so the server only has to serve index.html at /admin/ and any deep link still works
// after a reload. Every screen is its own lazily loaded chunk.
// The signed-in frame (menu, icons) too: the sign-in screen downloads none of it.
const AppLayout = lazy(() => import('./components/AppLayout').then((module) => ({ default: module.AppLayout })));
// antd's App (message, notification, modal) wraps only the screens behind sign-in, and comes with them.
const AntAppFrame = lazy(() => import('./components/AntAppFrame'));
const SignInPage = lazy(() => import('./pages/SignInPage'));
const DashboardPage = lazy(() => import('./pages/DashboardPage'));
const ReportsPage = lazy(() => import('./pages/ReportsPage'));
const MembersPage = lazy(() => import('./pages/MembersPage'));
const MemberDetailPage = lazy(() => import('./pages/MemberDetailPage'));
const CouponTemplatesPage = lazy(() => import('./pages/CouponTemplatesPage'));
const CouponTemplateEditorPage = lazy(() => import('./pages/CouponTemplateEditorPage'));
const CodeBatchesPage = lazy(() => import('./pages/CodeBatchesPage'));
const LoyaltyRulesPage = lazy(() => import('./pages/LoyaltyRulesPage'));
const SegmentsPage = lazy(() => import('./pages/SegmentsPage'));
const CampaignsPage = lazy(() => import('./pages/CampaignsPage'));
const OffersPage = lazy(() => import('./pages/OffersPage'));
const OffersRunPage = lazy(() => import('./pages/OffersRunPage'));
const ReferralPage = lazy(() => import('./pages/ReferralPage'));
const MemberCardPage = lazy(() => import('./pages/MemberCardPage'));
const CampaignNewPage = lazy(() => import('./pages/CampaignNewPage'));
const CampaignDetailPage = lazy(() => import('./pages/CampaignDetailPage'));
const AutomationPage = lazy(() => import('./pages/AutomationPage'));
const BrandingPage = lazy(() => import('./pages/BrandingPage'));
const ActivitiesPage = lazy(() => import('./pages/ActivitiesPage'));
const ActivityEditorPage = lazy(() => import('./pages/ActivityEditorPage'));
const ActivityDetailPage = lazy(() => import('./pages/ActivityDetailPage'));
const StoresPage = lazy(() => import('./pages/StoresPage'));
const StaffPage = lazy(() => import('./pages/StaffPage'));
const AuditLogPage = lazy(() => import('./pages/AuditLogPage'));
const WebhooksPage = lazy(() => import('./pages/WebhooksPage'));
const CategoriesPage = lazy(() => import('./pages/CategoriesPage'));
const PosKeysPage = lazy(() => import('./pages/PosKeysPage'));
const StoredValuePage = lazy(() => import('./pages/StoredValuePage'));
const StoreDayPage = lazy(() => import('./pages/StoreDayPage'));
const ChangePasswordPage = lazy(() => import('./pages/ChangePasswordPage'));

/** Signed in, with a password of one's own, and (for HQ-only screens) an HQ role of at least `need`. */
function RequireSession({ children, hqOnly, need, passwordScreen }: { children: ReactNode; hqOnly?: boolean; need?: HqRole; passwordScreen?: boolean }) {
  const session = useSession();
  const location = useLocation();
  if (!session) return <Navigate to="/signin" replace state={{ from: location.pathname }} />;
  if (session.mustChangePassword && !passwordScreen) return <Navigate to="/password" replace />;
  if (hqOnly && session.kind !== 'hq') return <Navigate to="/dashboard" replace />;
  if (need && !canUse(session, need)) return <Navigate to="/dashboard" replace />;
  return <>{children}</>;
}

function Screens() {
  const hq = (element: ReactNode, need: HqRole = 'viewer') => <RequireSession hqOnly need={need}>{element}</RequireSession>;
  const writer = (element: ReactNode) => <RequireSession need="marketing">{element}</RequireSession>;
  return (
    <Suspense fallback={<ScreenLoading />}>
      <Routes>
        <Route path="/signin" element={<SignInPage />} />
        <Route path="/password" element={<RequireSession passwordScreen><AntAppFrame><ChangePasswordPage /></AntAppFrame></RequireSession>} />
        <Route
          element={
            <RequireSession>
              <AntAppFrame>
                <AppLayout />
              </AntAppFrame>
            </RequireSession>
          }
        >
          <Route path="/" element={<Navigate to="/dashboard" replace />} />
          <Route path="/dashboard" element={<DashboardPage />} />
          <Route path="/reports" element={<ReportsPage />} />
          <Route path="/members" element={<MembersPage />} />
          <Route path="/members/:id" element={<MemberDetailPage />} />
          <Route path="/coupons" element={hq(<CouponTemplatesPage />)} />
          <Route path="/coupons/new" element={hq(<CouponTemplateEditorPage />, 'marketing')} />
          <Route path="/coupons/:id" element={hq(<CouponTemplateEditorPage />)} />
          <Route path="/code-batches" element={hq(<CodeBatchesPage />)} />
          <Route path="/loyalty-rules" element={hq(<LoyaltyRulesPage />, 'admin')} />
          <Route path="/segments" element={hq(<SegmentsPage />)} />
          <Route path="/campaigns" element={hq(<CampaignsPage />)} />
          <Route path="/offers" element={hq(<OffersPage />)} />
          <Route path="/offers/runs/:id" element={hq(<OffersRunPage />)} />
          <Route path="/referral" element={hq(<ReferralPage />)} />
          <Route path="/wechat-member-card" element={hq(<MemberCardPage />)} />
          <Route path="/campaigns/new" element={hq(<CampaignNewPage />, 'marketing')} />
          <Route path="/campaigns/:id" element={hq(<CampaignDetailPage />)} />
          <Route path="/automation" element={hq(<AutomationPage />)} />
          <Route path="/branding" element={hq(<BrandingPage />)} />
          <Route path="/activities" element={<ActivitiesPage />} />
          <Route path="/activities/new" element={writer(<ActivityEditorPage />)} />
          <Route path="/activities/:id/edit" element={writer(<ActivityEditorPage />)} />
          <Route path="/activities/:id" element={<ActivityDetailPage />} />
          <Route path="/stores" element={hq(<StoresPage />, 'admin')} />
          <Route path="/staff" element={hq(<StaffPage />, 'admin')} />
          <Route path="/audit" element={hq(<AuditLogPage />, 'admin')} />
          <Route path="/webhooks" element={hq(<WebhooksPage />, 'admin')} />
          <Route path="/categories" element={hq(<CategoriesPage />)} />
          <Route path="/pos-keys" element={hq(<PosKeysPage />, 'admin')} />
          <Route path="/stored-value" element={hq(<StoredValuePage />)} />
          <Route path="/store-day" element={hq(<StoreDayPage />)} />
          <Route path="*" element={<Navigate to="/dashboard" replace />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

function Themed() {
  const { lang } = useLang();
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: { colorPrimary: '#c8372d', borderRadius: 6 } }}>
      <HashRouter>
        <Screens />
      </HashRouter>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <LangProvider>
      <Themed />
    </LangProvider>
  );
}

/**
 * What shows while a screen's code loads: a plain placeholder, not the Skeleton of LoadingState, so the entry
 * chunk does not carry the list components every screen loads anyway (the sign-in screen is the first download).
 */
function ScreenLoading() {
  const { lang } = useLang();
  return (
    <div role="status" style={{ padding: 48, color: 'rgba(0,0,0,0.45)' }}>
      {lang === 'zh' ? '加载中…' : 'Loading…'}
    </div>
  );
}
