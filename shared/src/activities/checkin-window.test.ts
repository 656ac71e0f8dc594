import { checkInVerdict, DEFAULT_CHECKIN_WINDOW } from './checkin-window';

describe('check-in window', () => {
  const activity = { startAt: new Date('2026-05-10T10:00:00Z'), endAt: new Date('2026-05-10T12:00:00Z') };
  const at = (iso: string) => new Date(iso);

  it('given the default window, when it is ten days before, then check-in is not open yet', () => {
    expect(checkInVerdict(activity, DEFAULT_CHECKIN_WINDOW, at('2026-04-30T10:00:00Z'))).toMatchObject({ ok: false, code: 'CHECKIN_NOT_OPEN', opensAt: at('2026-05-10T08:00:00Z') });
  });

  it('given the default window, when it is one minute before it opens / exactly when it opens, then refused / accepted', () => {
    expect(checkInVerdict(activity, DEFAULT_CHECKIN_WINDOW, at('2026-05-10T07:59:00Z')).ok).toBe(false);
    expect(checkInVerdict(activity, DEFAULT_CHECKIN_WINDOW, at('2026-05-10T08:00:00Z')).ok).toBe(true);
  });

  it('given the default window, when it is at the end / a minute after, then accepted / CHECKIN_CLOSED', () => {
    expect(checkInVerdict(activity, DEFAULT_CHECKIN_WINDOW, at('2026-05-10T12:00:00Z')).ok).toBe(true);
    expect(checkInVerdict(activity, DEFAULT_CHECKIN_WINDOW, at('2026-05-10T12:01:00Z'))).toMatchObject({ ok: false, code: 'CHECKIN_CLOSED' });
  });

  it('given HQ’s wider window, when it is 3 h before and 30 min after the end, then both are accepted', () => {
    const window = { opensMinutesBefore: 240, closesMinutesAfterEnd: 30 };
    expect(checkInVerdict(activity, window, at('2026-05-10T07:00:00Z')).ok).toBe(true);
    expect(checkInVerdict(activity, window, at('2026-05-10T12:30:00Z')).ok).toBe(true);
  });
});
