// Build-time settings. TARO_APP_API_BASE is injected by config/index.ts; jest sees the real env.
export const apiBase: string = process.env.TARO_APP_API_BASE || '/api/v1';

/** True in the H5 demo build, where WeChat-only APIs (login, pay, subscribe, phone) are emulated. */
export const isH5 = process.env.TARO_ENV === 'h5';

/** The privacy policy version the join page shows when /app-config is unreachable. */
export const fallbackPrivacyPolicyVersion = '2025-01';
