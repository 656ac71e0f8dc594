import { useCallback, useEffect, useRef, useState } from 'react';
import { readableError } from '../api/errors';

export interface AsyncState<T> {
  data: T | undefined;
  /** Readable Chinese text, never a raw code. */
  error: string | null;
  /** The thrown value, for branching on its code. */
  failure: unknown;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (data: T) => void;
}

/** Runs `load` on mount (and when `deps` change) with loading and readable error state. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[] = [], options: { immediate?: boolean } = {}): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(null);
  const [loading, setLoading] = useState(options.immediate !== false);
  const latestCall = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const call = ++latestCall.current;
    setLoading(true);
    setFailure(null);
    try {
      const value = await loadRef.current();
      if (call === latestCall.current) setData(value);
    } catch (error) {
      if (call === latestCall.current) setFailure(error);
    } finally {
      if (call === latestCall.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (options.immediate !== false) void reload();
    // The caller names what reloads the value (deps), as with useEffect itself.
  }, deps);

  return { data, failure, error: failure ? readableError(failure) : null, loading, reload, setData };
}
