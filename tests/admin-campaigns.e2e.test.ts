import { Types } from 'mongoose';
import type { Browser } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { launchBrowser, screenshot, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';

// A campaign from a saved segment, scheduled in China time, with a holdout, and its results page, in real
// chromium against the demo server at 1440×900. Screenshots land in test-output/screenshots/admin-campaigns-*.png.

describe('campaigns from a saved segment, scheduled, with results against the holdout', () => {
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

  const api = apiAt(() => demo.url);

  it('creates a scheduled campaign from a saved segment, reschedules it, and reads its lift once launched', async () => {
    const { token } = await api<{ token: string }>('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } });
    // 600 members over two stores and none (fixtures), a saved segment over them, and a coupon template.
    const { models } = demo.services;
    const at = new Date();
    const memberIds = Array.from({ length: 600 }, () => new Types.ObjectId());
    await models.members.collection.insertMany(
      memberIds.map((_id, i) => ({
        _id, status: 'active', openid: null, cardNo: `7${String(i).padStart(11, '0')}`, homeStoreId: i % 3 === 0 ? 'SH01' : i % 3 === 1 ? 'BJ01' : null,
        profileComplete: false, tier: i % 4 === 0 ? 'gold' : 'silver', pointsBalance: 0, spend12mFen: 0, lastPurchaseAt: null, tags: ['e2e-camp'], joinedAt: at, createdAt: at,
      })),
    );
    await api('POST', '/admin/segments', { token, body: { name: 'E2E 回访人群', segment: { tags: ['e2e-camp'] } } });
    await api('POST', '/admin/coupon-templates', { token, body: { title: 'E2E 满100减20', type: 'cash', minSpendFen: 10_000, amountOffFen: 2_000, validDays: 30, totalQuantity: 10_000, perMemberLimit: 1 } });

    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await signIn(session);
    await goTo(session, '/campaigns/new');
    await page.getByTestId('campaign-name').fill('E2E 回访满减');
    await page.getByTestId('campaign-template').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'E2E 满100减20' }).first().click();
    await page.getByTestId('audience-from').getByText('使用已保存人群').click();
    await page.getByTestId('campaign-saved-segment').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'E2E 回访人群' }).first().click();
    await page.getByTestId('create-campaign').filter({ hasText: '600 人' }).waitFor();
    expect(await page.getByTestId('campaign-holdout').inputValue()).toBe('10.0');
    await page.getByTestId('campaign-when').getByText('定时发起').click();
    await page.getByTestId('campaign-launch-at').click();
    await page.getByTestId('campaign-launch-at').fill('2099-06-01 10:00');
    await page.keyboard.press('Enter');
    await page.getByTestId('campaign-name').click(); // closes the picker
    await page.locator('.ant-picker-dropdown:not(.ant-picker-dropdown-hidden)').waitFor({ state: 'detached' }).catch(() => undefined);
    await page.waitForTimeout(300);
    await screenshot(page, 'admin-campaigns-new-scheduled');
    await page.getByTestId('create-campaign').click();
    await page.waitForURL(/#\/campaigns\/(?!new)[^/]+$/);
    const campaignId = decodeURIComponent(page.url().split('#/campaigns/')[1] ?? '');

    // Scheduled for 10:00 China time (02:00 UTC), whatever the browser's zone.
    await page.getByTestId('campaign-schedule').waitFor();
    expect(await page.getByTestId('campaign-schedule').innerText()).toContain('2099-06-01 10:00');
    const scheduled = await api('GET', `/admin/campaigns/${campaignId}`, { token });
    expect(scheduled).toMatchObject({ status: 'scheduled', launchAt: '2099-06-01T02:00:00.000Z', holdoutShare: 0.1, source: { name: 'E2E 回访人群' } });
    await screenshot(page, 'admin-campaigns-scheduled');

    // Rescheduled in the dialog.
    await page.getByTestId('schedule-campaign').click();
    await page.getByTestId('schedule-at').click();
    await page.getByTestId('schedule-at').fill('2099-06-02 09:30');
    await page.keyboard.press('Enter');
    await page.locator('.ant-modal-footer .ant-btn-primary').click();
    await page.getByTestId('campaign-schedule').filter({ hasText: '2099-06-02 09:30' }).waitFor();
    expect((await api('GET', `/admin/campaigns/${campaignId}`, { token })).launchAt).toBe('2099-06-02T01:30:00.000Z');

    // Its time comes (moved to the past here), and the launch job launches it.
    await models.campaigns.updateOne({ _id: new Types.ObjectId(campaignId) }, { $set: { launchAt: new Date(Date.now() - 1000) } });
    expect(await demo.services.campaigns.launchDue()).toEqual({ processed: 1 });
    await page.reload();
    await page.locator('[data-testid="campaign-progress"].ant-progress-status-success').waitFor({ timeout: 60_000 });

    // Purchases after the launch: a third of the targeted members and a fifth of the holdout came back.
    const audience = await models.campaignAudience.find({ campaignId: new Types.ObjectId(campaignId) }).lean();
    expect(audience).toHaveLength(600);
    const held = audience.filter((m) => m.holdout);
    expect(held.length).toBeGreaterThan(30);
    const buyAt = new Date(Date.now() - 500);
    const buyers = [...audience.filter((m) => !m.holdout).filter((_, i) => i % 3 === 0), ...held.filter((_, i) => i % 5 === 0)];
    await models.purchases.collection.insertMany(
      buyers.map((m, i) => ({
        memberId: m.memberId, storeId: 'SH01', orderNo: `E2E-${i}`, amountFen: 12_000 + (i % 7) * 1_000, lines: [], pointsEarned: 0, ledgerEntryId: null, balanceAfter: 0,
        tierBefore: m.tier, tierAfter: m.tier, staffId: 'e2e', createdAt: buyAt, status: 'booked', inSpendWindow: false, reversal: null,
      })),
    );
    await page.reload();
    const reading = page.getByTestId('lift-reading');
    await reading.waitFor();
    const text = await reading.innerText();
    expect(text).toMatch(/领券会员的到店率比对照组高 \d+\.\d 个百分点（95% 区间 -?\d+\.\d ~ -?\d+\.\d）/);
    expect(text).toMatch(/人均消费比对照组多 ¥/);
    await page.getByTestId('chart-by-store').locator('canvas').waitFor();
    const byStore = await page.getByTestId('results-by-store').innerText();
    expect(byStore).toContain('未指定门店');
    expect(byStore).not.toMatch(/\bnone\b/);
    await screenshot(page, 'admin-campaigns-results');
    await screenshot(page, 'admin-campaigns-results-full', { fullPage: true });
    await page.getByTestId('results-split').getByText('按等级').click();
    await page.getByTestId('results-by-tier').waitFor();
    expect(await page.getByTestId('results-by-tier').innerText()).toMatch(/金卡|银卡/);
    // The same page under the English switch.
    await page.getByTestId('lang-switch').getByText('EN').click();
    await page.getByTestId('lift-reading').filter({ hasText: 'percentage points' }).waitFor();
    expect(await page.getByTestId('lift-reading').innerText()).toMatch(/Targeted members' visit rate is \d+\.\d percentage points above the holdout's \(95% interval/);
    await screenshot(page, 'admin-campaigns-results-en');
    await page.getByTestId('lang-switch').getByText('中文').click();
    await goTo(session, '/campaigns');
    await page.getByTestId('campaigns-table').getByText('E2E 回访满减').waitFor();
    await screenshot(page, 'admin-campaigns-list');
    expect(session.pageErrors).toEqual([]);
  }, 150_000);
});
