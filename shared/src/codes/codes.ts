import { isValidCardNo } from '../members/card-number';
import { hotp, constantTimeEqual, timeStep } from './otp';

/**
 * The short-lived codes shown as QR and barcode: one letter for the kind, the subject id, then 8 OTP digits.
 *   member  `M` + 12-digit card number        + 8 digits (21 characters, fits Code128)
 *   coupon  `C` + coupon id (24 lowercase hex) + 8 digits
 *   sign-up `S` + sign-up id (24 lowercase hex) + 8 digits
 * The OTP is keyed by the member's secret and its HMAC message is counter || kind || subject, so a code
 * cannot be re-labelled as another kind or another coupon. Phones generate codes offline; the server verifies.
 */
export type CodeKind = 'member' | 'coupon' | 'signup';

export const CODE_OTP_DIGITS = 8;
export const DEFAULT_CODE_STEP_SECONDS = 60;
/**
 * Steps either side of the current one that verification still accepts: one behind covers a code shown just
 * before the step turned (and a clerk typing its 18 digits), one ahead a phone clock running up to a step fast.
 */
export const CODE_GRACE_STEPS = 1;

/**
 * The longest a code stays accepted after it first appears on screen, in seconds: made at the very start of
 * its step, it is accepted to the end of the step after (`graceSteps` behind). A screenshot is good for this
 * long at most, and for at least `stepSeconds × graceSteps`. With 60 s steps: 2 minutes.
 */
export function codeAcceptedForSeconds(stepSeconds: number = DEFAULT_CODE_STEP_SECONDS, graceSteps: number = CODE_GRACE_STEPS): number {
  return stepSeconds * (graceSteps + 1);
}

const kindLetters: Record<CodeKind, string> = { member: 'M', coupon: 'C', signup: 'S' };
const subjectPatterns: Record<CodeKind, RegExp> = {
  member: /^\d{12}$/,
  coupon: /^[0-9a-f]{24}$/,
  signup: /^[0-9a-f]{24}$/,
};
const codePattern = /^([MCS])(\d{12}|[0-9a-f]{24})(\d{8})$/;

export interface ParsedCode {
  kind: CodeKind;
  subject: string;
  otp: string;
}

export function isValidCodeSubject(kind: CodeKind, subject: string): boolean {
  return subjectPatterns[kind].test(subject) && (kind !== 'member' || isValidCardNo(subject));
}

export function generateCode(input: {
  kind: CodeKind;
  subject: string;
  secret: Uint8Array;
  now: Date;
  stepSeconds?: number;
}): { code: string; expiresAt: Date } {
  const { kind, subject, secret, now, stepSeconds = DEFAULT_CODE_STEP_SECONDS } = input;
  if (!isValidCodeSubject(kind, subject)) throw new Error(`not a valid ${kind} code subject: ${subject}`);
  const step = timeStep(now, stepSeconds);
  const otp = hotp(secret, step, CODE_OTP_DIGITS, codeContext(kind, subject));
  return { code: kindLetters[kind] + subject + otp, expiresAt: new Date((step + 1) * stepSeconds * 1000) };
}

/** Splits a scanned code into kind, subject and OTP, or null when it is not exactly one of the three formats. */
export function parseCode(code: string): ParsedCode | null {
  const match = codePattern.exec(code);
  if (!match) return null;
  const [, letter, subject, otp] = match as unknown as [string, string, string, string];
  const kind = (Object.keys(kindLetters) as CodeKind[]).find((candidate) => kindLetters[candidate] === letter)!;
  return isValidCodeSubject(kind, subject) ? { kind, subject, otp } : null;
}

/**
 * True when the code is well formed and its OTP matches the step containing `now` or one of the
 * `graceSteps` steps on either side (before: the code shown a moment ago; after: a phone clock running fast).
 */
export function verifyCode(input: {
  code: string;
  secret: Uint8Array;
  now: Date;
  stepSeconds?: number;
  graceSteps?: number;
}): boolean {
  const { code, secret, now, stepSeconds = DEFAULT_CODE_STEP_SECONDS, graceSteps = CODE_GRACE_STEPS } = input;
  const parsed = parseCode(code);
  if (!parsed) return false;
  const context = codeContext(parsed.kind, parsed.subject);
  const current = timeStep(now, stepSeconds);
  let matched = false;
  // Every candidate is computed and compared, so timing does not reveal which step matched.
  for (let step = Math.max(0, current - graceSteps); step <= current + graceSteps; step++) {
    matched = constantTimeEqual(hotp(secret, step, CODE_OTP_DIGITS, context), parsed.otp) || matched;
  }
  return matched;
}

