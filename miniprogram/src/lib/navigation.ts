import Taro from '@tarojs/taro';

/** The tab bar's pages, as app.config.ts lists them. WeChat (and Taro's H5 router) refuse navigateTo to a tab page. */
export const TAB_PAGES = ['/pages/card/index', '/pages/coupons/index', '/pages/activities/index', '/pages/mine/index'];

/** Opens a page: switches tab for a tab page (a tab takes no query), pushes any other page so back returns here. */
export function openPage(url: string): Promise<unknown> {
  const path = url.split('?')[0];
  return TAB_PAGES.includes(path) ? Taro.switchTab({ url: path }) : Taro.navigateTo({ url });
}
