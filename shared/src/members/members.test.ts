import { JoinMembershipBodySchema, ProfilePatchBodySchema, MemberSchema } from './schema';
import { profileCompletion, isProfileComplete } from './profile';
import { cardNoFromBody, isValidCardNo, luhnCheckDigit } from './card-number';
import { maskName, maskPhone } from './masking';

describe('joining', () => {
  it('given acceptTerms true and a policy version, then the body is valid', () => {
    expect(JoinMembershipBodySchema.safeParse({ acceptTerms: true, privacyPolicyVersion: '2025-01' }).success).toBe(true);
  });

  it.each([[false], ['true'], [undefined]])('given acceptTerms %p, then joining is a validation error', (acceptTerms) => {
    const result = JoinMembershipBodySchema.safeParse({ acceptTerms, privacyPolicyVersion: '2025-01' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['acceptTerms']);
  });

  it('given an unknown field, then the body is refused', () => {
    expect(JoinMembershipBodySchema.safeParse({ acceptTerms: true, privacyPolicyVersion: 'v1', isAdmin: true }).success).toBe(false);
  });
});

describe('profile patch', () => {
  it('given null fields, then they parse as "clear this field"', () => {
    expect(ProfilePatchBodySchema.parse({ name: null, interests: null })).toEqual({ name: null, interests: null });
  });

  it('given a gender outside the list, then it is refused', () => {
    expect(ProfilePatchBodySchema.safeParse({ gender: 'unknown' }).success).toBe(false);
  });

  it('given birthdays, then only real past dates pass', () => {
    expect(ProfilePatchBodySchema.safeParse({ birthday: '1990-02-28' }).success).toBe(true);
    expect(ProfilePatchBodySchema.safeParse({ birthday: '2000-02-29' }).success).toBe(true);
    expect(ProfilePatchBodySchema.safeParse({ birthday: '1990-02-30' }).success).toBe(false);
    expect(ProfilePatchBodySchema.safeParse({ birthday: '1990-2-3' }).success).toBe(false);
    expect(ProfilePatchBodySchema.safeParse({ birthday: '2999-01-01' }).success).toBe(false);
    expect(ProfilePatchBodySchema.safeParse({ birthday: '1899-12-31' }).success).toBe(false);
  });

  it('given 11 interests, then they are refused; 10 pass', () => {
    const interests = Array.from({ length: 11 }, (_, index) => `兴趣${index}`);
    expect(ProfilePatchBodySchema.safeParse({ interests }).success).toBe(false);
    expect(ProfilePatchBodySchema.safeParse({ interests: interests.slice(0, 10) }).success).toBe(true);
  });

  it('given a name of only spaces, then it is refused', () => {
    expect(ProfilePatchBodySchema.safeParse({ name: '   ' }).success).toBe(false);
  });
});

describe('Member answer', () => {
  it('given a freshly joined member, then it parses', () => {
    const member = {
      id: 'm1',
      cardNo: '100000000008',
      tier: { code: 'silver', name: '银卡' },
      pointsBalance: 0,
      pointsExpiringSoon: null,
      profileCompletion: 0,
      couponsAvailable: 1,
      homeStoreId: 'SH01',
      joinedAt: '2025-03-01T02:00:00.000Z',
    };
    expect(MemberSchema.parse(member)).toEqual(member);
  });
});

describe('profileCompletion', () => {
  const full = { name: '张三', gender: 'male', birthday: '1990-01-01', phone: '13812341234', city: '上海', interests: ['咖啡'] };

  it('given an empty profile, then completion is 0', () => {
    expect(profileCompletion({})).toBe(0);
  });

  it('given all six fields, then completion is 100 and the profile is complete', () => {
    expect(profileCompletion(full)).toBe(100);
    expect(isProfileComplete(full)).toBe(true);
  });

  it('given five of six fields, then completion rounds down to 83', () => {
    expect(profileCompletion({ ...full, city: null })).toBe(83);
    expect(isProfileComplete({ ...full, city: null })).toBe(false);
  });

  it('given one field, then completion is 16', () => {
    expect(profileCompletion({ name: '张三' })).toBe(16);
  });

  it('given an empty string and an empty list, then both count as missing', () => {
    expect(profileCompletion({ ...full, name: '  ', interests: [] })).toBe(66);
  });
});

describe('card numbers', () => {
  it('given the textbook Luhn example 7992739871, then its check digit is 3', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
  });

  it('given an 11-digit body, then the card number ends in its check digit and is valid', () => {
    const cardNo = cardNoFromBody('10000000000');
    expect(cardNo).toBe('100000000008');
    expect(isValidCardNo(cardNo)).toBe(true);
  });

  it('given a card number with one digit changed, then it is invalid', () => {
    expect(isValidCardNo('100000000018')).toBe(false);
    expect(isValidCardNo('100000000009')).toBe(false);
  });

  it('given wrong lengths or characters, then it is invalid', () => {
    expect(isValidCardNo('10000000008')).toBe(false);
    expect(isValidCardNo('1000000000080')).toBe(false);
    expect(isValidCardNo('10000000000a')).toBe(false);
  });
});

describe('masking', () => {
  it('given names, then the first character stays and each other character becomes *', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('张三丰')).toBe('张**');
    expect(maskName('张')).toBe('张*');
    expect(maskName('')).toBe('');
    expect(maskName('𠮷野家')).toBe('𠮷**');
  });

  it('given a mainland mobile number, then the middle four digits are masked', () => {
    expect(maskPhone('13812341234')).toBe('138****1234');
    expect(maskPhone('+86 138 1234 1234')).toBe('138****1234');
  });

  it('given a very short number, then it is fully masked', () => {
    expect(maskPhone('12345')).toBe('*****');
  });
});
