import { useCallback, useRef, useState } from 'react';
import { readableError } from '../api/errors';

export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

export interface PagedList<Item> {
  items: Item[];
  loading: boolean;
  error: string | null;
  /** True once the server answered a null nextCursor. */
  finished: boolean;
  /** Loads the next page; ignored while a page is loading or after the last one. */
  loadMore: () => Promise<void>;
  /** Drops everything and loads the first page again. */
  restart: () => Promise<void>;
}

/** Cursor paging for infinite scroll: call loadMore from useReachBottom. */
export function usePagedList<Item>(fetchPage: (cursor: string | null) => Promise<Page<Item>>): PagedList<Item> {
  const [items, setItems] = useState<Item[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [finished, setFinished] = useState(false);
  // Refs, so two quick scroll events cannot fetch the same page twice.
  const cursor = useRef<string | null>(null);
  const busy = useRef(false);
  const done = useRef(false);
  const generation = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const loadMore = useCallback(async () => {
    if (busy.current || done.current) return;
    busy.current = true;
    const mine = generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await fetchRef.current(cursor.current);
      if (mine !== generation.current) return;
      cursor.current = page.nextCursor;
      done.current = page.nextCursor === null;
      setFinished(done.current);
      setItems((previous) => previous.concat(page.items));
    } catch (failure) {
      if (mine === generation.current) setError(readableError(failure));
    } finally {
      if (mine === generation.current) {
        busy.current = false;
        setLoading(false);
      }
    }
  }, []);

  const restart = useCallback(async () => {
    generation.current += 1;
    cursor.current = null;
    busy.current = false;
    done.current = false;
    setItems([]);
    setFinished(false);
    await loadMore();
  }, [loadMore]);

  return { items, loading, error, finished, loadMore, restart };
}
