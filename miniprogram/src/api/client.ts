import type { z } from 'zod';
import { ApiError, codeForStatus } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

export interface HttpResponse {
  status: number;
  body: unknown;
}

/** Sends one request; rejects only when no answer arrived (offline, timeout). */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

export interface SessionTokens {
  token: string;
  refreshToken?: string;
}

/** Where one kind of session (shopper or staff) keeps its tokens. */
export interface TokenStore {
  read(): SessionTokens | null;
  write(tokens: SessionTokens | null): void;
}

export interface CallOptions<Answer extends z.ZodType | undefined> {
  /** The shared zod schema the answer must match; omit for 204 answers. */
  answer?: Answer;
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  /** For requests that change points, coupons or money without an orderNo. */
  idempotencyKey?: string;
  /** False for sign-in routes: no token sent, and a 401 is the caller's to report. */
  authenticated?: boolean;
}

export interface ApiClientOptions {
  baseUrl: string;
  transport: Transport;
  tokens: TokenStore;
  /** Called once the session cannot be renewed; the app sends the user back to sign-in. */
  onSessionExpired: () => void;
}

type Answer<S> = S extends z.ZodType ? z.infer<S> : undefined;

function withQuery(url: string, query: CallOptions<undefined>['query']): string {
  if (!query) return url;
  const parts = Object.entries(query)
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  return parts.length ? `${url}?${parts.join('&')}` : url;
}

function errorFromAnswer(response: HttpResponse): ApiError {
  const body = response.body as { error?: { code?: unknown; details?: Record<string, unknown> } } | null;
  const code = typeof body?.error?.code === 'string' ? body.error.code : codeForStatus(response.status);
  return new ApiError(code, response.status, body?.error?.details);
}

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(options: ApiClientOptions) {
  // Several calls may hit a 401 together; they share one refresh.
  let refreshInFlight: Promise<boolean> | null = null;

  async function send(method: HttpMethod, path: string, call: CallOptions<z.ZodType | undefined>): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const tokens = call.authenticated === false ? null : options.tokens.read();
    if (tokens) headers.Authorization = `Bearer ${tokens.token}`;
    if (call.idempotencyKey) headers['Idempotency-Key'] = call.idempotencyKey;
    try {
      return await options.transport({ method, url: withQuery(options.baseUrl + path, call.query), headers, body: call.body });
    } catch {
      throw new ApiError('NETWORK', 0);
    }
  }

  async function refreshSession(): Promise<boolean> {
    const refreshToken = options.tokens.read()?.refreshToken;
    if (!refreshToken) return false;
    try {
      const response = await options.transport({
        method: 'POST',
        url: `${options.baseUrl}/auth/refresh`,
        headers: { 'Content-Type': 'application/json' },
        body: { refreshToken },
      });
      const answer = response.body as Partial<SessionTokens> | null;
      if (response.status !== 200 || typeof answer?.token !== 'string') return false;
      options.tokens.write({ token: answer.token, refreshToken: answer.refreshToken ?? refreshToken });
      return true;
    } catch {
      return false;
    }
  }

  function renewOnce(): Promise<boolean> {
    refreshInFlight ??= refreshSession().finally(() => {
      refreshInFlight = null;
    });
    return refreshInFlight;
  }

  async function call<S extends z.ZodType | undefined = undefined>(
    method: HttpMethod,
    path: string,
    callOptions: CallOptions<S> = {},
  ): Promise<Answer<S>> {
    let response = await send(method, path, callOptions);
    if (response.status === 401 && callOptions.authenticated !== false) {
      if (await renewOnce()) response = await send(method, path, callOptions);
      if (response.status === 401) {
        options.tokens.write(null);
        options.onSessionExpired();
        throw errorFromAnswer(response);
      }
    }
    if (response.status < 200 || response.status >= 300) throw errorFromAnswer(response);
    if (!callOptions.answer) return undefined as Answer<S>;
    const parsed = callOptions.answer.safeParse(response.body);
    if (!parsed.success) {
      // A shape we cannot trust is reported as unavailable rather than half-rendered.
      console.warn(`[api] ${method} ${path} answered an unexpected shape`, parsed.error.issues);
      throw new ApiError('BAD_ANSWER', response.status);
    }
    return parsed.data as Answer<S>;
  }

  return {
    call,
    get: <S extends z.ZodType | undefined>(path: string, o?: CallOptions<S>) => call<S>('GET', path, o),
    post: <S extends z.ZodType | undefined>(path: string, o?: CallOptions<S>) => call<S>('POST', path, o),
    patch: <S extends z.ZodType | undefined>(path: string, o?: CallOptions<S>) => call<S>('PATCH', path, o),
    del: <S extends z.ZodType | undefined>(path: string, o?: CallOptions<S>) => call<S>('DELETE', path, o),
    signIn: (tokens: SessionTokens) => options.tokens.write(tokens),
    signOut: () => options.tokens.write(null),
    isSignedIn: () => options.tokens.read() !== null,
    /** The stored pair (sign-out hands the refresh token to the server to end the session). */
    tokens: () => options.tokens.read(),
  };
}

/** A fresh key for one user action, so a retried tap is not counted twice. */
export function newIdempotencyKey(prefix = 'mp'): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `${prefix}-${Date.now().toString(36)}-${random}`;
}
