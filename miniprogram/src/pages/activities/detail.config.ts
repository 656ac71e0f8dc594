// enableShareAppMessage: the page's 转发 menu calls useShareAppMessage for the title, path and cover.
export default definePageConfig({ navigationBarTitleText: '活动详情', enableShareAppMessage: true });
