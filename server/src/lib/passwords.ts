import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PASSWORD_MIN_LENGTH } from '@membercard/shared';
import { errors } from './errors';

// Staff passwords are stored as scrypt hashes (memory-hard, in Node's crypto, no native addon to build).
// Format: scrypt$N$r$p$salt$hash, so the cost can be raised later without breaking stored hashes.

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const COST = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, { ...COST, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}

/** A hash of nothing anyone knows, checked against when the username is unknown so timing reveals nothing. */
export const DUMMY_PASSWORD_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

// ---- rules for a new password (stored passwords are not re-checked, so the demo's keep working) ----

let commonPasswords: Set<string> | null = null;
/** The shipped list of the commonest passwords (common-passwords.txt), read once. */
function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(
    readFileSync(join(__dirname, 'common-passwords.txt'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#')),
  );
  return commonPasswords.has(password.toLowerCase());
}

/** One character repeated, or a run up or down the keyboard's digits or the alphabet ("abcdefghij", "9876543210"). */
function isTrivial(password: string): boolean {
  const lower = password.toLowerCase();
  if (new Set(lower).size <= 2) return true;
  for (const step of [1, -1]) {
    let run = true;
    for (let i = 1; i < lower.length && run; i++) run = lower.charCodeAt(i) - lower.charCodeAt(i - 1) === step;
    if (run) return true;
  }
  return false;
}

/**
 * Refuses a new password that is too short, among the commonest passwords, trivial, or built on the
 * username (400 VALIDATION_FAILED on `field`). The length rule is PASSWORD_MIN_LENGTH, shared with the console.
 */
export function assertAcceptableNewPassword(password: string, context: { username: string; field: string }): void {
  const refuse = (message: string) => {
    throw errors.validation(message, { fields: [{ field: context.field, message }] });
  };
  if (password.length < PASSWORD_MIN_LENGTH) refuse(`at least ${PASSWORD_MIN_LENGTH} characters`);
  if (isCommonPassword(password) || isTrivial(password)) refuse('too common or too easy to guess');
  const username = context.username.toLowerCase();
  if (username.length >= 3 && password.toLowerCase().includes(username)) refuse('must not contain the username');
}
