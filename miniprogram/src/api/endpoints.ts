import type { JoinMembershipBody, ProfilePatchBody, VisitBody } from '@membercard/shared';
import { newIdempotencyKey } from './client';
import { ApiError } from './errors';
import {
  ActivityListSchema,
  ActivitySchema,
  AppConfigSchema,
  CodeKeyAnswerSchema,
  CouponPageSchema,
  ExchangeAnswerSchema,
  ExchangeableListSchema,
  LedgerPageSchema,
  MemberSchema,
  PasswordChangeAnswerSchema,
  PurchaseAnswerSchema,
  RedemptionCodeClaimAnswerSchema,
  RedemptionSchema,
  ShortLivedCodeAnswerSchema,
  SignupPageSchema,
  SignupSchema,
  StaffScanAnswerSchema,
  StaffSignInAnswerSchema,
  StoreListSchema,
  TierListSchema,
  VisitSchema,
  WechatSignInAnswerSchema,
} from './schemas';
import { emulatorBase, shopperApi, staffApi, taroTransport } from './session';

export type CouponWalletTab = 'available' | 'used' | 'expired';

// ---- shopper ----

export async function signInWithWechatCode(code: string) {
  const answer = await shopperApi.post('/auth/wechat', { body: { code }, answer: WechatSignInAnswerSchema, authenticated: false });
  shopperApi.signIn({ token: answer.token, refreshToken: answer.refreshToken });
  return answer.member;
}

export const shopper = {
  me: () => shopperApi.get('/me', { answer: MemberSchema }),
  join: (body: JoinMembershipBody) => shopperApi.post('/me/membership', { body, answer: MemberSchema }),
  updateProfile: (body: ProfilePatchBody) => shopperApi.patch('/me/profile', { body, answer: MemberSchema }),
  bindPhone: (code: string) => shopperApi.post('/me/phone', { body: { code }, answer: MemberSchema }),
  codeKey: () => shopperApi.get('/me/code-key', { answer: CodeKeyAnswerSchema }),
  memberCode: () => shopperApi.get('/me/member-code', { answer: ShortLivedCodeAnswerSchema }),
  ledger: (cursor?: string | null) => shopperApi.get('/me/points/ledger', { query: { limit: 20, cursor }, answer: LedgerPageSchema }),
  exchangeable: () => shopperApi.get('/me/points/exchangeable', { query: { limit: 50 }, answer: ExchangeableListSchema }),
  exchange: (templateId: string, idempotencyKey = newIdempotencyKey('exchange')) =>
    shopperApi.post('/me/points/exchanges', { body: { templateId }, idempotencyKey, answer: ExchangeAnswerSchema }),
  coupons: (status: CouponWalletTab, cursor?: string | null) =>
    shopperApi.get('/me/coupons', { query: { status, limit: 20, cursor }, answer: CouponPageSchema }),
  couponCode: (id: string) => shopperApi.get(`/me/coupons/${encodeURIComponent(id)}/code`, { answer: ShortLivedCodeAnswerSchema }),
  claimRedemptionCode: (code: string) =>
    shopperApi.post('/me/redemption-codes/claim', { body: { code }, answer: RedemptionCodeClaimAnswerSchema }),
  reportSubscriptions: (accepted: string[]) => shopperApi.post('/me/subscriptions', { body: { accepted } }),
  signups: (cursor?: string | null) => shopperApi.get('/me/signups', { query: { limit: 20, cursor }, answer: SignupPageSchema }),
  signupCode: (id: string) => shopperApi.get(`/me/signups/${encodeURIComponent(id)}/code`, { answer: ShortLivedCodeAnswerSchema }),
  signUp: (activityId: string) =>
    shopperApi.post(`/activities/${encodeURIComponent(activityId)}/signups`, { body: {}, answer: SignupSchema }),
  cancelSignup: (activityId: string) =>
    shopperApi.del(`/activities/${encodeURIComponent(activityId)}/signups/me`, { answer: SignupSchema }),
  /** The store, staff or campaign code WeChat opened the app from (scene or q). */
  recordVisit: (body: VisitBody) => shopperApi.post('/me/visits', { body, answer: VisitSchema }),
  /** Erases the account: personal data gone, the points ledger kept anonymised (204, no body). */
  deleteAccount: () => shopperApi.del('/me'),
};

