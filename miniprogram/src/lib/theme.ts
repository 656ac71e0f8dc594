import Taro, { useDidShow } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { BrandThemeSchema, DEFAULT_BRAND_THEME, navigationBarLook, type BrandTheme } from '@membercard/shared';
import { catalogue } from '../api/endpoints';
import { apiBase } from '../config';

// The one theme module: HQ's brand (name, colours, logo, card art) as /app-config last gave it, kept on the phone
// so the offline card still wears it, refreshed once per app launch. Every screen that shows brand colours reads
// it through useTheme(), which also paints the navigation bar in the primary colour.

const STORAGE_KEY = 'membercard.theme';

function keptTheme(): BrandTheme {
  const parsed = BrandThemeSchema.safeParse(Taro.getStorageSync(STORAGE_KEY));
  return parsed.success ? parsed.data : DEFAULT_BRAND_THEME;
}

let current: BrandTheme | null = null;
let refreshing: Promise<BrandTheme> | null = null;
const listeners = new Set<(theme: BrandTheme) => void>();

/** The theme now (kept copy until the server answers). */
export function currentTheme(): BrandTheme {
  return (current ??= keptTheme());
}

/** Asks /app-config once per launch; the screens showing the theme repaint when it changes. */
function refreshTheme(): Promise<BrandTheme> {
  refreshing ??= catalogue.appConfig().then(
    (config) => {
      if (!config.theme) return currentTheme();
      current = config.theme;
      Taro.setStorageSync(STORAGE_KEY, config.theme);
      for (const listener of listeners) listener(config.theme);
      return config.theme;
    },
    () => {
      refreshing = null; // offline: try again on the next screen
      return currentTheme();
    },
  );
  return refreshing;
}

/**
 * A brand image's address for <Image>: the server gives a path under /api/v1, resolved against the API's origin
 * (the WeChat build talks to an absolute https base; H5 is same-origin).
 */
export function brandImageUrl(path: string | null | undefined): string | null {
  if (!path) return null;
  const origin = /^https?:\/\//.test(apiBase) ? apiBase.replace(/\/api\/v1\/?$/, '') : '';
  return origin + path;
}

/** Paints this page's navigation bar in the theme (WeChat sets it per page; Taro's H5 bar follows the same call). */
export function applyNavigationBar(theme: BrandTheme): void {
  const look = navigationBarLook(theme);
  void Taro.setNavigationBarColor({ ...look, animation: { duration: 0, timingFunc: 'linear' } }).catch(() => undefined);
}

/**
 * A shopper's call to action (领取, 立即报名, 兑换, 去支付) in the brand's accent colour, on a `btn btn--accent`
 * (app.css: white bold text, faded when disabled). HQ cannot save an accent white text is unreadable on (≥ 3:1, the
 * large-text rule: hence bold).
 */
export function accentButtonStyle(theme: BrandTheme): { background: string; borderColor: string } {
  return { background: theme.accentColor, borderColor: theme.accentColor };
}

/** The theme for a screen, repainting the navigation bar each time the screen shows and when the theme changes. */
export function useTheme(): BrandTheme {
  const [theme, setTheme] = useState(currentTheme);
  useEffect(() => {
    listeners.add(setTheme);
    void refreshTheme().then(setTheme);
    return () => {
      listeners.delete(setTheme);
    };
  }, []);
  useEffect(() => applyNavigationBar(theme), [theme]);
  useDidShow(() => applyNavigationBar(currentTheme()));
  return theme;
}
