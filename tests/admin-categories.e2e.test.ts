import type { Browser } from 'playwright-core';
import { goTo, openConsole, readSegmentCount, signIn, type ConsoleSession } from '../admin/e2e/console';
import { posRequest } from '../scripts/pos-client';
import { launchBrowser, screenshot, startDemo } from './support/demo';
import { apiAt } from './support/consoleData';

// Categories, POS keys and category segments in the HQ console (chromium, 1440×900) against the demo server:
// HQ creates a store's POS key and sees its secret once (then signs real till requests with it), manages the
// category list, selects "bought 纸尿裤 within 30 days" in the segment builder, and reads what a member buys on
// their page. Screenshots land in test-output/screenshots/admin-categories-*.png.

describe('categories and POS keys in the console', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;

  const api = apiAt(() => demo.url);

  async function settle(session: ConsoleSession): Promise<void> {
    const { page } = session;
    await page.locator('[data-testid="loading-state"], .ant-skeleton, .ant-spin-spinning').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running'), undefined, { timeout: 5_000 }).catch(() => undefined);
  }

  beforeAll(async () => {
    demo = await startDemo();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('HQ creates a POS key (secret once), manages categories, segments on a category and reads a member’s categories', async () => {
    const hq = await openConsole(browser, demo.url);
    const { page } = hq;
    await signIn(hq);

    // --- POS keys: the secret is shown once, with a warning and a copy button, and works for the till.
    await goTo(hq, '/pos-keys');
    await page.getByTestId('pos-key-table').waitFor();
    await page.getByTestId('pos-key-create').click();
    // Under load the dropdown's option can be clicked while the list still animates and the choice is lost:
    // choose until the field shows the store.
    for (let attempt = 1; ; attempt += 1) {
      await page.getByTestId('pos-key-store').click();
      await page.locator('.ant-select-item-option').filter({ hasText: 'SH01' }).first().click();
      const chosen = page.locator('.ant-modal .ant-select-selection-item').filter({ hasText: 'SH01' });
      if (await chosen.waitFor({ timeout: 5_000 }).then(() => true, () => attempt >= 3)) break;
    }
    await page.getByTestId('pos-key-label').fill('1号收银台');
    await page.getByRole('button', { name: '生成密钥' }).click();
    await page.getByTestId('pos-secret-warning').getByText('密钥只显示这一次').waitFor();
    const keyId = (await page.getByTestId('pos-secret-key-id').innerText()).trim();
    const secret = (await page.getByTestId('pos-secret-value').innerText()).trim();
    expect(keyId).toMatch(/^pk_SH01_[a-f0-9]{16}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    await page.getByTestId('pos-secret-copy').waitFor();
    // It cannot be closed before HQ says it was saved.
    expect(await page.getByTestId('pos-secret-done').isDisabled()).toBe(true);
    await settle(hq);
    await screenshot(page, 'admin-categories-pos-secret');
    await page.getByTestId('pos-secret-saved').click();
    await page.getByTestId('pos-secret-done').click();
    await page.getByTestId('pos-key-table').getByText(keyId).waitFor();
    await page.getByTestId('pos-key-table').getByText('1号收银台').waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.getByTestId('pos-key-table').getByText(keyId).waitFor();
    expect(await page.content()).not.toContain(secret);
    await settle(hq);
    await screenshot(page, 'admin-categories-pos-keys');

    // The till books a member's basket with that key: nappies and fruit.
    const { privacyPolicyVersion } = await api('GET', '/app-config');
    const { token } = await api('POST', '/auth/wechat', { body: { code: 'categories-e2e-parent' } });
    const member = await api('POST', '/me/membership', { body: { acceptTerms: true, privacyPolicyVersion, homeStoreId: 'SH01' }, token });
    const till = { baseUrl: demo.url, keyId, secret };
    const lines = [
      { sku: 'DIAPER-L', name: '纸尿裤 L码', category: 'DIAPERS', qty: 2, unitFen: 8_950, amountFen: 17_900 },
      { sku: 'APPLE', name: '富士苹果', category: 'FRUIT', qty: 4, unitFen: 650, amountFen: 2_600 },
    ];
    const order = await posRequest(till, 'POST', '/pos/orders', { orderNo: `E2E-CAT-${Date.now()}`, memberId: member.id, lines, totalFen: 20_500 });
    expect(order.status).toBe(201);

    // --- Categories: the default set, grouped by life situation; HQ adds one and disables it.
    await goTo(hq, '/categories');
    const table = page.getByTestId('category-table');
    await table.getByText('纸尿裤').waitFor();
    await table.getByText('DIAPERS').first().waitFor();
    await settle(hq);
    await screenshot(page, 'admin-categories-list');
    await page.getByTestId('category-add').click();
    await page.getByTestId('category-code').fill('baby_bath');
    await page.getByTestId('category-name').fill('婴童洗护');
    await page.getByTestId('category-name-en').fill('Baby bath');
    await page.getByTestId('category-situation').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '年轻父母' }).first().click();
    await page.locator('.ant-modal-footer .ant-btn-primary').click();
    await table.getByText('BABY_BATH').waitFor();
    await page.getByTestId('category-switch-BABY_BATH').click();
    await page.getByText('已停用“婴童洗护”', { exact: false }).waitFor();
    const categories = await api<{ items: Array<{ code: string; status: string }> }>('GET', '/admin/categories', {
      token: JSON.parse((await page.evaluate(() => localStorage.getItem('membercard.admin.session'))) ?? '{}').token,
    });
    expect(categories.items.find((c) => c.code === 'BABY_BATH')).toMatchObject({ status: 'disabled' });

    // --- The segment builder: "bought 纸尿裤 within 30 days" is this one member.
    await goTo(hq, '/segments');
    await page.getByTestId('segment-builder').waitFor();
    const everyone = await readSegmentCount(hq);
    await page.getByTestId('segment-bought-category').click();
    await page.keyboard.type('纸尿');
    await page.locator('.ant-select-item-option').filter({ hasText: '纸尿裤' }).first().click();
    await page.getByText('品类和天数都填写后生效').waitFor();
    await page.getByTestId('segment-bought-days').fill('30');
    await page.getByText('30天内买过「纸尿裤」').waitFor();
    await page.waitForTimeout(600); // the preview is debounced by 400 ms
    await page.waitForFunction(() => document.querySelector('[data-testid="segment-count"]')?.textContent?.replace(/\D/g, '') === '1', undefined, { timeout: 10_000 });
    expect(everyone).toBeGreaterThanOrEqual(1);
    await page.getByTestId('segment-category').scrollIntoViewIfNeeded();
    await settle(hq);
    await screenshot(page, 'admin-categories-segment');
    await page.getByTestId('segment-spend-category').click();
    await page.locator('.ant-select-item-option:visible').filter({ hasText: '新鲜水果' }).first().click();
    await page.getByTestId('segment-spend-yuan').fill('27');
    await page.waitForFunction(() => document.querySelector('[data-testid="segment-count"]')?.textContent?.replace(/\D/g, '') === '0', undefined, { timeout: 10_000 });

    // --- The member's page: what they buy, by category.
    await goTo(hq, `/members/${member.id}`);
    const card = page.getByTestId('member-categories');
    await card.getByText('纸尿裤').waitFor();
    await card.getByText('¥179').waitFor();
    await card.getByText('新鲜水果').waitFor();
    await card.getByText('年轻父母').first().waitFor();
    await card.scrollIntoViewIfNeeded();
    await settle(hq);
    await screenshot(page, 'admin-categories-member');
    expect(hq.pageErrors).toEqual([]);
  }, 120_000);
});
