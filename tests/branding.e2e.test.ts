import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { encodePng } from '../server/src/modules/branding/png';
import { launchBrowser, openPage, screenshot, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';
import { H5, button, input, shown, snap, text } from './support/taro';

// Issue 20 items 1 and 3 at 375×812: HQ sets the brand in the console (colours contrast-checked, logo and card
// art uploaded, live preview), and the H5 card wears it (name, logo, the tier's art, the navigation bar in the
// primary colour); the coupon wallet list opens with the network cut (context.setOffline) from the phone's copy.

const PHONE_375 = { width: 375, height: 812 };
const GREEN = '#0e6b4f';

describe('brand theme and the offline wallet', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let shopper: { context: BrowserContext; page: Page; pageErrors: string[] };
  let hqToken: string;
  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
    hqToken = (await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } })).token;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  const api = apiAt(() => demo.url);

  it('HQ sets name, colours (an unreadable one is refused), logo and card art, with a live preview', async () => {
    const hq = await openConsole(browser, demo.url);
    await signIn(hq);
    await goTo(hq, '/branding');
    const { page } = hq;
    await page.getByTestId('brand-name').fill('栖木生活');
    await page.getByTestId('brand-primary').fill('#f5d76e');
    await page.getByTestId('brand-contrast-problem').waitFor();
    expect(await page.getByTestId('brand-save').isDisabled()).toBe(true);
    await page.getByTestId('brand-primary').fill(GREEN);
    await page.getByTestId('brand-accent').fill('#b45309');
    await page.getByTestId('brand-contrast-problem').waitFor({ state: 'detached' });
    // The preview follows the unsaved colours.
    await expect(page.getByTestId('brand-preview-silver').evaluate((el) => getComputedStyle(el).backgroundImage)).resolves.toContain('rgb(14, 107, 79)');
    await page.getByTestId('brand-save').click();
    await page.getByText('品牌设置已保存').waitFor();

    const logo = encodePng(64, 64, (x, y) => (Math.hypot(x - 32, y - 32) < 26 ? [14, 107, 79, 255] : [255, 255, 255, 255]));
    await page.getByTestId('brand-logo-file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: logo });
    await page.getByText('图片已上传').first().waitFor();
    const art = encodePng(343, 200, (x, y) => [40 + (x / 343) * 120, 70 + (y / 200) * 60, 120, 255]);
    await page.getByTestId('brand-art-file-silver').setInputFiles({ name: 'silver.png', mimeType: 'image/png', buffer: art });
    await page.getByTestId('brand-preview-silver').locator('img').nth(1).waitFor();
    await screenshot(page, 'brand-01-console', { fullPage: true });
    expect(hq.pageErrors).toEqual([]);

    const saved = await api('GET', '/admin/branding', { token: hqToken });
    expect(saved).toMatchObject({ name: '栖木生活', primaryColor: GREEN, accentColor: '#b45309' });
    expect(saved.logoUrl).toMatch(/^\/api\/v1\/brand\/assets\//);
    expect(Object.keys(saved.tierArt)).toEqual(['silver']);
    await page.context().close();
  }, 60_000);

  it('the H5 card wears the brand: name, logo, the tier’s art, the navigation bar in the primary colour', async () => {
    shopper = await openPage(browser, PHONE_375);
    const { page } = shopper;
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}${H5}/pages/card/index`);
    await button(page, '登录并开卡').click({ timeout: 20_000 });
    await input(page, '输入昵称').fill('brand-shopper');
    await button(page, '登录').click();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });

    await shown(page, '.card-face__brand').filter({ hasText: '栖木生活' }).waitFor();
    const saved = await api('GET', '/admin/branding', { token: hqToken });
    await expect(shown(page, '.card-face__logo').locator('img').getAttribute('src')).resolves.toBe(saved.logoUrl);
    await expect(shown(page, '.card-face__art').locator('img').getAttribute('src')).resolves.toBe(saved.tierArt.silver);
    await expect(shown(page, '.card-face__tier').innerText()).resolves.toBe('银卡');
    // The art's image really loads (served by hash, cacheable).
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.card-face__art img')].some((img) => img.complete && img.naturalWidth === 343));
    await expect(page.locator('#taro-navigation-bar').evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe('rgb(14, 107, 79)');
    await snap(page, 'brand-02-h5-card');
    expect(shopper.pageErrors).toEqual([]);
  }, 60_000);

  it('the coupon wallet list opens with the network cut, from the copy kept on the phone', async () => {
    const { page, context } = shopper;
    const cardNo = (await shown(page, '.card-face__no').innerText()).replace(/\s/g, '');
    const members = await api('GET', `/admin/members?q=${cardNo}`, { token: hqToken });
    const templates = await api('GET', '/admin/coupon-templates?limit=100', { token: hqToken });
    const template = templates.items.find((t: { title: string }) => t.title === '满100减20');
    await api('POST', `/admin/coupon-templates/${template.id}/grants`, { body: { memberId: members.items[0].id }, token: hqToken, headers: { 'Idempotency-Key': randomUUID() } });

    await page.locator('.taro-tabbar__tabbar').getByText('优惠券').click();
    await text(page, '满100减20').waitFor();

    await context.setOffline(true);
    // Another tab and back makes the wallet ask the server again: it cannot, so the kept list shows.
    await shown(page, '.tabs__item').filter({ hasText: '已使用' }).click();
    await shown(page, '.tabs__item').filter({ hasText: '可使用' }).click();
    await page.getByTestId('wallet-offline').filter({ visible: true }).waitFor();
    await text(page, '满100减20').waitFor();
    await snap(page, 'brand-03-wallet-offline');
    await context.setOffline(false);

    // Opened afresh while the API is unreachable: the list still comes from the phone's copy.
    await page.route('**/api/v1/**', (route) => route.abort('internetdisconnected'));
    await page.goto(`${demo.url}${H5}/pages/coupons/index`);
    await page.reload();
    await page.getByTestId('wallet-offline').filter({ visible: true }).waitFor({ timeout: 15_000 });
    await text(page, '满100减20').waitFor();
    await snap(page, 'brand-04-wallet-opened-offline');
    await page.unroute('**/api/v1/**');
    expect(shopper.pageErrors).toEqual([]);
  }, 60_000);
});
