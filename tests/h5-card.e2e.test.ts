import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_PROGRAMME_NAME } from '@membercard/shared';
import { launchBrowser, openPage, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';
import { H5, button, input, shown, snap, text } from './support/taro';

// Issue 20 (card face, honest codes): on a 375×812 phone the card shows the programme, tier and card number,
// the points once and no "即将过期 0"; the codes say how often they change and how long a screenshot works,
// as the server's window really is; a coupon once seen shows its code without signal (context.setOffline),
// and also when the app is opened afresh while the network is down.

const PHONE_375 = { width: 375, height: 812 };

describe('H5 card face and honest codes', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let shopper: { context: BrowserContext; page: Page; pageErrors: string[] };
  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(() => expect(shopper?.pageErrors ?? []).toEqual([]));

  const api = apiAt(() => demo.url);

  it('shows brand, tier, card number and the points once; the code text states the real step and screenshot life', async () => {
    shopper = await openPage(browser, PHONE_375);
    const { page } = shopper;
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}${H5}/pages/card/index`);
    await button(page, '登录并开卡').click({ timeout: 20_000 });
    await input(page, '输入昵称').fill('card-face');
    await button(page, '登录').click();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });

    const face = shown(page, '.card-face');
    await shown(page, '.card-face__brand').filter({ hasText: DEFAULT_PROGRAMME_NAME }).waitFor();
    await expect(shown(page, '.card-face__tier').innerText()).resolves.toBe('银卡');
    expect((await shown(page, '.card-face__no').innerText()).trim()).toMatch(/^\d{4} \d{4} \d{4}$/);
    await expect(shown(page, '.card-face__points-value').innerText()).resolves.toBe('0');
    // The balance is on the card face only; nothing expires, so no expiry line and no "即将过期 0".
    const pageText = await shown(page, '.card-face').locator('xpath=..').innerText();
    expect(pageText).not.toContain('即将过期');
    expect(pageText).not.toMatch(/到期/);
    expect(pageText).not.toContain('MEMBER CARD');
    await expect(face.locator('.card-face__expiry').count()).resolves.toBe(0);
    await expect(page.locator('.taro_page .glance__label').filter({ visible: true }).allInnerTexts()).resolves.toEqual(['近 12 个月消费', '再消费可升金卡', '可用券']);

    // What the screen promises is what the server accepts (60 s steps, one step of grace: 2 minutes at most).
    await text(page, '每 60 秒更新，截图最多 2 分钟内有效').waitFor();
    await expect(text(page, /30 秒|截图无效/).count()).resolves.toBe(0);
    expect((await shown(page, '.code-box__digits').innerText()).trim()).toMatch(/^61\d{2}( \d{4}){3} \d{2}$/);
    await snap(page, 'h5-card-face-new-member');

    // With a name and points: the holder's name on the card, and the balance still shown once on the screen.
    const stored = await page.evaluate(() => localStorage.getItem('membercard.shopper'));
    const shopperToken = (JSON.parse(stored!) as { data: { token: string } }).data.token;
    await api('PATCH', '/me/profile', { body: { name: '王小明' }, token: shopperToken });
    const cardNo = (await shown(page, '.card-face__no').innerText()).replace(/\s/g, '');
    const hq = await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } });
    const members = await api('GET', `/admin/members?q=${cardNo}`, { token: hq.token });
    await api('POST', `/admin/members/${members.items[0].id}/points-adjustments`, { body: { delta: 1280, reason: '门店活动补发' }, token: hq.token, headers: { 'Idempotency-Key': randomUUID() } });
    await page.reload();
    await shown(page, '.card-face__holder').filter({ hasText: '王小明' }).waitFor();
    await shown(page, '.card-face__points-value').filter({ hasText: /^1280$/ }).waitFor();
    const screenText = await page.locator('.taro_page').filter({ visible: true }).innerText();
    expect(screenText.match(/1280/g)).toHaveLength(1);
    expect(screenText).not.toContain('即将过期');
    await snap(page, 'h5-card-face');

    // Points due within 30 days: the card says how many and on which China day (here, a lot aged to end in 10 days).
    await api('POST', `/admin/members/${members.items[0].id}/points-adjustments`, { body: { delta: 120, reason: '生日礼' }, token: hq.token, headers: { 'Idempotency-Key': randomUUID() } });
    const dueAt = new Date(Date.now() + 10 * 24 * 3600_000);
    const aged = await demo.services.models.lots.updateOne({ memberId: members.items[0].id, amount: 120 }, { $set: { expiresAt: dueAt } });
    expect(aged.modifiedCount).toBe(1);
    await page.reload();
    const chinaDay = new Date(dueAt.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    await shown(page, '.card-face__expiry').filter({ hasText: `120 积分将于 ${chinaDay} 到期` }).waitFor();
    await shown(page, '.card-face__points-value').filter({ hasText: /^1400$/ }).waitFor();
    await snap(page, 'h5-card-face-expiring');
  }, 60_000);

  it('a coupon once seen shows its code offline, and when opened afresh with no network', async () => {
    const { page, context } = shopper;
    const cardNo = (await shown(page, '.card-face__no').innerText()).replace(/\s/g, '');
    const hq = await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } });
    const templates = await api('GET', '/admin/coupon-templates?limit=100', { token: hq.token });
    const template = templates.items.find((t: { title: string }) => t.title === '满100减20');
    const members = await api('GET', `/admin/members?q=${cardNo}`, { token: hq.token });
    await api('POST', `/admin/coupon-templates/${template.id}/grants`, { body: { memberId: members.items[0].id }, token: hq.token, headers: { 'Idempotency-Key': randomUUID() } });

    // Online: the wallet, the coupon and its code, once.
    await page.goto(`${demo.url}${H5}/pages/coupons/index`);
    await text(page, '满100减20').click();
    await text(page, '到店出示此码核销').waitFor();
    await text(page, /^每 60 秒更新，截图最多 2 分钟内有效/).waitFor();
    const couponId = new URL(page.url().replace('#', '')).searchParams.get('id')!;
    expect(couponId).toMatch(/^[0-9a-f]{24}$/);
    await page.goBack();
    await text(page, '满100减20').waitFor();

    // The signal goes: the card still shows its code, and the coupon opens from the wallet with its code.
    await context.setOffline(true);
    await page.locator('.taro-tabbar__tabbar').getByText('会员卡').click();
    await text(page, /无网络也可出示/).waitFor();
    await page.locator('.taro-tabbar__tabbar').getByText('优惠券').click();
    await text(page, '满100减20').click();
    await text(page, '到店出示此码核销').waitFor();
    await text(page, /无网络也可出示/).waitFor();
    // The coupon page opened again can sit beside its earlier instance while it slides in: read the newest one.
    const offlineDigits = (await shown(page, '.code-box__digits').last().innerText()).trim();
    expect(offlineDigits).toMatch(/^62\d{2}( \d{4}){3} \d{2}$/);
    await snap(page, 'h5-coupon-offline');

    // The app opened afresh while the API is unreachable (as WeChat opens its local package with no signal):
    // the coupon comes from what the phone kept, and the counter accepts the code it shows.
    await context.setOffline(false);
    await page.route('**/api/v1/**', (route) => route.abort('internetdisconnected'));
    await page.goto(`${demo.url}${H5}/pages/coupons/detail?id=${couponId}`);
    await page.reload();
    await text(page, '到店出示此码核销').waitFor({ timeout: 15_000 });
    await text(page, '满100减20').waitFor();
    const keptDigits = (await shown(page, '.code-box__digits').innerText()).trim();
    await snap(page, 'h5-coupon-opened-offline');
    await page.unroute('**/api/v1/**');

    const clerk = await api('POST', '/auth/staff', { body: { username: 'sh01-clerk', password: 'staff-demo-pass' } });
    const scan = await api('POST', '/staff/scan', { body: { code: keptDigits }, token: clerk.token });
    expect(scan.type).toBe('coupon');
    expect(scan.coupon.id).toBe(couponId);
  }, 60_000);
});
