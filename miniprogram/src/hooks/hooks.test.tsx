import { act, render, renderHook, waitFor } from '@testing-library/react';
import { base32Encode, generateCode, type CodeKeyAnswer } from '@membercard/shared';
import { Barcode } from '../components/Barcode';
import { QrCode } from '../components/QrCode';
import { codeFromKey } from '../lib/codeKey';
import { usePagedList } from './usePagedList';
import { CODE_RETRY_MS, useLiveCode, type LiveCodeSources } from './useLiveCode';

const key: CodeKeyAnswer = { secret: base32Encode(new Uint8Array(20).fill(7)), stepSeconds: 60, digits: 8, numericHandle: '48213975' };
const cardNo = '100000000008'; // Luhn-valid

function sources(overrides: Partial<LiveCodeSources>): LiveCodeSources {
  return {
    kind: 'member',
    subject: cardNo,
    readKey: () => null,
    fetchKey: () => Promise.reject(new Error('offline')),
    storeKey: jest.fn(),
    generate: codeFromKey,
    fetchServerCode: () => Promise.reject(new Error('offline')),
    ...overrides,
  };
}

describe('useLiveCode', () => {
  afterEach(() => jest.useRealTimers());

  it('makes the member code on the phone from the cached key, with no network', async () => {
    const fetchServerCode = jest.fn();
    const { result } = renderHook(() => useLiveCode(sources({ readKey: () => key, fetchServerCode })));
    const expected = generateCode({ kind: 'member', subject: cardNo, secret: new Uint8Array(20).fill(7), now: new Date(), stepSeconds: 60 }).code;
    await waitFor(() => expect(result.current.code).toBe(expected));
    expect(result.current.madeOnPhone).toBe(true);
    expect(fetchServerCode).not.toHaveBeenCalled();
  });

  it('fetches and caches the key when the phone has none', async () => {
    const storeKey = jest.fn();
    const { result } = renderHook(() => useLiveCode(sources({ fetchKey: () => Promise.resolve(key), storeKey })));
    await waitFor(() => expect(result.current.code).toMatch(/^M100000000008\d{8}$/));
    expect(storeKey).toHaveBeenCalledWith(key);
  });

  it('falls back to the server code when there is no key yet', async () => {
    const { result } = renderHook(() =>
      useLiveCode(sources({ fetchServerCode: () => Promise.resolve({ code: 'M10000000000812345678', expiresAt: '2030-01-01T00:00:00Z' }) })),
    );
    await waitFor(() => expect(result.current.code).toBe('M10000000000812345678'));
    expect(result.current.madeOnPhone).toBe(false);
  });

  it('shows a readable error when neither works', async () => {
    const { result } = renderHook(() => useLiveCode(sources({})));
    await waitFor(() => expect(result.current.error).toBe('出了点问题，请稍后再试'));
  });

  it('renews the code when its time step ends (every 60 s), not before, and says how often', async () => {
    jest.useFakeTimers();
    // 45 s into a minute: the code on screen is good for this step, which ends 15 s from now.
    const stepStart = Date.parse('2026-12-03T09:00:00Z');
    jest.setSystemTime(stepStart + 45_000);
    const generate = jest.fn(codeFromKey);
    const { result } = renderHook(() => useLiveCode(sources({ readKey: () => key, generate })));
    await act(async () => undefined);
    const secret = new Uint8Array(20).fill(7);
    const codeAt = (ms: number) => generateCode({ kind: 'member', subject: cardNo, secret, now: new Date(ms), stepSeconds: 60 }).code;
    expect(result.current.code).toBe(codeAt(stepStart));
    expect(result.current.stepSeconds).toBe(60);
    await act(async () => {
      jest.advanceTimersByTime(14_000);
    });
    expect(generate).toHaveBeenCalledTimes(1);
    await act(async () => {
      jest.advanceTimersByTime(1_500);
    });
    expect(generate).toHaveBeenCalledTimes(2);
    expect(result.current.code).toBe(codeAt(stepStart + 60_000));
    // Then once a minute.
    await act(async () => {
      jest.advanceTimersByTime(59_000);
    });
    expect(generate).toHaveBeenCalledTimes(2);
    await act(async () => {
      jest.advanceTimersByTime(1_000);
    });
    expect(generate).toHaveBeenCalledTimes(3);
    expect(result.current.code).toBe(codeAt(stepStart + 120_000));
  });

  it('tries again a little later when neither the key nor the server answers', async () => {
    jest.useFakeTimers();
    const fetchServerCode = jest.fn(() => Promise.reject(new Error('offline')));
    const { result } = renderHook(() => useLiveCode(sources({ fetchServerCode })));
    await waitFor(() => expect(result.current.error).not.toBeNull());
    expect(fetchServerCode).toHaveBeenCalledTimes(1);
    await act(async () => {
      jest.advanceTimersByTime(CODE_RETRY_MS - 100);
    });
    expect(fetchServerCode).toHaveBeenCalledTimes(1);
    await act(async () => {
      jest.advanceTimersByTime(100);
    });
    await waitFor(() => expect(fetchServerCode).toHaveBeenCalledTimes(2));
  });
});

