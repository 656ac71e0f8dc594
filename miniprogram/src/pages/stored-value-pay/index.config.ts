export default definePageConfig({ navigationBarTitleText: '储值支付' });
