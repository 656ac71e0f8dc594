import Taro from '@tarojs/taro';
import { apiBase } from '../config';
import { createApiClient, type SessionTokens, type TokenStore, type Transport } from './client';

export const taroTransport: Transport = async (request) => {
  const answer = await Taro.request({
    url: request.url,
    method: request.method,
    header: request.headers,
    data: request.body as TaroGeneral.IAnyObject | undefined,
    dataType: 'json',
    timeout: 15_000,
  });
  return { status: answer.statusCode, body: answer.data };
};

/** Tokens kept in the phone's storage so a restart stays signed in. */
export function storageTokenStore(key: string): TokenStore {
  return {
    read() {
      const stored = Taro.getStorageSync(key) as SessionTokens | '' | undefined;
      return stored && typeof stored === 'object' && stored.token ? stored : null;
    },
    write(tokens) {
      if (tokens) Taro.setStorageSync(key, tokens);
      else Taro.removeStorageSync(key);
    },
  };
}

export const SHOPPER_SIGN_IN_PAGE = '/pages/login/index';
/** Where a shopper without a session lands: the home page, which shows guests the programme (never a sign-in wall). */
export const SHOPPER_HOME_PAGE = '/pages/card/index';
export const STAFF_SIGN_IN_PAGE = '/pages/staff/login';

/** The shopper's session (WeChat sign-in). */
export const shopperApi = createApiClient({
  baseUrl: apiBase,
  transport: taroTransport,
  tokens: storageTokenStore('membercard.shopper'),
  onSessionExpired: () => void Taro.reLaunch({ url: SHOPPER_HOME_PAGE }),
});

/** The clerk's session at the counter; separate, so a clerk's phone can also hold their own card. */
export const staffApi = createApiClient({
  baseUrl: apiBase,
  transport: taroTransport,
  tokens: storageTokenStore('membercard.staff'),
  onSessionExpired: () => void Taro.redirectTo({ url: STAFF_SIGN_IN_PAGE }),
});

/** The demo WeChat emulator lives at the origin root, beside /api/v1. */
export const emulatorBase = apiBase.replace(/\/api\/v1\/?$/, '');
