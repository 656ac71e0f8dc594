import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';
import { PHONE, H5, shown, text, button, input, modal, snap, toastGone, openRoute as open } from './support/taro';

// More of the H5 mini-program in real chromium at a phone's size, against the demo server: the points mall,
// claiming a printed redemption code, and activities (a free one checked in by the clerk, a paid one paid
// through the emulator). HQ's and the till's parts go through the API; the shopper's and the clerk's through
// the UI. Screenshots land in test-output/screenshots/ (mp-more-*).

describe('mini-program H5: points mall, redemption codes and activities', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let shopper: { page: Page; pageErrors: string[] };
  let clerk: { page: Page; pageErrors: string[] } | undefined;
  let hqToken: string;

  const api = apiAt(() => demo.url);
  /** The shopper's API token, as the app keeps it in the phone's storage. */
  async function shopperToken(): Promise<string> {
    const raw = await shopper.page.evaluate(() => localStorage.getItem('membercard.shopper'));
    const stored = JSON.parse(raw ?? 'null') as { data?: { token: string }; token?: string } | null;
    const token = stored?.data?.token ?? stored?.token;
    if (!token) throw new Error(`no shopper token in storage: ${raw}`);
    return token;
  }
  async function balance(): Promise<number> {
    return (await api('GET', '/me', { token: await shopperToken() })).pointsBalance as number;
  }

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
    hqToken = (await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } })).token;
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(() => {
    expect(shopper?.pageErrors ?? []).toEqual([]);
    expect(clerk?.pageErrors ?? []).toEqual([]);
  });

  it('a member earns points at the till and exchanges them in the points mall for a coupon', async () => {
    shopper = await openPage(browser, PHONE);
    const { page } = shopper;
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}/h5/`);
    await button(page, '登录并开卡').click({ timeout: 20_000 });
    await input(page, '输入昵称').fill('xiaohong');
    await button(page, '登录').click();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });

    // The till records a ¥600 purchase from the member's code: enough for the 500-point coupon.
    const staff = await api('POST', '/auth/staff', { body: { username: 'sh01-clerk', password: 'staff-demo-pass' } });
    const { code: memberCode } = await api('GET', '/me/member-code', { token: await shopperToken() });
    const purchase = await api('POST', '/staff/purchases', { body: { memberCode, orderNo: `E2E-MALL-${Date.now()}`, amountFen: 60_000 }, token: staff.token });
    const before = purchase.pointsBalance as number;
    expect(before).toBeGreaterThanOrEqual(500);

    await open(page, demo.url, '/pages/points/mall');
    await text(page, `当前可用积分 ${before}`).waitFor();
    const item = shown(page, '.coupon').filter({ hasText: '10元无门槛券（积分兑换）' });
    await item.getByText('500 积分').waitFor();
    await snap(page, 'mp-more-01-points-mall');
    await item.locator('taro-button-core').filter({ hasText: /^\s*兑换\s*$/ }).click();
    await modal(page).getByText('使用 500 积分兑换「10元无门槛券（积分兑换）」？').waitFor();
    await snap(page, 'mp-more-02-points-mall-confirm');
    await modal(page).locator('.taro-modal__foot').getByText('确定').click();
    await text(page, `当前可用积分 ${before - 500}`).waitFor();
    await toastGone(page);
    await snap(page, 'mp-more-03-points-mall-exchanged');
    await expect(balance()).resolves.toBe(before - 500);

    await open(page, demo.url, '/pages/coupons/index');
    // The wallet's stub (with its status tag), not the mall's card on the page underneath.
    await shown(page, '.coupon').filter({ hasText: '10元无门槛券（积分兑换）' }).filter({ hasText: '可使用' }).waitFor();
    await snap(page, 'mp-more-04-wallet-with-exchanged');
  }, 60_000);

  it('HQ prints a batch of redemption codes; the member claims one, and a second claim is refused in Chinese', async () => {
    const { page } = shopper;
    const templates = await api('GET', '/admin/coupon-templates?limit=100', { token: hqToken });
    const template = templates.items.find((t: { title: string }) => t.title === '满100减20');
    const expiresAt = new Date(Date.now() + 30 * 24 * 3600_000).toISOString();
    const batch = await api('POST', '/admin/redemption-code-batches', { body: { templateId: template.id, count: 5, expiresAt }, token: hqToken });
    // Codes are written in the background; only a ready batch can be claimed.
    for (let tries = 0; ; tries++) {
      const batches = await api('GET', '/admin/redemption-code-batches?limit=20', { token: hqToken });
      const mine = batches.items.find((b: { id: string }) => b.id === batch.id);
      if (mine?.status === 'ready') break;
      if (tries > 100) throw new Error(`batch not ready: ${JSON.stringify(mine)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const csv = await api.raw('GET', `/admin/redemption-code-batches/${batch.id}/codes.csv`, { token: hqToken });
    expect(csv.status).toBe(200);
    const codes = (await csv.text()).trim().split(/\r?\n/).slice(1).map((line) => line.trim().replace(/^"|"$/g, ''));
    expect(codes).toHaveLength(5);
    const printed = codes[0]!;

    await open(page, demo.url, '/pages/coupons/index');
    await input(page, '输入纸质券上的兑换码').waitFor();
    await input(page, '输入纸质券上的兑换码').fill(printed);
    await snap(page, 'mp-more-05-claim-code');
    await button(page, '兑换').click();
    await text(page, '兑换成功：「满100减20」已放入卡包').waitFor();
    await shown(page, '.coupon').filter({ hasText: '满100减20' }).waitFor();
    await snap(page, 'mp-more-06-claim-code-ok');

    await input(page, '输入纸质券上的兑换码').fill(printed);
    await button(page, '兑换').click();
    const refusal = shown(page, '.notice--error');
    await refusal.waitFor();
    const refusalText = (await refusal.innerText()).trim();
    expect(refusalText).toMatch(/[\u4e00-\u9fff]/);
    expect(refusalText).not.toMatch(/[A-Z]{2,}_[A-Z]+|\b\d{3}\b/);
    await snap(page, 'mp-more-07-claim-code-again');
    // Still one 满100减20 coupon: the second claim gave nothing.
    await expect(shown(page, '.coupon').filter({ hasText: '满100减20' }).count()).resolves.toBe(1);
  }, 60_000);

  it('the member signs up for the free activity, the clerk checks them in from the typed code; the paid one is paid in the emulator', async () => {
    const { page } = shopper;
    await open(page, demo.url, '/pages/activities/index');
    await text(page, '咖啡品鉴会').waitFor();
    await text(page, '亲子烘焙课').waitFor();
    await snap(page, 'mp-more-08-activities');
    await text(page, '咖啡品鉴会').click();
    await button(page, '立即报名').waitFor();
    await snap(page, 'mp-more-09-activity-free');
    await button(page, '立即报名').click();
    await text(page, '报名成功，活动当天出示签到码即可').waitFor();
    await shown(page, '.tag').filter({ hasText: /^已报名$/ }).waitFor();
    await snap(page, 'mp-more-10-activity-signed-up');
    await button(page, '查看我的报名').click();
    const row = shown(page, '.list-item').filter({ hasText: '咖啡品鉴会' });
    await row.getByText('报名成功').waitFor();
    await row.locator('taro-button-core').filter({ hasText: '出示签到码' }).click();
    await row.locator('.qr-code').waitFor();
    const digits = row.locator('.code-box__digits');
    await digits.waitFor();
    await snap(page, 'mp-more-11-my-signups-qr');
    const checkinCode = (await digits.innerText()).trim();
    expect(checkinCode).toMatch(/^63\d{2}( \d{4}){3} \d{2}$/);

    clerk = await openPage(browser, PHONE);
    const counter = clerk.page;
    counter.setDefaultTimeout(10_000);
    await counter.goto(`${demo.url}${H5}/pages/staff/login`);
    await input(counter, '账号').fill('sh01-clerk');
    await input(counter, '密码').fill('staff-demo-pass');
    await button(counter, '登录').click();
    await text(counter, '扫描顾客出示的码').waitFor();
    await input(counter, '输入或粘贴').fill(checkinCode);
    await button(counter, '识别').click();
    await shown(counter, '.section__title').filter({ hasText: /^活动签到码/ }).waitFor();
    const checkin = shown(counter, '.section').filter({ has: counter.locator('.section__title', { hasText: /^活动签到\s*报名成功$/ }) });
    await checkin.getByText('咖啡品鉴会').waitFor();
    const pointsBefore = await balance();
    await button(counter, '确认签到').waitFor();
    await snap(counter, 'mp-more-12-staff-checkin');
    await button(counter, '确认签到').click();
    await text(counter, '签到成功，到场积分将自动发放').waitFor();
    await snap(counter, 'mp-more-13-staff-checked-in');
    await expect(balance()).resolves.toBe(pointsBefore + 50);

    await page.reload();
    await shown(page, '.list-item').filter({ hasText: '咖啡品鉴会' }).getByText('已签到').waitFor();
    await snap(page, 'mp-more-14-my-signups-attended');

    // The paid activity: on H5 the app pays the order in the WeChat emulator and the seat is confirmed.
    await open(page, demo.url, '/pages/activities/index');
    await text(page, '亲子烘焙课').click();
    const pay = button(page, /支付 .*并报名/);
    await pay.waitFor();
    await snap(page, 'mp-more-15-activity-paid');
    await pay.click();
    // A confirmation sheet with the amount and refund rule comes before WeChat Pay.
    await button(page, /确认支付 ¥/).click();
    // WeChat Pay's notification follows the pay tap asynchronously: the app says it is confirming the payment
    // until the server has confirmed the seat, and only then 报名成功.
    await text(page, '支付确认中…').waitFor();
    await text(page, '报名成功，活动当天出示签到码即可').waitFor();
    await shown(page, '.tag').filter({ hasText: /^已报名$/ }).waitFor();
    const mine = await api('GET', '/me/signups', { token: await shopperToken() });
    expect(mine.items.map((s: { status: string }) => s.status)).not.toContain('pending_payment');
    await snap(page, 'mp-more-16-activity-paid-confirmed');
    await button(page, '查看我的报名').click();
    const paidRow = shown(page, '.list-item').filter({ hasText: '亲子烘焙课' });
    await paidRow.getByText('报名成功').waitFor();
    await snap(page, 'mp-more-17-my-signups-paid', true);
    const signups = await api('GET', '/me/signups', { token: await shopperToken() });
    const statuses = Object.fromEntries(
      await Promise.all(
        signups.items.map(async (s: { activityId: string; status: string }) => [(await api('GET', `/activities/${s.activityId}`)).title, s.status]),
      ),
    );
    expect(statuses).toEqual({ 咖啡品鉴会: 'attended', 亲子烘焙课: 'confirmed' });
  }, 60_000);
});
