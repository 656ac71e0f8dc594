import { useEffect, useRef } from 'react';

/** Calls `tick` every `ms` while mounted (and `ms` is not null). */
export function useInterval(tick: () => void, ms: number | null): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    if (ms === null) return undefined;
    const id = setInterval(() => tickRef.current(), ms);
    return () => clearInterval(id);
  }, [ms]);
}
