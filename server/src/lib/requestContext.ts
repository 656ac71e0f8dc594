import type Koa from 'koa';
import type { Logger } from 'pino';
import type { HqRole } from '@membercard/shared';
import type { MemberDoc } from '../modules/members/model';

/**
 * Who is calling, resolved once from the bearer token by the auth middleware. The claims are those of the
 * account when the token was signed; a change to the account retires the token (lib/tokens.ts).
 * `mustChangePassword` tokens may only change the password and read their own account.
 */
export type Actor =
  | { type: 'anonymous' }
  | { type: 'shopper'; memberId: string; sessionId: string }
  | { type: 'staff'; staffId: string; role: 'clerk' | 'manager'; storeId: string; sessionId: string; mustChangePassword?: boolean }
  | { type: 'admin'; staffId: string; role: 'hq'; hqRole: HqRole; sessionId: string; mustChangePassword?: boolean };

export interface AppState {
  requestId: string;
  log: Logger;
  actor: Actor;
  /** On `member` routes: the member document the authorization check read, for the handler to reuse. */
  member?: MemberDoc;
}

export type AppContext = Koa.ParameterizedContext<AppState>;
