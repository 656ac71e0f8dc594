import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, openPage, startDemo } from './support/demo';
import { H5, button, input, snap, text } from './support/taro';

// The H5 build's navigation at a 375×812 phone: the tab bar (会员卡, 优惠券, 活动, 我的) switches pages, and a page
// opened from a tab has a navigation bar with its title and a back button that returns to where the shopper was.
// Screenshots land in test-output/screenshots/ (nav-*).

const PHONE_375 = { width: 375, height: 812 };

describe('mini-program H5: tab bar and back navigation', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let shopper: { page: Page; pageErrors: string[] };

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(() => expect(shopper?.pageErrors ?? []).toEqual([]));

  const tabBar = (page: Page): Locator => page.locator('.taro-tabbar__tabbar').filter({ visible: true });
  const tab = (page: Page, label: string): Locator => tabBar(page).locator('.weui-tabbar__item', { hasText: label });
  const navigationBar = (page: Page): Locator => page.locator('#taro-navigation-bar');
  const title = (page: Page): Locator => navigationBar(page).locator('.taro-navigation-bar-title');
  const backButton = (page: Page): Locator => navigationBar(page).locator('.taro-navigation-bar-back').filter({ visible: true });
  /** The tab the bar shows as selected, by its label. */
  const selectedTab = (page: Page): Promise<string> => tabBar(page).locator('.weui-bar__item_on').innerText();
  /** The navigation bar's title, which the router sets just after the route changes. */
  const hasTitle = (page: Page, value: string) => title(page).filter({ hasText: new RegExp(`^${value}$`) }).waitFor({ state: 'attached' });
  /** Waits until a pushed page has slid fully into place (Taro's H5 router slides it in from the right). */
  const settled = (page: Page) =>
    page.waitForFunction(() => {
      const pages = [...document.querySelectorAll<HTMLElement>('.taro_page')].filter((el) => el.style.display !== 'none');
      return pages.length > 0 && pages[pages.length - 1].getBoundingClientRect().left === 0;
    });

  it('shows the tab bar with four tabs on each tab page, and switches between them', async () => {
    shopper = await openPage(browser, PHONE_375);
    const { page } = shopper;
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}${H5}/pages/card/index`);
    await text(page, '会员等级与权益').waitFor({ timeout: 20_000 });
    await expect(tabBar(page).locator('.weui-tabbar__item').allInnerTexts()).resolves.toEqual(['会员卡', '优惠券', '活动', '我的']);
    await expect(selectedTab(page)).resolves.toBe('会员卡');
    // The bar sits at the bottom of the phone's screen with its icons drawn.
    const box = (await tabBar(page).boundingBox())!;
    expect(Math.round(box.y + box.height)).toBe(PHONE_375.height);
    expect(box.width).toBe(PHONE_375.width);
    const icons = tabBar(page).locator('img');
    await expect(icons.count()).resolves.toBe(4);
    for (const icon of await icons.all()) await expect(icon.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).resolves.toBe(81);
    // A tab page has a title and nothing to go back to.
    await hasTitle(page, '会员卡');
    await expect(backButton(page).count()).resolves.toBe(0);
    await snap(page, 'nav-01-card-tab');

    await tab(page, '活动').click();
    await expect(page.waitForURL(/#\/pages\/activities\/index/)).resolves.toBeUndefined();
    // The demo's activity, also listed on the card page's guest home.
    await text(page, '咖啡品鉴会').waitFor();
    await expect(selectedTab(page)).resolves.toBe('活动');
    await hasTitle(page, '会员活动');
    await snap(page, 'nav-02-activities-tab');

    // A detail page opened from the tab: its own title, a back button, no tab bar; back returns to the list.
    await text(page, '咖啡品鉴会').click();
    await expect(page.waitForURL(/#\/pages\/activities\/detail\?id=/)).resolves.toBeUndefined();
    await backButton(page).waitFor();
    await expect(tabBar(page).count()).resolves.toBe(0);
    await settled(page);
    await snap(page, 'nav-02b-activity-detail-with-back');
    await backButton(page).click();
    await expect(page.waitForURL(/#\/pages\/activities\/index/)).resolves.toBeUndefined();
    await text(page, '咖啡品鉴会').waitFor();
    await expect(selectedTab(page)).resolves.toBe('活动');
    await expect(backButton(page).count()).resolves.toBe(0);

    await tab(page, '我的').click();
    await button(page, '登录并开卡').waitFor();
    await expect(selectedTab(page)).resolves.toBe('我的');
    await hasTitle(page, '我的');
    await snap(page, 'nav-03-mine-guest');
  }, 60_000);

  it('a signed-in member opens a page from 我的 and goes back with the navigation bar', async () => {
    const { page } = shopper;
    await button(page, '登录并开卡').click();
    // The sign-in page is not a tab: it has a back button and no tab bar.
    await input(page, '输入昵称').waitFor();
    await expect(backButton(page).count()).resolves.toBe(1);
    await expect(tabBar(page).count()).resolves.toBe(0);
    await settled(page);
    await snap(page, 'nav-04-login-with-back');
    await input(page, '输入昵称').fill('daohang');
    await button(page, '登录').click();
    await text(page, '开通会员卡').waitFor();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });
    await expect(selectedTab(page)).resolves.toBe('会员卡');

    await tab(page, '我的').click();
    // 我的 shows the member's card number once the card is open.
    await text(page, /^卡号 \d{12}$/).waitFor();
    await text(page, '会员等级').click();
    await text(page, /升级|当前等级|权益/).waitFor();
    await hasTitle(page, '会员等级');
    await expect(tabBar(page).count()).resolves.toBe(0);
    await settled(page);
    await snap(page, 'nav-05-tier-with-back');
    await backButton(page).click();
    await expect(page.waitForURL(/#\/pages\/mine\/index/)).resolves.toBeUndefined();
    await expect(selectedTab(page)).resolves.toBe('我的');
    await hasTitle(page, '我的');

    // The coupon tab from the card's shortcut lands on the tab itself (switchTab), with the bar showing it.
    await tab(page, '会员卡').click();
    await text(page, '我的优惠券').click();
    await expect(page.waitForURL(/#\/pages\/coupons\/index/)).resolves.toBeUndefined();
    await expect(selectedTab(page)).resolves.toBe('优惠券');
    await hasTitle(page, '我的优惠券');
    await expect(backButton(page).count()).resolves.toBe(0);
    await snap(page, 'nav-06-coupons-tab');
  }, 60_000);
});
