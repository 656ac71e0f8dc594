import { hmac } from '@noble/hashes/hmac';
import { sha1 } from '@noble/hashes/legacy';

/**
 * HOTP (RFC 4226) over HMAC-SHA1. The HMAC message is the 8-byte big-endian counter followed by an optional
 * context; with no context this is exactly RFC 4226/6238, with one the code is also bound to what the
 * context names (see codes.ts).
 */
export function hotp(secret: Uint8Array, counter: number, digits: number, context: Uint8Array = new Uint8Array(0)): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new Error('counter must be a non-negative safe integer');
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new Error('digits must be 6–10');
  const message = new Uint8Array(8 + context.length);
  const view = new DataView(message.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  message.set(context, 8);
  const mac = hmac(sha1, secret, message);
  // Dynamic truncation (RFC 4226 §5.3).
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return (binary % 10 ** digits).toString().padStart(digits, '0');
}

/** The RFC 6238 time step that contains `now`. */
export function timeStep(now: Date, stepSeconds: number): number {
  if (!Number.isInteger(stepSeconds) || stepSeconds <= 0) throw new Error('stepSeconds must be a positive integer');
  return Math.floor(now.getTime() / 1000 / stepSeconds);
}

/** TOTP (RFC 6238): HOTP over the time step containing `now`. */
export function totp(secret: Uint8Array, now: Date, stepSeconds: number, digits: number, context?: Uint8Array): string {
  return hotp(secret, timeStep(now, stepSeconds), digits, context);
}

/** Compares two strings in time that depends only on their lengths, so a guesser learns nothing from timing. */
export function constantTimeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index++) {
    difference |= (a.charCodeAt(index) || 0) ^ (b.charCodeAt(index) || 0);
  }
  return difference === 0;
}