// Public catalogue: sent with the token when there is one, works without.
export const catalogue = {
  appConfig: () => shopperApi.get('/app-config', { answer: AppConfigSchema }),
  stores: () => shopperApi.get('/stores', { query: { limit: 100 }, answer: StoreListSchema }),
  tiers: () => shopperApi.get('/tiers', { answer: TierListSchema }),
  activities: (cursor?: string | null) => shopperApi.get('/activities', { query: { limit: 20, cursor }, answer: ActivityListSchema }),
  activity: (id: string) => shopperApi.get(`/activities/${encodeURIComponent(id)}`, { answer: ActivitySchema }),
  /** What the points mall offers, for guests as well as members. */
  mall: () => shopperApi.get('/mall/items', { query: { limit: 6 }, answer: ExchangeableListSchema }),
};

/**
 * H5 demo only: a fresh single-use login code for the shopper `nickname` from the WeChat emulator, standing
 * in for wx.login (WeChat's codes, and the emulator's, work once).
 */
export async function h5LoginCode(nickname: string): Promise<string> {
  let answer: { status: number; body: unknown };
  try {
    answer = await taroTransport({
      method: 'POST',
      url: `${emulatorBase}/__emulator/h5/login-code`,
      headers: { 'Content-Type': 'application/json' },
      body: { nickname },
    });
  } catch {
    throw new ApiError('NETWORK', 0);
  }
  const code = (answer.body as { code?: unknown } | null)?.code;
  if (answer.status === 400) throw new ApiError('VALIDATION_FAILED', 400);
  if (answer.status !== 200 || typeof code !== 'string') throw new ApiError('UNKNOWN', answer.status);
  return code;
}

/**
 * H5 demo only: completes a WeChat Pay order in the emulator, as the shopper's payment sheet would. Answers
 * 'already_paid' when WeChat Pay says the order was paid before (409 ORDERPAID: paid here earlier, and the
 * server has not confirmed the seat yet), which is not a failure: the seat is being confirmed.
 */
export async function payInEmulator(prepayId: string): Promise<'paid' | 'already_paid'> {
  let answer: Awaited<ReturnType<typeof taroTransport>>;
  try {
    answer = await taroTransport({
      method: 'POST',
      url: `${emulatorBase}/__emulator/pay/${encodeURIComponent(prepayId)}`,
      headers: { 'Content-Type': 'application/json' },
      body: {},
    });
  } catch {
    throw new ApiError('NETWORK', 0);
  }
  if (answer.status === 409 && (answer.body as { code?: unknown } | null)?.code === 'ORDERPAID') return 'already_paid';
  if (answer.status < 200 || answer.status >= 300) throw new ApiError('UNKNOWN', answer.status);
  return 'paid';
}

// ---- staff ----

/** Signs a clerk in; mustChangePassword says HQ set the password and the till opens only after changePassword. */
export async function signInAsStaff(username: string, password: string) {
  const answer = await staffApi.post('/auth/staff', { body: { username, password }, answer: StaffSignInAnswerSchema, authenticated: false });
  staffApi.signIn({ token: answer.token, refreshToken: answer.refreshToken });
  return { staff: answer.staff, mustChangePassword: answer.mustChangePassword === true };
}

/** The signed-in clerk replaces their password: the server ends every other session and answers a new pair for this one. */
export async function changeStaffPassword(currentPassword: string, newPassword: string): Promise<void> {
  const answer = await staffApi.post('/auth/password', { body: { currentPassword, newPassword }, answer: PasswordChangeAnswerSchema });
  staffApi.signIn({ token: answer.token, refreshToken: answer.refreshToken });
}

/** Ends the clerk's session on the server too (a copied refresh token is then worth nothing), then forgets it here. */
export async function signOutStaff(): Promise<void> {
  const refreshToken = staffApi.tokens()?.refreshToken;
  staffApi.signOut();
  // Best effort: the phone forgets the session whatever the network does; the server answers 204 either way.
  if (refreshToken) await staffApi.post('/auth/logout', { body: { refreshToken }, authenticated: false }).catch(() => undefined);
}

export const counter = {
  scan: (code: string) => staffApi.post('/staff/scan', { body: { code }, answer: StaffScanAnswerSchema }),
  recordPurchase: (memberCode: string, orderNo: string, amountFen: number) =>
    staffApi.post('/staff/purchases', { body: { memberCode, orderNo, amountFen }, answer: PurchaseAnswerSchema }),
  redeem: (code: string, orderNo?: string, orderAmountFen?: number) =>
    staffApi.post('/staff/redemptions', { body: { code, orderNo, orderAmountFen }, answer: RedemptionSchema }),
  checkIn: (code: string) => staffApi.post('/staff/checkins', { body: { code }, answer: SignupSchema }),
};
