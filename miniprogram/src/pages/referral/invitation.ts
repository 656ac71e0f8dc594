import Taro from '@tarojs/taro';
import { InvitationCodeImageSchema, InvitationPreviewSchema, invitationCodeFrom, MyReferralSchema } from '@membercard/shared';
import { shopperApi } from '../../api/session';

// Invitations (邀请好友) on the phone: the device id the app keeps, the invitation a shared card or code opened
// the app with (kept until the shopper joins, across the sign-in), and the referral API.

const DEVICE_KEY = 'membercard.device';
const PENDING_KEY = 'membercard.invitation';
/** An invitation opened but not joined within a week is forgotten. */
const PENDING_DAYS = 7;
const DEVICE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * A random id the app keeps in its storage: the inviter's and the friend's are compared (one device inviting
 * itself earns nothing). It is lost when the storage is cleared, and WeChat keeps storage per WeChat account,
 * so it catches one account's storage, not a second WeChat account on the same phone (see the README).
 */
export function deviceId(): string {
  const kept = Taro.getStorageSync(DEVICE_KEY) as unknown;
  if (typeof kept === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(kept)) return kept;
  let id = '';
  for (let i = 0; i < 24; i++) id += DEVICE_ALPHABET[Math.floor(Math.random() * DEVICE_ALPHABET.length)];
  Taro.setStorageSync(DEVICE_KEY, id);
  return id;
}

/** Notes the invitation a page or launch query carries (`ref` or a code's `scene`); answers the one pending. */
export function rememberInvitation(query: Record<string, unknown> | undefined): string | null {
  const code = invitationCodeFrom(query);
  if (code) Taro.setStorageSync(PENDING_KEY, { code, at: Date.now() });
  return code ?? pendingInvitation();
}

export function pendingInvitation(): string | null {
  const kept = Taro.getStorageSync(PENDING_KEY) as { code?: string; at?: number } | '';
  if (!kept || !kept.code || Date.now() - (kept.at ?? 0) > PENDING_DAYS * 24 * 3600_000) return null;
  return kept.code;
}

export function forgetInvitation(): void {
  Taro.removeStorageSync(PENDING_KEY);
}

/** What a join adds to its body: the pending invitation, if any, and the device id. */
export function joinExtras(): { referralCode?: string; deviceId: string } {
  const code = pendingInvitation();
  return { ...(code ? { referralCode: code } : {}), deviceId: deviceId() };
}

export const referralApi = {
  mine: () => shopperApi.get('/me/referral', { answer: MyReferralSchema }),
  /** Opening the page to share: the device is remembered as the member's. */
  prepare: () => shopperApi.post('/me/referral/invitation', { body: { deviceId: deviceId() }, answer: MyReferralSchema }),
  codeImage: () => shopperApi.get('/me/referral/code-image', { answer: InvitationCodeImageSchema }),
  view: (code: string) => shopperApi.post('/referral/views', { body: { code }, answer: InvitationPreviewSchema }),
};
