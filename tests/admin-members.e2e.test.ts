import fs from 'node:fs';
import { Types } from 'mongoose';
import type { Browser } from 'playwright-core';
import { goTo, openConsole, signIn } from '../admin/e2e/console';
import { launchBrowser, screenshot, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';

// The members page in real chromium against the demo server at 1440×900: filters with the total, bulk tagging,
// an export downloaded through the progress dialog, the legacy import's dry run and confirm, and a member's page
// with the coupon grant and tags. Screenshots land in test-output/screenshots/admin-members-*.png.

describe('HQ works the member base from the console', () => {
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

  it('filters, tags, exports and imports members, and grants one member a coupon', async () => {
    const { token } = await api<{ token: string }>('POST', '/auth/admin', { body: { username: 'hq', password: 'hq-demo-pass' } });
    // 40 members over two stores (fixtures): every 4th gold, some with recent visits.
    const { models } = demo.services;
    const now = Date.now();
    const surnames = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄'];
    await models.members.collection.insertMany(
      Array.from({ length: 40 }, (_, i) => {
        const name = `${surnames[i % 8]}${['晓雨', '建国', '一鸣', '思琪', '子涵'][i % 5]}`;
        return {
          _id: new Types.ObjectId(), status: 'active', openid: null, cardNo: `6${String(i).padStart(11, '0')}`, homeStoreId: i % 2 ? 'BJ01' : 'SH01',
          name, nameKey: name, phone: `1380000${String(i).padStart(4, '0')}`, profileComplete: false, tier: i % 4 === 0 ? 'gold' : 'silver',
          pointsBalance: 0, spend12mFen: i * 1_000, lastPurchaseAt: i % 3 === 0 ? new Date(now - i * 86_400_000) : null, tags: ['e2e-members'],
          joinedAt: new Date(now - i * 5 * 86_400_000), createdAt: new Date(now - i * 5 * 86_400_000),
        };
      }),
    );
    await api('POST', '/admin/member-tags', { token, body: { name: '回访名单' } });
    await api('POST', '/admin/member-tags', { token, body: { name: 'e2e-members' } });
    const gold = (await api('GET', '/admin/members?tiers=gold&limit=1', { token })).total as number;

    const session = await openConsole(browser, demo.url);
    const { page } = session;
    await signIn(session);
    await goTo(session, '/members');
    await page.getByTestId('member-total').filter({ hasText: /会员共 \d+ 位/ }).waitFor();
    await page.getByTestId('members-table').locator('tbody tr').first().waitFor();
    await screenshot(page, 'admin-members-list');

    // Filters: gold members, then the total says how many.
    await page.getByTestId('filter-tiers').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '金卡' }).first().click();
    await page.keyboard.press('Escape');
    await page.getByTestId('apply-filters').click();
    await page.getByTestId('member-total').filter({ hasText: `符合条件的会员共 ${gold} 位` }).waitFor();
    await screenshot(page, 'admin-members-filtered');

    // Bulk tag: two chosen rows.
    const rows = page.getByTestId('members-table').locator('tbody tr.ant-table-row');
    await rows.nth(0).locator('.ant-checkbox-input').check();
    await rows.nth(1).locator('.ant-checkbox-input').check();
    await page.getByTestId('member-total').filter({ hasText: '已选 2 位' }).waitFor();
    await page.getByTestId('bulk-tag').click();
    await page.getByTestId('tag-select').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '回访名单' }).first().click();
    await screenshot(page, 'admin-members-bulk-tag');
    await page.locator('.ant-modal-footer .ant-btn-primary').filter({ hasText: '确认打标签' }).click();
    await page.locator('.ant-message').filter({ hasText: '已为 2 位会员添加标签' }).waitFor();
    expect((await api('GET', `/admin/members?tags=${encodeURIComponent('回访名单')}`, { token })).total).toBe(2);

    // Export the filtered list as CSV through the progress dialog.
    const downloading = page.waitForEvent('download');
    await page.getByTestId('export-members').hover();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '导出 CSV' }).click();
    const download = await downloading;
    await page.getByTestId('export-progress').filter({ hasText: `已导出 ${gold} 位会员` }).waitFor();
    await screenshot(page, 'admin-members-export');
    const csv = fs.readFileSync((await download.path())!, 'utf8').replace(/^\ufeff/, '').trimEnd().split('\r\n');
    expect(csv[0]).toBe('卡号,姓名,手机号,等级,积分,累计消费(元),归属门店,入会时间,最近消费,标签');
    expect(csv).toHaveLength(gold + 1);
    expect(csv.slice(1).every((line) => line.includes(',金卡,'))).toBe(true);
    // antd spaces out a two-character button label (关 闭).
    await page.locator('.ant-modal-footer button').filter({ hasText: /关\s*闭/ }).click();

    // Import: the dry run lists every bad row; confirming imports the good ones.
    const file = ['卡号,手机号,姓名,生日,等级,积分', 'OLD-1,13900000001,周小川,1988-03-02,金卡,800', 'OLD-2,13900000002,吴敏,,银卡,0', 'OLD-3,123,郑坏号,1990-13-01,钻石,12a', 'OLD-1,13900000003,重复卡,,,'].join('\r\n');
    await page.getByTestId('import-members').click();
    await page.getByTestId('import-modal').locator('input[type=file]').setInputFiles({ name: 'legacy.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await page.getByTestId('import-problems').waitFor();
    const problems = await page.getByTestId('import-problems').locator('tbody tr').allInnerTexts();
    expect(problems.map((p) => p.replace(/\s+/g, ' ').trim())).toEqual([
      expect.stringMatching(/^4 手机号 手机号“123”不是 11 位中国大陆手机号$/),
      expect.stringMatching(/^4 生日 生日“1990-13-01”不是有效日期/),
      expect.stringMatching(/^4 等级 没有名为“钻石”的等级/),
      expect.stringMatching(/^4 积分 积分“12a”应为不小于 0 的整数$/),
      expect.stringMatching(/^5 卡号 与第 2 行的卡号重复$/),
    ]);
    await screenshot(page, 'admin-members-import-dryrun');
    await page.getByTestId('import-confirm').filter({ hasText: '确认导入 2 位会员' }).click();
    await page.getByTestId('import-result').filter({ hasText: '已导入 2 位会员，期初积分共 800' }).waitFor();
    await screenshot(page, 'admin-members-import-done');
    expect(await models.members.countDocuments({ legacyCardNo: { $in: ['OLD-1', 'OLD-2'] } })).toBe(2);
    await page.locator('.ant-modal-footer button').filter({ hasText: /完\s*成/ }).click();

    // A member's page: grant one coupon with a reason; the tags show.
    await page.getByTestId('member-search').fill('周小');
    await page.getByTestId('apply-filters').click();
    await page.getByTestId('members-table').locator('tbody tr.ant-table-row').filter({ hasText: '周小川' }).click();
    await page.getByTestId('member-card').waitFor();
    await page.getByTestId('member-tags').waitFor();
    await page.getByTestId('grant-coupon').click();
    await page.getByTestId('grant-template').click();
    await page.locator('.ant-select-item-option').first().click();
    await page.getByTestId('grant-reason').fill('老会员迁移欢迎礼');
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').waitFor({ state: 'hidden' }).catch(() => undefined);
    await screenshot(page, 'admin-members-grant');
    await page.locator('.ant-modal-footer .ant-btn-primary').filter({ hasText: '确认发放' }).click();
    await page.locator('.ant-message').filter({ hasText: '已发放' }).waitFor();
    await page.getByTestId('member-tag-add').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '回访名单' }).first().click();
    await page.getByTestId('member-tags').getByText('回访名单').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'admin-members-detail');
    const imported = await models.members.findOne({ legacyCardNo: 'OLD-1' }).lean();
    expect(await models.coupons.countDocuments({ memberId: imported!._id, channel: 'grant' })).toBe(1);
    expect(session.pageErrors).toEqual([]);
  }, 180_000);
});
