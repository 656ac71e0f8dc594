// Main package: the four tabs, sign-in and join, so the card opens at once. Everything else is a sub-package
// loaded on first visit, which keeps the main package well under WeChat's 2 MB cap.
export default defineAppConfig({
  // The tab bar's pages must be in the main package (WeChat refuses a tab page inside a sub-package), so the
  // coupon and activity pages live there with their detail pages (a sub-package root cannot hold main pages).
  pages: [
    'pages/card/index',
    'pages/coupons/index',
    'pages/activities/index',
    'pages/mine/index',
    'pages/login/index',
    'pages/join/index',
    'pages/coupons/detail',
    'pages/coupons/centre',
    'pages/activities/detail',
    'pages/activities/mine',
    // In the main package: the join page (main) reads invitations through it.
    'pages/referral/index',
  ],
  subPackages: [
    { root: 'pages/points', pages: ['index', 'mall'] },
    { root: 'pages/profile', pages: ['index'] },
    { root: 'pages/tier', pages: ['index'] },
    { root: 'pages/stored-value', pages: ['index'] },
    { root: 'pages/member-card', pages: ['activate'] },
    { root: 'pages/staff', pages: ['login', 'index', 'today', 'shift'] },
    { root: 'pages/stored-value-pay', pages: ['index'] },
  ],
  window: {
    backgroundTextStyle: 'light',
    navigationBarBackgroundColor: '#ffffff',
    navigationBarTitleText: '会员中心',
    navigationBarTextStyle: 'black',
    backgroundColor: '#f2f3f5',
    // WeChat's default; stated because Taro's H5 router draws its navigation bar (title, back, home) only then.
    navigationStyle: 'default',
  },
  // 会员卡, 优惠券, 活动, 我的 (lib/navigation.ts TAB_PAGES); icons from scripts/tabbar-icons.mjs.
  tabBar: {
    color: '#8a919f',
    selectedColor: '#07c160',
    backgroundColor: '#ffffff',
    borderStyle: 'white',
    list: [
      { pagePath: 'pages/card/index', text: '会员卡', iconPath: 'assets/tabbar/card.png', selectedIconPath: 'assets/tabbar/card-active.png' },
      { pagePath: 'pages/coupons/index', text: '优惠券', iconPath: 'assets/tabbar/coupon.png', selectedIconPath: 'assets/tabbar/coupon-active.png' },
      { pagePath: 'pages/activities/index', text: '活动', iconPath: 'assets/tabbar/activity.png', selectedIconPath: 'assets/tabbar/activity-active.png' },
      { pagePath: 'pages/mine/index', text: '我的', iconPath: 'assets/tabbar/mine.png', selectedIconPath: 'assets/tabbar/mine-active.png' },
    ],
  },
  // Privacy consent is checked before privacy APIs (see lib/privacy.ts).
  __usePrivacyCheck__: true,
  // Only the components a page renders are injected when it opens (faster start; WeChat recommends it).
  lazyCodeLoading: 'requiredComponents',
  // WeChat Pay's send-coupon plugin (发券插件) for 添加到微信卡包 on the coupon page: the account must have added
  // the plugin (微信支付券, provider below) in the mini-program console. WeChat only; the H5 demo emulates it.
  ...(process.env.TARO_ENV === 'weapp' ? { plugins: { sendCoupon: { version: 'latest', provider: 'wxf3f436ba9bd4be7b' } } } : {}),
} as Taro.AppConfig);
