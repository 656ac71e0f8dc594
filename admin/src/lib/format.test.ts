import { formatDate, formatDateTime } from './format';

// Times in the console are China's (UTC+8) whatever the time zone of the browser or the machine it runs on.
describe('formatDateTime', () => {
  it('reads an instant in China time', () => {
    expect(formatDateTime('2026-12-03T16:40:00.000Z')).toBe('2026-12-04 00:40');
    expect(formatDateTime('2026-01-31T15:59:00Z')).toBe('2026-01-31 23:59');
    expect(formatDate('2026-12-31T16:00:00Z')).toBe('2027-01-01');
  });
  it('answers a dash for nothing and the text for what is not a time', () => {
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a time')).toBe('not a time');
  });
});
