import Taro from '@tarojs/taro';
import { base32Decode, generateCode, type CodeKeyAnswer, type CodeKind } from '@membercard/shared';

const STORAGE_KEY = 'membercard.codeKey';

/** The member's code key, kept on the phone so codes can be shown without signal. */
export function readCachedCodeKey(): CodeKeyAnswer | null {
  const stored = Taro.getStorageSync(STORAGE_KEY) as CodeKeyAnswer | '' | undefined;
  return stored && typeof stored === 'object' && typeof stored.secret === 'string' ? stored : null;
}

export function cacheCodeKey(key: CodeKeyAnswer | null): void {
  if (key) Taro.setStorageSync(STORAGE_KEY, key);
  else Taro.removeStorageSync(STORAGE_KEY);
}

export interface ShownCode {
  code: string;
  expiresAt: Date;
}

/** A member ('M'), coupon ('C') or sign-up ('S') code made on the phone with the shared generator. */
export function codeFromKey(key: CodeKeyAnswer, kind: CodeKind, subject: string, now = new Date()): ShownCode {
  return generateCode({ kind, subject, secret: base32Decode(key.secret), now, stepSeconds: key.stepSeconds });
}
