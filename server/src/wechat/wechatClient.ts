import type { AccessTokenCache, FetchedAccessToken } from './accessTokenCache';
import { WeChatApiError, WeChatTransportError } from './errors';

export interface WeChatClientOptions {
  /** `https://api.weixin.qq.com` in production. */
  baseUrl: string;
  appId: string;
  appSecret: string;
  accessTokens: AccessTokenCache;
  /** Per request; WeChat's own limit for answering is a few seconds. */
  timeoutMs?: number;
}

export interface WeChatSession {
  openid: string;
  sessionKey: string;
  unionid?: string;
}

export interface WeChatPhoneNumber {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

export type MiniprogramState = 'developer' | 'trial' | 'formal';
export type SubscribeMessageLang = 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';

export interface SubscribeMessage {
  touser: string;
  templateId: string;
  page?: string;
  /** Template keyword → value, e.g. `{thing1: {value: '...'}}`. */
  data: Record<string, { value: string }>;
  miniprogramState?: MiniprogramState;
  lang?: SubscribeMessageLang;
}

export interface UnlimitedQrCodeRequest {
  scene: string;
  page?: string;
  /** False lets an unpublished page through (for trial and develop versions). */
  checkPath?: boolean;
  envVersion?: 'release' | 'trial' | 'develop';
  width?: number;
}

/** errcodes meaning the access token itself was refused: refresh it once and retry. */
const TOKEN_REJECTED_ERRCODES = new Set([40001, 40014, 42001]);

interface WeChatErrorBody {
  errcode?: number;
  errmsg?: string;
}

/** Client for the mini-program server APIs of api.weixin.qq.com (see docs: wechat.md §1–4). */
export class WeChatClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: WeChatClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async code2Session(jsCode: string): Promise<WeChatSession> {
    const query = new URLSearchParams({
      appid: this.options.appId,
      secret: this.options.appSecret,
      js_code: jsCode,
      grant_type: 'authorization_code',
    });
    const body = await this.request<{ openid?: string; session_key?: string; unionid?: string }>(
      'jscode2session',
      `/sns/jscode2session?${query.toString()}`,
    );
    if (!body.openid || !body.session_key) {
      throw new WeChatTransportError('jscode2session answered without openid/session_key', 'jscode2session');
    }
    return { openid: body.openid, sessionKey: body.session_key, ...(body.unionid ? { unionid: body.unionid } : {}) };
  }

  async getPhoneNumber(code: string, openid?: string): Promise<WeChatPhoneNumber> {
    const body = await this.withAccessToken('getuserphonenumber', (token) =>
      this.request<{ phone_info?: WeChatPhoneNumber }>(
        'getuserphonenumber',
        `/wxa/business/getuserphonenumber?access_token=${encodeURIComponent(token)}`,
        { code, ...(openid ? { openid } : {}) },
      ),
    );
    const info = body.phone_info;
    if (!info?.phoneNumber || !info.purePhoneNumber) {
      throw new WeChatTransportError('getuserphonenumber answered without phone_info', 'getuserphonenumber');
    }
    return { phoneNumber: info.phoneNumber, purePhoneNumber: info.purePhoneNumber, countryCode: String(info.countryCode) };
  }

  /** Throws WeChatApiError 43101 when the member has no one-time quota left for the template. */
  async sendSubscribeMessage(message: SubscribeMessage): Promise<{ msgid?: string }> {
    const payload = {
      touser: message.touser,
      template_id: message.templateId,
      ...(message.page !== undefined ? { page: message.page } : {}),
      ...(message.miniprogramState ? { miniprogram_state: message.miniprogramState } : {}),
      ...(message.lang ? { lang: message.lang } : {}),
      data: message.data,
    };
    const body = await this.withAccessToken('subscribeMessage.send', (token) =>
      this.request<{ msgid?: string | number }>(
        'subscribeMessage.send',
        `/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`,
        payload,
      ),
    );
    return body.msgid !== undefined ? { msgid: String(body.msgid) } : {};
  }

