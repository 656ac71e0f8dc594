export const CARD_NO_LENGTH = 12;

/** The Luhn check digit (0–9) for a string of decimal digits. */
export function luhnCheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) throw new Error('luhnCheckDigit expects decimal digits');
  let sum = 0;
  // Walking from the right, the digit next to the (future) check digit is doubled first.
  for (let offset = 0; offset < digits.length; offset++) {
    let digit = Number(digits[digits.length - 1 - offset]);
    if (offset % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** A card number from 11 body digits (e.g. a zero-padded sequence number) plus its check digit. */
export function cardNoFromBody(body: string): string {
  if (!/^\d{11}$/.test(body)) throw new Error('a card number body is 11 digits');
  return body + luhnCheckDigit(body);
}

/** 12 digits whose last is the Luhn check digit of the first 11. */
export function isValidCardNo(cardNo: string): boolean {
  return /^\d{12}$/.test(cardNo) && luhnCheckDigit(cardNo.slice(0, -1)) === Number(cardNo[11]);
}
