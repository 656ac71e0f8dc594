import Taro from '@tarojs/taro';
import { signInWithWechatCode } from '../api/endpoints';
import { shopperApi } from '../api/session';
import { isH5 } from '../config';
import { rememberMember } from './memberCache';

let signingIn: Promise<boolean> | null = null;

/**
 * True once the shopper has a session. In WeChat it signs in silently with wx.login (no page, no tap): a
 * visitor browses as a guest and joins with one tap later. The H5 demo has no silent WeChat login, so
 * there a visitor stays a guest until they use the demo sign-in page.
 */
export function signInSilently(): Promise<boolean> {
  if (shopperApi.isSignedIn()) return Promise.resolve(true);
  if (isH5) return Promise.resolve(false);
  signingIn ??= (async () => {
    try {
      const { code } = await Taro.login();
      const member = await signInWithWechatCode(code);
      if (member) rememberMember(member);
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    signingIn = null;
  });
  return signingIn;
}
