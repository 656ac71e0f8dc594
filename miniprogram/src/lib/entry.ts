import Taro from '@tarojs/taro';
import type { VisitBody } from '@membercard/shared';
import { shopper } from '../api/endpoints';
import { ApiError } from '../api/errors';
import { shopperApi } from '../api/session';

// When WeChat opens the app from a store, staff or campaign code, the launch query carries `scene`
// (mini-program code) or `q` (an ordinary URL code on a poster), each URL-encoded once. The entry is kept
// until the shopper is signed in and then reported once, before any join, so the join is credited to it.

const PENDING_KEY = 'membercard.entry';
const LAST_KEY = 'membercard.entry.last';

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Notes the code in a launch or page query; the same code seen twice in a moment (app show, page load) counts once. */
export function rememberEntry(query: Record<string, unknown> | undefined, launchScene?: number): void {
  const scene = typeof query?.scene === 'string' && query.scene ? decodeOnce(query.scene) : undefined;
  const q = typeof query?.q === 'string' && query.q ? decodeOnce(query.q) : undefined;
  if (!scene && !q) return;
  const key = scene ? `scene:${scene}` : `q:${q}`;
  const last = Taro.getStorageSync(LAST_KEY) as { key?: string; at?: number } | '';
  if (last && last.key === key && Date.now() - (last.at ?? 0) < 10_000) return;
  Taro.setStorageSync(LAST_KEY, { key, at: Date.now() });
  const body: VisitBody = scene ? { scene } : { q };
  if (typeof launchScene === 'number' && launchScene >= 1000 && launchScene <= 9999) body.launchScene = launchScene;
  Taro.setStorageSync(PENDING_KEY, body);
}

let reporting: Promise<void> | null = null;

/** Sends the noted entry once signed in; a code the server cannot read is dropped, a network failure kept. */
export function reportEntry(): Promise<void> {
  reporting ??= (async () => {
    const pending = Taro.getStorageSync(PENDING_KEY) as VisitBody | '';
    if (!pending || !shopperApi.isSignedIn()) return;
    try {
      await shopper.recordVisit(pending);
      Taro.removeStorageSync(PENDING_KEY);
    } catch (failure) {
      if (!(failure instanceof ApiError && failure.code === 'NETWORK')) Taro.removeStorageSync(PENDING_KEY);
    }
  })().finally(() => {
    reporting = null;
  });
  return reporting;
}
