import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, startDemo } from './support/demo';
import { button, input, openRoute, snap, text } from './support/taro';

// 储值 in the H5 build at a 375×812 phone: HQ offers 充500送50; the shopper opens 我的储值 from the card, pays
// through the emulated WeChat Pay, and sees the balance (principal + bonus) and a statement that reads like a
// receipt; the card's menu shows the balance. Screenshots land in test-output/screenshots/ (stored-value-*).

const PHONE_375 = { width: 375, height: 812 };

describe('mini-program H5: stored-value top-up', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;

  async function call(method: string, urlPath: string, body?: unknown, token?: string) {
    const res = await fetch(`${demo.url}/api/v1${urlPath}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = res.status === 204 ? null : await res.json();
    if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('tops up ¥500 with a ¥50 bonus through WeChat Pay and shows the balance and the statement', async () => {
    const hq = (await call('POST', '/auth/admin', { username: 'hq', password: 'hq-demo-pass' })).token;
    await call('POST', '/admin/stored-value/topup-rules', { title: '充500送50', kind: 'fixed', amountFen: 50_000, bonusFen: 5_000 }, hq);

    const { page, pageErrors } = await openPage(browser, PHONE_375);
    page.setDefaultTimeout(15_000);
    await openRoute(page, demo.url, '/pages/mine/index');
    await button(page, '登录并开卡').click({ timeout: 30_000 });
    await input(page, '输入昵称').fill('chuzhi');
    await button(page, '登录').click();
    await text(page, '开通会员卡').waitFor();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 20_000 });

    await text(page, '我的储值').click();
    await text(page, '储值余额').waitFor();
    await text(page, '充 ¥500').waitFor();
    await text(page, /充500送50 · 送 ¥50/).waitFor();
    await text(page, '去支付').click();
    await text(page, /充值成功，¥500 另赠 ¥50 已到账/).waitFor({ timeout: 20_000 });
    await text(page, '¥550').waitFor();
    await text(page, '本金 ¥500 · 赠送 ¥50 · 实名储值长期有效').waitFor();
    await text(page, '充值赠送').waitFor();
    await text(page, '+¥50').waitFor();
    await text(page, '+¥500').waitFor();
    await text(page, /余额 ¥550/).first().waitFor();
    await snap(page, 'stored-value-page', true);

    await page.goBack();
    await text(page, /^余额 ¥550/).waitFor();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
