import { ApiError, readableErrorMessage, readableSignInError } from '../api/errors';
import { actorRoleLabel, hqRoleLabel } from './auditActions';
import { buildReference } from './reference';

// The console's readings of the shared dictionary: roles, the store placeholder and the sign-in refusal.

const zh = (text: string) => text;
const en = (_zh: string, text: string) => text;

describe('roles and stores in words', () => {
  it('names store and HQ roles from the shared dictionary', () => {
    expect(actorRoleLabel({ role: 'clerk' }, zh)).toBe('店员');
    expect(actorRoleLabel({ role: 'hq', hqRole: 'viewer' }, zh)).toBe('总部 · 只读');
    expect(actorRoleLabel({ role: 'manager' }, en)).toBe('Manager');
    expect(hqRoleLabel(null, zh)).toBe('管理员');
  });

  it('reads the no-home-store key as words, a known store by name and nothing as a dash', () => {
    const reference = buildReference([{ id: 'SH01', name: '上海静安店' } as never], [], 'zh');
    expect(reference.storeName('none')).toBe('未指定门店');
    expect(reference.storeName('SH01')).toBe('上海静安店');
    expect(reference.storeName(null)).toBe('—');
    expect(buildReference([], [], 'en').storeName('none')).toBe('No home store');
  });
});

describe('a refused sign-in', () => {
  it('given 401 at the sign-in form, says the credentials are wrong, not that a session ended', () => {
    const refused = new ApiError(401, 'UNAUTHENTICATED', 'Wrong username or password.', undefined, 'r1');
    expect(readableSignInError(refused, 'zh')).toBe('用户名或密码错误');
    expect(readableSignInError(refused, 'en')).toBe('Wrong username or password');
    // Elsewhere the same code still means the session ended.
    expect(readableErrorMessage(refused, 'zh')).toBe('登录已失效，请重新登录');
    expect(readableSignInError(new ApiError(429, 'RATE_LIMITED', 'slow down', undefined, 'r2'), 'zh')).toBe('操作太频繁，请稍后再试');
  });
});