describe('usePagedList', () => {
  it('follows the cursor until the last page and then stops asking', async () => {
    const fetchPage = jest.fn(async (cursor: string | null) =>
      cursor === null ? { items: [1, 2], nextCursor: 'c2' } : { items: [3], nextCursor: null },
    );
    const { result } = renderHook(() => usePagedList(fetchPage));
    await act(() => result.current.loadMore());
    await act(() => result.current.loadMore());
    await act(() => result.current.loadMore());
    expect(result.current.items).toEqual([1, 2, 3]);
    expect(result.current.finished).toBe(true);
    expect(fetchPage.mock.calls.map(([cursor]) => cursor)).toEqual([null, 'c2']);
  });

  it('ignores a second scroll event while a page is loading', async () => {
    let release: () => void = () => undefined;
    const fetchPage = jest.fn(() => new Promise<{ items: number[]; nextCursor: null }>((resolve) => (release = () => resolve({ items: [1], nextCursor: null }))));
    const { result } = renderHook(() => usePagedList(fetchPage));
    await act(async () => {
      const first = result.current.loadMore();
      void result.current.loadMore();
      release();
      await first;
    });
    expect(fetchPage).toHaveBeenCalledTimes(1);
  });

  it('keeps a readable error and lets the shopper retry', async () => {
    const fetchPage = jest.fn().mockRejectedValueOnce(new Error('boom')).mockResolvedValueOnce({ items: ['a'], nextCursor: null });
    const { result } = renderHook(() => usePagedList<string>(fetchPage));
    await act(() => result.current.loadMore());
    expect(result.current.error).toBe('出了点问题，请稍后再试');
    await act(() => result.current.loadMore());
    expect(result.current.items).toEqual(['a']);
    expect(result.current.error).toBeNull();
  });
});

describe('code components', () => {
  it('draws the QR as rows of whole-pixel modules', () => {
    const { getByLabelText } = render(<QrCode text='M10000000000812345678' sizePx={150} />);
    const qr = getByLabelText('二维码');
    const rows = Array.from(qr.children) as HTMLElement[];
    expect(rows.length).toBeGreaterThanOrEqual(21);
    const modulePx = Number.parseInt(rows[0]!.style.height, 10);
    expect(modulePx).toBe(Math.floor(150 / rows.length));
  });

  it('draws the barcode as bars whose widths add up to whole modules', () => {
    const { getByLabelText } = render(<Barcode text='M10000000000812345678' maxWidthPx={400} heightPx={50} />);
    const bars = Array.from(getByLabelText('条形码').children) as HTMLElement[];
    const total = bars.reduce((sum, bar) => sum + Number.parseInt(bar.style.width, 10), 0);
    expect(total % 2).toBe(0); // 400 px fits 2 px per module for a 167-module code plus quiet zones
    expect(bars[0]!.style.background).toBe('rgb(0, 0, 0)');
  });
});
