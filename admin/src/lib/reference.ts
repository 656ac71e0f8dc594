import { useEffect, useMemo, useState } from 'react';
import { api, type Page } from '../api';
import type { Store, TierRef } from '../api/types';
import { useLang } from '../i18n';
import { NO_STORE_KEY, NO_STORE_LABEL } from '../shared';

// Stores and tiers appear in nearly every screen (names in tables, choices in forms). They are read
// once per session from the public lists and shared by every screen.

export interface ReferenceData {
  stores: Store[];
  tiers: TierRef[];
  storeName: (id: string | null | undefined) => string;
  tierName: (code: string | null | undefined) => string;
}

const DEFAULT_TIERS: TierRef[] = [
  { code: 'silver', name: '银卡' },
  { code: 'gold', name: '金卡' },
  { code: 'platinum', name: '白金卡' },
];

let cached: Promise<{ stores: Store[]; tiers: TierRef[] }> | null = null;

function loadReference(): Promise<{ stores: Store[]; tiers: TierRef[] }> {
  cached ??= Promise.all([
    api.listAll<Store>('/stores').catch(() => [] as Store[]),
    api.get<Page<TierRef>>('/tiers').then((page) => page.items).catch(() => DEFAULT_TIERS),
  ]).then(([stores, tiers]) => ({ stores, tiers: tiers.length ? tiers.map((tier) => ({ code: tier.code, name: tier.name })) : DEFAULT_TIERS }));
  // A failed load is retried by the next screen rather than cached.
  cached.then(({ stores }) => {
    if (stores.length === 0) cached = null;
  });
  return cached;
}

export function invalidateReference(): void {
  cached = null;
}

export function buildReference(stores: Store[], tiers: TierRef[], lang: 'zh' | 'en' = 'zh'): ReferenceData {
  const storeById = new Map(stores.map((store) => [store.id, store]));
  const tierByCode = new Map(tiers.map((tier) => [tier.code, tier]));
  return {
    stores,
    tiers,
    // Members without a home store are counted under NO_STORE_KEY: a placeholder in words, never 'none'.
    storeName: (id) => (id === NO_STORE_KEY ? NO_STORE_LABEL[lang] : id ? (storeById.get(id)?.name ?? id) : '—'),
    tierName: (code) => (code ? (tierByCode.get(code)?.name ?? code) : '—'),
  };
}

export function useReference(): ReferenceData {
  const { lang } = useLang();
  const [loaded, setLoaded] = useState<{ stores: Store[]; tiers: TierRef[] }>({ stores: [], tiers: DEFAULT_TIERS });
  useEffect(() => {
    let live = true;
    loadReference().then((next) => {
      if (live) setLoaded(next);
    });
    return () => {
      live = false;
    };
  }, []);
  return useMemo(() => buildReference(loaded.stores, loaded.tiers, lang), [loaded, lang]);
}
