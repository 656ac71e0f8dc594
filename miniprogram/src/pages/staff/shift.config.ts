export default definePageConfig({ navigationBarTitleText: '交班小结' });
