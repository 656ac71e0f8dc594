import { code128Runs, toRuns } from './barcode';
import { qrMatrix } from './qr';
import { groupCardNo, newOrderNo, parseYuanToFen, yuan } from './format';

const memberCode = 'M12345678901200112233';

describe('Code128', () => {
  it('encodes a member code as bars that start and end dark and add up to whole symbols', () => {
    const runs = code128Runs(memberCode);
    expect(runs[0]!.dark).toBe(true);
    expect(runs[runs.length - 1]!.dark).toBe(true);
    const modules = runs.reduce((sum, run) => sum + run.width, 0);
    // Every symbol is 11 modules; the stop symbol is 13.
    expect((modules - 13) % 11).toBe(0);
    expect(runs.every((run) => run.width >= 1 && run.width <= 4)).toBe(true);
  });

  it('uses code set C for the digits, so the 21-character code stays short', () => {
    const modules = code128Runs(memberCode).reduce((sum, run) => sum + run.width, 0);
    // start + M + switch + 10 digit pairs + check = 14 symbols, + stop
    expect(modules).toBe(14 * 11 + 13);
  });

  it('collapses module strings into runs', () => {
    expect(toRuns('110100')).toEqual([
      { dark: true, width: 2 },
      { dark: false, width: 1 },
      { dark: true, width: 1 },
      { dark: false, width: 2 },
    ]);
  });
});

describe('QR', () => {
  it('draws a square matrix with the finder pattern in the corner', () => {
    const matrix = qrMatrix(memberCode);
    expect(matrix.size).toBeGreaterThanOrEqual(21);
    expect(matrix.rows).toHaveLength(matrix.size);
    for (const row of matrix.rows) expect(row.reduce((sum, run) => sum + run.width, 0)).toBe(matrix.size);
    // Top row starts with the 7-module dark edge of the finder pattern.
    expect(matrix.rows[0]![0]).toEqual({ dark: true, width: 7 });
  });
});

describe('formatting', () => {
  it('groups the card number 4-4-4', () => {
    expect(groupCardNo('123456789012')).toBe('1234 5678 9012');
  });

  it('reads yuan typed by a clerk as fen', () => {
    expect(parseYuanToFen('12.5')).toBe(1250);
    expect(parseYuanToFen('300')).toBe(30000);
    expect(parseYuanToFen('0')).toBeNull();
    expect(parseYuanToFen('1.234')).toBeNull();
    expect(parseYuanToFen('abc')).toBeNull();
  });

  it('shows fen as yuan', () => {
    expect(yuan(3000)).toBe('¥30');
    expect(yuan(1250)).toBe('¥12.50');
    expect(yuan(200000)).toBe('¥2,000');
    expect(yuan(173150)).toBe('¥1,731.50');
  });

  it('makes order numbers the contract accepts', () => {
    expect(newOrderNo('SH01')).toMatch(/^[A-Za-z0-9_-]{6,64}$/);
    expect(newOrderNo('SH01')).not.toBe(newOrderNo('SH01'));
  });
});
