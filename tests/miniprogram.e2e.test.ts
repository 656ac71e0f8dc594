import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, openPage, screenshot, startDemo } from './support/demo';

// The H5 build of the mini-program in real chromium at a phone's size, against the demo server as `npm start`
// runs it: a shopper signs in, joins, completes the profile; a clerk records a purchase and redeems a coupon
// from the codes on the shopper's screen. Screenshots of every page land in test-output/screenshots/.

const PHONE = { width: 390, height: 844 };
const H5 = '/h5/#';

/** Taro renders components as custom elements and keeps hidden pages in the DOM: act on what is shown. */
function shown(page: Page, selector: string): Locator {
  return page.locator(`.taro_page_show ${selector}`);
}
function text(page: Page, value: string | RegExp): Locator {
  return page.locator('.taro_page_show').getByText(value, { exact: typeof value === 'string' }).first();
}
function button(page: Page, label: string | RegExp): Locator {
  return shown(page, 'taro-button-core').filter({ hasText: typeof label === 'string' ? new RegExp(`^\\s*${label}\\s*$`) : label });
}
function input(page: Page, placeholderStart: string): Locator {
  return shown(page, `input[placeholder^="${placeholderStart}"]`);
}

/** Taro's H5 picker is a wheel of rows; a tap on a row (no drag) turns the wheel to it. Then confirm. */
async function pickInWheel(page: Page, label: string, column = 0) {
  const sheet = page.locator('.weui-picker').filter({ visible: true });
  const row = sheet.locator('.weui-picker__group').nth(column).locator('.weui-picker__item', { hasText: new RegExp(`^${label}$`) });
  // The sheet slides up; tap once the row has come to rest on screen. The wheel's shading mask lies over the
  // rows and takes the tap for them, as on a phone, so tap the spot rather than the element.
  let box = await row.boundingBox();
  for (let tries = 0; tries < 40; tries++) {
    await page.waitForTimeout(50);
    const next = await row.boundingBox();
    if (box && next && next.y === box.y && next.y + next.height <= PHONE.height) break;
    box = next;
  }
  await page.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2);
  await sheet.locator('.weui-picker__action', { hasText: '确定' }).click();
}

describe('mini-program H5 against the demo server', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('signs a fresh shopper in and joins, shows the card with its codes, completes the profile', async () => {
    const { page, pageErrors } = await openPage(browser, PHONE);
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}/h5/`);
    // Signed out: the card sends the shopper to sign in (this was a blank page once).
    await input(page, '输入昵称').waitFor({ timeout: 20_000 });
    await screenshot(page, 'mp-01-login');
    await input(page, '输入昵称').fill('xiaoming');
    await button(page, '登录').click();

    await text(page, '开通会员卡').waitFor();
    await text(page, '常去门店').waitFor();
    await screenshot(page, 'mp-02-join');
    await text(page, '请选择（可选）').click();
    await pickInWheel(page, '上海静安店');
    await text(page, '上海静安店').waitFor();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();

    await text(page, /结账时向店员出示/).waitFor({ timeout: 15_000 });
    await screenshot(page, 'mp-03-card');
    // The member code, as a barcode, its digits and a QR, drawn on the phone.
    const codeDigits = (await shown(page, '.code-box__digits').innerText()).trim();
    expect(codeDigits).toMatch(/^M\d{10,}$/);
    await expect(shown(page, '.barcode').count()).resolves.toBe(1);
    await expect(shown(page, '.qr-code').count()).resolves.toBe(1);
    expect((await shown(page, '.qr-code').boundingBox())!.width).toBeGreaterThan(150);
    await expect(text(page, '资料完善度 0%，完善全部资料可得 200 积分 ›').isVisible()).resolves.toBe(true);

    await text(page, '个人资料').click();
    await input(page, '请输入姓名').waitFor();
    await screenshot(page, 'mp-04-profile-empty');
    await input(page, '请输入姓名').fill('王小明');
    await text(page, '请选择').click();
    await pickInWheel(page, '男');
    await text(page, '请选择（仅可设置一次）').click();
    await page.locator('.weui-picker').filter({ visible: true }).locator('.weui-picker__action', { hasText: '确定' }).click();
    await text(page, '1995-01-01').waitFor();
    await input(page, '例如 上海').fill('上海');
    await text(page, '运动').click();
    await text(page, '旅行').click();
    await button(page, '演示绑定').click();
    await text(page, '手机号已绑定').waitFor();
    await text(page, /^138\d{8}$/).waitFor();
    await button(page, '保存资料').click();
    await text(page, '资料已完善，200 积分奖励已发放到您的账户').waitFor();
    await text(page, '奖励已领取').waitFor();
    await screenshot(page, 'mp-05-profile-complete');

    await page.goBack();
    await shown(page, '.card-face').waitFor();
    await shown(page, '.card-face__points-value').filter({ hasText: /^200$/ }).waitFor();
    await expect(text(page, /资料完善度/).isVisible()).resolves.toBe(false);
    await screenshot(page, 'mp-06-card-with-bonus');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
