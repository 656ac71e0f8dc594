import type Router from '@koa/router';
import type { Context } from 'koa';
import QRCode from 'qrcode';
import { parseJsonObject, readRawBody, type EmulatorContext } from './context';

// POST /wxa/getwxacodeunlimit, as WeChat checks it (wechat.md §5): the scene (≤ 32 visible characters of
// a fixed set), the page (no leading '/', no query; with check_path, a page of the published app.json),
// env_version, and a per-minute rate (45009). Success is the image itself. A real mini-program code is
// WeChat's round "sun code" that only WeChat can read; the emulator draws an ordinary QR code that
// carries the same facts, so tests and the demo can read it back.

/** WeChat's documented characters for `scene`. */
const SCENE_PATTERN = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/;
const ENV_VERSIONS = new Set(['release', 'trial', 'develop']);

export interface WxaCodeOptions {
  /** Calls allowed per minute before 45009 (WeChat's is 5000). */
  perMinute?: number;
}

/** What the emulator's code encodes: enough for the demo and tests to act as if WeChat opened the page. */
export function wxaCodeContent(appId: string, page: string, scene: string, envVersion: string): string {
  const query = new URLSearchParams({ appid: appId, page, scene, env_version: envVersion });
  return `membercard-emulator://wxacode?${query.toString()}`;
}

export function registerWxaCodeRoutes(
  router: Router,
  emulator: EmulatorContext,
  access: { checkAccessToken(ctx: Context): boolean },
  wxaOptions: WxaCodeOptions = {},
): void {
  const perMinute = wxaOptions.perMinute ?? 5000;
  // The published app's pages (context.ts; read from the mini-program's app config); null: any page.
  const { pages } = emulator.options;
  let windowStart = 0;
  let windowCount = 0;

  const weChatError = (ctx: Context, errcode: number, errmsg: string) => {
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = { errcode, errmsg };
  };

  router.post('/wxa/getwxacodeunlimit', async (ctx) => {
    if (!access.checkAccessToken(ctx)) return;
    const now = Date.now();
    if (now - windowStart >= 60_000) {
      windowStart = now;
      windowCount = 0;
    }
    windowCount += 1;
    if (windowCount > perMinute) return weChatError(ctx, 45009, 'reach max api daily quota limit');
    const body = parseJsonObject(await readRawBody(ctx));
    if (!body) return weChatError(ctx, 47001, 'data format error');
    const { scene } = body;
    if (typeof scene !== 'string' || !SCENE_PATTERN.test(scene)) {
      return weChatError(ctx, 40169, 'invalid length for scene, or the data is not json');
    }
    // Without a page WeChat opens the app's home page (the first of app.json's pages).
    const page = body.page ?? (pages ? [...pages][0] : 'pages/index/index');
    const checkPath = body.check_path ?? true;
    if (typeof page !== 'string' || !page || page.startsWith('/') || page.includes('?')) return weChatError(ctx, 41030, 'invalid page');
    if (checkPath !== false && pages && !pages.has(page)) return weChatError(ctx, 41030, 'invalid page');
    const envVersion = body.env_version ?? 'release';
    if (typeof envVersion !== 'string' || !ENV_VERSIONS.has(envVersion)) return weChatError(ctx, 40097, 'invalid args');
    const width = typeof body.width === 'number' ? Math.min(1280, Math.max(280, Math.round(body.width))) : 430;
    const lineColor = rgbHex(body.auto_color === true ? null : body.line_color);
    const png = await QRCode.toBuffer(wxaCodeContent(emulator.options.appId, page, scene, envVersion), {
      type: 'png',
      width,
      margin: 2,
      errorCorrectionLevel: 'M',
      color: { dark: lineColor, light: body.is_hyaline === true ? '#ffffff00' : '#ffffffff' },
    });
    ctx.status = 200;
    ctx.type = 'image/png';
    ctx.body = png;
  });
}

function rgbHex(color: unknown): string {
  const channel = (value: unknown) => Math.min(255, Math.max(0, Number(value) || 0)).toString(16).padStart(2, '0');
  if (typeof color !== 'object' || color === null) return '#000000ff';
  const { r, g, b } = color as Record<string, unknown>;
  return `#${channel(r)}${channel(g)}${channel(b)}ff`;
}
