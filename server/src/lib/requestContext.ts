import type Koa from 'koa';
import type { Logger } from 'pino';

/** Who is calling, resolved once from the bearer token by the auth middleware. */
export type Actor =
  | { type: 'anonymous' }
  | { type: 'shopper'; memberId: string; sessionId: string }
  | { type: 'staff'; staffId: string; role: 'clerk' | 'manager'; storeId: string; sessionId: string }
  | { type: 'admin'; staffId: string; role: 'hq'; sessionId: string };

export interface AppState {
  requestId: string;
  log: Logger;
  actor: Actor;
}

export type AppContext = Koa.ParameterizedContext<AppState>;
