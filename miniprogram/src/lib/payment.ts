import Taro from '@tarojs/taro';
import type { Signup } from '@membercard/shared';
import { payInEmulator, shopper } from '../api/endpoints';
import { isH5 } from '../config';

/** "prepay_id=wx123" → "wx123". */
export function prepayIdOf(paymentPackage: string): string {
  return paymentPackage.replace(/^prepay_id=/, '');
}

/**
 * Pays a seat held for payment. weapp opens WeChat Pay's sheet; the H5 demo completes the order in the
 * emulator (Taro's H5 requestPayment is a stub that would "succeed" without paying).
 * Resolves true when paid, false when the shopper closed the sheet.
 */
export async function payForSignup(signup: Signup): Promise<boolean> {
  const payment = signup.payment;
  if (!payment) return true;
  if (isH5) {
    // 'already_paid' too: a row paid earlier whose confirmation has not arrived goes on to 支付确认中, not an error.
    await payInEmulator(prepayIdOf(payment.package));
    return true;
  }
  try {
    await Taro.requestPayment({ ...payment, signType: 'RSA' });
    return true;
  } catch {
    return false;
  }
}

/**
 * What a pay tap came to. A successful payment is not yet a seat: the server confirms the sign-up only when
 * WeChat Pay's notification arrives (or its query job finds the order paid), which may take a while.
 * `settled`: the sign-up left pending_payment (confirmed, attended, waitlisted or cancelled).
 * `unconfirmed`: paid, but still pending when we stopped asking; the sign-up will update on its own.
 */
export type PaymentOutcome =
  | { kind: 'not_paid' }
  | { kind: 'settled'; signup: Signup }
  | { kind: 'unconfirmed' };

/** Waits between reads of the sign-up while the payment is being confirmed: quick at first, then every 4 s. */
export const CONFIRM_POLL_DELAYS_MS = [500, 1000, 2000, 4000];
/** How long the shopper is kept waiting for the confirmation before being told it will show up later. */
export const CONFIRM_BUDGET_MS = 30_000;

export interface SettleWatch {
  /** The sign-up as the server has it now; null when it cannot be read this time (offline, not listed). */
  read: () => Promise<Signup | null>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  delaysMs?: number[];
  budgetMs?: number;
}

/**
 * Reads the sign-up with a growing wait between reads until it leaves pending_payment, or until the budget is
 * spent. A read that fails is only a missed look: the payment went through, so it never counts as a failure.
 */
export async function waitForSignupToSettle({
  read,
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now = Date.now,
  delaysMs = CONFIRM_POLL_DELAYS_MS,
  budgetMs = CONFIRM_BUDGET_MS,
}: SettleWatch): Promise<Signup | null> {
  const deadline = now() + budgetMs;
  for (let attempt = 0; ; attempt += 1) {
    const wait = delaysMs[Math.min(attempt, delaysMs.length - 1)]!;
    const left = deadline - now();
    if (left <= 0) return null;
    await sleep(Math.min(wait, left));
    const signup = await read().catch(() => null);
    if (signup && signup.status !== 'pending_payment') return signup;
  }
}

/** My sign-up `id` as the server has it now (newest first, so a fresh sign-up is on the first page). */
export async function readMySignup(id: string): Promise<Signup | null> {
  let cursor: string | null = null;
  for (let page = 0; page < 5; page += 1) {
    const answer: { items: Signup[]; nextCursor?: string | null } = await shopper.signups(cursor);
    const found = answer.items.find((signup) => signup.id === id);
    if (found) return found;
    cursor = answer.nextCursor ?? null;
    if (!cursor) return null;
  }
  return null;
}

/**
 * The one way a page pays for a held seat: pays, then (after `onConfirming`, where the page shows
 * 支付确认中…) waits for the server to settle the sign-up. Throws only when the payment itself failed.
 */
export async function payAndConfirmSignup(
  signup: Signup,
  onConfirming: () => void,
  watch: Partial<SettleWatch> = {},
): Promise<PaymentOutcome> {
  if (!(await payForSignup(signup))) return { kind: 'not_paid' };
  onConfirming();
  const settled = await waitForSignupToSettle({ read: () => readMySignup(signup.id), ...watch });
  return settled ? { kind: 'settled', signup: settled } : { kind: 'unconfirmed' };
}

export const CONFIRMING_TEXT = '支付确认中…';
export const UNCONFIRMED_TEXT = '支付结果确认中，请稍后在「我的报名」查看';

/** How a message about a paid sign-up reads: done, still being confirmed (neither success nor failure), or lost. */
export type PaymentTone = 'ok' | 'pending' | 'error';

/** What to tell the shopper about a settled or still unconfirmed paid sign-up. */
export function paymentOutcomeText(outcome: Exclude<PaymentOutcome, { kind: 'not_paid' }>): { tone: PaymentTone; text: string } {
  if (outcome.kind === 'unconfirmed') return { tone: 'pending', text: UNCONFIRMED_TEXT };
  const { signup } = outcome;
  switch (signup.status) {
    case 'confirmed':
    case 'attended':
      return { tone: 'ok', text: '报名成功，活动当天出示签到码即可' };
    case 'waitlisted':
      return { tone: 'ok', text: `名额已满，您已进入候补第 ${signup.waitlistPosition ?? '-'} 位` };
    case 'cancelled':
      // The server refunds a payment whose seat could not be kept (the hold ran out, or the activity was cancelled).
      return { tone: 'error', text: '报名未成功，已支付的费用将原路退回' };
    default:
      return { tone: 'pending', text: UNCONFIRMED_TEXT };
  }
}
