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
  const { code, secret, now, stepSeconds = DEFAULT_CODE_STEP_SECONDS, graceSteps = 1 } = input;
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
