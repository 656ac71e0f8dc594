import type { Browser } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { launchBrowser, screenshot, startDemo } from './support/demo';

// Unusual failure counts are visible to HQ: a clerk's token guessing member codes trips the look-up limit,
// and the console's dashboard shows it under 安全提醒 (admins only), in words, with a link to the audit log
// filtered to security alerts. Screenshots land in test-output/screenshots/admin-security-*.png (1440×900).

describe('security alerts in the console', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;

  async function post(path: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${demo.url}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('a clerk token guessing codes shows under 安全提醒 on the dashboard and in the filtered audit log; a viewer sees neither', async () => {
    const clerk = (await post('/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' })).body.token as string;
    const answers: number[] = [];
    for (let i = 0; i < 61; i++) answers.push((await post('/staff/scan', { code: `M${String(100000000000 + i)}${String(i).padStart(8, '0')}` }, clerk)).status);
    expect(answers.filter((status) => status === 400)).toHaveLength(60);
    expect(answers.at(-1)).toBe(429);

    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await signIn(session);
    const alerts = page.getByTestId('security-alerts');
    await alerts.getByText('安全提醒：近 7 天 1 条').waitFor();
    await alerts.getByText('安全提醒：无效码过多').waitFor();
    await alerts.getByText('sh01-clerk · 上海静安店').waitFor();
    await alerts.getByText('10 分钟内失败 60 次').waitFor();
    await screenshot(page, 'admin-security-dashboard');

    await alerts.getByText('在操作日志中查看').click();
    await page.waitForURL(/#\/audit\?action=security/);
    await page.locator('.ant-table-row').first().getByText('安全提醒：无效码过多').waitFor();
    const actions = await page.locator('.ant-table-row td:nth-child(3)').allInnerTexts();
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^安全提醒：/);
    await page.getByRole('button', { name: /显示全部记录/ }).waitFor();
    await screenshot(page, 'admin-security-audit');
    expect(session.pageErrors).toEqual([]);

    // The audit log is an admin's screen: a viewer's dashboard has no 安全提醒.
    const viewer = await openConsole(browser, demo.url);
    await signIn(viewer, 'hq', 'hq-viewer', 'viewer-demo-pass');
    await goTo(viewer, '/dashboard');
    await viewer.page.getByTestId('dashboard').waitFor();
    expect(await viewer.page.getByTestId('security-alerts').count()).toBe(0);
  }, 90_000);
});
