import type { Browser } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { apiAt, makeConsoleData } from './support/consoleData';
import { launchBrowser, screenshot, startDemo } from './support/demo';

// 经营报表 in real chromium: today's figures by day with totals, HQ's store filter, a manager's own store, and
// the CSV export. Screenshots land in test-output/screenshots/admin-reports-*.png.

describe('reports in the console', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
    // a member who bought ¥268 and redeemed a ¥30 coupon on a ¥250 order, at SH01
    await makeConsoleData(apiAt(demo.url), 'reports');
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('HQ reads today in the table and the totals, filters a store, and exports CSV', async () => {
    const session = await openConsole(browser, demo.url);
    await signIn(session, 'hq');
    await session.page.getByTestId('menu-reports').click();
    const report = session.page.getByTestId('report');
    await report.waitFor();
    const text = await report.innerText();
    expect(text).toContain('会员消费金额');
    expect(text).toContain('¥268');
    expect(text).toContain('¥30'); // the coupon's cost
    expect(text).toMatch(/周[日一二三四五六]/);
    expect(text).toContain('合计');
    await screenshot(session.page, 'admin-reports-hq', { fullPage: true });

    await session.page.getByTestId('report-store').click();
    await session.page.getByTitle('北京朝阳店').click();
    await session.page.waitForFunction(() => !document.querySelector('[data-testid="report"]')?.textContent?.includes('¥268'));
    expect(await session.page.getByTestId('report').innerText()).not.toContain('¥268');

    const download = session.page.waitForEvent('download');
    await session.page.getByTestId('report-export').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^report-BJ01-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it('a store manager sees their own store’s report', async () => {
    const session = await openConsole(browser, demo.url);
    await signIn(session, 'manager');
    await goTo(session, '/reports');
    await session.page.getByTestId('report').waitFor();
    expect(await session.page.locator('body').innerText()).toContain('本店数据');
    expect(await session.page.getByTestId('report').innerText()).toContain('¥268');
    await screenshot(session.page, 'admin-reports-manager');
  }, 60_000);
});