// Kind and subject are ASCII, so each character is one byte (and no TextEncoder is needed on old phones).
function codeContext(kind: CodeKind, subject: string): Uint8Array {
  const text = kindLetters[kind] + subject;
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

/**
 * The typeable form of the same codes, at most 18 digits like a WeChat Pay payment code, for a till or a clerk
 * without a camera:
 *   2-digit kind prefix (61 member, 62 coupon, 63 sign-up) + the member's 8-digit code handle + the QR's 8 OTP digits
 * The OTP digits are exactly those of the QR (same key, context and time step), so the numeric form is no
 * weaker and expires with it. The handle is a random number the server gives each member (unique index) and
 * the phone keeps with its code key, so codes stay makeable offline. A coupon or sign-up code does not name
 * which of the member's coupons/sign-ups it is: the server tries the member's few live ones against the OTP
 * (`matchNumericCode`); the context binds the OTP to one subject, so only that one matches.
 * The prefixes avoid WeChat Pay's 10–15 and Alipay's 25–30, so a till can tell the codes apart.
 */
export const NUMERIC_CODE_LENGTH = 18;
export const NUMERIC_HANDLE_DIGITS = 8;
const numericPrefixes: Record<CodeKind, string> = { member: '61', coupon: '62', signup: '63' };
const numericPattern = /^(6[123])(\d{8})(\d{8})$/;

export interface ParsedNumericCode {
  kind: CodeKind;
  /** The member's code handle. */
  handle: string;
  otp: string;
}

export function isValidNumericHandle(handle: string): boolean {
  return /^\d{8}$/.test(handle);
}

/** A fresh random handle: 8 digits, the first never 0 so it never reads shorter. */
export function randomNumericHandle(randomDigit: (min: number, max: number) => number): string {
  let handle = String(randomDigit(1, 10));
  for (let i = 1; i < NUMERIC_HANDLE_DIGITS; i++) handle += String(randomDigit(0, 10));
  return handle;
}

/** The numeric form of a code made by `generateCode` (same OTP digits), for the member whose handle is given. */
export function numericFormOf(code: string, handle: string): string {
  const parsed = parseCode(code);
  if (!parsed) throw new Error('not a code');
  if (!isValidNumericHandle(handle)) throw new Error(`not a numeric code handle: ${handle}`);
  return numericPrefixes[parsed.kind] + handle + parsed.otp;
}

/** Digits typed by a clerk: spaces and dashes dropped (the screen groups the digits in fours). */
export function normalizeTypedCode(text: string): string {
  const trimmed = text.trim();
  return /^[\d\s-]+$/.test(trimmed) ? trimmed.replace(/[\s-]/g, '') : trimmed;
}

/** Splits an 18-digit numeric code (spaces allowed) into kind, member handle and OTP, or null. */
export function parseNumericCode(text: string): ParsedNumericCode | null {
  const match = numericPattern.exec(normalizeTypedCode(text));
  if (!match) return null;
  const [, prefix, handle, otp] = match as unknown as [string, string, string, string];
  const kind = (Object.keys(numericPrefixes) as CodeKind[]).find((candidate) => numericPrefixes[candidate] === prefix)!;
  return { kind, handle, otp };
}

/** The digits in groups of four, as the screen shows them: `6112 3456 7812 3456 78`. */
export function groupDigits(digits: string): string {
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * Which of the given subjects (the member's card number, or their coupon / sign-up ids) the numeric code's
 * OTP belongs to, with `verifyCode`'s window; the canonical code of each match, for everything downstream.
 * More than one match (a one-in-10^8 coincidence) is the caller's to refuse.
 */
export function matchNumericCode(input: {
  numeric: ParsedNumericCode;
  subjects: readonly string[];
  secret: Uint8Array;
  now: Date;
  stepSeconds?: number;
  graceSteps?: number;
}): string[] {
  const { numeric, subjects, ...rest } = input;
  const matches: string[] = [];
  for (const subject of subjects) {
    if (!isValidCodeSubject(numeric.kind, subject)) continue;
    const code = kindLetters[numeric.kind] + subject + numeric.otp;
    if (verifyCode({ code, ...rest })) matches.push(code);
  }
  return matches;
}
