import { z } from 'zod';
import { ErrorCode } from '@membercard/shared';
import { createApiClient, type HttpRequest, type HttpResponse, type SessionTokens } from './client';
import { ApiError, messageForCode, readableError } from './errors';

function memoryTokens(initial: SessionTokens | null) {
  let tokens = initial;
  return { read: () => tokens, write: (next: SessionTokens | null) => void (tokens = next) };
}

function errorBody(code: string) {
  return { error: { code, message: 'english text' }, requestId: 'r1' };
}

function setup(answers: Array<(request: HttpRequest) => HttpResponse>, initial: SessionTokens | null = { token: 't1', refreshToken: 'r1' }) {
  const sent: HttpRequest[] = [];
  const tokens = memoryTokens(initial);
  const onSessionExpired = jest.fn();
  const client = createApiClient({
    baseUrl: '/api/v1',
    tokens,
    onSessionExpired,
    transport: async (request) => {
      sent.push(request);
      const next = answers.shift();
      if (!next) throw new Error('offline');
      return next(request);
    },
  });
  return { client, sent, tokens, onSessionExpired };
}

const Thing = z.object({ id: z.string() });

describe('api client', () => {
  it('sends the bearer token, query and idempotency key, and parses the answer with the schema', async () => {
    const { client, sent } = setup([() => ({ status: 200, body: { id: 'a', extra: 1 } })]);
    const answer = await client.post('/things', { body: { x: 1 }, query: { limit: 20, cursor: null }, idempotencyKey: 'k1', answer: Thing });
    expect(answer).toEqual({ id: 'a' });
    expect(sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/things?limit=20', body: { x: 1 } });
    expect(sent[0]!.headers).toMatchObject({ Authorization: 'Bearer t1', 'Idempotency-Key': 'k1' });
  });

  it('renews the session once on 401 and retries the request with the new token', async () => {
    const { client, sent, tokens } = setup([
      () => ({ status: 401, body: errorBody('UNAUTHENTICATED') }),
      () => ({ status: 200, body: { token: 't2', refreshToken: 'r2' } }),
      () => ({ status: 200, body: { id: 'b' } }),
    ]);
    await expect(client.get('/things/b', { answer: Thing })).resolves.toEqual({ id: 'b' });
    expect(sent.map((r) => r.url)).toEqual(['/api/v1/things/b', '/api/v1/auth/refresh', '/api/v1/things/b']);
    expect(sent[1]!.body).toEqual({ refreshToken: 'r1' });
    expect(sent[2]!.headers.Authorization).toBe('Bearer t2');
    expect(tokens.read()).toEqual({ token: 't2', refreshToken: 'r2' });
  });

  it('signs out and sends the user back to sign-in when the refresh is refused', async () => {
    const { client, tokens, onSessionExpired } = setup([
      () => ({ status: 401, body: errorBody('UNAUTHENTICATED') }),
      () => ({ status: 401, body: errorBody('UNAUTHENTICATED') }),
    ]);
    await expect(client.get('/me')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(tokens.read()).toBeNull();
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  it('shares one refresh between calls that fail together', async () => {
    let refreshes = 0;
    const { client } = setup([
      () => ({ status: 401, body: errorBody('UNAUTHENTICATED') }),
      () => ({ status: 401, body: errorBody('UNAUTHENTICATED') }),
      (r) => (r.url.endsWith('/auth/refresh') ? (refreshes++, { status: 200, body: { token: 't2' } }) : { status: 200, body: { id: 'x' } }),
      (r) => (r.url.endsWith('/auth/refresh') ? (refreshes++, { status: 200, body: { token: 't3' } }) : { status: 200, body: { id: 'x' } }),
      () => ({ status: 200, body: { id: 'x' } }),
    ]);
    await Promise.all([client.get('/a', { answer: Thing }), client.get('/b', { answer: Thing })]);
    expect(refreshes).toBe(1);
  });

  it('does not try to refresh on sign-in routes', async () => {
    const { client, sent, onSessionExpired } = setup([() => ({ status: 401, body: errorBody('UNAUTHENTICATED') })]);
    await expect(client.post('/auth/staff', { body: {}, authenticated: false })).rejects.toBeInstanceOf(ApiError);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers.Authorization).toBeUndefined();
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  it('turns contract errors into readable Chinese, never the raw code', async () => {
    const { client } = setup([() => ({ status: 422, body: errorBody('MIN_SPEND_NOT_MET') })]);
    const failure = await client.post('/staff/redemptions', { body: {} }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'MIN_SPEND_NOT_MET', status: 422 });
    expect(readableError(failure)).toBe('未达到该券的最低消费金额');
  });

  it('reports a network failure and an unexpected answer shape in words', async () => {
    const offline = setup([]);
    await expect(offline.client.get('/me')).rejects.toMatchObject({ code: 'NETWORK', message: '网络不给力，请检查网络后重试' });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const odd = setup([() => ({ status: 200, body: { nope: true } })]);
    await expect(odd.client.get('/me', { answer: Thing })).rejects.toMatchObject({ code: 'BAD_ANSWER' });
    warn.mockRestore();
  });

  it('falls back on the HTTP status when an error body has no code', async () => {
    const { client } = setup([() => ({ status: 502, body: '<html>bad gateway</html>' })]);
    await expect(client.get('/me')).rejects.toMatchObject({ code: 'INTERNAL', message: '服务开小差了，请稍后再试' });
  });
});

describe('error messages', () => {
  it('has a Chinese sentence for every contract error code', () => {
    for (const code of Object.values(ErrorCode)) {
      const text = messageForCode(code);
      expect(text).toMatch(/[\u4e00-\u9fa5]/);
      expect(text).not.toContain(code);
    }
  });

  it('answers a generic sentence for an unknown code', () => {
    expect(messageForCode('SOMETHING_NEW')).toBe('出了点问题，请稍后再试');
  });
});
