import type { Browser, Page } from 'playwright-core';

// Page-object helpers for driving the HQ console in a browser through playwright-core. The end-to-end
// test (tests/admin.e2e.test.ts, which launches chromium and the demo server through tests/support/demo.ts)
// is a short script over these; they rely only on data-testid hooks and the demo accounts.

export interface ConsoleSession {
  page: Page;
  /** Uncaught page errors seen so far; a passing run expects none. */
  pageErrors: Error[];
  baseUrl: string;
}

/** A page (1440×900 unless told) with page-error capture. `baseUrl` is the server origin, e.g. http://127.0.0.1:3000. */
export async function openConsole(browser: Browser, baseUrl: string, viewport = { width: 1440, height: 900 }): Promise<ConsoleSession> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(`${baseUrl}/admin/`);
  return { page, pageErrors, baseUrl };
}

export async function signIn(session: ConsoleSession, who: 'hq' | 'manager' = 'hq', username = who === 'hq' ? 'hq' : 'sh01-manager', password = who === 'hq' ? 'hq-demo-pass' : 'staff-demo-pass'): Promise<void> {
  const { page } = session;
  await page.goto(`${session.baseUrl}/admin/#/signin`);
  if (who === 'manager') await page.getByRole('tab', { name: /店长|Store manager/ }).click();
  await page.getByTestId('signin-username').fill(username);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('main-menu').waitFor();
}

export async function goTo(session: ConsoleSession, route: string): Promise<void> {
  await session.page.goto(`${session.baseUrl}/admin/#${route}`);
}

/** Creates a cash coupon template through the editor and returns its id (from the URL). */
export async function createCashTemplate(session: ConsoleSession, title: string, amountOffYuan = 20): Promise<string> {
  const { page } = session;
  await goTo(session, '/coupons/new');
  await page.getByTestId('template-title').fill(title);
  await page.getByTestId('template-amount-off').fill(String(amountOffYuan));
  await page.getByTestId('coupon-preview').waitFor();
  await page.getByTestId('save-template').click();
  await page.waitForURL(/#\/coupons\/(?!new)[^/]+$/);
  return decodeURIComponent(page.url().split('#/coupons/')[1] ?? '');
}

/** The live audience count shown by the segment builder, once it has settled on a number. */
export async function readSegmentCount(session: ConsoleSession, timeoutMs = 10_000): Promise<number> {
  const count = session.page.getByTestId('segment-count');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = (await count.innerText()).replace(/[,\s]/g, '');
    const match = text.match(/(\d+)/);
    if (match) return Number(match[1]);
    await session.page.waitForTimeout(200);
  }
  throw new Error('segment count never appeared');
}

/** Picks tiers in the segment builder (by visible tier name) and waits for the count to refresh. */
export async function chooseSegmentTiers(session: ConsoleSession, tierNames: string[]): Promise<void> {
  const { page } = session;
  await page.getByTestId('segment-tiers').click();
  for (const name of tierNames) await page.locator('.ant-select-item-option').filter({ hasText: name }).first().click();
  await page.keyboard.press('Escape');
  await page.waitForTimeout(600); // the preview is debounced by 400 ms
}

/** Creates a draft campaign for a template title over the tiers given, then returns its id. */
export async function createCampaign(
  session: ConsoleSession,
  name: string,
  templateTitle: string,
  tierNames: string[] = [],
  options: { holdoutPercent?: number } = {},
): Promise<string> {
  const { page } = session;
  await goTo(session, '/campaigns/new');
  await page.getByTestId('campaign-name').fill(name);
  await page.getByTestId('campaign-template').click();
  await page.locator('.ant-select-item-option').filter({ hasText: templateTitle }).first().click();
  if (tierNames.length) await chooseSegmentTiers(session, tierNames);
  if (options.holdoutPercent !== undefined) await page.getByTestId('campaign-holdout').fill(String(options.holdoutPercent));
  await readSegmentCount(session);
  await page.getByTestId('create-campaign').click();
  await page.waitForURL(/#\/campaigns\/(?!new)[^/]+$/);
  return decodeURIComponent(page.url().split('#/campaigns/')[1] ?? '');
}

/** Launches the open campaign through the confirmation dialog and waits for the progress bar to reach 100%. */
export async function launchAndWaitForCompletion(session: ConsoleSession, timeoutMs = 60_000): Promise<void> {
  const { page } = session;
  await page.getByTestId('launch-campaign').click();
  await page.getByTestId('launch-confirm').waitFor();
  await page.locator('.ant-modal-confirm-btns .ant-btn-primary').click();
  await page.locator('[data-testid="campaign-progress"].ant-progress-status-success').waitFor({ timeout: timeoutMs });
}

/** Opens the dashboard and waits until every chart has drawn a canvas of non-zero size; returns their sizes. */
export async function dashboardChartsDrawn(session: ConsoleSession, testIds = ['chart-growth', 'chart-tiers', 'chart-pareto', 'chart-redemption']): Promise<Record<string, { width: number; height: number }>> {
  await goTo(session, '/dashboard');
  const sizes: Record<string, { width: number; height: number }> = {};
  for (const id of testIds) {
    const canvas = session.page.locator(`[data-testid="${id}"] canvas`).first();
    await canvas.waitFor({ timeout: 15_000 });
    const box = await canvas.boundingBox();
    sizes[id] = { width: box?.width ?? 0, height: box?.height ?? 0 };
  }
  return sizes;
}
