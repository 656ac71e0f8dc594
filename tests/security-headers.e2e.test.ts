import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import type { Browser, Page } from 'playwright-core';
import { signIn, type ConsoleSession } from '../admin/e2e/console';
import { securityHeaders } from '../server/src/lib/securityHeaders';
import { launchBrowser, openPage, REPO_ROOT, screenshot, startDemo } from './support/demo';
import { button, input, PHONE, text } from './support/taro';

// The security headers in real chromium against the demo server as `npm start` runs it: the console and the
// H5 app load, sign in and show their main screens under the Content-Security-Policy with not one violation
// (each page reports `securitypolicyviolation` events and CSP console messages to the test), and every kind
// of answer (page, asset, API, error, emulator) carries the headers. Screenshots land in
// test-output/screenshots/security-*.png.

/** Collects CSP violations from a page, across navigations: the DOM event and chromium's console message. */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction('__reportCspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation(
        `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`,
      );
    });
  });
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
  return violations;
}

function expectCommonHeaders(headers: Record<string, string>): void {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  const csp = headers['content-security-policy'] ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain('unsafe-eval');
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  // The demo runs over plain http: no HSTS and no upgrade (they would send the browser to an https port).
  expect(headers['strict-transport-security']).toBeUndefined();
  expect(csp).not.toContain('upgrade-insecure-requests');
}

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers.entries());
}

describe('security headers on the console, the H5 app and the API', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('the console loads, signs HQ in and draws its dashboard with no CSP violation', async () => {
    const { context, page, pageErrors } = await openPage(browser, { width: 1440, height: 900 });
    const violations = await watchCsp(page);
    const session: ConsoleSession = { page, pageErrors: [], baseUrl: demo.url };
    const first = await session.page.goto(`${demo.url}/admin/`);
    expectCommonHeaders(first!.headers());
    // The console's page has no inline script: nothing but this origin may run.
    expect(first!.headers()['content-security-policy']).toMatch(/script-src 'self'\s*;/);
    await signIn(session, 'hq');
    await session.page.goto(`${demo.url}/admin/#/dashboard`);
    await session.page.locator('[data-testid="chart-growth"] canvas').first().waitFor({ timeout: 20_000 });
    await session.page.goto(`${demo.url}/admin/#/members`);
    await session.page.locator('.ant-table').first().waitFor();
    await session.page.goto(`${demo.url}/admin/#/coupons/new`);
    await session.page.getByTestId('coupon-preview').waitFor();
    await session.page.waitForTimeout(500);
    await screenshot(session.page, 'security-admin-coupon-editor');
    await session.page.goto(`${demo.url}/admin/#/dashboard`);
    await session.page.locator('[data-testid="chart-growth"] canvas').first().waitFor({ timeout: 20_000 });
    await session.page.waitForTimeout(1_200); // ECharts animates its first draw on its own timer
    await screenshot(session.page, 'security-admin-dashboard');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);

    // The listener does see a violation when there is one: an injected inline script is refused.
    await session.page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.body.append(script);
    });
    for (let tries = 0; tries < 50 && violations.length === 0; tries++) await page.waitForTimeout(100);
    expect(violations.join('\n')).toMatch(/script-src(-elem)? blocked inline|Executing inline script violates/);
    expect(await session.page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
    await context.close();
  }, 120_000);

  it('the H5 app loads (its inline script allowed by hash), signs a shopper in and shows the card with its codes, with no CSP violation', async () => {
    const { context, page, pageErrors } = await openPage(browser, PHONE);
    const violations = await watchCsp(page);
    page.setDefaultTimeout(15_000);
    const first = await page.goto(`${demo.url}/h5/`);
    const headers = first!.headers();
    expectCommonHeaders(headers);
    // Taro's root-font-size script is inline in index.html: allowed by its sha256, and only it.
    const html = fs.readFileSync(path.join(REPO_ROOT, 'miniprogram/dist/h5/index.html'), 'utf8');
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]!);
    expect(inline.length).toBeGreaterThan(0);
    for (const script of inline) {
      expect(headers['content-security-policy']).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    }
    // The app started (a guest sees the programme, or the sign-in page) and the inline script ran: it set the
    // root font size from the viewport (390 px wide → 20.8 px).
    const guestHome = text(page, '会员等级与权益');
    await guestHome.or(input(page, '输入昵称')).first().waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => document.documentElement.style.fontSize)).toBe('20.8px');
    await screenshot(page, 'security-h5-start');

    if (await guestHome.isVisible()) await button(page, '登录并开卡').click();
    await input(page, '输入昵称').fill('csp-shopper');
    await button(page, '登录').click();
    await text(page, '开通会员卡').waitFor();
    await text(page, /我已阅读并同意/).click();
    await button(page, '立即开卡').click();
    await text(page, /结账时向店员出示/).waitFor();
    await page.locator('.taro_page .code-box__digits').filter({ visible: true }).waitFor();
    await page.waitForTimeout(800);
    await screenshot(page, 'security-h5-card');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 120_000);

  it('every kind of answer carries the headers: assets, API answers, API errors, the emulator', async () => {
    const indexHtml = fs.readFileSync(path.join(REPO_ROOT, 'admin/dist/index.html'), 'utf8');
    const asset = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(indexHtml)![1]!;
    for (const url of [asset, '/api/v1/app-config', '/api/v1/me', '/api/v1/no/such/route', '/healthz', '/readyz', '/__emulator/stats']) {
      const response = await fetch(`${demo.url}${url}`);
      expect({ url, ok: response.status < 500 }).toEqual({ url, ok: true });
      expectCommonHeaders(headersOf(response));
    }
  });
});

describe('HSTS only over https', () => {
  /** The middleware alone on a real HTTP server, as configured for an https and a plain http PUBLIC_BASE_URL. */
  async function headersWith(https: boolean): Promise<Record<string, string>> {
    const app = new Koa();
    app.use(securityHeaders({ https }));
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      return headersOf(response);
    } finally {
      server.close();
    }
  }

  it('sends Strict-Transport-Security and upgrade-insecure-requests when PUBLIC_BASE_URL is https, neither otherwise', async () => {
    const secure = await headersWith(true);
    expect(secure['strict-transport-security']).toBe('max-age=31536000');
    expect(secure['content-security-policy']).toContain('upgrade-insecure-requests');
    const plain = await headersWith(false);
    expect(plain['strict-transport-security']).toBeUndefined();
    expect(plain['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(plain['x-content-type-options']).toBe('nosniff');
  });
});
