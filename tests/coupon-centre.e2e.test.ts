import type { Browser, Page } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { launchBrowser, openPage, screenshot, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';
import { button, input, openRoute as open, shown, snap, text, toastGone } from './support/taro';

// The coupon centre (领券中心) and the new-member gift pack (入会礼) in the H5 build at 375×812, against the demo
// server. HQ's parts (a template listed in the centre, the welcome rule's coupon) go through the API; the shopper's
// through the UI: the join page shows the gift before joining, then the centre → one-tap claim → the wallet.
// Screenshots land in test-output/screenshots/ (mp-centre-*).

const PHONE_375 = { width: 375, height: 812 };

describe('mini-program H5: coupon centre and the join gift pack', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let shopper: { page: Page; pageErrors: string[] };
  let hqToken: string;

  const api = apiAt(() => demo.url);
  function template(title: string, extra: Record<string, unknown>) {
    return api('POST', '/admin/coupon-templates', { body: { title, type: 'cash', minSpendFen: 5_000, amountOffFen: 1_000, validDays: 7, perMemberLimit: 1, ...extra }, token: hqToken });
  }

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
    hqToken = (await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } })).token;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(() => expect(shopper?.pageErrors ?? []).toEqual([]));

  it('HQ lists a template in the coupon centre from the console’s template editor', async () => {
    const hq = await openConsole(browser, demo.url);
    await signIn(hq);
    await goTo(hq, '/coupons/new');
    const { page } = hq;
    await page.getByTestId('template-title').fill('控制台·领券中心券');
    await page.getByTestId('template-amount-off').fill('5');
    await page.getByTestId('template-in-coupon-centre').check();
    await screenshot(page, 'mp-centre-00-console-editor', { fullPage: true });
    await page.getByTestId('save-template').click();
    await page.waitForURL(/#\/coupons\/(?!new)[^/]+$/);
    const id = decodeURIComponent(page.url().split('#/coupons/')[1] ?? '');
    expect((await api('GET', `/admin/coupon-templates/${id}`, { token: hqToken })).inCouponCentre).toBe(true);
    expect(await page.getByTestId('template-in-coupon-centre').isChecked()).toBe(true);
    expect(hq.pageErrors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('the join page shows what joining gives, and joining puts it in the wallet', async () => {
    const welcome = await template('新人礼·满50减10', { totalQuantity: 1_000 });
    await api('PATCH', '/admin/automation-rules/welcome', { body: { enabled: true, templateId: welcome.id }, token: hqToken });

    shopper = await openPage(browser, PHONE_375);
    const { page } = shopper;
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}/h5/`);
    await button(page, '登录并开卡').click({ timeout: 20_000 });
    await input(page, '输入昵称').fill('centre-shopper');
    await button(page, '登录').click();
    const gift = shown(page, '[data-testid="join-gift"]');
    await gift.getByText('入会礼 · 开卡即送').waitFor();
    await gift.getByText('新人礼·满50减10').waitFor();
    await gift.getByText('满50可用').waitFor();
    await gift.getByText('开卡后 7 天内有效').waitFor();
    await snap(page, 'mp-centre-01-join-gift');

    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });
    await open(page, demo.url, '/pages/coupons/index');
    await shown(page, '.coupon').filter({ hasText: '新人礼·满50减10' }).filter({ hasText: '可使用' }).waitFor();
  }, 60_000);

  it('the member claims a centre coupon in one tap; it shows in the wallet and the centre says it is taken', async () => {
    await template('领券中心·满50减10', { totalQuantity: 200, inCouponCentre: true });
    // A coupon that ends within 3 days shows the 即将过期 badge in the wallet.
    const soon = new Date(Date.now() + 2 * 24 * 3600_000 - 60_000);
    await template('限时券·两天后到期', { inCouponCentre: true, totalQuantity: 50, validDays: undefined, validFrom: new Date(Date.now() - 3600_000).toISOString(), validUntil: soon.toISOString() });
    const { page } = shopper;

    await open(page, demo.url, '/pages/coupons/index');
    await shown(page, '[data-testid="coupon-centre-entry"]').click();
    const item = shown(page, '[data-testid="centre-item"]').filter({ hasText: '领券中心·满50减10' });
    await item.getByText('剩余 200 张 · 每人限领 1 张').waitFor();
    await item.getByText('可领 1 张').waitFor();
    await snap(page, 'mp-centre-02-centre');

    await item.locator('taro-button-core').filter({ hasText: '立即领取' }).click();
    await text(page, '「领券中心·满50减10」已放入卡包').waitFor();
    await item.getByText('剩余 199 张 · 每人限领 1 张 · 已领 1 张').waitFor();
    await item.locator('taro-button-core').filter({ hasText: '已领取' }).waitFor();
    await toastGone(page);
    await snap(page, 'mp-centre-03-claimed');

    const expiring = shown(page, '[data-testid="centre-item"]').filter({ hasText: '限时券·两天后到期' });
    await expiring.locator('taro-button-core').filter({ hasText: '立即领取' }).click();
    await text(page, '「限时券·两天后到期」已放入卡包').waitFor();

    await text(page, '去卡包 ›').click();
    await shown(page, '.coupon').filter({ hasText: '领券中心·满50减10' }).filter({ hasText: '可使用' }).waitFor();
    await shown(page, '.coupon').filter({ hasText: '限时券·两天后到期' }).getByText('即将过期 · 剩 2 天').waitFor();
    await snap(page, 'mp-centre-04-wallet');
  }, 60_000);
});
