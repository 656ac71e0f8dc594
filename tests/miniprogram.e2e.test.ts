import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';
import { PHONE, H5, shown, text, button, input, pickInWheel, snap, toastGone } from './support/taro';

// The H5 build of the mini-program in real chromium at a phone's size, against the demo server as `npm start`
// runs it: a shopper signs in, joins, completes the profile; a clerk records a purchase and redeems a coupon
// from the codes on the shopper's screen. Screenshots of every page land in test-output/screenshots/.

describe('mini-program H5 against the demo server', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  // One shopper and one clerk, each in their own browser context (own storage), through the whole story.
  let shopper: { page: Page; pageErrors: string[] };
  let clerk: { page: Page; pageErrors: string[] };
  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });
  /** HQ's side, through the API as the console calls it. */
  const api = apiAt(() => demo.url);

  afterEach(() => {
    // Any uncaught error in either app fails the step it happened in.
    expect(shopper?.pageErrors ?? []).toEqual([]);
    expect(clerk?.pageErrors ?? []).toEqual([]);
  });

  it('signs a fresh shopper in and joins, shows the card with its codes, completes the profile', async () => {
    shopper = await openPage(browser, PHONE);
    const { page } = shopper;
    page.setDefaultTimeout(10_000);
    // Opened from Beijing's store code (WeChat passes its scene to the page, here in the H5 URL).
    await page.goto(`${demo.url}/h5/#/pages/card/index?scene=${encodeURIComponent('s=BJ01')}`);
    // Signed out: the home page shows the programme to a guest (no sign-in wall, as WeChat review asks);
    // the shopper is asked to sign in only when opening a card.
    await text(page, '会员等级与权益').waitFor({ timeout: 20_000 });
    await text(page, '金卡').waitFor();
    await snap(page, 'mp-00-guest');
    await button(page, '登录并开卡').click();
    await input(page, '输入昵称').waitFor();
    await snap(page, 'mp-01-login');
    await input(page, '输入昵称').fill('xiaoming');
    await button(page, '登录').click();

    await text(page, '开通会员卡').waitFor();
    await text(page, '常去门店').waitFor();
    await snap(page, 'mp-02-join');
    await text(page, '请选择（可选）').click();
    await pickInWheel(page, '上海静安店');
    await text(page, '上海静安店').waitFor();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();

    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });
    await snap(page, 'mp-03-card');
    // The join is credited to the store code the app was opened from; the store the shopper chose stays home.
    const hq = await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } });
    const report = await api('GET', '/admin/reports/acquisition', { token: hq.token });
    expect(report.stores).toContainEqual({ storeId: 'BJ01', visits: 1, visitors: 1, joins: 1 });
    // The member code, as a barcode, its digits and a QR, drawn on the phone.
    const codeDigits = (await shown(page, '.code-box__digits').innerText()).trim();
    // The typeable form under the codes: 18 digits in groups of four.
    expect(codeDigits).toMatch(/^61\d{2}( \d{4}){3} \d{2}$/);
    await expect(shown(page, '.barcode').count()).resolves.toBe(1);
    await expect(shown(page, '.qr-code').count()).resolves.toBe(1);
    expect((await shown(page, '.qr-code').boundingBox())!.width).toBeGreaterThan(150);
    await expect(text(page, '资料完善度 0%，完善全部资料可得 200 积分 ›').isVisible()).resolves.toBe(true);

    await text(page, '个人资料').click();
    await input(page, '请输入姓名').waitFor();
    await snap(page, 'mp-04-profile-empty');
    await input(page, '请输入姓名').fill('王小明');
    await text(page, '请选择').click();
    await pickInWheel(page, '男');
    await text(page, '请选择（仅可设置一次）').click();
    await page.locator('.weui-picker').filter({ visible: true }).locator('.weui-picker__action', { hasText: '确定' }).click();
    await text(page, '1995-01-01').waitFor();
    await input(page, '例如 上海').fill('上海');
    await text(page, '运动').click();
    await text(page, '旅行').click();
    await button(page, '演示绑定').click();
    await text(page, '手机号已绑定').waitFor();
    await text(page, /^138\d{8}$/).waitFor();
    await button(page, '保存资料').click();
    await text(page, '资料已完善，200 积分奖励已发放到您的账户').waitFor();
    await text(page, '奖励已领取').waitFor();
    await toastGone(page);
    await snap(page, 'mp-05-profile-complete');

    await page.goBack();
    await shown(page, '.card-face').waitFor();
    await shown(page, '.card-face__points-value').filter({ hasText: /^200$/ }).waitFor();
    // The profile page slides out before it is removed (the card is a tab page now, kept mounted): once it has
    // gone, no page offers the profile prompt any more.
    await page.locator('.taro_page', { hasText: '资料完善度' }).waitFor({ state: 'detached' });
    await expect(text(page, /资料完善度/).isVisible()).resolves.toBe(false);
    await toastGone(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await snap(page, 'mp-06-card-with-bonus');
  }, 60_000);

  it('a clerk signs in, types the code from the shopper\'s card and records a purchase; the points reach the card', async () => {
    clerk = await openPage(browser, PHONE);
    const { page } = clerk;
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}${H5}/pages/staff/login`);
    await input(page, '账号').fill('sh01-clerk');
    await input(page, '密码').fill('staff-demo-pass');
    await snap(page, 'mp-07-staff-login');
    await button(page, '登录').click();
    await text(page, '扫描顾客出示的码').waitFor();
    await text(page, /sh01|上海静安店/i).waitFor();
    await snap(page, 'mp-08-staff-counter');

    // The code on screen now (it changes every 30 s), as a clerk would read it off the shopper's phone.
    const memberCode = (await shown(shopper.page, '.code-box__digits').innerText()).trim();
    await input(page, '输入或粘贴').fill(memberCode);
    await button(page, '识别').click();
    await text(page, '记录消费').waitFor();
    await text(page, '首次到店').waitFor();
    await input(page, '消费金额').fill('128');
    // The till's receipt number: the purchase's idempotency key, keyed in from the receipt.
    await input(page, '小票号').fill('SH01-0128');
    await snap(page, 'mp-09-staff-member');
    await button(page, '确认').click();
    const outcome = text(page, /^已记录消费 ¥128，本次积分 \+\d+，会员当前积分 \d+/);
    await outcome.waitFor();
    const [, earned, balance] = /\+(\d+)，会员当前积分 (\d+)/.exec(await outcome.innerText())!;
    expect(Number(earned)).toBeGreaterThanOrEqual(128);
    expect(Number(balance)).toBe(200 + Number(earned));
    await snap(page, 'mp-10-staff-purchase-recorded');

    // The shopper's card shows the new balance when it is next shown.
    await shopper.page.reload();
    await shown(shopper.page, '.card-face__points-value').filter({ hasText: new RegExp(`^${balance}$`) }).waitFor();
    await snap(shopper.page, 'mp-11-card-after-purchase');
  }, 60_000);

  it('HQ grants a coupon; the shopper shows its code and the clerk redeems it after seeing its terms', async () => {
    const { page } = shopper;
    const cardNo = (await shown(page, '.card-face__no').innerText()).replace(/\s/g, '');
    const hq = await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } });
    const templates = await api('GET', '/admin/coupon-templates?limit=100', { token: hq.token });
    const template = templates.items.find((t: { title: string }) => t.title === '满100减20');
    const members = await api('GET', `/admin/members?q=${cardNo}`, { token: hq.token });
    expect(members.items).toHaveLength(1);
    await api('POST', `/admin/coupon-templates/${template.id}/grants`, { body: { memberId: members.items[0].id }, token: hq.token, headers: { 'Idempotency-Key': randomUUID() } });

    await page.reload();
    await shown(page, '.glance__value').nth(2).filter({ hasText: /^1$/ }).waitFor();
    await text(page, '我的优惠券').click();
    await text(page, '满100减20').waitFor();
    await snap(page, 'mp-12-coupons');
    await text(page, '满100减20').click();
    await text(page, '到店出示此码核销').waitFor();
    await text(page, '全部门店').waitFor();
    await shown(page, '.code-box__digits').waitFor();
    await snap(page, 'mp-13-coupon-detail');
    const couponCode = (await shown(page, '.code-box__digits').innerText()).trim();

    const counter = clerk.page;
    await input(counter, '输入或粘贴').fill(couponCode);
    await button(counter, '识别').click();
    await text(counter, '确认核销').waitFor();
    await text(counter, '全部门店').waitFor();
    await input(counter, '订单金额').fill('150');
    await snap(counter, 'mp-14-staff-coupon');
    await button(counter, '确认核销').click();
    // The terms once more in the confirmation, before anything is spent.
    const confirm = counter.locator('.taro-modal__content').filter({ visible: true });
    await confirm.getByText(/核销「满100减20」/).waitFor();
    await snap(counter, 'mp-15-staff-coupon-confirm');
    await confirm.locator('.taro-modal__foot').getByText('确定').click();
    await text(counter, /^核销成功/).waitFor();
    await snap(counter, 'mp-16-staff-coupon-redeemed');
    // The same (typed, 18-digit) code again: why it cannot be redeemed, in large type, and no confirm button.
    expect(couponCode).toMatch(/^\d{4}( \d{4}){3} \d{2}$/);
    await input(counter, '输入或粘贴').fill(couponCode);
    await button(counter, '识别').click();
    await text(counter, '已使用，不能核销').waitFor();
    expect(await button(counter, '确认核销').count()).toBe(0);
    await counter.setViewportSize({ width: 375, height: 812 });
    await snap(counter, 'mp-16b-staff-coupon-used');

    await page.goBack();
    await text(page, '已使用').click();
    await shown(page, '.coupon--dim').filter({ hasText: '满100减20' }).waitFor();
    await snap(page, 'mp-17-coupons-used');
  }, 60_000);

  it('the shopper erases the account from the profile page after confirming, and is signed out', async () => {
    const { page } = shopper;
    await page.goto(`${demo.url}${H5}/pages/profile/index`);
    await button(page, '注销会员').click();
    const confirm = page.locator('.taro-modal__content').filter({ visible: true });
    await confirm.getByText(/无法恢复/).waitFor();
    await snap(page, 'mp-18-profile-delete-confirm');
    await confirm.locator('.taro-modal__foot').getByText('确定注销').click();
    // Signed out for good: the app opens as a guest again, and a new sign-in would start a new card.
    await button(page, '登录并开卡').waitFor();
    await page.goto(`${demo.url}/h5/`);
    await button(page, '登录并开卡').waitFor();
  }, 60_000);
});
