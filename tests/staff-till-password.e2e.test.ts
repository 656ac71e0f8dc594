import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, startDemo } from './support/demo';
import { H5, button, input, snap, text } from './support/taro';

// The till's sign-in in the H5 mini-program for an account HQ created: its password is a handover, so the
// clerk chooses their own before the till opens (the server refuses everything else with
// PASSWORD_CHANGE_REQUIRED), and signing out ends the session on the server, not only on the phone.
// Screenshots land in test-output/screenshots/ (mp-till-password-*).

const SMALL_PHONE = { width: 375, height: 812 };

describe('mini-program H5: a clerk HQ created signs in to the till', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;

  async function call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${demo.url}/api/v1${path}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  }

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('chooses a new password first (a common one is refused in Chinese), then works the till; 退出 ends the session on the server', async () => {
    const hq = (await call('POST', '/auth/admin', { username: 'hq', password: 'hq-demo-pass' })).body.token as string;
    const handover = 'Handover-2026-kq';
    const created = await call('POST', '/admin/staff', { username: 'till-newbie', name: '新店员', role: 'clerk', storeId: 'SH01', password: handover }, hq);
    expect(created.status).toBe(201);

    const { page, pageErrors } = await openPage(browser, SMALL_PHONE);
    page.setDefaultTimeout(10_000);
    await page.goto(`${demo.url}${H5}/pages/staff/login`);
    await input(page, '账号').fill('till-newbie');
    await input(page, '密码').fill(handover);
    await button(page, '登录').click();
    await text(page, '设置新密码').waitFor();
    await text(page, '新店员，您的密码由总部设置，请先换成只有您知道的新密码，再使用收银台工具。').waitFor();

    await input(page, '新密码').fill('password123');
    await input(page, '再次输入新密码').fill('password123');
    await button(page, '确认并进入收银台').click();
    await text(page, '密码太常见或太容易猜到，请换一个').waitFor();
    await snap(page, 'mp-till-password-1-refused');

    const chosen = 'Quiet-river-4821';
    await input(page, '新密码').fill(chosen);
    await input(page, '再次输入新密码').fill(`${chosen}x`);
    await button(page, '确认并进入收银台').click();
    await text(page, '两次输入的新密码不一致').waitFor();
    await input(page, '再次输入新密码').fill(chosen);
    await button(page, '确认并进入收银台').click();
    await text(page, '扫描顾客出示的码').waitFor();
    await snap(page, 'mp-till-password-2-till');

    // The handover password is gone; the chosen one signs in with nothing left to change.
    expect((await call('POST', '/auth/staff', { username: 'till-newbie', password: handover })).status).toBe(401);
    expect((await call('POST', '/auth/staff', { username: 'till-newbie', password: chosen })).body.mustChangePassword).toBe(false);

    // The till's session: its tokens work until 退出, which ends them on the server too.
    const stored = JSON.parse((await page.evaluate(() => localStorage.getItem('membercard.staff'))) ?? 'null') as
      | { data?: { token: string; refreshToken: string }; token?: string; refreshToken?: string }
      | null;
    const tokens = stored?.data ?? (stored as { token: string; refreshToken: string } | null);
    expect(tokens?.refreshToken).toBeTruthy();
    expect((await call('GET', '/staff/me', undefined, tokens!.token)).status).toBe(200);
    await text(page, '退出').click();
    await text(page, '店员登录').waitFor();
    expect((await call('POST', '/auth/refresh', { refreshToken: tokens!.refreshToken })).status).toBe(401);
    expect((await call('GET', '/staff/me', undefined, tokens!.token)).status).toBe(401);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
