import { useCallback, useEffect, useState } from 'react';
import { catalogue } from '../api/endpoints';

type Names = ReadonlyMap<string, string>;

// Stores and tiers change rarely: one fetch per app launch, shared by every page that shows them.
let storeNames: Promise<Names> | null = null;
let tierNames: Promise<Names> | null = null;

function loadOnce(current: Promise<Names> | null, load: () => Promise<Names>, keep: (p: Promise<Names> | null) => void): Promise<Names> {
  if (current) return current;
  const loading = load().catch((failure: unknown) => {
    keep(null); // try again next time rather than remembering a failure
    throw failure;
  });
  keep(loading);
  return loading;
}

function useNames(load: () => Promise<Names>): (code: string) => string {
  const [names, setNames] = useState<Names | null>(null);
  useEffect(() => {
    let mounted = true;
    // Unreachable: codes stay on screen (SH01 still tells a clerk which store), nothing else is lost.
    load().then((loaded) => mounted && setNames(loaded), () => undefined);
    return () => {
      mounted = false;
    };
  }, [load]);
  return useCallback((code: string) => names?.get(code) ?? code, [names]);
}

const loadStoreNames = () =>
  loadOnce(storeNames, async () => new Map((await catalogue.stores()).items.map((store) => [store.id, store.name])), (p) => (storeNames = p));
const loadTierNames = () =>
  loadOnce(tierNames, async () => new Map((await catalogue.tiers()).items.map((tier) => [tier.code, tier.name])), (p) => (tierNames = p));

/** A store's name for its code (e.g. SH01 → 上海静安店); the code until the list has loaded. */
export function useStoreNames(): (storeId: string) => string {
  return useNames(loadStoreNames);
}

/** A tier's name for its code (e.g. gold → 金卡); the code until the list has loaded. */
export function useTierNames(): (tierCode: string) => string {
  return useNames(loadTierNames);
}
