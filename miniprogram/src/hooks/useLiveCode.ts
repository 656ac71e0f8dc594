import { useCallback, useEffect, useRef, useState } from 'react';
import { DEFAULT_CODE_STEP_SECONDS, numericFormOf, type CodeKeyAnswer, type CodeKind } from '@membercard/shared';
import { readableError } from '../api/errors';
import type { ShownCode } from '../lib/codeKey';

/** After a failed attempt (no key, server unreachable), try again this much later. */
export const CODE_RETRY_MS = 15_000;
/** A little after the step turns, so the new code is surely the next step's even on a coarse timer. */
const STEP_MARGIN_MS = 250;
/** setTimeout's longest wait is ~24.8 days (beyond it fires at once); no code lives anywhere near this long. */
const LONGEST_WAIT_MS = 10 * 60_000;

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
  /** How often the code changes (the key's time step), for the screen to say so. */
  stepSeconds: number;
  refresh: () => Promise<void>;
}

/**
 * A member/coupon/sign-up code, generated locally from the cached key when possible, renewed the moment its
 * time step ends (the code's `expiresAt`), so what is on screen is always the current step's code.
 */
export function useLiveCode(sources: LiveCodeSources): LiveCode {
  const [code, setCode] = useState<string | null>(null);
  const [numericCode, setNumericCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [madeOnPhone, setMadeOnPhone] = useState(false);
  const [stepSeconds, setStepSeconds] = useState(DEFAULT_CODE_STEP_SECONDS);
  // A fresh object each time, so the renewal timer is set again even when the time is the same.
  const [next, setNext] = useState<{ at: number } | null>(null);
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
        const generated = generate(key, kind, subject);
        setCode(generated.code);
        // A key cached before handles existed has none; the background key renewal brings it.
        setNumericCode(key.numericHandle ? numericFormOf(generated.code, key.numericHandle) : null);
        setMadeOnPhone(true);
        setStepSeconds(key.stepSeconds);
        setError(null);
        setNext({ at: generated.expiresAt.getTime() });
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
      setNext({ at: Date.parse(answer.expiresAt) });
    } catch (failure) {
      setError(readableError(failure));
      setNext({ at: Date.now() + CODE_RETRY_MS });
    }
  }, []);

  useEffect(() => {
    void refresh();
    // Renew the cached key in the background so a rotated key is picked up while online.
    const { readKey, fetchKey, storeKey, subject } = sourcesRef.current;
    if (subject && readKey()) fetchKey().then(storeKey, () => undefined);
  }, [sources.subject, sources.kind, refresh]);

  useEffect(() => {
    if (!next || !sources.subject) return undefined;
    const wait = Number.isFinite(next.at) ? Math.min(Math.max(next.at - Date.now(), 0) + STEP_MARGIN_MS, LONGEST_WAIT_MS) : CODE_RETRY_MS;
    const timer = setTimeout(() => void refresh(), wait);
    return () => clearTimeout(timer);
  }, [next, sources.subject, refresh]);

  return { code, numericCode, error, madeOnPhone, stepSeconds, refresh };
}
