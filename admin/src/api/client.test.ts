import { ApiClient, buildUrl, newIdempotencyKey } from './client';
import { ApiError, fieldErrorsFromDetails, readableErrorMessage } from './errors';

function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function clientWith(respond: (url: string, init: RequestInit) => Response, token: string | null = 'tok-1', onUnauthenticated = jest.fn()) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const client = new ApiClient({
    getToken: () => token,
    onUnauthenticated,
    fetchImpl: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return respond(url, init);
    }) as unknown as typeof fetch,
  });
  return { client, calls, onUnauthenticated };
}

describe('buildUrl', () => {
  it('joins the base and path and leaves out empty filters', () => {
    expect(buildUrl('/api/v1', '/admin/members', { q: '', limit: 20, cursor: undefined, storeId: null })).toBe('/api/v1/admin/members?limit=20');
    expect(buildUrl('/api/v1', 'admin/members', { q: '138 0000' })).toBe('/api/v1/admin/members?q=138+0000');
    expect(buildUrl('/api/v1', '/x')).toBe('/api/v1/x');
  });
});

describe('ApiClient', () => {
  it('sends the bearer token and JSON body, and parses the answer', async () => {
    const { client, calls } = clientWith(() => jsonResponse(201, { id: 't1' }));
    const answer = await client.post<{ id: string }>('/admin/coupon-templates', { title: 'x' });
    expect(answer).toEqual({ id: 't1' });
    expect(calls[0]!.url).toBe('/api/v1/admin/coupon-templates');
    const headers = calls[0]!.init.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer tok-1');
    expect(headers['Content-Type']).toBe('application/json');
    expect(calls[0]!.init.body).toBe('{"title":"x"}');
  });

  it('sends no Authorization header when signed out', async () => {
    const { client, calls } = clientWith(() => jsonResponse(200, {}), null);
    await client.get('/stores');
    expect((calls[0]!.init.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it('passes the Idempotency-Key header', async () => {
    const { client, calls } = clientWith(() => jsonResponse(201, { id: 'l1' }));
    await client.post('/admin/members/m1/points-adjustments', { delta: 5, reason: 'r' }, { idempotencyKey: 'key-123' });
    expect((calls[0]!.init.headers as Record<string, string>)['Idempotency-Key']).toBe('key-123');
  });

  it('answers undefined for 204', async () => {
    const { client } = clientWith(() => new Response(null, { status: 204 }));
    await expect(client.delete('/admin/segments/s1')).resolves.toBeUndefined();
  });

  it('turns the contract error body into an ApiError with field errors', async () => {
    const body = { error: { code: 'VALIDATION_FAILED', message: 'bad', details: { fields: [{ field: 'body.amountOffFen', message: 'required for a cash coupon' }] } }, requestId: 'req-9' };
    const { client } = clientWith(() => jsonResponse(400, body));
    const error = await client.post('/admin/coupon-templates', {}).catch((cause: unknown) => cause);
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('VALIDATION_FAILED');
    expect(apiError.requestId).toBe('req-9');
    expect(apiError.fieldErrors).toEqual({ amountOffFen: 'required for a cash coupon' });
    expect(apiError.readableMessage('en')).toMatch(/highlighted/);
  });

  it('calls onUnauthenticated on 401', async () => {
    const { client, onUnauthenticated } = clientWith(() => jsonResponse(401, { error: { code: 'UNAUTHENTICATED', message: 'Sign in first.' }, requestId: 'r' }));
    await expect(client.get('/admin/me')).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });

  it('after a 401 tries refresh once and sends the request again with the new token', async () => {
    let token = 'old';
    const sent: string[] = [];
    const refresh = jest.fn(async () => {
      token = 'new';
      return true;
    });
    const onUnauthenticated = jest.fn();
    const client = new ApiClient({
      getToken: () => token,
      refresh,
      onUnauthenticated,
      fetchImpl: (async (_url: string, init: RequestInit) => {
        const auth = (init.headers as Record<string, string>).Authorization!;
        sent.push(auth);
        return auth === 'Bearer new' ? jsonResponse(200, { ok: true }) : jsonResponse(401, { error: { code: 'UNAUTHENTICATED', message: 'The account changed' } });
      }) as unknown as typeof fetch,
    });
    await expect(client.post('/admin/segments', { name: 'x' })).resolves.toEqual({ ok: true });
    expect(sent).toEqual(['Bearer old', 'Bearer new']);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('signs out when refresh cannot help, and never retries twice', async () => {
    const refresh = jest.fn(async () => true);
    const onUnauthenticated = jest.fn();
    let calls = 0;
    const client = new ApiClient({
      getToken: () => 'tok',
      refresh,
      onUnauthenticated,
      fetchImpl: (async () => {
        calls++;
        return jsonResponse(401, { error: { code: 'UNAUTHENTICATED', message: 'Session ended' } });
      }) as unknown as typeof fetch,
    });
    await expect(client.get('/admin/me')).rejects.toMatchObject({ status: 401 });
    expect([calls, refresh.mock.calls.length, onUnauthenticated.mock.calls.length]).toEqual([2, 1, 1]);
  });

  it('maps a non-contract error answer by its status', async () => {
    const { client } = clientWith(() => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(client.get('/admin/dashboard')).rejects.toMatchObject({ code: 'INTERNAL', status: 502 });
  });

  it('reports a network failure as NETWORK', async () => {
    const client = new ApiClient({ getToken: () => null, fetchImpl: (async () => { throw new TypeError('Failed to fetch'); }) as unknown as typeof fetch });
    const error = await client.get('/x').catch((cause: unknown) => cause);
    expect(error).toMatchObject({ code: 'NETWORK', status: 0 });
    expect(readableErrorMessage(error, 'zh')).toBe('无法连接服务器，请检查网络');
  });

  it('pages by cursor: list passes limit and cursor, listAll follows nextCursor', async () => {
    const pages: Record<string, { items: number[]; nextCursor: string | null }> = {
      '': { items: [1, 2], nextCursor: 'c2' },
      c2: { items: [3], nextCursor: null },
    };
    const { client, calls } = clientWith((url) => {
      const cursor = new URL(url, 'http://x').searchParams.get('cursor') ?? '';
      return jsonResponse(200, pages[cursor]);
    });
    const first = await client.list<number>('/stores', { q: 'a' });
    expect(first).toEqual({ items: [1, 2], nextCursor: 'c2' });
    expect(calls[0]!.url).toBe('/api/v1/stores?q=a&limit=20');
    await expect(client.listAll<number>('/stores')).resolves.toEqual([1, 2, 3]);
    expect(calls[2]!.url).toBe('/api/v1/stores?limit=100&cursor=c2');
  });
});

describe('fieldErrorsFromDetails', () => {
  it('reads the server field list without the request-part prefix', () => {
    expect(fieldErrorsFromDetails({ fields: [{ field: 'body.segment.tiers.0', message: 'bad tier' }, { field: 'body.title', message: 'too long' }, { field: 'body.title', message: 'second' }] })).toEqual({ 'segment.tiers.0': 'bad tier', title: 'too long' });
    expect(fieldErrorsFromDetails({ fields: [{ field: 'query.limit', message: 'too big' }] })).toEqual({ limit: 'too big' });
    expect(fieldErrorsFromDetails({ other: 'x' })).toEqual({});
    expect(fieldErrorsFromDetails(undefined)).toEqual({});
  });
});

describe('readableErrorMessage', () => {
  it('prefers the console wording for known codes and falls back to the server message', () => {
    expect(readableErrorMessage(new ApiError(422, 'INSUFFICIENT_POINTS', 'x', undefined, undefined), 'zh')).toContain('积分不足');
    expect(readableErrorMessage(new ApiError(422, 'SOMETHING_NEW', 'Server says no', undefined, undefined), 'en')).toBe('Server says no');
  });
});

describe('newIdempotencyKey', () => {
  it('makes distinct keys', () => {
    expect(newIdempotencyKey()).not.toBe(newIdempotencyKey());
  });
});
