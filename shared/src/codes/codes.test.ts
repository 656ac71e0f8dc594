import { base32Decode, base32Encode } from './base32';
import { constantTimeEqual, hotp, totp } from './otp';
import {
  codeAcceptedForSeconds,
  generateCode,
  groupDigits,
  matchNumericCode,
  normalizeTypedCode,
  numericFormOf,
  parseCode,
  parseNumericCode,
  randomNumericHandle,
  verifyCode,
} from './codes';

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

  it('given a code first shown at the start of its step, then it is accepted for exactly codeAcceptedForSeconds (what the screen promises)', () => {
    const shownAt = new Date('2025-03-01T08:00:00Z');
    const { code } = generateCode({ kind: 'member', subject: cardNo, secret, now: shownAt });
    const acceptedMs = codeAcceptedForSeconds() * 1000;
    expect(acceptedMs).toBe(120_000);
    expect(verifyCode({ code, secret, now: new Date(shownAt.getTime() + acceptedMs - 1) })).toBe(true);
    expect(verifyCode({ code, secret, now: new Date(shownAt.getTime() + acceptedMs) })).toBe(false);
    expect(codeAcceptedForSeconds(30)).toBe(60);
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

describe('numeric (typeable) codes', () => {
  const secret = asciiBytes('member-secret-20byte');
  const otherSecret = asciiBytes('another-secret-20byt');
  const cardNo = '100000000008';
  const handle = '48213975';
  const couponId = '65f1a2b3c4d5e6f708192a3b';
  const otherCouponIds = ['65f1a2b3c4d5e6f708192a3c', '65f1a2b3c4d5e6f708192a3d'];
  const now = new Date('2025-03-01T08:00:30Z');

  it('given a member code, when its numeric form is made, then it is 61 + handle + the same 8 OTP digits (18 digits)', () => {
    const { code } = generateCode({ kind: 'member', subject: cardNo, secret, now });
    const numeric = numericFormOf(code, handle);
    expect(numeric).toBe('61' + handle + code.slice(-8));
    expect(numeric).toMatch(/^\d{18}$/);
  });

  it('given coupon and sign-up codes, when their numeric forms are made, then the prefixes are 62 and 63', () => {
    expect(numericFormOf(generateCode({ kind: 'coupon', subject: couponId, secret, now }).code, handle)).toMatch(/^6248213975\d{8}$/);
    expect(numericFormOf(generateCode({ kind: 'signup', subject: couponId, secret, now }).code, handle)).toMatch(/^6348213975\d{8}$/);
  });

  it('given a numeric code typed in groups of four, when parsed, then kind, handle and OTP come back', () => {
    expect(parseNumericCode('6248 2139 7512 3456 78')).toEqual({ kind: 'coupon', handle, otp: '12345678' });
    expect(parseNumericCode(' 634821397512345678 ')).toEqual({ kind: 'signup', handle, otp: '12345678' });
  });

  it('given malformed numeric codes, when parsed, then they are null', () => {
    expect(parseNumericCode('644821397512345678')).toBeNull(); // unknown kind prefix
    expect(parseNumericCode('61482139751234567')).toBeNull(); // 17 digits
    expect(parseNumericCode('6148213975123456789')).toBeNull(); // 19 digits
    expect(parseNumericCode('134821397512345678')).toBeNull(); // a WeChat Pay payment code prefix
    expect(parseNumericCode('61482139751234567a')).toBeNull();
    expect(parseNumericCode('M10000000000812345678')).toBeNull();
    expect(parseNumericCode('')).toBeNull();
  });

  it('given typed text, when normalised, then only digit groups lose their spaces', () => {
    expect(normalizeTypedCode(' 6148 2139-7512 3456 78 ')).toBe('614821397512345678');
    expect(normalizeTypedCode(' M10000000000812345678 ')).toBe('M10000000000812345678');
  });

  it('given 18 digits, when grouped, then they read in fours', () => {
    expect(groupDigits('614821397512345678')).toBe('6148 2139 7512 3456 78');
  });

  it('given a coupon code among the member’s coupons, when matched, then only its own coupon matches, as the canonical code', () => {
    const { code } = generateCode({ kind: 'coupon', subject: couponId, secret, now });
    const numeric = parseNumericCode(numericFormOf(code, handle))!;
    expect(matchNumericCode({ numeric, subjects: [otherCouponIds[0]!, couponId, otherCouponIds[1]!], secret, now })).toEqual([code]);
  });

  it('given a numeric code, when matched one step later, then it is accepted; two steps later, refused (same window as the QR)', () => {
    const { code } = generateCode({ kind: 'member', subject: cardNo, secret, now });
    const numeric = parseNumericCode(numericFormOf(code, handle))!;
    expect(matchNumericCode({ numeric, subjects: [cardNo], secret, now: new Date('2025-03-01T08:01:59Z') })).toEqual([code]);
    expect(matchNumericCode({ numeric, subjects: [cardNo], secret, now: new Date('2025-03-01T08:02:00Z') })).toEqual([]);
  });

  it('given another member’s secret or a coupon code relabelled as a sign-up, when matched, then nothing matches', () => {
    const { code } = generateCode({ kind: 'coupon', subject: couponId, secret, now });
    const numeric = parseNumericCode(numericFormOf(code, handle))!;
    expect(matchNumericCode({ numeric, subjects: [couponId], secret: otherSecret, now })).toEqual([]);
    expect(matchNumericCode({ numeric: { ...numeric, kind: 'signup' }, subjects: [couponId], secret, now })).toEqual([]);
  });

  it('given an invalid handle, when the numeric form is made, then it throws; a random handle is 8 digits not starting with 0', () => {
    const { code } = generateCode({ kind: 'member', subject: cardNo, secret, now });
    expect(() => numericFormOf(code, '1234567')).toThrow();
    let calls = 0;
    expect(randomNumericHandle((min) => (calls++ === 0 ? min : 0))).toBe('10000000');
  });
});
