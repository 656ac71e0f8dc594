import { ApiClient } from './client';
import { getSession, setSession } from '../auth/session';
import type { StaffAccount } from './types';

export * from './client';
export * from './errors';

let refreshing: Promise<boolean> | null = null;

/**
 * Trades the session's refresh token for a new pair after a 401, and reads the account again: the server
 * signs the account as it is now, so an HQ role changed meanwhile comes back changed (and the menus follow).
 * One at a time, since each refresh token works once. False (sign in again) when the session has ended or
 * the account may no longer use the console.
 */
function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const session = getSession();
    if (!session?.refreshToken) return false;
    const bare = new ApiClient({ getToken: () => null });
    try {
      const pair = await bare.post<{ token: string; refreshToken: string }>('/auth/refresh', { refreshToken: session.refreshToken });
      const me = await new ApiClient({ getToken: () => pair.token }).get<StaffAccount>('/admin/me');
      const common = { token: pair.token, refreshToken: pair.refreshToken, id: me.id, name: me.name, mustChangePassword: me.mustChangePassword };
      if (session.kind === 'hq') setSession({ ...session, ...common, hqRole: me.hqRole ?? 'admin' });
      else if (me.role === 'manager' && me.storeId) setSession({ ...session, ...common, storeId: me.storeId });
      else return false;
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** The app's one client: same-origin /api/v1 with the signed-in user's token; a 401 refreshes once, then signs out. */
export const api = new ApiClient({
  getToken: () => getSession()?.token ?? null,
  refresh: refreshSession,
  onUnauthenticated: () => {
    if (getSession()) setSession(null);
  },
});

/** Signs out here and ends the session on the server too, so a copied refresh token is worth nothing. */
export function signOut(): void {
  const refreshToken = getSession()?.refreshToken;
  setSession(null);
  if (refreshToken) void new ApiClient({ getToken: () => null }).post('/auth/logout', { refreshToken }).catch(() => undefined);
}
