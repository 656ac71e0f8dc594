import Taro from '@tarojs/taro';
import type { Member } from '@membercard/shared';

const STORAGE_KEY = 'membercard.member';

/** The last member answer, so the card opens (with an offline code) even without signal. */
export function rememberMember(member: Member): void {
  Taro.setStorageSync(STORAGE_KEY, member);
}

export function lastKnownMember(): Member | null {
  const stored = Taro.getStorageSync(STORAGE_KEY) as Member | '' | undefined;
  return stored && typeof stored === 'object' && typeof stored.cardNo === 'string' ? stored : null;
}

export function forgetMember(): void {
  Taro.removeStorageSync(STORAGE_KEY);
}
