import type { Browser, Page } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { launchBrowser, openPage, screenshot, startDemo } from './support/demo';
import { H5, button, input, shown, snap, text } from './support/taro';

// 今日流水 in the H5 mini-program at 375×812: the manager reverses today's purchase from the list with a
// common reason (the list then shows 已撤销 with who and why, and the server has taken the points back),
// the clerk sees the same entry's 撤销 button disabled with why, and the manager's printable shift summary.
// In the console at 1440×900, HQ reverses a member's coupon redemption from the member page with a typed
// reason. Screenshots land in test-output/screenshots/ (mp-today-*, admin-reversal-*).

const SMALL_PHONE = { width: 375, height: 812 };

describe('mini-program H5: today at the counter', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;

  async function call(method: string, path: string, body?: unknown, token?: string, idempotencyKey?: string): Promise<any> {
    const res = await fetch(`${demo.url}${path.startsWith('/__') ? '' : '/api/v1'}${path}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = res.status === 204 ? null : await res.json();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  async function signInTill(page: Page, username: string): Promise<void> {
    await page.goto(`${demo.url}${H5}/pages/staff/login`);
    await input(page, '账号').fill(username);
    await input(page, '密码').fill('staff-demo-pass');
    await button(page, '登录').click();
    await text(page, '今日流水').click();
    await shown(page, '[data-testid="today-totals"]').waitFor();
  }

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('the manager reverses a purchase with a reason; the clerk sees the button disabled with why; the shift prints as a Z-report', async () => {
    const { code } = await call('POST', '/__emulator/h5/login-code', { nickname: 'today-diner' });
    const { token } = await call('POST', '/auth/wechat', { code });
    const member = await call('POST', '/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, token);
    const clerk = (await call('POST', '/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' })).token as string;
    const orderNo = `TODAY-${Date.now().toString(36).toUpperCase()}`;
    const memberCode = (await call('GET', '/me/member-code', undefined, token)).code as string;
    await call('POST', '/staff/purchases', { memberCode, orderNo, amountFen: 173_150 }, clerk);

    const manager = await openPage(browser, SMALL_PHONE);
    const page = manager.page;
    page.setDefaultTimeout(10_000);
    await signInTill(page, 'sh01-manager');
    const entry = shown(page, '[data-testid="counter-event"]').filter({ hasText: orderNo });
    await entry.getByText('¥1,731.50').waitFor();
    await entry.getByText(/店长可在 .* 前撤销/).waitFor();
    await snap(page, 'mp-today-1-manager-list');

    await entry.locator('taro-button-core', { hasText: '撤销' }).click();
    await text(page, '撤销消费 ¥1,731.50').waitFor();
    // The reason is required: the confirm button stays off until one is picked or typed.
    await expect(button(page, '确认撤销').getAttribute('disabled')).resolves.not.toBeNull();
    await text(page, '金额录入错误').click();
    await snap(page, 'mp-today-2-reversal-reason');
    await button(page, '确认撤销').click();
    await text(page, '已撤销消费 ¥1,731.50，积分 1731 已扣回').waitFor();
    const reversedEntry = shown(page, '[data-testid="counter-event"]').filter({ hasText: orderNo });
    await reversedEntry.getByText(/^静安店长 于 .* 撤销：金额录入错误$/).waitFor();
    await reversedEntry.getByText('已撤销', { exact: true }).waitFor();
    await snap(page, 'mp-today-3-reversed');

    // The server did it: the purchase is reversed and its points are gone.
    const hq = (await call('POST', '/auth/admin', { username: 'hq', password: 'hq-demo-pass' })).token as string;
    const purchases = await call('GET', `/admin/members/${member.id}/purchases`, undefined, hq);
    expect(purchases.items[0]).toMatchObject({ orderNo, status: 'reversed', reversal: { reason: '金额录入错误', pointsTakenBack: 1_731 } });
    expect((await call('GET', '/me', undefined, token)).pointsBalance).toBe(0);

    // The shift summary, on screen and as it prints.
    await button(page, '交班小结 / 打印').click();
    const report = shown(page, '[data-testid="z-report"]');
    await report.getByText('交班小结（Z 报表）').waitFor();
    await report.getByText('店员：静安店员').waitFor();
    await report.getByText('-¥1,731.50').first().waitFor();
    await snap(page, 'mp-today-4-shift-summary', true);
    await page.emulateMedia({ media: 'print' });
    await snap(page, 'mp-today-5-shift-print', true);
    await page.emulateMedia({ media: 'screen' });

    // A clerk's list: the same day, the reversal button off with why.
    const second = `TODAY2-${Date.now().toString(36).toUpperCase()}`;
    await call('POST', '/staff/purchases', { memberCode: (await call('GET', '/me/member-code', undefined, token)).code, orderNo: second, amountFen: 2_000 }, clerk);
    const till = await openPage(browser, SMALL_PHONE);
    till.page.setDefaultTimeout(10_000);
    await signInTill(till.page, 'sh01-clerk');
    const clerksEntry = shown(till.page, '[data-testid="counter-event"]').filter({ hasText: second });
    await clerksEntry.getByText('只有店长可以撤销').waitFor();
    await expect(clerksEntry.locator('taro-button-core', { hasText: '撤销' }).getAttribute('disabled')).resolves.not.toBeNull();
    await shown(till.page, '[data-testid="counter-event"]').filter({ hasText: orderNo }).getByText(/撤销：金额录入错误$/).waitFor();
    await snap(till.page, 'mp-today-6-clerk-disabled');

    expect(manager.pageErrors).toEqual([]);
    expect(till.pageErrors).toEqual([]);
  }, 120_000);

  it('HQ reverses a member’s redemption from the console’s member page with a typed reason', async () => {
    const { code } = await call('POST', '/__emulator/h5/login-code', { nickname: 'console-diner' });
    const { token } = await call('POST', '/auth/wechat', { code });
    const member = await call('POST', '/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, token);
    const hq = (await call('POST', '/auth/admin', { username: 'hq', password: 'hq-demo-pass' })).token as string;
    const templates = await call('GET', '/admin/coupon-templates?limit=100', undefined, hq);
    const template = templates.items.find((t: { title: string }) => t.title === '满100减20');
    const coupon = await call('POST', `/admin/coupon-templates/${template.id}/grants`, { memberId: member.id }, hq, `console-grant-${member.id}`);
    const clerk = (await call('POST', '/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' })).token as string;
    const couponCode = (await call('GET', `/me/coupons/${coupon.id}/code`, undefined, token)).code as string;
    const redemption = await call('POST', '/staff/redemptions', { code: couponCode, orderNo: `CONSOLE-${Date.now().toString(36)}`, orderAmountFen: 12_800 }, clerk);

    const session = await openConsole(browser, demo.url);
    await signIn(session);
    await goTo(session, `/members/${member.id}`);
    const card = session.page.getByTestId('member-reversals');
    await card.getByText('满100减20').waitFor();
    await card.getByTestId(`reverse-${redemption.id}`).click();
    const dialog = session.page.getByRole('dialog');
    await dialog.getByText('撤销核销「满100减20」').waitFor();
    await dialog.getByText('其他原因').click();
    await dialog.getByTestId('reversal-reason').fill('顾客改用现金支付，券退回');
    await screenshot(session.page, 'admin-reversal-1-dialog');
    await dialog.getByTestId('confirm-reversal').click();
    await card.getByText('已撤销').waitFor();
    await card.getByText(/总部运营 · .* · 顾客改用现金支付，券退回/).waitFor();
    await screenshot(session.page, 'admin-reversal-2-done');

    // HQ's view of the store's day: the summary by clerk and the entries, the reversed one marked.
    await goTo(session, '/store-day');
    await session.page.getByTestId('store-day-store').click();
    await session.page.locator('.ant-select-item-option', { hasText: '上海静安店' }).click();
    await session.page.getByTestId('store-day-summary').getByText('静安店员').waitFor();
    await session.page.getByTestId('store-day-events').getByText('顾客改用现金支付，券退回', { exact: false }).waitFor();
    await screenshot(session.page, 'admin-reversal-3-store-day');

    const stored = await call('GET', `/admin/members/${member.id}/coupons?status=available`, undefined, hq);
    expect(stored.items.map((c: { id: string }) => c.id)).toContain(coupon.id);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);
});
