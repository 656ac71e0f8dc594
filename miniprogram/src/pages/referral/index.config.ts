// enableShareAppMessage: the share button and the 转发 menu call useShareAppMessage for the invitation's path.
export default definePageConfig({ navigationBarTitleText: '邀请好友', enableShareAppMessage: true });
