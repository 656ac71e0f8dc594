import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startMembercard, type RunningMembercard } from '../../server/src/bootstrap';
import { loadConfig } from '../../server/src/config';
import { seedDemoData, type DemoSeedScale } from '../../server/src/demo/seed';

// End-to-end tests run the product exactly as `npm start` does in demo mode (embedded database in a
// fresh data dir, WeChat emulator, seeded demo data, the built console under /admin/ and H5 under /h5/),
// or against MONGODB_URI when set, on a free port; and drive it with Debian's chromium. Tests start from the
// minimal demo (fast: stores, accounts, two templates, two activities); `seed: 'brand'` seeds the full demo
// brand `npm start` opens on (about 2,000 members and their year; tens of seconds).

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-output', 'screenshots');

export async function startDemo({ seed = 'minimal' }: { seed?: DemoSeedScale } = {}): Promise<RunningMembercard & { dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'membercard-e2e-'));
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', MEMBERCARD_DATA_DIR: dataDir, LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
  const logger = pino({ level: 'silent' });
  const running = await startMembercard({ config, logger, emulator: true });
  await seedDemoData(running.services, logger, { scale: seed });
  return {
    ...running,
    dataDir,
    async close() {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A page that records uncaught errors, so a test can assert none happened. */
export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number },
): Promise<{ context: BrowserContext; page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { context, page, pageErrors };
}

/** The viewport as the user sees it, or with `fullPage` the whole scrollable page (for long screens). */
export async function screenshot(page: Page, name: string, { fullPage = false }: { fullPage?: boolean } = {}): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}
