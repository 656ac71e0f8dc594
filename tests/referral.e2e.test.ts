import type { Browser, Page } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { launchBrowser, openPage, screenshot, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';
import { button, input, openRoute, shown, snap, text } from './support/taro';

// Referral end to end in the H5 build at 375×812, two shoppers in two browser contexts (two phones): A opens
// 邀请好友 and copies the invitation link; B opens it, signs in, sees who invites and what the first purchase
// earns, joins; B's first purchase at the counter (staff API) rewards both; each sees it on their referral
// page; HQ's 邀请有礼 page counts the join and the conversion. Screenshots: test-output/screenshots/mp-referral-*.

const PHONE_375 = { width: 375, height: 812 };

describe('mini-program H5: invite a friend, the friend joins and buys, both are rewarded', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  const phones: Array<{ page: Page; pageErrors: string[] }> = [];

  const api = apiAt(() => demo.url);
  async function tokenOf(page: Page): Promise<string> {
    const raw = await page.evaluate(() => localStorage.getItem('membercard.shopper'));
    const stored = JSON.parse(raw ?? 'null') as { data?: { token: string }; token?: string } | null;
    const token = stored?.data?.token ?? stored?.token;
    if (!token) throw new Error(`no shopper token in storage: ${raw}`);
    return token;
  }
  async function signInAs(page: Page, nickname: string) {
    await input(page, '输入昵称').fill(nickname);
    await button(page, '登录').click();
  }
  async function joinOnJoinPage(page: Page) {
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });
  }

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
    const hq = await api('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } });
    await api('PUT', '/admin/referral/terms', { body: { enabled: true, inviter: { points: 200, templateId: null }, invitee: { points: 100, templateId: null }, minPurchaseFen: 5_000, windowDays: 30 }, token: hq.token });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(() => {
    for (const phone of phones) expect(phone.pageErrors).toEqual([]);
  });

  it('A shares, B joins through the link and buys, both see the reward, HQ sees the conversion', async () => {
    // A: joins, opens 邀请好友 from 我的, and takes the link.
    const a = await openPage(browser, PHONE_375);
    phones.push(a);
    a.page.setDefaultTimeout(10_000);
    await a.page.goto(`${demo.url}/h5/`);
    await button(a.page, '登录并开卡').click({ timeout: 20_000 });
    await signInAs(a.page, 'referral-a');
    await joinOnJoinPage(a.page);
    await openRoute(a.page, demo.url, '/pages/mine/index');
    await text(a.page, '邀请好友').click();
    const card = shown(a.page, '[data-testid="invitation-card"]');
    await card.getByText('好友首单消费满 ¥50后，你得 200 积分，好友得 100 积分').waitFor();
    await shown(a.page, '[data-testid="invitation-qr"]').waitFor();
    const code = (await shown(a.page, '[data-testid="invitation-code"]').innerText()).trim();
    expect(code).toMatch(/^[2-9A-HJ-NP-Z]{8}$/);
    const link = (await shown(a.page, '[data-testid="invitation-link"]').innerText()).trim();
    expect(link).toBe(`${demo.url}/h5/#/pages/join/index?ref=${code}`);
    await snap(a.page, 'mp-referral-01-invite-card');

    // B, on another phone: the link asks for sign-in first, then the join page says who invites and what B gets.
    const b = await openPage(browser, PHONE_375);
    phones.push(b);
    b.page.setDefaultTimeout(10_000);
    await b.page.goto(link);
    await signInAs(b.page, 'referral-b');
    const banner = shown(b.page, '[data-testid="invitation-banner"]');
    await banner.getByText('好友邀请你加入会员').waitFor();
    await banner.getByText(/开卡后 30 天内首单消费满 ¥50，你可得/).waitFor();
    await banner.getByText('100 积分').waitFor();
    await snap(b.page, 'mp-referral-02-join-invited');
    await joinOnJoinPage(b.page);

    // B's first purchase at the counter (the till's API): ¥68.
    const bToken = await tokenOf(b.page);
    const staff = await api('POST', '/auth/staff', { body: { username: 'sh01-clerk', password: 'staff-demo-pass' } });
    const { code: memberCode } = await api('GET', '/me/member-code', { token: bToken });
    await api('POST', '/staff/purchases', { body: { memberCode, orderNo: `E2E-REF-${Date.now()}`, amountFen: 6_800 }, token: staff.token });

    await openRoute(b.page, demo.url, '/pages/referral/index');
    await text(b.page, '首单奖励已到账：100 积分').waitFor();
    await snap(b.page, 'mp-referral-03-friend-rewarded');

    await a.page.reload();
    const progress = shown(a.page, '[data-testid="invitation-progress"]');
    await progress.getByText('200', { exact: true }).waitFor();
    const friend = shown(a.page, '[data-testid="invitation-friend"]');
    await friend.getByText('已得奖励').waitFor();
    expect(await progress.innerText()).toMatch(/1\s*已邀请\s*1\s*已开卡\s*1\s*已首单\s*200\s*获得积分/);
    await snap(a.page, 'mp-referral-04-inviter-rewarded', true);

    // The points are in both ledgers.
    const aMe = await api('GET', '/me', { token: await tokenOf(a.page) });
    const bMe = await api('GET', '/me', { token: bToken });
    expect(aMe.pointsBalance).toBe(200);
    expect(bMe.pointsBalance).toBe(68 + 100);

    // HQ's 邀请有礼 page.
    const hq = await openConsole(browser, demo.url);
    await signIn(hq);
    await goTo(hq, '/referral');
    const report = hq.page.getByTestId('referral-report');
    await report.getByText('受邀开卡').waitFor();
    await hq.page.getByTestId('referral-recent').getByText('已奖励').waitFor();
    // antd puts the test id on the input itself.
    expect(await hq.page.getByTestId('referral-inviter-points').inputValue()).toBe('200');
    await screenshot(hq.page, 'mp-referral-05-console', { fullPage: true });
    expect(hq.pageErrors).toEqual([]);
  }, 90_000);
});
