export default definePageConfig({
  navigationBarTitleText: '优惠券详情',
  // WeChat Pay's send-coupon plugin (添加到微信卡包; app.config.ts declares the plugin): WeChat only.
  ...(process.env.TARO_ENV === 'weapp' ? { usingComponents: { 'send-coupon': 'plugin://sendCoupon/send-coupon' } } : {}),
});
