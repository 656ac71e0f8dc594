import { createHash, createHmac, randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { checkValue, chinaIsoDate, keywordType } from '@membercard/shared';
import type { Context } from 'koa';
import { parseJsonObject, readRawBody, type EmulatorContext } from './context';

/** Access-token validity and the overlap WeChat grants an old token after a new one is issued. */
const OLD_TOKEN_OVERLAP_MS = 5 * 60 * 1000;
const STABLE_TOKEN_REISSUE_MS = 5 * 60 * 1000;
const OPENID_PATTERN = /^emu_[A-Za-z0-9_-]{1,128}$/;
const CODE_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const NICKNAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** wx.login codes live about 5 minutes. */
const LOGIN_CODE_TTL_MS = 5 * 60 * 1000;
const MAX_REMEMBERED_CODES = 100_000;
const MINIPROGRAM_STATES = new Set(['developer', 'trial', 'formal']);
const LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);

interface IssuedToken {
  expiresAt: number;
  /** Invalidated at once (a stable_token force refresh, or POST /access-tokens/revoke): 40001. */
  revoked?: boolean;
}

/** stable_token force_refresh: at most 20 a day; within 30 s of the last one it does not refresh. */
const FORCE_REFRESH_PER_DAY = 20;
const FORCE_REFRESH_SPACING_MS = 30_000;

