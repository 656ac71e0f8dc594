// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the types of the card encoder’s jsbarcode import live with the mini-program
/// <reference path="../miniprogram/types/jsbarcode.d.ts" />
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { code128Runs } from '../miniprogram/src/lib/barcode';
import { qrMatrix } from '../miniprogram/src/lib/qr';
import { CHROMIUM_ARGS, launchBrowser, openPage, startDemo } from './support/demo';
import { H5, button, input, shown, snap, text } from './support/taro';

// The counter in the H5 build, in chromium at a small phone's size against the demo server: a clerk types a
// member's 18-digit code, sees the member panel with the coupons usable here, ticks one, keys in the amount and
// the till's receipt number, and confirms once: coupon redeemed, purchase booked on the net amount, points
// earned. Then the camera: chromium is fed a video of the member's QR code (and of the card's Code128 barcode),
// drawn by the card's own encoders, and the scanner opens the same panel; with the camera refused the clerk is
// told why in Chinese and types instead. Screenshots land in test-output/screenshots/ (counter-*).

const SMALL_PHONE = { width: 375, height: 812 };

describe('the counter: one scan, one confirmation (H5)', () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let browser: Browser;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counter-e2e-'));

  async function call(method: string, urlPath: string, body?: unknown, token?: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${demo.url}${urlPath.startsWith('/__') ? '' : '/api/v1'}${urlPath}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = res.status === 204 ? null : await res.json();
    if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  /** A member who joined through the emulator's WeChat sign-in, with the seeded 满100减20 coupon and a Beijing-only one granted by HQ. */
  async function memberWithCoupon(nickname: string): Promise<{ token: string; memberId: string }> {
    const { code } = await call('POST', '/__emulator/h5/login-code', { nickname });
    const { token } = await call('POST', '/auth/wechat', { code });
    const member = await call('POST', '/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }, token);
    await call('PATCH', '/me/profile', { name: '王小明' }, token);
    const hq = (await call('POST', '/auth/admin', { username: 'hq', password: 'hq-demo-pass' })).token;
    const templates = await call('GET', '/admin/coupon-templates?limit=100', undefined, hq);
    const template = templates.items.find((t: { title: string }) => t.title === '满100减20');
    await call('POST', `/admin/coupon-templates/${template.id}/grants`, { memberId: member.id }, hq, { 'Idempotency-Key': randomUUID() });
    const beijing = await call(
      'POST',
      '/admin/coupon-templates',
      { title: '北京店专享', type: 'cash', minSpendFen: 5_000, amountOffFen: 1_000, validDays: 30, totalQuantity: 100, perMemberLimit: 1, storeIds: ['BJ01'] },
      hq,
    );
    await call('POST', `/admin/coupon-templates/${beijing.id}/grants`, { memberId: member.id }, hq, { 'Idempotency-Key': randomUUID() });
    return { token, memberId: member.id };
  }

  async function clerkPage(into: Browser): Promise<{ page: Page; pageErrors: string[] }> {
    const opened = await openPage(into, SMALL_PHONE);
    opened.page.setDefaultTimeout(15_000);
    await opened.page.goto(`${demo.url}${H5}/pages/staff/login`);
    await input(opened.page, '账号').fill('sh01-clerk');
    await input(opened.page, '密码').fill('staff-demo-pass');
    await button(opened.page, '登录').click();
    await text(opened.page, '扫描顾客出示的码').waitFor();
    return opened;
  }

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('types the member’s 18 digits, ticks the coupon shown as usable here, and confirms once', async () => {
    const { token } = await memberWithCoupon('counter-typist');
    const { page, pageErrors } = await clerkPage(browser);
    await snap(page, 'counter-1-scan');

    const { numericCode } = await call('GET', '/me/member-code', undefined, token);
    await input(page, '输入或粘贴').fill(numericCode);
    // Typed digits read back in groups of four, as the member's screen shows them.
    await expect(input(page, '输入或粘贴').inputValue()).resolves.toBe(numericCode.replace(/(\d{4})(?=\d)/g, '$1 '));
    await button(page, '识别').click();
    await text(page, '王**').waitFor();
    await text(page, '首次到店').waitFor();
    await text(page, '会员持有的券').waitFor();
    // Another store's coupon is listed with why it cannot be used here, and cannot be ticked.
    await shown(page, '.counter-coupon--off').filter({ hasText: '北京店专享' }).filter({ hasText: '本店不可用' }).waitFor();
    await snap(page, 'counter-2-panel');

    await shown(page, '.counter-coupon').filter({ hasText: '北京店专享' }).click();
    await input(page, '消费金额').fill('80');
    await input(page, '小票号').fill('SH01-20261203-0042');
    await shown(page, '.counter-coupon').filter({ hasText: '满100减20' }).click();
    // Below the coupon's minimum: said next to it, and 确认 waits until it is unticked or the amount is right.
    await text(page, /^未满 ¥100/).waitFor();
    await expect(shown(page, '.counter-coupon--on').count()).resolves.toBe(1);
    await snap(page, 'counter-3a-below-minimum');
    await input(page, '消费金额').fill('1731.50');
    // The net amount and the points follow the ticks live, by the rules the server books with.
    await shown(page, '.counter-total__net').filter({ hasText: /^¥1,711\.50$/ }).waitFor();
    await text(page, '本次可得积分 +1711').waitFor();
    await snap(page, 'counter-3-ticked', true);

    const started = Date.now();
    const confirmed = page.waitForResponse((res) => res.url().endsWith('/api/v1/staff/checkout'));
    await button(page, '确认').click();
    const response = await confirmed;
    expect(response.status()).toBe(200);
    await text(page, /^结算成功/).waitFor();
    const confirmMs = Date.now() - started;
    await text(page, /^已记录消费 ¥1,711\.50，本次积分 \+1711，会员当前积分 1711/).waitFor();
    await shown(page, '.counter-result__points').filter({ hasText: /^\+1711$/ }).waitFor();
    await text(page, /^满100减20/).waitFor();
    await snap(page, 'counter-4-result', true);
    expect(confirmMs).toBeLessThan(5_000);

    // What the server booked: the coupon used once, the purchase on the net amount under the till's number.
    // The member's next visit: the panel shows when they came and what they bought.
    const again = await call('GET', '/me/member-code', undefined, token);
    await input(page, '输入或粘贴').fill(again.numericCode);
    await button(page, '识别').click();
    await text(page, '最近消费').waitFor();
    await shown(page, '.row').filter({ hasText: '¥1,711.50' }).waitFor();
    await snap(page, 'counter-4b-returning');

    const coupons = await call('GET', '/me/coupons?status=used', undefined, token);
    expect(coupons.items.map((c: { title: string }) => c.title)).toEqual(['满100减20']);
    const me = await call('GET', '/me', undefined, token);
    expect(me.pointsBalance).toBe(1711);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  /**
   * A y4m video (what chromium's fake camera plays, in a loop) of black-on-white modules: one frame per `dark(x, y)`
   * drawing, each shown for a tenth of a second.
   */
  function y4m(file: string, frames: Array<(x: number, y: number) => boolean>, width = 640, height = 480): void {
    const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
    const encoded = frames.map((dark) => {
      const luma = Buffer.alloc(width * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) luma[y * width + x] = dark(x, y) ? 16 : 235;
      return Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
    });
    fs.writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), ...encoded]));
  }

  /**
   * The member's QR code as a hand-held phone shows it to the camera: a little nearer or further and tilted a few
   * degrees from frame to frame. A perfectly still, square-on picture is what a camera never sees, and zxing's
   * finder misses about one such picture of a code in 20 at every size (the same code tilted is read): a video of
   * one still frame would test the decoder's luck with that minute's code, not the scanner.
   */
  function qrVideo(file: string, payload: string): void {
    const { size, rows } = qrMatrix(payload);
    const moduleDark = rows.map((runs) => runs.flatMap((run) => Array(run.width).fill(run.dark) as boolean[]));
    const held = (modulePx: number, degrees: number) => {
      const cos = Math.cos((degrees * Math.PI) / 180);
      const sin = Math.sin((degrees * Math.PI) / 180);
      return (x: number, y: number) => {
        const col = Math.floor(((x - 320) * cos + (y - 240) * sin) / modulePx + size / 2);
        const row = Math.floor((-(x - 320) * sin + (y - 240) * cos) / modulePx + size / 2);
        return row >= 0 && row < size && col >= 0 && col < size && moduleDark[row]![col]!;
      };
    };
    const modulePx = 360 / (size + 8);
    y4m(file, [held(modulePx, 0), held(modulePx * 0.95, -4), held(modulePx * 1.05, 3), held(modulePx, 7), held(modulePx * 0.97, -8), held(modulePx * 1.03, 5)]);
  }

  function barcodeVideo(file: string, payload: string): void {
    const bars = code128Runs(payload).flatMap((run) => Array(run.width).fill(run.dark) as boolean[]);
    const scale = Math.max(1, Math.floor(560 / (bars.length + 20)));
    const left = Math.floor((640 - bars.length * scale) / 2);
    y4m(file, [
      (x, y) => {
        const i = Math.floor((x - left) / scale);
        return y > 160 && y < 320 && i >= 0 && i < bars.length && bars[i]!;
      },
    ]);
  }

  async function cameraBrowser(video: string): Promise<Browser> {
    return chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
    });
  }

  it('reads the member’s QR code and the card’s barcode from the camera and opens the member panel', async () => {
    const { token } = await memberWithCoupon('counter-camera');
    // The live view while nothing readable is in front of the camera.
    const blank = path.join(tmp, 'nothing.y4m');
    y4m(blank, [() => false]);
    const idle = await cameraBrowser(blank);
    try {
      const { page } = await clerkPage(idle);
      await button(page, '扫一扫').click();
      await text(page, /^对准顾客的会员码/).waitFor();
      await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement | null)?.readyState === 4);
      await snap(page, 'counter-5-camera');
    } finally {
      await idle.close();
    }
    for (const [kind, draw] of [
      ['qr', qrVideo],
      ['barcode', barcodeVideo],
    ] as const) {
      // The code turns over every minute: drawn just before the camera opens.
      const { code } = await call('GET', '/me/member-code', undefined, token);
      const video = path.join(tmp, `${kind}.y4m`);
      draw(video, code);
      const cameraChromium = await cameraBrowser(video);
      try {
        const { page, pageErrors } = await clerkPage(cameraChromium);
        await button(page, '扫一扫').click();
        // Decoded and handed over: the scanner closes and the member's panel opens.
        await text(page, '会员持有的券').waitFor({ timeout: 20_000 });
        await text(page, '王**').waitFor();
        if (kind === 'qr') await snap(page, 'counter-6-camera-panel');
        expect(pageErrors).toEqual([]);
      } finally {
        await cameraChromium.close();
      }
    }
  }, 90_000);

  it('with the camera refused or missing, says why in Chinese and the clerk types the code instead', async () => {
    const { token } = await memberWithCoupon('counter-no-camera');
    const video = path.join(tmp, 'blank.y4m');
    y4m(video, [() => false]);
    // A camera is there but the permission is not given: chromium refuses as a clerk who tapped 不允许.
    const refusing = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
    });
    try {
      const { page, pageErrors } = await clerkPage(refusing);
      await button(page, '扫一扫').click();
      await text(page, /^没有摄像头权限：请在浏览器设置里允许本页使用摄像头/).waitFor();
      await snap(page, 'counter-7-camera-refused');
      await button(page, '改为输入').click();
      const { numericCode } = await call('GET', '/me/member-code', undefined, token);
      await input(page, '输入或粘贴').fill(numericCode);
      await button(page, '识别').click();
      await text(page, '会员持有的券').waitFor();
      expect(pageErrors).toEqual([]);
    } finally {
      await refusing.close();
    }
    // No camera at all (the plain headless chromium): a refusal in Chinese too, and the typing path stays.
    const { page, pageErrors } = await clerkPage(browser);
    await button(page, '扫一扫').click();
    await shown(page, '.counter-camera__failure').filter({ hasText: /摄像头.*18 位数字/ }).waitFor();
    await input(page, '输入或粘贴').waitFor();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
