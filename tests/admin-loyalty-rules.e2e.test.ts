import type { Browser } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { launchBrowser, screenshot, startDemo } from './support/demo';

// HQ edits tiers and a member day in the console and sees what ¥100 earns change as it types; then names and
// voids a code batch. Real chromium at 1440×900 against the demo server; screenshots land in
// test-output/screenshots/admin-loyalty-rules-*.png.

describe('tiers, member days and code batches in the console', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  let hqToken: string;

  const apiCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${demo.url}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hqToken}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
    const signedIn = await fetch(`${demo.url}/api/v1/auth/admin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'hq', password: 'hq-demo-pass' }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    hqToken = signedIn.token;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('editing a tier multiplier, its threshold and a member day changes the ¥100 preview; saved rules are what the API answers', async () => {
    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await signIn(session);
    expect(await page.getByTestId('main-menu').innerText()).toContain('等级与积分规则');
    await goTo(session, '/loyalty-rules');
    const cell = (id: string) => page.getByTestId(id);
    await cell('preview-gold-base').waitFor();
    expect(await cell('preview-silver-base').innerText()).toBe('100');
    expect(await cell('preview-gold-base').innerText()).toBe('150');
    expect(await cell('preview-platinum-base').innerText()).toBe('200');
    await screenshot(page, 'admin-loyalty-rules-before');

    // Gold earns ×1.8 from ¥1,500 a year: the preview follows as it is typed, before saving.
    await cell('multiplier-gold').fill('1.8');
    await cell('threshold-gold').fill('1500');
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-gold-base"]')?.textContent === '180');
    await cell('save-tiers').click();
    await page.getByText('会员等级已保存').waitFor();

    // A Wednesday member day ×2 for everyone, then raised to ×3.
    await cell('add-campaign').click();
    const campaigns = (await apiCall('GET', '/admin/earn-rules')).body.campaigns.length;
    const index = campaigns; // the new one is last
    await cell(`campaign-multiplier-${index}`).fill('3');
    await page.locator('[data-testid^="preview-gold-member-day-"]').first().waitFor();
    expect(await page.locator('[data-testid^="preview-gold-member-day-"]').first().innerText()).toBe('540');
    expect(await page.locator('[data-testid^="preview-silver-member-day-"]').first().innerText()).toBe('300');
    await cell('save-rules').click();
    await page.getByText('积分规则已保存').waitFor();
    await screenshot(page, 'admin-loyalty-rules-after', { fullPage: true });

    const tiers = (await apiCall('GET', '/admin/tiers')).body.tiers as Array<{ code: string; minSpendFen: number; pointsMultiplier: number }>;
    expect(tiers.find((t) => t.code === 'gold')).toMatchObject({ minSpendFen: 150_000, pointsMultiplier: 1.8 });
    const rules = (await apiCall('GET', '/admin/earn-rules')).body as { campaigns: Array<{ multiplier: number; weekdays: number[]; enabled: boolean }> };
    expect(rules.campaigns.at(-1)).toMatchObject({ multiplier: 3, weekdays: [3], enabled: true });

    // A threshold below the tier beneath is refused in place, in Chinese, and nothing is saved.
    await cell('threshold-platinum').fill('100');
    await cell('save-tiers').click();
    await cell('tiers-error').waitFor();
    expect(await cell('tiers-error').innerText()).toContain('铂金卡 门槛：门槛须比下一级更高');
    // A threshold out of order does not change what ¥100 earns: the preview keeps its figures.
    expect(await cell('preview-platinum-base').innerText()).toBe('200');
    await screenshot(page, 'admin-loyalty-rules-refused');
    expect((await apiCall('GET', '/admin/tiers')).body.tiers.find((t: { code: string }) => t.code === 'platinum').minSpendFen).toBe(1_000_000);
    expect(session.pageErrors).toEqual([]);
  }, 90_000);

  it('a code batch shows its name and purpose, and HQ voids it with a reason', async () => {
    const templates = (await apiCall('GET', '/admin/coupon-templates?status=active')).body.items as Array<{ id: string }>;
    const created = await apiCall('POST', '/admin/redemption-code-batches', {
      templateId: templates[0]!.id,
      count: 20,
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      name: '春节礼盒兑换码',
      purpose: '印在春节礼盒内卡上，每盒一张',
    });
    expect(created.status).toBe(201);

    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await signIn(session);
    await goTo(session, '/code-batches');
    await page.getByText('春节礼盒兑换码').waitFor();
    expect(await page.getByText('印在春节礼盒内卡上，每盒一张').count()).toBe(1);
    expect(await page.getByText(created.body.id).count()).toBe(0); // no ObjectId on screen
    await screenshot(page, 'admin-loyalty-rules-batches');

    await page.getByTestId(`void-${created.body.id}`).click();
    await page.getByTestId('confirm-void').click();
    await page.getByText('请填写作废原因').waitFor();
    await page.getByTestId('void-reason').fill('礼盒延期上市，卡片作废重印');
    await page.getByTestId('confirm-void').click();
    await page.getByText('已作废「春节礼盒兑换码」').waitFor();
    await page.locator('.ant-tag', { hasText: '已作废' }).first().waitFor();
    await page.locator('.ant-modal-wrap').waitFor({ state: 'hidden' });
    await screenshot(page, 'admin-loyalty-rules-voided');
    const batch = (await apiCall('GET', '/admin/redemption-code-batches')).body.items.find((b: { id: string }) => b.id === created.body.id);
    expect(batch).toMatchObject({ status: 'voided', voidReason: '礼盒延期上市，卡片作废重印' });
    expect(session.pageErrors).toEqual([]);
  }, 60_000);
});
