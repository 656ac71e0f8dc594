import { SignJWT } from 'jose';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

function expectContractError(res: { status: number; body: any; text: string }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  expect(typeof res.body.requestId).toBe('string');
  expect(res.text).not.toMatch(/at .*\.ts:\d+|node_modules|Error: /);
}

describe('health and the API description', () => {
  it('answers /healthz with the database checked', async () => {
    const res = await app.api.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', db: 'ok' });
  });

  it('publishes an OpenAPI 3.1 document generated from the route schemas', async () => {
    const res = await app.api.get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const join = res.body.paths['/api/v1/me/membership'].post;
    const bodyRef: string = join.requestBody.content['application/json'].schema.$ref;
    const bodySchema = res.body.components.schemas[bodyRef.split('/').pop()!];
    expect(bodySchema.properties.acceptTerms).toBeDefined();
    expect(bodySchema.additionalProperties).toBe(false);
    expect(join.responses['201']).toBeDefined();
    expect(res.body.paths['/api/v1/admin/members/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    const searchParameters = res.body.paths['/api/v1/admin/members'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    expect(searchParameters).toEqual(expect.arrayContaining(['query:q', 'query:limit', 'query:cursor']));
    // Every $ref points at a schema the document actually has.
    const refs = JSON.stringify(res.body).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const name = ref.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(ref.startsWith('"$ref":"#/components/schemas/')).toBe(true);
      expect(res.body.components.schemas[name]).toBeDefined();
    }
  });
});

describe('bad input gets a 4xx with the contract error body, never a 5xx', () => {
  it('unknown routes → 404 NOT_FOUND', async () => {
    expectContractError(await app.api.get('/no/such/route'), 404, 'NOT_FOUND');
    expectContractError(await app.api.request('PUT', '/me'), 404, 'NOT_FOUND');
  });

  it('malformed JSON → 400', async () => {
    const res = await app.api.request('POST', '/auth/wechat', { rawBody: '{"code": ', headers: { 'content-type': 'application/json' } });
    expectContractError(res, 400, 'VALIDATION_FAILED');
  });

  it('a body that is not JSON → 415', async () => {
    const res = await app.api.request('POST', '/auth/wechat', { rawBody: 'code=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectContractError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body over 1 MB → 413', async () => {
    const res = await app.api.post('/auth/wechat', { code: 'x'.repeat(1_100_000) });
    expectContractError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('wrong types and unknown fields → 400 naming the fields', async () => {
    const res = await app.api.post('/auth/wechat', { code: 42, extra: true });
    expectContractError(res, 400, 'VALIDATION_FAILED');
    const fields = res.body.error.details.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['body.code', 'body']));
  });

  it('keys starting with $ or containing a dot, anywhere in body or query → 400', async () => {
    const nested = await app.api.post('/auth/staff', { username: 'hq', password: { $ne: null } });
    expectContractError(nested, 400, 'VALIDATION_FAILED');
    expect(nested.body.error.details.fields[0].field).toBe('body.password.$ne');
    const dotted = await app.api.post('/auth/staff', { 'username.x': 'hq', password: 'p' });
    expectContractError(dotted, 400, 'VALIDATION_FAILED');
    const query = await app.api.get('/stores?%24where=1');
    expectContractError(query, 400, 'VALIDATION_FAILED');
  });

  it('missing, forged and expired tokens → 401', async () => {
    expectContractError(await app.api.get('/me'), 401, 'UNAUTHENTICATED');
    expectContractError(await app.api.get('/me', 'not-a-jwt'), 401, 'UNAUTHENTICATED');
    const forged = await new SignJWT({ act: { type: 'admin', staffId: '0'.repeat(24), role: 'hq', sessionId: 'x' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('membercard')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a-secret-that-is-not-the-servers-secret'));
    expectContractError(await app.api.get('/admin/members', forged), 401, 'UNAUTHENTICATED');
    const { token } = await joinedMember(app.api, 'expiring-token');
    app.clock.advance(31 * 60_000);
    expectContractError(await app.api.get('/me', token), 401, 'UNAUTHENTICATED');
    app.clock.advance(-31 * 60_000);
  });

  it('a member token on a staff or admin route → 403; a clerk on an admin route → 403', async () => {
    const { token } = await joinedMember(app.api, 'wrong-door');
    expectContractError(await app.api.post('/staff/scan', { code: 'M123' }, token), 403, 'FORBIDDEN');
    expectContractError(await app.api.get('/admin/members', token), 403, 'FORBIDDEN');
    const clerk = await staffToken(app.api, 'sh01-clerk');
    expectContractError(await app.api.get('/admin/members', clerk), 403, 'FORBIDDEN');
    expectContractError(await app.api.get('/me', clerk), 403, 'FORBIDDEN');
  });

  it('every reply carries the request id, echoing a sane X-Request-Id', async () => {
    const res = await app.api.request('GET', '/no/such', { headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(res.body.requestId).toBe('trace-123');
  });
});

describe('tokens', () => {
  it('refresh tokens rotate: the new pair works, the old refresh token does not', async () => {
    const login = await app.api.post('/auth/wechat', { code: 'refresher' });
    const first = await app.api.post('/auth/refresh', { refreshToken: login.body.refreshToken });
    expect(first.status).toBe(200);
    const again = await app.api.post('/auth/refresh', { refreshToken: login.body.refreshToken });
    expectContractError(again, 401, 'UNAUTHENTICATED');
    const joined = await app.api.post('/me/membership', { acceptTerms: true, privacyPolicyVersion: '2026-01' }, first.body.token);
    expect(joined.status).toBe(201);
  });

  it('HQ signs in on /auth/admin only, staff on /auth/staff only', async () => {
    expect((await app.api.post('/auth/staff', { username: 'hq', password: 'hq-demo-pass' })).status).toBe(401);
    expect((await app.api.post('/auth/admin', { username: 'sh01-clerk', password: 'staff-demo-pass' })).status).toBe(401);
    expect(await adminToken(app.api)).toEqual(expect.any(String));
  });
});
