import { useCallback, useEffect, useRef, useState } from 'react';
import { numericFormOf, type CodeKeyAnswer, type CodeKind } from '@membercard/shared';
import { readableError } from '../api/errors';
import type { ShownCode } from '../lib/codeKey';
import { useInterval } from './useInterval';

export const CODE_REFRESH_MS = 30_000;

export interface LiveCodeSources {
  kind: CodeKind;
  /** Card number, coupon id or sign-up id; undefined until known. */
  subject: string | undefined;
  readKey: () => CodeKeyAnswer | null;
  fetchKey: () => Promise<CodeKeyAnswer>;
  storeKey: (key: CodeKeyAnswer) => void;
  generate: (key: CodeKeyAnswer, kind: CodeKind, subject: string) => ShownCode;
  /** Used only while the phone has no key yet. */
  fetchServerCode: () => Promise<{ code: string; numericCode?: string; expiresAt: string }>;
}

export interface LiveCode {
  code: string | null;
  /** The same code as 18 digits a clerk can type; null until the key (or server) gives the member's handle. */
  numericCode: string | null;
  error: string | null;
  /** True when the code was made on the phone (works without signal). */
  madeOnPhone: boolean;
  refresh: () => Promise<void>;
}

/** A member/coupon/sign-up code that renews every 30 s, generated locally from the cached key when possible. */
export function useLiveCode(sources: LiveCodeSources): LiveCode {
  const [code, setCode] = useState<string | null>(null);
  const [numericCode, setNumericCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [madeOnPhone, setMadeOnPhone] = useState(false);
  const sourcesRef = useRef(sources);
  sourcesRef.current = sources;

  const refresh = useCallback(async () => {
    const { kind, subject, readKey, fetchKey, storeKey, generate, fetchServerCode } = sourcesRef.current;
    if (!subject) return;
    let key = readKey();
    if (!key) {
      try {
        key = await fetchKey();
        storeKey(key);
      } catch {
        key = null;
      }
    }
    if (key) {
      try {
        const generated = generate(key, kind, subject).code;
        setCode(generated);
        // A key cached before handles existed has none; the background key renewal brings it.
        setNumericCode(key.numericHandle ? numericFormOf(generated, key.numericHandle) : null);
        setMadeOnPhone(true);
        setError(null);
        return;
      } catch {
        // A malformed key falls through to the server's code.
      }
    }
    try {
      const answer = await fetchServerCode();
      setCode(answer.code);
      setNumericCode(answer.numericCode ?? null);
      setMadeOnPhone(false);
      setError(null);
    } catch (failure) {
      setError(readableError(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
    // Renew the cached key in the background so a rotated key is picked up while online.
    const { readKey, fetchKey, storeKey, subject } = sourcesRef.current;
    if (subject && readKey()) fetchKey().then(storeKey, () => undefined);
  }, [sources.subject, sources.kind, refresh]);

  useInterval(() => void refresh(), sources.subject ? CODE_REFRESH_MS : null);

  return { code, numericCode, error, madeOnPhone, refresh };
}
