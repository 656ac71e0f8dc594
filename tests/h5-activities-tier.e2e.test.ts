import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';
import { button, input, shown, snap, text, openRoute as open } from './support/taro';

// The activity and tier pages of the H5 build at 375×812 against the demo server: a joined activity shows
// 已报名 with its check-in QR (no second 立即报名), a paid one asks for confirmation with amount and refund
// rule before paying, and the tier page shows the spend bar and celebrates a move up once.
// Screenshots land in test-output/screenshots/ (h5-at-*).

const PHONE_375 = { width: 375, height: 812 };

describe('mini-program H5: activities and tier', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let shopper: { page: Page; pageErrors: string[] };
  let hqToken: string;

  const api = apiAt(() => demo.url);
  async function shopperToken(): Promise<string> {
    const raw = await shopper.page.evaluate(() => localStorage.getItem('membercard.shopper'));
    const stored = JSON.parse(raw ?? 'null') as { data?: { token: string }; token?: string } | null;
    const token = stored?.data?.token ?? stored?.token;
    if (!token) throw new Error(`no shopper token in storage: ${raw}`);
    return token;
  }
  async function buy(amountFen: number): Promise<void> {
    const staff = await api('POST', '/auth/staff', { body: { username: 'sh01-clerk', password: 'staff-demo-pass' } });
    const { code: memberCode } = await api('GET', '/me/member-code', { token: await shopperToken() });
    await api('POST', '/staff/purchases', { body: { memberCode, orderNo: `E2E-AT-${Date.now()}-${amountFen}`, amountFen }, token: staff.token });
  }
  async function activityByTitle(title: string): Promise<{ id: string; feeFen: number }> {
    const list = await api('GET', '/activities?limit=50');
    const found = list.items.find((a: { title: string }) => a.title === title);
    if (!found) throw new Error(`no demo activity ${title}`);
    return found;
  }

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
    hqToken = (await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } })).token;
    shopper = await openPage(browser, PHONE_375);
    const { page } = shopper;
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}/h5/`);
    await button(page, '登录并开卡').click({ timeout: 20_000 });
    await input(page, '输入昵称').fill('xiaolan');
    await button(page, '登录').click();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(() => {
    expect(shopper?.pageErrors ?? []).toEqual([]);
  });

  it('a joined activity shows 已报名 with its check-in QR, place and weekday time, and no 立即报名', async () => {
    const { page } = shopper;
    const coffee = await activityByTitle('咖啡品鉴会');
    // HQ gives the activity its address (the demo seeds none); the member signs up (through the API: the
    // sign-up itself is covered by miniprogram-more), then reopens the activity.
    await api('PATCH', `/admin/activities/${coffee.id}`, { body: { address: '上海市静安区南京西路 1266 号 3 楼' }, token: hqToken });
    await api('POST', `/activities/${coffee.id}/signups`, { body: {}, token: await shopperToken() });
    await open(page, demo.url, `/pages/activities/detail?id=${coffee.id}`);
    await shown(page, '.tag').filter({ hasText: /^已报名$/ }).waitFor();
    await shown(page, '.qr-code').waitFor();
    await text(page, '上海市静安区南京西路 1266 号 3 楼').waitFor();
    await text(page, /^\d{1,2}月\d{1,2}日 周[日一二三四五六] \d{2}:\d{2}[–\s]/).waitFor();
    await text(page, /剩余 \d+ 个名额|名额已满/).waitFor();
    expect(await button(page, '立即报名').count()).toBe(0);
    await snap(page, 'h5-at-01-activity-joined', true);
  }, 30_000);

  it('a paid activity asks for confirmation with amount and refund rule before WeChat Pay, and 再想想 charges nothing', async () => {
    const { page } = shopper;
    const baking = await activityByTitle('亲子烘焙课');
    expect(baking.feeFen).toBeGreaterThan(0);
    await open(page, demo.url, `/pages/activities/detail?id=${baking.id}`);
    await button(page, /支付 .*并报名/).click();
    const sheet = shown(page, '.pay-confirm');
    await sheet.getByText('确认报名并支付').waitFor();
    await sheet.getByText(/退款规则：.*（报名截止）前可在「我的报名」取消，费用原路退回/).waitFor();
    await sheet.locator('taro-button-core').filter({ hasText: /确认支付 ¥/ }).waitFor();
    await snap(page, 'h5-at-02-activity-pay-confirm');
    await sheet.locator('taro-button-core').filter({ hasText: '再想想' }).click();
    await sheet.waitFor({ state: 'hidden' });
    const mine = await api('GET', '/me/signups', { token: await shopperToken() });
    expect(mine.items.filter((s: { activityId: string }) => s.activityId === baking.id)).toEqual([]);
  }, 30_000);

  it('the tier page shows spend so far and still needed on a bar, then celebrates a move up once', async () => {
    const { page } = shopper;
    await buy(60_000);
    await open(page, demo.url, '/pages/tier/index');
    await text(page, '近 12 个月已消费 ¥600').waitFor();
    await shown(page, '.tier-progress .progress__bar').waitFor();
    await text(page, /^升级.+后，每消费 ¥100 积分倍率/).waitFor();
    expect(await shown(page, '.tier-celebration').count()).toBe(0);
    await snap(page, 'h5-at-03-tier-progress', true);

    const before = (await api('GET', '/me', { token: await shopperToken() })).tier.code as string;
    const tiers = (await api('GET', '/tiers')).items as Array<{ code: string; minSpendFen: number }>;
    const nextUp = tiers.find((tier) => tier.minSpendFen > 60_000)!;
    await buy(nextUp.minSpendFen - 60_000);
    expect((await api('GET', '/me', { token: await shopperToken() })).tier.code).not.toBe(before);
    await page.reload();
    const party = shown(page, '.tier-celebration');
    await party.getByText(/^恭喜升级为/).waitFor();
    await snap(page, 'h5-at-04-tier-celebration');
    await party.locator('taro-button-core').filter({ hasText: '太棒了' }).click();
    await party.waitFor({ state: 'hidden' });
    // Seen once: the next visit does not celebrate again.
    await page.reload();
    await text(page, '当前等级').waitFor();
    await page.waitForTimeout(500);
    expect(await shown(page, '.tier-celebration').count()).toBe(0);
  }, 40_000);
});
