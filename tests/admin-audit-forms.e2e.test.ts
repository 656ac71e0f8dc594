import type { Browser } from 'playwright-core';
import { goTo, openConsole, signIn, type ConsoleSession } from '../admin/e2e/console';
import { apiAt, makeConsoleData, type Api, type ConsoleData } from './support/consoleData';
import { launchBrowser, screenshot, startDemo } from './support/demo';

// The console's forms and audit log as HQ meets them at 1440×900: a points adjustment refused for 积分不足
// then corrected goes through (and a double click stays one adjustment); 必填 leaves a field once it is
// filled; a wrong password says so; the audit log names people and things, filters by a searchable person
// and fits the screen. Screenshots: test-output/screenshots/admin-audit-*.png, admin-points-*.png.

describe('audit log and forms in the console', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let api: Api;
  let data: ConsoleData;

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
    api = apiAt(demo.url);
    data = await makeConsoleData(api, 'forms');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  const adjustments = async () =>
    ((await api('GET', `/admin/members/${data.memberId}/ledger?limit=50`, { token: data.hqToken })).items as Array<{ source: string; delta: number }>).filter((entry) => entry.source === 'adjustment');

  async function openAdjustment(session: ConsoleSession) {
    const { page } = session;
    await page.getByTestId('adjust-points').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    return {
      dialog,
      delta: dialog.getByLabel('变动积分（负数为扣减）'),
      reason: dialog.getByLabel('原因（会记入流水和操作日志）'),
      ok: dialog.getByRole('button', { name: /确认调整/ }),
    };
  }

  it('a refused adjustment (积分不足) then a corrected one goes through; a double click books once; 必填 clears when filled', async () => {
    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await signIn(session);
    await goTo(session, `/members/${data.memberId}`);
    await page.getByTestId('member-card').waitFor();
    const { balance: before } = await memberBalance();

    // Empty submit: 必填 under both fields; filling one takes its error away and leaves the other's.
    let form = await openAdjustment(session);
    await form.ok.click();
    await form.dialog.getByText('必填').nth(1).waitFor();
    await form.delta.fill('-999999');
    await form.dialog.getByText('必填').nth(1).waitFor({ state: 'detached' });
    expect(await form.dialog.getByText('必填').count()).toBe(1);
    await form.reason.fill('积分兑换礼品');
    await form.dialog.getByText('必填').waitFor({ state: 'detached' });
    await screenshot(page, 'admin-points-errors-cleared');

    // Too many points: refused, and said so.
    await form.ok.click();
    await form.dialog.getByText('积分不足，调整后余额不能小于 0').waitFor();
    await screenshot(page, 'admin-points-refused');
    // Corrected: the same form, new content, goes through (before: 重复提交的内容不一致 until a reload).
    await form.delta.fill('-10');
    await form.ok.click();
    await page.getByText(`已调整积分，当前余额 ${before - 10}`).waitFor();
    expect((await adjustments()).map((entry) => entry.delta)).toEqual([-10]);

    // The same content clicked twice in a row: one adjustment.
    form = await openAdjustment(session);
    await form.delta.fill('5');
    await form.reason.fill('补录积分');
    await form.ok.dblclick();
    await page.getByText(`已调整积分，当前余额 ${before - 5}`).first().waitFor();
    await page.waitForTimeout(500);
    expect((await adjustments()).map((entry) => entry.delta).sort()).toEqual([-10, 5]);
    expect((await memberBalance()).balance).toBe(before - 5);
    expect(session.pageErrors.map((error) => error.message)).toEqual([]);
    await page.context().close();
  }, 90_000);

  async function memberBalance(): Promise<{ balance: number }> {
    const member = await api('GET', `/admin/members/${data.memberId}`, { token: data.hqToken });
    return { balance: member.pointsBalance as number };
  }

  it('a wrong HQ password says 用户名或密码错误, and 必填 leaves the username once typed', async () => {
    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await page.getByTestId('signin-submit').click();
    await page.getByText('必填').nth(1).waitFor();
    await page.getByTestId('signin-username').fill('hq');
    // The username's 必填 leaves (after antd's fade); the password's stays until it is typed.
    await page.getByText('必填').nth(1).waitFor({ state: 'detached' });
    expect(await page.getByText('必填').count()).toBe(1);
    await screenshot(page, 'admin-signin-errors-clearing');
    await page.getByTestId('signin-password').fill('not-the-password');
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-error').getByText('用户名或密码错误').waitFor();
    expect(await page.getByText('登录已失效').count()).toBe(0);
    await screenshot(page, 'admin-signin-wrong-password');
    await page.context().close();
  }, 30_000);

  it('the dashboard’s alert cards say when they could not load, instead of showing nothing', async () => {
    const session = await openConsole(browser, demo.url);
    const { page } = session;
    // The two alert lists fail (a proxy's 502); the rest of the dashboard loads.
    await page.route(/\/api\/v1\/admin\/(payments\/alerts|audit-log)/, (route) => route.fulfill({ status: 502, body: 'Bad gateway' }));
    await signIn(session);
    await page.getByTestId('dashboard').waitFor();
    await page.getByTestId('payment-alerts-error').getByText('支付提醒：加载失败，暂时无法确认是否有待处理的提醒').waitFor();
    await page.getByTestId('security-alerts-error').getByText('安全提醒：加载失败，暂时无法确认是否有待处理的提醒').waitFor();
    await screenshot(page, 'admin-dashboard-alerts-error');
    // Retry once the lists answer again: the warnings go (there are no alerts in this demo).
    await page.unroute(/\/api\/v1\/admin\/(payments\/alerts|audit-log)/);
    await page.getByTestId('payment-alerts-error').getByRole('button', { name: /重\s*试/ }).click();
    await page.getByTestId('payment-alerts-error').waitFor({ state: 'detached' });
    await page.context().close();
  }, 30_000);

  it('the audit log says who, what and when in words, filters by a searched person, and fits 1440×900', async () => {
    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await signIn(session);
    await goTo(session, '/audit');
    const table = page.getByTestId('audit-table');
    await table.locator('.ant-table-row').first().waitFor();

    const rows = await table.locator('.ant-table-row').allInnerTexts();
    const joined = rows.join('\n');
    // The clerk's purchase: the clerk by name, role and store; the order by its number.
    expect(joined).toContain('静安店员');
    expect(joined).toContain('店员 · 上海静安店');
    expect(joined).toContain(`登记消费 ${data.orderNo}`);
    // HQ's grant: HQ by name and role, the coupon by its title; the check-in by member and activity.
    expect(joined).toContain('总部运营');
    expect(joined).toContain('总部 · 管理员');
    expect(joined).toContain(`发放优惠券 ${data.templateTitle}`);
    expect(joined).toMatch(/为 林晓雨 · 咖啡品鉴会（forms） 办理活动签到/);
    // Before/after as labelled changes, not JSON.
    expect(joined).toContain('券状态：未使用 → 已核销');
    expect(joined).not.toMatch(/[{"]\w+"?:/);
    // The time in China, as YYYY-MM-DD HH:mm.
    expect(rows[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);

    // Nothing overflows at 1440 wide: neither the page nor the table scrolls sideways.
    const overflow = await page.evaluate(() => {
      const body = document.querySelector('[data-testid="audit-table"] .ant-table-content, [data-testid="audit-table"] .ant-table-body');
      return { page: document.documentElement.scrollWidth - document.documentElement.clientWidth, table: body ? body.scrollWidth - body.clientWidth : -1 };
    });
    expect(overflow).toEqual({ page: 0, table: 0 });
    await screenshot(page, 'admin-audit-log');

    // The person filter is searched by name, not typed as an id.
    await page.getByTestId('audit-person-filter').click();
    await page.keyboard.type('静安店员');
    await page.locator('.ant-select-item-option').filter({ hasText: '静安店员（sh01-clerk）' }).click();
    await page.getByTestId('audit-apply').click();
    await page.waitForTimeout(300);
    await table.locator('.ant-table-row').first().waitFor();
    const whos = await table.getByTestId('audit-who').allInnerTexts();
    expect(whos.length).toBeGreaterThan(0);
    for (const who of whos) expect(who).toMatch(/^静安店员\s+店员 · 上海静安店$/);
    await screenshot(page, 'admin-audit-filtered');

    // A member's 操作记录 reads the same way.
    await goTo(session, `/members/${data.memberId}`);
    await page.getByRole('tab', { name: '操作记录' }).click();
    await page.getByTestId('member-audit').getByText(`登记消费 ${data.orderNo}`).waitFor();
    await screenshot(page, 'admin-audit-member-trail');
    expect(session.pageErrors.map((error) => error.message)).toEqual([]);
    await page.context().close();
  }, 60_000);
});
