import type { Browser } from 'playwright-core';
import {
  createCampaign,
  createCashTemplate,
  dashboardChartsDrawn,
  goTo,
  launchAndWaitForCompletion,
  openConsole,
  readSegmentCount,
  signIn,
  type ConsoleSession,
} from '../admin/e2e/console';
import { launchBrowser, screenshot, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';

// The HQ console in real chromium against the demo server as `npm start` runs it: HQ designs a coupon,
// counts a segment, pushes the coupon and watches the push complete, reads the dashboard's charts and
// visits the other main screens; then a store manager sees only their store. Screenshots of every main
// screen land in test-output/screenshots/admin-*.png, at 1440×900 and again at 1280 wide.

/** Members who joined through the shopper API, with the home stores the manager check relies on. */
interface SeededMember {
  id: string;
  cardNo: string;
  homeStoreId: string;
}

describe('HQ console against the demo server', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  const seeded: SeededMember[] = [];

  const api = apiAt(() => demo.url);

  /** Shoppers sign in through the WeChat emulator and join; a clerk books purchases so spend and tiers vary. */
  async function seedMembers(): Promise<void> {
    const { privacyPolicyVersion } = await api<{ privacyPolicyVersion: string }>('GET', '/app-config');
    const clerk = await api<{ token: string }>('POST', '/auth/staff', { body: { username: 'sh01-clerk', password: 'staff-demo-pass' } });
    // Spend in fen: one gold member (≥ ¥2000 in 12 months), a few silver ones, one at Beijing who bought nothing.
    const plan = [
      { homeStoreId: 'SH01', spendFen: 250_000 },
      { homeStoreId: 'SH01', spendFen: 40_000 },
      { homeStoreId: 'SH01', spendFen: 12_000 },
      { homeStoreId: 'SH01', spendFen: 3_000 },
      { homeStoreId: 'BJ01', spendFen: 0 },
    ];
    for (const [index, { homeStoreId, spendFen }] of plan.entries()) {
      const { token } = await api<{ token: string }>('POST', '/auth/wechat', { body: { code: `admin-e2e-${index}` } });
      const member = await api<{ id: string; cardNo: string }>('POST', '/me/membership', { token, body: { acceptTerms: true, privacyPolicyVersion, homeStoreId } });
      seeded.push({ id: member.id, cardNo: member.cardNo, homeStoreId });
      if (spendFen > 0) {
        const { code } = await api<{ code: string }>('GET', '/me/member-code', { token });
        await api('POST', '/staff/purchases', { token: clerk.token, body: { memberCode: code, orderNo: `admin-e2e-${index}`, amountFen: spendFen } });
      }
    }
  }

  /** Screenshot once the skeletons and spinners are gone, so it shows the screen as the user sees it. */
  async function snap(session: ConsoleSession, name: string, fullPage = false): Promise<void> {
    const { page } = session;
    await page.locator('[data-testid="loading-state"], .ant-skeleton, .ant-spin-spinning').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running'), undefined, { timeout: 5_000 }).catch(() => undefined);
    // ECharts animates its first draw on its own timer (not the Web Animations API).
    if (await page.locator('.mc-chart canvas').count()) await page.waitForTimeout(1_200);
    await screenshot(page, name, { fullPage });
  }

  /** Visits a route, waits for its title, and saves a screenshot. */
  async function visit(session: ConsoleSession, route: string, name: string): Promise<void> {
    await goTo(session, route);
    await session.page.locator('h4, h3').first().waitFor();
    await snap(session, name);
  }

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
    await seedMembers();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('lets HQ design a coupon, count a segment, push it to completion and read the charts', async () => {
    const hq = await openConsole(browser, demo.url);
    const { page } = hq;
    await page.getByTestId('signin-username').waitFor();
    await snap(hq, 'admin-signin');
    await signIn(hq);
    const hqToken = JSON.parse((await page.evaluate(() => localStorage.getItem('membercard.admin.session'))) ?? '{}').token as string;

    // A coupon template, with the live preview as members will see it.
    const title = `满200减30 ${Date.now() % 10000}`;
    await goTo(hq, '/coupons/new');
    await page.getByTestId('coupon-preview').waitFor();
    await snap(hq, 'admin-coupon-editor');
    const templateId = await createCashTemplate(hq, title, 30);
    expect(templateId).toMatch(/^[0-9a-f]{24}$/);
    await visit(hq, '/coupons', 'admin-coupons');
    await expect(page.getByText(title).first().isVisible()).resolves.toBe(true);

    // A segment: every member, then the gold ones only; the count follows the conditions.
    await goTo(hq, '/segments');
    const everyone = await readSegmentCount(hq);
    expect(everyone).toBeGreaterThanOrEqual(seeded.length);
    await page.getByTestId('segment-tiers').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '金卡' }).first().click();
    await page.keyboard.press('Escape');
    await page.getByTestId('segment-count').filter({ hasNotText: String(everyone) }).waitFor();
    expect(await readSegmentCount(hq)).toBe(1);
    await snap(hq, 'admin-segments');

    // A push to every member, launched after the confirmation; the progress bar runs to completion.
    // No holdout here: the gold member's coupon from the push is checked below, and a random 10% draw would leave
    // it out one run in ten (holdouts have their own tests: campaign-holdout, admin-campaigns).
    const campaignId = await createCampaign(hq, 'E2E 会员日满减', title, [], { holdoutPercent: 0 });
    await snap(hq, 'admin-campaign-draft');
    await launchAndWaitForCompletion(hq, 30_000).catch(async (error: unknown) => {
      console.log(JSON.stringify(await api('GET', `/admin/campaigns/${campaignId}`, { token: hqToken })));
      await snap(hq, 'admin-campaign-stuck');
      throw error;
    });
    await expect(page.getByTestId('campaign-status').innerText()).resolves.toMatch(/已完成/);
    const campaign = await api<{ status: string; progress: { targeted: number; issued: number; holdout: number } }>('GET', `/admin/campaigns/${campaignId}`, { token: hqToken });
    expect(campaign.status).toBe('completed');
    // Whoever is held out gets no coupon (none here).
    expect(campaign.progress.issued + campaign.progress.holdout).toBe(campaign.progress.targeted);
    await page.getByTestId('chart-by-store').locator('canvas').waitFor();
    await snap(hq, 'admin-campaign-completed', true);
    await visit(hq, '/campaigns', 'admin-campaigns');

    // The dashboard: every chart drawn on a canvas of real size.
    const sizes = await dashboardChartsDrawn(hq);
    for (const [chart, size] of Object.entries(sizes)) {
      expect({ chart, drawn: size.width > 100 && size.height > 100 }).toEqual({ chart, drawn: true });
    }
    await snap(hq, 'admin-dashboard', true);

    // Member search and detail: card, balance, ledger with the purchase points, coupons from the push.
    const gold = seeded[0]!;
    await visit(hq, '/members', 'admin-members');
    await page.getByTestId('members-table').getByText(gold.cardNo).click();
    await page.getByTestId('member-card').waitFor();
    await page.getByTestId('member-ledger').locator('tr.ant-table-row').first().waitFor();
    await snap(hq, 'admin-member-detail');
    await page.getByRole('tab', { name: '优惠券' }).click();
    await page.getByTestId('member-coupons').getByText(title).first().waitFor();
    // The gold member's purchase was booked by a clerk: it is on their audit trail.
    await page.getByRole('tab', { name: '操作记录' }).click();
    await page.getByTestId('member-audit').getByText('登记消费').first().waitFor();
    await snap(hq, 'admin-member-audit');

    // The other main screens.
    await visit(hq, '/activities', 'admin-activities');
    await page.locator('.mc-clickable-row').first().click();
    await page.getByTestId('activity-status').waitFor();
    await snap(hq, 'admin-activity-detail');
    await visit(hq, '/automation', 'admin-automation');
    await page.getByTestId('automation-rules').locator('tr.ant-table-row').nth(4).waitFor();
    await visit(hq, '/code-batches', 'admin-code-batches');
    await visit(hq, '/stores', 'admin-stores');
    await visit(hq, '/staff', 'admin-staff');
    await visit(hq, '/audit', 'admin-audit');
    // Actions read as words (admin/src/lib/auditActions.ts), not as the server's names.
    await page.getByText('发起营销活动').first().waitFor();

    expect(hq.pageErrors.map((error) => error.message)).toEqual([]);
    await page.context().close();
  }, 70_000);

  it('fits the main screens on a 1280-wide laptop', async () => {
    const laptop = await openConsole(browser, demo.url, { width: 1280, height: 800 });
    await signIn(laptop);
    for (const [route, name] of [
      ['/dashboard', 'admin-1280-dashboard'],
      ['/members', 'admin-1280-members'],
      ['/coupons/new', 'admin-1280-coupon-editor'],
      ['/segments', 'admin-1280-segments'],
      ['/campaigns', 'admin-1280-campaigns'],
    ] as const) {
      await visit(laptop, route, name);
      // Nothing spills sideways: the page itself never scrolls horizontally.
      const overflow = await laptop.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect({ route, overflow }).toEqual({ route, overflow: 0 });
    }
    expect(laptop.pageErrors.map((error) => error.message)).toEqual([]);
    await laptop.page.context().close();
  }, 40_000);

  it('shows a store manager only their own store', async () => {
    const manager = await openConsole(browser, demo.url);
    const { page } = manager;
    await signIn(manager, 'manager');
    await expect(page.getByTestId('main-menu').innerText()).resolves.not.toMatch(/优惠券模板|营销推送|操作日志/);
    await visit(manager, '/members', 'admin-manager-members');
    const table = page.getByTestId('members-table');
    for (const member of seeded) {
      const shown = table.getByText(member.cardNo);
      if (member.homeStoreId === 'SH01') await shown.waitFor();
      else expect(await shown.count()).toBe(0);
    }
    await visit(manager, '/dashboard', 'admin-manager-dashboard');
    await page.getByText('上海静安店').first().waitFor();
    // HQ-only screens send a manager back to their dashboard.
    await goTo(manager, '/campaigns');
    await page.waitForURL(/#\/dashboard$/);
    expect(manager.pageErrors.map((error) => error.message)).toEqual([]);
    await page.context().close();
  }, 30_000);
});
