import type { Locator, Page } from 'playwright-core';
import { screenshot } from './demo';

// Driving the Taro H5 build in chromium: Taro renders components as custom elements and keeps the pages
// under the top one in the DOM, so every helper acts on what is on screen.

export const PHONE = { width: 390, height: 844 };
export const H5 = '/h5/#';

export function shown(page: Page, selector: string): Locator {
  return page.locator(`.taro_page ${selector}`).filter({ visible: true });
}

export function text(page: Page, value: string | RegExp): Locator {
  return page.locator('.taro_page').getByText(value, { exact: typeof value === 'string' }).filter({ visible: true }).first();
}

export function button(page: Page, label: string | RegExp): Locator {
  return shown(page, 'taro-button-core').filter({ hasText: typeof label === 'string' ? new RegExp(`^\\s*${label}\\s*$`) : label });
}

export function input(page: Page, placeholderStart: string): Locator {
  return shown(page, `input[placeholder^="${placeholderStart}"]`);
}

export function modal(page: Page): Locator {
  return page.locator('.taro-modal__content').filter({ visible: true });
}

/** Taro's H5 picker is a wheel of rows; a tap on a row (no drag) turns the wheel to it. Then confirm. */
export async function pickInWheel(page: Page, label: string, column = 0): Promise<void> {
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

/** A screenshot once page slides and modal fades have finished, so it shows the page as a shopper sees it. */
export async function snap(page: Page, name: string, fullPage = false): Promise<void> {
  await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running'));
  await screenshot(page, name, { fullPage });
}

/** Waits out a toast. Taro's toast wrapper has no box of its own (its parts are fixed), so look at its style. */
export async function toastGone(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLElement>('.taro__toast')].every((el) => el.style.display === 'none' || getComputedStyle(el).opacity === '0'),
  );
}

/** Opens a page of the app by its route, as a link into the mini-program would. */
export async function openRoute(page: Page, baseUrl: string, route: string): Promise<void> {
  await page.goto(`${baseUrl}${H5}${route}`);
}
