import { launchBrowser, openPage, screenshot, startDemo } from './support/demo';

// The demo as a fresh clone runs it: one port serving the API, the console and the H5 app.
describe('demo mode', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  beforeAll(async () => {
    demo = await startDemo();
  });
  afterAll(async () => {
    await demo.close();
  });

  it('answers health, serves the OpenAPI document, the console and the H5 app', async () => {
    const health = await fetch(`${demo.url}/healthz`).then((r) => r.json() as Promise<any>);
    expect(health).toEqual({ status: 'ok', db: 'ok' });
    const openapi = await fetch(`${demo.url}/api/v1/openapi.json`).then((r) => r.json() as Promise<any>);
    expect(Object.keys(openapi.paths)).toContain('/api/v1/auth/wechat');
    for (const prefix of ['/admin/', '/h5/']) {
      const res = await fetch(`${demo.url}${prefix}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/<div id="(root|app)"/);
    }
  });

  it('renders the console sign-in page in chromium without page errors', async () => {
    const browser = await launchBrowser();
    try {
      const { page, pageErrors } = await openPage(browser, { width: 1440, height: 900 });
      await page.goto(`${demo.url}/admin/`);
      await page.waitForSelector('input[type="password"]', { timeout: 20_000 });
      await screenshot(page, 'smoke-admin-login');
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
