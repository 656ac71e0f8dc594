import { ApiError, isApiErrorBody } from './errors';

// The one module that talks to the server. Everything goes to the public API under /api/v1 on the
// same origin, with the signed-in user's bearer token.

export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

export type QueryValue = string | number | boolean | undefined | null;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** For requests that change points, coupons or money and have no orderNo of their own. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  baseUrl?: string;
  getToken: () => string | null;
  /** Called once a request comes back 401 (and `refresh` could not help), so the app can send the user to sign in. */
  onUnauthenticated?: () => void;
  /**
   * Tries to get a fresh token after a 401 (the server retires tokens when the account changes); true when
   * the request is worth sending once more with the new token.
   */
  refresh?: () => Promise<boolean>;
  fetchImpl?: typeof fetch;
}

export const API_BASE = '/api/v1';

export function buildUrl(baseUrl: string, path: string, query?: Query): string {
  const url = `${baseUrl}${path.startsWith('/') ? path : `/${path}`}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    // Empty filters are left out, so "no filter" never reaches the server as `?q=`.
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }
  const search = params.toString();
  return search ? `${url}?${search}` : url;
}

/** A fresh key per user action; retries of the same action reuse it. */
export function newIdempotencyKey(): string {
  const cryptoApi = globalThis.crypto as Crypto | undefined;
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl ?? API_BASE;
    this.fetchImpl = options.fetchImpl ?? ((...args) => globalThis.fetch(...args));
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body: body ?? {} });
  }
  patch<T>(path: string, body: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  put<T>(path: string, body: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }
  delete<T>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  /** One page of a cursor-paged list. */
  list<Item>(path: string, params: { limit?: number; cursor?: string | null } & Query = {}, signal?: AbortSignal): Promise<Page<Item>> {
    const { cursor, limit = 20, ...filters } = params;
    return this.get<Page<Item>>(path, { ...filters, limit, cursor: cursor ?? undefined }, signal);
  }

  /** Follows nextCursor until the list ends or `maxItems` are collected (for small lists such as stores). */
  async listAll<Item>(path: string, query: Query = {}, maxItems = 1000): Promise<Item[]> {
    const items: Item[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<Item> = await this.list<Item>(path, { ...query, limit: 100, cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < maxItems);
    return items.slice(0, maxItems);
  }

  /** A non-JSON answer (the codes CSV) as a Blob, with the same auth and error handling. */
  async download(path: string): Promise<Blob> {
    const response = await this.send('GET', path, {});
    return response.blob();
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(method: string, path: string, options: RequestOptions, retried = false): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = this.options.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;

    let response: Response;
    try {
      response = await this.fetchImpl(buildUrl(this.baseUrl, path, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'NETWORK', cause instanceof Error ? cause.message : String(cause), undefined, undefined);
    }
    if (response.ok) return response;
    // A 401 is answered before the route runs, so sending the same request again cannot apply it twice.
    if (response.status === 401 && !retried && this.options.refresh && !path.startsWith('/auth/') && (await this.options.refresh())) {
      return this.send(method, path, options, true);
    }
    throw await errorFromResponse(response, () => this.options.onUnauthenticated?.());
  }
}

async function errorFromResponse(response: Response, onUnauthenticated: () => void): Promise<ApiError> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  if (response.status === 401) onUnauthenticated();
  if (isApiErrorBody(body)) {
    return new ApiError(response.status, body.error.code, body.error.message, body.error.details, body.requestId);
  }
  // Proxies and the static server answer errors without the contract body.
  const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 404 ? 'NOT_FOUND' : response.status >= 500 ? 'INTERNAL' : 'HTTP_ERROR';
  return new ApiError(response.status, code, response.statusText, undefined, undefined);
}
