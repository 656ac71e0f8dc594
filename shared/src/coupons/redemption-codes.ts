/**
 * Printed redemption codes (兑换码): 11 random symbols (55 bits) and one check symbol from a 32-symbol
 * alphabet without look-alikes (no 0/O, 1/I).
 *
 * The check symbol makes Σ αⁱ·vᵢ = 0 in GF(32) (α a primitive element, weights α¹¹…α¹ on the payload, 1 on
 * the check). Distinct non-zero weights catch every single-symbol error and every transposition of two
 * symbols, adjacent or not. Luhn mod 32 was not used: it misses swaps of the first and last alphabet symbol.
 */
export const REDEMPTION_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const REDEMPTION_CODE_PAYLOAD_LENGTH = 11;
export const REDEMPTION_CODE_LENGTH = REDEMPTION_CODE_PAYLOAD_LENGTH + 1;
/** Bytes of randomness makeRedemptionCode needs: 55 bits, rounded up. */
export const REDEMPTION_CODE_RANDOM_BYTES = 7;

// GF(2^5) with the primitive polynomial x^5 + x^2 + 1; multiplying by α = x is a shift and a reduction.
const FIELD_POLYNOMIAL = 0b100101;
function timesAlpha(value: number): number {
  const shifted = value << 1;
  return shifted & 0b100000 ? shifted ^ FIELD_POLYNOMIAL : shifted;
}

function checkSymbolFor(payload: string): string {
  // Horner's rule: ((v₁·α + v₂)·α + …)·α = Σ v_k·α^(12−k); in GF(2^k) adding is XOR.
  let sum = 0;
  for (const symbol of payload) sum = timesAlpha(sum ^ REDEMPTION_CODE_ALPHABET.indexOf(symbol));
  return REDEMPTION_CODE_ALPHABET[sum]!;
}

/** A new code from caller-supplied randomness (at least 7 bytes; the server passes crypto.randomBytes). */
export function makeRedemptionCode(randomBytes: Uint8Array): string {
  if (randomBytes.length < REDEMPTION_CODE_RANDOM_BYTES) throw new Error(`needs ${REDEMPTION_CODE_RANDOM_BYTES} random bytes`);
  let payload = '';
  for (let index = 0; index < REDEMPTION_CODE_PAYLOAD_LENGTH; index++) {
    payload += REDEMPTION_CODE_ALPHABET[readFiveBits(randomBytes, index * 5)];
  }
  return payload + checkSymbolFor(payload);
}

function readFiveBits(bytes: Uint8Array, bitOffset: number): number {
  let value = 0;
  for (let bit = bitOffset; bit < bitOffset + 5; bit++) {
    value = (value << 1) | ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1);
  }
  return value;
}

/** As typed by a shopper: upper-cased, with spaces and dashes removed. */
export function normalizeRedemptionCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]+/g, '');
}

/** Right length, right alphabet and a matching check symbol; says nothing about whether the code exists. */
export function isWellFormedRedemptionCode(code: string): boolean {
  if (code.length !== REDEMPTION_CODE_LENGTH) return false;
  if (![...code].every((symbol) => REDEMPTION_CODE_ALPHABET.includes(symbol))) return false;
  return checkSymbolFor(code.slice(0, REDEMPTION_CODE_PAYLOAD_LENGTH)) === code[REDEMPTION_CODE_PAYLOAD_LENGTH];
}

/** For print: `XXXX-XXXX-XXXX`. */
export function formatRedemptionCode(code: string): string {
  return normalizeRedemptionCode(code).replace(/(.{4})(?=.)/g, '$1-');
}
