import { useSyncExternalStore } from 'react';

// Who is signed in. HQ admins see every store; a store manager (signed in through /auth/staff) sees only
// their own store, and the server enforces the same confinement.

export type HqRole = 'admin' | 'marketing' | 'viewer';

/** `mustChangePassword`: HQ set this password; the console shows only the change-password screen until it is replaced. */
export type Session =
  | { kind: 'hq'; token: string; refreshToken?: string; id: string; name: string; role: string; hqRole?: HqRole; mustChangePassword?: boolean }
  | { kind: 'manager'; token: string; refreshToken?: string; id: string; name: string; role: 'manager'; storeId: string; mustChangePassword?: boolean };

const STORAGE_KEY = 'membercard.admin.session';
const listeners = new Set<() => void>();

function readStored(): Session | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

let current: Session | null = readStored();

export function getSession(): Session | null {
  return current;
}

export function setSession(session: Session | null): void {
  current = session;
  try {
    if (session) globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(session));
    else globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Private mode without storage: the session lives until the tab closes.
  }
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, getSession, getSession);
}

export function isHq(session: Session | null): boolean {
  return session?.kind === 'hq';
}

const RANK: Record<HqRole, number> = { viewer: 0, marketing: 1, admin: 2 };

/**
 * Whether the signed-in user may use an area: `admin` (stores, staff, audit, settings), `marketing`
 * (writes to coupons, codes, segments, campaigns, automation, activities) or `viewer` (read the lists).
 * The server enforces the same per route; this only hides what would be refused. Managers pass `viewer`
 * and `marketing` checks for their own store's pages (activities) — the pages that are HQ-only check isHq too.
 */
export function canUse(session: Session | null, needed: HqRole): boolean {
  if (!session) return false;
  if (session.kind === 'manager') return needed !== 'admin';
  return RANK[session.hqRole ?? 'admin'] >= RANK[needed];
}

export function useCan(needed: HqRole): boolean {
  return canUse(useSession(), needed);
}