  /**
   * A mini-program code (wechat.md §5) for `scene` (≤ 32 characters), opening `page` (a published page
   * without leading '/' or query); answers the image bytes, or throws WeChatApiError (41030, 45009, …).
   */
  async getUnlimitedQrCode(request: UnlimitedQrCodeRequest): Promise<{ contentType: string; image: Buffer }> {
    const payload = {
      scene: request.scene,
      ...(request.page !== undefined ? { page: request.page } : {}),
      ...(request.checkPath !== undefined ? { check_path: request.checkPath } : {}),
      ...(request.envVersion ? { env_version: request.envVersion } : {}),
      ...(request.width ? { width: request.width } : {}),
    };
    return this.withAccessToken('getwxacodeunlimit', async (token) => {
      const api = 'getwxacodeunlimit';
      let response: Response;
      try {
        response = await fetch(`${this.baseUrl}/wxa/getwxacodeunlimit?access_token=${encodeURIComponent(token)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        throw new WeChatTransportError(`${api}: ${(error as Error).message}`, api);
      }
      if (!response.ok) throw new WeChatTransportError(`${api}: HTTP ${response.status}`, api, response.status);
      const contentType = response.headers.get('content-type') ?? '';
      const bytes = Buffer.from(await response.arrayBuffer());
      // Success is the image itself; a refusal is the usual errcode JSON.
      if (contentType.startsWith('image/')) return { contentType: contentType.split(';')[0]!, image: bytes };
      let body: WeChatErrorBody;
      try {
        body = JSON.parse(bytes.toString('utf8')) as WeChatErrorBody;
      } catch {
        throw new WeChatTransportError(`${api}: answer is neither an image nor JSON`, api, response.status);
      }
      throw new WeChatApiError(body.errcode ?? -1, body.errmsg ?? '', api);
    });
  }

  /**
   * A JSON POST to an api.weixin.qq.com API taking `?access_token=` (the member card's card/... APIs,
   * docs/wechat-member-card.md), with the shared token and its refresh; errcode ≠ 0 throws WeChatApiError.
   */
  postWithAccessToken<T>(api: string, path: string, body: unknown): Promise<T> {
    return this.withAccessToken(api, (token) => this.request<T>(api, `${path}?access_token=${encodeURIComponent(token)}`, body));
  }

  /** The shared token; fetched through stable_token so several instances never invalidate each other. */
  getAccessToken(): Promise<string> {
    return this.options.accessTokens.getOrRefresh(this.options.appId, ({ forceRefresh }) => this.fetchStableToken(forceRefresh));
  }

  private async fetchStableToken(forceRefresh: boolean): Promise<FetchedAccessToken> {
    const body = await this.request<{ access_token?: string; expires_in?: number }>('stable_token', '/cgi-bin/stable_token', {
      grant_type: 'client_credential',
      appid: this.options.appId,
      secret: this.options.appSecret,
      force_refresh: forceRefresh,
    });
    if (!body.access_token || typeof body.expires_in !== 'number') {
      throw new WeChatTransportError('stable_token answered without access_token/expires_in', 'stable_token');
    }
    return { token: body.access_token, expiresInSeconds: body.expires_in };
  }

  /**
   * Calls with the shared token; when WeChat refuses it (40001/42001/40014) the cache replaces it (normal
   * mode first, a force refresh only if WeChat hands the refused token back) and the call is made again.
   * Two rounds: the first replacement may be another instance's token that was itself just replaced.
   */
  private async withAccessToken<T>(api: string, call: (token: string) => Promise<T>): Promise<T> {
    let token = await this.getAccessToken();
    for (let round = 0; ; round += 1) {
      try {
        return await call(token);
      } catch (error) {
        if (round >= 2 || !(error instanceof WeChatApiError) || !TOKEN_REJECTED_ERRCODES.has(error.errcode)) throw error;
        token = await this.options.accessTokens.getOrRefresh(
          this.options.appId,
          ({ forceRefresh }) => this.fetchStableToken(forceRefresh),
          { force: true, invalidToken: token },
        );
      }
    }
  }

  /** GET when there is no body, POST JSON otherwise; errcode ≠ 0 becomes WeChatApiError. */
  private async request<T>(api: string, pathAndQuery: string, jsonBody?: unknown): Promise<T & WeChatErrorBody> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${pathAndQuery}`, {
        method: jsonBody === undefined ? 'GET' : 'POST',
        headers: jsonBody === undefined ? {} : { 'content-type': 'application/json' },
        body: jsonBody === undefined ? undefined : JSON.stringify(jsonBody),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new WeChatTransportError(`${api}: ${(error as Error).message}`, api);
    }
    // jscode2session answers JSON with a text/plain content type, so parse the text ourselves.
    const text = await response.text();
    if (!response.ok) throw new WeChatTransportError(`${api}: HTTP ${response.status}`, api, response.status);
    let body: T & WeChatErrorBody;
    try {
      body = JSON.parse(text) as T & WeChatErrorBody;
    } catch {
      throw new WeChatTransportError(`${api}: answer is not JSON`, api, response.status);
    }
    if (typeof body.errcode === 'number' && body.errcode !== 0) {
      throw new WeChatApiError(body.errcode, body.errmsg ?? '', api);
    }
    return body;
  }
}
