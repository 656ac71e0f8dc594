// A stand-in for @tarojs/taro in jest: in-memory storage, and navigation calls recorded for assertions.
const storage = new Map<string, unknown>();
export const navigations: string[] = [];
/** What the WeChat Pay sheet does when a test opens it: the shopper pays, or closes it (WeChat rejects with "cancel"). */
export const paymentSheet = { answer: 'pay' as 'pay' | 'cancel', opened: 0 };

const Taro = {
  getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ''),
  setStorageSync: (key: string, value: unknown) => void storage.set(key, value),
  removeStorageSync: (key: string) => void storage.delete(key),
  clearStorageSync: () => storage.clear(),
  reLaunch: async ({ url }: { url: string }) => void navigations.push(url),
  redirectTo: async ({ url }: { url: string }) => void navigations.push(url),
  navigateTo: async ({ url }: { url: string }) => void navigations.push(url),
  switchTab: async ({ url }: { url: string }) => void navigations.push(url),
  showToast: async () => undefined,
  requestPayment: async () => {
    paymentSheet.opened += 1;
    if (paymentSheet.answer === 'cancel') throw { errMsg: 'requestPayment:fail cancel' };
    return { errMsg: 'requestPayment:ok' };
  },
  request: async () => {
    throw new Error('no network in unit tests');
  },
};

export default Taro;
export const useDidShow = () => undefined;
export const useDidHide = () => undefined;
export const useLoad = () => undefined;
export const useReachBottom = () => undefined;
