import { base32Decode, base32Encode } from './base32';
import { constantTimeEqual, hotp, totp } from './otp';
import { generateCode, parseCode, verifyCode } from './codes';

const asciiBytes = (text: string) => Uint8Array.from(text, (character) => character.charCodeAt(0));

describe('TOTP core (RFC 6238 appendix B, SHA-1, 30 s steps, 8 digits)', () => {
  const rfcSecret = asciiBytes('12345678901234567890');
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('given unix time %d, then the code is %s', (seconds, expected) => {
    expect(totp(rfcSecret, new Date(seconds * 1000), 30, 8)).toBe(expected);
  });

  it('given RFC 4226 appendix D counters 0 and 9, then the 6-digit HOTPs match', () => {
    expect(hotp(rfcSecret, 0, 6)).toBe('755224');
    expect(hotp(rfcSecret, 9, 6)).toBe('520489');
  });
});

describe('base32', () => {
  it('given RFC 4648 test vectors, then encoding and decoding agree', () => {
    expect(base32Encode(asciiBytes('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(asciiBytes('f'))).toBe('MY');
    expect(Array.from(base32Decode('MZXW6YTBOI======'))).toEqual(Array.from(asciiBytes('foobar')));
    expect(Array.from(base32Decode('mzxw6'))).toEqual(Array.from(asciiBytes('foo')));
  });

  it('given a 20-byte secret, then it survives a round trip', () => {
    const secret = Uint8Array.from({ length: 20 }, (_, index) => (index * 37 + 11) & 255);
    expect(Array.from(base32Decode(base32Encode(secret)))).toEqual(Array.from(secret));
  });

  it('given a character outside the alphabet, then decoding throws', () => {
    expect(() => base32Decode('MZ1W')).toThrow();
  });
});

describe('constantTimeEqual', () => {
  it('given equal, different and differently long strings, then only equal ones match', () => {
    expect(constantTimeEqual('12345678', '12345678')).toBe(true);
    expect(constantTimeEqual('12345678', '12345679')).toBe(false);
    expect(constantTimeEqual('1234567', '12345678')).toBe(false);
  });
});

describe('short-lived codes', () => {
  const secret = asciiBytes('member-secret-20byte');
  const otherSecret = asciiBytes('another-secret-20byt');
  const cardNo = '100000000008';
  const couponId = '65f1a2b3c4d5e6f708192a3b';
  const otherCouponId = '65f1a2b3c4d5e6f708192a3c';
  const now = new Date('2025-03-01T08:00:30Z');

  it('given a member, when a code is generated, then it is M + card number + 8 digits and expires at the end of the step', () => {
    const { code, expiresAt } = generateCode({ kind: 'member', subject: cardNo, secret, now });
    expect(code).toMatch(/^M100000000008\d{8}$/);
    expect(code).toHaveLength(21);
    expect(expiresAt.toISOString()).toBe('2025-03-01T08:01:00.000Z');
  });

  it('given a generated code, when parsed, then kind, subject and OTP come back', () => {
    const { code } = generateCode({ kind: 'coupon', subject: couponId, secret, now });
    expect(parseCode(code)).toEqual({ kind: 'coupon', subject: couponId, otp: code.slice(-8) });
  });

  it('given malformed codes, when parsed, then they are null', () => {
    expect(parseCode('M10000000000912345678')).toBeNull(); // card number fails Luhn
    expect(parseCode('C10000000000812345678')).toBeNull(); // a card number is not a coupon id
    expect(parseCode('X100000000008123456781')).toBeNull();
    expect(parseCode('C65F1A2B3C4D5E6F708192A3B12345678')).toBeNull(); // upper-case hex
    expect(parseCode('S65f1a2b3c4d5e6f708192a3b1234567')).toBeNull(); // 7 digits
    expect(parseCode(' M10000000000812345678')).toBeNull();
    expect(parseCode('')).toBeNull();
  });

  it('given a code, when verified within its step or one step later, then it is accepted', () => {
    const { code } = generateCode({ kind: 'member', subject: cardNo, secret, now });
    expect(verifyCode({ code, secret, now })).toBe(true);
    expect(verifyCode({ code, secret, now: new Date('2025-03-01T08:01:59Z') })).toBe(true);
  });

  it('given a code, when verified two steps later, then it is refused (a screenshot stops working)', () => {
    const { code } = generateCode({ kind: 'member', subject: cardNo, secret, now });
    expect(verifyCode({ code, secret, now: new Date('2025-03-01T08:02:00Z') })).toBe(false);
  });

  it('given a phone clock one step fast, then its code is still accepted; two steps fast, refused', () => {
    const { code: oneAhead } = generateCode({ kind: 'member', subject: cardNo, secret, now: new Date('2025-03-01T08:01:10Z') });
    const { code: twoAhead } = generateCode({ kind: 'member', subject: cardNo, secret, now: new Date('2025-03-01T08:02:10Z') });
    expect(verifyCode({ code: oneAhead, secret, now })).toBe(true);
    expect(verifyCode({ code: twoAhead, secret, now })).toBe(false);
  });

  it('given graceSteps 0, when verified one step later, then it is refused', () => {
    const { code } = generateCode({ kind: 'member', subject: cardNo, secret, now });
    expect(verifyCode({ code, secret, now: new Date('2025-03-01T08:01:00Z'), graceSteps: 0 })).toBe(false);
  });

  it('given another member’s secret, then the code is refused', () => {
    const { code } = generateCode({ kind: 'member', subject: cardNo, secret, now });
    expect(verifyCode({ code, secret: otherSecret, now })).toBe(false);
  });

  it('given a coupon code re-labelled with another coupon id, then it is refused', () => {
    const { code } = generateCode({ kind: 'coupon', subject: couponId, secret, now });
    const relabelled = 'C' + otherCouponId + code.slice(-8);
    expect(verifyCode({ code: relabelled, secret, now })).toBe(false);
  });

  it('given a coupon code re-labelled as a sign-up code, then it is refused', () => {
    const { code } = generateCode({ kind: 'coupon', subject: couponId, secret, now });
    expect(verifyCode({ code: 'S' + code.slice(1), secret, now })).toBe(false);
  });

  it('given an altered OTP digit, then it is refused', () => {
    const { code } = generateCode({ kind: 'signup', subject: couponId, secret, now });
    const last = code.at(-1)!;
    const altered = code.slice(0, -1) + String((Number(last) + 1) % 10);
    expect(verifyCode({ code: altered, secret, now })).toBe(false);
  });

  it('given a custom step of 30 s, then expiry and verification follow it', () => {
    const { code, expiresAt } = generateCode({ kind: 'member', subject: cardNo, secret, now, stepSeconds: 30 });
    expect(expiresAt.toISOString()).toBe('2025-03-01T08:01:00.000Z');
    expect(verifyCode({ code, secret, now: new Date('2025-03-01T08:01:29Z'), stepSeconds: 30 })).toBe(true);
    expect(verifyCode({ code, secret, now: new Date('2025-03-01T08:01:30Z'), stepSeconds: 30 })).toBe(false);
  });

  it('given an invalid subject, when generating, then it throws', () => {
    expect(() => generateCode({ kind: 'member', subject: '100000000009', secret, now })).toThrow();
    expect(() => generateCode({ kind: 'coupon', subject: 'not-an-object-id', secret, now })).toThrow();
  });
});