/** Mini-program server APIs of api.weixin.qq.com: answers are HTTP 200 with errcode/errmsg, as WeChat's are. */
export function registerMiniProgramRoutes(
  router: Router,
  emulator: EmulatorContext,
): { expireAllTokens(): void; revokeStableToken(): void; checkAccessToken(ctx: Context): boolean } {
  const { options, store, stats } = emulator;
  const tokens = new Map<string, IssuedToken>();
  let currentPlainToken: string | undefined;
  let currentStableToken: string | undefined;
  const forceRefreshes = { day: '', count: 0, lastAt: 0 };
  /** Login codes already exchanged (memory only: a restarted emulator forgets them, as codes expire anyway). */
  const usedCodes = new Set<string>();
  const mintedCodes = new Map<string, { nickname: string; expiresAt: number }>();

  const weChatError = (ctx: Context, errcode: number, errmsg: string) => {
    ctx.status = 200;
    ctx.body = { errcode, errmsg: `${errmsg} rid: ${randomBytes(4).toString('hex')}` };
  };

  const issueToken = (replacing: string | undefined): string => {
    const now = Date.now();
    const previous = replacing ? tokens.get(replacing) : undefined;
    // The token being replaced keeps working for a short overlap, so in-flight calls do not fail.
    if (previous) previous.expiresAt = Math.min(previous.expiresAt, now + OLD_TOKEN_OVERLAP_MS);
    const token = `emu_at_${randomBytes(24).toString('hex')}`;
    tokens.set(token, { expiresAt: now + options.accessTokenTtlSeconds * 1000 });
    stats.accessTokensIssued += 1;
    return token;
  };

  /** 41001 missing, 40001 unknown, 42001 expired — the errcodes that make the client refresh. */
  const checkAccessToken = (ctx: Context): boolean => {
    const token = typeof ctx.query.access_token === 'string' ? ctx.query.access_token : '';
    if (!token) {
      weChatError(ctx, 41001, 'access_token missing');
      return false;
    }
    const issued = tokens.get(token);
    if (!issued || issued.revoked) {
      weChatError(ctx, 40001, 'invalid credential, access_token is invalid or not latest');
      return false;
    }
    if (issued.expiresAt <= Date.now()) {
      weChatError(ctx, 42001, 'access_token expired');
      return false;
    }
    return true;
  };

  const credentialsError = (appid: unknown, secret: unknown, badSecretCode: number): [number, string] | null => {
    if (appid !== options.appId) return [40013, 'invalid appid'];
    if (secret !== options.appSecret) return [badSecretCode, badSecretCode === 40001 ? 'invalid credential' : 'invalid appsecret'];
    return null;
  };

  router.get('/sns/jscode2session', (ctx) => {
    stats.code2SessionRequests += 1;
    const { appid, secret, js_code: jsCode, grant_type: grantType } = ctx.query;
    const invalid = credentialsError(appid, secret, 40125);
    if (invalid) return weChatError(ctx, ...invalid);
    if (grantType !== 'authorization_code') return weChatError(ctx, 40002, 'invalid grant_type');
    if (typeof jsCode !== 'string' || !jsCode) return weChatError(ctx, 41008, 'missing code');
    if (jsCode.startsWith('invalid') || !CODE_PATTERN.test(jsCode)) return weChatError(ctx, 40029, 'invalid code');
    // A code works once, as WeChat's do (its ~5-minute lifetime is enforced for minted H5 codes).
    if (usedCodes.has(jsCode)) return weChatError(ctx, 40163, 'code been used');
    const minted = mintedCodes.get(jsCode);
    if (minted && minted.expiresAt <= Date.now()) {
      mintedCodes.delete(jsCode);
      return weChatError(ctx, 40029, 'invalid code');
    }
    mintedCodes.delete(jsCode);
    if (usedCodes.size >= MAX_REMEMBERED_CODES) usedCodes.delete(usedCodes.values().next().value!);
    usedCodes.add(jsCode);
    // A code minted for an H5 nickname signs that shopper in; any other code X is a first-time shopper emu_X.
    const openid = `emu_${minted ? minted.nickname : jsCode}`;
    const sessionKey = createHmac('sha256', options.appSecret).update(jsCode).digest().subarray(0, 16).toString('base64');
    // WeChat answers this JSON with a text/plain content type.
    ctx.type = 'text/plain';
    ctx.body = JSON.stringify({ openid, session_key: sessionKey });
  });

  // Not WeChat's API: the H5 demo has no wx.login, so it asks here for a fresh single-use code that signs
  // in the shopper with this nickname (openid emu_<nickname>); test helpers sign shoppers in the same way.
  router.post('/h5/login-code', async (ctx) => {
    const body = parseJsonObject((await readRawBody(ctx)) || '{}');
    const nickname = body?.nickname;
    if (typeof nickname !== 'string' || !NICKNAME_PATTERN.test(nickname)) {
      ctx.status = 400;
      ctx.body = { error: 'expected {nickname}: 1–64 of A–Z a–z 0–9 _ -' };
      return;
    }
    const code = `h5${randomBytes(16).toString('hex')}`;
    if (mintedCodes.size >= MAX_REMEMBERED_CODES) mintedCodes.delete(mintedCodes.keys().next().value!);
    mintedCodes.set(code, { nickname, expiresAt: Date.now() + LOGIN_CODE_TTL_MS });
    ctx.body = { code };
  });

  router.get('/cgi-bin/token', (ctx) => {
    stats.tokenRequests += 1;
    const { grant_type: grantType, appid, secret } = ctx.query;
    if (grantType !== 'client_credential') return weChatError(ctx, 40002, 'invalid grant_type');
    const invalid = credentialsError(appid, secret, 40001);
    if (invalid) return weChatError(ctx, ...invalid);
    currentPlainToken = issueToken(currentPlainToken);
    ctx.body = { access_token: currentPlainToken, expires_in: options.accessTokenTtlSeconds };
  });

  router.post('/cgi-bin/stable_token', async (ctx) => {
    stats.stableTokenRequests += 1;
    const body = parseJsonObject(await readRawBody(ctx));
    if (!body) return weChatError(ctx, 47001, 'data format error');
    if (body.grant_type !== 'client_credential') return weChatError(ctx, 40002, 'invalid grant_type');
    const invalid = credentialsError(body.appid, body.secret, 40125);
    if (invalid) return weChatError(ctx, ...invalid);
    const now = Date.now();
    const current = currentStableToken ? tokens.get(currentStableToken) : undefined;
    if (body.force_refresh === true) {
      const day = chinaIsoDate(new Date(now));
      if (forceRefreshes.day !== day) Object.assign(forceRefreshes, { day, count: 0 });
      if (forceRefreshes.count >= FORCE_REFRESH_PER_DAY) return weChatError(ctx, 45009, 'reach max api daily quota limit');
      // WeChat: repeated force refreshes less than 30 s apart do not refresh (the current token comes back).
      if (!current || now - forceRefreshes.lastAt >= FORCE_REFRESH_SPACING_MS * options.timeScale) {
        forceRefreshes.count += 1;
        forceRefreshes.lastAt = now;
        stats.stableTokenForceRefreshes += 1;
        // A force refresh invalidates the previous token at once, for every holder (no 5-minute overlap).
        if (current) current.revoked = true;
        currentStableToken = issueToken(undefined);
      }
    } else if (!current || current.expiresAt - now <= STABLE_TOKEN_REISSUE_MS) {
      // The same token is handed out until 5 minutes before it expires.
      currentStableToken = issueToken(currentStableToken);
    }
    const expiresAt = tokens.get(currentStableToken!)!.expiresAt;
    ctx.body = { access_token: currentStableToken, expires_in: Math.floor((expiresAt - now) / 1000) };
  });

  router.post('/wxa/business/getuserphonenumber', async (ctx) => {
    stats.phoneNumberRequests += 1;
    if (!checkAccessToken(ctx)) return;
    const body = parseJsonObject(await readRawBody(ctx));
    if (!body) return weChatError(ctx, 47001, 'data format error');
    const code = body.code;
    if (typeof code !== 'string' || !code) return weChatError(ctx, 41008, 'missing code');
    if (code.startsWith('invalid')) return weChatError(ctx, 40029, 'invalid code');
    const purePhoneNumber = phoneNumberFor(code);
    ctx.body = {
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: purePhoneNumber,
        purePhoneNumber,
        countryCode: '86',
        watermark: { timestamp: Math.floor(Date.now() / 1000), appid: options.appId },
      },
    };
  });

  /** Errcodes the next subscribe sends answer (POST /subscribe-send-failures), to exercise the server's retries. */
  const forcedSendErrors: number[] = [];
  router.post('/cgi-bin/message/subscribe/send', async (ctx) => {
    stats.subscribeSendRequests += 1;
    if (!checkAccessToken(ctx)) return;
    const body = parseJsonObject(await readRawBody(ctx));
    if (!body) return weChatError(ctx, 47001, 'data format error');
    const { touser, template_id: templateId, page, data } = body;
    const miniprogramState = body.miniprogram_state ?? 'formal';
    const lang = body.lang ?? 'zh_CN';
    if (forcedSendErrors.length > 0) {
      const errcode = forcedSendErrors.shift()!;
      return weChatError(ctx, errcode, errcode === -1 ? 'system error' : 'forced by the emulator');
    }
    if (typeof touser !== 'string' || !OPENID_PATTERN.test(touser)) return weChatError(ctx, 40003, 'invalid openid');
    const keywords = typeof templateId === 'string' ? options.subscribeTemplates.get(templateId) : undefined;
    if (typeof templateId !== 'string' || !keywords) return weChatError(ctx, 40037, 'invalid template_id');
    // The page must be one of the published version's pages (query string allowed after it).
    if (page !== undefined && (typeof page !== 'string' || (options.pages && !options.pages.has(page.split('?')[0]!.replace(/^\//, ''))))) {
      return weChatError(ctx, 41030, 'invalid page');
    }
    if (typeof miniprogramState !== 'string' || !MINIPROGRAM_STATES.has(miniprogramState)) {
      return weChatError(ctx, 47003, 'argument invalid! miniprogram_state invalid');
    }
    if (typeof lang !== 'string' || !LANGS.has(lang)) return weChatError(ctx, 47003, 'argument invalid! lang invalid');
    const badField = invalidDataField(data, keywords);
    if (badField) return weChatError(ctx, 47003, `argument invalid! ${badField} invalid`);
    const quota = store.state.subscribeQuota[touser]?.[templateId] ?? 0;
    if (quota <= 0) return weChatError(ctx, 43101, 'user refuse to accept the msg');
    store.state.subscribeQuota[touser]![templateId] = quota - 1;
    const msgid = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
    store.state.messages.push({
      msgid,
      touser,
      template_id: templateId,
      ...(page !== undefined ? { page: page as string } : {}),
      miniprogram_state: miniprogramState,
      lang,
      data: data as Record<string, { value: string }>,
      sentAt: new Date().toISOString(),
    });
    store.save();
    ctx.body = { errcode: 0, errmsg: 'ok', msgid };
  });

  // Test and demo control: the next sends answer these errcodes (e.g. -1 system busy) before any check.
  router.post('/subscribe-send-failures', async (ctx) => {
    const errcodes = parseJsonObject(await readRawBody(ctx))?.errcodes;
    if (!Array.isArray(errcodes) || !errcodes.every((code) => Number.isInteger(code))) {
      ctx.status = 400;
      ctx.body = { error: 'expected {errcodes: number[]}' };
      return;
    }
    forcedSendErrors.push(...(errcodes as number[]));
    ctx.status = 204;
  });

  // What a tap on "accept" in wx.requestSubscribeMessage does: one more one-time send per template.
  router.post('/subscriptions', async (ctx) => {
    const body = parseJsonObject(await readRawBody(ctx));
    const openid = body?.openid;
    const templateIds = body?.templateIds;
    if (typeof openid !== 'string' || !OPENID_PATTERN.test(openid) || !Array.isArray(templateIds) || templateIds.length === 0) {
      ctx.status = 400;
      ctx.body = { error: 'expected {openid: "emu_…", templateIds: string[]}' };
      return;
    }
    const unknown = templateIds.filter((id) => typeof id !== 'string' || !options.subscribeTemplates.has(id));
    if (unknown.length > 0) {
      // wx.requestSubscribeMessage fails as a whole for ids the account does not own.
      ctx.status = 400;
      ctx.body = { error: `unknown template ids: ${unknown.join(', ')}`, errCode: 20004 };
      return;
    }
    const quota = (store.state.subscribeQuota[openid] ??= {});
    for (const id of templateIds as string[]) quota[id] = (quota[id] ?? 0) + 1;
    store.save();
    ctx.body = { openid, quota };
  });

  router.get('/messages', (ctx) => {
    const openid = typeof ctx.query.openid === 'string' ? ctx.query.openid : undefined;
    ctx.body = { messages: store.state.messages.filter((message) => !openid || message.touser === openid) };
  });

  return {
    checkAccessToken,
    expireAllTokens() {
      for (const issued of tokens.values()) issued.expiresAt = Math.min(issued.expiresAt, Date.now());
    },
    revokeStableToken() {
      // Refused from now on (40001), yet still what normal-mode stable_token hands out: only a force refresh helps.
      const issued = currentStableToken ? tokens.get(currentStableToken) : undefined;
      if (issued) issued.revoked = true;
    },
  };
}

/** `138` + 8 digits derived from the code, so the same code always yields the same number. */
export function phoneNumberFor(code: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(code).digest('hex').slice(0, 16)}`) % 100_000_000n;
  return `138${digits.toString().padStart(8, '0')}`;
}

/**
 * The field WeChat would name in a 47003: data must carry exactly the template's keywords, each `{value}` a
 * string that keeps its type's rule (`thing` ≤ 20 characters, `time` like 2019年10月1日 15:01, …).
 */
function invalidDataField(data: unknown, keywords: string[]): string | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'data';
  for (const key of Object.keys(data)) if (!keywords.includes(key)) return `data.${key}`;
  for (const keyword of keywords) {
    const value = ((data as Record<string, unknown>)[keyword] as { value?: unknown } | null | undefined)?.value;
    const type = keywordType(keyword);
    if (typeof value !== 'string' || !type || checkValue(type, value) !== null) return `data.${keyword}.value`;
  }
  return null;
}
