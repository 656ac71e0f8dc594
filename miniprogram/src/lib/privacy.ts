import Taro from '@tarojs/taro';
import { isH5 } from '../config';

type Resolve = (result: { event: 'agree' | 'disagree'; buttonId?: string }) => void;
type Listener = (visible: boolean) => void;

// WeChat calls onNeedPrivacyAuthorization when a privacy API (phone number, scan…) needs consent first;
// the waiting call resumes when we resolve. One pending request at a time, shown by PrivacyDialog.
let pendingResolve: Resolve | null = null;
const listeners = new Set<Listener>();

function notify(visible: boolean) {
  listeners.forEach((listener) => listener(visible));
}

/** Registered once at launch (weapp only). */
export function installPrivacyHandler(): void {
  if (isH5 || typeof Taro.onNeedPrivacyAuthorization !== 'function') return;
  Taro.onNeedPrivacyAuthorization((resolve) => {
    pendingResolve = resolve as Resolve;
    notify(true);
  });
}

export function subscribePrivacyPrompt(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** True when the user still has to agree to the privacy guide before privacy APIs work. */
export function needsPrivacyAuthorization(): Promise<boolean> {
  if (isH5 || typeof Taro.getPrivacySetting !== 'function') return Promise.resolve(false);
  return new Promise((resolve) => {
    Taro.getPrivacySetting({
      success: (result) => resolve(Boolean(result.needAuthorization)),
      fail: () => resolve(false),
    });
  });
}

export function showPrivacyPrompt(): void {
  notify(true);
}

export function answerPrivacyPrompt(agreed: boolean, buttonId?: string): void {
  pendingResolve?.(agreed ? { event: 'agree', buttonId } : { event: 'disagree' });
  pendingResolve = null;
  notify(false);
}
