import { chinaDayRange, isChinaIsoDate, reversalBlock } from './rules';

describe('the counter’s China day', () => {
  it('runs from 00:00 to the next 00:00 in China (UTC+8), whatever the server’s zone', () => {
    expect(chinaDayRange('2026-03-04')).toEqual({ from: new Date('2026-03-03T16:00:00.000Z'), to: new Date('2026-03-04T16:00:00.000Z') });
    // New Year's Eve in China ends at 16:00 UTC on 12-31.
    expect(chinaDayRange('2026-12-31').to).toEqual(new Date('2026-12-31T16:00:00.000Z'));
  });

  it('takes real calendar dates only', () => {
    expect(['2026-03-04', '2028-02-29'].map(isChinaIsoDate)).toEqual([true, true]);
    expect(['2026-02-29', '2026-13-01', '2026-3-4', '20260304', ''].map(isChinaIsoDate)).toEqual([false, false, false, false, false]);
  });
});

describe('who may reverse an entry now', () => {
  const at = new Date('2026-03-04T04:00:00Z');
  const within = new Date(at.getTime() + 24 * 3600_000);
  const past = new Date(within.getTime() + 1);
  it('a manager (or HQ) within 24 hours; a clerk never; reversed and check-ins never', () => {
    expect(reversalBlock({ kind: 'purchase', reversed: false, at }, { mayReverse: true }, within)).toBeNull();
    expect(reversalBlock({ kind: 'redemption', reversed: false, at }, { mayReverse: true }, past)).toBe('WINDOW_CLOSED');
    expect(reversalBlock({ kind: 'purchase', reversed: false, at }, { mayReverse: false }, within)).toBe('NOT_MANAGER');
    expect(reversalBlock({ kind: 'purchase', reversed: true, at }, { mayReverse: true }, within)).toBe('REVERSED');
    expect(reversalBlock({ kind: 'checkin', reversed: false, at }, { mayReverse: true }, within)).toBe('NOT_REVERSIBLE');
  });
});
