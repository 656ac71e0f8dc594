import type { Browser } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { launchBrowser, screenshot, startDemo } from './support/demo';

// The console follows the HQ role and the forced password change, in real chromium against the demo server.
// Screenshots land in test-output/screenshots/admin-roles-*.png.

describe('HQ roles and password handover in the console', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('a viewer sees the lists without write buttons and no staff, store or audit screens', async () => {
    const session = await openConsole(browser, demo.url);
    await signIn(session, 'hq', 'hq-viewer', 'viewer-demo-pass');
    const menu = await session.page.getByTestId('main-menu').innerText();
    expect(menu).toContain('优惠券模板');
    expect(menu).not.toContain('员工账号');
    expect(menu).not.toContain('操作日志');
    await goTo(session, '/coupons');
    await session.page.getByText('满100减20').waitFor();
    expect(await session.page.getByTestId('new-template').count()).toBe(0);
    await screenshot(session.page, 'admin-roles-viewer-coupons');
    // A typed address of an admin-only screen lands on the dashboard.
    await goTo(session, '/staff');
    await session.page.waitForURL(/#\/dashboard/);

    // Signing out ends the session on the server: the refresh token the browser held is worth nothing.
    const stored = await session.page.evaluate(() => JSON.parse(localStorage.getItem('membercard.admin.session') ?? '{}') as { refreshToken?: string });
    await session.page.getByRole('button', { name: '退出登录' }).click();
    await session.page.getByTestId('signin-submit').waitFor();
    expect(stored.refreshToken).toBeTruthy();
    // The console sends the sign-out without waiting for it; give it a moment to land.
    const refreshStatus = async () =>
      (await fetch(`${demo.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: stored.refreshToken }) })).status;
    await session.page.waitForTimeout(500);
    expect(await refreshStatus()).toBe(401);
  }, 60_000);

  it('an account HQ creates chooses its own password before anything else', async () => {
    const hq = await fetch(`${demo.url}/api/v1/auth/admin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'hq', password: 'hq-demo-pass' }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    const created = await fetch(`${demo.url}/api/v1/admin/staff`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hq.token}` },
      body: JSON.stringify({ username: 'e2e-marketer', name: '市场新人', role: 'hq', hqRole: 'marketing', password: 'Handover-e2e-2026' }),
    });
    expect(created.status).toBe(201);

    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await page.goto(`${demo.url}/admin/#/signin`);
    await page.getByTestId('signin-username').fill('e2e-marketer');
    await page.getByTestId('signin-password').fill('Handover-e2e-2026');
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('password-forced').waitFor();
    await screenshot(page, 'admin-roles-forced-change');
    await page.getByTestId('password-current').fill('Handover-e2e-2026');
    await page.getByTestId('password-new').fill('password123');
    await page.getByTestId('password-confirm').fill('password123');
    await page.getByTestId('password-submit').click();
    await page.getByText('密码太常见或太容易猜到').waitFor();
    await page.getByTestId('password-new').fill('Biscuits-and-tea-42');
    await page.getByTestId('password-confirm').fill('Biscuits-and-tea-42');
    await page.getByTestId('password-submit').click();
    await page.getByTestId('main-menu').waitFor();
    expect(await page.getByTestId('hq-role').innerText()).toContain('市场');
    await goTo(session, '/coupons');
    await page.getByTestId('new-template').waitFor();

    // HQ makes them a viewer while they are signed in: the next request's 401 is met with a refresh, which
    // brings the new role, and the console follows without signing them out.
    const { id } = (await created.json()) as { id: string };
    const demoted = await fetch(`${demo.url}/api/v1/admin/staff/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hq.token}` },
      body: JSON.stringify({ hqRole: 'viewer' }),
    });
    expect(demoted.status).toBe(200);
    await goTo(session, '/campaigns');
    await page.waitForFunction(() => document.querySelector('[data-testid="hq-role"]')?.textContent?.includes('只读'));
    await goTo(session, '/coupons');
    await page.getByText('满100减20').waitFor();
    expect(await page.getByTestId('new-template').count()).toBe(0);
    expect(page.url()).toContain('#/coupons');
  }, 60_000);
});
