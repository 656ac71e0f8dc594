import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, startDemo } from './support/demo';
import { button, input, openRoute, shown, snap, text } from './support/taro';

// The shopper's history in the H5 build at a 375×812 phone reads like a receipt: a purchase shows its store,
// its amount with thousands separators and its items (never the till's order number), an exchange its coupon,
// a check-in its activity, an HQ correction HQ's reason; a used coupon says where and when it was used (China
// time). Screenshots land in test-output/screenshots/ (history-*).

const PHONE_375 = { width: 375, height: 812 };

describe('mini-program H5: points history and used coupons', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let shopper: { page: Page; pageErrors: string[] };

  async function call(method: string, urlPath: string, body?: unknown, token?: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${demo.url}${urlPath.startsWith('/__') ? '' : '/api/v1'}${urlPath}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
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

  it('shows store, amount and items for purchases, titles for the rest, and where and when a coupon was used', async () => {
    shopper = await openPage(browser, PHONE_375);
    const { page, pageErrors } = shopper;
    page.setDefaultTimeout(15_000);
    // The shopper joins in the app.
    await openRoute(page, demo.url, '/pages/mine/index');
    await button(page, '登录并开卡').click({ timeout: 30_000 });
    await input(page, '输入昵称').fill('lishi');
    await button(page, '登录').click();
    await text(page, '开通会员卡').waitFor();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor({ timeout: 20_000 });

    // What happens at the counter and at HQ, over the API (the same shopper: the emulator's nickname).
    const { code } = await call('POST', '/__emulator/h5/login-code', { nickname: 'lishi' });
    const { token } = await call('POST', '/auth/wechat', { code });
    const me = await call('GET', '/me', undefined, token);
    const clerk = (await call('POST', '/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' })).token;
    const hq = (await call('POST', '/auth/admin', { username: 'hq', password: 'hq-demo-pass' })).token;
    const memberCode = async () => (await call('GET', '/me/member-code', undefined, token)).code;
    await call('POST', '/staff/purchases', {
      memberCode: await memberCode(), orderNo: `SH01-${Date.now().toString(36).toUpperCase()}-A`, amountFen: 173_150,
      lines: [
        { sku: 'LATTE-L', name: '大杯拿铁', category: 'COFFEE_TEA', qty: 2, amountFen: 6_000 },
        { sku: 'BEANS-GIFT', name: '咖啡豆礼盒', category: 'COFFEE_TEA', qty: 1, amountFen: 167_150 },
      ],
    }, clerk);
    await call('POST', `/admin/members/${me.id}/points-adjustments`, { delta: 20, reason: '补发：收银系统故障' }, hq, { 'Idempotency-Key': randomUUID() });
    const mall = await call('GET', '/me/points/exchangeable', undefined, token);
    const item = mall.items[0];
    const exchanged = await call('POST', '/me/points/exchanges', { templateId: item.id }, token, { 'Idempotency-Key': randomUUID() });
    const couponCode = (await call('GET', `/me/coupons/${exchanged.coupon.id}/code`, undefined, token)).code;
    await call('POST', '/staff/redemptions', { code: couponCode }, clerk);
    const now = Date.now();
    const activity = await call('POST', '/admin/activities', {
      title: '手冲咖啡课', description: '三款单品豆', storeId: 'SH01', capacity: 5, feeFen: 0, attendancePoints: 50,
      signupClosesAt: new Date(now + 1_800_000).toISOString(), startAt: new Date(now + 3_600_000).toISOString(), endAt: new Date(now + 7_200_000).toISOString(),
    }, hq);
    const signup = await call('POST', `/activities/${activity.id}/signups`, {}, token);
    const checkin = (await call('GET', `/me/signups/${signup.id}/code`, undefined, token)).code;
    await call('POST', '/staff/checkins', { code: checkin }, clerk);

    // The points history.
    await openRoute(page, demo.url, '/pages/points/index');
    await text(page, '积分明细').waitFor();
    const lines = shown(page, '.ledger-line');
    await lines.filter({ hasText: '活动签到「手冲咖啡课」' }).waitFor();
    const purchaseLine = lines.filter({ hasText: '消费 · 上海静安店' });
    await expect(purchaseLine.innerText()).resolves.toContain('¥1,731.50 · 大杯拿铁 ×2、咖啡豆礼盒 ×1');
    await expect(lines.filter({ hasText: `积分兑换「${item.title}」` }).count()).resolves.toBe(1);
    await expect(lines.filter({ hasText: '积分调整' }).innerText()).resolves.toContain('补发：收银系统故障');
    // No till order numbers anywhere in the history.
    await expect(shown(page, '.section').last().innerText()).resolves.not.toMatch(/SH01-[A-Z0-9]+-A/);
    await snap(page, 'history-01-points', true);

    // The used coupons: where and when.
    await openRoute(page, demo.url, '/pages/coupons/index');
    await text(page, '已使用').click();
    const usedAt = shown(page, '.coupon-used-at');
    await usedAt.first().waitFor();
    const redeemedAt = (await call('GET', '/me/coupons?status=used', undefined, token)).items[0].redeemedAt as string;
    const china = new Date(Date.parse(redeemedAt) + 8 * 3600_000).toISOString();
    await expect(usedAt.first().innerText()).resolves.toBe(`使用于 上海静安店 · ${china.slice(0, 10)} ${china.slice(11, 16)}`);
    await snap(page, 'history-02-used-coupons');
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
