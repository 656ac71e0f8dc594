// Main package: sign-in, join and the card, so the card opens at once. Everything else is a sub-package
// loaded on first visit, which keeps the main package well under WeChat's 2 MB cap.
export default defineAppConfig({
  pages: ['pages/card/index', 'pages/login/index', 'pages/join/index'],
  subPackages: [
    { root: 'pages/points', pages: ['index', 'mall'] },
    { root: 'pages/coupons', pages: ['index', 'detail', 'centre'] },
    { root: 'pages/activities', pages: ['index', 'detail', 'mine'] },
    { root: 'pages/profile', pages: ['index'] },
    { root: 'pages/tier', pages: ['index'] },
    { root: 'pages/staff', pages: ['login', 'index', 'today', 'shift'] },
  ],
  window: {
    backgroundTextStyle: 'light',
    navigationBarBackgroundColor: '#ffffff',
    navigationBarTitleText: '会员中心',
    navigationBarTextStyle: 'black',
    backgroundColor: '#f2f3f5',
  },
  // Privacy consent is checked before privacy APIs (see lib/privacy.ts).
  __usePrivacyCheck__: true,
  // Only the components a page renders are injected when it opens (faster start; WeChat recommends it).
  lazyCodeLoading: 'requiredComponents',
} as Taro.AppConfig);
