import { ApiClient } from './client';
import { getSession, setSession } from '../auth/session';

export * from './client';
export * from './errors';

/** The app's one client: same-origin /api/v1 with the signed-in user's token; a 401 signs out. */
export const api = new ApiClient({
  getToken: () => getSession()?.token ?? null,
  onUnauthenticated: () => {
    if (getSession()) setSession(null);
  },
});
