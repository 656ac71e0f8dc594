import Taro from '@tarojs/taro';
import type { Staff } from '@membercard/shared';

const STORAGE_KEY = 'membercard.staffProfile';

export function rememberStaff(staff: Staff): void {
  Taro.setStorageSync(STORAGE_KEY, staff);
}

export function currentStaff(): Staff | null {
  const stored = Taro.getStorageSync(STORAGE_KEY) as Staff | '' | undefined;
  return stored && typeof stored === 'object' && typeof stored.storeId === 'string' ? stored : null;
}

export function forgetStaff(): void {
  Taro.removeStorageSync(STORAGE_KEY);
}
